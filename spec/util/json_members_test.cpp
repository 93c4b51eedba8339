// read_json_members: a JSON object's members in the order written, repeated keys kept.
#include "util/json_members.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace oauth2_rest {
namespace {

namespace json = boost::json;

// "key=<value as JSON>" per member, in order.
std::vector<std::string> members_of(std::string_view text) {
  boost::system::error_code ec;
  auto members = read_json_members(text, ec);
  EXPECT_FALSE(ec) << ec.message() << " reading " << text;
  std::vector<std::string> out;
  for (const auto& m : members) out.push_back(m.key + "=" + json::serialize(m.value));
  return out;
}

boost::system::error_code error_of(std::string_view text) {
  boost::system::error_code ec;
  auto members = read_json_members(text, ec);
  EXPECT_TRUE(members.empty());
  return ec;
}

using list = std::vector<std::string>;

TEST(read_json_members, keeps_the_order_written) {
  EXPECT_EQ(members_of(R"({"b":1,"a":"x","c":[1,{"d":2}]})"), (list{"b=1", R"(a="x")", R"(c=[1,{"d":2}])"}));
}

TEST(read_json_members, keeps_every_occurrence_of_a_repeated_key) {
  // read_json (as Node's JSON.parse) keeps only the last "resource".
  EXPECT_EQ(members_of(R"({"resource":"a","x":"y","resource":"b"})"),
            (list{R"(resource="a")", R"(x="y")", R"(resource="b")"}));
}

TEST(read_json_members, is_not_fooled_by_structure_inside_strings) {
  EXPECT_EQ(members_of(R"({"a}\"":"},{\"b\":[","c":"\\"})"), (list{R"(a}"="},{\"b\":[")", R"(c="\\")"}));
}

TEST(read_json_members, nested_values_and_scalars) {
  EXPECT_EQ(members_of(R"({"o":{"a":{"b":[[],{}]}},"t":true,"f":false,"n":null,"num":-1.5e3})"),
            (list{R"(o={"a":{"b":[[],{}]}})", "t=true", "f=false", "n=null", "num=-1.5E3"}));
}

TEST(read_json_members, blanks_everywhere_json_allows_them) {
  EXPECT_EQ(members_of(" \r\n\t{ \"a\" :\n[ 1 , 2 ] ,\t\"b\" : \"c\" } \n"), (list{"a=[1,2]", R"(b="c")"}));
  EXPECT_TRUE(members_of("{}").empty());
  EXPECT_TRUE(members_of(" { } ").empty());
}

TEST(read_json_members, strings_read_as_read_json_reads_them) {
  // Escapes decoded, a lone surrogate as U+FFFD, bytes that are not UTF-8 replaced.
  boost::system::error_code ec;
  auto members = read_json_members("{\"k\\u00e9\":\"\\ud83d x\",\"b\":\"\xff\"}", ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].key, "k\xC3\xA9");
  EXPECT_EQ(members[0].value.as_string(), "\xEF\xBF\xBD x");
  EXPECT_EQ(members[1].value.as_string(), "\xEF\xBF\xBD");
}

TEST(read_json_members, text_that_is_not_an_object_is_an_error) {
  EXPECT_EQ(error_of("[1]"), json::error::not_object);
  EXPECT_EQ(error_of(R"("x")"), json::error::not_object);
  EXPECT_EQ(error_of(R"({"a":1)"), json::error::incomplete);
  EXPECT_EQ(error_of(R"({"a":1} {})"), json::error::extra_data);
  EXPECT_EQ(error_of(R"({"a":1,})"), json::error::syntax);
  EXPECT_EQ(error_of(""), json::error::incomplete);
}

}  // namespace
}  // namespace oauth2_rest
