// Unit tests: token responses, error answers, the stored "tokens" field,
// renewal times and ISO-8601 times.
#include "oauth2/token.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

namespace oauth2 = oauth2_rest::oauth2;
using namespace std::chrono_literals;
using std::chrono::sys_days;
using std::chrono::year;

namespace {

// 2021-11-11T22:18:00.470Z
const oauth2::clock::time_point sent_at = sys_days{year{2021} / 11 / 11} + 22h + 18min + 470ms;

oauth2::token parse_ok(std::string_view content_type, std::string_view body) {
  auto parsed = oauth2::parse_token_response(content_type, body, sent_at);
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().message);
  return parsed ? std::move(parsed).value() : oauth2::token{};
}

std::string parse_error(std::string_view content_type, std::string_view body) {
  auto parsed = oauth2::parse_token_response(content_type, body, sent_at);
  EXPECT_FALSE(parsed);
  return parsed ? "" : parsed.error().message;
}

}  // namespace

// --- successful token responses ---

TEST(parse_token_response, json_success) {
  const auto t = parse_ok("application/json; charset=utf-8",
                          R"({"access_token":"abc.def","token_type":"Bearer","expires_in":3600,"scope":"a b"})");
  EXPECT_EQ(t.access_token, "abc.def");
  EXPECT_EQ(t.token_type, "Bearer");
  EXPECT_EQ(t.lifetime, 3600s);
  EXPECT_EQ(t.expires_at, sent_at + 3600s);
  EXPECT_EQ(boost::json::serialize(t.raw),
            R"({"access_token":"abc.def","token_type":"Bearer","expires_in":3600,"scope":"a b"})");
}

TEST(parse_token_response, expires_in_as_string) {
  const auto t = parse_ok("application/json", R"({"access_token":"x","token_type":"Bearer","expires_in":"3600"})");
  EXPECT_EQ(t.lifetime, 3600s);
  EXPECT_EQ(t.expires_at, sent_at + 3600s);
}

TEST(parse_token_response, decimal_expires_in_is_cut_to_whole_seconds) {
  EXPECT_EQ(parse_ok("application/json", R"({"access_token":"x","expires_in":59.9})").lifetime, 59s);
  EXPECT_EQ(parse_ok("application/json", R"({"access_token":"x","expires_in":"3599.99"})").lifetime, 3599s);
  EXPECT_EQ(parse_ok("application/json", R"({"access_token":"x","expires_in":" 120 "})").lifetime, 120s);
}

TEST(parse_token_response, missing_or_zero_or_null_expires_in_means_until_401) {
  for (const char* body : {R"({"access_token":"x","token_type":"Bearer"})",
                           R"({"access_token":"x","expires_in":0})", R"({"access_token":"x","expires_in":null})"}) {
    const auto t = parse_ok("application/json", body);
    EXPECT_EQ(t.expires_at, std::nullopt) << body;
    EXPECT_EQ(t.lifetime, std::nullopt) << body;
  }
}

TEST(parse_token_response, huge_expires_in_is_capped) {
  const auto t = parse_ok("application/json", R"({"access_token":"x","expires_in":1e300})");
  EXPECT_EQ(t.lifetime, oauth2::max_token_lifetime);
  EXPECT_EQ(t.expires_at, sent_at + oauth2::max_token_lifetime);
  EXPECT_EQ(parse_ok("", "access_token=x&expires_in=99999999999999999999999999").lifetime,
            oauth2::max_token_lifetime);
}

TEST(parse_token_response, bad_expires_in_is_named) {
  const std::string message =
      "token response has an invalid expires_in (expected a non-negative number of seconds)";
  for (const char* body :
       {R"({"access_token":"x","expires_in":-5})", R"({"access_token":"x","expires_in":"-5"})",
        R"({"access_token":"x","expires_in":"soon"})", R"({"access_token":"x","expires_in":"1e3"})",
        R"({"access_token":"x","expires_in":true})", R"({"access_token":"x","expires_in":[1]})",
        R"({"access_token":"x","expires_in":"12."})", R"({"access_token":"x","expires_in":-0.5})"}) {
    EXPECT_EQ(parse_error("application/json", body), message) << body;
  }
}

TEST(parse_token_response, token_type_is_case_insensitive) {
  EXPECT_EQ(parse_ok("application/json", R"({"access_token":"x","token_type":"bearer"})").token_type, "bearer");
  EXPECT_EQ(parse_ok("application/json", R"({"access_token":"x","token_type":"BEARER"})").token_type, "BEARER");
}

TEST(parse_token_response, missing_token_type_means_bearer) {
  const auto t = parse_ok("application/json", R"({"access_token":"x","expires_in":60})");
  EXPECT_EQ(t.token_type, "Bearer");
  EXPECT_FALSE(t.raw.contains("token_type"));  // raw stays as received
  EXPECT_EQ(parse_ok("application/json", R"({"access_token":"x","token_type":""})").token_type, "Bearer");
}

TEST(parse_token_response, other_token_types_are_refused) {
  auto parsed = oauth2::parse_token_response("application/json", R"({"access_token":"x","token_type":"mac"})", sent_at);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "token_type 'mac' is not supported; only Bearer tokens can be used");
  EXPECT_EQ(parsed.error().code, oauth2::input_error::unsupported_token_type);
  EXPECT_EQ(parse_error("application/json", R"({"access_token":"x","token_type":7})"),
            "token_type is not a string; only Bearer tokens can be used");
}

TEST(parse_token_response, no_access_token) {
  for (const char* body : {R"({"token_type":"Bearer","expires_in":3600})", R"({"access_token":""})",
                           R"({"access_token":42})", R"({"access_token":null})"}) {
    auto parsed = oauth2::parse_token_response("application/json", body, sent_at);
    ASSERT_FALSE(parsed) << body;
    EXPECT_EQ(parsed.error().message, "token response has no access_token");
    EXPECT_EQ(parsed.error().code, oauth2::input_error::bad_token_response);
  }
}

TEST(parse_token_response, malformed_json_does_not_echo_the_body) {
  const std::string body = R"({"access_token":"SECRET-TOKEN","expires_in":)";
  auto parsed = oauth2::parse_token_response("application/json", body, sent_at);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "token response is not a valid JSON object");
  EXPECT_EQ(parsed.error().code, oauth2::input_error::bad_token_response);
  EXPECT_EQ(parse_error("application/json", R"(["access_token"])"), "token response is not a valid JSON object");
  EXPECT_EQ(parse_error("application/json", ""), "token response is not a valid JSON object");
}

TEST(parse_token_response, error_messages_never_contain_the_token) {
  auto parsed = oauth2::parse_token_response(
      "application/json", R"({"access_token":"SECRET-TOKEN","token_type":"mac","expires_in":"x"})", sent_at);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message.find("SECRET"), std::string::npos);
}

TEST(parse_token_response, form_encoded_body) {
  const auto t = parse_ok("application/x-www-form-urlencoded",
                          "access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=repo%2Cgist&token_type=bearer"
                          "&expires_in=28800");
  EXPECT_EQ(t.access_token, "gho_16C7e42F292c6912E7710c838347Ae178B4a");
  EXPECT_EQ(t.token_type, "bearer");
  EXPECT_EQ(t.lifetime, 28800s);
  EXPECT_EQ(t.expires_at, sent_at + 28800s);
  EXPECT_EQ(boost::json::serialize(t.raw),
            R"({"access_token":"gho_16C7e42F292c6912E7710c838347Ae178B4a","scope":"repo,gist",)"
            R"("token_type":"bearer","expires_in":"28800"})");
}

// Found by fuzz/fuzz_token_response: a form may decode to bytes that are not UTF-8; kept as they
// were, the stored "tokens" JSON (saved to the platform) did not parse back.
TEST(parse_token_response, form_bytes_that_are_not_utf8_become_replacement_characters) {
  const auto t = parse_ok("application/x-www-form-urlencoded",
                          "access_token=ab%A1%8Ccd&token_type=bearer&x%FF=%C3&expires_in=60");
  EXPECT_EQ(t.access_token, "ab\xEF\xBF\xBD\xEF\xBF\xBD" "cd");
  const std::string stored = oauth2::stored_tokens_json(t);
  boost::system::error_code ec;
  auto parsed = boost::json::parse(stored, ec);
  ASSERT_FALSE(ec) << "stored tokens are not valid JSON";
  EXPECT_EQ(parsed.at("x\xEF\xBF\xBD").as_string(), "\xEF\xBF\xBD");
  auto back = oauth2::parse_stored_tokens(stored);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->access_token, t.access_token);
}

// Found by fuzz/fuzz_token_response: the quoted token_type was cut at 40 bytes inside a UTF-8
// character, so the error event carrying the message was not valid UTF-8 (nor valid JSON).
// Found by fuzz/fuzz_token_response: 2e400 parsed to infinity and the stored "tokens" held
// "Infinity", which is not JSON, so a saved token could never be read back.
TEST(parse_token_response, numbers_beyond_a_double_are_null_and_stored_tokens_stay_json) {
  const auto t = parse_ok("application/json", R"({"access_token":"x","expires_in":2e400,"extra":[-1e999]})");
  EXPECT_FALSE(t.expires_at.has_value()) << "an infinite lifetime is no expiry: renewed on 401";
  const std::string stored = oauth2::stored_tokens_json(t);
  boost::system::error_code ec;
  auto parsed = boost::json::parse(stored, ec);
  ASSERT_FALSE(ec) << stored;
  EXPECT_TRUE(parsed.at("extra").at(0).is_null());
  auto back = oauth2::parse_stored_tokens(stored);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->access_token, "x");
}

// SPEC section 6: token responses are read as Node reads them and stored as Node writes them.
TEST(parse_token_response, json_is_read_and_stored_as_node_reads_and_writes_it) {
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  const auto t = parse_ok("application/json", R"({"access_token":"abc","token_type":"Bearer","expires_in":3600,)"
                                              R"("note":"cut \ud83d","ratio":1e21,"small":1e-7,"deep":)" + deep + "}");
  EXPECT_EQ(t.access_token, "abc");
  EXPECT_EQ(t.raw.at("note").as_string(), "cut \xEF\xBF\xBD");
  EXPECT_EQ(oauth2::stored_tokens_json(t),
            R"({"access_token":"abc","token_type":"Bearer","expires_in":3600,"note":"cut )" "\xEF\xBF\xBD"
            R"(","ratio":1e+21,"small":1e-7,"deep":)" + deep + R"(,"tokenExpiryTime":"2021-11-11T23:18:00.470Z"})");
}

TEST(parse_token_response, quoted_token_type_is_cut_on_a_character_boundary) {
  const std::string body = R"({"access_token":"x","token_type":")" + std::string(39, 'm') + "\u00e9\u00e9\"}";
  EXPECT_EQ(parse_error("application/json", body),
            "token_type '" + std::string(39, 'm') + "...' is not supported; only Bearer tokens can be used");
}

TEST(parse_token_error, form_details_that_are_not_utf8_become_replacement_characters) {
  auto details = oauth2::parse_token_error("application/x-www-form-urlencoded",
                                           "error=bad%FF&error_description=%C3x");
  EXPECT_EQ(details.error, "bad\xEF\xBF\xBD");
  EXPECT_EQ(details.error_description, "\xEF\xBF\xBDx");
}

TEST(parse_token_response, without_content_type_tries_json_then_form) {
  EXPECT_EQ(parse_ok("", R"({"access_token":"j","expires_in":10})").access_token, "j");
  EXPECT_EQ(parse_ok("", "access_token=f&expires_in=10").access_token, "f");
  EXPECT_EQ(parse_ok("text/plain", R"({"access_token":"t"})").access_token, "t");
  EXPECT_EQ(parse_error("", "<html>oops</html>"), "token response has no access_token");
}

TEST(parse_token_response, vendor_json_types_are_json) {
  EXPECT_EQ(parse_ok("application/vnd.api+json", R"({"access_token":"v"})").access_token, "v");
  EXPECT_EQ(parse_error("Application/JSON", "access_token=f"), "token response is not a valid JSON object");
}

// --- error answers ---

TEST(parse_token_error, json_details) {
  const auto details =
      oauth2::parse_token_error("application/json", R"({"error":"invalid_client","error_description":"bad secret"})");
  EXPECT_EQ(details.error, "invalid_client");
  EXPECT_EQ(details.error_description, "bad secret");
}

TEST(parse_token_error, form_details_and_missing_content_type) {
  auto details = oauth2::parse_token_error("application/x-www-form-urlencoded",
                                           "error=invalid_scope&error_description=scope+users+unknown");
  EXPECT_EQ(details.error, "invalid_scope");
  EXPECT_EQ(details.error_description, "scope users unknown");
  details = oauth2::parse_token_error("", R"({"error":"invalid_grant"})");
  EXPECT_EQ(details.error, "invalid_grant");
  EXPECT_EQ(details.error_description, "");
}

TEST(parse_token_error, absent_fields_are_empty) {
  for (auto [type, body] : {std::pair{"text/html", "<h1>502 Bad Gateway</h1>"}, std::pair{"application/json", "{"},
                            std::pair{"application/json", R"({"error":12,"message":"x"})"}, std::pair{"", ""}}) {
    const auto details = oauth2::parse_token_error(type, body);
    EXPECT_EQ(details.error, "") << body;
    EXPECT_EQ(details.error_description, "") << body;
  }
}

TEST(parse_token_error, details_are_bounded_to_one_line) {
  const std::string long_text(2000, 'x');
  const auto details = oauth2::parse_token_error(
      "application/json", R"({"error":"invalid_request","error_description":"line1\nline2 )" + long_text + "\"}");
  EXPECT_EQ(details.error_description.size(), oauth2::max_error_detail);
  EXPECT_EQ(details.error_description.substr(0, 12), "line1 line2 ");
}

// --- stored tokens ---

TEST(stored_tokens, round_trip_keeps_expiry_to_the_millisecond_and_unknown_fields) {
  const auto t = parse_ok("application/json",
                          R"({"access_token":"abc","token_type":"Bearer","expires_in":86400,"ext":{"tenant":"t1"}})");
  const auto stored = oauth2::stored_tokens_json(t);
  EXPECT_EQ(stored,
            R"({"access_token":"abc","token_type":"Bearer","expires_in":86400,"ext":{"tenant":"t1"},)"
            R"("tokenExpiryTime":"2021-11-12T22:18:00.470Z"})");

  const auto back = oauth2::parse_stored_tokens(stored);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->access_token, "abc");
  EXPECT_EQ(back->token_type, "Bearer");
  EXPECT_EQ(back->expires_at, sent_at + 86400s);  // exact: sent_at is on a millisecond
  EXPECT_EQ(back->lifetime, 86400s);
  EXPECT_EQ(boost::json::serialize(back->raw),
            R"({"access_token":"abc","token_type":"Bearer","expires_in":86400,"ext":{"tenant":"t1"}})");
  EXPECT_EQ(oauth2::stored_tokens_json(*back), stored);
}

TEST(stored_tokens, sub_millisecond_expiry_is_truncated) {
  oauth2::token t;
  t.access_token = "a";
  t.expires_at = sent_at + 999us;
  EXPECT_EQ(oauth2::stored_tokens_json(t),
            R"({"access_token":"a","token_type":"Bearer","tokenExpiryTime":"2021-11-11T22:18:00.470Z"})");
}

// Written values carry milliseconds only; a finer time written by someone else is read at that
// precision, so what is read once is what every later write and read gives (the token cache's
// fuzz target found a sub-millisecond tokenExpiryTime that changed on its first round trip).
TEST(stored_tokens, sub_millisecond_expiry_is_read_truncated_so_that_a_round_trip_keeps_it) {
  const auto first = oauth2::parse_stored_tokens(
      R"({"access_token":"a","token_type":"Bearer","tokenExpiryTime":"2026-12-01T19:14:50.47475Z"})");
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->expires_at);
  EXPECT_EQ(oauth2::format_iso8601(*first->expires_at), "2026-12-01T19:14:50.474Z");
  const auto again = oauth2::parse_stored_tokens(oauth2::stored_tokens_json(*first));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->expires_at, first->expires_at);
}

TEST(stored_tokens, without_expiry_there_is_no_tokenExpiryTime) {
  const auto t = parse_ok("application/json", R"({"access_token":"abc","token_type":"bearer"})");
  const auto stored = oauth2::stored_tokens_json(t);
  EXPECT_EQ(stored, R"({"access_token":"abc","token_type":"bearer"})");
  const auto back = oauth2::parse_stored_tokens(stored);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->expires_at, std::nullopt);
  EXPECT_EQ(back->token_type, "bearer");
}

TEST(stored_tokens, a_stale_tokenExpiryTime_in_raw_is_replaced) {
  oauth2::token t;
  t.access_token = "new";
  t.raw = boost::json::parse(R"({"tokenExpiryTime":"2000-01-01T00:00:00.000Z","access_token":"old","x":1})")
              .as_object();
  t.lifetime = 60s;
  t.expires_at = sent_at + 60s;
  EXPECT_EQ(oauth2::stored_tokens_json(t),
            R"({"token_type":"Bearer","access_token":"new","x":1,"expires_in":60,)"
            R"("tokenExpiryTime":"2021-11-11T22:19:00.470Z"})");
}

TEST(stored_tokens, spec_example_is_read) {
  const auto t = oauth2::parse_stored_tokens(
      R"({"access_token":"...","token_type":"Bearer","expires_in":86400,"tokenExpiryTime":"2021-11-11T23:18:00.470Z"})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->access_token, "...");
  EXPECT_EQ(t->expires_at, sent_at + 1h);
  EXPECT_EQ(t->lifetime, 86400s);
}

TEST(stored_tokens, unusable_values_give_nullopt) {
  for (const char* field : {"", "  \n", "not json", "[]", R"({"token_type":"Bearer"})", R"({"access_token":""})",
                            R"({"access_token":"a","token_type":"mac"})",
                            R"({"access_token":"a","tokenExpiryTime":"tomorrow"})",
                            R"({"access_token":"a","tokenExpiryTime":12})",
                            R"({"access_token":"a","expires_in":3600})"}) {
    EXPECT_EQ(oauth2::parse_stored_tokens(field), std::nullopt) << field;
  }
}

TEST(stored_tokens, tolerates_surrounding_whitespace) {
  const auto t = oauth2::parse_stored_tokens("\n {\"access_token\":\"a\"} \n");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->access_token, "a");
  EXPECT_EQ(t->expires_at, std::nullopt);
}

// --- renewal ---

TEST(refresh_at, long_token_is_renewed_60s_before_expiry) {
  const auto t = parse_ok("application/json", R"({"access_token":"a","expires_in":3600})");
  EXPECT_EQ(oauth2::refresh_at(t), sent_at + 3540s);
  EXPECT_TRUE(oauth2::is_fresh(t, sent_at + 3539s));
  EXPECT_FALSE(oauth2::is_fresh(t, sent_at + 3540s));
}

TEST(refresh_at, short_token_is_renewed_after_half_its_lifetime) {
  const auto t = parse_ok("application/json", R"({"access_token":"a","expires_in":4})");
  EXPECT_EQ(oauth2::refresh_at(t), sent_at + 2s);
  EXPECT_TRUE(oauth2::is_fresh(t, sent_at + 1999ms));
  EXPECT_FALSE(oauth2::is_fresh(t, sent_at + 2s));
  const auto one = parse_ok("application/json", R"({"access_token":"a","expires_in":1})");
  EXPECT_EQ(oauth2::refresh_at(one), sent_at + 500ms);
}

TEST(refresh_at, unknown_lifetime_uses_the_full_margin) {
  oauth2::token t;
  t.access_token = "a";
  t.expires_at = sent_at + 30s;  // e.g. a stored token without expires_in
  EXPECT_EQ(oauth2::refresh_at(t), sent_at - 30s);
  EXPECT_FALSE(oauth2::is_fresh(t, sent_at));
}

TEST(refresh_at, no_expiry_means_always_fresh_while_there_is_a_token) {
  oauth2::token t;
  t.access_token = "a";
  EXPECT_EQ(oauth2::refresh_at(t), std::nullopt);
  EXPECT_TRUE(oauth2::is_fresh(t, sent_at + 1000h));
  t.access_token.clear();
  EXPECT_FALSE(oauth2::is_fresh(t, sent_at));
}

// --- ISO-8601 ---

TEST(iso8601, format_is_utc_with_milliseconds) {
  EXPECT_EQ(oauth2::format_iso8601(sent_at), "2021-11-11T22:18:00.470Z");
  EXPECT_EQ(oauth2::format_iso8601(oauth2::clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(oauth2::format_iso8601(sys_days{year{2024} / 2 / 29} + 23h + 59min + 59s + 999ms + 999us),
            "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(oauth2::format_iso8601(oauth2::clock::time_point{} - 1ms), "1969-12-31T23:59:59.999Z");
}

TEST(iso8601, parse_utc_and_fractions) {
  EXPECT_EQ(oauth2::parse_iso8601("2021-11-11T22:18:00.470Z"), sent_at);
  EXPECT_EQ(oauth2::parse_iso8601("2021-11-11T22:18:00.47Z"), sent_at);
  EXPECT_EQ(oauth2::parse_iso8601("2021-11-11T22:18:00Z"), sent_at - 470ms);
  EXPECT_EQ(oauth2::parse_iso8601("2021-11-11t22:18:00,470z"), sent_at);
  EXPECT_EQ(oauth2::parse_iso8601("2021-11-11 22:18:00.470Z"), sent_at);
  EXPECT_EQ(oauth2::parse_iso8601("2021-11-11T22:18:00.470000001Z"), sent_at + 1ns);
  EXPECT_EQ(oauth2::parse_iso8601("2021-11-11T22:18:00.4700000019Z"), sent_at + 1ns);
}

TEST(iso8601, parse_offsets) {
  EXPECT_EQ(oauth2::parse_iso8601("2021-11-12T00:18:00.470+02:00"), sent_at);
  EXPECT_EQ(oauth2::parse_iso8601("2021-11-11T17:48:00.470-04:30"), sent_at);
  EXPECT_EQ(oauth2::parse_iso8601("2021-11-12T00:18:00.470+0200"), sent_at);
  EXPECT_EQ(oauth2::parse_iso8601("2021-11-11T22:18:00.470+00:00"), sent_at);
}

TEST(iso8601, round_trip) {
  const auto tp = sys_days{year{2038} / 1 / 19} + 3h + 14min + 8s + 123ms;
  EXPECT_EQ(oauth2::parse_iso8601(oauth2::format_iso8601(tp)), tp);
}

TEST(iso8601, rejects_malformed_text) {
  for (const char* text :
       {"", "2021-11-11", "2021-11-11T22:18:00", "2021-11-11T22:18Z", "2021-13-01T00:00:00Z", "2021-02-29T00:00:00Z",
        "2021-11-11T24:00:00Z", "2021-11-11T22:60:00Z", "2021-11-11T22:18:00.Z", "2021-11-11T22:18:00+2:00",
        "2021-11-11T22:18:00+24:00", "2021-11-11T22:18:00Zjunk", "21-11-11T22:18:00Z", "2021/11/11T22:18:00Z",
        "9999-12-31T23:59:59Z", "1000-01-01T00:00:00Z"}) {
    EXPECT_EQ(oauth2::parse_iso8601(text), std::nullopt) << text;
  }
}

TEST(iso8601, leap_second_is_accepted) {
  EXPECT_EQ(oauth2::parse_iso8601("2016-12-31T23:59:60Z"), sys_days{year{2017} / 1 / 1} + 0s);
}
