// Unit tests of the AMQP field table <-> JSON mapping and of basic properties conversion.
#include "amqp/field_table.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <vector>

namespace oauth2_rest::amqp {
namespace {

TEST(field_table, json_round_trips_through_an_amqp_table) {
  message_properties in;
  in.headers = boost::json::parse(R"({"s":"text","i":-42,"big":9007199254740993,"d":1.5,"t":true,"f":false,
      "n":null,"o":{"inner":{"deep":"x"},"k":1},"a":[1,"two",{"three":3},[4]],"empty":{}})")
                   .as_object();
  properties_encoder encoder;
  const amqp_basic_properties_t& p = encoder.encode(in);
  ASSERT_TRUE(p._flags & AMQP_BASIC_HEADERS_FLAG);
  EXPECT_EQ(p.headers.entries[0].value.kind, AMQP_FIELD_KIND_UTF8);
  EXPECT_EQ(p.headers.entries[1].value.kind, AMQP_FIELD_KIND_I64);  // integers travel as signed 64-bit
  EXPECT_EQ(table_to_json(p.headers), in.headers);
}

TEST(field_table, every_integer_kind_becomes_int64_and_unknown_kinds_are_skipped) {
  amqp_table_entry_t e[8];
  e[0].key = amqp_cstring_bytes("i8"), e[0].value.kind = AMQP_FIELD_KIND_I8, e[0].value.value.i8 = -8;
  e[1].key = amqp_cstring_bytes("u8"), e[1].value.kind = AMQP_FIELD_KIND_U8, e[1].value.value.u8 = 200;
  e[2].key = amqp_cstring_bytes("i16"), e[2].value.kind = AMQP_FIELD_KIND_I16, e[2].value.value.i16 = -1600;
  e[3].key = amqp_cstring_bytes("u32"), e[3].value.kind = AMQP_FIELD_KIND_U32, e[3].value.value.u32 = 4000000000u;
  e[4].key = amqp_cstring_bytes("ts"), e[4].value.kind = AMQP_FIELD_KIND_TIMESTAMP, e[4].value.value.u64 = 1700000000;
  e[5].key = amqp_cstring_bytes("dec"), e[5].value.kind = AMQP_FIELD_KIND_DECIMAL, e[5].value.value.decimal = {2, 314};
  e[6].key = amqp_cstring_bytes("f"), e[6].value.kind = AMQP_FIELD_KIND_F32, e[6].value.value.f32 = 0.5f;
  e[7].key = amqp_cstring_bytes("v"), e[7].value.kind = AMQP_FIELD_KIND_VOID;
  amqp_table_t table{8, e};
  boost::json::object json = table_to_json(table);
  EXPECT_EQ(json.at("i8").as_int64(), -8);
  EXPECT_EQ(json.at("u8").as_int64(), 200);
  EXPECT_EQ(json.at("i16").as_int64(), -1600);
  EXPECT_EQ(json.at("u32").as_int64(), 4000000000LL);
  EXPECT_EQ(json.at("ts").as_uint64(), 1700000000u);
  EXPECT_FALSE(json.contains("dec"));
  EXPECT_EQ(json.at("f").as_double(), 0.5);
  EXPECT_TRUE(json.at("v").is_null());
}

TEST(field_table, properties_round_trip) {
  message_properties in;
  in.content_type = "application/json";
  in.content_encoding = "utf8";
  in.delivery_mode = 2;
  in.expiration = "60000";
  in.correlation_id = "corr";
  in.reply_to = "reply";
  in.message_id = "mid";
  in.type = "type";
  in.app_id = "app";
  in.user_id = "guest";
  in.priority = 3;
  in.timestamp = 1700000000;
  in.headers["k"] = "v";
  properties_encoder encoder;
  message_properties out = properties_from_amqp(encoder.encode(in));
  EXPECT_EQ(out.content_type, in.content_type);
  EXPECT_EQ(out.content_encoding, in.content_encoding);
  EXPECT_EQ(out.delivery_mode, 2);
  EXPECT_EQ(out.expiration, in.expiration);
  EXPECT_EQ(out.correlation_id, in.correlation_id);
  EXPECT_EQ(out.reply_to, in.reply_to);
  EXPECT_EQ(out.message_id, in.message_id);
  EXPECT_EQ(out.type, in.type);
  EXPECT_EQ(out.app_id, in.app_id);
  EXPECT_EQ(out.user_id, in.user_id);
  EXPECT_EQ(out.priority, in.priority);
  EXPECT_EQ(out.timestamp, in.timestamp);
  EXPECT_EQ(out.headers, in.headers);

  message_properties none = properties_from_amqp(encoder.encode({}));
  EXPECT_TRUE(none.content_type.empty());
  EXPECT_EQ(none.delivery_mode, 0);
  EXPECT_FALSE(none.expiration || none.priority || none.timestamp || none.message_id);
  EXPECT_TRUE(none.headers.empty());
}

}  // namespace
}  // namespace oauth2_rest::amqp

namespace oauth2_rest::amqp {
namespace {

// Code review finding 14: tables nested without bound made the conversion's recursion (and the
// stack it uses) depend on the publisher. Headers holding `depth` nested levels below them:
// {"t":{"t":...{"leaf":1}}} (tables), or {"t":[[...[{"leaf":1}]...]]} (arrays, the last level
// the table holding the leaf). The entries live in the two vectors.
amqp_table_t nested(std::size_t depth, bool arrays, std::vector<amqp_table_entry_t>& entries,
                    std::vector<amqp_field_value_t>& fields) {
  entries.assign(depth + 1, amqp_table_entry_t{});
  fields.assign(depth + 1, amqp_field_value_t{});
  entries[depth].key = amqp_cstring_bytes("leaf");
  entries[depth].value.kind = AMQP_FIELD_KIND_I64;
  entries[depth].value.value.i64 = 1;
  // fields[k] is the value at level k (1..depth).
  fields[depth].kind = AMQP_FIELD_KIND_TABLE;
  fields[depth].value.table = {1, &entries[depth]};
  for (std::size_t k = depth - 1; k >= 1; --k) {
    if (arrays) {
      fields[k].kind = AMQP_FIELD_KIND_ARRAY;
      fields[k].value.array = {1, &fields[k + 1]};
    } else {
      entries[k].key = amqp_cstring_bytes("t");
      entries[k].value = fields[k + 1];
      fields[k].kind = AMQP_FIELD_KIND_TABLE;
      fields[k].value.table = {1, &entries[k]};
    }
  }
  entries[0].key = amqp_cstring_bytes("t");
  entries[0].value = fields[1];
  return {1, &entries[0]};
}

// The levels below the headers object, following "t" and first elements; whether the leaf is there.
std::size_t levels(const boost::json::object& headers, bool& leaf) {
  std::size_t n = 0;
  boost::json::value root = headers;
  const boost::json::value* p = &root;
  leaf = false;
  for (;;) {
    if (p->is_object() && p->get_object().contains("t")) {
      p = &p->get_object().at("t");
    } else if (p->is_array() && !p->get_array().empty()) {
      p = &p->get_array()[0];
    } else {
      leaf = p->is_object() && p->get_object().contains("leaf");
      return n;
    }
    ++n;
  }
}

TEST(field_table, nesting_is_kept_up_to_the_bound) {
  for (bool arrays : {false, true}) {
    std::vector<amqp_table_entry_t> entries;
    std::vector<amqp_field_value_t> fields;
    boost::json::object json = table_to_json(nested(max_field_table_depth, arrays, entries, fields));
    bool leaf = false;
    EXPECT_EQ(levels(json, leaf), max_field_table_depth) << arrays;
    EXPECT_TRUE(leaf) << arrays;
  }
}

TEST(field_table, nesting_beyond_the_bound_is_cut_there) {
  for (bool arrays : {false, true}) {
    for (std::size_t depth : {max_field_table_depth + 1, std::size_t{100000}}) {
      std::vector<amqp_table_entry_t> entries;
      std::vector<amqp_field_value_t> fields;
      boost::json::object json = table_to_json(nested(depth, arrays, entries, fields));
      bool leaf = false;
      EXPECT_EQ(levels(json, leaf), max_field_table_depth) << arrays << " " << depth;
      EXPECT_FALSE(leaf) << arrays << " " << depth;
    }
  }
}

}  // namespace
}  // namespace oauth2_rest::amqp
