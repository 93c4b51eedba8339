// `oauth2-rest sail` end to end: the built executable against a real RabbitMQ, a platform API
// test server and the demo token server and API, all on loopback. Inputs are encrypted and
// outputs decrypted with the wire format of the reference runtime (its own encryptor is
// checked against ours in spec/sail); queues are counted so a lost or duplicated message shows.
#include "support/broker.hpp"
#include "support/child_process.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "sail/message_cipher.hpp"
#include "support/temp_dir.hpp"
#include "support/worker_env.hpp"
#include "util/base64.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <mutex>
#include <set>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::recorded_request;
using testing::reply;

constexpr const char* password = "testCryptoPassword";
constexpr const char* iv = "iv=any16_symbols";

class worker_test : public ::testing::Test {
 protected:
  testing::temp_dir dir;
  testing::demo_api api;
  testing::http_server api_server{[this](const recorded_request& r) {
    if (r.path() == "/api/big") {
      // 11 MiB of JSON: under maxResponseSize (20 MiB), over the 10 MiB outgoing message limit.
      return reply::json(200, "\"" + std::string(11 * 1024 * 1024, 'x') + "\"");
    }
    auto answer = api.handle(r);
    if (r.query().find("slow") != std::string::npos) answer.delay = 800ms;
    return answer;
  }};

  std::mutex mutex;
  json::object step{{"id", "step_2"}, {"comp_id", "comp-1"}, {"function", "httpRequest"}};
  int step_failures = 0;  // how many step info requests fail with 503 first
  std::vector<recorded_request> saves;
  unsigned save_status = 200;  // what PATCH /v2/credentials answers
  std::vector<recorded_request> account_puts;
  std::vector<recorded_request> credential_reads;
  testing::http_server platform{[this](const recorded_request& r) {
    std::lock_guard lock(mutex);
    if (r.method == "GET" && r.path() == "/v1/tasks/flow-1/steps/step_2") {
      if (step_failures > 0) {
        --step_failures;
        return reply::json(503, R"({"error":"try later"})");
      }
      return reply::json(200, json::serialize(step));
    }
    if (r.method == "GET" && r.path() == "/v2/credentials/cred-1/") {
      credential_reads.push_back(r);
      // The credential as the platform holds it: the keys of the last save, if any.
      if (saves.empty()) return reply::json(200, R"({"data":{"id":"cred-1","attributes":{"keys":{}}}})");
      return reply::json(200, saves.back().body);
    }
    if (r.method == "PATCH" && r.path().starts_with("/v2/credentials/")) {
      saves.push_back(r);
      return reply::json(save_status, save_status == 200 ? R"({"data":{}})" : R"({"errors":[{"title":"no"}]})");
    }
    if (r.method == "PUT" && r.path().starts_with("/v1/accounts/")) {
      account_puts.push_back(r);
      return reply::json(200, "{}");
    }
    if (r.method == "POST" && r.path() == "/result") return reply::json(200, "{}");
    return reply::json(404, R"({"error":"not found"})");
  }};

  sail::message_cipher cipher{password, iv};
  testing::broker_admin admin;
  std::string in_queue = testing::unique_name("in");
  std::string exchange = testing::unique_name("exchange");
  std::string data_queue = testing::unique_name("data");
  std::string error_queue = testing::unique_name("errors");
  std::string rebound_queue = testing::unique_name("rebound");

  void SetUp() override {
    admin.declare_exchange(exchange);
    for (const auto& q : {in_queue, data_queue, error_queue, rebound_queue}) admin.declare_queue(q);
    admin.bind(data_queue, exchange, "data-key");
    admin.bind(error_queue, exchange, "error-key");
    admin.bind(rebound_queue, exchange, "rebound-key");
    set_config({});
  }
  void TearDown() override {
    for (const auto& q : {in_queue, data_queue, error_queue, rebound_queue}) admin.delete_queue(q);
    admin.delete_exchange(exchange);
  }

  void set_config(json::object extra, bool passthrough = false) {
    json::object cfg{{"tokenUrl", api_server.base_url() + "/oauth/token"},
                     {"username", "demo-client"},
                     {"password", "demo-secret"},
                     {"baseUrl", api_server.base_url() + "/api"},
                     {"errorTolerance", "noErrors"},
                     {"_account", "cred-1"}};
    for (auto& kv : extra) cfg[kv.key()] = kv.value();
    std::lock_guard lock(mutex);
    step["config"] = cfg;
    step["is_passthrough"] = passthrough;
  }

  std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) {
    auto e = testing::worker_env({.api_uri = platform.base_url(), .listen_queue = in_queue, .exchange = exchange,
                                  .crypto_password = password, .crypto_iv = iv});
    for (auto& [k, v] : extra) e[k] = v;
    return e;
  }

  std::unique_ptr<testing::child_process> start(std::map<std::string, std::string> extra = {}) {
    return std::make_unique<testing::child_process>(OAUTH2_REST_BINARY, std::vector<std::string>{"sail"},
                                                    env(std::move(extra)), dir.path());
  }

  static json::object headers_for(const std::string& message_id) {
    return {{"execId", "exec-1"}, {"taskId", "flow-1"}, {"workspaceId", "workspace-1"}, {"userId", "user-1"},
            {"threadId", "T1"},   {"stepId", "step_1"}, {"messageId", message_id},     {"parentMessageId", "P0"}};
  }

  // Publishes {"body": body, ...} encrypted as the platform does (protocol 1: base64).
  std::string publish(json::object payload, json::object headers, int protocol = 1) {
    auto encrypted = cipher.encrypt(json::serialize(payload));
    std::string body = protocol >= 2 ? encrypted : base64_encode(encrypted);
    if (protocol >= 2) headers["protocolVersion"] = protocol;
    amqp::message_properties props;
    props.headers = std::move(headers);
    props.content_type = "application/json";
    admin.publish("", in_queue, body, props);
    return body;
  }

  std::optional<testing::got_message> take(const std::string& queue, std::chrono::milliseconds timeout = 20s) {
    std::optional<testing::got_message> got;
    testing::eventually([&] { return (got = admin.get(queue)).has_value(); }, timeout);
    return got;
  }

  json::object decrypt(const std::string& body, int protocol = 1) {
    auto bytes = protocol >= 2 ? std::optional<std::string>(body) : base64_decode(body);
    EXPECT_TRUE(bytes.has_value());
    auto plain = cipher.decrypt(bytes.value_or(""));
    EXPECT_TRUE(plain);
    return json::parse(plain ? *plain : "{}").as_object();
  }

  bool input_drained() {
    auto c = testing::queue_counts_of(in_queue);
    return c.ready == 0 && c.unacked == 0;
  }

  static void stop(testing::child_process& w) {
    w.signal(SIGTERM);
    auto code = w.wait(30s);
    ASSERT_TRUE(code.has_value()) << "the worker did not stop";
    EXPECT_EQ(*code, 0) << w.out();
  }
};

TEST_F(worker_test, data_message_has_the_reference_headers_and_the_input_is_acked) {
  auto w = start();
  publish({{"id", "in-1"}, {"body", {{"url", "/items/1"}, {"method", "GET"}}}, {"headers", json::object{}}},
          headers_for("M1"));
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out();
  auto payload = decrypt(got->body);
  EXPECT_EQ(payload.at("body").at("statusCode").as_int64(), 200);
  EXPECT_EQ(payload.at("body").at("body").at("name").as_string(), "Anvil");

  const auto& h = got->properties.headers;
  EXPECT_EQ(h.at("execId").as_string(), "exec-1");
  EXPECT_EQ(h.at("taskId").as_string(), "flow-1");
  EXPECT_EQ(h.at("workspaceId").as_string(), "workspace-1");
  EXPECT_EQ(h.at("containerId").as_string(), "container-1");
  EXPECT_EQ(h.at("userId").as_string(), "user-1");
  EXPECT_EQ(h.at("stepId").as_string(), "step_2");
  EXPECT_EQ(h.at("compId").as_string(), "comp-1");
  EXPECT_EQ(h.at("function").as_string(), "httpRequest");
  EXPECT_EQ(h.at("threadId").as_string(), "T1");
  EXPECT_EQ(h.at("parentMessageId").as_string(), "M1");
  EXPECT_EQ(h.at("protocolVersion").to_number<int>(), 1);
  EXPECT_EQ(h.at("messageId").as_string(), payload.at("id").as_string());
  EXPECT_LE(h.at("start").to_number<std::int64_t>(), h.at("end").to_number<std::int64_t>());
  EXPECT_EQ(got->properties.content_type, "application/json");
  EXPECT_EQ(got->properties.content_encoding, "utf8");
  EXPECT_EQ(got->properties.delivery_mode, 1);

  EXPECT_TRUE(testing::eventually([&] { return input_drained(); })) << "input not acked";
  stop(*w);
  EXPECT_EQ(w->out().find("demo-secret"), std::string::npos) << "client secret in the logs";
  EXPECT_EQ(w->out().find("platform-api-key-secret"), std::string::npos) << "API key in the logs";
  EXPECT_EQ(w->out().find(api.issued_tokens().at(0)), std::string::npos) << "token in the logs";
}

TEST_F(worker_test, a_replica_uses_the_token_another_replica_saved_to_the_credential) {
  // Replica 1 fetches a token and saves it; replica 2, whose step info predates that token,
  // reads the credential back before asking the token endpoint and uses it.
  auto first = start();
  publish({{"body", {{"url", "/items"}, {"method", "GET"}}}}, headers_for("R1"));
  ASSERT_TRUE(take(data_queue)) << first->out();
  ASSERT_TRUE(testing::eventually([&] {
    std::lock_guard lock(mutex);
    return !saves.empty();
  }));
  stop(*first);
  ASSERT_EQ(api.token_requests(), 1u);
  auto second = start();
  publish({{"body", {{"url", "/items"}, {"method", "GET"}}}}, headers_for("R2"));
  ASSERT_TRUE(take(data_queue)) << second->out();
  EXPECT_EQ(api.token_requests(), 1u) << second->out();
  {
    std::lock_guard lock(mutex);
    EXPECT_GE(credential_reads.size(), 2u);  // each replica looked before asking
    EXPECT_EQ(saves.size(), 1u);             // the shared token is not saved again
  }
  stop(*second);
}

TEST_F(worker_test, new_token_is_saved_with_all_credential_keys) {
  auto w = start();
  publish({{"body", {{"url", "/items"}, {"method", "GET"}}}}, headers_for("M1"));
  ASSERT_TRUE(take(data_queue)) << w->out();
  ASSERT_TRUE(testing::eventually([&] {
    std::lock_guard lock(mutex);
    return !saves.empty();
  }));
  std::lock_guard lock(mutex);
  const auto& save = saves.at(0);
  EXPECT_EQ(save.path(), "/v2/credentials/cred-1/");
  EXPECT_EQ(save.header("Authorization"), "Basic " + base64_encode("task-flow-1:platform-api-key-secret"));
  auto body = json::parse(save.body).as_object();
  EXPECT_EQ(body.at("data").at("id").as_string(), "cred-1");
  EXPECT_EQ(body.at("data").at("type").as_string(), "credential");
  const auto& keys = body.at("data").at("attributes").at("keys").as_object();
  EXPECT_EQ(keys.at("tokenUrl").as_string(), api_server.base_url() + "/oauth/token");
  EXPECT_EQ(keys.at("username").as_string(), "demo-client");
  EXPECT_EQ(keys.at("password").as_string(), "demo-secret");
  auto tokens = json::parse(keys.at("tokens").as_string()).as_object();
  EXPECT_EQ(tokens.at("access_token").as_string(), api.issued_tokens().at(0));
  EXPECT_TRUE(tokens.contains("tokenExpiryTime"));
}

TEST_F(worker_test, a_refused_credential_save_is_a_warning_and_the_message_still_succeeds) {
  {
    std::lock_guard lock(mutex);
    save_status = 403;
  }
  auto w = start();
  publish({{"body", {{"url", "/items"}, {"method", "GET"}}}}, headers_for("M1"));
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out();
  EXPECT_EQ(decrypt(got->body).at("body").at("statusCode").as_int64(), 200);
  EXPECT_TRUE(testing::eventually([&] { return input_drained(); }));
  EXPECT_EQ(admin.message_count(error_queue), 0u);
  EXPECT_NE(w->out().find("could not save the new token"), std::string::npos) << w->out();
  std::lock_guard lock(mutex);
  EXPECT_TRUE(account_puts.empty()) << "403 is not a reason to fall back";
}

TEST_F(worker_test, without_the_v2_credentials_api_keys_are_saved_with_the_v1_call) {
  {
    std::lock_guard lock(mutex);
    save_status = 404;
  }
  auto w = start();
  publish({{"body", {{"url", "/items"}, {"method", "GET"}}}}, headers_for("M1"));
  ASSERT_TRUE(take(data_queue)) << w->out();
  ASSERT_TRUE(testing::eventually([&] {
    std::lock_guard lock(mutex);
    return !account_puts.empty();
  }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(account_puts[0].path(), "/v1/accounts/cred-1");
  auto body = json::parse(account_puts[0].body).as_object();
  EXPECT_EQ(body.at("keys").at("username").as_string(), "demo-client");
  EXPECT_TRUE(body.at("keys").as_object().contains("tokens"));
}

TEST_F(worker_test, shutdown_hook_mode_runs_no_messages_and_exits_0) {
  publish({{"body", {{"url", "/items"}, {"method", "GET"}}}}, headers_for("M1"));
  auto w = start({{"ELASTICIO_HOOK_SHUTDOWN", "true"}});
  auto code = w->wait(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << w->out();
  EXPECT_EQ(admin.message_count(in_queue), 1u) << "no message may be consumed";
  EXPECT_EQ(api.api_requests(), 0u);
}

TEST_F(worker_test, error_record_carries_error_and_input_and_the_input_is_rejected) {
  auto w = start();
  auto sent = publish({{"body", {{"url", "/status/500"}, {"method", "GET"}}}}, headers_for("M1"));
  auto got = take(error_queue);
  ASSERT_TRUE(got) << w->out();
  auto record = json::parse(got->body).as_object();
  auto error = decrypt(std::string(record.at("error").as_string()));
  EXPECT_EQ(error.at("name").as_string(), "HTTPError");
  EXPECT_NE(std::string(error.at("message").as_string()).find("500"), std::string::npos);
  EXPECT_EQ(record.at("errorInput").as_string(), sent) << "protocol 1 input is returned as it came";
  EXPECT_EQ(got->properties.headers.at("parentMessageId").as_string(), "M1");
  EXPECT_TRUE(testing::eventually([&] { return input_drained(); }));
  EXPECT_EQ(admin.message_count(data_queue), 0u);
}

TEST_F(worker_test, an_output_over_the_outgoing_size_limit_is_an_error_not_a_crash) {
  auto w = start();
  publish({{"body", {{"url", "/big"}, {"method", "GET"}}}}, headers_for("M1"));
  auto got = take(error_queue);
  ASSERT_TRUE(got) << w->out();
  auto error = decrypt(std::string(json::parse(got->body).at("error").as_string()));
  EXPECT_NE(std::string(error.at("message").as_string()).find("exceeds limit of 10485760"), std::string::npos)
      << error.at("message").as_string();
  EXPECT_TRUE(testing::eventually([&] { return input_drained(); }));
  EXPECT_EQ(admin.message_count(data_queue), 0u);
  // The worker goes on.
  publish({{"body", {{"url", "/items/1"}, {"method", "GET"}}}}, headers_for("M2"));
  ASSERT_TRUE(take(data_queue)) << w->out();
  EXPECT_TRUE(w->running());
}

TEST_F(worker_test, rebound_keeps_the_body_and_sets_iteration_reason_and_expiration) {
  set_config({{"errorTolerance", "reboundCodes"}});
  auto w = start();
  auto sent = publish({{"body", {{"url", "/status/503"}, {"method", "GET"}, {"httpCodesToRebound", "503"}}}},
                      headers_for("M1"));
  auto got = take(rebound_queue);
  ASSERT_TRUE(got) << w->out();
  EXPECT_EQ(got->body, sent);
  EXPECT_EQ(got->properties.headers.at("reboundIteration").to_number<int>(), 1);
  EXPECT_NE(std::string(got->properties.headers.at("reboundReason").as_string()).find("503"), std::string::npos);
  EXPECT_EQ(got->properties.expiration.value_or(""), "15000");

  auto again = headers_for("M2");
  again["reboundIteration"] = 3;
  publish({{"body", {{"url", "/status/503"}, {"method", "GET"}, {"httpCodesToRebound", "503"}}}}, again);
  auto second = take(rebound_queue);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->properties.headers.at("reboundIteration").to_number<int>(), 4);
  EXPECT_EQ(second->properties.expiration.value_or(""), "120000");
  EXPECT_TRUE(testing::eventually([&] { return input_drained(); }));
}

TEST_F(worker_test, rebound_limit_turns_into_an_error_and_the_input_is_acked) {
  set_config({{"errorTolerance", "reboundCodes"}});
  auto w = start({{"ELASTICIO_REBOUND_LIMIT", "2"}});
  auto h = headers_for("M1");
  h["reboundIteration"] = 2;
  publish({{"body", {{"url", "/status/503"}, {"method", "GET"}, {"httpCodesToRebound", "*"}}}}, h);
  auto got = take(error_queue);
  ASSERT_TRUE(got) << w->out();
  auto error = decrypt(std::string(json::parse(got->body).at("error").as_string()));
  EXPECT_EQ(error.at("message").as_string(), "Rebound limit exceeded");
  EXPECT_TRUE(testing::eventually([&] { return input_drained(); }));
  EXPECT_EQ(admin.message_count(rebound_queue), 0u);
}

TEST_F(worker_test, passthrough_adds_this_steps_output) {
  set_config({}, true);
  auto w = start();
  json::object earlier{{"body", {{"from", "step one"}}}, {"headers", json::object{}}};
  publish({{"body", {{"url", "/items/3"}, {"method", "GET"}}}, {"passthrough", {{"step_1", earlier}}}},
          headers_for("M1"));
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out();
  auto payload = decrypt(got->body);
  const auto& pt = payload.at("passthrough").as_object();
  EXPECT_EQ(pt.at("step_1").at("body").at("from").as_string(), "step one");
  EXPECT_EQ(pt.at("step_2").at("body").at("statusCode").as_int64(), 200);
}

TEST_F(worker_test, protocol_2_input_and_output) {
  auto w = start({{"ELASTICIO_PROTOCOL_VERSION", "2"}});
  publish({{"body", {{"url", "/items/2"}, {"method", "GET"}}}}, headers_for("M1"), 2);
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out();
  EXPECT_EQ(got->properties.headers.at("protocolVersion").to_number<int>(), 2);
  EXPECT_EQ(decrypt(got->body, 2).at("body").at("body").at("name").as_string(), "Rocket skates");
}

TEST_F(worker_test, undecodable_messages_are_rejected_and_the_next_one_succeeds) {
  auto w = start();
  amqp::message_properties props;
  props.headers = headers_for("bad-1");
  admin.publish("", in_queue, "%%% not base64 %%%", props);
  props.headers = headers_for("bad-2");
  admin.publish("", in_queue, base64_encode("sixteen byte blk"), props);  // decrypts to garbage
  props.headers = headers_for("bad-3");
  admin.publish("", in_queue, base64_encode(cipher.encrypt("not json")), props);
  publish({{"body", {{"url", "/items/1"}, {"method", "GET"}}}}, headers_for("good"));
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out();
  EXPECT_EQ(got->properties.headers.at("parentMessageId").as_string(), "good");
  EXPECT_TRUE(testing::eventually([&] { return input_drained(); }));
  EXPECT_EQ(admin.message_count(error_queue), 0u) << "undecodable input has no errorInput to report";
  auto out = w->out();
  EXPECT_NE(out.find("not valid base64"), std::string::npos) << out;
}

TEST_F(worker_test, prefetch_ten_processes_messages_concurrently) {
  auto w = start({{"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", "10"}});
  // Warm up: the first message fetches the token.
  publish({{"body", {{"url", "/items"}, {"method", "GET"}}}}, headers_for("warm"));
  ASSERT_TRUE(take(data_queue)) << w->out();
  api_server.clear_requests();
  for (int i = 0; i < 10; ++i) {
    publish({{"body", {{"url", "/items?slow=" + std::to_string(i)}, {"method", "GET"}}}},
            headers_for("c" + std::to_string(i)));
  }
  std::set<std::string> parents;
  for (int i = 0; i < 10; ++i) {
    auto got = take(data_queue);
    ASSERT_TRUE(got);
    parents.insert(std::string(got->properties.headers.at("parentMessageId").as_string()));
  }
  EXPECT_EQ(parents.size(), 10u);
  // Each API call takes 800 ms: one at a time they would need one connection, ten at once need ten.
  EXPECT_GE(api_server.connection_count(), 5u) << "calls were not concurrent";
}

TEST_F(worker_test, step_info_is_retried_after_a_server_error) {
  {
    std::lock_guard lock(mutex);
    step_failures = 1;
  }
  auto w = start();
  publish({{"body", {{"url", "/items"}, {"method", "GET"}}}}, headers_for("M1"));
  ASSERT_TRUE(take(data_queue)) << w->out();
  std::size_t step_requests = 0;
  for (const auto& r : platform.requests()) step_requests += r.path().starts_with("/v1/tasks/") ? 1 : 0;
  EXPECT_EQ(step_requests, 2u);
}

TEST_F(worker_test, sigterm_finishes_messages_in_flight_then_exits_0) {
  auto w = start({{"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", "5"}});
  publish({{"body", {{"url", "/items"}, {"method", "GET"}}}}, headers_for("warm"));
  ASSERT_TRUE(take(data_queue)) << w->out();
  for (int i = 0; i < 8; ++i) {
    publish({{"body", {{"url", "/items?slow=" + std::to_string(i)}, {"method", "GET"}}}},
            headers_for("s" + std::to_string(i)));
  }
  // Wait until five calls are in flight, then ask the worker to stop.
  ASSERT_TRUE(testing::eventually([&] { return api.api_requests() >= 6; }));
  stop(*w);
  std::set<std::string> done;
  while (auto got = admin.get(data_queue)) done.insert(std::string(got->properties.headers.at("parentMessageId").as_string()));
  auto counts = testing::queue_counts_of(in_queue);
  EXPECT_GE(done.size(), 5u) << "messages in flight were finished";
  EXPECT_EQ(done.size() + counts.ready, 8u) << "every input is either done or back in the queue";
  EXPECT_EQ(counts.unacked, 0u);
}

TEST_F(worker_test, reconnects_after_the_broker_closes_its_connection_and_loses_nothing) {
  auto w = start({{"ELASTICIO_RABBITMQ_PREFETCH_SAILOR", "10"}});
  const int total = 60;
  for (int i = 0; i < total; ++i) {
    publish({{"body", {{"url", i % 4 == 0 ? "/items?slow=1" : "/items"}, {"method", "GET"}}}},
            headers_for("r" + std::to_string(i)));
  }
  ASSERT_TRUE(testing::eventually([&] { return admin.message_count(data_queue) >= 5; }, 20s)) << w->out();
  int closed = 0;
  for (const auto& name : testing::connection_names()) {
    if (name.find("oauth2-rest") != std::string::npos) closed += testing::close_connection(name);
  }
  ASSERT_GE(closed, 1);
  std::set<std::string> parents;
  std::size_t outputs = 0;
  testing::eventually(
      [&] {
        while (auto got = admin.get(data_queue)) {
          ++outputs;
          parents.insert(std::string(got->properties.headers.at("parentMessageId").as_string()));
        }
        return parents.size() == static_cast<std::size_t>(total) && input_drained();
      },
      60s);
  EXPECT_EQ(parents.size(), static_cast<std::size_t>(total)) << w->out();
  EXPECT_TRUE(input_drained());
  EXPECT_LE(outputs - parents.size(), 10u) << "only redelivered messages may be duplicated";
  stop(*w);
}

TEST_F(worker_test, missing_settings_are_listed_and_exit_non_zero) {
  testing::child_process w(OAUTH2_REST_BINARY, {"sail"},
                           {{"ELASTICIO_FLOW_ID", ""}, {"ELASTICIO_AMQP_URI", ""}, {"ELASTICIO_STEP_ID", ""}},
                           dir.path());
  auto code = w.wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  auto err = w.err();
  EXPECT_NE(err.find("ELASTICIO_FLOW_ID is missing"), std::string::npos) << err;
  EXPECT_NE(err.find("ELASTICIO_STEP_ID is missing"), std::string::npos) << err;
}

TEST_F(worker_test, verify_credentials_posts_the_result) {
  auto run_verify = [&](const std::string& secret) {
    json::object cfg{{"tokenUrl", api_server.base_url() + "/oauth/token"}, {"username", "demo-client"},
                     {"password", secret}};
    auto url = platform.base_url();
    url.insert(url.find("//") + 2, "svc:p%40ss@");
    testing::child_process v(OAUTH2_REST_BINARY, {"serve", "verifyCredentials"},
                             {{"ELASTICIO_CFG", json::serialize(cfg)}, {"ELASTICIO_POST_RESULT_URL", url + "/result"}},
                             dir.path());
    auto code = v.wait(20s);
    EXPECT_EQ(code.value_or(-2), 0) << v.out() << v.err();
    auto posted = platform.requests().back();
    EXPECT_EQ(posted.path(), "/result");
    EXPECT_EQ(posted.header("Authorization"), "Basic " + base64_encode("svc:p@ss"));
    return json::parse(posted.body).as_object();
  };
  auto good = run_verify("demo-secret");
  EXPECT_EQ(good.at("status").as_string(), "success");
  EXPECT_TRUE(good.at("data").at("verified").as_bool());
  auto bad = run_verify("wrong");
  EXPECT_FALSE(bad.at("data").at("verified").as_bool());
  EXPECT_NE(std::string(bad.at("data").at("reason").as_string()).find("invalid_client"), std::string::npos);
}

}  // namespace
}  // namespace oauth2_rest
