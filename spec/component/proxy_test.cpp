// Proxies end to end (SPEC 3) through a real squid: the token endpoint through the proxy, the
// built executable in local mode with the proxy environment (Basic proxy auth, right and wrong
// password, no_proxy), the proxy password absent from everything it prints, and
// `serve verifyCredentials` sending its token request through the proxy while its result goes
// to the platform directly.
#include "http/http_client.hpp"
#include "oauth2/token_client.hpp"
#include "support/async_run.hpp"
#include "support/child_process.hpp"
#include "support/demo_api.hpp"
#include "support/http_server.hpp"
#include "support/process_runner.hpp"
#include "support/squid_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"
#include "util/base64.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

namespace oauth2_rest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* proxy_user = "alice";
constexpr const char* proxy_password = "Sq1d-pr0xy-pa55";

// Every proxy variable the tests set or must not inherit from the machine.
const std::vector<std::string> proxy_variables{"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                               "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"};

std::string with_credentials(const std::string& proxy_url, const std::string& user, const std::string& pass) {
  return "http://" + user + ":" + pass + "@" + proxy_url.substr(std::string("http://").size());
}

// The password in the forms a leak could take: as written, and inside the Basic value.
void expect_no_password(const std::string& where, const std::string& text, const std::string& password) {
  EXPECT_THAT(text, Not(HasSubstr(password))) << where;
  EXPECT_THAT(text, Not(HasSubstr(base64_encode(std::string(proxy_user) + ":" + password)))) << where;
}

std::vector<json::object> events(const std::string& out) {
  std::vector<json::object> list;
  for (const auto& line : testing::split_lines(out)) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    EXPECT_FALSE(ec) << "stdout line is not JSON: " << line;
    if (!ec && v.is_object()) list.push_back(v.as_object());
  }
  return list;
}

class proxy_end_to_end_test : public ::testing::Test {
 protected:
  testing::temp_dir dir;
  testing::test_ca ca;
  testing::demo_api api;
  testing::http_server plain{api.as_handler()};
  testing::http_server secure{api.as_handler(), ca.issue()};

  std::filesystem::path write_config(const std::string& base) {
    json::object cfg{{"tokenUrl", base + "/oauth/token"}, {"username", "demo-client"}, {"password", "demo-secret"},
                     {"baseUrl", base + "/api"}, {"errorTolerance", "noErrors"}, {"requestTimeout", "20"}};
    auto path = dir.path() / "config.json";
    std::ofstream(path) << json::serialize(cfg);
    return path;
  }

  testing::process_result process(const std::filesystem::path& config, std::map<std::string, std::string> env) {
    testing::process_spec spec{.program = OAUTH2_REST_BINARY, .args = {"process", "--config", config.string()}};
    spec.input = R"({"id":"m1","body":{"url":"/items","method":"GET"}})" "\n";
    spec.env = std::move(env);
    spec.env["SSL_CERT_FILE"] = ca.write_certificate(dir.path()).string();
    spec.env["LOG_LEVEL"] = "trace";  // the most the program ever says: none of it may hold the password
    for (const auto& v : proxy_variables)
      if (!spec.env.contains(v)) spec.unset_env.push_back(v);
    spec.timeout = 60s;
    return run_process(spec);
  }
};

TEST_F(proxy_end_to_end_test, token_endpoint_through_squid_with_proxy_authentication) {
  testing::squid_server squid({.user = proxy_user, .password = proxy_password});
  boost::asio::io_context io;
  http::client_config config;
  const std::string proxy = with_credentials(squid.url(), proxy_user, proxy_password);
  config.proxy = http::proxy_config_from_environment([&](const char* name) -> const char* {
    return std::string(name) == "http_proxy" ? proxy.c_str() : nullptr;
  });
  http::client http(io.get_executor(), config);
  oauth2::client_credentials creds;
  creds.token_url = plain.base_url() + "/oauth/token";
  creds.client_id = "demo-client";
  creds.client_secret = "demo-secret";
  oauth2::token_client tokens(http, creds);
  auto got = testing::run_async(io, tokens.get(20s));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->value->access_token, api.issued_tokens().at(0));
  // The token endpoint saw squid's request; squid logged ours, authenticated as alice.
  const auto seen = plain.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_THAT(seen[0].header("Via"), HasSubstr("squid"));
  EXPECT_TRUE(squid.wait_for_log("POST " + plain.base_url() + "/oauth/token alice")) << squid.access_log();
}

TEST_F(proxy_end_to_end_test, local_mode_through_squid_right_and_wrong_password_never_printed) {
  testing::squid_server squid({.user = proxy_user, .password = proxy_password});
  const auto config = write_config(secure.base_url());  // https://localhost:PORT: CONNECT, then TLS to it

  auto good = process(config, {{"https_proxy", with_credentials(squid.url(), proxy_user, proxy_password)}});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  auto ev = events(good.out);
  ASSERT_EQ(ev.size(), 3u) << good.out;  // updateKeys, data, end
  EXPECT_EQ(ev[1].at("event").as_string(), "data") << good.out;
  EXPECT_EQ(ev[1].at("message").at("body").at("statusCode").as_int64(), 200);
  EXPECT_TRUE(squid.wait_for_log("CONNECT localhost:" + std::to_string(secure.port()))) << squid.access_log();
  EXPECT_THAT(good.err, HasSubstr("via " + squid.url() + " (https_proxy)"));  // the start-up line names it
  expect_no_password("stdout, right password", good.out, proxy_password);
  expect_no_password("stderr, right password", good.err, proxy_password);

  const std::string wrong = "Wr0ng-pa55-for-squid";
  auto bad = process(config, {{"HTTPS_PROXY", with_credentials(squid.url(), proxy_user, wrong)}});
  ASSERT_EQ(bad.exit_code, 0) << bad.err;
  ev = events(bad.out);
  ASSERT_GE(ev.size(), 1u) << bad.out;
  ASSERT_EQ(ev[0].at("event").as_string(), "error") << bad.out;
  const std::string message(ev[0].at("error").at("message").as_string());
  EXPECT_THAT(message, HasSubstr("the proxy " + squid.url() + " (from HTTPS_PROXY) refused CONNECT"));
  EXPECT_THAT(message, HasSubstr("407"));
  expect_no_password("stdout, wrong password", bad.out, wrong);
  expect_no_password("stderr, wrong password", bad.err, wrong);
  expect_no_password("stdout, wrong password", bad.out, proxy_password);
}

TEST_F(proxy_end_to_end_test, local_mode_no_proxy_bypasses_squid) {
  testing::squid_server squid;
  const auto config = write_config(plain.base_url());  // http://127.0.0.1:PORT

  auto proxied = process(config, {{"http_proxy", squid.url()}});
  ASSERT_EQ(proxied.exit_code, 0) << proxied.err;
  ASSERT_EQ(events(proxied.out).size(), 3u) << proxied.out;
  ASSERT_EQ(plain.request_count(), 2u);
  for (const auto& r : plain.requests()) EXPECT_THAT(r.header("Via"), HasSubstr("squid")) << r.target;

  plain.clear_requests();
  write_config(plain.base_url());  // without the saved token: a token request again
  auto direct = process(config, {{"http_proxy", squid.url()}, {"NO_PROXY", "localhost,127.0.0.1"}});
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  ASSERT_EQ(events(direct.out).size(), 3u) << direct.out;
  ASSERT_EQ(plain.request_count(), 2u);  // token and API, this time without squid
  for (const auto& r : plain.requests()) EXPECT_FALSE(r.has_header("Via")) << r.target;
}

TEST_F(proxy_end_to_end_test, verify_credentials_asks_for_the_token_through_the_proxy_and_posts_its_result_direct) {
  testing::squid_server squid;
  testing::http_server platform([](const testing::recorded_request&) { return testing::reply::json(200, "{}"); });
  json::object cfg{{"tokenUrl", plain.base_url() + "/oauth/token"}, {"username", "demo-client"}, {"password", "demo-secret"}};
  std::map<std::string, std::string> env{{"ELASTICIO_CFG", json::serialize(cfg)},
                                         {"ELASTICIO_POST_RESULT_URL", platform.base_url() + "/result"},
                                         {"http_proxy", squid.url()}, {"no_proxy", ""}, {"NO_PROXY", ""}};
  testing::child_process verify(OAUTH2_REST_BINARY, {"serve", "verifyCredentials"}, env, dir.path());
  ASSERT_EQ(verify.wait(60s).value_or(-2), 0) << verify.out() << verify.err();
  ASSERT_EQ(plain.request_count(), 1u);
  EXPECT_THAT(plain.requests()[0].header("Via"), HasSubstr("squid"));  // the token request: proxied
  ASSERT_EQ(platform.request_count(), 1u);
  EXPECT_THAT(platform.requests()[0].body, HasSubstr("\"verified\":true"));
  EXPECT_FALSE(platform.requests()[0].has_header("Via"));  // the platform call: direct
  EXPECT_TRUE(squid.wait_for_log("POST " + plain.base_url() + "/oauth/token")) << squid.access_log();
  EXPECT_THAT(squid.access_log(), Not(HasSubstr("/result")));
}

}  // namespace
}  // namespace oauth2_rest
