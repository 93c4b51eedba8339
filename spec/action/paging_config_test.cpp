// Unit tests: the retries and pagination fields of the httpRequest action's cfg (SPEC 8).
#include "action/action_config.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace oauth2_rest::action {
namespace {

namespace json = boost::json;

json::object cfg_with(std::string_view extra_json) {
  json::object cfg{{"tokenUrl", "https://auth.example.com/oauth/token"},
                   {"username", "client-1"},
                   {"password", "pa55-W0rd-xyzzy"}};
  json::value extra = json::parse(extra_json);
  for (const auto& [k, v] : extra.as_object()) cfg[k] = v;
  return cfg;
}

action_config parsed(std::string_view extra_json) {
  auto r = parse_action_config(cfg_with(extra_json));
  EXPECT_TRUE(r.has_value()) << extra_json << ": " << (r ? "" : r.error().message);
  return r ? *r : action_config{};
}

std::string error_of(std::string_view extra_json) {
  auto r = parse_action_config(cfg_with(extra_json));
  EXPECT_FALSE(r.has_value()) << extra_json;
  if (r) return "<parsed>";
  EXPECT_EQ(r.error().code, boost::system::errc::invalid_argument);
  return r.error().message;
}

TEST(paging_config, defaults) {
  auto c = parsed("{}");
  EXPECT_EQ(c.retries, 0);
  EXPECT_EQ(c.pagination, pagination_mode::none);
  EXPECT_EQ(c.next_page_pointer, "");
  EXPECT_EQ(c.max_pages, 100);
}

TEST(paging_config, blank_and_null_mean_default) {
  auto c = parsed(R"({"retries":"","pagination":" ","nextPagePointer":null,"maxPages":null})");
  EXPECT_EQ(c.retries, 0);
  EXPECT_EQ(c.pagination, pagination_mode::none);
  EXPECT_EQ(c.max_pages, 100);
}

TEST(paging_config, numbers_as_strings_or_json_numbers) {
  struct row {
    const char* json;
    int retries, max_pages;
  };
  for (const auto& r : {row{R"({"retries":"3","maxPages":"7"})", 3, 7}, row{R"({"retries":10,"maxPages":1000})", 10, 1000},
                        row{R"({"retries":" 0 ","maxPages":"1"})", 0, 1}, row{R"({"retries":2.0,"maxPages":"+5"})", 2, 5}}) {
    auto c = parsed(r.json);
    EXPECT_EQ(c.retries, r.retries) << r.json;
    EXPECT_EQ(c.max_pages, r.max_pages) << r.json;
  }
}

TEST(paging_config, out_of_range_or_not_whole_numbers_name_the_field) {
  struct row {
    const char* json;
    const char* message;
  };
  for (const auto& r : {
           row{R"({"retries":"11"})", "retries '11' must be a whole number from 0 to 10"},
           row{R"({"retries":"-1"})", "retries '-1' must be a whole number from 0 to 10"},
           row{R"({"retries":"two"})", "retries 'two' must be a whole number from 0 to 10"},
           row{R"({"retries":1.5})", "retries '1.5' must be a whole number from 0 to 10"},
           row{R"({"retries":true})", "retries 'true' must be a whole number from 0 to 10"},
           row{R"({"maxPages":"0"})", "maxPages '0' must be a whole number from 1 to 1000"},
           row{R"({"maxPages":"1001"})", "maxPages '1001' must be a whole number from 1 to 1000"},
           row{R"({"maxPages":"1e3"})", "maxPages '1e3' must be a whole number from 1 to 1000"},
       }) {
    EXPECT_EQ(error_of(r.json), r.message) << r.json;
  }
}

TEST(paging_config, pagination_modes) {
  EXPECT_EQ(parsed(R"({"pagination":"none"})").pagination, pagination_mode::none);
  EXPECT_EQ(parsed(R"({"pagination":"linkHeader"})").pagination, pagination_mode::link_header);
  auto c = parsed(R"({"pagination":"bodyPointer","nextPagePointer":" /links/next "})");
  EXPECT_EQ(c.pagination, pagination_mode::body_pointer);
  EXPECT_EQ(c.next_page_pointer, "/links/next") << "surrounding blanks of a text field are dropped";
  EXPECT_EQ(error_of(R"({"pagination":"links"})"), "pagination 'links' is not one of none, linkHeader, bodyPointer");
  EXPECT_EQ(error_of(R"({"pagination":5})"), "pagination must be a string");
}

TEST(paging_config, body_pointer_needs_a_valid_pointer) {
  EXPECT_EQ(error_of(R"({"pagination":"bodyPointer"})"), "nextPagePointer is required when pagination is bodyPointer");
  EXPECT_EQ(error_of(R"({"pagination":"bodyPointer","nextPagePointer":"  "})"),
            "nextPagePointer is required when pagination is bodyPointer");
  EXPECT_EQ(error_of(R"({"pagination":"bodyPointer","nextPagePointer":"links/next"})"),
            "nextPagePointer 'links/next' is not a JSON Pointer (RFC 6901) such as /links/next: it must be empty or "
            "start with '/'");
  EXPECT_EQ(error_of(R"({"pagination":"bodyPointer","nextPagePointer":"/a~2b"})"),
            "nextPagePointer '/a~2b' is not a JSON Pointer (RFC 6901) such as /links/next: it has '~' not followed "
            "by 0 or 1 (at byte 3)");
  // Only checked when it is used.
  EXPECT_EQ(parsed(R"({"pagination":"linkHeader","nextPagePointer":"nonsense~"})").pagination,
            pagination_mode::link_header);
}

}  // namespace
}  // namespace oauth2_rest::action
