// Byte for byte against node itself (node on PATH, node_compat.js beside this file): what we write
// after reading a JSON text is what Node's JSON.stringify(JSON.parse(text)) writes, and base64
// decodes to the bytes Node's Buffer.from(text, "base64") gives.
#include "util/base64.hpp"
#include "util/json_read.hpp"
#include "util/json_write.hpp"

#include "support/process_runner.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace oauth2_rest {
namespace {

namespace json = boost::json;

std::string find_node() {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    std::filesystem::path candidate = std::filesystem::path(dirs.substr(0, colon)) / "node";
    if (std::filesystem::exists(candidate)) return candidate.string();
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return {};
}

// node_compat.js <command> on the lines; its output lines, one per input line.
std::vector<std::string> node(const std::string& command, const std::vector<std::string>& lines) {
  const std::string program = find_node();
  if (program.empty()) {
    ADD_FAILURE() << "node is not on PATH (scripts/install-deps.sh installs it)";
    return {};
  }
  testing::process_spec spec{.program = program, .args = {OAUTH2_REST_NODE_COMPAT_JS, command}};
  for (const auto& l : lines) spec.input += l + "\n";
  auto r = testing::run_process(spec);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto out = testing::split_lines(r.out);
  EXPECT_EQ(out.size(), lines.size()) << r.err;
  return out;
}

std::string ours(const std::string& text) {
  boost::system::error_code ec;
  json::value v = read_json(text, ec);
  return ec ? std::string("!error") : write_json(v);
}

void expect_same_as_node(const std::vector<std::string>& texts) {
  auto theirs = node("json", texts);
  ASSERT_EQ(theirs.size(), texts.size());
  int shown = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string mine = ours(texts[i]);
    if (mine != theirs[i] && shown++ < 20)
      ADD_FAILURE() << "in:   " << texts[i] << "\nnode: " << theirs[i] << "\nours: " << mine;
  }
}

std::string shortest(double d) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

std::string printf_text(const char* format, double d) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, d);
  return buf;
}

TEST(json_node_compat, awkward_numbers) {
  std::vector<std::string> texts = {
      "1e21", "1e-7", "5e-324", "0.30000000000000004", "-0", "-0.0", "0", "9007199254740993",
      "9007199254740992", "9007199254740994", "9007199254740995", "-9007199254740993",
      "123456789012345680000", "123456789012345678901", "99.5", "1e300", "1.7976931348623157e308",
      "1.7976931348623158e308", "1.7976931348623159e308", "123e-20", "0.000001", "0.0000015",
      "1.5e-6", "0.0000009999999999999999", "0.00000099", "1e20", "99999999999999999999",
      "999999999999999999999", "100000000000000000000", "1e+21", "1E21", "1e-6", "1e-5",
      "18446744073709551615", "18446744073709551616", "9223372036854775807",
      "-9223372036854775808", "-9223372036854775809", "4294967295", "1.0", "2.50", "1e999",
      "-1e999", "1e-400", "-1e-400", "2.4703282292062328e-324", "2.4703282292062327e-324",
      "4.9406564584124654e-324", "2.2250738585072014e-308", "2.225073858507201e-308",
      "1.3927926388013963e-143", "5.409760742964738e+124", "12345678901234567890123",
      "0.000001234", "1234.5678e10", "1E+2", "-1.5e-9", "3.0e21", "0.1e-5",
      "0." + std::string(30, '0') + "1", std::string(310, '9'), "1" + std::string(400, '0') + "e-400",
      "[0.1,0.2,0.30000000000000004,1e-7,1e21,-0]"};
  // Powers of ten and their neighbours across both thresholds of the exponent form.
  for (int e = -330; e <= 310; ++e) {
    texts.push_back("1e" + std::to_string(e));
    texts.push_back("-3.25e" + std::to_string(e));
    texts.push_back("9.999999999999999e" + std::to_string(e));
  }
  expect_same_as_node(texts);
}

TEST(json_node_compat, random_doubles_in_every_spelling) {
  std::mt19937_64 rng(2024);
  std::vector<std::string> texts;
  for (int i = 0; i < 4000; ++i) {
    const double d = std::bit_cast<double>(rng());
    if (!std::isfinite(d)) continue;
    texts.push_back(shortest(d));
    texts.push_back(printf_text("%.17g", d));
    texts.push_back(printf_text("%.25e", d));
    // Magnitudes where the fixed form is used.
    const double m = std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 120)) *
                     ((rng() & 1) ? 1 : -1);
    texts.push_back(shortest(m));
    texts.push_back(printf_text("%.40f", m));
  }
  // Integers around 2^53, 2^63 and 2^64.
  for (std::uint64_t base : {std::uint64_t{1} << 53, std::uint64_t{1} << 63, ~std::uint64_t{0} - 64}) {
    for (std::uint64_t k = 0; k < 64; ++k) {
      texts.push_back(std::to_string(base + k));
      texts.push_back("-" + std::to_string(base + k));
    }
  }
  expect_same_as_node(texts);
}

TEST(json_node_compat, strings_keys_and_structure) {
  std::vector<std::string> texts = {
      R"("\u0000\u0001\u001f\b\t\n\f\r\"\\\/\u007f\u0080\u00e9\u2028\u2029\ufffd\ud83d\ude00")",
      R"({"b":1,"4294967294":2,"4294967295":3,"01":4,"1":5,"0":6,"-1":7,"1.5":8,"10":9,"2":10})",
      R"({"x":{"9":1,"y":2,"8":3},"1":[{"3":0,"2":0}],"":{"":[]}})",
      R"({"a":1,"b":2,"a":3})",
      R"(  [ true , false , null , {} , [] , "" ]  )",
      "\"plain \xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80 text\"",
  };
  // Random strings of every class of character, written by us as JSON text first.
  std::mt19937 rng(99);
  const std::vector<std::string> pieces = {"a", "Z", "0", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t",
                                           std::string(1, '\0'), "\x01", "\x1f", "\x7f", "\xC2\x80",
                                           "\xC3\xA9", "\xE2\x80\xA8", "\xE2\x9C\x93", "\xEF\xBF\xBF",
                                           "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF", "'", "<", "&"};
  const std::vector<std::string> keys = {"0", "1", "2", "10", "01", "-1", "a", "b", "4294967294",
                                         "4294967295", "1e3", "\xC3\xA9"};
  for (int i = 0; i < 500; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) s += pieces[rng() % pieces.size()];
    json::object o;
    for (int k = 0; k < 4; ++k) o[keys[rng() % keys.size()]] = json::array{json::value(s), k};
    texts.push_back(write_json(o));
  }
  expect_same_as_node(texts);
}

TEST(json_node_compat, base64_of_random_text) {
  std::mt19937 rng(5);
  const std::vector<std::string> pieces = {
      "A", "Q", "U", "J", "D", "z", "9", "+", "/", "-", "_", "=", "==", " ", "\n", "\r\n", "\t", "!",
      ".", "@", std::string(1, '\0'), "\x7f", "\xC3\xA9", "\xC5\x81", "\xC4\xBD", "\xE4\xB9\x81", "\xF0\x9F\x98\x80",
      "\xF0\xA0\x90\x80", "\xEF\xBF\xBD", "\xFF", "\xE2\x82", "\xC0", "\xED\xA0\x80", "QUJD", "Zm9v"};
  std::vector<std::string> texts;
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 14);
    for (int k = 0; k < n; ++k) s += pieces[rng() % pieces.size()];
    texts.push_back(s);
  }
  // Long texts: line-wrapped, unpadded, URL-safe, and with garbage in the middle.
  std::string bytes;
  for (int i = 0; i < 3000; ++i) bytes.push_back(static_cast<char>(rng()));
  const std::string b64 = base64_encode(bytes);
  std::string wrapped;
  for (std::size_t i = 0; i < b64.size(); i += 76) wrapped += b64.substr(i, 76) + "\r\n";
  texts.push_back(wrapped);
  texts.push_back(b64.substr(0, b64.find('=')));
  std::string url = b64;
  for (auto& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
  texts.push_back(url);
  texts.push_back(b64.substr(0, 1000) + "!?*" + b64.substr(1000));
  texts.push_back(b64.substr(0, 1001) + "=" + b64.substr(1001));

  static constexpr char digits[] = "0123456789abcdef";
  auto hex = [](std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      out += digits[c >> 4];
      out += digits[c & 15];
    }
    return out;
  };
  std::vector<std::string> lines;
  for (const auto& t : texts) lines.push_back(hex(t));
  auto theirs = node("base64", lines);
  ASSERT_EQ(theirs.size(), texts.size());
  int shown = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto mine = base64_decode(texts[i]);
    const std::string got = mine ? hex(*mine) : "nullopt";
    if (got != theirs[i] && shown++ < 20)
      ADD_FAILURE() << "text: " << lines[i] << "\nnode: " << theirs[i] << "\nours: " << got;
  }
}

}  // namespace
}  // namespace oauth2_rest
