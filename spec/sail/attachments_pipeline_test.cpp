// Attachments on the platform (SPEC 9), through the worker's pipeline on the in-memory transport:
// bodyAttachment read from object storage (maester URL, by id, with the storage token) and from
// steward (a plain GET), and responseAs=attachment stored with POST /objects. Loopback servers
// play the API, the token endpoint and object storage.
#include "sail/object_storage_attachments.hpp"
#include "sail/worker.hpp"

#include "sail/message_codec.hpp"
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

std::string binary_bytes(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 13 + i / 251) & 0xff);
  return out;
}

class attachments_pipeline_test : public ::testing::Test {
 protected:
  std::mutex mutex;
  std::vector<testing::recorded_request> api_requests, storage_requests;
  std::string stored_object = binary_bytes(400'000);
  std::string download = binary_bytes(500'000);
  int storage_failures = 0;

  testing::http_server api{[this](const testing::recorded_request& r) {
    std::lock_guard lock(mutex);
    if (r.path() == "/oauth/token")
      return testing::reply::json(200, R"({"access_token":"api-token","token_type":"Bearer","expires_in":3600})");
    api_requests.push_back(r);
    if (r.path() == "/api/upload") return testing::reply::json(200, R"({"ok":true})");
    if (r.path() == "/api/reports/q3.pdf") {
      testing::reply out;
      out.headers = {{"Content-Type", "application/pdf"}};
      out.body = download;
      return out;
    }
    return testing::reply::text(404, "no");
  }};
  testing::http_server storage{[this](const testing::recorded_request& r) {
    std::lock_guard lock(mutex);
    storage_requests.push_back(r);
    if (storage_failures > 0) {
      --storage_failures;
      return testing::reply::text(503, "busy");
    }
    testing::reply out;
    if (r.method == "GET" && r.path() == "/objects/obj-1") {
      out.headers = {{"Content-Type", "application/octet-stream"}};
      out.body = stored_object;
    } else if (r.method == "GET" && r.path() == "/steward/files/abc") {
      out.headers = {{"Content-Type", "text/csv"}};
      out.body = "a,b\n1,2\n";
      out.chunked = true;
    } else if (r.method == "POST" && r.path() == "/objects") {
      out = testing::reply::json(200, R"({"objectId":"new-1"})");
    } else {
      out.status = 404;
    }
    return out;
  }};

  boost::asio::io_context io;
  http::client http{io.get_executor()};
  message_cipher cipher{password, iv};
  settings s;
  std::unique_ptr<platform_api> platform;
  testing::memory_transport* transport = nullptr;
  std::unique_ptr<worker> w;

  void start(json::object extra_cfg = {}, bool with_storage = true) {
    testing::worker_env_options o;
    o.api_uri = api.base_url();
    o.listen_queue = "in";
    o.exchange = "ex";
    o.crypto_password = password;
    o.crypto_iv = iv;
    auto env = testing::worker_env(o);
    if (with_storage) {
      env["ELASTICIO_OBJECT_STORAGE_URI"] = storage.base_url() + "/";
      env["ELASTICIO_OBJECT_STORAGE_TOKEN"] = "storage-token";
    }
    s = load_settings([&](const char* name) -> const char* {
      auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    });
    platform = std::make_unique<platform_api>(http, s);
    step_info step;
    step.config = json::object{{"tokenUrl", api.base_url() + "/oauth/token"},
                               {"username", "demo-client"},
                               {"password", "demo-secret"},
                               {"baseUrl", api.base_url() + "/api"},
                               {"errorTolerance", "noErrors"}};
    for (auto& kv : extra_cfg) step.config[kv.key()] = kv.value();
    auto created = action::http_request_action::create(http, step.config);
    ASSERT_TRUE(created) << created.error().message;
    (*created)->set_attachment_store(make_object_storage_attachments(http, s));  // as entry_points.cpp does
    auto t = std::make_unique<testing::memory_transport>(io.get_executor());
    transport = t.get();
    w = std::make_unique<worker>(io, s, std::move(step), *platform, std::move(created).value(), "", std::move(t));
    w->start();
  }

  void deliver(json::object message) {
    amqp::delivery d;
    d.session = 1;
    d.delivery_tag = 1;
    d.body = encode_message(message, 1, cipher);
    d.properties.headers["messageId"] = "msg-1";
    transport->deliver(std::move(d));
  }

  bool run_until_settled() {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (transport->settles.empty()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (io.stopped()) io.restart();
      io.run_for(5ms);
    }
    return true;
  }

  json::object data_message() {
    for (auto& p : transport->published)
      if (p->routing_key == s.data_routing_key) {
        auto out = decode_message(p->body, 1, cipher);
        EXPECT_TRUE(out) << out.error().message;
        if (out) return *out;
      }
    ADD_FAILURE() << "no data message";
    return {};
  }
  std::string error_text() {
    for (auto& p : transport->published)
      if (p->routing_key == s.error_routing_key) {
        auto record = decode_error_record(p->body, cipher);
        if (record) return json::serialize(*record);
      }
    return {};
  }
  std::vector<testing::recorded_request> requests_to(std::vector<testing::recorded_request>& list, std::string path) {
    std::lock_guard lock(mutex);
    std::vector<testing::recorded_request> out;
    for (auto& r : list)
      if (r.path() == path) out.push_back(r);
    return out;
  }
};

TEST_F(attachments_pipeline_test, a_maester_attachment_is_read_by_id_with_the_storage_token_and_sent_as_the_body) {
  start();
  const std::string url = storage.base_url() + "/objects/obj-1?storage_type=maester";
  deliver(json::object{{"attachments", {{"scan.png", {{"url", url}, {"content-type", "image/png"}, {"size", 400000}}}}},
                       {"body", {{"url", "/upload"}, {"method", "POST"}, {"bodyAttachment", "scan.png"}}}});
  ASSERT_TRUE(run_until_settled());
  EXPECT_TRUE(transport->settles[0].ack) << error_text();
  auto reads = requests_to(storage_requests, "/objects/obj-1");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].method, "GET");
  EXPECT_EQ(reads[0].header("Authorization"), "Bearer storage-token");
  EXPECT_EQ(reads[0].header("x-request-id"), "f:flow-1;s:" + s.step_id + ";m:");
  auto sent = requests_to(api_requests, "/api/upload");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].body == stored_object) << sent[0].body.size();
  EXPECT_EQ(sent[0].header("Content-Length"), "400000");
  EXPECT_EQ(sent[0].header("Content-Type"), "image/png") << "the attachment entry's content-type";
  EXPECT_EQ(sent[0].header("Authorization"), "Bearer api-token");
}

TEST_F(attachments_pipeline_test, a_steward_url_is_read_with_a_plain_get_and_its_content_type_is_used) {
  start();
  deliver(json::object{{"body", {{"url", "/upload"}, {"method", "PUT"},
                                 {"bodyAttachment", storage.base_url() + "/steward/files/abc"}}}});
  ASSERT_TRUE(run_until_settled());
  EXPECT_TRUE(transport->settles[0].ack) << error_text();
  auto reads = requests_to(storage_requests, "/steward/files/abc");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_FALSE(reads[0].has_header("Authorization")) << "steward is read without the storage token";
  auto sent = requests_to(api_requests, "/api/upload");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].body, "a,b\n1,2\n");
  EXPECT_EQ(sent[0].header("Content-Type"), "text/csv");
  EXPECT_EQ(sent[0].header("Content-Length"), "8") << "spooled, so its size is known";
}

TEST_F(attachments_pipeline_test, a_maester_read_answering_5xx_is_retried_twice_then_the_message_fails) {
  start();
  storage_failures = 100;
  deliver(json::object{{"body", {{"url", "/upload"}, {"method", "POST"},
                                 {"bodyAttachment", storage.base_url() + "/objects/obj-1?storage_type=maester"}}}});
  ASSERT_TRUE(run_until_settled());
  EXPECT_FALSE(transport->settles[0].ack);
  EXPECT_EQ(requests_to(storage_requests, "/objects/obj-1").size(), 3u);
  EXPECT_TRUE(requests_to(api_requests, "/api/upload").empty());
  EXPECT_NE(error_text().find("could not read bodyAttachment"), std::string::npos) << error_text();
}

TEST_F(attachments_pipeline_test, an_unknown_storage_type_is_an_error_naming_it) {
  start();
  deliver(json::object{{"body", {{"url", "/upload"}, {"method", "POST"},
                                 {"bodyAttachment", storage.base_url() + "/x?storage_type=s3"}}}});
  ASSERT_TRUE(run_until_settled());
  EXPECT_NE(error_text().find("storage type \\\"s3\\\" is not supported"), std::string::npos) << error_text();
  EXPECT_TRUE(requests_to(storage_requests, "/x").empty());
}

TEST_F(attachments_pipeline_test, response_as_attachment_is_stored_in_object_storage_and_referenced_by_its_url) {
  start({{"responseAs", "attachment"}});
  deliver(json::object{{"body", {{"url", "/reports/q3.pdf"}, {"method", "GET"}}}});
  ASSERT_TRUE(run_until_settled());
  EXPECT_TRUE(transport->settles[0].ack) << error_text();
  auto posts = requests_to(storage_requests, "/objects");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].method, "POST");
  EXPECT_TRUE(posts[0].body == download) << posts[0].body.size();
  EXPECT_EQ(posts[0].header("Authorization"), "Bearer storage-token");
  EXPECT_EQ(posts[0].header("Content-Type"), "application/pdf");
  EXPECT_EQ(posts[0].header("Content-Length"), "500000");
  auto m = data_message();
  const auto& entry = m.at("attachments").at("q3.pdf").as_object();
  EXPECT_EQ(entry.at("url").as_string(), storage.base_url() + "/objects/new-1?storage_type=maester");
  EXPECT_EQ(entry.at("size").to_number<std::int64_t>(), 500000);
  EXPECT_EQ(entry.at("content-type").as_string(), "application/pdf");
  EXPECT_EQ(m.at("body").at("attachment").as_string(), "q3.pdf");
  EXPECT_EQ(m.at("body").at("statusCode").to_number<int>(), 200);
}

TEST_F(attachments_pipeline_test, a_response_over_max_response_size_is_never_uploaded) {
  start({{"responseAs", "attachment"}, {"maxResponseSize", "100000"}});
  deliver(json::object{{"body", {{"url", "/reports/q3.pdf"}, {"method", "GET"}}}});
  ASSERT_TRUE(run_until_settled());
  EXPECT_FALSE(transport->settles[0].ack);
  EXPECT_TRUE(requests_to(storage_requests, "/objects").empty()) << "nothing stored, nothing referenced";
  EXPECT_NE(error_text().find("maxResponseSize"), std::string::npos) << error_text();
}

TEST_F(attachments_pipeline_test, response_as_attachment_without_object_storage_is_an_error_naming_it) {
  start({{"responseAs", "attachment"}}, false);
  deliver(json::object{{"body", {{"url", "/reports/q3.pdf"}, {"method", "GET"}}}});
  ASSERT_TRUE(run_until_settled());
  EXPECT_NE(error_text().find("ELASTICIO_OBJECT_STORAGE_URI"), std::string::npos) << error_text();
  EXPECT_TRUE(requests_to(api_requests, "/api/reports/q3.pdf").empty());
}

}  // namespace
}  // namespace oauth2_rest::sail
