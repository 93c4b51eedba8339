// Helpers shared by the libFuzzer targets in fuzz/: splitting one input into fields, and the
// cheap invariant checks the targets make (valid UTF-8, JSON that parses back to itself).
// A broken invariant calls fuzz_fail(), which aborts so libFuzzer records the input as a crash.
#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace oauth2_rest::fuzz {

[[noreturn]] inline void fuzz_fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

inline void fuzz_check(bool ok, const char* what) {
  if (!ok) fuzz_fail(what);
}

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The text up to the first '\n' and the rest after it; without a '\n' the first part is empty.
inline std::pair<std::string_view, std::string_view> split_line(std::string_view text) {
  auto nl = text.find('\n');
  if (nl == std::string_view::npos) return {{}, text};
  return {text.substr(0, nl), text.substr(nl + 1)};
}

// Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
inline bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const auto n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) { ++i; continue; }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    i += len;
  }
  return true;
}

// Equal JSON values, doubles within a relative 1e-9: Boost.JSON 1.81 does not parse every double
// back to the exact bits it printed (its correctly rounded mode came in 1.83), which is not ours.
inline bool json_close(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_number() && b.is_number() && (a.is_double() || b.is_double())) {
    const double x = a.to_number<double>(), y = b.to_number<double>();
    if (x == y) return true;
    const double scale = std::max(std::abs(x), std::abs(y));
    return std::abs(x - y) <= scale * 1e-9;
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!json_close(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const auto* other = y.if_contains(kv.key());
      if (!other || !json_close(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

// True when `v` holds a double that is not finite (1e999 parses to infinity in Boost.JSON 1.81,
// which then prints "Infinity", not JSON).
inline bool has_non_finite(const boost::json::value& v) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (v.is_array()) {
    for (const auto& e : v.get_array())
      if (has_non_finite(e)) return true;
  }
  if (v.is_object()) {
    for (const auto& kv : v.get_object())
      if (has_non_finite(kv.value())) return true;
  }
  return false;
}

// The JSON text of `v` is valid UTF-8 and parses back to an equal value.
inline void check_json_round_trip(const boost::json::value& v, const char* what) {
  const std::string text = boost::json::serialize(v);
  if (!is_valid_utf8(text)) {
    std::fprintf(stderr, "not valid UTF-8: %s\n", text.c_str());
    fuzz_fail(what);
  }
  boost::system::error_code ec;
  boost::json::value back = boost::json::parse(text, ec);
  if (ec) {
    std::fprintf(stderr, "does not parse back (%s): %s\n", ec.message().c_str(), text.c_str());
    fuzz_fail(what);
  }
  if (!json_close(back, v)) {
    std::fprintf(stderr, "before: %s\nafter:  %s\n", text.c_str(), boost::json::serialize(back).c_str());
    fuzz_fail(what);
  }
}

// Parses `text` as JSON without throwing; null value and false when it is not JSON.
inline bool try_parse_json(std::string_view text, boost::json::value& out) {
  boost::system::error_code ec;
  out = boost::json::parse(text, ec);
  return !ec;
}

}  // namespace oauth2_rest::fuzz
