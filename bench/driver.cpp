// oauth2-rest-bench-driver: one end-to-end benchmark scenario against the bench broker.
//
//   oauth2-rest-bench-driver --messages N [--procs K] [--prefetch P] [--start-probe]
//                            [--url /items/1] [--stuck-url URL] [--timeout S] [--log-dir DIR]
//                            [--label L] [--spawn-interval-ms MS] [--publish-over S]
//                            [--prepublish B] -- PROGRAM ARGS...
//
// 1. Declares a fresh exchange and input, data, error and rebound queues (unique names).
// 2. With --start-probe: spawns PROGRAM once on the empty queue, measures spawn until the queue
//    shows a consumer (start_ms), waits 1 s and reads VmRSS (idle_rss_kb), then stops it.
// 3. Pre-publishes N encrypted messages (protocol 1, as the platform sends them), each one
//    {"body":{"url":URL,"method":"GET"}} with the platform's headers and a unique messageId.
//    With --stuck-url, the first message (the first one delivered) has URL as its url instead:
//    an endpoint that never answers (the bench platform's /hang), so that delivery stays
//    unsettled at the head for the whole run while the others pass it.
// 4. Spawns K copies of PROGRAM (competing consumers), starts the clock when the first consumer
//    appears, and stops it when the data and error queues together hold N messages (N-1 with
//    --stuck-url: every message but the stuck one; rate and CPU per message count those N-1).
//    --spawn-interval-ms MS: the K copies start MS apart (the first one as above, the clock
//    starting when it consumes; the others while the clock runs), not all at once.
//    --publish-over S: the N messages are not pre-published but published while the workers
//    run, evenly over S seconds from the start of the clock (a steady load for S seconds, e.g.
//    across token lifetimes); messages/s then is the publishing rate, not the workers' ceiling.
//    --prepublish B: of those N, B are published before the workers start (a backlog waiting
//    for them, as when a step's replicas are restarted), the other N-B over S seconds.
// 5. Reads utime+stime (/proc/PID/stat) at the start and at the end, and VmHWM, then SIGTERMs
//    (SIGKILL after 15 s; with --stuck-url give the workers OAUTH2_REST_DRAIN_TIMEOUT_MS, or
//    their drain waits for the stuck call until then).
// Prints one JSON line of figures on stdout. The children get this process's environment plus
// the queue, exchange, routing key and prefetch variables; their output goes to --log-dir.
#include "support/broker.hpp"
#include "sail/message_cipher.hpp"
#include "util/base64.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

namespace json = boost::json;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;
using namespace oauth2_rest;

struct options {
  std::size_t messages = 1000;
  int procs = 1;
  int prefetch = 1;
  bool start_probe = false;
  std::string url = "/items/1";
  std::string stuck_url;  // empty: no stuck message
  int timeout_s = 300;
  std::string log_dir = "/tmp";
  std::string label = "run";
  int spawn_interval_ms = 0;
  double publish_over_s = 0;
  std::size_t prepublish = 0;
  std::vector<std::string> command;
};

// A second, raw rabbitmq-c connection for passive queue.declare: ready messages and consumers.
class queue_probe {
 public:
  queue_probe() {
    conn_ = amqp_new_connection();
    auto* socket = amqp_tcp_socket_new(conn_);
    if (!socket || amqp_socket_open(socket, "127.0.0.1", testing::amqp_port()) != AMQP_STATUS_OK) {
      throw std::runtime_error("queue_probe: cannot connect to the broker");
    }
    auto login = amqp_login(conn_, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
    if (login.reply_type != AMQP_RESPONSE_NORMAL) throw std::runtime_error("queue_probe: login failed");
    amqp_channel_open(conn_, 1);
    if (amqp_get_rpc_reply(conn_).reply_type != AMQP_RESPONSE_NORMAL) throw std::runtime_error("queue_probe: channel");
  }
  ~queue_probe() {
    amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }
  struct counts {
    std::uint32_t messages = 0, consumers = 0;
  };
  counts of(const std::string& queue) {
    auto* ok = amqp_queue_declare(conn_, 1, amqp_cstring_bytes(queue.c_str()), 1, 0, 0, 0, amqp_empty_table);
    if (!ok) throw std::runtime_error("queue_probe: passive declare of " + queue + " failed");
    return {ok->message_count, ok->consumer_count};
  }

 private:
  amqp_connection_state_t conn_;
};

struct child {
  pid_t pid = -1;
};

child spawn(const options& o, const std::vector<std::string>& extra_env, const std::string& log_name) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& e : extra_env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = o.command;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  auto out = o.log_dir + "/" + log_name + ".log";
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  child c;
  int rc = posix_spawnp(&c.pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + o.command[0] + ": " + std::strerror(rc));
  return c;
}

// utime and stime of the whole process (all threads), in milliseconds (10 ms resolution).
struct cpu_times {
  double user_ms = 0, sys_ms = 0;
  double total() const { return user_ms + sys_ms; }
};
cpu_times cpu_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  long long utime = 0, stime = 0;
  // After "pid (comm) ": field 3 is state; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && (fields >> f); ++i) {
    if (i == 14) utime = std::stoll(f);
    if (i == 15) stime = std::stoll(f);
  }
  const double tick_ms = 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  return {static_cast<double>(utime) * tick_ms, static_cast<double>(stime) * tick_ms};
}

long status_kb(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::atol(line.c_str() + key.size() + 1);
  }
  return 0;
}

void stop(std::vector<child>& children) {
  for (auto& c : children) kill(c.pid, SIGTERM);
  auto deadline = clock_type::now() + 15s;
  for (auto& c : children) {
    int status = 0;
    while (waitpid(c.pid, &status, WNOHANG) == 0) {
      if (clock_type::now() > deadline) {
        kill(c.pid, SIGKILL);
        waitpid(c.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(5ms);
    }
  }
  children.clear();
}

bool child_exited(const child& c) {
  int status = 0;
  return waitpid(c.pid, &status, WNOHANG) == c.pid;
}

// The decrypted "error" of the first error record in `queue`, to say why a run failed.
std::string first_error(testing::broker_admin& admin, const std::string& queue, const sail::message_cipher& cipher) {
  auto got = admin.get(queue);
  if (!got) return "no error record";
  boost::system::error_code ec;
  auto record = json::parse(got->body, ec);
  if (ec || !record.is_object() || !record.as_object().contains("error")) return "unreadable error record";
  const auto* text = record.as_object().at("error").if_string();
  auto bytes = text ? base64_decode(*text) : std::nullopt;
  if (!bytes) return "error field is not base64";
  auto plain = cipher.decrypt(*bytes);
  return plain ? *plain : std::string("undecryptable error record");
}

options parse(int argc, char** argv) {
  options o;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--start-probe") {
      o.start_probe = true;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument("missing value for " + a);
    std::string v = argv[++i];
    if (a == "--messages") o.messages = std::stoul(v);
    else if (a == "--procs") o.procs = std::stoi(v);
    else if (a == "--prefetch") o.prefetch = std::stoi(v);
    else if (a == "--url") o.url = v;
    else if (a == "--stuck-url") o.stuck_url = v;
    else if (a == "--timeout") o.timeout_s = std::stoi(v);
    else if (a == "--log-dir") o.log_dir = v;
    else if (a == "--label") o.label = v;
    else if (a == "--spawn-interval-ms") o.spawn_interval_ms = std::stoi(v);
    else if (a == "--publish-over") o.publish_over_s = std::stod(v);
    else if (a == "--prepublish") o.prepublish = std::stoul(v);
    else throw std::invalid_argument("unknown option " + a);
  }
  for (; i < argc; ++i) o.command.emplace_back(argv[i]);
  if (o.command.empty()) throw std::invalid_argument("no program given after --");
  return o;
}

int run(const options& o) {
  testing::broker_admin admin;
  queue_probe probe;
  const auto in_queue = testing::unique_name("bench-in");
  const auto exchange = testing::unique_name("bench-exchange");
  const auto data_queue = testing::unique_name("bench-data");
  const auto error_queue = testing::unique_name("bench-errors");
  const auto rebound_queue = testing::unique_name("bench-rebound");
  admin.declare_exchange(exchange);
  for (const auto& q : {in_queue, data_queue, error_queue, rebound_queue}) admin.declare_queue(q);
  admin.bind(data_queue, exchange, "data-key");
  admin.bind(error_queue, exchange, "error-key");
  admin.bind(rebound_queue, exchange, "rebound-key");
  const std::vector<std::string> env{
      "ELASTICIO_LISTEN_MESSAGES_ON=" + in_queue, "ELASTICIO_PUBLISH_MESSAGES_TO=" + exchange,
      "ELASTICIO_DATA_ROUTING_KEY=data-key",      "ELASTICIO_ERROR_ROUTING_KEY=error-key",
      "ELASTICIO_REBOUND_ROUTING_KEY=rebound-key", "ELASTICIO_SNAPSHOT_ROUTING_KEY=snapshot-key",
      "ELASTICIO_RABBITMQ_PREFETCH_SAILOR=" + std::to_string(o.prefetch)};
  auto cleanup = [&] {
    for (const auto& q : {in_queue, data_queue, error_queue, rebound_queue}) admin.delete_queue(q);
    admin.delete_exchange(exchange);
  };

  json::object result{{"label", o.label}, {"messages", o.messages}, {"procs", o.procs}, {"prefetch", o.prefetch}};

  if (o.start_probe) {
    std::vector<child> children;
    auto t0 = clock_type::now();
    children.push_back(spawn(o, env, o.label + "-start"));
    bool up = false;
    while (clock_type::now() - t0 < 60s) {
      if (probe.of(in_queue).consumers > 0) {
        up = true;
        break;
      }
      if (child_exited(children[0])) break;
      std::this_thread::sleep_for(200us);
    }
    auto start_ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
    if (!up) {
      std::fprintf(stderr, "bench-driver: %s never started consuming (see %s/%s-start.log)\n", o.label.c_str(),
                   o.log_dir.c_str(), o.label.c_str());
      stop(children);
      cleanup();
      return 1;
    }
    std::this_thread::sleep_for(1s);
    result["start_ms"] = start_ms;
    result["idle_rss_kb"] = status_kb(children[0].pid, "VmRSS");
    stop(children);
  }

  // Pre-publish N messages as the platform does (encrypted JSON, base64 text, protocol 1), or
  // (--publish-over) publish them while the workers run.
  sail::message_cipher cipher("testCryptoPassword", "iv=any16_symbols");
  amqp::message_properties props;
  props.content_type = "application/json";
  auto publish = [&](std::size_t i) {
    const auto id = "bench-" + std::to_string(i);
    const auto& url = i == 0 && !o.stuck_url.empty() ? o.stuck_url : o.url;
    json::object payload{{"id", id}, {"body", {{"url", url}, {"method", "GET"}}}, {"headers", json::object{}}};
    props.headers = json::object{{"execId", "exec-1"}, {"taskId", "flow-1"},   {"workspaceId", "workspace-1"},
                                 {"userId", "user-1"}, {"threadId", "T-" + id}, {"stepId", "step_1"},
                                 {"messageId", id},    {"parentMessageId", "P0"}};
    admin.publish("", in_queue, base64_encode(cipher.encrypt(json::serialize(payload))), props);
  };
  const bool paced = o.publish_over_s > 0;
  std::size_t published = 0;
  const std::size_t backlog = paced ? std::min(o.prepublish, o.messages) : o.messages;
  for (; published < backlog; ++published) publish(published);

  std::vector<child> children;
  const int at_once = o.spawn_interval_ms > 0 ? 1 : o.procs;
  for (int k = 0; k < at_once; ++k) children.push_back(spawn(o, env, o.label + "-" + std::to_string(k)));
  auto spawned = clock_type::now();
  while (probe.of(in_queue).consumers == 0) {
    if (clock_type::now() - spawned > 60s || child_exited(children[0])) {
      std::fprintf(stderr, "bench-driver: %s never started consuming\n", o.label.c_str());
      stop(children);
      cleanup();
      return 1;
    }
    std::this_thread::sleep_for(200us);
  }
  auto t0 = clock_type::now();
  std::vector<cpu_times> cpu0;
  for (auto& c : children) cpu0.push_back(cpu_of(c.pid));
  const std::size_t stuck = o.stuck_url.empty() || o.messages == 0 ? 0 : 1;
  const std::size_t expected = o.messages - stuck;
  std::uint32_t data = 0, errors = 0;
  bool timed_out = false;
  std::vector<double> spawn_s;  // when the later copies started, seconds after t0
  while (true) {
    const auto now = clock_type::now();
    while (static_cast<int>(children.size()) < o.procs &&
           now - t0 >= std::chrono::milliseconds(o.spawn_interval_ms) * static_cast<int>(children.size())) {
      spawn_s.push_back(std::chrono::duration<double>(clock_type::now() - t0).count());
      children.push_back(spawn(o, env, o.label + "-" + std::to_string(children.size())));
      cpu0.push_back(cpu_of(children.back().pid));
    }
    if (paced) {
      const double elapsed = std::chrono::duration<double>(now - t0).count();
      const auto due = std::min<std::size_t>(
          o.messages, backlog + static_cast<std::size_t>(elapsed / o.publish_over_s *
                                                         static_cast<double>(o.messages - backlog)) + 1);
      for (; published < due; ++published) publish(published);
    }
    data = probe.of(data_queue).messages;
    errors = probe.of(error_queue).messages;
    if (data + errors >= expected) break;
    if (clock_type::now() - t0 > std::chrono::seconds(o.timeout_s)) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(2ms);
  }
  auto seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  double cpu = 0, cpu_with_start = 0, sys = 0;
  long peak = 0;
  for (std::size_t k = 0; k < children.size(); ++k) {
    auto now = cpu_of(children[k].pid);
    cpu += now.total() - cpu0[k].total();
    sys += now.sys_ms - cpu0[k].sys_ms;
    cpu_with_start += now.total();
    peak = std::max(peak, status_kb(children[k].pid, "VmHWM"));
  }
  stop(children);
  if (errors > 0) result["first_error"] = first_error(admin, error_queue, cipher);
  if (o.spawn_interval_ms > 0) {
    result["spawn_interval_ms"] = o.spawn_interval_ms;
    json::array at;
    for (double x : spawn_s) at.push_back(x);
    result["later_spawns_s"] = std::move(at);
  }
  if (paced) {
    result["publish_over_s"] = o.publish_over_s;
    result["prepublished"] = backlog;
  }
  result["seconds"] = seconds;
  result["rate"] = static_cast<double>(data + errors) / seconds;
  result["cpu_ms"] = cpu;
  result["cpu_ms_with_start"] = cpu_with_start;
  result["sys_ms"] = sys;
  result["cpu_us_per_msg"] = data + errors > 0 ? cpu * 1000.0 / (data + errors) : 0.0;
  result["peak_rss_kb"] = peak;
  result["data"] = data;
  result["errors"] = errors;
  result["timed_out"] = timed_out;
  if (stuck) {
    result["stuck"] = stuck;
    // The stuck message's own output (an error once its call times out) would make this N: the
    // scenario then did not measure what it meant to.
    result["stuck_settled"] = data + errors > expected;
  }
  cleanup();
  std::printf("%s\n", json::serialize(result).c_str());
  return timed_out || errors > 0 ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-driver: %s\n", e.what());
    return 2;
  }
}
