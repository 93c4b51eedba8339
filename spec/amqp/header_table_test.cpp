// Unit tests of amqp::header_table, the flat form of a message's headers, and of the field
// table conversions that fill and read it.
#include "amqp/field_table.hpp"
#include "amqp/header_table.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace oauth2_rest::amqp {
namespace {

std::vector<std::string> keys(const header_table& h) {
  std::vector<std::string> out;
  for (const auto& e : h) out.emplace_back(e.key());
  return out;
}

TEST(header_table, keeps_the_order_entries_were_added_in) {
  header_table h;
  h.append("zeta", 1);
  h.append("alpha", "a");
  h["mid"] = true;
  h.insert_or_assign("last", nullptr);
  EXPECT_EQ(keys(h), (std::vector<std::string>{"zeta", "alpha", "mid", "last"}));
  EXPECT_EQ(boost::json::serialize(h.to_object()), R"({"zeta":1,"alpha":"a","mid":true,"last":null})");
}

TEST(header_table, insert_or_assign_and_subscript_replace_a_value_where_it_stands) {
  header_table h{{"a", 1}, {"b", 2}, {"c", 3}};
  h.insert_or_assign("b", "two");
  h["a"] = 10;
  EXPECT_EQ(keys(h), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(h.at("a"), 10);
  EXPECT_EQ(h.at("b"), "two");
  EXPECT_EQ(h.size(), 3u);
}

TEST(header_table, emplace_keeps_the_first_value_of_a_repeated_key_as_a_json_object_does) {
  header_table h;
  EXPECT_TRUE(h.emplace("k", "first"));
  EXPECT_FALSE(h.emplace("k", "second"));
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.at("k"), "first");
  boost::json::object o;
  o.emplace("k", "first");
  o.emplace("k", "second");
  EXPECT_EQ(header_table(o), h);
}

TEST(header_table, lookups_find_only_exact_keys) {
  header_table h{{"messageId", "M1"}, {"x-eio-meta-trace-id", "T"}};
  ASSERT_NE(h.if_contains("messageId"), nullptr);
  EXPECT_EQ(*h.if_contains("messageId"), "M1");
  EXPECT_EQ(h.if_contains("messageid"), nullptr);
  EXPECT_EQ(h.if_contains("message"), nullptr);
  EXPECT_TRUE(h.contains("x-eio-meta-trace-id"));  // a key longer than the inline 15 bytes
  EXPECT_FALSE(h.contains(""));
  EXPECT_THROW((void)h.at("threadId"), std::out_of_range);
}

TEST(header_table, equality_ignores_order_as_a_json_object_does) {
  header_table a{{"x", 1}, {"y", "2"}};
  header_table b{{"y", "2"}, {"x", 1}};
  EXPECT_EQ(a, b);
  b["x"] = 2;
  EXPECT_NE(a, b);
  b["x"] = 1;
  b.append("z", nullptr);
  EXPECT_NE(a, b);
}

TEST(header_table, a_field_table_comes_in_and_goes_out_in_its_order) {
  message_properties in;
  in.headers.append("zz", "last-sorted");
  in.headers.append("aa", 1);
  in.headers.append("nested", boost::json::parse(R"({"b":1,"a":[true,"x"]})"));
  in.headers.append("mm", nullptr);
  properties_encoder encoder;
  const amqp_basic_properties_t& p = encoder.encode(in);
  ASSERT_TRUE(p._flags & AMQP_BASIC_HEADERS_FLAG);
  ASSERT_EQ(p.headers.num_entries, 4);
  header_table back = table_to_headers(p.headers);
  EXPECT_EQ(keys(back), (std::vector<std::string>{"zz", "aa", "nested", "mm"}));
  EXPECT_EQ(back, in.headers);
  EXPECT_EQ(boost::json::serialize(back.at("nested")), R"({"b":1,"a":[true,"x"]})");
}

TEST(header_table, a_key_repeated_in_a_field_table_keeps_its_first_value) {
  amqp_table_entry_t e[3];
  e[0].key = amqp_cstring_bytes("messageId"), e[0].value.kind = AMQP_FIELD_KIND_UTF8,
  e[0].value.value.bytes = amqp_cstring_bytes("first");
  e[1].key = amqp_cstring_bytes("other"), e[1].value.kind = AMQP_FIELD_KIND_I32, e[1].value.value.i32 = 7;
  e[2].key = amqp_cstring_bytes("messageId"), e[2].value.kind = AMQP_FIELD_KIND_UTF8,
  e[2].value.value.bytes = amqp_cstring_bytes("second");
  amqp_table_t table{3, e};
  header_table h = table_to_headers(table);
  EXPECT_EQ(keys(h), (std::vector<std::string>{"messageId", "other"}));
  EXPECT_EQ(h.at("messageId"), "first");
  EXPECT_EQ(h, header_table(table_to_json(table)));
}

}  // namespace
}  // namespace oauth2_rest::amqp
