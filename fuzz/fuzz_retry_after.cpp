// libFuzzer target: action::parse_retry_after (RFC 9110 Retry-After: delay-seconds or an
// HTTP-date) and decide_retry with it. Invariants: a wait is never negative and never more than a
// year after a fixed "now"; digits alone are always accepted; decide_retry's pause is the
// parsed wait when there is one.
#include "action/retry_policy.hpp"
#include "fuzz_support.hpp"

#include <algorithm>

using namespace oauth2_rest;
using namespace std::chrono;
using oauth2_rest::fuzz::fuzz_check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value = fuzz::as_view(data, size);
  const auto now = sys_days{2026y / January / 1} + 12h;
  const auto wait = action::parse_retry_after(value, now);
  if (wait) {
    fuzz_check(*wait >= milliseconds(0), "a negative wait");
    fuzz_check(*wait <= duration_cast<milliseconds>(hours(24 * 365)), "a wait past a year");
  } else {
    fuzz_check(value.empty() || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }),
               "digits refused");
  }
  action::attempt_result attempt;
  attempt.method = "GET";
  attempt.status = 503;
  attempt.retry_after = value;
  action::retry_context context;
  context.retries_allowed = 1;
  context.now = now;
  context.random_fraction = 0.5;
  const auto decision = action::decide_retry(attempt, context);
  if (wait) {
    fuzz_check(decision.from_retry_after && decision.pause == *wait, "the Retry-After wait was not used");
  } else {
    fuzz_check(!decision.from_retry_after && decision.pause == milliseconds(500), "backoff not used");
  }
  return 0;
}
