// Unit tests: joining the request Url to the Base URL (component-behaviour.md 7.3, 7.9).
#include "action/url_join.hpp"

#include <gtest/gtest.h>

namespace oauth2_rest::action {
namespace {

std::string joined(std::string_view base, std::string_view url) {
  auto r = join_url(base, url);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : std::string("<error>");
}

std::string error_of(std::string_view base, std::string_view url) {
  auto r = join_url(base, url);
  EXPECT_FALSE(r.has_value()) << "unexpectedly joined: " << (r ? *r : "");
  return r ? std::string("<joined>") : r.error().message;
}

TEST(join_url, exactly_one_slash_between_base_and_path_and_query_kept) {
  EXPECT_EQ(joined("https://h/api/", "/v1/x?q=1"), "https://h/api/v1/x?q=1");
  EXPECT_EQ(joined("https://h/api", "v1"), "https://h/api/v1");
  EXPECT_EQ(joined("https://h/api", "/v1"), "https://h/api/v1");
  EXPECT_EQ(joined("https://h/api/", "v1"), "https://h/api/v1");
  EXPECT_EQ(joined("https://h/api///", "///v1//x"), "https://h/api/v1//x");
  EXPECT_EQ(joined("https://h", "v1"), "https://h/v1");
  EXPECT_EQ(joined("https://h/", "/"), "https://h/");
}

TEST(join_url, absolute_url_is_used_as_is_even_with_a_base) {
  EXPECT_EQ(joined("https://h/api/", "https://other/x"), "https://other/x");
  EXPECT_EQ(joined("", "http://other:8080/x?y=%20#f"), "http://other:8080/x?y=%20#f");
  EXPECT_EQ(joined("https://h", "HTTPS://Other/X"), "HTTPS://Other/X");
  EXPECT_EQ(joined("https://h", "HtTp://o"), "HtTp://o");
}

TEST(join_url, relative_url_without_base_is_an_error) {
  EXPECT_EQ(error_of("", "/v1/x"), "url '/v1/x' is relative and no baseUrl is configured");
  EXPECT_EQ(error_of("   ", "v1"), "url 'v1' is relative and no baseUrl is configured");
  EXPECT_EQ(join_url("", "v1").error().code, boost::system::errc::invalid_argument);
}

TEST(join_url, encoded_and_non_ascii_bytes_are_kept_byte_for_byte) {
  EXPECT_EQ(joined("https://h/api/", "files/a%2Fb?city=成都&x=%E6%88%90"),
            "https://h/api/files/a%2Fb?city=成都&x=%E6%88%90");
  EXPECT_EQ(joined("", "https://h/成都/a%2Fb"), "https://h/成都/a%2Fb");
  EXPECT_EQ(joined("https://h/", "a b"), "https://h/a b");
}

TEST(join_url, whitespace_around_both_is_trimmed) {
  EXPECT_EQ(joined("  https://h/api/ \n", "\t/v1 "), "https://h/api/v1");
  EXPECT_EQ(joined("", "  https://o/x  "), "https://o/x");
}

TEST(join_url, query_or_fragment_only_is_appended_to_the_base_as_configured) {
  EXPECT_EQ(joined("https://h/api", "?a=1"), "https://h/api?a=1");
  EXPECT_EQ(joined("https://h/api/", "?a=1"), "https://h/api/?a=1");
  EXPECT_EQ(joined("https://h/api", "#top"), "https://h/api#top");
}

TEST(join_url, errors_name_the_value) {
  EXPECT_EQ(error_of("https://h", ""), "url is required");
  EXPECT_EQ(error_of("https://h", "  \t "), "url is required");
  EXPECT_EQ(error_of("https://h", "ftp://files/x"), "url 'ftp://files/x' must use http or https");
  EXPECT_EQ(error_of("", "file:///etc/passwd"), "url 'file:///etc/passwd' must use http or https");
  EXPECT_EQ(error_of("h/api", "v1"), "baseUrl 'h/api' is not an absolute http(s) URL");
  EXPECT_EQ(error_of("ftp://h/api", "v1"), "baseUrl 'ftp://h/api' is not an absolute http(s) URL");
  EXPECT_EQ(error_of("https://", "v1"), "baseUrl 'https://' is not an absolute http(s) URL");
  EXPECT_EQ(error_of("", "https://"), "url 'https://' has no host");
  EXPECT_EQ(error_of("", "https:///x"), "url 'https:///x' has no host");
}

TEST(join_url, a_bad_base_is_not_reported_when_the_url_is_absolute) {
  EXPECT_EQ(joined("not a url", "https://o/x"), "https://o/x");
}

TEST(join_url, host_port_without_scheme_is_relative) {
  EXPECT_EQ(joined("https://h/api", "localhost:8080/x"), "https://h/api/localhost:8080/x");
}

TEST(join_url, userinfo_never_appears_in_messages) {
  std::string m = error_of("", "ftp://user:s3cret@files/x");
  EXPECT_EQ(m, "url 'ftp://files/x' must use http or https");
  m = error_of("htps://u:pw@h", "v1");
  EXPECT_EQ(m, "baseUrl 'htps://h' is not an absolute http(s) URL");
}

TEST(strip_userinfo, removes_only_the_userinfo) {
  EXPECT_EQ(strip_userinfo("https://u:p@h:1/x?a=b@c"), "https://h:1/x?a=b@c");
  EXPECT_EQ(strip_userinfo("https://h/x@y"), "https://h/x@y");
  EXPECT_EQ(strip_userinfo("relative/x@y"), "relative/x@y");
}

TEST(is_absolute_http_url, checks_scheme_and_host) {
  EXPECT_TRUE(is_absolute_http_url("https://h"));
  EXPECT_TRUE(is_absolute_http_url("HTTP://h/x"));
  EXPECT_FALSE(is_absolute_http_url("https://"));
  EXPECT_FALSE(is_absolute_http_url("ws://h"));
  EXPECT_FALSE(is_absolute_http_url("h/x"));
}

}  // namespace
}  // namespace oauth2_rest::action
