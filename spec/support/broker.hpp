// Test helper for the broker tests: a small synchronous rabbitmq-c client and rabbitmqctl.
//
// It talks to the private test node that scripts/broker.sh starts (the CTest fixture "broker"):
// 127.0.0.1:${OAUTH2_REST_AMQP_PORT:-5673}, guest/guest. Failures throw std::runtime_error, which
// GoogleTest reports as a test failure: this is test code, not the product's error path.
#pragma once

#include "amqp/message.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace oauth2_rest::testing {

std::uint16_t amqp_port();  // env OAUTH2_REST_AMQP_PORT, default 5673
std::string amqp_uri();     // amqp://guest:guest@127.0.0.1:<port>/

// A name unique to this process and call: tests never share queues, even across runs.
std::string unique_name(const std::string& prefix);

// Runs scripts/broker.sh ctl <args...> (rabbitmqctl against the test node); returns its stdout.
// Throws if it exits non-zero.
std::string rabbitmqctl(const std::vector<std::string>& args);

struct broker_connection_info {
  std::string name;             // the broker's name for it ("127.0.0.1:50000 -> 127.0.0.1:5673")
  std::string pid;              // what close_connection takes ("<node.1.2.0>")
  std::string state;            // "running", "blocking", "blocked" (memory alarm), ...
  std::string connection_name;  // the client property, empty when not set
};
// rabbitmqctl list_connections name client_properties state (and pid)
std::vector<broker_connection_info> list_connections();
std::vector<std::string> connection_names();  // the connection_name client properties
// Closes every connection whose client property connection_name is `connection_name`; returns how many.
int close_connection(const std::string& connection_name, const std::string& reason = "test");

// The node's memory alarm (set_vm_memory_high_watermark to a tiny fraction and back to 0.4):
// the broker stops reading from connections that publish, so their publishes stay unconfirmed
// for as long as the alarm lasts. Scoped: cleared on destruction.
class memory_alarm {
 public:
  memory_alarm();
  ~memory_alarm();
  memory_alarm(const memory_alarm&) = delete;
  memory_alarm& operator=(const memory_alarm&) = delete;
};

// Freezes the broker's OS process (SIGSTOP) until destruction (SIGCONT): a peer that is still
// connected but silent, as after a network partition. Only for our private test node.
class frozen_broker {
 public:
  frozen_broker();                      // asks the broker for its pid (rabbitmqctl: seconds)
  explicit frozen_broker(int os_pid);   // freezes at once (pid from broker_os_pid())
  ~frozen_broker();
  frozen_broker(const frozen_broker&) = delete;
  frozen_broker& operator=(const frozen_broker&) = delete;

 private:
  int pid_ = 0;
};

// The broker node's OS process id (rabbitmqctl eval).
int broker_os_pid();

// Messages ready / unacknowledged in a queue (rabbitmqctl list_queues).
struct queue_counts {
  std::uint64_t ready = 0, unacked = 0;
};
queue_counts queue_counts_of(const std::string& queue);

// Polls `condition` every few milliseconds until it holds or `timeout` passes; returns its last value.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(10));

struct got_message {
  std::string exchange, routing_key, body;
  bool redelivered = false;
  amqp::message_properties properties;
};

// One blocking connection with one channel. Not thread-safe (like rabbitmq-c).
class broker_admin {
 public:
  broker_admin();
  ~broker_admin();
  broker_admin(const broker_admin&) = delete;
  broker_admin& operator=(const broker_admin&) = delete;

  // Arguments as JSON (e.g. {"x-max-length": 1}); converted like message headers.
  void declare_queue(const std::string& queue, const boost::json::object& arguments = {});
  void delete_queue(const std::string& queue);
  void purge_queue(const std::string& queue);
  void declare_exchange(const std::string& exchange);  // direct, durable, not auto-delete (as the platform's)
  void delete_exchange(const std::string& exchange);
  void bind(const std::string& queue, const std::string& exchange, const std::string& routing_key);

  void publish(const std::string& exchange, const std::string& routing_key, const std::string& body,
               const amqp::message_properties& properties = {});
  // basic.get with ack (the message leaves the queue); nullopt when the queue is empty.
  std::optional<got_message> get(const std::string& queue);
  // Ready messages (passive queue.declare).
  std::uint32_t message_count(const std::string& queue);

 private:
  void check(const char* what);
  struct state;
  state* state_;
};

}  // namespace oauth2_rest::testing
