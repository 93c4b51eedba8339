// Unit tests: building the API request from the action's input message.
#include "action/request_builder.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace oauth2_rest::action {
namespace {

namespace json = boost::json;
namespace http = boost::beast::http;
using header_list = std::vector<std::pair<std::string, std::string>>;

api_request build(std::string_view input_json, std::string_view base = "https://h/api/") {
  auto r = build_api_request(json::parse(input_json).as_object(), base);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : api_request{};
}

std::string error_of(std::string_view input_json, std::string_view base = "https://h/api/") {
  auto r = build_api_request(json::parse(input_json).as_object(), base);
  EXPECT_FALSE(r.has_value());
  return r ? std::string("<built>") : r.error().message;
}

TEST(build_api_request, object_body_is_json_with_a_json_content_type) {
  auto r = build(R"({"url":"/v1/x?q=1","method":"post","body":{"a":1,"b":[true,null,"s"]}})");
  EXPECT_EQ(r.method, http::verb::post);
  EXPECT_EQ(r.method_name, "POST");
  EXPECT_EQ(r.url, "https://h/api/v1/x?q=1");
  EXPECT_EQ(r.body, R"({"a":1,"b":[true,null,"s"]})");
  EXPECT_EQ(r.headers, (header_list{{"Content-Type", "application/json"}}));
}

TEST(build_api_request, arrays_numbers_and_booleans_are_json) {
  EXPECT_EQ(build(R"({"url":"x","method":"PUT","body":[1,2]})").body, "[1,2]");
  EXPECT_EQ(build(R"({"url":"x","method":"PUT","body":7})").body, "7");
  auto r = build(R"({"url":"x","method":"PATCH","body":false})");
  EXPECT_EQ(r.body, "false");
  EXPECT_EQ(r.headers, (header_list{{"Content-Type", "application/json"}}));
}

TEST(build_api_request, user_content_type_is_kept) {
  auto r = build(R"({"url":"x","method":"POST","headers":{"content-type":"application/vnd.api+json","X-A":"1"},
                     "body":{"a":1}})");
  EXPECT_EQ(r.body, R"({"a":1})");
  EXPECT_EQ(r.headers, (header_list{{"content-type", "application/vnd.api+json"}, {"X-A", "1"}}));
}

TEST(build_api_request, object_with_form_content_type_is_a_form) {
  auto r = build(R"({"url":"x","method":"POST",
                     "headers":{"Content-Type":"application/x-www-form-urlencoded; charset=UTF-8"},
                     "body":{"name":"a b&c=d","n":2.5,"i":3,"ok":true,"none":null,
                             "obj":{"k":"v"},"list":[1],"é":"~*-._"}})");
  EXPECT_EQ(r.body,
            "name=a+b%26c%3Dd&n=2.5&i=3&ok=true&none=&obj=%7B%22k%22%3A%22v%22%7D&list=%5B1%5D"
            "&%C3%A9=%7E*-._");
  EXPECT_EQ(r.headers,
            (header_list{{"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"}}));
}

TEST(build_api_request, array_with_form_content_type_is_still_json) {
  auto r = build(R"({"url":"x","method":"POST",
                     "headers":{"CONTENT-TYPE":"application/x-www-form-urlencoded"},"body":[1]})");
  EXPECT_EQ(r.body, "[1]");
  EXPECT_EQ(r.headers, (header_list{{"CONTENT-TYPE", "application/x-www-form-urlencoded"}}));
}

TEST(build_api_request, string_body_is_sent_raw_without_content_type) {
  auto r = build(R"({"url":"x","method":"POST","body":"{\"raw\": true}  "})");
  EXPECT_EQ(r.body, "{\"raw\": true}  ");
  EXPECT_TRUE(r.headers.empty());
  r = build(R"({"url":"x","method":"POST","headers":{"Content-Type":"text/csv"},"body":"a,b"})");
  EXPECT_EQ(r.body, "a,b");
  EXPECT_EQ(r.headers, (header_list{{"Content-Type", "text/csv"}}));
}

TEST(build_api_request, get_and_head_drop_the_body) {
  auto r = build(R"({"url":"x","method":"GET","body":{"a":1}})");
  EXPECT_EQ(r.method, http::verb::get);
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.headers.empty());
  r = build(R"({"url":"x","method":"head","body":"text"})");
  EXPECT_EQ(r.method, http::verb::head);
  EXPECT_EQ(r.method_name, "HEAD");
  EXPECT_TRUE(r.body.empty());
}

TEST(build_api_request, null_or_absent_body_is_no_body) {
  auto r = build(R"({"url":"x","method":"POST","body":null})");
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.headers.empty());
  r = build(R"({"url":"x","method":"DELETE"})");
  EXPECT_EQ(r.method, http::verb::delete_);
  EXPECT_TRUE(r.body.empty());
}

TEST(build_api_request, authorization_and_framing_headers_are_removed) {
  auto r = build(R"({"url":"x","method":"GET","headers":{
      "Authorization":"Bearer mine","X-Keep":"yes","authorization":"Basic abc",
      "Content-Length":"99","transfer-encoding":"chunked","Accept":"application/json"}})");
  EXPECT_EQ(r.headers, (header_list{{"X-Keep", "yes"}, {"Accept", "application/json"}}));
}

TEST(build_api_request, header_values_are_stringified_and_null_skipped) {
  auto r = build(R"({"url":"x","method":"GET","headers":{
      "X-Int":42,"X-Float":1.5,"X-Bool":false,"X-Null":null,"X-Pad":"  v  ","X-Empty":""}})");
  EXPECT_EQ(r.headers, (header_list{{"X-Int", "42"}, {"X-Float", "1.5"}, {"X-Bool", "false"},
                                    {"X-Pad", "v"}, {"X-Empty", ""}}));
}

TEST(build_api_request, every_method_is_accepted_in_any_case) {
  const std::pair<const char*, http::verb> cases[] = {
      {"get", http::verb::get},       {"Post", http::verb::post},     {"PUT", http::verb::put},
      {"patch", http::verb::patch},   {"delete", http::verb::delete_}, {"HEAD", http::verb::head},
      {" options ", http::verb::options}};
  for (const auto& [name, verb] : cases) {
    json::object input{{"url", "x"}, {"method", name}};
    auto r = build_api_request(input, "https://h");
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->method, verb) << name;
  }
}

TEST(build_api_request, absolute_url_and_url_errors) {
  EXPECT_EQ(build(R"({"url":"https://other/x","method":"GET"})").url, "https://other/x");
  EXPECT_EQ(error_of(R"({"url":"/x","method":"GET"})", ""),
            "url '/x' is relative and no baseUrl is configured");
  EXPECT_EQ(error_of(R"({"method":"GET"})"), "url is required");
  EXPECT_EQ(error_of(R"({"url":null,"method":"GET"})"), "url is required");
  EXPECT_EQ(error_of(R"({"url":"","method":"GET"})"), "url is required");
  EXPECT_EQ(error_of(R"({"url":5,"method":"GET"})"), "url must be a string, got 5");
}

TEST(build_api_request, method_errors_name_the_value) {
  EXPECT_EQ(error_of(R"({"url":"x","method":"FETCH"})"),
            "method 'FETCH' is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
  EXPECT_EQ(error_of(R"({"url":"x"})"), "method is required");
  EXPECT_EQ(error_of(R"({"url":"x","method":"  "})"), "method is required");
  EXPECT_EQ(error_of(R"({"url":"x","method":1})"), "method must be a string, got 1");
  auto r = build_api_request(json::parse(R"({"url":"x","method":"TRACE"})").as_object(), "https://h");
  EXPECT_EQ(r.error().code, boost::system::errc::invalid_argument);
}

TEST(build_api_request, header_errors_name_the_header_but_not_the_value) {
  EXPECT_EQ(error_of(R"({"url":"x","method":"GET","headers":"X-A: 1"})"),
            "headers must be an object");
  EXPECT_EQ(error_of(R"({"url":"x","method":"GET","headers":[1]})"), "headers must be an object");
  EXPECT_EQ(error_of(R"({"url":"x","method":"GET","headers":{"X-A":{"b":1}}})"),
            "headers: 'X-A' must be a string, number or boolean, got an object");
  EXPECT_EQ(error_of(R"({"url":"x","method":"GET","headers":{"X-A":[1]}})"),
            "headers: 'X-A' must be a string, number or boolean, got an array");
  EXPECT_EQ(error_of(R"({"url":"x","method":"GET","headers":{"X A":"1"}})"),
            "headers: 'X A' is not a valid header name");
  std::string m = error_of(R"({"url":"x","method":"GET","headers":{"X-Token":"secret\r\nX-Evil: 1"}})");
  EXPECT_EQ(m, "headers: 'X-Token' has a control character (such as a line break) in its value");
  EXPECT_EQ(m.find("secret"), std::string::npos);
}

TEST(build_api_request, headers_null_is_no_headers) {
  EXPECT_TRUE(build(R"({"url":"x","method":"GET","headers":null})").headers.empty());
}

TEST(form_encode_component, follows_url_search_params) {
  EXPECT_EQ(form_encode_component("a b+c/d?e=f&g%h"), "a+b%2Bc%2Fd%3Fe%3Df%26g%25h");
  EXPECT_EQ(form_encode_component("AZaz09*-._~"), "AZaz09*-._%7E");
  EXPECT_EQ(form_encode_component("成"), "%E6%88%90");
  EXPECT_EQ(form_encode_component(""), "");
}

}  // namespace
}  // namespace oauth2_rest::action
