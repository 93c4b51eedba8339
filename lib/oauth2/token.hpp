// Access tokens: reading the token endpoint's answer (RFC 6749 sections 5.1
// and 5.2), storing a token in the credential's "tokens" field and reading it
// back, and deciding when a token must be renewed.
//
// Pure functions: no I/O, no exceptions. Error messages name fields, never
// their values when those could be secret (the token, the response body).
//
// The "tokens" field is the last token response plus tokenExpiryTime, e.g.
//   {"access_token":"...","token_type":"Bearer","expires_in":86400,"tokenExpiryTime":"2021-11-11T23:18:00.470Z"}
// tokenExpiryTime = time the request was SENT + expires_in (conservative: the
// server's clock started later). Without expires_in the token is valid until
// the API answers 401.
#pragma once

#include "oauth2/input_error.hpp"
#include "util/result.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace oauth2_rest::oauth2 {

using clock = std::chrono::system_clock;

// Longest expires_in taken at its word (ten years); longer values are cut to
// it, which keeps every expiry time representable.
inline constexpr std::chrono::seconds max_token_lifetime{10LL * 365 * 24 * 3600};
// Renew this long before expiry, but never more than half the lifetime.
inline constexpr std::chrono::seconds refresh_margin{60};

struct token {
  std::string access_token;
  // As received; "Bearer" when absent. Only Bearer tokens are accepted, so the
  // Authorization header is always "Bearer <access_token>".
  std::string token_type = "Bearer";
  std::optional<clock::time_point> expires_at;   // tokenExpiryTime; nullopt = valid until the API answers 401
  std::optional<std::chrono::seconds> lifetime;  // expires_in
  boost::json::object raw;                       // the whole token response as received (unknown fields kept)
};

// error and error_description of an error answer (RFC 6749 5.2); empty when
// absent. Parsed as JSON, or as a form; without a (known) content type JSON is
// tried first. Each is cut to max_error_detail bytes.
struct token_error_details {
  std::string error;
  std::string error_description;
};
inline constexpr std::size_t max_error_detail = 512;
token_error_details parse_token_error(std::string_view content_type, std::string_view body);

// A successful (2xx) token response. sent_at = when the request was sent.
//  - Body: JSON when the content type says json; a form when it says
//    application/x-www-form-urlencoded; otherwise (missing, text/plain, ...)
//    JSON is tried, then a form. Form values become JSON strings in raw.
//  - access_token: a non-empty string, else "token response has no access_token".
//  - token_type: case-insensitive; missing or "" means Bearer; anything else is
//    input_error::unsupported_token_type ("token_type 'mac' is not supported;
//    only Bearer tokens can be used").
//  - expires_in: a number or numeric string, decimals cut to whole seconds,
//    capped at max_token_lifetime; null means absent; negative or not a number
//    is an error naming expires_in. 0 is taken as "not said" (expires_at and
//    lifetime nullopt): a token that is already expired would be useless, and
//    servers that send 0 mean "no expiry"; a 401 still renews it.
// Other failures have code input_error::bad_token_response.
result<token> parse_token_response(std::string_view content_type, std::string_view body, clock::time_point sent_at);

// The credential's "tokens" value: t.raw with access_token set from t, token_type
// and expires_in added when raw lacks them, and "tokenExpiryTime" (ISO-8601 UTC
// with milliseconds) when expires_at is known (removed otherwise). Compact JSON.
std::string stored_tokens_json(const token& t);

// Reads a "tokens" value back. nullopt (= get a new token) when it is empty, not
// a JSON object, has no access_token, has a token_type other than Bearer, has a
// tokenExpiryTime that is not ISO-8601, or has a positive expires_in but no
// tokenExpiryTime (then nobody knows when it expires). expires_at comes from
// tokenExpiryTime (floored to the millisecond, the precision it is written at),
// lifetime from expires_in (same rules as above); raw is the value without
// tokenExpiryTime.
std::optional<token> parse_stored_tokens(std::string_view tokens_field);

// When the token must be renewed: expires_at - margin, margin = refresh_margin
// but at most half the lifetime (a 4 s token is renewed after 2 s, not on every
// use). Without a known lifetime the margin is refresh_margin. nullopt when
// expires_at is nullopt.
std::optional<clock::time_point> refresh_at(const token& t);
// Non-empty access_token and (no expiry or now < refresh_at).
bool is_fresh(const token& t, clock::time_point now);

// "2021-11-11T23:18:00.470Z": UTC, milliseconds (truncated), 'Z'.
std::string format_iso8601(clock::time_point tp);
// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm|+hhmm); 't'/'z' and a space
// for 'T' accepted. A zone is required (a bare local time is ambiguous).
// nullopt when malformed or outside what clock::time_point can hold.
std::optional<clock::time_point> parse_iso8601(std::string_view text);

}  // namespace oauth2_rest::oauth2
