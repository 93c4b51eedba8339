// Service mode: result bodies and the POST_RESULT_URL credentials split.
#include "sail/service_result.hpp"

#include "sail/error.hpp"
#include "util/base64.hpp"

#include <boost/json/object.hpp>

#include <gtest/gtest.h>

namespace oauth2_rest::sail {
namespace {

TEST(service_result, bodies) {
  EXPECT_EQ(verified_body(), R"({"status":"success","data":{"verified":true}})");
  EXPECT_EQ(not_verified_body("invalid_client: \"bad\""),
            R"({"status":"success","data":{"verified":false,"reason":"invalid_client: \"bad\""}})");
  EXPECT_EQ(success_body(boost::json::object{{"in", boost::json::object{}}}),
            R"({"status":"success","data":{"in":{}}})");
  EXPECT_EQ(error_body("boom"), R"({"status":"error","data":{"message":"boom"}})");
}

TEST(service_result, splits_decoded_credentials_from_the_url) {
  auto r = split_post_result_url("https://us%40er:p%3Ass%20w@api.example.com:8443/v1/exec/result/1?x=1");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->url, "https://api.example.com:8443/v1/exec/result/1?x=1");
  EXPECT_EQ(r->authorization, "Basic " + base64_encode("us@er:p:ss w"));
}

TEST(service_result, url_without_credentials_is_unchanged) {
  auto r = split_post_result_url("http://localhost:1244/result");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "http://localhost:1244/result");
  EXPECT_FALSE(r->authorization.has_value());
}

TEST(service_result, user_without_password) {
  auto r = split_post_result_url("http://task-user@localhost/result");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "http://localhost/result");
  EXPECT_EQ(r->authorization, "Basic " + base64_encode("task-user:"));
}

TEST(service_result, invalid_url_is_refused_without_echoing_it) {
  for (const char* bad : {"not a url user:secret", "/relative/path", "mailto:user:secret"}) {
    auto r = split_post_result_url(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, make_error_code(error::invalid_url));
    EXPECT_EQ(r.error().message.find("secret"), std::string::npos);
  }
}

}  // namespace
}  // namespace oauth2_rest::sail
