// Lightweight messages end to end (platform-protocol section 8): `oauth2-rest sail` on a real
// RabbitMQ with the project's object storage server (spec/support/object_storage) on loopback.
// - Output: with ELASTICIO_EMIT_LIGHTWEIGHT_MESSAGE a data message over the threshold has its
//   body in object storage (the stored bytes decrypt to it) and carries the id; under it, inline.
// - Faults of object storage (down, slow, 5xx, 404) for the fetch of an input's body and the
//   store of an output's: an error record naming what failed, the input rejected (it reaches the
//   input queue's dead-letter queue, which an acked message never does), nothing run on an
//   empty body; 5xx then success within the retries is processed normally.
// - Interop with the reference runtime (elasticio-sailor-nodejs 2.7.8 under node, needs
//   OAUTH2_REST_REFERENCE_RUNTIME) on the same broker and storage, both directions, with the
//   test component in spec/runtime/reference-component.
#include "sail/message_cipher.hpp"
#include "support/broker.hpp"
#include "support/child_process.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/object_storage.hpp"
#include "support/temp_dir.hpp"
#include "support/worker_env.hpp"
#include "util/base64.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::recorded_request;
using testing::reply;

constexpr const char* password = "testCryptoPassword";
constexpr const char* iv = "iv=any16_symbols";
constexpr const char* storage_token = "storage-token-secret";
constexpr const char* id_header = "x-ipaas-object-storage-id";

class lightweight_messages : public ::testing::Test {
 protected:
  testing::temp_dir dir;
  testing::demo_api api;
  testing::http_server api_server{[this](const recorded_request& r) {
    if (r.path() == "/api/big") {
      // A JSON string of n characters (?n=...), to make outputs of a chosen size.
      auto n = std::stoul(r.query().substr(r.query().find('=') + 1));
      api.handle(r);  // counted and authorised as any /api call
      return reply::json(200, "\"" + std::string(n, 'x') + "\"");
    }
    return api.handle(r);
  }};

  std::mutex mutex;
  bool is_passthrough = false;
  testing::http_server platform{[this](const recorded_request& r) {
    // Step info for any step of flow-1: ours (step_2) and the reference runtime's.
    constexpr std::string_view prefix = "/v1/tasks/flow-1/steps/";
    if (r.method != "GET" || !r.path().starts_with(prefix)) return reply::json(404, R"({"error":"not found"})");
    std::lock_guard lock(mutex);
    json::object step{{"id", r.path().substr(prefix.size())},
                      {"comp_id", "comp-1"},
                      {"config", {{"tokenUrl", api_server.base_url() + "/oauth/token"},
                                  {"username", "demo-client"},
                                  {"password", "demo-secret"},
                                  {"baseUrl", api_server.base_url() + "/api"},
                                  {"errorTolerance", "noErrors"}}},
                      {"is_passthrough", is_passthrough}};
    return reply::json(200, json::serialize(step));
  }};

  testing::object_storage storage{storage_token};
  sail::message_cipher cipher{password, iv};
  testing::broker_admin admin;
  std::string exchange = testing::unique_name("exchange");
  std::string in_queue = testing::unique_name("in");
  std::string dead_queue = testing::unique_name("dead");  // the input queue's rejected messages
  std::string data_queue = testing::unique_name("data");
  std::string error_queue = testing::unique_name("errors");
  std::string ref_in = testing::unique_name("ref-in");
  std::string ref_out = testing::unique_name("ref-out");

  void SetUp() override {
    admin.declare_exchange(exchange);
    admin.declare_queue(dead_queue);
    admin.declare_queue(in_queue, {{"x-dead-letter-exchange", ""}, {"x-dead-letter-routing-key", dead_queue}});
    for (const auto& q : {data_queue, error_queue, ref_in, ref_out}) admin.declare_queue(q);
    admin.bind(data_queue, exchange, "data-key");
    admin.bind(error_queue, exchange, "error-key");
    admin.bind(in_queue, exchange, "to-ours");  // the reference step's output is our input
    admin.bind(ref_in, exchange, "to-ref");     // our output is the reference step's input
    admin.bind(ref_out, exchange, "ref-out");
  }
  void TearDown() override {
    for (const auto& q : {in_queue, dead_queue, data_queue, error_queue, ref_in, ref_out}) admin.delete_queue(q);
    admin.delete_exchange(exchange);
  }

  std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) {
    auto e = testing::worker_env({.api_uri = platform.base_url(), .listen_queue = in_queue, .exchange = exchange,
                                  .crypto_password = password, .crypto_iv = iv});
    e["ELASTICIO_OBJECT_STORAGE_URI"] = storage.base_url();
    e["ELASTICIO_OBJECT_STORAGE_TOKEN"] = storage_token;
    for (auto& [k, v] : extra) e[k] = v;
    return e;
  }

  std::unique_ptr<testing::child_process> start(std::map<std::string, std::string> extra = {}) {
    return std::make_unique<testing::child_process>(OAUTH2_REST_BINARY, std::vector<std::string>{"sail"},
                                                    env(std::move(extra)), dir.path());
  }

  static std::map<std::string, std::string> emitting(std::string threshold) {
    return {{"ELASTICIO_EMIT_LIGHTWEIGHT_MESSAGE", "true"}, {"ELASTICIO_OBJECT_STORAGE_SIZE_THRESHOLD", threshold}};
  }

  static json::object headers_for(const std::string& message_id) {
    return {{"execId", "exec-1"}, {"taskId", "flow-1"}, {"workspaceId", "workspace-1"}, {"userId", "user-1"},
            {"threadId", "T1"},   {"stepId", "step_1"}, {"messageId", message_id},     {"parentMessageId", "P0"}};
  }

  // Publishes the message encrypted as the platform does (protocol 1: base64).
  void publish_to(const std::string& queue, const json::object& message, json::object headers) {
    amqp::message_properties props;
    props.headers = std::move(headers);
    props.content_type = "application/json";
    admin.publish("", queue, base64_encode(cipher.encrypt(json::serialize(message))), props);
  }
  void publish(const json::object& message, const std::string& message_id) {
    publish_to(in_queue, message, headers_for(message_id));
  }
  // A lightweight input: its body is in object storage, the message names it. Returns the id.
  std::string publish_lightweight(const json::object& body, const std::string& message_id) {
    auto id = storage.put(cipher.encrypt(json::serialize(body)));
    publish({{"body", json::object{}}, {"headers", {{id_header, id}}}}, message_id);
    return id;
  }

  std::optional<testing::got_message> take(const std::string& queue, std::chrono::milliseconds timeout = 30s) {
    std::optional<testing::got_message> got;
    testing::eventually([&] { return (got = admin.get(queue)).has_value(); }, timeout);
    return got;
  }
  json::object decrypt_text(const std::string& base64_text) {
    auto bytes = base64_decode(base64_text);
    EXPECT_TRUE(bytes.has_value());
    auto plain = cipher.decrypt(bytes.value_or(""));
    EXPECT_TRUE(plain);
    return json::parse(plain ? *plain : "{}").as_object();
  }
  // What object storage holds under `id`, decrypted and parsed.
  json::value stored(const std::string& id) {
    auto bytes = storage.object(id);
    EXPECT_TRUE(bytes.has_value()) << "no object " << id;
    auto plain = cipher.decrypt(bytes.value_or(""));
    EXPECT_TRUE(plain) << "the stored object does not decrypt";
    return json::parse(plain ? *plain : "null");
  }
  // The error record's error message, decrypted.
  std::string error_message(const testing::got_message& got) {
    auto record = json::parse(got.body).as_object();
    return std::string(decrypt_text(std::string(record.at("error").as_string())).at("message").as_string());
  }
  bool input_drained() {
    auto c = testing::queue_counts_of(in_queue);
    return c.ready == 0 && c.unacked == 0;
  }
  // Acked: gone from the input queue and not dead-lettered.
  void expect_acked() {
    EXPECT_TRUE(testing::eventually([&] { return input_drained(); })) << "input not settled";
    EXPECT_EQ(admin.message_count(dead_queue), 0u) << "input rejected";
  }
  // Rejected without requeue: dead-lettered, nothing published as data.
  void expect_rejected() {
    EXPECT_TRUE(testing::eventually([&] { return admin.message_count(dead_queue) == 1; })) << "input not rejected";
    EXPECT_TRUE(input_drained());
    EXPECT_EQ(admin.message_count(data_queue), 0u);
  }

  std::string reference_run_js() {
    const char* prefix = std::getenv("OAUTH2_REST_REFERENCE_RUNTIME");
    if (prefix == nullptr || *prefix == '\0') return {};
    auto run = std::filesystem::path(prefix) / "node_modules/elasticio-sailor-nodejs/run.js";
    return std::filesystem::exists(run) ? run.string() : std::string();
  }
  // The reference runtime as step `step_id` running `function` of spec/runtime/reference-component
  // (it loads the component from its working directory).
  std::unique_ptr<testing::child_process> start_reference(const std::string& run_js, const std::string& step_id,
                                                          const std::string& function,
                                                          std::map<std::string, std::string> extra) {
    auto e = env(std::move(extra));
    e["ELASTICIO_STEP_ID"] = step_id;
    e["ELASTICIO_FUNCTION"] = function;
    e["ELASTICIO_COMPONENT_PATH"] = ".";
    e["LOG_LEVEL"] = "info";
    const std::string component = OAUTH2_REST_SOURCE_DIR "/spec/runtime/reference-component";
    return std::make_unique<testing::child_process>(
        "/bin/sh", std::vector<std::string>{"-c", "cd \"$0\" && exec node \"$1\"", component, run_js}, e, dir.path());
  }
};

// --- output -------------------------------------------------------------------------------------

TEST_F(lightweight_messages, an_output_over_the_threshold_is_stored_and_the_message_carries_its_id) {
  auto w = start(emitting("1000"));
  publish({{"body", {{"url", "/big?n=5000"}, {"method", "GET"}}}}, "M1");
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out();
  auto payload = decrypt_text(got->body);
  EXPECT_EQ(payload.at("body"), json::object{});
  const auto& headers = payload.at("headers").as_object();
  ASSERT_TRUE(headers.contains(id_header)) << json::serialize(payload);
  const std::string id(headers.at(id_header).as_string());
  // The stored bytes are the encrypted body.
  auto body = stored(id);
  EXPECT_EQ(body.at("statusCode").to_number<int>(), 200);
  EXPECT_EQ(body.at("body").as_string().size(), 5000u);

  auto posts = storage.requests();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].method, "POST");
  EXPECT_EQ(posts[0].path(), "/objects");
  EXPECT_EQ(posts[0].header("Authorization"), std::string("Bearer ") + storage_token);
  EXPECT_EQ(posts[0].header("Content-Type"), "application/json");
  EXPECT_EQ(posts[0].header("x-request-id"), "f:flow-1;s:step_2;m:M1");
  expect_acked();
  EXPECT_EQ(w->out().find(storage_token), std::string::npos) << "storage token in the logs";
}

TEST_F(lightweight_messages, an_output_under_the_threshold_is_sent_inline) {
  auto w = start(emitting("3000"));
  publish({{"body", {{"url", "/big?n=5000"}, {"method", "GET"}}}}, "M1");  // over: stored
  auto big = take(data_queue);
  ASSERT_TRUE(big) << w->out();
  EXPECT_TRUE(decrypt_text(big->body).at("headers").as_object().contains(id_header));
  ASSERT_EQ(storage.request_count("POST"), 1u);
  publish({{"body", {{"url", "/big?n=100"}, {"method", "GET"}}}}, "M2");  // under: inline
  auto small = take(data_queue);
  ASSERT_TRUE(small) << w->out();
  auto payload = decrypt_text(small->body);
  EXPECT_EQ(payload.at("body").at("body").as_string().size(), 100u);
  EXPECT_FALSE(payload.at("headers").as_object().contains(id_header));
  EXPECT_EQ(storage.request_count("POST"), 1u);
  expect_acked();
}

// Node's boolean rule (sailor-nodejs lib/settings.js): "" and "false" are off, anything else on.
TEST_F(lightweight_messages, emit_lightweight_false_is_off_and_0_is_on) {
  {
    auto w = start({{"ELASTICIO_EMIT_LIGHTWEIGHT_MESSAGE", "false"}, {"ELASTICIO_OBJECT_STORAGE_SIZE_THRESHOLD", "10"}});
    publish({{"body", {{"url", "/big?n=5000"}, {"method", "GET"}}}}, "M1");
    auto got = take(data_queue);
    ASSERT_TRUE(got) << w->out();
    EXPECT_EQ(decrypt_text(got->body).at("body").at("body").as_string().size(), 5000u);
    EXPECT_EQ(storage.request_count("POST"), 0u);
  }
  auto w = start({{"ELASTICIO_EMIT_LIGHTWEIGHT_MESSAGE", "0"}, {"ELASTICIO_OBJECT_STORAGE_SIZE_THRESHOLD", "10"}});
  publish({{"body", {{"url", "/big?n=5000"}, {"method", "GET"}}}}, "M2");
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out();
  EXPECT_TRUE(decrypt_text(got->body).at("headers").as_object().contains(id_header));
  EXPECT_EQ(storage.request_count("POST"), 1u);
  expect_acked();
}

TEST_F(lightweight_messages, passthrough_bodies_already_stored_are_reused_and_the_own_entry_refers_to_the_body) {
  {
    std::lock_guard lock(mutex);
    is_passthrough = true;
  }
  auto earlier = storage.put(cipher.encrypt(R"({"from":"step 1"})"));
  auto input = storage.put(cipher.encrypt(R"({"url":"/big?n=3000","method":"GET"})"));
  auto w = start(emitting("1000"));
  // A lightweight input whose passthrough entry is lightweight too.
  publish({{"body", json::object{}},
           {"headers", {{id_header, input}}},
           {"passthrough", {{"step_1", {{"body", json::object{}}, {"headers", {{id_header, earlier}}}}}}}},
          "M1");
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out();
  auto payload = decrypt_text(got->body);
  const std::string id(payload.at("headers").at(id_header).as_string());
  EXPECT_EQ(payload.at("body"), json::object{});
  EXPECT_EQ(stored(id).at("body").as_string().size(), 3000u);
  const auto& pt = payload.at("passthrough").as_object();
  EXPECT_EQ(pt.at("step_1").at("body"), json::object{});
  EXPECT_EQ(pt.at("step_1").at("headers").at(id_header).as_string(), earlier) << "not reused";
  EXPECT_EQ(pt.at("step_2").at("body"), json::object{});
  EXPECT_EQ(pt.at("step_2").at("headers").at(id_header).as_string(), id);
  EXPECT_EQ(storage.request_count("POST"), 1u) << "only this step's body is new";
  expect_acked();
}

// --- faults: storing an output ------------------------------------------------------------------

class lightweight_store_fault : public lightweight_messages {
 protected:
  // Runs one message whose output must be stored; expects an error record and the input rejected.
  void expect_store_failure(std::map<std::string, std::string> extra = {}) {
    auto e = emitting("1000");
    for (auto& [k, v] : extra) e[k] = v;
    auto w = start(e);
    publish({{"body", {{"url", "/big?n=5000"}, {"method", "GET"}}}}, "M1");
    auto got = take(error_queue);
    ASSERT_TRUE(got) << w->out();
    EXPECT_NE(error_message(*got).find("Lightweight message/passthrough body upload error"), std::string::npos)
        << error_message(*got);
    expect_rejected();
  }
};

TEST_F(lightweight_store_fault, storage_down) {
  storage.down();
  expect_store_failure();
}

TEST_F(lightweight_store_fault, storage_answering_5xx_is_retried_twice_then_an_error) {
  storage.fail_next(100, 503);
  expect_store_failure();
  EXPECT_EQ(storage.request_count("POST"), 3u);
  EXPECT_EQ(storage.object_count(), 0u);
}

TEST_F(lightweight_store_fault, storage_slower_than_the_timeout_is_retried_then_an_error) {
  storage.slow(1500ms);
  expect_store_failure({{"REQUEST_TIMEOUT", "500"}});
  EXPECT_EQ(storage.request_count("POST"), 3u);
}

TEST_F(lightweight_store_fault, storage_refusing_with_4xx_is_an_error_at_once) {
  storage.fail_next(1, 403);
  expect_store_failure();
  EXPECT_EQ(storage.request_count("POST"), 1u);
}

TEST_F(lightweight_messages, a_store_answering_5xx_then_success_within_the_retries_is_processed_normally) {
  storage.fail_next(2, 502);
  auto w = start(emitting("1000"));
  publish({{"body", {{"url", "/big?n=5000"}, {"method", "GET"}}}}, "M1");
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out();
  auto payload = decrypt_text(got->body);
  EXPECT_EQ(stored(std::string(payload.at("headers").at(id_header).as_string())).at("body").as_string().size(), 5000u);
  EXPECT_EQ(storage.request_count("POST"), 3u);
  expect_acked();
  EXPECT_EQ(admin.message_count(error_queue), 0u);
}

// --- faults: fetching an input's body -----------------------------------------------------------

class lightweight_fetch_fault : public lightweight_messages {
 protected:
  // One lightweight input the worker cannot fetch: an error record naming the object id, the
  // action never run (no empty-body call), the input rejected.
  std::unique_ptr<testing::child_process> w;
  void expect_fetch_failure(std::map<std::string, std::string> extra = {}) {
    w = start(std::move(extra));
    const auto calls = api.api_requests();
    auto id = publish_lightweight({{"url", "/items/1"}, {"method", "GET"}}, "M1");
    auto got = take(error_queue);
    ASSERT_TRUE(got) << w->out();
    EXPECT_NE(error_message(*got).find("Failed to get message body with id=" + id), std::string::npos)
        << error_message(*got);
    expect_rejected();
    EXPECT_EQ(api.api_requests(), calls) << "the action ran without its body";
  }
};

TEST_F(lightweight_fetch_fault, storage_down) {
  storage.down();
  expect_fetch_failure();
  // Back up: the next lightweight message is processed with its body.
  storage.up();
  publish_lightweight({{"url", "/items/1"}, {"method", "GET"}}, "M2");
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out();
  EXPECT_EQ(decrypt_text(got->body).at("body").at("body").at("name").as_string(), "Anvil");
}

TEST_F(lightweight_fetch_fault, storage_answering_5xx_is_retried_twice_then_an_error) {
  storage.fail_next(100, 500);
  expect_fetch_failure();
  EXPECT_EQ(storage.request_count("GET"), 3u);
}

TEST_F(lightweight_fetch_fault, storage_slower_than_the_timeout_is_retried_then_an_error) {
  storage.slow(1500ms);
  expect_fetch_failure({{"REQUEST_TIMEOUT", "500"}});
  EXPECT_EQ(storage.request_count("GET"), 3u);
}

TEST_F(lightweight_fetch_fault, an_unknown_object_is_an_error_at_once) {
  storage.answer_not_found(true);
  expect_fetch_failure();
  EXPECT_EQ(storage.request_count("GET"), 1u);
}

TEST_F(lightweight_messages, a_fetch_answering_5xx_then_success_within_the_retries_is_processed_normally) {
  storage.fail_next(2, 503);
  auto w = start();
  publish_lightweight({{"url", "/items/1"}, {"method", "GET"}}, "M1");
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out();
  auto payload = decrypt_text(got->body);
  EXPECT_EQ(payload.at("body").at("statusCode").to_number<int>(), 200);
  EXPECT_EQ(payload.at("body").at("body").at("name").as_string(), "Anvil");
  EXPECT_EQ(storage.request_count("GET"), 3u);
  expect_acked();
}

// --- interop with the reference runtime ---------------------------------------------------------

TEST_F(lightweight_messages, the_reference_runtime_emits_a_lightweight_message_that_we_read) {
  auto run_js = reference_run_js();
  ASSERT_FALSE(run_js.empty()) << "set OAUTH2_REST_REFERENCE_RUNTIME (scripts/install-reference-runtime.sh)";
  auto w = start();
  auto e = emitting("1000");
  e["ELASTICIO_LISTEN_MESSAGES_ON"] = ref_in;
  e["ELASTICIO_DATA_ROUTING_KEY"] = "to-ours";
  auto reference = start_reference(run_js, "step_1", "grow", e);
  publish_to(ref_in, {{"body", {{"url", "/items/1"}, {"method", "GET"}, {"padding", 3000}}}}, headers_for("R1"));
  auto got = take(data_queue);
  ASSERT_TRUE(got) << "ours:\n" << w->out() << "\nreference:\n" << reference->out() << reference->err();
  auto payload = decrypt_text(got->body);
  EXPECT_EQ(payload.at("body").at("statusCode").to_number<int>(), 200);
  EXPECT_EQ(payload.at("body").at("body").at("name").as_string(), "Anvil");
  // The reference stored its body; we fetched it.
  auto requests = storage.requests();
  ASSERT_EQ(requests.size(), 2u) << reference->out();
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_NE(requests[0].header("User-Agent").find("axios"), std::string::npos);
  EXPECT_EQ(requests[1].method, "GET");
  const auto ids = storage.object_ids();
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(requests[1].path(), "/objects/" + ids[0]);
  EXPECT_EQ(stored(ids[0]).at("padding").as_string().size(), 3000u);
  expect_acked();
}

TEST_F(lightweight_messages, we_emit_a_lightweight_message_that_the_reference_runtime_reads) {
  auto run_js = reference_run_js();
  ASSERT_FALSE(run_js.empty()) << "set OAUTH2_REST_REFERENCE_RUNTIME (scripts/install-reference-runtime.sh)";
  auto e = emitting("100");
  e["ELASTICIO_DATA_ROUTING_KEY"] = "to-ref";
  auto w = start(e);
  auto reference = start_reference(run_js, "step_3", "report",
                                   {{"ELASTICIO_LISTEN_MESSAGES_ON", ref_in}, {"ELASTICIO_DATA_ROUTING_KEY", "ref-out"}});
  publish({{"body", {{"url", "/items/1"}, {"method", "GET"}}}}, "M1");
  auto got = take(ref_out);
  ASSERT_TRUE(got) << "ours:\n" << w->out() << "\nreference:\n" << reference->out() << reference->err();
  auto payload = decrypt_text(got->body);
  // The reference's step was given our response body, resolved from object storage.
  const auto& received = payload.at("body").at("received");
  EXPECT_EQ(received.at("statusCode").to_number<int>(), 200) << json::serialize(payload);
  EXPECT_EQ(received.at("body").at("name").as_string(), "Anvil");
  const auto ids = storage.object_ids();
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(payload.at("body").at("receivedHeaders").at(id_header).as_string(), ids[0]);
  auto requests = storage.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");  // ours
  EXPECT_EQ(requests[1].method, "GET");   // the reference's
  EXPECT_NE(requests[1].header("User-Agent").find("axios"), std::string::npos);
  expect_acked();
}

}  // namespace
}  // namespace oauth2_rest
