// Attachments end to end (SPEC 9): `oauth2-rest sail` on a real RabbitMQ with the project's object
// storage server (spec/support/object_storage) and Beast test servers for the API and steward.
// - responseAs=attachment: a binary response of a few MB is stored in object storage byte for
//   byte and the data message refers to it ({uri}/objects/{id}?storage_type=maester); also with
//   the worker on the node's amqps listener.
// - bodyAttachment: a maester URL (read by id with the storage token) and a steward URL (a plain
//   GET) are the API request's body byte for byte, with their content-type.
// - Object storage answering 5xx to the POST beyond its retries: an error record naming it, the
//   input rejected (dead-lettered, which an acked message never is).
#include "sail/message_cipher.hpp"
#include "support/broker.hpp"
#include "support/broker_tls.hpp"
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

#include <algorithm>
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

// Bytes of every value (NUL, CR, LF, high bytes), so any text mangling shows.
std::string binary_bytes(std::size_t n, unsigned seed) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 13 + i / 251 + seed) & 0xff);
  return out;
}

class attachment_worker : public ::testing::Test {
 protected:
  testing::temp_dir dir;
  testing::temp_dir no_certs;  // an empty SSL_CERT_DIR for the amqps run
  testing::demo_api api;
  const std::string download = binary_bytes(3'000'000, 1);
  std::mutex mutex;
  std::vector<recorded_request> uploads;  // what the API received on /api/upload
  json::object extra_config;

  testing::http_server api_server{[this](const recorded_request& r) {
    if (r.path() == "/api/reports/q3.bin") {
      reply out;
      out.headers = {{"Content-Type", "application/octet-stream"},
                     {"Content-Disposition", "attachment; filename=\"q3-report.bin\""}};
      out.body = download;
      return out;
    }
    if (r.path() == "/api/upload") {
      std::lock_guard lock(mutex);
      uploads.push_back(r);
      return reply::json(200, R"({"ok":true})");
    }
    return api.handle(r);
  }};

  const std::string steward_body = binary_bytes(1'500'000, 7);
  testing::http_server steward{[this](const recorded_request& r) {
    if (r.method == "GET" && r.path() == "/files/abc") {
      reply out;
      out.headers = {{"Content-Type", "text/csv"}};
      out.body = steward_body;
      return out;
    }
    return reply::text(404, "no such file");
  }};

  testing::http_server platform{[this](const recorded_request& r) {
    if (r.method != "GET" || r.path() != "/v1/tasks/flow-1/steps/step_2") return reply::json(404, R"({"error":"not found"})");
    std::lock_guard lock(mutex);
    json::object config{{"tokenUrl", api_server.base_url() + "/oauth/token"},
                        {"username", "demo-client"},
                        {"password", "demo-secret"},
                        {"baseUrl", api_server.base_url() + "/api"},
                        {"errorTolerance", "noErrors"}};
    for (auto& kv : extra_config) config[kv.key()] = kv.value();
    json::object step{{"id", "step_2"}, {"comp_id", "comp-1"}, {"config", config}, {"is_passthrough", false}};
    return reply::json(200, json::serialize(step));
  }};

  testing::object_storage storage{storage_token};
  sail::message_cipher cipher{password, iv};
  testing::broker_admin admin;
  std::string exchange = testing::unique_name("att-exchange");
  std::string in_queue = testing::unique_name("att-in");
  std::string dead_queue = testing::unique_name("att-dead");
  std::string data_queue = testing::unique_name("att-data");
  std::string error_queue = testing::unique_name("att-errors");

  void SetUp() override {
    admin.declare_exchange(exchange);
    admin.declare_queue(dead_queue);
    admin.declare_queue(in_queue, {{"x-dead-letter-exchange", ""}, {"x-dead-letter-routing-key", dead_queue}});
    admin.declare_queue(data_queue);
    admin.declare_queue(error_queue);
    admin.bind(data_queue, exchange, "data-key");
    admin.bind(error_queue, exchange, "error-key");
  }
  void TearDown() override {
    for (const auto& q : {in_queue, dead_queue, data_queue, error_queue}) admin.delete_queue(q);
    admin.delete_exchange(exchange);
  }

  void configure(json::object extra) {
    std::lock_guard lock(mutex);
    extra_config = std::move(extra);
  }

  std::unique_ptr<testing::child_process> start(std::map<std::string, std::string> extra = {},
                                                std::string storage_uri = {}) {
    auto e = testing::worker_env({.api_uri = platform.base_url(), .listen_queue = in_queue, .exchange = exchange,
                                  .crypto_password = password, .crypto_iv = iv});
    e["ELASTICIO_OBJECT_STORAGE_URI"] = storage_uri.empty() ? storage.base_url() : storage_uri;
    e["ELASTICIO_OBJECT_STORAGE_TOKEN"] = storage_token;
    for (auto& [k, v] : extra) e[k] = v;
    return std::make_unique<testing::child_process>(OAUTH2_REST_BINARY, std::vector<std::string>{"sail"}, e,
                                                    dir.path());
  }

  void publish(const json::object& message, const std::string& message_id) {
    amqp::message_properties props;
    props.headers = {{"execId", "exec-1"}, {"taskId", "flow-1"}, {"workspaceId", "workspace-1"},
                     {"userId", "user-1"}, {"threadId", "T1"},   {"stepId", "step_1"},
                     {"messageId", message_id}, {"parentMessageId", "P0"}};
    props.content_type = "application/json";
    admin.publish("", in_queue, base64_encode(cipher.encrypt(json::serialize(message))), props);
  }

  std::optional<testing::got_message> take(const std::string& queue, std::chrono::milliseconds timeout = 60s) {
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
  std::string error_message(const testing::got_message& got) {
    auto record = json::parse(got.body).as_object();
    return std::string(decrypt_text(std::string(record.at("error").as_string())).at("message").as_string());
  }
  bool input_drained() {
    auto c = testing::queue_counts_of(in_queue);
    return c.ready == 0 && c.unacked == 0;
  }
  void expect_acked() {
    EXPECT_TRUE(testing::eventually([&] { return input_drained(); }, 30s)) << "input not settled";
    EXPECT_EQ(admin.message_count(dead_queue), 0u) << "input rejected";
    EXPECT_EQ(admin.message_count(error_queue), 0u) << "an error record";
  }
  void expect_rejected() {
    EXPECT_TRUE(testing::eventually([&] { return admin.message_count(dead_queue) == 1; }, 30s)) << "input not rejected";
    EXPECT_TRUE(input_drained());
    EXPECT_EQ(admin.message_count(data_queue), 0u);
  }
  std::vector<recorded_request> received_uploads() {
    std::lock_guard lock(mutex);
    return uploads;
  }
  bool issued(const std::string& authorization) {
    auto tokens = api.issued_tokens();
    return std::any_of(tokens.begin(), tokens.end(), [&](const std::string& t) { return authorization == "Bearer " + t; });
  }

  // responseAs=attachment, one message: the stored object and the data message that refers to it.
  void expect_response_stored_as_attachment(const testing::child_process& w) {
    auto got = take(data_queue);
    ASSERT_TRUE(got) << w.out() << w.err();
    auto payload = decrypt_text(got->body);
    ASSERT_TRUE(payload.contains("attachments")) << json::serialize(payload);
    const auto& attachments = payload.at("attachments").as_object();
    ASSERT_EQ(attachments.size(), 1u) << json::serialize(payload);
    ASSERT_TRUE(attachments.contains("q3-report.bin")) << json::serialize(payload);
    const auto& entry = attachments.at("q3-report.bin").as_object();
    const std::string url(entry.at("url").as_string());
    const std::string prefix = storage.base_url() + "/objects/";
    const std::string suffix = "?storage_type=maester";
    ASSERT_TRUE(url.starts_with(prefix) && url.ends_with(suffix)) << url;
    const auto id = url.substr(prefix.size(), url.size() - prefix.size() - suffix.size());
    EXPECT_EQ(entry.at("size").to_number<std::int64_t>(), 3'000'000);
    EXPECT_EQ(entry.at("content-type").as_string(), "application/octet-stream");
    EXPECT_EQ(payload.at("body").at("attachment").as_string(), "q3-report.bin");
    EXPECT_EQ(payload.at("body").at("statusCode").to_number<int>(), 200);

    const auto ids = storage.object_ids();
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_EQ(ids[0], id);
    auto object = storage.object(id);
    ASSERT_TRUE(object);
    EXPECT_EQ(object->size(), download.size());
    EXPECT_TRUE(*object == download) << "the stored bytes differ from the API's body";
    auto requests = storage.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].path(), "/objects");
    EXPECT_EQ(requests[0].header("Authorization"), std::string("Bearer ") + storage_token);
    EXPECT_EQ(requests[0].header("Content-Type"), "application/octet-stream");
    expect_acked();
    EXPECT_EQ(w.out().find(storage_token), std::string::npos) << "storage token in the logs";
  }
};

TEST_F(attachment_worker, a_binary_response_is_stored_in_object_storage_and_the_message_refers_to_it) {
  configure({{"responseAs", "attachment"}});
  auto w = start();
  publish({{"body", {{"url", "/reports/q3.bin"}, {"method", "GET"}}}}, "M1");
  expect_response_stored_as_attachment(*w);
}

TEST_F(attachment_worker, a_binary_response_is_stored_with_the_worker_on_the_amqps_listener) {
  auto tls = testing::broker_tls_listener();
  ASSERT_NE(tls.port, 0) << "the broker test node has no TLS listener: the broker fixture starts it with "
                            "OAUTH2_REST_BROKER_TLS=1; a node started earlier without it must be stopped first";
  configure({{"responseAs", "attachment"}});
  auto w = start({{"ELASTICIO_AMQP_URI", testing::amqps_uri("localhost", tls.port)},
                  {"SSL_CERT_FILE", tls.ca_file},
                  {"SSL_CERT_DIR", no_certs.path().string()}});
  publish({{"body", {{"url", "/reports/q3.bin"}, {"method", "GET"}}}}, "M1");
  expect_response_stored_as_attachment(*w);
  // The worker's connections are TLS: every one but our admin's plain one.
  std::size_t tls_connections = 0;
  for (const auto& c : testing::tls_connections()) tls_connections += c.ssl ? 1 : 0;
  EXPECT_GE(tls_connections, 1u);
}

TEST_F(attachment_worker, a_maester_attachment_of_the_message_is_the_request_body) {
  const auto object = binary_bytes(2'500'000, 3);
  const auto id = storage.put(object);
  auto w = start();
  const std::string url = storage.base_url() + "/objects/" + id + "?storage_type=maester";
  publish({{"attachments", {{"scan.png", {{"url", url}, {"content-type", "image/png"}, {"size", object.size()}}}}},
           {"body", {{"url", "/upload"}, {"method", "POST"}, {"bodyAttachment", "scan.png"}}}},
          "M1");
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out() << w->err();
  EXPECT_EQ(decrypt_text(got->body).at("body").at("statusCode").to_number<int>(), 200);
  auto sent = received_uploads();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_EQ(sent[0].body.size(), object.size());
  EXPECT_TRUE(sent[0].body == object) << "the request body differs from the stored object";
  EXPECT_EQ(sent[0].header("Content-Type"), "image/png");
  EXPECT_TRUE(issued(sent[0].header("Authorization"))) << "not the API's token";
  auto reads = storage.requests();
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].method, "GET");
  EXPECT_EQ(reads[0].path(), "/objects/" + id);
  EXPECT_EQ(reads[0].header("Authorization"), std::string("Bearer ") + storage_token);
  expect_acked();
}

TEST_F(attachment_worker, a_steward_url_is_read_with_a_plain_get_and_is_the_request_body) {
  auto w = start();
  publish({{"body", {{"url", "/upload"}, {"method", "PUT"}, {"bodyAttachment", steward.base_url() + "/files/abc"}}}},
          "M1");
  auto got = take(data_queue);
  ASSERT_TRUE(got) << w->out() << w->err();
  EXPECT_EQ(decrypt_text(got->body).at("body").at("statusCode").to_number<int>(), 200);
  auto sent = received_uploads();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].method, "PUT");
  EXPECT_EQ(sent[0].body.size(), steward_body.size());
  EXPECT_TRUE(sent[0].body == steward_body) << "the request body differs from steward's file";
  EXPECT_EQ(sent[0].header("Content-Type"), "text/csv");
  auto reads = steward.requests();
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].method, "GET");
  EXPECT_FALSE(reads[0].has_header("Authorization")) << "steward is read without the storage token";
  EXPECT_EQ(storage.request_count("GET"), 0u);
  expect_acked();
}

TEST_F(attachment_worker, object_storage_answering_5xx_beyond_the_retries_is_an_error_and_the_input_is_rejected) {
  storage.fail_next(100, 503);
  configure({{"responseAs", "attachment"}});
  auto w = start();
  publish({{"body", {{"url", "/reports/q3.bin"}, {"method", "GET"}}}}, "M1");
  auto got = take(error_queue);
  ASSERT_TRUE(got) << w->out() << w->err();
  const auto message = error_message(*got);
  EXPECT_NE(message.find("could not store the response in object storage"), std::string::npos) << message;
  EXPECT_NE(message.find("503"), std::string::npos) << message;
  expect_rejected();
  EXPECT_EQ(storage.request_count("POST"), 3u) << "the first POST and two retries";
  EXPECT_EQ(storage.object_count(), 0u);
}

}  // namespace
}  // namespace oauth2_rest
