// Test helper for the broker tests: synchronous rabbitmq-c client and rabbitmqctl runner.
#include "support/broker.hpp"

#include "amqp/field_table.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <boost/json/parse.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#ifndef OAUTH2_REST_BROKER_SCRIPT
#error "OAUTH2_REST_BROKER_SCRIPT (path of scripts/broker.sh) must be defined"
#endif
#ifndef OAUTH2_REST_BROKER_NODE
#define OAUTH2_REST_BROKER_NODE "oauth2rest-test@localhost"
#endif

namespace oauth2_rest::testing {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string describe(const amqp_rpc_reply_t& r) {
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL: return "ok";
    case AMQP_RESPONSE_NONE: return "no reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        auto* c = static_cast<amqp_connection_close_t*>(r.reply.decoded);
        return "connection closed: " + std::to_string(c->reply_code) + " " +
               std::string(amqp::to_string_view(c->reply_text));
      }
      if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto* c = static_cast<amqp_channel_close_t*>(r.reply.decoded);
        return "channel closed: " + std::to_string(c->reply_code) + " " +
               std::string(amqp::to_string_view(c->reply_text));
      }
      return "server exception";
  }
  return "unknown reply";
}

boost::json::value ctl_json(std::vector<std::string> args) {
  args.push_back("--formatter");
  args.push_back("json");
  args.push_back("-q");
  std::string out = rabbitmqctl(args);
  return boost::json::parse(out);
}

}  // namespace

std::uint16_t amqp_port() {
  const char* env = std::getenv("OAUTH2_REST_AMQP_PORT");
  if (env == nullptr || *env == '\0') return 5673;
  return static_cast<std::uint16_t>(std::stoi(env));
}

std::string amqp_uri() { return "amqp://guest:guest@127.0.0.1:" + std::to_string(amqp_port()) + "/"; }

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

std::string rabbitmqctl(const std::vector<std::string>& args) {
  std::string cmd;
  // The script picks the node from the environment; the build's default applies otherwise.
  if (std::getenv("OAUTH2_REST_BROKER_NODE") == nullptr)
    cmd += "OAUTH2_REST_BROKER_NODE=" + shell_quote(OAUTH2_REST_BROKER_NODE) + " ";
  cmd += shell_quote(OAUTH2_REST_BROKER_SCRIPT) + " ctl";
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int rc = ::pclose(pipe);
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0)
    throw std::runtime_error("rabbitmqctl failed (" + cmd + "): " + out);
  return out;
}

std::vector<broker_connection_info> list_connections() {
  std::vector<broker_connection_info> result;
  boost::json::value v = ctl_json({"list_connections", "name", "client_properties", "state"});
  for (const auto& row : v.as_array()) {
    broker_connection_info info;
    const auto& obj = row.as_object();
    info.name = std::string(obj.at("name").as_string());
    if (const auto* st = obj.if_contains("state"); st && st->is_string()) info.state = std::string(st->as_string());
    // client_properties: [["connection_name","longstr","..."], ...]
    if (const auto* props = obj.if_contains("client_properties"); props && props->is_array()) {
      for (const auto& p : props->as_array()) {
        const auto& triple = p.as_array();
        if (triple.size() == 3 && triple[0] == "connection_name" && triple[2].is_string())
          info.connection_name = std::string(triple[2].as_string());
      }
    }
    result.push_back(std::move(info));
  }
  // The JSON formatter prints pids in a form close_connection does not accept; the table one does.
  std::string table = rabbitmqctl({"list_connections", "pid", "name", "-q", "--no-table-headers"});
  std::size_t pos = 0;
  while (pos < table.size()) {
    std::size_t eol = table.find('\n', pos);
    if (eol == std::string::npos) eol = table.size();
    std::string line = table.substr(pos, eol - pos);
    pos = eol + 1;
    std::size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    for (auto& info : result)
      if (info.name == line.substr(tab + 1)) info.pid = line.substr(0, tab);
  }
  return result;
}

std::vector<std::string> connection_names() {
  std::vector<std::string> names;
  for (auto& c : list_connections())
    if (!c.connection_name.empty()) names.push_back(c.connection_name);
  return names;
}

int close_connection(const std::string& connection_name, const std::string& reason) {
  int closed = 0;
  for (auto& c : list_connections()) {
    if (c.connection_name != connection_name || c.pid.empty()) continue;
    rabbitmqctl({"close_connection", c.pid, reason});
    ++closed;
  }
  return closed;
}

memory_alarm::memory_alarm() { rabbitmqctl({"set_vm_memory_high_watermark", "0.000001"}); }

memory_alarm::~memory_alarm() {
  try {
    rabbitmqctl({"set_vm_memory_high_watermark", "0.4"});
  } catch (const std::exception&) {
    // Destructors do not throw; the next broker start resets it anyway.
  }
}

int broker_os_pid() {
  std::string out = rabbitmqctl({"eval", "os:getpid()."});  // "12345"
  std::string digits;
  for (char c : out)
    if (c >= '0' && c <= '9') digits += c;
  if (digits.empty()) throw std::runtime_error("cannot read the broker's pid: " + out);
  return std::stoi(digits);
}

frozen_broker::frozen_broker() : frozen_broker(broker_os_pid()) {}

namespace {

// Whether every thread of `pid` is stopped ('T' in /proc/PID/task/TID/stat).
bool all_threads_stopped(int pid) {
  std::error_code ec;
  bool any = false;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // The state follows the command name, which is in parentheses and may hold anything.
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) return false;
    const char state = line[close + 2];
    if (state != 'T' && state != 't') return false;
    any = true;
  }
  return any && !ec;
}

}  // namespace

frozen_broker::frozen_broker(int os_pid) : pid_(os_pid) {
  if (::kill(pid_, SIGSTOP) != 0) throw std::runtime_error("cannot SIGSTOP the broker");
  // The stop reaches each of the VM's threads on its own. On a loaded machine a test once saw
  // 74 of 100 publishes sent after kill() confirmed: return only once every thread has stopped.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!all_threads_stopped(pid_)) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("the broker did not stop after SIGSTOP");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

frozen_broker::~frozen_broker() { ::kill(pid_, SIGCONT); }

queue_counts queue_counts_of(const std::string& queue) {
  boost::json::value v = ctl_json({"list_queues", "name", "messages_ready", "messages_unacknowledged"});
  for (const auto& row : v.as_array()) {
    const auto& obj = row.as_object();
    if (obj.at("name").as_string() != queue) continue;
    queue_counts c;
    c.ready = obj.at("messages_ready").to_number<std::uint64_t>();
    c.unacked = obj.at("messages_unacknowledged").to_number<std::uint64_t>();
    return c;
  }
  throw std::runtime_error("no queue named " + queue);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

struct broker_admin::state {
  amqp_connection_state_t conn = nullptr;
  amqp::properties_encoder encoder;
  std::uint64_t next_publish_seq = 1;
};

constexpr amqp_channel_t admin_channel = 1;

broker_admin::broker_admin() : state_(new state) {
  state_->conn = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(state_->conn);
  timeval timeout{10, 0};
  int rc = amqp_socket_open_noblock(socket, "127.0.0.1", amqp_port(), &timeout);
  if (rc != AMQP_STATUS_OK) {
    amqp_destroy_connection(state_->conn);
    delete state_;
    throw std::runtime_error(std::string("broker_admin: cannot connect: ") + amqp_error_string2(rc));
  }
  amqp_set_rpc_timeout(state_->conn, &timeout);
  amqp_rpc_reply_t r = amqp_login(state_->conn, "/", 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN,
                                  "guest", "guest");
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    amqp_destroy_connection(state_->conn);
    delete state_;
    throw std::runtime_error("broker_admin: login failed: " + describe(r));
  }
  amqp_channel_open(state_->conn, admin_channel);
  check("channel.open");
  amqp_confirm_select(state_->conn, admin_channel);
  check("confirm.select");
}

broker_admin::~broker_admin() {
  amqp_channel_close(state_->conn, admin_channel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(state_->conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(state_->conn);
  delete state_;
}

void broker_admin::check(const char* what) {
  amqp_rpc_reply_t r = amqp_get_rpc_reply(state_->conn);
  if (r.reply_type != AMQP_RESPONSE_NORMAL)
    throw std::runtime_error(std::string("broker_admin: ") + what + " failed: " + describe(r));
}

void broker_admin::declare_queue(const std::string& queue, const boost::json::object& arguments) {
  amqp::message_properties holder;
  holder.headers = arguments;
  amqp_table_t table = amqp_empty_table;
  if (!arguments.empty()) table = state_->encoder.encode(holder).headers;
  amqp_queue_declare(state_->conn, admin_channel, amqp::to_bytes(queue), 0, /*durable=*/1, 0, /*auto_delete=*/0, table);
  check("queue.declare");
}

void broker_admin::delete_queue(const std::string& queue) {
  amqp_queue_delete(state_->conn, admin_channel, amqp::to_bytes(queue), 0, 0);
  check("queue.delete");
}

void broker_admin::purge_queue(const std::string& queue) {
  amqp_queue_purge(state_->conn, admin_channel, amqp::to_bytes(queue));
  check("queue.purge");
}

void broker_admin::declare_exchange(const std::string& exchange) {
  amqp_exchange_declare(state_->conn, admin_channel, amqp::to_bytes(exchange), amqp_cstring_bytes("direct"), 0,
                        /*durable=*/1, /*auto_delete=*/0, 0, amqp_empty_table);
  check("exchange.declare");
}

void broker_admin::delete_exchange(const std::string& exchange) {
  amqp_exchange_delete(state_->conn, admin_channel, amqp::to_bytes(exchange), 0);
  check("exchange.delete");
}

void broker_admin::bind(const std::string& queue, const std::string& exchange, const std::string& routing_key) {
  amqp_queue_bind(state_->conn, admin_channel, amqp::to_bytes(queue), amqp::to_bytes(exchange),
                  amqp::to_bytes(routing_key), amqp_empty_table);
  check("queue.bind");
}

void broker_admin::publish(const std::string& exchange, const std::string& routing_key, const std::string& body,
                           const amqp::message_properties& properties) {
  const amqp_basic_properties_t& props = state_->encoder.encode(properties);
  int rc = amqp_basic_publish(state_->conn, admin_channel, amqp::to_bytes(exchange), amqp::to_bytes(routing_key), 0,
                              0, &props, amqp::to_bytes(body));
  if (rc != AMQP_STATUS_OK) throw std::runtime_error(std::string("broker_admin: publish: ") + amqp_error_string2(rc));
  // Wait for the confirm, so the message is in the queue when publish() returns.
  const std::uint64_t seq = state_->next_publish_seq++;
  while (true) {
    amqp_frame_t frame;
    timeval timeout{10, 0};
    rc = amqp_simple_wait_frame_noblock(state_->conn, &frame, &timeout);
    if (rc != AMQP_STATUS_OK) throw std::runtime_error(std::string("broker_admin: confirm: ") + amqp_error_string2(rc));
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
      auto* a = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
      if (a->delivery_tag >= seq) break;
    } else if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
      throw std::runtime_error("broker_admin: publish nacked");
    } else if (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD) {
      throw std::runtime_error("broker_admin: channel closed while publishing");
    }
  }
  amqp_maybe_release_buffers(state_->conn);
}

std::optional<got_message> broker_admin::get(const std::string& queue) {
  amqp_rpc_reply_t r = amqp_basic_get(state_->conn, admin_channel, amqp::to_bytes(queue), /*no_ack=*/1);
  if (r.reply_type != AMQP_RESPONSE_NORMAL) throw std::runtime_error("broker_admin: basic.get: " + describe(r));
  if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return std::nullopt;
  auto* ok = static_cast<amqp_basic_get_ok_t*>(r.reply.decoded);
  got_message m;
  m.exchange = std::string(amqp::to_string_view(ok->exchange));
  m.routing_key = std::string(amqp::to_string_view(ok->routing_key));
  m.redelivered = ok->redelivered != 0;
  amqp_message_t message;
  r = amqp_read_message(state_->conn, admin_channel, &message, 0);
  if (r.reply_type != AMQP_RESPONSE_NORMAL) throw std::runtime_error("broker_admin: read message: " + describe(r));
  m.body = std::string(amqp::to_string_view(message.body));
  m.properties = amqp::properties_from_amqp(message.properties);
  amqp_destroy_message(&message);
  amqp_maybe_release_buffers(state_->conn);
  return m;
}

std::uint32_t broker_admin::message_count(const std::string& queue) {
  amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(state_->conn, admin_channel, amqp::to_bytes(queue), /*passive=*/1, 0, 0, 0, amqp_empty_table);
  check("queue.declare (passive)");
  return ok->message_count;
}

}  // namespace oauth2_rest::testing
