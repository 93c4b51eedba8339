// Small text helpers shared by the httpRequest action's pure modules (header-only, internal).
//
// Kept in one place so the trimming rules, the way a JSON value is quoted in
// an error message, and the way a JSON number becomes text are the same in
// every module of lib/action.
#pragma once

#include "util/json_write.hpp"
#include "util/result.hpp"

#include <boost/json/value.hpp>
#include <boost/system/errc.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace oauth2_rest::action::detail {

inline bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

inline char to_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline char to_upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = to_lower(c);
  return out;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

inline bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Every input or configuration problem of the action is an invalid argument:
// callers branch on "the user must fix something", the message says what.
inline failure invalid(std::string message) {
  return failure{boost::system::errc::make_error_code(boost::system::errc::invalid_argument),
                 std::move(message)};
}

// Cuts text for an error message at `limit` bytes without splitting a UTF-8
// sequence, so messages stay valid UTF-8 and a huge value cannot bloat them.
inline std::string clip(std::string_view s, std::size_t limit = 100) {
  if (s.size() <= limit) return std::string(s);
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  std::string out(s.substr(0, end));
  out += "...";
  return out;
}

// A JSON number as JavaScript's String(number) writes it, which is how the
// reference component turns one into a header or form value: "2.5", "1e+21",
// "0.000001", 9007199254740993 as "9007199254740992" (util/json_write.hpp).
inline std::string number_text(const boost::json::value& v) {
  if (v.is_double() && !std::isfinite(v.get_double()))  // never read, only computed
    return std::isnan(v.get_double()) ? "NaN" : v.get_double() > 0 ? "Infinity" : "-Infinity";
  std::string out;
  append_json(out, v);
  return out;
}

// Compact JSON with numbers as number_text writes them. Stops adding once
// `out` is longer than `limit`: every level adds a character, so the
// recursion depth is bounded by the limit, not by the input.
inline void append_description(const boost::json::value& v, std::string& out, std::size_t limit) {
  if (out.size() > limit) return;
  switch (v.kind()) {
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      out += number_text(v);
      return;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (out.size() > limit) break;
        if (!first) out += ',';
        first = false;
        append_description(e, out, limit);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& e : v.get_object()) {
        if (out.size() > limit) break;
        if (!first) out += ',';
        first = false;
        append_json_string(out, e.key());
        out += ':';
        append_description(e.value(), out, limit);
      }
      out += '}';
      return;
    }
    default:  // string, bool, null
      append_json(out, v);
      return;
  }
}

// A JSON value as it appears in an error message: strings in single quotes
// ('abc'), everything else as compact JSON (123, [600,700], true).
inline std::string describe(const boost::json::value& v, std::size_t limit = 100) {
  if (v.is_string()) return "'" + clip(std::string_view(v.get_string()), limit) + "'";
  std::string out;
  append_description(v, out, limit);
  return clip(out, limit);
}

// The integer a JSON value holds: a JSON integer, a double with no fraction,
// or a string of decimal digits (optionally signed, surrounding spaces allowed).
// False when it is anything else or does not fit in int64.
inline bool integer_of(const boost::json::value& v, std::int64_t& out) noexcept {
  if (v.is_int64()) { out = v.get_int64(); return true; }
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) return false;
    out = static_cast<std::int64_t>(v.get_uint64());
    return true;
  }
  if (v.is_double()) {
    double d = v.get_double();
    if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) > 9.0e15) return false;
    out = static_cast<std::int64_t>(d);
    return true;
  }
  if (v.is_string()) {
    std::string_view s = trim(v.get_string());
    if (!s.empty() && s.front() == '+') {
      s.remove_prefix(1);
      if (!s.empty() && s.front() == '-') return false;  // "+-5"
    }
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
  }
  return false;
}

}  // namespace oauth2_rest::action::detail
