// Unit tests: RFC 6901 JSON Pointer.
#include "action/json_pointer.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace oauth2_rest::action {
namespace {

namespace json = boost::json;

// RFC 6901 section 5's document, plus nesting.
const json::value document = json::parse(R"({
  "foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8,
  "links": {"next": "https://api.example.com/p2", "prev": null},
  "pages": [{"href": "/p1"}, {"href": "/p2"}, {"href": "/p3"}, {"href": "/p4"}, {"href": "/p5"},
            {"href": "/p6"}, {"href": "/p7"}, {"href": "/p8"}, {"href": "/p9"}, {"href": "/p10"}, {"href": "/p11"}],
  "01": "zero-one key", "~1": "tilde-one key"
})");

std::string select(std::string_view pointer) {
  auto p = parse_json_pointer(pointer);
  if (!p) return "error: " + p.error().message;
  const auto* v = find_pointer(document, *p);
  return v ? json::serialize(*v) : "<nothing>";
}

TEST(json_pointer, rfc_6901_examples) {
  struct row {
    const char* pointer;
    const char* selected;
  };
  const row rows[] = {
      {"/foo", R"(["bar","baz"])"}, {"/foo/0", R"("bar")"}, {"/", "0"},    {"/a~1b", "1"},  {"/c%d", "2"},
      {"/e^f", "3"},                {"/g|h", "4"},          {"/i\\j", "5"}, {"/k\"l", "6"}, {"/ ", "7"},
      {"/m~0n", "8"},
  };
  for (const auto& r : rows) EXPECT_EQ(select(r.pointer), r.selected) << r.pointer;
  EXPECT_EQ(json::serialize(*find_pointer(document, *parse_json_pointer(""))), json::serialize(document));
}

TEST(json_pointer, selection_table) {
  struct row {
    const char* pointer;
    const char* selected;
  };
  const row rows[] = {
      {"/links/next", R"("https://api.example.com/p2")"},
      {"/links/prev", "null"},
      {"/links/last", "<nothing>"},
      {"/links/next/x", "<nothing>"},  // into a string
      {"/pages/2/href", R"("/p3")"},
      {"/pages/10/href", R"("/p11")"},  // two digits
      {"/pages/11", "<nothing>"},       // past the end
      {"/pages/-", "<nothing>"},        // the element after the last
      {"/pages/01", "<nothing>"},       // leading zero
      {"/pages/+1", "<nothing>"},
      {"/pages/1e0", "<nothing>"},
      {"/pages/", "<nothing>"},
      {"/pages/99999999999999999999999", "<nothing>"},
      {"/01", R"("zero-one key")"},     // in an object, "01" is just a name
      {"/~01", R"("tilde-one key")"},   // ~0 then 1: "~1", not "/"
      {"/foo/0/0", "<nothing>"},
      {"//", "<nothing>"},              // "" then "": 0 has no members
      {"/nope", "<nothing>"},
  };
  for (const auto& r : rows) EXPECT_EQ(select(r.pointer), r.selected) << r.pointer;
}

TEST(json_pointer, syntax_errors) {
  EXPECT_EQ(select("links/next"), "error: must be empty or start with '/'");
  EXPECT_EQ(select("#/links"), "error: must be empty or start with '/'");
  EXPECT_EQ(select("/a~"), "error: has '~' not followed by 0 or 1 (at byte 3)");
  EXPECT_EQ(select("/a~2"), "error: has '~' not followed by 0 or 1 (at byte 3)");
  EXPECT_EQ(select("/~/x"), "error: has '~' not followed by 0 or 1 (at byte 2)");
}

TEST(json_pointer, tokens_are_decoded) {
  auto p = parse_json_pointer("/a~1b/~0/~01/x~1~0y/");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->tokens, (std::vector<std::string>{"a/b", "~", "~1", "x/~y", ""}));
}

}  // namespace
}  // namespace oauth2_rest::action
