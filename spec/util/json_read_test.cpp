// read_json: JSON text read as Node's JSON.parse reads it (nesting, lone surrogates, numbers).
#include "util/json_read.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

namespace oauth2_rest {
namespace {

namespace json = boost::json;

const std::string fffd = "\xEF\xBF\xBD";

json::value read_ok(std::string_view text) {
  boost::system::error_code ec;
  json::value v = read_json(text, ec);
  EXPECT_FALSE(ec) << ec.message() << " reading " << text.substr(0, 200);
  return v;
}

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + "7" + std::string(depth, ']');
}

std::string nested_objects(std::size_t depth) {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i) s += R"({"k":)";
  s += "7";
  s += std::string(depth, '}');
  return s;
}

std::size_t depth_of(const json::value& v) {
  std::size_t depth = 0;
  const json::value* p = &v;
  for (;;) {
    if (p->is_array() && !p->get_array().empty()) p = &p->get_array()[0];
    else if (p->is_object() && !p->get_object().empty()) p = &p->get_object().begin()->value();
    else break;
    ++depth;
  }
  return depth;
}

TEST(read_json, nests_as_deep_as_node_can_write) {
  for (std::size_t depth : {std::size_t{31}, std::size_t{32}, std::size_t{33}, std::size_t{256},
                            std::size_t{257}, std::size_t{1000}, json_max_depth}) {
    EXPECT_EQ(depth_of(read_ok(nested_arrays(depth))), depth);
    EXPECT_EQ(depth_of(read_ok(nested_objects(depth))), depth);
  }
}

TEST(read_json, deeper_than_the_limit_is_too_deep) {
  for (const std::string& text : {nested_arrays(json_max_depth + 1), nested_objects(json_max_depth + 1),
                                  nested_arrays(100000)}) {
    boost::system::error_code ec;
    json::value v = read_json(text, ec);
    EXPECT_EQ(ec, json::error::too_deep) << ec.message();
    EXPECT_TRUE(v.is_null());
  }
}

TEST(read_json, lone_surrogate_escapes_become_the_replacement_character) {
  struct row {
    const char* text;
    std::string want;
  };
  const row rows[] = {
      {R"("\ud83d")", fffd},                              // high surrogate alone
      {R"("\udc00")", fffd},                              // low surrogate alone
      {R"("\uD83D")", fffd},                              // upper-case hex
      {R"("ab\ud83d")", "ab" + fffd},                     // at the end of the string
      {R"("\ud83dx")", fffd + "x"},                       // followed by a plain character
      {R"("\ud83d\u0041")", fffd + "A"},                  // followed by an escape that is not low
      {R"("\ud83d\n")", fffd + "\n"},                     // followed by another kind of escape
      {R"("\ud83d\ud83d\ude00")", fffd + "\xF0\x9F\x98\x80"},  // two highs, then a pair
      {R"("\ude00\ud83d")", fffd + fffd},                 // low then high: both lone
      {R"("\udbff\udfff")", "\xF4\x8F\xBF\xBF"},          // the last pair: U+10FFFF, kept
      {R"("\ud83d\ude00")", "\xF0\x9F\x98\x80"},          // a pair is an emoji, as before
      {R"("\\ud83d")", "\\ud83d"},                        // an escaped backslash: no escape at all
      {R"("\\\ud83d")", "\\" + fffd},                     // escaped backslash, then a lone escape
      {R"("\\\\ud83d")", "\\\\ud83d"},
      {R"("\"\ud83d")", "\"" + fffd},
  };
  for (const auto& r : rows) {
    json::value v = read_ok(r.text);
    ASSERT_TRUE(v.is_string()) << r.text;
    EXPECT_EQ(std::string(v.get_string()), r.want) << r.text;
  }
  // In keys and deep inside a document, among other escapes.
  json::value doc = read_ok(R"({"\ud83d":[1,{"a\"\\":"x\ud83d\ude00\udc00\t"}],"n":"\u00e9"})");
  ASSERT_TRUE(doc.is_object());
  const auto& o = doc.get_object();
  ASSERT_TRUE(o.contains(fffd));
  EXPECT_EQ(std::string(o.at(fffd).at(1).at("a\"\\").as_string()), "x\xF0\x9F\x98\x80" + fffd + "\t");
  EXPECT_EQ(std::string(o.at("n").as_string()), "\xC3\xA9");
}

TEST(read_json, what_node_rejects_stays_an_error) {
  for (std::string_view bad : {"", " ", "{", "[1,]", "{\"a\":1,}", "01", "+1", ".5", "1.", "NaN",
                               "//c\n1", "\"\\ud83d", "\"\\ud83d\\u\"", "\"\\ud83d\\u12\"",
                               "\"\\x41\"", "{} x", "\xEF\xBB\xBF{}", "'a'", "\"a\nb\""}) {
    boost::system::error_code ec;
    json::value v = read_json(bad, ec);
    EXPECT_TRUE(ec) << "accepted: " << bad;
    EXPECT_TRUE(v.is_null());
  }
}

TEST(read_json, invalid_utf8_is_read_with_replacement_characters_as_node_decodes_it) {
  json::value v = read_ok("{\"a\":\"x\xFFy\",\"b\":\"\xE2\x82\"}");
  EXPECT_EQ(std::string(v.at("a").as_string()), "x" + fffd + "y");
  EXPECT_EQ(std::string(v.at("b").as_string()), fffd);
}

TEST(read_json, doubles_are_rounded_correctly) {
  // Boost.JSON 1.81 reads these one unit in the last place off.
  for (const char* text : {"1.3927926388013963e-143", "5.409760742964738e+124", "6.689921856898562e-217",
                           "0.30000000000000004", "2.2250738585072014e-308", "5e-324",
                           "1.7976931348623157e308", "123456789012345680000"}) {
    json::value v = read_ok(text);
    ASSERT_TRUE(v.is_double()) << text;
    char* end = nullptr;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(v.get_double()),
              std::bit_cast<std::uint64_t>(std::strtod(text, &end)))
        << text;
  }
  // Every double's shortest text reads back to the same bits, and so does a long spelling.
  std::mt19937_64 rng(7);
  int wrong = 0;
  for (int i = 0; i < 20000; ++i) {
    const double d = std::bit_cast<double>(rng());
    if (!std::isfinite(d)) continue;
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    ASSERT_EQ(ec, std::errc{});
    boost::system::error_code jec;
    json::value v = read_json(std::string_view(buf, static_cast<std::size_t>(end - buf)), jec);
    ASSERT_FALSE(jec) << buf;
    const double back = v.is_double() ? v.get_double() : v.to_number<double>();
    if (std::bit_cast<std::uint64_t>(back) != std::bit_cast<std::uint64_t>(d)) ++wrong;
  }
  EXPECT_EQ(wrong, 0);
}

TEST(read_json, numbers_beyond_a_double_read_as_null_and_tiny_ones_as_zero) {
  json::value v = read_ok(R"([1e999,-1e999,)" + std::string(400, '9') + R"(,1e-400,-1e-400,2.4e-324,1e308])");
  const auto& a = v.get_array();
  EXPECT_TRUE(a[0].is_null());
  EXPECT_TRUE(a[1].is_null());
  EXPECT_TRUE(a[2].is_null());
  ASSERT_TRUE(a[3].is_double());
  EXPECT_EQ(a[3].get_double(), 0.0);
  EXPECT_FALSE(std::signbit(a[3].get_double()));
  ASSERT_TRUE(a[4].is_double());
  EXPECT_TRUE(std::signbit(a[4].get_double()));
  EXPECT_EQ(a[5].get_double(), 0.0);  // below half the smallest subnormal
  EXPECT_EQ(a[6].get_double(), 1e308);
}

TEST(read_json, integers_and_the_rest_read_as_boost_json_reads_them) {
  json::value v = read_ok(R"( {"i":-42,"u":18446744073709551615,"big":9007199254740993,"t":true,
                              "f":false,"n":null,"s":"\u00e9\/","a":[],"o":{},"k":1,"k":2} )");
  EXPECT_EQ(v, json::parse(R"({"i":-42,"u":18446744073709551615,"big":9007199254740993,"t":true,
                              "f":false,"n":null,"s":"é/","a":[],"o":{},"k":2})"));
  EXPECT_TRUE(v.at("u").is_uint64());
  EXPECT_TRUE(v.at("big").is_int64());
}

TEST(read_json, a_failure_leaves_nothing_behind_for_the_next_read) {
  for (int i = 0; i < 3; ++i) {
    boost::system::error_code ec;
    read_json(R"({"a":[1,2,{"b":"\ud83d)", ec);
    EXPECT_TRUE(ec);
    read_json(nested_arrays(json_max_depth + 1), ec);
    EXPECT_TRUE(ec);
    EXPECT_EQ(read_ok(R"({"a":[1.5]})"), json::parse(R"({"a":[1.5]})"));
  }
}

}  // namespace
}  // namespace oauth2_rest
