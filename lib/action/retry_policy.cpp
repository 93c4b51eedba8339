// The API call's retry rules (SPEC 8): which answers are retried, and the pause before each retry.
#include "action/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace oauth2_rest::action {
namespace {

using namespace std::chrono;

bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" || method == "DELETE";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// A reader over the date text: each step consumes what it matched or fails.
struct cursor {
  std::string_view rest;

  bool literal(std::string_view s) {
    if (rest.substr(0, s.size()) != s) return false;
    rest.remove_prefix(s.size());
    return true;
  }
  // Exactly `count` digits.
  bool digits(std::size_t count, int& out) {
    if (rest.size() < count) return false;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = rest[i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    rest.remove_prefix(count);
    out = value;
    return true;
  }
  // A run of letters (a day or month name).
  std::string_view word() {
    std::size_t n = 0;
    while (n < rest.size() && ((rest[n] >= 'a' && rest[n] <= 'z') || (rest[n] >= 'A' && rest[n] <= 'Z'))) ++n;
    auto w = rest.substr(0, n);
    rest.remove_prefix(n);
    return w;
  }
  bool month(int& out) {
    static constexpr std::array<std::string_view, 12> names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto w = word();
    for (std::size_t i = 0; i < names.size(); ++i)
      if (iequals(w, names[i])) {
        out = static_cast<int>(i) + 1;
        return true;
      }
    return false;
  }
  bool day_name(bool long_form) {
    static constexpr std::array<std::string_view, 7> short_names{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static constexpr std::array<std::string_view, 7> long_names{"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                                "Friday", "Saturday", "Sunday"};
    const auto w = word();
    const auto& names = long_form ? long_names : short_names;
    return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return iequals(w, n); });
  }
  // HH:MM:SS
  bool time_of_day(int& h, int& m, int& s) {
    return digits(2, h) && literal(":") && digits(2, m) && literal(":") && digits(2, s) && h <= 23 && m <= 59 &&
           s <= 60;  // 60: a leap second
  }
};

struct date_parts {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

// In seconds, not system_clock's nanoseconds: a date in the year 5994 would overflow those.
std::optional<sys_seconds> to_time_point(const date_parts& d) {
  const year_month_day ymd{year{d.year}, std::chrono::month{static_cast<unsigned>(d.month)},
                           std::chrono::day{static_cast<unsigned>(d.day)}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd} + hours{d.hour} + minutes{d.minute} + seconds{d.second};
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<sys_seconds> imf_fixdate(std::string_view text) {
  cursor c{text};
  date_parts d;
  if (!(c.day_name(false) && c.literal(", ") && c.digits(2, d.day) && c.literal(" ") && c.month(d.month) &&
        c.literal(" ") && c.digits(4, d.year) && c.literal(" ") && c.time_of_day(d.hour, d.minute, d.second) &&
        c.literal(" GMT") && c.rest.empty()))
    return std::nullopt;
  return to_time_point(d);
}

// "Sunday, 06-Nov-94 08:49:37 GMT". A two-digit year is taken as 19xx from 70 on, else 20xx
// (RFC 9110 asks for "no more than 50 years in the future"; both agree until 2020+50).
std::optional<sys_seconds> rfc850_date(std::string_view text) {
  cursor c{text};
  date_parts d;
  if (!(c.day_name(true) && c.literal(", ") && c.digits(2, d.day) && c.literal("-") && c.month(d.month) &&
        c.literal("-") && c.digits(2, d.year) && c.literal(" ") && c.time_of_day(d.hour, d.minute, d.second) &&
        c.literal(" GMT") && c.rest.empty()))
    return std::nullopt;
  d.year += d.year >= 70 ? 1900 : 2000;
  return to_time_point(d);
}

// "Sun Nov  6 08:49:37 1994" (the day is space-padded)
std::optional<sys_seconds> asctime_date(std::string_view text) {
  cursor c{text};
  date_parts d;
  if (!(c.day_name(false) && c.literal(" ") && c.month(d.month) && c.literal(" "))) return std::nullopt;
  if (c.literal(" ")) {
    if (!c.digits(1, d.day)) return std::nullopt;
  } else if (!c.digits(2, d.day)) {
    return std::nullopt;
  }
  if (!(c.literal(" ") && c.time_of_day(d.hour, d.minute, d.second) && c.literal(" ") && c.digits(4, d.year) &&
        c.rest.empty()))
    return std::nullopt;
  return to_time_point(d);
}

}  // namespace

bool is_retried_status(std::string_view method, unsigned status) {
  if (status == 429 || status == 503) return true;  // the server says it did not act
  if (!is_idempotent(method)) return false;
  return status == 408 || status == 500 || status == 502 || status == 504;
}

bool is_retried_failure(std::string_view method, transport_failure failure) {
  switch (failure) {
    case transport_failure::not_sent: return true;
    case transport_failure::after_sending: return is_idempotent(method);
    case transport_failure::permanent: return false;
  }
  return false;
}

std::optional<milliseconds> parse_retry_after(std::string_view value, system_clock::time_point now) {
  constexpr milliseconds year = duration_cast<milliseconds>(seconds(365LL * 24 * 3600));
  const auto text = trim(value);
  if (text.empty()) return std::nullopt;
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t s = 0;
    for (char c : text) {
      s = s * 10 + (c - '0');
      if (s > duration_cast<seconds>(year).count()) return year;
    }
    return duration_cast<milliseconds>(seconds(s));
  }
  auto at = imf_fixdate(text);
  if (!at) at = rfc850_date(text);
  if (!at) at = asctime_date(text);
  if (!at) return std::nullopt;
  // Milliseconds since 1970 of years 0-9999 fit in 64 bits many times over.
  const auto wait = duration_cast<milliseconds>(at->time_since_epoch()) - duration_cast<milliseconds>(now.time_since_epoch());
  return std::clamp(wait, milliseconds(0), year);
}

milliseconds backoff_pause(int retry, double fraction) {
  if (!(fraction >= 0)) fraction = 0;  // NaN too
  if (fraction > 1) fraction = 1;
  // 1 s doubled per retry, capped: 2^6 s already passes 60 s, so the shift stays small.
  const int doublings = std::clamp(retry - 1, 0, 6);
  const auto window = std::min(backoff_cap, backoff_start * (std::int64_t{1} << doublings));
  return milliseconds(std::llround(static_cast<double>(window.count()) * fraction));
}

retry_decision decide_retry(const attempt_result& attempt, const retry_context& context) {
  retry_decision d;
  const bool retryable = attempt.status ? is_retried_status(attempt.method, *attempt.status)
                                        : is_retried_failure(attempt.method, attempt.failure);
  if (!retryable) {
    d.what = retry_decision::verdict::not_retryable;
    return d;
  }
  if (context.retries_done >= context.retries_allowed) {
    d.what = retry_decision::verdict::spent;
    return d;
  }
  std::optional<milliseconds> asked;
  if (attempt.status && attempt.retry_after) asked = parse_retry_after(*attempt.retry_after, context.now);
  if (asked) {
    d.pause = *asked;
    d.from_retry_after = true;
  } else {
    d.pause = backoff_pause(context.retries_done + 1, context.random_fraction);
  }
  d.what = d.pause > context.time_left ? retry_decision::verdict::past_ceiling : retry_decision::verdict::retry;
  return d;
}

}  // namespace oauth2_rest::action
