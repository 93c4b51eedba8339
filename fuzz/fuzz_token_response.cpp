// libFuzzer target: the token endpoint's answers and the stored "tokens" field:
// oauth2::parse_token_response, parse_token_error, parse_stored_tokens, parse_iso8601.
// The first byte picks a content type. Invariants: an accepted token has an access token; it
// stores and reads back with the same access token and expiry; error details are capped.
#include "fuzz_support.hpp"
#include "oauth2/token.hpp"

#include <array>

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

namespace {

constexpr std::array<std::string_view, 8> content_types{
    "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded",
    "text/plain", "", "TEXT/JSON", "application/problem+json", "text/html"};

void check_stored(const oauth2::token& t) {
  const std::string stored = oauth2::stored_tokens_json(t);
  fuzz::check_json_round_trip(boost::json::parse(stored), "stored tokens");
  auto back = oauth2::parse_stored_tokens(stored);
  fuzz_check(back.has_value(), "stored token does not read back");
  fuzz_check(back->access_token == t.access_token, "stored access_token changed");
  if (t.expires_at) {
    fuzz_check(back->expires_at.has_value(), "stored expiry lost");
    const auto diff = *back->expires_at - *t.expires_at;
    fuzz_check(diff <= std::chrono::milliseconds(0) && diff > -std::chrono::milliseconds(1),
               "stored expiry differs by more than the millisecond truncation");
  }
  (void)oauth2::refresh_at(*back);
  (void)oauth2::is_fresh(*back, oauth2::clock::now());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view content_type = content_types[data[0] % content_types.size()];
  const std::string_view body = fuzz::as_view(data + 1, size - 1);
  // A fixed send time keeps the target deterministic.
  const oauth2::clock::time_point sent_at{std::chrono::seconds(1'800'000'000)};

  auto t = oauth2::parse_token_response(content_type, body, sent_at);
  if (!t) fuzz_check(fuzz::is_valid_utf8(t.error().message), "token response error message is not UTF-8");
  if (t) {
    fuzz_check(!t->access_token.empty(), "accepted token without access_token");
    if (t->expires_at) fuzz_check(*t->expires_at >= sent_at, "token expires before it was sent");
    check_stored(*t);
  }

  auto details = oauth2::parse_token_error(content_type, body);
  fuzz_check(details.error.size() <= oauth2::max_error_detail, "error not capped");
  fuzz_check(details.error_description.size() <= oauth2::max_error_detail,
             "error_description not capped");
  // They end up in error events (JSON): they must be valid UTF-8.
  fuzz_check(fuzz::is_valid_utf8(details.error), "error is not UTF-8");
  fuzz_check(fuzz::is_valid_utf8(details.error_description), "error_description is not UTF-8");

  if (auto stored = oauth2::parse_stored_tokens(body)) {
    fuzz_check(!stored->access_token.empty(), "stored token without access_token");
    check_stored(*stored);
  }

  if (auto tp = oauth2::parse_iso8601(body)) {
    const std::string text = oauth2::format_iso8601(*tp);
    auto again = oauth2::parse_iso8601(text);
    fuzz_check(again.has_value(), "format_iso8601 output does not parse");
    fuzz_check(*again <= *tp && *tp - *again < std::chrono::milliseconds(1),
               "iso8601 round trip moved the time");
  }
  return 0;
}
