// write_json: JSON text written as Node's JSON.stringify writes it. The expected texts are
// Node 20's own output (node -e 'JSON.stringify(JSON.parse(text))'); json_node_compat_test.cpp
// asks node itself for many more.
#include "util/json_write.hpp"

#include "util/json_read.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace oauth2_rest {
namespace {

namespace json = boost::json;

std::string node_text(std::string_view json_text) {
  boost::system::error_code ec;
  json::value v = read_json(json_text, ec);
  EXPECT_FALSE(ec) << json_text;
  return write_json(v);
}

TEST(write_json, numbers_are_spelled_as_json_stringify_spells_them) {
  struct row {
    const char* in;
    const char* node;
  };
  const row rows[] = {
      {"1e21", "1e+21"},
      {"1e-7", "1e-7"},
      {"5e-324", "5e-324"},
      {"0.30000000000000004", "0.30000000000000004"},
      {"-0", "0"},
      {"-0.0", "0"},
      {"9007199254740993", "9007199254740992"},
      {"9007199254740992", "9007199254740992"},
      {"9007199254740994", "9007199254740994"},
      {"-9007199254740993", "-9007199254740992"},
      {"123456789012345680000", "123456789012345680000"},
      {"123456789012345678901", "123456789012345680000"},
      {"99.5", "99.5"},
      {"1e300", "1e+300"},
      {"1.7976931348623157e308", "1.7976931348623157e+308"},
      {"123e-20", "1.23e-18"},
      {"0.000001", "0.000001"},
      {"0.0000015", "0.0000015"},
      {"1.5e-6", "0.0000015"},
      {"18446744073709551615", "18446744073709552000"},
      {"18446744073709551616", "18446744073709552000"},
      {"9223372036854775807", "9223372036854776000"},
      {"-9223372036854775808", "-9223372036854776000"},
      {"1e20", "100000000000000000000"},
      {"1e-6", "0.000001"},
      {"100", "100"},
      {"1.0", "1"},
      {"2.50", "2.5"},
      {"0.1", "0.1"},
      {"1e999", "null"},
      {"-1e999", "null"},
      {"1e-400", "0"},
      {"4.9406564584124654e-324", "5e-324"},
      {"2.2250738585072014e-308", "2.2250738585072014e-308"},
      {"1.3927926388013963e-143", "1.3927926388013963e-143"},
      {"5.409760742964738e+124", "5.409760742964738e+124"},
      {"12345678901234567890123", "1.2345678901234568e+22"},
      {"0.000001234", "0.000001234"},
      {"1234.5678e10", "12345678000000"},
      {"1E+2", "100"},
      {"-1.5e-9", "-1.5e-9"},
      {"3.0e21", "3e+21"},
      {"999999999999999999999", "1e+21"},
      {"0.1e-5", "0.000001"},
  };
  for (const auto& r : rows) EXPECT_EQ(node_text(r.in), r.node) << r.in;
}

TEST(write_json, numbers_made_by_code_are_spelled_as_node_spells_them) {
  auto text = [](json::value v) { return write_json(v); };
  EXPECT_EQ(text(-0.0), "0");
  EXPECT_EQ(text(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(text(1e-6 * 1.5), "0.0000015");
  EXPECT_EQ(text(9007199254740992.0 + 2), "9007199254740994");
  EXPECT_EQ(text(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(text(-std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(text(std::nan("")), "null");
  EXPECT_EQ(text(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(text(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(text(std::int64_t{-42}), "-42");
  EXPECT_EQ(text(std::int64_t{1} << 53), "9007199254740992");
  EXPECT_EQ(text(-(std::int64_t{1} << 53)), "-9007199254740992");
  EXPECT_EQ(text((std::int64_t{1} << 53) + 1), "9007199254740992");
  EXPECT_EQ(text(std::numeric_limits<std::int64_t>::min()), "-9223372036854776000");
  EXPECT_EQ(text(std::numeric_limits<std::uint64_t>::max()), "18446744073709552000");
  EXPECT_EQ(text(std::uint64_t{12}), "12");
  std::string out = "x";
  append_json_number(out, 1e21);
  EXPECT_EQ(out, "x1e+21");
}

TEST(write_json, strings_are_escaped_as_json_stringify_escapes_them) {
  std::string s;
  for (int c = 0; c < 0x20; ++c) s.push_back(static_cast<char>(c));
  s += "\"\\/\x7f \xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80 \xE2\x80\xA8\xE2\x80\xA9 \xEF\xBF\xBD";
  EXPECT_EQ(write_json(json::value(s)),
            R"("\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f)"
            R"(\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c)"
            R"(\u001d\u001e\u001f\"\\/)"
            "\x7f \xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80 \xE2\x80\xA8\xE2\x80\xA9 \xEF\xBF\xBD\"");
  std::string out = "[";
  append_json_string(out, "a\"b");
  EXPECT_EQ(out, R"(["a\"b")");
  EXPECT_EQ(write_json(json::value("")), R"("")");
  // A long run with escapes at both ends and in the middle.
  const std::string run(1000, 'x');
  EXPECT_EQ(write_json(json::value("\n" + run + "\t" + run + "\"")), "\"\\n" + run + "\\t" + run + "\\\"\"");
}

TEST(write_json, structure_is_compact_and_keys_are_escaped) {
  EXPECT_EQ(node_text(R"( {"k\n\"" : [1, "x", {}, []], "" : null, "t" : true, "f": false} )"),
            R"({"k\n\"":[1,"x",{},[]],"":null,"t":true,"f":false})");
  EXPECT_EQ(write_json(json::object{}), "{}");
  EXPECT_EQ(write_json(json::array{}), "[]");
  EXPECT_EQ(write_json(json::array{json::array{json::array{}}, json::object{{"a", json::object{}}}}),
            R"([[[]],{"a":{}}])");
  std::string out = "prefix:";
  append_json(out, json::object{{"a", 1}});
  EXPECT_EQ(out, R"(prefix:{"a":1})");
}

TEST(write_json, array_index_keys_come_first_in_numeric_order_as_in_javascript) {
  EXPECT_EQ(node_text(R"({"b":1,"4294967294":2,"4294967295":3,"01":4,"1":5,"0":6,"-1":7,"1.5":8,"10":9,"2":10})"),
            R"({"0":6,"1":5,"2":10,"10":9,"4294967294":2,"b":1,"4294967295":3,"01":4,"-1":7,"1.5":8})");
  EXPECT_EQ(node_text(R"({"x":{"9":1,"y":2,"8":3},"1":[{"3":0,"2":0}]})"),
            R"({"1":[{"2":0,"3":0}],"x":{"8":3,"9":1,"y":2}})");
}

TEST(write_json, nesting_of_any_depth_is_written) {
  // (EXPECT_TRUE: a failure would print both texts.)
  std::string text = std::string(json_max_depth, '[') + std::string(json_max_depth, ']');
  EXPECT_TRUE(node_text(text) == text);
  std::string objects;
  for (std::size_t i = 0; i < json_max_depth / 2; ++i) objects += R"({"1":[)";
  for (std::size_t i = 0; i < json_max_depth / 2; ++i) objects += "]}";
  EXPECT_TRUE(node_text(objects) == objects);
}

}  // namespace
}  // namespace oauth2_rest
