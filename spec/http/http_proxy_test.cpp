// The HTTP client through proxies: our own loopback server playing the proxy (exact control of
// what is sent and answered), and a real squid (a proxy that accepts us: absolute form, CONNECT
// tunnels with TLS verified end to end, Basic proxy authentication, refusals). Also the
// cross-origin redirect rule for Cookie and Proxy-Authorization.
#include "http/http_client.hpp"
#include "support/http_server.hpp"
#include "support/squid_server.hpp"
#include "support/test_ca.hpp"
#include "util/base64.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>

namespace {

namespace asio = boost::asio;
using namespace oauth2_rest;
using namespace oauth2_rest::testing;
using http::error;
using verb = boost::beast::http::verb;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* password = "pr0xy-s3cret";  // must never appear in an error text

result<http::response> run(asio::io_context& io, http::client& client, http::request req) {
  std::optional<result<http::response>> out;
  http::request_options options;
  options.timeout = std::chrono::seconds(20);
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { out.emplace(co_await client.send(std::move(req), options)); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.restart();
  io.run();
  if (!out) return failure{make_error_code(error::protocol_error), "send never completed"};
  return std::move(*out);
}

http::request get(std::string url, std::vector<http::header> headers = {}) {
  return http::request{verb::get, std::move(url), std::move(headers), {}};
}

std::shared_ptr<asio::ssl::context> trusting(const test_ca& ca) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  context->add_certificate_authority(asio::buffer(ca.certificate_pem()));
  return context;
}

// A client_config whose proxies come from these variables.
http::client_config with_env(std::map<std::string, std::string> vars) {
  http::client_config config;
  config.proxy = http::proxy_config_from_environment([&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
  return config;
}

std::string with_credentials(const std::string& proxy_url, const std::string& user, const std::string& pass) {
  return "http://" + user + ":" + pass + "@" + proxy_url.substr(std::string("http://").size());
}

reply ok_text(std::string body = "ok") { return reply::text(200, std::move(body)); }

class http_proxy_test : public ::testing::Test {
 protected:
  asio::io_context io_;
};

// --- our own server as the proxy: exactly what goes on the wire ---

TEST_F(http_proxy_test, http_goes_to_the_proxy_in_absolute_form_with_basic_credentials_on_each_request) {
  http_server proxy([](const recorded_request&) { return ok_text("from proxy"); });
  // p%40ss: the password is percent-decoded before it is encoded for Basic.
  http::client client(io_.get_executor(),
                      with_env({{"http_proxy", "http://alice:p%40ss@127.0.0.1:" + std::to_string(proxy.port())}}));
  // The target's name needs no resolving here: the proxy does that.
  for (int i = 0; i < 2; ++i) {
    auto got = run(io_, client, get("http://api.example.test:8080/items?q=1", {{"Proxy-Authorization", "caller's"}}));
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->body, "from proxy");
  }
  const auto seen = proxy.requests();
  ASSERT_EQ(seen.size(), 2u);
  for (const auto& r : seen) {
    EXPECT_EQ(r.target, "http://api.example.test:8080/items?q=1");
    EXPECT_EQ(r.header("Host"), "api.example.test:8080");
    EXPECT_EQ(r.header("Proxy-Authorization"), "Basic " + base64_encode("alice:p@ss"));
  }
  EXPECT_EQ(seen[0].connection_id, seen[1].connection_id);  // pooled
}

TEST_F(http_proxy_test, https_opens_a_connect_tunnel_with_credentials_and_refusals_name_the_proxy_and_status) {
  for (unsigned status : {407u, 403u, 502u}) {
    http_server proxy([status](const recorded_request&) {
      auto r = reply::text(status, "no tunnel for you");
      r.close_after = true;
      return r;
    });
    const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
    http::client client(io_.get_executor(), with_env({{"HTTPS_PROXY", with_credentials(proxy_url, "bob", password)}}));
    auto got = run(io_, client, get("https://api.example.test/v1/items"));
    ASSERT_FALSE(got) << status;
    EXPECT_EQ(got.error().code, error::proxy_refused);
    EXPECT_THAT(got.error().message, HasSubstr(proxy_url + " (from HTTPS_PROXY)"));
    EXPECT_THAT(got.error().message, HasSubstr("CONNECT api.example.test:443: " + std::to_string(status)));
    EXPECT_THAT(got.error().message, HasSubstr("GET https://api.example.test/v1/items"));
    EXPECT_THAT(got.error().message, Not(HasSubstr(password)));
    EXPECT_THAT(got.error().message, Not(HasSubstr("bob")));
    const auto seen = proxy.requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].method, "CONNECT");
    EXPECT_EQ(seen[0].target, "api.example.test:443");
    EXPECT_EQ(seen[0].header("Host"), "api.example.test:443");
    EXPECT_EQ(seen[0].header("Proxy-Authorization"), "Basic " + base64_encode(std::string("bob:") + password));
  }
}

TEST_F(http_proxy_test, a_407_to_a_proxied_http_request_is_a_proxy_error_without_the_password) {
  http_server proxy([](const recorded_request&) { return reply::text(407, "who are you"); });
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  http::client client(io_.get_executor(), with_env({{"http_proxy", with_credentials(proxy_url, "bob", password)}}));
  auto got = run(io_, client, get("http://api.example.test/x"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::proxy_refused);
  EXPECT_THAT(got.error().message, HasSubstr(proxy_url));
  EXPECT_THAT(got.error().message, HasSubstr("407"));
  EXPECT_THAT(got.error().message, Not(HasSubstr(password)));
}

TEST_F(http_proxy_test, no_proxy_hosts_go_direct) {
  http_server proxy([](const recorded_request&) { return reply::text(502, "the proxy must not be used"); });
  http_server target([](const recorded_request&) { return ok_text("direct"); });
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  http::client client(io_.get_executor(), with_env({{"http_proxy", proxy_url}, {"no_proxy", "localhost, 127.0.0.0/8"}}));
  auto got = run(io_, client, get(target.base_url() + "/d"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->body, "direct");
  EXPECT_EQ(proxy.request_count(), 0u);
  ASSERT_EQ(target.request_count(), 1u);
  EXPECT_EQ(target.requests()[0].target, "/d");

  // Control: without the no_proxy entry the same request goes to the proxy.
  http::client proxied(io_.get_executor(), with_env({{"http_proxy", proxy_url}, {"no_proxy", "localhost"}}));
  auto via = run(io_, proxied, get(target.base_url() + "/d"));
  ASSERT_TRUE(via) << via.error().message;
  EXPECT_EQ(via->status, 502u);
  EXPECT_EQ(proxy.request_count(), 1u);
}

TEST_F(http_proxy_test, an_unusable_proxy_variable_fails_the_request_naming_it) {
  http::client client(io_.get_executor(), with_env({{"https_proxy", "socks5://carol:" + std::string(password) + "@127.0.0.1:1080"}}));
  auto got = run(io_, client, get("https://api.example.test/x"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::proxy_refused);
  EXPECT_THAT(got.error().message, HasSubstr("https_proxy"));
  EXPECT_THAT(got.error().message, HasSubstr("SOCKS"));
  EXPECT_THAT(got.error().message, Not(HasSubstr(password)));
}

TEST_F(http_proxy_test, a_proxy_that_does_not_listen_is_a_connect_error_naming_it) {
  unsigned short port = 0;
  {
    http_server gone([](const recorded_request&) { return ok_text(); });
    port = gone.port();
  }
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(port);
  http::client client(io_.get_executor(), with_env({{"https_proxy", with_credentials(proxy_url, "dave", password)}}));
  auto got = run(io_, client, get("https://api.example.test/x"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, error::connect_failed);
  EXPECT_THAT(got.error().message, HasSubstr("the proxy " + proxy_url + " (from https_proxy)"));
  EXPECT_THAT(got.error().message, Not(HasSubstr(password)));
}

// --- redirects (SPEC 3): credentials stay with the origin the caller chose ---

TEST_F(http_proxy_test, cross_origin_redirect_drops_authorization_cookie_and_proxy_authorization) {
  http_server other([](const recorded_request&) { return ok_text("other"); });
  http_server first([&other](const recorded_request& r) {
    if (r.path() == "/same") return reply{.status = 302, .headers = {{"Location", "/elsewhere"}}};
    if (r.path() == "/elsewhere") return reply{.status = 302, .headers = {{"Location", other.base_url() + "/landed"}}};
    return ok_text();
  });
  http::client client(io_.get_executor());
  const std::vector<http::header> secrets{
      {"Authorization", "Bearer tok"}, {"Cookie", "session=1"}, {"Proxy-Authorization", "Basic eA=="}, {"X-Keep", "yes"}};
  auto got = run(io_, client, get(first.base_url() + "/same", secrets));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->body, "other");

  const auto same = first.requests();
  ASSERT_EQ(same.size(), 2u);
  EXPECT_EQ(same[1].header("Cookie"), "session=1");  // same origin: kept
  EXPECT_EQ(same[1].header("Authorization"), "Bearer tok");
  const auto landed = other.requests();
  ASSERT_EQ(landed.size(), 1u);
  EXPECT_FALSE(landed[0].has_header("Authorization"));
  EXPECT_FALSE(landed[0].has_header("Cookie"));
  EXPECT_FALSE(landed[0].has_header("Proxy-Authorization"));
  EXPECT_EQ(landed[0].header("X-Keep"), "yes");
}

// --- a real squid ---

class squid_test : public http_proxy_test {
 protected:
  test_ca ca_;
};

TEST_F(squid_test, http_api_through_squid_in_absolute_form) {
  squid_server squid;
  http_server api([](const recorded_request& r) { return ok_text("api saw " + r.target); });
  http::client client(io_.get_executor(), with_env({{"http_proxy", squid.url()}}));
  auto got = run(io_, client, get(api.base_url() + "/items?page=2"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->body, "api saw /items?page=2");
  // The API saw squid's request (squid adds Via), and squid logged the absolute-form URL we sent.
  ASSERT_EQ(api.request_count(), 1u);
  EXPECT_THAT(api.requests()[0].header("Via"), HasSubstr("squid"));
  EXPECT_TRUE(squid.wait_for_log("GET " + api.base_url() + "/items?page=2")) << squid.access_log();
}

TEST_F(squid_test, https_through_a_connect_tunnel_verifies_the_target_end_to_end) {
  squid_server squid;
  http_server api([](const recorded_request&) { return ok_text("secure"); }, ca_.issue());
  http::client client(io_.get_executor(), trusting(ca_), with_env({{"https_proxy", squid.url()}}));
  for (int i = 0; i < 2; ++i) {
    auto got = run(io_, client, get(api.base_url() + "/s"));  // https://localhost:PORT
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->body, "secure");
  }
  EXPECT_EQ(client.stats().connections_opened, 1u);  // the tunnel is pooled for its origin
  client.close_idle();  // squid logs a CONNECT when its tunnel closes
  EXPECT_TRUE(squid.wait_for_log("CONNECT localhost:" + std::to_string(api.port()))) << squid.access_log();
  ASSERT_EQ(api.request_count(), 2u);
  EXPECT_FALSE(api.requests()[0].has_header("Via"));  // inside the tunnel squid sees nothing

  // The certificate is checked against the target, not the proxy: one for another name fails.
  http_server wrong_name([](const recorded_request&) { return ok_text(); },
                         ca_.issue({.dns_names = {"other.example"}, .ip_addresses = {}}));
  auto refused = run(io_, client, get(wrong_name.base_url() + "/"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, error::tls_handshake_failed);
  EXPECT_THAT(refused.error().message, HasSubstr("hostname mismatch"));
  EXPECT_EQ(wrong_name.request_count(), 0u);
}

TEST_F(squid_test, basic_proxy_authentication_right_and_wrong_credentials) {
  squid_server squid({.user = "alice", .password = password});
  http_server plain([](const recorded_request&) { return ok_text("plain"); });
  http_server secure([](const recorded_request&) { return ok_text("secure"); }, ca_.issue());
  {
    const std::string good = with_credentials(squid.url(), "alice", password);
    http::client client(io_.get_executor(), trusting(ca_), with_env({{"http_proxy", good}, {"https_proxy", good}}));
    auto via_http = run(io_, client, get(plain.base_url() + "/p"));
    ASSERT_TRUE(via_http) << via_http.error().message;
    EXPECT_EQ(via_http->body, "plain");
    auto via_https = run(io_, client, get(secure.base_url() + "/s"));
    ASSERT_TRUE(via_https) << via_https.error().message;
    EXPECT_EQ(via_https->body, "secure");
    // squid does not pass our proxy credentials on to the API.
    EXPECT_FALSE(plain.requests().at(0).has_header("Proxy-Authorization"));
  }
  {
    const std::string bad = with_credentials(squid.url(), "alice", "wrong-password");
    http::client client(io_.get_executor(), trusting(ca_), with_env({{"http_proxy", bad}, {"https_proxy", bad}}));
    auto tunnel = run(io_, client, get(secure.base_url() + "/s"));
    ASSERT_FALSE(tunnel);
    EXPECT_EQ(tunnel.error().code, error::proxy_refused);
    EXPECT_THAT(tunnel.error().message, HasSubstr("the proxy " + squid.url() + " (from https_proxy) refused CONNECT"));
    EXPECT_THAT(tunnel.error().message, HasSubstr("407"));
    EXPECT_THAT(tunnel.error().message, Not(HasSubstr("wrong-password")));
    auto plain_http = run(io_, client, get(plain.base_url() + "/p"));
    ASSERT_FALSE(plain_http);
    EXPECT_EQ(plain_http.error().code, error::proxy_refused);
    EXPECT_THAT(plain_http.error().message, HasSubstr(squid.url()));
    EXPECT_THAT(plain_http.error().message, HasSubstr("407"));
    EXPECT_THAT(plain_http.error().message, Not(HasSubstr("wrong-password")));
  }
  EXPECT_EQ(plain.request_count(), 1u);
  EXPECT_EQ(secure.request_count(), 1u);
}

TEST_F(squid_test, connect_refused_by_squid_names_the_proxy_and_its_status) {
  squid_server squid({.denied_connect_port = 25});
  http::client client(io_.get_executor(), trusting(ca_), with_env({{"https_proxy", squid.url()}}));
  // A port squid's rules deny: 403 without any connection attempt.
  auto denied = run(io_, client, get("https://127.0.0.1:25/"));
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, error::proxy_refused);
  EXPECT_THAT(denied.error().message, HasSubstr("the proxy " + squid.url() + " (from https_proxy) refused CONNECT 127.0.0.1:25: 403"));

  // A port nobody listens on: squid cannot connect and says so with a 5xx (503 in squid 5).
  unsigned short unused = 0;
  {
    http_server gone([](const recorded_request&) { return ok_text(); });
    unused = gone.port();
  }
  auto unreachable = run(io_, client, get("https://127.0.0.1:" + std::to_string(unused) + "/"));
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code, error::proxy_refused);
  EXPECT_THAT(unreachable.error().message, ContainsRegex("refused CONNECT 127\\.0\\.0\\.1:[0-9]+: 5[0-9][0-9]"));
}

}  // namespace
