// Unit tests: the API call's retry rules (SPEC 8), with the clock and the random pick passed in.
#include "action/retry_policy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace oauth2_rest::action {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using verdict = retry_decision::verdict;

// 1994-11-06 08:49:37 UTC, the RFC's example date.
const system_clock::time_point rfc_date = sys_days{1994y / November / 6} + 8h + 49min + 37s;

TEST(retry_policy, statuses_by_method) {
  struct row {
    const char* method;
    unsigned status;
    bool retried;
  };
  const row rows[] = {
      {"GET", 408, true},     {"GET", 429, true},     {"GET", 500, true},     {"GET", 502, true},
      {"GET", 503, true},     {"GET", 504, true},     {"GET", 501, false},    {"GET", 505, false},
      {"GET", 404, false},    {"GET", 401, false},    {"GET", 200, false},    {"GET", 425, false},
      {"HEAD", 500, true},    {"OPTIONS", 502, true}, {"PUT", 504, true},     {"DELETE", 408, true},
      {"POST", 429, true},    {"POST", 503, true},    {"POST", 500, false},   {"POST", 502, false},
      {"POST", 504, false},   {"POST", 408, false},   {"PATCH", 429, true},   {"PATCH", 503, true},
      {"PATCH", 500, false},  {"PATCH", 408, false},  {"TRACE", 500, false},
  };
  for (const auto& r : rows) EXPECT_EQ(is_retried_status(r.method, r.status), r.retried) << r.method << " " << r.status;
}

TEST(retry_policy, failures_by_method) {
  for (const char* m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}) {
    EXPECT_TRUE(is_retried_failure(m, transport_failure::not_sent)) << m;
    EXPECT_TRUE(is_retried_failure(m, transport_failure::after_sending)) << m;
    EXPECT_FALSE(is_retried_failure(m, transport_failure::permanent)) << m;
  }
  for (const char* m : {"POST", "PATCH"}) {
    EXPECT_TRUE(is_retried_failure(m, transport_failure::not_sent)) << m << ": nothing was sent";
    EXPECT_FALSE(is_retried_failure(m, transport_failure::after_sending)) << m << ": it may have acted";
    EXPECT_FALSE(is_retried_failure(m, transport_failure::permanent)) << m;
  }
}

TEST(retry_policy, retry_after_values) {
  const auto now = rfc_date;
  struct row {
    const char* value;
    std::optional<milliseconds> expected;
  };
  const row rows[] = {
      {"0", 0ms},
      {"1", 1000ms},
      {" 120 ", 120'000ms},
      {"\t7", 7000ms},
      {"99999999999999999999999", duration_cast<milliseconds>(seconds(365LL * 24 * 3600))},
      {"Sun, 06 Nov 1994 08:49:47 GMT", 10'000ms},    // IMF-fixdate, 10 s ahead
      {"sun, 06 nov 1994 08:50:37 GMT", 60'000ms},    // names in any case
      {"Sunday, 06-Nov-94 08:49:57 GMT", 20'000ms},   // RFC 850
      {"Sun Nov  6 08:49:40 1994", 3000ms},           // asctime, space-padded day
      {"Sun Nov 16 08:49:37 1994", duration_cast<milliseconds>(days(10))},
      {"Sun, 06 Nov 1994 08:49:00 GMT", 0ms},         // in the past
      {"Sat, 05 Nov 1994 08:49:37 GMT", 0ms},
      {"", std::nullopt},
      {"   ", std::nullopt},
      {"-1", std::nullopt},
      {"+5", std::nullopt},
      {"1.5", std::nullopt},
      {"5s", std::nullopt},
      {"soon", std::nullopt},
      {"Sun, 06 Nov 1994 08:49:37", std::nullopt},     // no GMT
      {"Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt},
      {"Sun, 31 Feb 1994 08:49:37 GMT", std::nullopt}, // no such day
      {"Sun, 06 Nov 1994 24:00:00 GMT", std::nullopt},
      {"Sun, 06 Foo 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 6 Nov 1994 08:49:37 GMT", std::nullopt},  // IMF-fixdate days have two digits
      {"Sun, 06 Nov 1994 08:49:37 GMT x", std::nullopt},
      // Far dates: clamped to a year (found by fuzz_retry_after: year 5994 overflowed the clock).
      {"Sun, 06 Nov 5994 08:49:37 GMT", duration_cast<milliseconds>(seconds(365LL * 24 * 3600))},
      {"Fri, 31 Dec 9999 23:59:59 GMT", duration_cast<milliseconds>(seconds(365LL * 24 * 3600))},
      {"Mon, 01 Jan 0000 00:00:00 GMT", 0ms},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(parse_retry_after(r.value, now), r.expected) << "'" << r.value << "'";
  }
  // A two-digit RFC 850 year before 70 is in this century.
  EXPECT_EQ(parse_retry_after("Monday, 01-Jan-30 00:00:10 GMT", sys_days{2030y / January / 1}), 10'000ms);
}

TEST(retry_policy, full_jitter_backoff_doubles_from_one_second_to_sixty) {
  struct row {
    int retry;
    double fraction;
    milliseconds expected;
  };
  const row rows[] = {
      {1, 0.0, 0ms},        {1, 1.0, 1000ms},     {1, 0.5, 500ms},      {2, 1.0, 2000ms},
      {3, 1.0, 4000ms},     {4, 0.25, 2000ms},    {6, 1.0, 32'000ms},   {7, 1.0, 60'000ms},
      {10, 1.0, 60'000ms},  {10, 0.5, 30'000ms},  {1000, 1.0, 60'000ms}, {0, 1.0, 1000ms},
      {1, -3.0, 0ms},       {1, 7.0, 1000ms},     {1, std::nan(""), 0ms},
  };
  for (const auto& r : rows) EXPECT_EQ(backoff_pause(r.retry, r.fraction), r.expected) << r.retry << " " << r.fraction;
}

retry_context context(int done, int allowed, double fraction = 0.5, milliseconds left = message_ceiling) {
  retry_context c;
  c.retries_done = done;
  c.retries_allowed = allowed;
  c.time_left = left;
  c.now = rfc_date;
  c.random_fraction = fraction;
  return c;
}

attempt_result status(const char* method, unsigned code, std::optional<std::string_view> retry_after = std::nullopt) {
  attempt_result a;
  a.method = method;
  a.status = code;
  a.retry_after = retry_after;
  return a;
}

attempt_result failed(const char* method, transport_failure f) {
  attempt_result a;
  a.method = method;
  a.failure = f;
  return a;
}

TEST(retry_policy, decisions) {
  struct row {
    const char* name;
    attempt_result attempt;
    retry_context context;
    verdict what;
    milliseconds pause;
    bool from_retry_after;
  };
  const row rows[] = {
      {"503 retried with backoff", status("GET", 503), context(0, 3, 0.5), verdict::retry, 500ms, false},
      {"second retry doubles the window", status("GET", 503), context(1, 3, 0.5), verdict::retry, 1000ms, false},
      {"Retry-After seconds", status("GET", 503, "2"), context(0, 3), verdict::retry, 2000ms, true},
      {"Retry-After 0 is honoured", status("GET", 429, "0"), context(0, 3), verdict::retry, 0ms, true},
      {"Retry-After date", status("POST", 429, "Sun, 06 Nov 1994 08:50:37 GMT"), context(0, 1), verdict::retry, 60'000ms, true},
      {"bad Retry-After: backoff", status("GET", 503, "later"), context(0, 1, 1.0), verdict::retry, 1000ms, false},
      {"retries spent", status("GET", 503), context(3, 3), verdict::spent, 0ms, false},
      {"no retries configured", status("GET", 503), context(0, 0), verdict::spent, 0ms, false},
      {"POST 500 is final", status("POST", 500), context(0, 3), verdict::not_retryable, 0ms, false},
      {"404 is final", status("GET", 404, "1"), context(0, 3), verdict::not_retryable, 0ms, false},
      {"200 is final", status("GET", 200), context(0, 3), verdict::not_retryable, 0ms, false},
      {"Retry-After past the ceiling", status("GET", 503, "1200"), context(0, 3), verdict::past_ceiling, 1'200'000ms, true},
      {"Retry-After within the time left", status("GET", 503, "60"), context(0, 3, 0.5, 60'000ms), verdict::retry, 60'000ms, true},
      {"Retry-After past the time left", status("GET", 503, "61"), context(0, 3, 0.5, 60'000ms), verdict::past_ceiling, 61'000ms, true},
      {"backoff past the time left", status("GET", 503), context(6, 10, 1.0, 10'000ms), verdict::past_ceiling, 60'000ms, false},
      {"GET connection dropped", failed("GET", transport_failure::after_sending), context(0, 1, 0.0), verdict::retry, 0ms, false},
      {"POST connection dropped", failed("POST", transport_failure::after_sending), context(0, 1), verdict::not_retryable, 0ms, false},
      {"POST could not connect", failed("POST", transport_failure::not_sent), context(0, 1, 1.0), verdict::retry, 1000ms, false},
      {"TLS failure is final", failed("GET", transport_failure::permanent), context(0, 5), verdict::not_retryable, 0ms, false},
  };
  for (const auto& r : rows) {
    const auto d = decide_retry(r.attempt, r.context);
    EXPECT_EQ(d.what, r.what) << r.name;
    if (r.what == verdict::retry || r.what == verdict::past_ceiling) {
      EXPECT_EQ(d.pause, r.pause) << r.name;
      EXPECT_EQ(d.from_retry_after, r.from_retry_after) << r.name;
    }
  }
}

}  // namespace
}  // namespace oauth2_rest::action
