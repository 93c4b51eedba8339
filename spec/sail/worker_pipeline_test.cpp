// The worker's message pipeline in process, on the in-memory transport (no broker): what it
// publishes for a delivery and how it settles it, including the publish outcomes a broker
// produces (unroutable, refused) and duplicate message ids on one session.
#include "sail/worker.hpp"

#include "amqp/error.hpp"
#include "sail/message_codec.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/memory_transport.hpp"
#include "support/worker_env.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>

namespace oauth2_rest::sail {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* password = "testCryptoPassword";
constexpr const char* iv = "iv=any16_symbols";

class worker_pipeline_test : public ::testing::Test {
 protected:
  testing::demo_api api_server;
  testing::http_server server{api_server.as_handler()};
  boost::asio::io_context io;
  http::client http{io.get_executor()};
  message_cipher cipher{password, iv};
  settings s;
  std::unique_ptr<platform_api> platform;
  testing::memory_transport* transport = nullptr;
  std::unique_ptr<worker> w;

  void start(std::map<std::string, std::string> extra = {}) {
    testing::worker_env_options o;
    o.api_uri = server.base_url();
    o.listen_queue = "in";
    o.exchange = "ex";
    o.crypto_password = password;
    o.crypto_iv = iv;
    auto env = testing::worker_env(o);
    for (auto& [k, v] : extra) env[k] = v;
    s = load_settings([&](const char* name) -> const char* {
      auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    });
    platform = std::make_unique<platform_api>(http, s);
    step_info step;
    step.config = json::object{{"tokenUrl", server.base_url() + "/oauth/token"},
                               {"username", "demo-client"},
                               {"password", "demo-secret"},
                               {"baseUrl", server.base_url() + "/api"},
                               {"errorTolerance", "noErrors"}};
    auto created = action::http_request_action::create(http, step.config);
    ASSERT_TRUE(created) << created.error().message;
    auto t = std::make_unique<testing::memory_transport>(io.get_executor());
    transport = t.get();
    w = std::make_unique<worker>(io, s, std::move(step), *platform, std::move(created).value(), "", std::move(t));
    w->start();
  }

  void deliver(std::uint64_t tag, const std::string& message_id, const std::string& url, std::uint64_t session = 1,
               bool redelivered = false) {
    amqp::delivery d;
    d.session = session;
    d.delivery_tag = tag;
    d.redelivered = redelivered;
    d.body = encode_message(json::object{{"body", json::object{{"url", url}, {"method", "GET"}}}}, 1, cipher);
    d.properties.headers["messageId"] = message_id;
    transport->deliver(std::move(d));
  }

  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (io.stopped()) io.restart();  // it ran out of work last time (nothing like a socket keeps it busy)
      io.run_for(5ms);
    }
    return true;
  }

  std::size_t published_to(const std::string& routing_key) const {
    std::size_t n = 0;
    for (auto& m : transport->published) n += m->routing_key == routing_key;
    return n;
  }
};

TEST_F(worker_pipeline_test, a_message_is_acked_after_its_output_is_confirmed) {
  start();
  deliver(1, "m-1", "/items/1");
  ASSERT_TRUE(run_until([&] { return transport->settles.size() == 1; }));
  EXPECT_EQ(published_to(s.data_routing_key), 1u);
  EXPECT_TRUE(transport->settles[0].ack);
  EXPECT_EQ(transport->settles[0].tag, 1u);
}

TEST_F(worker_pipeline_test, an_unroutable_output_is_retried_then_the_input_goes_back_to_the_queue) {
  start({{"ELASTICIO_AMQP_PUBLISH_RETRY_ATTEMPTS", "2"}, {"ELASTICIO_AMQP_PUBLISH_RETRY_DELAY", "1"}});
  for (int i = 0; i < 3; ++i)
    transport->publish_results.push_back(failure{make_error_code(amqp::error::unroutable), "no binding"});
  deliver(1, "m-1", "/items/1");
  ASSERT_TRUE(run_until([&] { return transport->settles.size() == 1; }));
  EXPECT_EQ(published_to(s.data_routing_key), 3u);  // the first try and two retries
  EXPECT_FALSE(transport->settles[0].ack);
  EXPECT_TRUE(transport->settles[0].requeue);
}

TEST_F(worker_pipeline_test, an_output_the_broker_refuses_becomes_an_error_record_and_the_input_is_rejected) {
  start();
  transport->publish_results.push_back(failure{make_error_code(amqp::error::refused), "406 PRECONDITION_FAILED"});
  deliver(1, "m-1", "/items/1");
  ASSERT_TRUE(run_until([&] { return transport->settles.size() == 1; }));
  EXPECT_EQ(published_to(s.data_routing_key), 1u);  // not retried
  ASSERT_EQ(published_to(s.error_routing_key), 1u);
  EXPECT_FALSE(transport->settles[0].ack);
  EXPECT_FALSE(transport->settles[0].requeue);
}

TEST_F(worker_pipeline_test, two_messages_with_one_id_on_one_session_are_both_run_and_settled_by_their_own_tags) {
  start();
  deliver(1, "same", "/items/1");
  deliver(2, "same", "/items/2", 1, /*redelivered=*/true);  // redelivered, but on the same session
  ASSERT_TRUE(run_until([&] { return transport->settles.size() == 2; }));
  EXPECT_EQ(published_to(s.data_routing_key), 2u);
  std::vector<std::uint64_t> tags{transport->settles[0].tag, transport->settles[1].tag};
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(worker_pipeline_test, a_finished_message_redelivered_on_a_newer_session_is_settled_again_without_running) {
  start();
  deliver(1, "m-1", "/items/1", 1);
  ASSERT_TRUE(run_until([&] { return transport->settles.size() == 1; }));
  const auto calls = api_server.api_requests();
  // The ack went to session 1, which "died": the copy comes back on session 2.
  transport->session = 2;
  deliver(1, "m-1", "/items/1", 2, true);
  ASSERT_TRUE(run_until([&] { return transport->settles.size() == 2; }));
  EXPECT_EQ(api_server.api_requests(), calls);
  EXPECT_TRUE(transport->settles[1].ack);
  EXPECT_EQ(transport->settles[1].session, 2u);
  // A rebound copy of it (next iteration) is another delivery: it runs.
  amqp::delivery copy;
  copy.session = 2;
  copy.delivery_tag = 2;
  copy.redelivered = true;
  copy.body = encode_message(json::object{{"body", json::object{{"url", "/items/1"}, {"method", "GET"}}}}, 1, cipher);
  copy.properties.headers["messageId"] = "m-1";
  copy.properties.headers["reboundIteration"] = 1;
  transport->deliver(std::move(copy));
  ASSERT_TRUE(run_until([&] { return transport->settles.size() == 3; }));
  EXPECT_EQ(api_server.api_requests(), calls + 1);
}

// A lightweight message: the body (and a passthrough entry's body) live in object storage.
class lightweight_test : public worker_pipeline_test {
 protected:
  std::mutex mutex;
  std::vector<testing::recorded_request> storage_requests;
  int failures_left = 0;
  testing::http_server storage{[this](const testing::recorded_request& r) {
    std::lock_guard lock(mutex);
    storage_requests.push_back(r);
    testing::reply out;
    if (failures_left > 0) {
      --failures_left;
      out.status = 503;
      return out;
    }
    out.body = cipher.encrypt(r.path() == "/objects/obj-body" ? R"({"url":"/items/1","method":"GET"})"
                                                               : R"({"from":"earlier step"})");
    out.headers.push_back({"Content-Type", "application/octet-stream"});
    return out;
  }};

  void deliver_lightweight(std::uint64_t tag) {
    json::object message{{"body", json::object{}},
                         {"headers", json::object{{"x-ipaas-object-storage-id", "obj-body"}}},
                         {"passthrough", json::object{{"step_1", json::object{{"body", json::object{}},
                                                                               {"headers", json::object{{"x-ipaas-object-storage-id", "obj-pt"}}}}}}}};
    amqp::delivery d;
    d.session = 1;
    d.delivery_tag = tag;
    d.body = encode_message(message, 1, cipher);
    d.properties.headers["messageId"] = "light-1";
    transport->deliver(std::move(d));
  }
  std::size_t storage_calls() {
    std::lock_guard lock(mutex);
    return storage_requests.size();
  }
};

TEST_F(lightweight_test, the_body_is_fetched_from_object_storage_before_the_action_runs) {
  start({{"ELASTICIO_OBJECT_STORAGE_URI", storage.base_url() + "/"}, {"ELASTICIO_OBJECT_STORAGE_TOKEN", "storage-token"}});
  deliver_lightweight(1);
  ASSERT_TRUE(run_until([&] { return transport->settles.size() == 1; }));
  EXPECT_TRUE(transport->settles[0].ack);
  ASSERT_EQ(published_to(s.data_routing_key), 1u);
  ASSERT_EQ(storage_calls(), 2u);
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(storage_requests[0].path(), "/objects/obj-body");
    EXPECT_EQ(storage_requests[1].path(), "/objects/obj-pt");
    EXPECT_EQ(storage_requests[0].header("Authorization"), "Bearer storage-token");
    EXPECT_EQ(storage_requests[0].header("x-request-id"), "f:flow-1;s:" + s.step_id + ";m:light-1");
  }
  // The action called the URL the stored body names.
  auto out = decode_message(transport->published[0]->body, 1, cipher);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->at("body").at("statusCode").to_number<int>(), 200);
}

TEST_F(lightweight_test, storage_answering_5xx_is_retried_twice_then_the_message_is_an_error_not_run_on_an_empty_body) {
  start({{"ELASTICIO_OBJECT_STORAGE_URI", storage.base_url()}, {"ELASTICIO_OBJECT_STORAGE_TOKEN", "storage-token"}});
  failures_left = 100;
  const auto calls = api_server.api_requests();
  deliver_lightweight(1);
  ASSERT_TRUE(run_until([&] { return transport->settles.size() == 1; }));
  EXPECT_EQ(storage_calls(), 3u);
  EXPECT_EQ(api_server.api_requests(), calls);  // the action never ran
  EXPECT_EQ(published_to(s.data_routing_key), 0u);
  ASSERT_EQ(published_to(s.error_routing_key), 1u);
  EXPECT_FALSE(transport->settles[0].ack);
  EXPECT_FALSE(transport->settles[0].requeue);
  auto record = decode_error_record(transport->published[0]->body, cipher);
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_NE(json::serialize(*record).find("Failed to get message body with id=obj-body"), std::string::npos)
      << json::serialize(*record);
}

TEST_F(lightweight_test, without_object_storage_configured_a_lightweight_message_is_an_error) {
  start();
  deliver_lightweight(1);
  ASSERT_TRUE(run_until([&] { return transport->settles.size() == 1; }));
  EXPECT_EQ(published_to(s.error_routing_key), 1u);
  EXPECT_EQ(published_to(s.data_routing_key), 0u);
  EXPECT_FALSE(transport->settles[0].ack);
}

TEST_F(worker_pipeline_test, shutdown_stops_consuming_drains_and_closes_the_transport) {
  start();
  deliver(1, "m-1", "/items/1");
  bool done = false;
  ASSERT_TRUE(run_until([&] { return transport->settles.size() == 1; }));
  w->shutdown([&] { done = true; });
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_TRUE(transport->consuming_stopped);
  EXPECT_TRUE(transport->closed);
}

}  // namespace
}  // namespace oauth2_rest::sail
