// proxy_config: no_proxy matching (curl's rules and the documented extensions), proxy URL
// parsing, and which variable wins. Pure: the environment is a lookup over a map.
#include "http/proxy_config.hpp"
#include "util/base64.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

namespace {

using namespace oauth2_rest;
using ::testing::HasSubstr;
using ::testing::Not;

struct no_proxy_case {
  const char* host;
  unsigned port;
  const char* no_proxy;
  bool direct;
};

// The first block is curl's own table (tests/unit/unit1614.c), which proxy_check_noproxy passes;
// the rest are this project's cases: ports, brackets, "*" in a list, "*.".
const no_proxy_case no_proxy_table[] = {
    // curl: a blank not followed by a comma ends the list
    {"www.example.com", 443, "localhost .example.com .example.de", false},
    {"www.example.com", 443, "localhost,.example.com,.example.de", true},
    {"www.example.com.", 443, "localhost,.example.com,.example.de", true},
    {"example.com", 443, "localhost,.example.com,.example.de", true},
    {"example.com.", 443, "localhost,.example.com,.example.de", true},
    {"www.example.com", 443, "localhost,.example.com.,.example.de", true},
    {"www.example.com", 443, "localhost,www.example.com.,.example.de", true},
    {"example.com", 443, "localhost,example.com,.example.de", true},
    {"example.com.", 443, "localhost,example.com,.example.de", true},
    {"nexample.com", 443, "localhost,example.com,.example.de", false},
    {"www.example.com", 443, "localhost,example.com,.example.de", true},
    {"127.0.0.1", 443, "127.0.0.1,localhost", true},
    {"127.0.0.1", 443, "127.0.0.1,localhost,", true},
    {"127.0.0.1", 443, "127.0.0.1/8,localhost,", true},
    {"127.0.0.1", 443, "127.0.0.1/28,localhost,", true},
    {"127.0.0.1", 443, "127.0.0.1/31,localhost,", true},
    {"127.0.0.1", 443, "localhost,127.0.0.1", true},
    {"localhost", 443, "localhost,127.0.0.1", true},
    {"localhost", 443, "127.0.0.1,localhost", true},
    {"foobar", 443, "barfoo", false},
    {"foobar", 443, "foobar", true},
    {"192.168.0.1", 443, "foobar", false},
    {"192.168.0.1", 443, "192.168.0.0/16", true},
    {"192.168.0.1", 443, "192.168.0.0/16a", false},
    {"192.168.0.1", 443, "192.168.0.0/16 ", true},
    {"192.168.0.1", 443, "192.168.0.0/a16", false},
    {"192.168.0.1", 443, "192.168.0.0/ 16", false},
    {"192.168.0.1", 443, "192.168.0.0/24", true},
    {"192.168.0.1", 443, "192.168.0.0/32", false},
    {"192.168.0.1", 443, "192.168.0.1/32", true},
    {"192.168.0.1", 443, "192.168.0.1/33", false},
    {"192.168.0.1", 443, "192.168.0.0", false},
    {"192.168.1.1", 443, "192.168.0.0/24", false},
    {"192.168.1.1", 443, "192.168.0.0/33", false},
    {"192.168.1.1", 443, "foo, bar, 192.168.0.0/24", false},
    {"192.168.1.1", 443, "foo, bar, 192.168.0.0/16", true},
    {"::1", 443, "foo, bar, 192.168.0.0/16", false},
    {"::1", 443, "foo, bar, ::1/64", true},
    {"::1", 443, "::1/64", true},
    {"::1", 443, "::1/129", false},
    {"::1", 443, "::1/128", true},
    {"::1", 443, "::1/127", true},
    {"::1", 443, "::1/a127", false},
    {"::1", 443, "::1/127a", false},
    {"::1", 443, "::1/ 127", false},
    {"::1", 443, "::1/127 ", true},
    {"2001:db8:8000::1", 443, "2001:db8::/65", false},
    {"2001:db8:8000::1", 443, "2001:db8::/72", false},
    {"2001:db8::1", 443, "2001:db8::/65", true},
    {"2001:db8::1", 443, "2001:db8::/72", true},
    {"bar", 443, "foo, bar, ::1/64", true},
    {"BAr", 443, "foo, bar, ::1/64", true},
    {"BAr", 443, "foo,,,,,              bar, ::1/64", true},
    {"www.example.com", 443, "foo, .example.com", true},
    {"www.example.com", 443, "www2.example.com, .example.net", false},
    {"example.com", 443, ".example.com, .example.net", true},
    {"nonexample.com", 443, ".example.com, .example.net", false},
    // curl: addresses compare as addresses, names never match an address
    {"::1", 443, "0:0::1", true},
    {"127.0.0.1", 443, "localhost", false},
    {"10.1.2.3", 443, "10.0.0.0/8", true},
    {"11.1.2.3", 443, "10.0.0.0/8", false},
    {"fd00::5", 443, "fd00::/8", true},
    {"127.0.0.1", 443, "::ffff:127.0.0.1", false},
    {"WWW.Example.COM", 443, "example.com", true},
    {"example.com", 443, "EXAMPLE.com", true},
    {"anything", 443, "*", true},
    {"anything", 443, "", false},
    {"anything", 443, ".", false},
    // extensions: host:port, brackets, "*" within a list, "*."
    {"api.example.com", 8443, "example.com:8443", true},
    {"api.example.com", 443, "example.com:8443", false},
    {"example.com", 443, "example.com:443", true},
    {"127.0.0.1", 3000, "127.0.0.1:3000", true},
    {"127.0.0.1", 3001, "127.0.0.1:3000", false},
    {"::1", 8080, "[::1]:8080", true},
    {"::1", 8081, "[::1]:8080", false},
    {"::1", 8081, "[::1]", true},
    {"example.com", 443, "example.com:notaport", false},
    {"example.com", 443, "example.com:0", false},
    {"anything", 443, "localhost, *", true},
    {"www.example.com", 443, "*.example.com", true},
    {"example.com", 443, "*.example.com", true},
    {"wexample.com", 443, "*.example.com", false},
};

TEST(no_proxy_table, matches_as_curl_does_plus_ports) {
  for (const auto& c : no_proxy_table) {
    http::no_proxy_list list(c.no_proxy);
    EXPECT_EQ(list.matches(c.host, c.port), c.direct)
        << "host " << c.host << ":" << c.port << " with no_proxy \"" << c.no_proxy << "\"";
  }
}

struct fake_env {
  std::map<std::string, std::string> vars;
  http::proxy_env_lookup lookup() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

TEST(proxy_environment, lower_case_wins_and_empty_counts_as_unset) {
  fake_env env{{{"https_proxy", "http://lower:3128"}, {"HTTPS_PROXY", "http://upper:3128"},
                {"http_proxy", ""}, {"HTTP_PROXY", "http://plain-upper:8080"},
                {"NO_PROXY", "internal.example"}}};
  auto config = http::proxy_config_from_environment(env.lookup());
  ASSERT_TRUE(config.https && config.https->server);
  EXPECT_EQ(config.https->variable, "https_proxy");
  EXPECT_EQ(config.https->server->host, "lower");
  ASSERT_TRUE(config.http && config.http->server);
  EXPECT_EQ(config.http->variable, "HTTP_PROXY");
  EXPECT_EQ(config.http->server->host, "plain-upper");
  EXPECT_EQ(config.no_proxy_variable, "NO_PROXY");

  EXPECT_EQ(config.select(true, "api.example.com", 443), &*config.https);
  EXPECT_EQ(config.select(false, "api.example.com", 80), &*config.http);
  EXPECT_EQ(config.select(true, "svc.internal.example", 443), nullptr);
  EXPECT_EQ(config.select(false, "internal.example", 80), nullptr);
}

TEST(proxy_environment, no_proxy_lower_case_wins) {
  fake_env env{{{"https_proxy", "proxy:3128"}, {"no_proxy", "a.example"}, {"NO_PROXY", "b.example"}}};
  auto config = http::proxy_config_from_environment(env.lookup());
  EXPECT_EQ(config.select(true, "a.example", 443), nullptr);
  EXPECT_NE(config.select(true, "b.example", 443), nullptr);
}

TEST(proxy_environment, nothing_set_is_direct) {
  fake_env env{{{"no_proxy", "x"}, {"ALL_PROXY", "http://all:3128"}}};
  auto config = http::proxy_config_from_environment(env.lookup());
  EXPECT_FALSE(config.any());
  EXPECT_EQ(config.select(true, "api.example.com", 443), nullptr);
  EXPECT_EQ(config.select(false, "api.example.com", 80), nullptr);
}

TEST(proxy_environment, an_unusable_value_is_kept_as_a_problem_without_credentials) {
  fake_env env{{{"https_proxy", "socks5://user:hunter2@proxy:1080"}}};
  auto config = http::proxy_config_from_environment(env.lookup());
  ASSERT_TRUE(config.https);
  EXPECT_FALSE(config.https->server);
  EXPECT_THAT(config.https->problem, HasSubstr("SOCKS"));
  EXPECT_THAT(config.describe(), HasSubstr("https_proxy"));
  EXPECT_THAT(config.describe(), Not(HasSubstr("hunter2")));
}

TEST(proxy_environment, describe_names_proxies_without_credentials) {
  fake_env env{{{"https_proxy", "http://alice:hunter2@proxy.corp:3128"}, {"no_proxy", "localhost,.corp"}}};
  auto config = http::proxy_config_from_environment(env.lookup());
  const auto text = config.describe();
  EXPECT_THAT(text, HasSubstr("https URLs via http://proxy.corp:3128 (https_proxy)"));
  EXPECT_THAT(text, HasSubstr("http URLs direct"));
  EXPECT_THAT(text, HasSubstr("no_proxy: localhost,.corp"));
  EXPECT_THAT(text, Not(HasSubstr("hunter2")));
  EXPECT_THAT(text, Not(HasSubstr("alice")));
}

TEST(proxy_url, scheme_less_default_port_and_ipv6) {
  auto plain = http::parse_proxy_url("proxy.corp:3128");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->host, "proxy.corp");
  EXPECT_EQ(plain->port, "3128");
  EXPECT_EQ(plain->url, "http://proxy.corp:3128");
  EXPECT_TRUE(plain->authorization.empty());

  auto no_port = http::parse_proxy_url("HTTP://Proxy.Corp/");
  ASSERT_TRUE(no_port) << no_port.error().message;
  EXPECT_EQ(no_port->host, "proxy.corp");
  EXPECT_EQ(no_port->port, "1080");  // curl's default proxy port

  auto v6 = http::parse_proxy_url("http://[::1]:8080");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->url, "http://[::1]:8080");

  auto bare = http::parse_proxy_url("10.0.0.1");
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare->url, "http://10.0.0.1:1080");
}

TEST(proxy_url, credentials_are_percent_decoded_into_basic) {
  auto p = http::parse_proxy_url("http://us%65r:p%40ss%3Aword@proxy:3128");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->authorization, "Basic " + base64_encode("user:p@ss:word"));
  EXPECT_EQ(p->url, "http://proxy:3128");

  auto user_only = http::parse_proxy_url("http://user@proxy:3128");
  ASSERT_TRUE(user_only);
  EXPECT_EQ(user_only->authorization, "Basic " + base64_encode("user:"));

  // A raw '@' in the password: the last '@' ends the credentials.
  auto raw_at = http::parse_proxy_url("http://user:p@ss@proxy:3128");
  ASSERT_TRUE(raw_at) << raw_at.error().message;
  EXPECT_EQ(raw_at->host, "proxy");
  EXPECT_EQ(raw_at->authorization, "Basic " + base64_encode("user:p@ss"));
}

TEST(proxy_url, bad_values_are_errors_that_never_show_the_password) {
  const char* bad[] = {
      "",
      "https://user:hunter2@proxy:3128",
      "socks5h://user:hunter2@proxy:1080",
      "ftp://user:hunter2@proxy",
      "http://user:hunter2@proxy:99999",
      "http://user:hunter2@proxy:port",
      "http://user:hunter2@",
      "http://user:hunter2@[::1",
      "http://user:hunter2@[proxy]:3128",
      "http://user:hunter2@::1:3128",
      "http://user:hunter2%zz@proxy:3128",
      "http://user:hunter2@pro xy:3128",
      "hunter2 ://proxy",
  };
  for (const char* text : bad) {
    auto p = http::parse_proxy_url(text);
    ASSERT_FALSE(p) << text;
    EXPECT_THAT(p.error().message, Not(HasSubstr("hunter2"))) << text;
    EXPECT_FALSE(p.error().message.empty());
  }
  EXPECT_THAT(http::parse_proxy_url("https://proxy:3128").error().message, HasSubstr("https://"));
  EXPECT_THAT(http::parse_proxy_url("proxy:0").error().message, HasSubstr("port"));
}

}  // namespace
