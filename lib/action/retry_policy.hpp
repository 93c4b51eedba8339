// When the httpRequest action calls the API again, and after what pause (SPEC section 8).
// Pure: no I/O, no clock and no random source of its own (the caller passes "now" and a
// random fraction, so every decision can be tested as a table).
//
// - Idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) are retried on transport failures
//   (failed to connect, timed out, connection dropped) and on 408, 429, 500, 502, 503, 504.
// - POST and PATCH are retried only when the server says it did not act (429, 503) or when
//   nothing was sent (the name did not resolve, the connection could not be made or timed out
//   before it was made): a POST that may have reached the server is never sent twice.
// - Failures that will not heal by trying again (a bad URL, TLS or certificate failures, a
//   response over maxResponseSize, a malformed response, too many redirects) are never retried.
// - The pause is the response's Retry-After (RFC 9110 10.2.3: delay-seconds or an HTTP-date)
//   when it has a valid one, even 0; otherwise exponential backoff with full jitter: a uniform
//   pick in [0, min(60 s, 1 s * 2^(retry-1))], so 0-1 s before the first retry, 0-2 s before
//   the second, ... and 0-60 s from the seventh on.
// - A pause that would end past the platform's 19-minute ceiling for one message (the time
//   left is the caller's to measure) stops the retries at once: the platform would kill the
//   message before the retry could be made, so the last answer is judged now.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace oauth2_rest::action {

// How an attempt that got no response failed, as far as retrying goes.
enum class transport_failure {
  not_sent,       // nothing reached the server: resolve or connect failed or timed out
  after_sending,  // the request may have reached the server: timed out or dropped after
  permanent,      // retrying cannot help (bad URL, TLS, too large, malformed, redirects)
};

inline constexpr int max_retries = 10;
// The platform's ceiling for one message (19 minutes), for pauses as for requestTimeout.
inline constexpr std::chrono::milliseconds message_ceiling{19 * 60 * 1000};
inline constexpr std::chrono::milliseconds backoff_start{1000};
inline constexpr std::chrono::milliseconds backoff_cap{60'000};

// method: upper case as sent ("GET"). Unknown methods are treated like POST.
bool is_retried_status(std::string_view method, unsigned status);
bool is_retried_failure(std::string_view method, transport_failure failure);

// The wait a Retry-After value asks for: delay-seconds ("120") or an HTTP-date in any of the
// three forms RFC 9110 5.6.7 makes recipients accept (IMF-fixdate "Sun, 06 Nov 1994 08:49:37
// GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT", asctime "Sun Nov  6 08:49:37 1994"),
// relative to `now`; a date in the past is 0. nullopt for anything else (then the caller
// backs off as if there were none). A wait beyond a year is clamped to a year.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

// Full-jitter backoff before retry number `retry` (1 for the first retry); `fraction` in
// [0, 1] (clamped) picks the point in the window.
std::chrono::milliseconds backoff_pause(int retry, double fraction);

struct attempt_result {
  std::string_view method;                   // "GET", "POST", ...
  std::optional<unsigned> status;            // the response's status; nullopt: no response
  transport_failure failure = transport_failure::permanent;  // when there is no response
  std::optional<std::string_view> retry_after;  // the response's Retry-After header, if any
};

struct retry_context {
  int retries_done = 0;   // retries already made for this call
  int retries_allowed = 0;  // the `retries` setting
  std::chrono::milliseconds time_left{message_ceiling};  // until the message's 19-minute ceiling
  std::chrono::system_clock::time_point now{};            // for HTTP-date Retry-After values
  double random_fraction = 0;                             // uniform in [0, 1], for the jitter
};

struct retry_decision {
  enum class verdict {
    retry,          // pause, then try again
    not_retryable,  // this answer or failure is final for this method
    spent,          // it would be retried, but the retries are used up (or there are none)
    past_ceiling,   // the pause would end past the 19-minute ceiling
  };
  verdict what = verdict::not_retryable;
  std::chrono::milliseconds pause{0};  // for retry and past_ceiling: the pause asked for
  bool from_retry_after = false;       // the pause is the server's Retry-After
};

retry_decision decide_retry(const attempt_result& attempt, const retry_context& context);

}  // namespace oauth2_rest::action
