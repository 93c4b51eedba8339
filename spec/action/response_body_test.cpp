// Unit tests: response body decoding by content type and charset, response headers as JSON.
#include "action/response_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace oauth2_rest::action {
namespace {

namespace json = boost::json;

using namespace std::string_view_literals;

std::string text_of(const decoded_body& d) {
  EXPECT_FALSE(d.base64);
  EXPECT_TRUE(d.body.is_string()) << json::serialize(d.body);
  return d.body.is_string() ? std::string(d.body.get_string()) : std::string("<not a string>");
}

TEST(decode_response_body, json_is_parsed) {
  auto d = decode_response_body("application/json; charset=utf-8", R"({"a":[1,"x"],"b":null})");
  EXPECT_FALSE(d.base64);
  EXPECT_EQ(d.body, json::parse(R"({"a":[1,"x"],"b":null})"));
  EXPECT_EQ(decode_response_body("Application/JSON", "[1,2]").body, json::parse("[1,2]"));
  EXPECT_EQ(decode_response_body("text/json", "42").body, json::value(42));
}

// Found by fuzz/fuzz_response_body: a number beyond a double parsed to infinity, which Boost.JSON
// writes as "Infinity", so the output message was not JSON. Node's JSON round trip gives null.
TEST(decode_response_body, numbers_beyond_a_double_become_null_so_the_output_stays_json) {
  auto d = decode_response_body("application/json", R"({"big":1e999,"neg":-1e999,"digits":)" +
                                                        std::string(400, '5') + R"(,"ok":[1.5,2]})");
  EXPECT_FALSE(d.base64);
  EXPECT_EQ(d.body, json::parse(R"({"big":null,"neg":null,"digits":null,"ok":[1.5,2]})"));
  boost::system::error_code ec;
  json::parse(json::serialize(d.body), ec);
  EXPECT_FALSE(ec) << json::serialize(d.body);
  // Sniffed JSON (no content type) too.
  auto sniffed = decode_response_body("", std::string(400, '5'));
  EXPECT_TRUE(sniffed.body.is_null()) << json::serialize(sniffed.body);
}

// Code review finding 4: what Node's JSON.parse takes must not silently become a string body.
TEST(decode_response_body, json_nested_1000_levels_is_parsed_as_node_parses_it) {
  for (std::size_t depth : {std::size_t{256}, std::size_t{257}, std::size_t{1000}}) {
    std::string text = std::string(depth, '[') + "1" + std::string(depth, ']');
    auto d = decode_response_body("application/json", text);
    ASSERT_TRUE(d.body.is_array()) << depth << ": a " << d.body.kind();
    std::size_t levels = 0;
    for (const json::value* p = &d.body; p->is_array(); p = &p->get_array()[0]) ++levels;
    EXPECT_EQ(levels, depth);
  }
}

TEST(decode_response_body, json_with_lone_surrogate_escapes_stays_an_object) {
  auto d = decode_response_body("application/json", R"({"title":"cut \ud83d","other":"\udc00","ok":"\ud83d\ude00"})");
  ASSERT_TRUE(d.body.is_object()) << json::serialize(d.body);
  EXPECT_EQ(d.body.at("title").as_string(), "cut \xEF\xBF\xBD");
  EXPECT_EQ(d.body.at("other").as_string(), "\xEF\xBF\xBD");
  EXPECT_EQ(d.body.at("ok").as_string(), "\xF0\x9F\x98\x80");
  // Sniffed too.
  EXPECT_TRUE(decode_response_body("", R"({"t":"\ud83d"})").body.is_object());
}

TEST(decode_response_body, json_numbers_keep_their_exact_double) {
  // Boost.JSON 1.81 reads this one unit in the last place off, so it would be written back
  // with other digits than the API sent.
  auto d = decode_response_body("application/json", R"({"x":1.3927926388013963e-143})");
  ASSERT_TRUE(d.body.at("x").is_double());
  EXPECT_EQ(d.body.at("x").get_double(), 1.3927926388013963e-143);
}

TEST(decode_response_body, plus_json_types_are_parsed) {
  auto d = decode_response_body("application/problem+json", R"({"title":"Not Found","status":404})");
  EXPECT_EQ(d.body, json::parse(R"({"title":"Not Found","status":404})"));
  EXPECT_EQ(decode_response_body("application/vnd.api+json", "{}").body, json::object{});
}

TEST(decode_response_body, invalid_json_is_kept_as_text) {
  EXPECT_EQ(text_of(decode_response_body("application/json", "{not json")), "{not json");
  EXPECT_EQ(text_of(decode_response_body("application/json", "<html>oops</html>")),
            "<html>oops</html>");
}

TEST(decode_response_body, empty_body_is_an_empty_object_for_every_type) {
  for (auto type : {"application/json"sv, "text/plain"sv, "image/png"sv, ""sv}) {
    auto d = decode_response_body(type, "");
    EXPECT_FALSE(d.base64) << type;
    EXPECT_EQ(d.body, json::object{}) << type;
  }
}

TEST(decode_response_body, json_with_utf8_bom_and_stray_invalid_byte_still_parses) {
  EXPECT_EQ(decode_response_body("application/json", "\xEF\xBB\xBF{\"a\":1}").body,
            json::parse(R"({"a":1})"));
  auto d = decode_response_body("application/json", "{\"name\":\"caf\xE9\"}");
  EXPECT_EQ(d.body, json::parse("{\"name\":\"caf\xEF\xBF\xBD\"}"));
}

TEST(decode_response_body, text_types_are_strings) {
  EXPECT_EQ(text_of(decode_response_body("text/plain", "hello")), "hello");
  EXPECT_EQ(text_of(decode_response_body("application/xml", "<a>1</a>")), "<a>1</a>");
  EXPECT_EQ(text_of(decode_response_body("application/soap+xml; charset=utf-8", "<e/>")), "<e/>");
  EXPECT_EQ(text_of(decode_response_body("image/svg+xml", "<svg/>")), "<svg/>");
  EXPECT_EQ(text_of(decode_response_body("text/csv", "a,b\n1,2\n")), "a,b\n1,2\n");
  // Text that happens to be JSON stays text when the server says it is text.
  EXPECT_EQ(text_of(decode_response_body("text/plain", "{\"a\":1}")), "{\"a\":1}");
  EXPECT_EQ(text_of(decode_response_body("application/x-ndjson", "{}\n{}\n")), "{}\n{}\n");
}

TEST(decode_response_body, iso_8859_1_bytes_are_converted_to_utf8) {
  // "café €" with é = 0xE9; 0x80 is the euro sign as browsers decode it.
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=iso-8859-1", "caf\xE9 \x80")),
            "caf\xC3\xA9 \xE2\x82\xAC");
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=\"ISO-8859-1\"", "\xFC")),
            "\xC3\xBC");
  EXPECT_EQ(text_of(decode_response_body("text/html;charset=latin1", "\xE0")), "\xC3\xA0");
}

TEST(decode_response_body, windows_1252_maps_the_c1_range) {
  // 0x93 0x94 curly quotes, 0x96 en dash, 0x99 trade mark, 0x81 unassigned -> U+0081.
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=windows-1252", "\x93x\x94\x96\x99\x81")),
            "\xE2\x80\x9C" "x" "\xE2\x80\x9D" "\xE2\x80\x93" "\xE2\x84\xA2" "\xC2\x81");
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=us-ascii", "plain")), "plain");
}

TEST(decode_response_body, utf16le_is_converted_to_utf8) {
  // "hé€" little-endian, then an astral character (U+1F600) as a surrogate pair.
  std::string body("h\0\xE9\0\xAC\x20\x3D\xD8\x00\xDE", 10);
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=utf-16le", body)),
            "h\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(decode_response_body, utf16_honours_the_bom) {
  std::string be("\xFE\xFF\0h\0i", 6);
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=utf-16", be)), "hi");
  std::string le("\xFF\xFEh\0i\0", 6);
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=utf-16", le)), "hi");
  // The BOM wins over the declared byte order.
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=utf-16le", be)), "hi");
  std::string be_no_bom("\0h\0i", 4);
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=UTF-16BE", be_no_bom)), "hi");
  // Without a BOM "utf-16" is little-endian.
  std::string le_no_bom("h\0i\0", 4);
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=utf-16", le_no_bom)), "hi");
}

TEST(decode_response_body, utf16_json_is_parsed) {
  std::string body("{\0\"\0a\0\"\0:\0\x31\0}\0", 14);
  EXPECT_EQ(decode_response_body("application/json; charset=utf-16le", body).body,
            json::parse(R"({"a":1})"));
}

TEST(decode_response_body, broken_utf16_gets_replacement_characters) {
  // Unpaired high surrogate followed by 'a', then a dangling odd byte.
  std::string body("\x00\xD8\x61\x00\x62", 5);
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=utf-16le", body)),
            "\xEF\xBF\xBD" "a" "\xEF\xBF\xBD");
}

TEST(decode_response_body, unknown_charset_is_treated_as_utf8) {
  EXPECT_EQ(text_of(decode_response_body("text/plain; charset=klingon", "\xC3\xA9")), "\xC3\xA9");
}

TEST(decode_response_body, invalid_utf8_is_replaced) {
  // Lone continuation byte, truncated 3-byte sequence before 'x', overlong '/', surrogate.
  EXPECT_EQ(text_of(decode_response_body("text/plain", "a\x80" "b\xE2\x82x\xC0\xAF\xED\xA0\x80")),
            "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "x\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  // The result is always valid UTF-8: serializing and reparsing round-trips.
  auto d = decode_response_body("text/plain", "\xFF\xFE\xFD");
  EXPECT_NO_THROW((void)json::parse(json::serialize(d.body)));
}

TEST(decode_response_body, binary_types_are_base64_with_the_flag) {
  std::string png("\x89PNG\r\n\x1A\n\0\0", 10);
  auto d = decode_response_body("image/png", png);
  EXPECT_TRUE(d.base64);
  EXPECT_EQ(d.body, json::value("iVBORw0KGgoAAA=="));
  EXPECT_TRUE(decode_response_body("application/pdf", "%PDF-1.4").base64);
  EXPECT_TRUE(decode_response_body("application/octet-stream", "abc").base64);
  EXPECT_EQ(decode_response_body("application/octet-stream", "abc").body, json::value("YWJj"));
  EXPECT_TRUE(decode_response_body(
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK")
                  .base64);
}

TEST(decode_response_body, no_content_type_is_sniffed) {
  EXPECT_EQ(decode_response_body("", R"({"a":1})").body, json::parse(R"({"a":1})"));
  auto text = decode_response_body("", "just text é");
  EXPECT_FALSE(text.base64);
  EXPECT_EQ(text.body, json::value("just text é"));
  auto bin = decode_response_body("", std::string("\x89PNG\0\xFF", 6));
  EXPECT_TRUE(bin.base64);
  EXPECT_EQ(bin.body, json::value("iVBORwD/"));
}

TEST(decode_response_body, unknown_type_is_sniffed_unless_a_charset_is_declared) {
  EXPECT_EQ(decode_response_body("application/x-custom", "[1]").body, json::parse("[1]"));
  EXPECT_TRUE(decode_response_body("application/x-custom", "\xFF\x00\x01"sv).base64);
  EXPECT_EQ(text_of(decode_response_body("application/x-custom; charset=iso-8859-1", "\xE9")),
            "\xC3\xA9");
}

TEST(to_utf8, strips_a_utf8_bom) {
  EXPECT_EQ(to_utf8("\xEF\xBB\xBFhi", "utf-8"), "hi");
  EXPECT_EQ(to_utf8("\xEF\xBB\xBFhi", ""), "hi");
}

TEST(response_headers_json, names_lower_case_and_repeated_headers_as_arrays) {
  std::vector<std::pair<std::string, std::string>> headers{
      {"Content-Type", "application/json"},
      {"Set-Cookie", "a=1; Path=/"},
      {"X-Request-Id", "abc"},
      {"set-cookie", "b=2"},
      {"SET-COOKIE", "c=3"},
  };
  auto h = response_headers_json(headers);
  EXPECT_EQ(json::value(h), json::parse(R"({
    "content-type": "application/json",
    "set-cookie": ["a=1; Path=/", "b=2", "c=3"],
    "x-request-id": "abc"
  })"));
  // Order of first appearance is kept.
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.begin()->key(), "content-type");
  EXPECT_EQ((h.begin() + 1)->key(), "set-cookie");
}

TEST(response_headers_json, twice_is_an_array_of_two_and_invalid_utf8_is_replaced) {
  auto h = response_headers_json({{"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"X", "caf\xE9"}});
  EXPECT_EQ(h.at("set-cookie"), json::parse(R"(["a=1","b=2"])"));
  EXPECT_EQ(h.at("x"), json::value("caf\xEF\xBF\xBD"));
  EXPECT_TRUE(response_headers_json({}).empty());
}

}  // namespace
}  // namespace oauth2_rest::action
