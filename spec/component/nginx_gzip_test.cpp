// The httpRequest action against a real nginx with gzip on (SPEC 3 "Compressed responses"):
// nginx compresses a static JSON file when the request accepts gzip, with its own framing
// (chunked, no Content-Length) and its own deflate settings. The token comes from our loopback
// demo token endpoint (nginx answers POST to a static file with 405).
#include "action/http_request_action.hpp"

#include "recording_sink.hpp"
#include "support/async_run.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/nginx_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// About 400 kB of JSON with non-ASCII text: many gzip chunks from nginx.
std::string document() {
  std::string out = R"({"source":"nginx","items":[)";
  for (int i = 0; i < 4000; ++i) {
    if (i) out += ',';
    out += R"({"id":)" + std::to_string(i) + R"(,"city":"M)" "\xC3\xBC" R"(nchen )" + std::to_string(i * 31 % 1000) +
           R"(","note":"na)" "\xC3\xAF" R"(ve caf)" "\xC3\xA9 \xF0\x9F\x98\x80" R"(","n":)" + std::to_string(i * i) + "}";
  }
  return out + "]}";
}

class nginx_gzip_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::nginx_server::executable().empty())
      FAIL() << "nginx is not installed (scripts/install-deps.sh --test installs it)";
    nginx = std::make_unique<testing::nginx_server>(testing::nginx_options{
        .files = {{"data.json", document()}},
        .server_directives = "gzip on; gzip_types application/json; gzip_min_length 0;"});
  }

  testing::demo_api api;
  testing::http_server tokens{api.as_handler()};
  std::unique_ptr<testing::nginx_server> nginx;
  boost::asio::io_context io;
  http::client http{io.get_executor()};

  testing::recording_sink run(json::object headers = {}) {
    json::object cfg{{"tokenUrl", tokens.base_url() + "/oauth/token"},
                     {"username", "demo-client"},
                     {"password", "demo-secret"},
                     {"baseUrl", nginx->base_url()},
                     {"errorTolerance", "noErrors"}};
    auto created = action::http_request_action::create(http, cfg);
    EXPECT_TRUE(created) << (created ? "" : created.error().message);
    testing::recording_sink sink;
    if (!created) return sink;
    json::object input{{"url", "/data.json"}, {"method", "GET"}, {"headers", std::move(headers)}};
    testing::run_async(io, (*created)->process(json::object{{"body", std::move(input)}}, sink));
    return sink;
  }

  // The last line of nginx's access log: "URI|Accept-Encoding|gzip ratio". nginx writes it as the
  // request ends, which may be a moment after the client has read the last byte.
  std::string last_logged_request(std::size_t expected_lines) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    std::string log;
    for (;;) {
      log = nginx->access_log();
      if (static_cast<std::size_t>(std::count(log.begin(), log.end(), '\n')) >= expected_lines ||
          std::chrono::steady_clock::now() > deadline)
        break;
      std::this_thread::sleep_for(10ms);
    }
    if (!log.empty() && log.back() == '\n') log.pop_back();
    return log.substr(log.rfind('\n') == std::string::npos ? 0 : log.rfind('\n') + 1);
  }
};

// What nginx logged: its gzip ratio is "-" when it sent the file uncompressed.
struct logged {
  std::string uri, accept_encoding, gzip_ratio;
};
logged parse_log_line(const std::string& line) {
  const auto a = line.find('|');
  const auto b = line.find('|', a + 1);
  if (a == std::string::npos || b == std::string::npos) return {};
  return {line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)};
}

TEST_F(nginx_gzip_test, the_default_accept_encoding_gets_gzip_from_nginx_and_the_output_is_the_json) {
  auto sink = run();
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text().substr(0, 2000);
  const auto out = sink.of("data")[0].payload.at("body").as_object();
  EXPECT_EQ(out.at("statusCode"), 200);
  EXPECT_EQ(out.at("body"), json::parse(document())) << json::serialize(out.at("body")).substr(0, 300);
  const auto& headers = out.at("headers").as_object();
  EXPECT_FALSE(headers.contains("content-encoding")) << json::serialize(headers);
  EXPECT_FALSE(headers.contains("content-length")) << json::serialize(headers);
  EXPECT_EQ(headers.at("content-type"), "application/json");

  const auto line = parse_log_line(last_logged_request(1));
  EXPECT_EQ(line.uri, "/data.json");
  EXPECT_EQ(line.accept_encoding, "gzip, deflate, br");
  EXPECT_NE(line.gzip_ratio, "-") << "nginx did not compress: " << nginx->access_log();
}

// The field report: an input header "Accept-Encoding: gzip" gave U+FFFD characters instead of JSON.
TEST_F(nginx_gzip_test, a_user_accept_encoding_gzip_gets_the_json) {
  auto sink = run({{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text().substr(0, 2000);
  const auto out = sink.of("data")[0].payload.at("body").as_object();
  EXPECT_EQ(json::serialize(out).find("\xEF\xBF\xBD"), std::string::npos) << "U+FFFD in the output";
  EXPECT_EQ(out.at("body"), json::parse(document()));
  EXPECT_FALSE(out.at("headers").as_object().contains("content-encoding"));
  const auto line = parse_log_line(last_logged_request(1));
  EXPECT_EQ(line.accept_encoding, "gzip");
  EXPECT_NE(line.gzip_ratio, "-");
}

TEST_F(nginx_gzip_test, a_user_accept_encoding_identity_is_sent_as_it_is_and_nginx_does_not_compress) {
  // First the default (compressed), then identity on the same pooled connection (not compressed).
  ASSERT_EQ(run().of("data").size(), 1u);
  EXPECT_NE(parse_log_line(last_logged_request(1)).gzip_ratio, "-") << nginx->access_log();

  auto sink = run({{"Accept-Encoding", "identity"}});
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text().substr(0, 2000);
  const auto out = sink.of("data")[0].payload.at("body").as_object();
  EXPECT_EQ(out.at("body"), json::parse(document()));
  EXPECT_EQ(out.at("headers").at("content-length").as_string(), std::to_string(document().size()));
  const auto line = parse_log_line(last_logged_request(2));
  EXPECT_EQ(line.accept_encoding, "identity");
  EXPECT_EQ(line.gzip_ratio, "-") << nginx->access_log();
}

}  // namespace
}  // namespace oauth2_rest
