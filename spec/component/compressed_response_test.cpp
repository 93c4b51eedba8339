// Compressed responses (SPEC 3) through the httpRequest action, end to end: our loopback server
// answers gzip, x-gzip, deflate (zlib and raw), br and stacked codings, asked for or not; the
// output has the decoded JSON and no content-encoding or content-length; the default
// Accept-Encoding is sent unless the input sets one; a bomb, a coding we cannot decode and a
// corrupt body are errors; token responses are decoded too.
#include "action/http_request_action.hpp"

#include "recording_sink.hpp"
#include "support/async_run.hpp"
#include "support/compression.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <sys/resource.h>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using testing::http_server;
using testing::recorded_request;
using testing::reply;

// What the component sends when the input does not set Accept-Encoding (br: Brotli is built in).
constexpr std::string_view default_accept_encoding = "gzip, deflate, br";

// A JSON document with non-ASCII text, large enough to span several reads and chunks.
std::string payload() {
  std::string items;
  for (int i = 0; i < 2000; ++i) {
    if (i) items += ',';
    items += R"({"id":)" + std::to_string(i) + R"(,"name":"Cr\u00e8me br\u00fbl\u00e9e )" + std::to_string(i * 7) +
             R"(","tags":["caf)" "\xC3\xA9" R"(","\u2615"],"price":)" + std::to_string(i % 97) + ".5}";
  }
  return R"({"title":"Caf)" "\xC3\xA9 \xE2\x98\x95" R"(","items":[)" + items + "]}";
}

// The body compressed as `coding` says, with the Content-Encoding a server would write.
reply compressed(unsigned status, const std::string& body, std::string_view coding,
                 std::string content_type = "application/json") {
  reply r = reply::text(status, body, std::move(content_type));
  r.headers.push_back({"X-Served-By", "loopback"});
  std::string header;
  if (coding == "gzip" || coding == "gzip-chunked") {
    r.body = testing::gzip(body);
    header = "gzip";
  } else if (coding == "x-gzip") {
    r.body = testing::gzip(body);
    header = "x-gzip";
  } else if (coding == "deflate-zlib") {
    r.body = testing::deflate_bytes(body, testing::deflate_format::zlib);
    header = "deflate";
  } else if (coding == "deflate-raw") {
    r.body = testing::deflate_bytes(body, testing::deflate_format::raw);
    header = "deflate";
  } else if (coding == "br") {
    r.body = testing::brotli(body);
    header = "br";
  } else if (coding == "gzip-then-br") {
    r.body = testing::brotli(testing::gzip(body));  // applied in the order listed: gzip, then br
    header = "gzip, br";
  } else if (coding == "upper-case-gzip") {
    r.body = testing::gzip(body);
    header = "GZIP";
  } else {
    throw std::invalid_argument("no such coding in the test: " + std::string(coding));
  }
  r.headers.push_back({"Content-Encoding", header});
  r.chunked = coding == "gzip-chunked";
  return r;
}

class compressed_response_test : public ::testing::Test {
 protected:
  testing::demo_api api;
  // /oauth/token: the demo token endpoint; /enc/<coding>: the payload compressed unasked.
  http_server server{[this](const recorded_request& r) { return handle(r); }};
  boost::asio::io_context io;
  http::client http{io.get_executor()};

  virtual reply handle(const recorded_request& r) {
    if (r.path() == "/oauth/token") return api.handle(r);
    if (r.path().starts_with("/enc/")) return compressed(200, payload(), r.path().substr(5));
    // As nginx does: gzip only when the request says it accepts it.
    if (r.path() == "/negotiated") {
      if (r.header("Accept-Encoding").find("gzip") != std::string::npos) return compressed(200, payload(), "gzip");
      return reply::json(200, payload());
    }
    if (r.path() == "/unsupported") {
      reply answer = reply::json(200, "(zstd bytes)");
      answer.headers.push_back({"Content-Encoding", "zstd"});
      return answer;
    }
    if (r.path() == "/corrupt") {
      reply answer = reply::json(200, R"({"not":"gzip at all"})");
      answer.headers.push_back({"Content-Encoding", "gzip"});
      return answer;
    }
    if (r.path() == "/failing") return compressed(500, R"({"error":"backend down for maintenance"})", "gzip");
    if (r.path() == "/busy") {
      reply answer = reply::json(503, "(zstd bytes)");
      answer.headers.push_back({"Content-Encoding", "zstd"});
      return answer;
    }
    return reply::json(404, R"({"error":"no such path in the test"})");
  }

  json::object config(json::object extra = {}) {
    json::object cfg{{"tokenUrl", server.base_url() + "/oauth/token"},
                     {"username", "demo-client"},
                     {"password", "demo-secret"},
                     {"baseUrl", server.base_url()},
                     {"errorTolerance", "noErrors"}};
    for (auto& kv : extra) cfg[kv.key()] = kv.value();
    return cfg;
  }
  testing::recording_sink run(json::object input, json::object extra_config = {}) {
    auto created = action::http_request_action::create(http, config(std::move(extra_config)));
    EXPECT_TRUE(created) << (created ? "" : created.error().message);
    testing::recording_sink sink;
    if (!created) return sink;
    testing::run_async(io, (*created)->process(json::object{{"body", std::move(input)}}, sink));
    return sink;
  }
  static json::object get(std::string url, json::object headers = {}) {
    return {{"url", std::move(url)}, {"method", "GET"}, {"headers", std::move(headers)}};
  }
  std::vector<recorded_request> requests_to(std::string_view path) const {
    std::vector<recorded_request> out;
    for (auto& r : server.requests())
      if (r.path() == path) out.push_back(r);
    return out;
  }
};

std::size_t count_headers(const recorded_request& r, std::string_view name) {
  std::size_t n = 0;
  for (const auto& h : r.headers)
    if (h.name.size() == name.size() && std::equal(h.name.begin(), h.name.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      ++n;
  return n;
}

class every_coding : public compressed_response_test, public ::testing::WithParamInterface<const char*> {};

TEST_P(every_coding, unasked_compressed_json_is_decoded_and_the_headers_no_longer_describe_the_compressed_bytes) {
  // The input sets Accept-Encoding: identity, and the server compresses anyway.
  auto sink = run(get(std::string("/enc/") + GetParam(), {{"Accept-Encoding", "identity"}}));
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text().substr(0, 2000);
  const auto out = sink.of("data")[0].payload.at("body").as_object();
  EXPECT_EQ(out.at("statusCode"), 200);
  EXPECT_FALSE(out.contains("bodyEncoding"));
  EXPECT_EQ(out.at("body"), json::parse(payload())) << json::serialize(out.at("body")).substr(0, 300);
  const auto& headers = out.at("headers").as_object();
  EXPECT_FALSE(headers.contains("content-encoding")) << json::serialize(headers);
  EXPECT_FALSE(headers.contains("content-length")) << json::serialize(headers);
  EXPECT_EQ(headers.at("content-type"), "application/json");
  EXPECT_EQ(headers.at("x-served-by"), "loopback");
}

INSTANTIATE_TEST_SUITE_P(codings, every_coding,
                         ::testing::Values("gzip", "gzip-chunked", "x-gzip", "upper-case-gzip", "deflate-zlib",
                                           "deflate-raw", "br", "gzip-then-br"),
                         [](const ::testing::TestParamInfo<const char*>& coding) {
                           std::string name = coding.param;
                           for (auto& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

// The field report: "Accept-Encoding: gzip" in the input gave a string of U+FFFD where JSON should be.
TEST_F(compressed_response_test, a_user_accept_encoding_gzip_gets_the_json_not_replacement_characters) {
  auto sink = run(get("/negotiated", {{"Accept-Encoding", "gzip"}}));
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text().substr(0, 2000);
  const auto out = sink.of("data")[0].payload.at("body").as_object();
  EXPECT_EQ(json::serialize(out).find("\xEF\xBF\xBD"), std::string::npos) << "U+FFFD in the output";
  EXPECT_EQ(out.at("body"), json::parse(payload()));
  EXPECT_FALSE(out.at("headers").as_object().contains("content-encoding"));
}

TEST_F(compressed_response_test, accept_encoding_is_the_default_unless_the_input_sets_one) {
  // No Accept-Encoding in the input: the default, and the server's gzip is decoded.
  auto defaulted = run(get("/negotiated"));
  ASSERT_EQ(defaulted.of("data").size(), 1u) << defaulted.all_text().substr(0, 2000);
  ASSERT_EQ(requests_to("/negotiated").size(), 1u);
  EXPECT_EQ(requests_to("/negotiated").back().header("Accept-Encoding"), default_accept_encoding);
  const auto decoded = defaulted.of("data")[0].payload.at("body").as_object();
  EXPECT_EQ(decoded.at("body"), json::parse(payload()));
  EXPECT_FALSE(decoded.at("headers").as_object().contains("content-length"));

  // identity: sent as it is, once; the server answers uncompressed and the output keeps its length.
  auto identity = run(get("/negotiated", {{"accept-encoding", "identity"}}));
  ASSERT_EQ(identity.of("data").size(), 1u) << identity.all_text().substr(0, 2000);
  const auto sent = requests_to("/negotiated").back();
  EXPECT_EQ(sent.header("Accept-Encoding"), "identity");
  EXPECT_EQ(count_headers(sent, "Accept-Encoding"), 1u);
  const auto plain = identity.of("data")[0].payload.at("body").as_object();
  EXPECT_EQ(plain.at("body"), json::parse(payload()));
  EXPECT_EQ(plain.at("headers").at("content-length").as_string(), std::to_string(payload().size()));

  // The token request carries the default too.
  const auto tokens = requests_to("/oauth/token");
  ASSERT_FALSE(tokens.empty());
  for (const auto& t : tokens) EXPECT_EQ(t.header("Accept-Encoding"), default_accept_encoding);
}

TEST_F(compressed_response_test, a_coding_we_cannot_decode_is_an_error_naming_it) {
  auto sink = run(get("/unsupported"));
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
  EXPECT_EQ(sink.of("error")[0].name, "RequestError");
  const auto text = sink.of("error")[0].text;
  EXPECT_NE(text.find("zstd"), std::string::npos) << text;
  EXPECT_NE(text.find("GET " + server.base_url() + "/unsupported"), std::string::npos) << text;
  EXPECT_TRUE(sink.of("data").empty());
}

TEST_F(compressed_response_test, a_corrupt_gzip_body_is_an_error_naming_the_coding) {
  auto sink = run(get("/corrupt"));
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
  EXPECT_EQ(sink.of("error")[0].name, "RequestError");
  EXPECT_NE(sink.of("error")[0].text.find("gzip"), std::string::npos) << sink.of("error")[0].text;
  EXPECT_TRUE(sink.of("data").empty());
}

TEST_F(compressed_response_test, an_error_status_quotes_the_decoded_body) {
  auto sink = run(get("/failing"));
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text();
  EXPECT_EQ(sink.of("error")[0].name, "HTTPError");
  const auto text = sink.of("error")[0].text;
  EXPECT_NE(text.find("500"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"error":"backend down for maintenance"})"), std::string::npos) << text;
}

// Error Tolerance follows the status even when the body cannot be decoded; the reason says why
// the body is not quoted instead of quoting compressed bytes.
TEST_F(compressed_response_test, a_rebound_status_with_an_undecodable_body_still_rebounds_and_says_why) {
  json::object input = get("/busy");
  input["httpCodesToRebound"] = "503";
  auto sink = run(input, {{"errorTolerance", "reboundCodes"}});
  ASSERT_EQ(sink.of("rebound").size(), 1u) << sink.all_text();
  const auto reason = sink.of("rebound")[0].text;
  EXPECT_NE(reason.find("503"), std::string::npos) << reason;
  EXPECT_NE(reason.find("(Content-Encoding 'zstd' is not supported"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("(zstd bytes)"), std::string::npos) << reason;
}

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// 1 GiB of zeros is about 1 MB of gzip, well under maxResponseSize: only the decoded size can
// refuse it, and it must be refused as it is decoded, not after.
class bomb_test : public compressed_response_test {
 protected:
  // Made once, when first needed (each test may run in its own process).
  static const std::string& bomb() {
    static const std::string bytes = testing::gzip_of_zeros(std::uint64_t{1} << 30);
    return bytes;
  }
  reply handle(const recorded_request& r) override {
    if (r.path() != "/bomb") return compressed_response_test::handle(r);
    reply answer = reply::text(200, bomb(), "application/octet-stream");
    answer.headers.push_back({"Content-Encoding", "gzip"});
    return answer;
  }
};

TEST_F(bomb_test, a_gzip_bomb_is_refused_at_max_response_size_with_bounded_memory) {
  ASSERT_LT(bomb().size(), 2u * 1024 * 1024) << "the compressed bomb is small";
  const long before = max_rss_kib();
  auto sink = run(get("/bomb"));  // maxResponseSize: the default, 20971520
  const long grown_mib = (max_rss_kib() - before) / 1024;
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text().substr(0, 500);
  EXPECT_EQ(sink.of("error")[0].name, "RequestError");
  const auto text = sink.of("error")[0].text;
  EXPECT_NE(text.find("gzip"), std::string::npos) << text;
  EXPECT_NE(text.find("20971520"), std::string::npos) << "names the limit: " << text;
  EXPECT_NE(text.find("(maxResponseSize)"), std::string::npos) << "and the setting: " << text;
  EXPECT_TRUE(sink.of("data").empty());
  EXPECT_LT(grown_mib, 128) << "peak memory grew by " << grown_mib << " MiB decoding the bomb";
}

TEST_F(bomb_test, a_smaller_max_response_size_bounds_the_decoded_size_of_a_small_compressed_body) {
  // 160 kB of JSON that gzips to about 15 kB: under the limit compressed, over it decoded.
  auto sink = run(get("/enc/gzip"), {{"maxResponseSize", "50000"}});
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text().substr(0, 500);
  EXPECT_EQ(sink.of("error")[0].name, "RequestError");
  EXPECT_NE(sink.of("error")[0].text.find("50000"), std::string::npos) << sink.of("error")[0].text;
}

// The token endpoint compresses unasked: its answer is decoded before the token is read.
class compressed_token_test : public compressed_response_test {
 protected:
  reply handle(const recorded_request& r) override {
    if (r.path() != "/oauth/token") return compressed_response_test::handle(r);
    reply answer = api.handle(r);
    answer.body = testing::gzip(answer.body);
    answer.headers.push_back({"Content-Encoding", "gzip"});
    return answer;
  }
};

TEST_F(compressed_token_test, a_gzip_token_response_is_decoded_and_the_token_used) {
  auto sink = run(get("/negotiated"));
  ASSERT_EQ(sink.of("data").size(), 1u) << sink.all_text().substr(0, 2000);
  EXPECT_EQ(sink.of("data")[0].payload.at("body").at("body"), json::parse(payload()));
  ASSERT_EQ(api.tokens_issued(), 1u);
  const auto saved = json::parse(sink.of("updateKeys").at(0).payload.at("tokens").as_string());
  EXPECT_EQ(saved.at("access_token").as_string(), api.issued_tokens().at(0));
  EXPECT_EQ(requests_to("/negotiated").back().header("Authorization"), "Bearer " + api.issued_tokens().at(0));
  EXPECT_EQ(requests_to("/oauth/token").back().header("Accept-Encoding"), default_accept_encoding);
}

// A refusal from the token endpoint, compressed: its error code still reaches the message.
TEST_F(compressed_token_test, a_gzip_token_refusal_still_names_the_error) {
  auto sink = run(get("/negotiated"), {{"password", "not-the-right-secret"}});
  ASSERT_EQ(sink.of("error").size(), 1u) << sink.all_text().substr(0, 2000);
  EXPECT_EQ(sink.of("error")[0].name, "TokenError");
  EXPECT_NE(sink.of("error")[0].text.find("invalid_client"), std::string::npos) << sink.of("error")[0].text;
}

}  // namespace
}  // namespace oauth2_rest
