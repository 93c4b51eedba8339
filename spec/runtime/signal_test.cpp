// Stop signals end to end, with the built executable and a real RabbitMQ: a first SIGTERM or
// SIGINT drains (stop consuming, finish what is in flight, at most OAUTH2_REST_DRAIN_TIMEOUT_MS);
// a second one exits at once without acking what was unfinished, so the broker requeues it.
#include "sail/message_cipher.hpp"
#include "support/broker.hpp"
#include "support/child_process.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"
#include "support/worker_env.hpp"
#include "util/base64.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <mutex>
#include <ostream>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::recorded_request;
using testing::reply;

constexpr const char* password = "testCryptoPassword";
constexpr const char* iv = "iv=any16_symbols";

struct signal_pair {
  int first;
  int second;
};

void PrintTo(const signal_pair& p, std::ostream* os) { *os << "signal " << p.first << " then " << p.second; }

class signal_test : public ::testing::TestWithParam<signal_pair> {
 protected:
  testing::temp_dir dir;
  testing::demo_api api;
  std::atomic<int> slow_calls{0};
  // /api/slow never answers (until the server stops): the message stays in flight.
  testing::http_server api_server{[this](const recorded_request& r) {
    if (r.path() == "/api/slow") {
      ++slow_calls;
      return reply{.action = reply::kind::hang};
    }
    return api.handle(r);
  }};
  std::mutex mutex;
  json::object step{{"id", "step_2"}, {"comp_id", "comp-1"}, {"function", "httpRequest"}};
  testing::http_server platform{[this](const recorded_request& r) {
    std::lock_guard lock(mutex);
    if (r.method == "GET" && r.path() == "/v1/tasks/flow-1/steps/step_2") return reply::json(200, json::serialize(step));
    if (r.method == "PATCH" && r.path().starts_with("/v2/credentials/")) return reply::json(200, R"({"data":{}})");
    return reply::json(404, R"({"error":"not found"})");
  }};

  sail::message_cipher cipher{password, iv};
  testing::broker_admin admin;
  std::string in_queue = testing::unique_name("sig-in");
  std::string exchange = testing::unique_name("sig-exchange");
  std::string data_queue = testing::unique_name("sig-data");
  std::string error_queue = testing::unique_name("sig-errors");

  void SetUp() override {
    admin.declare_exchange(exchange);
    for (const auto& q : {in_queue, data_queue, error_queue}) admin.declare_queue(q);
    admin.bind(data_queue, exchange, "data-key");
    admin.bind(error_queue, exchange, "error-key");
    std::lock_guard lock(mutex);
    // requestTimeout 10 minutes: the API call outlasts the test unless the worker is stopped.
    step["config"] = json::object{{"tokenUrl", api_server.base_url() + "/oauth/token"},
                                  {"username", "demo-client"},
                                  {"password", "demo-secret"},
                                  {"baseUrl", api_server.base_url() + "/api"},
                                  {"errorTolerance", "noErrors"},
                                  {"requestTimeout", "600"},
                                  {"_account", "cred-1"}};
  }
  void TearDown() override {
    for (const auto& q : {in_queue, data_queue, error_queue}) admin.delete_queue(q);
    admin.delete_exchange(exchange);
  }

  std::unique_ptr<testing::child_process> start() {
    auto env = testing::worker_env({.api_uri = platform.base_url(), .listen_queue = in_queue, .exchange = exchange,
                                    .crypto_password = password, .crypto_iv = iv});
    env["OAUTH2_REST_DRAIN_TIMEOUT_MS"] = "600000";  // a drain that would outlast the test
    return std::make_unique<testing::child_process>(OAUTH2_REST_BINARY, std::vector<std::string>{"sail"}, env,
                                                    dir.path());
  }

  void publish(const std::string& id, const std::string& url) {
    json::object payload{{"id", id}, {"body", {{"url", url}, {"method", "GET"}}}, {"headers", json::object{}}};
    amqp::message_properties props;
    props.headers = json::object{{"execId", "exec-1"}, {"taskId", "flow-1"}, {"userId", "user-1"},
                                 {"threadId", "T1"},   {"stepId", "step_1"}, {"messageId", id}};
    props.content_type = "application/json";
    admin.publish("", in_queue, base64_encode(cipher.encrypt(json::serialize(payload))), props);
  }
};

TEST_P(signal_test, a_second_stop_signal_exits_at_once_leaving_the_message_in_the_queue) {
  const auto [first, second] = GetParam();
  auto w = start();
  publish("stuck", "/slow");
  ASSERT_TRUE(testing::eventually([&] { return slow_calls.load() == 1; }, 30s)) << w->out();
  ASSERT_TRUE(testing::eventually([&] { return testing::queue_counts_of(in_queue).unacked == 1; }, 10s));

  w->signal(first);
  ASSERT_TRUE(testing::eventually([&] { return w->out().find("received a stop signal") != std::string::npos; }, 10s))
      << w->out();
  EXPECT_FALSE(w->wait(1500ms).has_value()) << "the first signal drains: the stuck message keeps the worker up";

  const auto sent = std::chrono::steady_clock::now();
  w->signal(second);
  auto code = w->wait(10s);
  ASSERT_TRUE(code.has_value()) << "the second signal was ignored; log:\n" << w->out();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 10s);
  EXPECT_EQ(*code, 128 + second) << "exit status as after an unhandled signal: 128 + its number";
  EXPECT_NE(w->out().find("second signal: exiting at once"), std::string::npos) << w->out();

  // Nothing was acked: the broker requeues the delivery of the closed connection.
  ASSERT_TRUE(testing::eventually([&] {
    auto c = testing::queue_counts_of(in_queue);
    return c.ready == 1 && c.unacked == 0;
  }, 20s)) << "the message did not return to the queue";
  EXPECT_EQ(admin.message_count(data_queue), 0u);
  EXPECT_EQ(admin.message_count(error_queue), 0u);
  EXPECT_EQ(slow_calls.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(term_and_int, signal_test,
                         ::testing::Values(signal_pair{SIGTERM, SIGTERM}, signal_pair{SIGINT, SIGTERM},
                                           signal_pair{SIGTERM, SIGINT}),
                         [](const ::testing::TestParamInfo<signal_pair>& case_info) {
                           auto name = [](int s) { return s == SIGTERM ? std::string("term") : std::string("int"); };
                           return name(case_info.param.first) + "_then_" + name(case_info.param.second);
                         });

}  // namespace
}  // namespace oauth2_rest
