// oauth2-rest-soak: the soak run of issue 5 (item 6), driven by scripts/soak.sh; not part of CI.
//
// It runs the built `oauth2-rest sail` against the test broker (scripts/broker.sh must have
// started it), the demo token server and API on loopback, with the fault proxy between the worker
// and the API resetting 1 connection in 100 half-way. Every API response closes its connection,
// so each message opens one: descriptors and memory see the most churn. Inputs are published at
// a steady rate (default 80% of SOAK_RATE, or of the rate measured by a burst at start) for the
// given minutes; outputs are counted by their parentMessageId. Every 10 s it prints the worker's
// VmRSS and open descriptors (/proc/PID); at the end p50/p99 latency (input published -> output
// header `end`), lost and duplicated counts, memory growth from the first sample after warm-up,
// and exits 1 if a target is missed (growth >= 5%, descriptors not flat, anything lost).
#include "support/broker.hpp"
#include "support/child_process.hpp"
#include "support/demo_api.hpp"
#include "support/fault_proxy.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"
#include "sail/message_cipher.hpp"
#include "util/base64.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

namespace json = boost::json;
namespace t = oauth2_rest::testing;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr const char* password = "soakCryptoPassword";
constexpr const char* iv = "iv=any16_symbols";

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

long rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

long fd_count(int pid) {
  std::error_code ec;
  long n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return ec ? -1 : n;
}

// The 1-minute load average (/proc/loadavg), to read latency figures against.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

double env_number(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtod(v, nullptr) : fallback;
}

// What the consumer saw, shared with the main thread.
struct ledger {
  std::mutex mutex;
  std::unordered_map<std::string, std::int64_t> sent_at;  // messageId -> wall ms when published
  std::unordered_map<std::string, int> outputs;           // messageId -> outputs seen
  std::vector<std::int64_t> latencies_ms;        // every steady-phase output
  std::vector<std::int64_t> error_latencies_ms;  // those that were error records (faulted API calls)
  std::size_t errors = 0;
  std::size_t done = 0;  // inputs with at least one output
};

class soak {
 public:
  soak(double minutes, double rate) : minutes_(minutes), rate_(rate) {}

  int run() {
    setup_queues();
    api_server_.set_handler([this](const t::recorded_request& r) {
      auto answer = api_.handle(r);
      answer.close_after = true;  // one connection per message: 1% of connections is 1% of messages
      return answer;
    });
    proxy_.set_fault_every(100, 0);  // sized below, once one exchange has been measured
    auto worker = start_worker();
    std::cout << "soak: worker pid " << worker->pid() << ", API behind the fault proxy on port " << proxy_.port()
              << std::endl;

    std::thread consumer([this] { consume(); });
    bool ok = true;
    {
      // Warm-up: a token, one exchange measured to cut faulted connections half-way into the response.
      t::broker_admin publisher;
      publish(publisher, "warm-0");
      wait_done(1, 30s);
      const auto request_bytes = proxy_.bytes_to_target(), response_bytes = proxy_.bytes_to_client();
      proxy_.set_fault_every(100, request_bytes + response_bytes / 2);
      load_at_start_ = load_average();
      idle_fds_ = fd_count(worker->pid());  // idle, connected, token fetched: what the end should match

      if (rate_ <= 0) rate_ = 0.8 * measure(publisher);
      std::cout << "soak: steady rate " << rate_ << " msg/s for " << minutes_ << " min, 1 API connection in 100 reset"
                << std::endl;
      steady(publisher, *worker);
    }
    ok = finish(*worker) && ok;
    stop_ = true;
    consumer.join();
    teardown_queues();
    return ok ? 0 : 1;
  }

 private:
  void setup_queues() {
    admin_.declare_exchange(exchange_);
    for (const auto& q : {in_queue_, data_queue_, error_queue_}) admin_.declare_queue(q);
    admin_.bind(data_queue_, exchange_, "data-key");
    admin_.bind(error_queue_, exchange_, "error-key");
  }
  void teardown_queues() {
    for (const auto& q : {in_queue_, data_queue_, error_queue_}) admin_.delete_queue(q);
    admin_.delete_exchange(exchange_);
  }

  std::unique_ptr<t::child_process> start_worker() {
    json::object cfg{{"tokenUrl", api_server_.base_url() + "/oauth/token"},
                     {"username", "demo-client"},
                     {"password", "demo-secret"},
                     {"baseUrl", proxy_.base_url() + "/api"},
                     {"errorTolerance", "noErrors"},
                     {"requestTimeout", 10},
                     {"_account", "cred-1"}};
    step_ = json::serialize(json::object{{"id", "step_2"}, {"comp_id", "comp-1"}, {"function", "httpRequest"},
                                         {"config", cfg}});
    std::map<std::string, std::string> env{
        {"ELASTICIO_FLOW_ID", "flow-1"},          {"ELASTICIO_STEP_ID", "step_2"},
        {"ELASTICIO_EXEC_ID", "exec-1"},          {"ELASTICIO_CONTAINER_ID", "container-1"},
        {"ELASTICIO_WORKSPACE_ID", "workspace-1"}, {"ELASTICIO_USER_ID", "user-1"},
        {"ELASTICIO_COMP_ID", "comp-1"},          {"ELASTICIO_FUNCTION", "httpRequest"},
        {"ELASTICIO_API_URI", platform_.base_url()}, {"ELASTICIO_API_USERNAME", "task-flow-1"},
        {"ELASTICIO_API_KEY", "platform-api-key"},  {"ELASTICIO_AMQP_URI", t::amqp_uri()},
        {"ELASTICIO_LISTEN_MESSAGES_ON", in_queue_}, {"ELASTICIO_PUBLISH_MESSAGES_TO", exchange_},
        {"ELASTICIO_DATA_ROUTING_KEY", "data-key"}, {"ELASTICIO_ERROR_ROUTING_KEY", "error-key"},
        {"ELASTICIO_REBOUND_ROUTING_KEY", "rebound-key"}, {"ELASTICIO_SNAPSHOT_ROUTING_KEY", "snapshot-key"},
        {"ELASTICIO_MESSAGE_CRYPTO_PASSWORD", password}, {"ELASTICIO_MESSAGE_CRYPTO_IV", iv},
        {"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", std::to_string(static_cast<int>(env_number("SOAK_PREFETCH", 20)))},
        {"LOG_LEVEL", "warn"}};
    return std::make_unique<t::child_process>(binary_, std::vector<std::string>{"sail"}, env, dir_.path());
  }

  void publish(t::broker_admin& to, const std::string& id) {
    json::object payload{{"body", {{"url", "/items/1"}, {"method", "GET"}}}};
    oauth2_rest::amqp::message_properties props;
    props.headers = {{"execId", "exec-1"}, {"taskId", "flow-1"}, {"userId", "user-1"},
                     {"threadId", "soak"}, {"stepId", "step_1"}, {"messageId", id}};
    const auto body = oauth2_rest::base64_encode(cipher_.encrypt(json::serialize(payload)));
    {
      std::lock_guard lock(ledger_.mutex);
      ledger_.sent_at[id] = wall_ms();
    }
    to.publish("", in_queue_, body, props);
    ++published_;
  }

  // The consumer thread: basic.get on both output queues with its own connection.
  void consume() {
    t::broker_admin reader;
    auto take = [&](const std::string& queue, bool error) {
      bool any = false;
      while (auto m = reader.get(queue)) {
        any = true;
        const auto now = wall_ms();
        const auto& h = m->properties.headers;
        std::string parent;
        if (auto* p = h.if_contains("parentMessageId"); p && p->is_string()) parent = p->as_string();
        std::int64_t end = now;
        if (auto* e = h.if_contains("end"); e && e->is_number()) end = e->to_number<std::int64_t>();
        std::lock_guard lock(ledger_.mutex);
        if (error) ++ledger_.errors;
        if (ledger_.outputs[parent]++ == 0) ++ledger_.done;
        // Latency of the steady phase only: the measuring burst queues up by design.
        if (auto s = ledger_.sent_at.find(parent); s != ledger_.sent_at.end() && parent.starts_with("m-")) {
          ledger_.latencies_ms.push_back(std::max<std::int64_t>(0, end - s->second));
          if (error) ledger_.error_latencies_ms.push_back(ledger_.latencies_ms.back());
        }
      }
      return any;
    };
    while (!stop_) {
      const bool a = take(data_queue_, false);
      const bool b = take(error_queue_, true);
      if (!a && !b) std::this_thread::sleep_for(2ms);
    }
  }

  std::size_t done() {
    std::lock_guard lock(ledger_.mutex);
    return ledger_.done;
  }

  bool wait_done(std::size_t count, std::chrono::milliseconds timeout) {
    return t::eventually([&] { return done() >= count; }, timeout);
  }

  // Publishes a burst as fast as the publisher can and times how long the worker takes for it.
  double measure(t::broker_admin& publisher) {
    const std::size_t burst = static_cast<std::size_t>(env_number("SOAK_MEASURE_MESSAGES", 3000));
    const auto before = done();
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < burst; ++i) publish(publisher, "measure-" + std::to_string(i));
    wait_done(before + burst, 120s);
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    const double rate = static_cast<double>(done() - before) / seconds;
    std::cout << "soak: measured " << rate << " msg/s (" << burst << " messages in " << seconds << " s)" << std::endl;
    return rate;
  }

  void sample(int pid, double elapsed_s) {
    samples_.push_back({elapsed_s, rss_kb(pid), fd_count(pid)});
    const auto& s = samples_.back();
    std::printf("soak: t=%6.0fs published=%zu done=%zu rss=%ld kB fds=%ld faulted=%zu\n", elapsed_s,
                published_.load(), done(), s.rss_kb, s.fds, proxy_.faulted_connection_count());
    std::fflush(stdout);
  }

  void steady(t::broker_admin& publisher, t::child_process& worker) {
    const auto start = clock_type::now();
    const auto end = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(minutes_ * 60));
    const auto interval = std::chrono::duration<double>(1.0 / rate_);
    auto next_sample = start;
    std::size_t n = 0;
    while (clock_type::now() < end && worker.running()) {
      const auto due = start + std::chrono::duration_cast<clock_type::duration>(interval * static_cast<double>(n));
      if (due > clock_type::now()) std::this_thread::sleep_until(due);
      publish(publisher, "m-" + std::to_string(n++));
      if (clock_type::now() >= next_sample) {
        sample(worker.pid(), std::chrono::duration<double>(clock_type::now() - start).count());
        next_sample += 10s;
      }
    }
    steady_published_ = n;
    achieved_rate_ = static_cast<double>(n) / std::chrono::duration<double>(clock_type::now() - start).count();
  }

  bool finish(t::child_process& worker) {
    const auto expected = published_.load();
    const bool all = wait_done(expected, 120s);
    sample(worker.pid(), -1);
    worker.signal(SIGTERM);
    const auto code = worker.wait(60s);

    std::size_t lost = 0, duplicated = 0, still_queued = 0;
    std::set<std::string> queued;
    while (auto m = admin_.get(in_queue_)) {
      if (auto* id = m->properties.headers.if_contains("messageId"); id && id->is_string()) queued.insert(std::string(id->as_string()));
    }
    still_queued = queued.size();
    std::vector<std::int64_t> lat, error_lat;
    std::size_t errors = 0;
    {
      std::lock_guard lock(ledger_.mutex);
      for (const auto& [id, at] : ledger_.sent_at) {
        auto o = ledger_.outputs.find(id);
        if (o == ledger_.outputs.end()) {
          if (!queued.contains(id)) ++lost;
        } else {
          duplicated += static_cast<std::size_t>(o->second - 1);
        }
      }
      lat = ledger_.latencies_ms;
      error_lat = ledger_.error_latencies_ms;
      errors = ledger_.errors;
    }
    std::sort(lat.begin(), lat.end());
    std::sort(error_lat.begin(), error_lat.end());
    auto pct_of = [](const std::vector<std::int64_t>& v, double p) -> long long {
      return v.empty() ? -1 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
    };
    auto pct = [&](double p) { return pct_of(lat, p); };

    // Baseline: the first sample after a tenth of the run (allocator pools and the token are warm).
    const sample_point* base = nullptr;
    for (const auto& s : samples_)
      if (s.t >= minutes_ * 6 && s.t >= 0) {
        base = &s;
        break;
      }
    if (!base && !samples_.empty()) base = &samples_.front();
    const sample_point& last = samples_.back();
    long max_rss = 0, min_fd = 1 << 30, max_fd = 0;
    for (const auto& s : samples_) {
      if (s.t < 0) continue;
      max_rss = std::max(max_rss, s.rss_kb);
      if (base && s.t >= base->t) {
        min_fd = std::min(min_fd, s.fds);
        max_fd = std::max(max_fd, s.fds);
      }
    }
    const double growth = base && base->rss_kb > 0 ? 100.0 * static_cast<double>(last.rss_kb - base->rss_kb) / static_cast<double>(base->rss_kb) : 0;
    // Flat: idle after the run, the worker holds as many descriptors as it did idle before it
    // (during the run, each message in flight may hold one API connection).
    const bool fds_flat = last.fds <= idle_fds_;

    std::printf("\nsoak summary\n");
    std::printf("  duration            %.1f min at %.1f msg/s (target %.1f), prefetch %d\n", minutes_, achieved_rate_, rate_,
                static_cast<int>(env_number("SOAK_PREFETCH", 20)));
    std::printf("  inputs              %zu (steady phase %zu)\n", expected, steady_published_);
    std::printf("  done                %zu, error outputs %zu (faulted API connections %zu of %zu)\n", done(), errors,
                proxy_.faulted_connection_count(), proxy_.connection_count());
    std::printf("  lost                %zu (still queued %zu)\n", lost, still_queued);
    std::printf("  duplicated          %zu\n", duplicated);
    std::printf("  latency             p50 %lld ms, p90 %lld ms, p99 %lld ms, max %lld ms (publish -> output header end)\n",
                pct(0.50), pct(0.90), pct(0.99), static_cast<long long>(lat.empty() ? -1 : lat.back()));
    std::printf("  faulted ones        p50 %lld ms, p99 %lld ms (error records)\n", pct_of(error_lat, 0.50),
                pct_of(error_lat, 0.99));
    std::printf("  load average        %s at the start, %s at the end (other processes share the CPUs)\n",
                load_at_start_.c_str(), load_average().c_str());
    std::printf("  worker RSS          baseline %ld kB (t=%.0fs), end %ld kB, max %ld kB, growth %.2f%%\n",
                base ? base->rss_kb : -1, base ? base->t : -1.0, last.rss_kb, max_rss, growth);
    std::printf("  worker descriptors  idle before %ld, idle after %ld; during the run min %ld, max %ld (%s)\n",
                idle_fds_, last.fds, min_fd, max_fd, fds_flat ? "flat" : "NOT flat");
    std::printf("  worker exit         %d after SIGTERM\n", code.value_or(-99));
    const bool ok = all && lost == 0 && growth < 5.0 && fds_flat && code.value_or(-99) == 0;
    std::printf("  result              %s\n", ok ? "PASS" : "FAIL");
    return ok;
  }

  struct sample_point {
    double t;  // seconds into the steady phase; -1 for the final one
    long rss_kb;
    long fds;
  };

  double minutes_;
  double rate_;
  std::string binary_ = OAUTH2_REST_BINARY;
  t::temp_dir dir_;
  t::demo_api api_;
  t::http_server api_server_{[](const t::recorded_request&) { return t::reply::text(503, "starting"); }};
  t::fault_proxy proxy_{"127.0.0.1", api_server_.port()};
  std::string step_;
  t::http_server platform_{[this](const t::recorded_request& r) {
    if (r.method == "GET" && r.path() == "/v1/tasks/flow-1/steps/step_2") return t::reply::json(200, step_);
    if (r.method == "PATCH") return t::reply::json(200, R"({"data":{}})");
    return t::reply::json(404, "{}");
  }};
  oauth2_rest::sail::message_cipher cipher_{password, iv};
  t::broker_admin admin_;
  std::string in_queue_ = t::unique_name("soak-in");
  std::string exchange_ = t::unique_name("soak-exchange");
  std::string data_queue_ = t::unique_name("soak-data");
  std::string error_queue_ = t::unique_name("soak-errors");
  ledger ledger_;
  std::atomic<std::size_t> published_{0};
  std::atomic<bool> stop_{false};
  std::size_t steady_published_ = 0;
  double achieved_rate_ = 0;
  long idle_fds_ = -1;
  std::string load_at_start_;
  std::vector<sample_point> samples_;
};

}  // namespace

int main(int argc, char** argv) {
  double minutes = argc > 1 ? std::strtod(argv[1], nullptr) : 10.0;
  if (minutes <= 0) {
    std::cerr << "usage: oauth2-rest-soak [MINUTES]  (env SOAK_RATE: max msg/s, 80% is used; else measured)\n";
    return 2;
  }
  const double given = env_number("SOAK_RATE", 0);
  try {
    soak s(minutes, given > 0 ? 0.8 * given : 0);
    return s.run();
  } catch (const std::exception& e) {
    std::cerr << "soak: " << e.what() << "\n";
    return 1;
  }
}
