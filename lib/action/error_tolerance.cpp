// Error Tolerance: parsing the mode and its inputs, and the per-status decision.
#include "action/error_tolerance.hpp"

#include "action/detail/text.hpp"
#include "util/json_read.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <string>

namespace oauth2_rest::action {
namespace {

struct mode_key {
  std::string_view key;
  tolerance mode;
};
constexpr std::array<mode_key, 5> mode_keys{{
    {"noErrors", tolerance::no_errors},
    {"notFoundOnly", tolerance::not_found_only},
    {"none", tolerance::none},
    {"manual", tolerance::manual},
    {"reboundCodes", tolerance::rebound_codes},
}};

constexpr int min_status = 100;
constexpr int max_status = 599;

bool is_status(std::int64_t v) noexcept { return v >= min_status && v <= max_status; }

result<code_range> parse_pair(const boost::json::value& element) {
  const auto* pair = element.if_array();
  std::int64_t lo = 0, hi = 0;
  if (!pair || pair->size() != 2 || !detail::integer_of((*pair)[0], lo) ||
      !detail::integer_of((*pair)[1], hi))
    return detail::invalid("httpCodesToThrow: " + detail::describe(element) +
                           " is not a [min,max] pair (write a single code as [404,404])");
  if (!is_status(lo) || !is_status(hi) || lo > hi)
    return detail::invalid("httpCodesToThrow: " + detail::describe(element) +
                           " is not a valid range (codes must be 100-599 and min <= max)");
  return code_range{static_cast<int>(lo), static_cast<int>(hi)};
}

result<std::vector<code_range>> parse_range_array(const boost::json::value& value) {
  const auto* ranges = value.if_array();
  if (!ranges)
    return detail::invalid("httpCodesToThrow must be an array of [min,max] pairs, got " +
                           detail::describe(value));
  std::vector<code_range> out;
  out.reserve(ranges->size());
  for (const auto& element : *ranges) {
    auto range = parse_pair(element);
    if (!range) return std::move(range).error();
    out.push_back(*range);
  }
  return out;
}

failure bad_rebound_token(std::string_view token) {
  return detail::invalid("httpCodesToRebound: '" + detail::clip(token) +
                         "' is not an HTTP status code");
}

// One item of the list: a code (number or numeric string) or "*".
status add_rebound_item(const boost::json::value& item, rebound_codes& out) {
  if (item.is_string() && detail::trim(item.get_string()) == "*") {
    out.all = true;
    return ok;
  }
  std::int64_t code = 0;
  if (!detail::integer_of(item, code) || !is_status(code)) {
    if (item.is_string()) return bad_rebound_token(detail::trim(item.get_string()));
    return bad_rebound_token(detail::describe(item));
  }
  out.codes.push_back(static_cast<int>(code));
  return ok;
}

}  // namespace

result<tolerance> parse_tolerance(std::string_view key) {
  key = detail::trim(key);
  if (key.empty()) return tolerance::no_errors;
  for (const auto& m : mode_keys)
    if (m.key == key) return m.mode;
  return detail::invalid("errorTolerance '" + detail::clip(key) +
                         "' is not one of noErrors, notFoundOnly, none, manual, reboundCodes");
}

std::string_view tolerance_key(tolerance mode) noexcept {
  for (const auto& m : mode_keys)
    if (m.mode == mode) return m.key;
  return "noErrors";
}

result<std::vector<code_range>> parse_code_ranges(const boost::json::value* value) {
  if (!value || value->is_null()) return std::vector<code_range>{};
  if (const auto* text = value->if_string()) {
    // The UI's text field: the JSON array arrives as a string.
    std::string_view s = detail::trim(*text);
    if (s.empty()) return std::vector<code_range>{};
    boost::system::error_code ec;
    boost::json::value parsed = read_json(s, ec);
    if (ec)
      return detail::invalid("httpCodesToThrow must be an array of [min,max] pairs, got " +
                             detail::describe(*value));
    if (!parsed.is_array())  // "404" or "\"x\"": name what the user typed
      return detail::invalid("httpCodesToThrow must be an array of [min,max] pairs, got " +
                             detail::describe(*value));
    return parse_range_array(parsed);
  }
  return parse_range_array(*value);
}

result<rebound_codes> parse_rebound_codes(const boost::json::value* value) {
  // No list rebounds nothing (the reference component's behaviour): the message is not failed
  // for it, and decide() makes every status >= 400 an error, as for a code that is not listed.
  rebound_codes out;
  if (!value || value->is_null()) return out;
  if (const auto* text = value->if_string()) {
    std::string_view rest = *text;
    while (true) {
      std::size_t comma = rest.find(',');
      std::string_view token = detail::trim(rest.substr(0, comma));
      if (!token.empty()) {
        auto added = add_rebound_item(boost::json::value(token), out);
        if (!added) return std::move(added).error();
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  } else if (const auto* items = value->if_array()) {
    for (const auto& item : *items) {
      auto added = add_rebound_item(item, out);
      if (!added) return std::move(added).error();
    }
  } else if (value->is_number()) {
    auto added = add_rebound_item(*value, out);
    if (!added) return std::move(added).error();
  } else {
    return detail::invalid(
        "httpCodesToRebound must be a comma-separated list of status codes or '*', got " +
        detail::describe(*value));
  }
  if (out.all) out.codes.clear();
  return out;
}

outcome decide(tolerance mode, unsigned status, const std::vector<code_range>& ranges,
               const rebound_codes& rebound) {
  const bool failed = status >= 400;
  switch (mode) {
    case tolerance::none:
      return outcome::emit;
    case tolerance::not_found_only:
      if (status == 404 || status == 410) return outcome::emit;
      return failed ? outcome::error : outcome::emit;
    case tolerance::manual: {
      const bool listed = std::any_of(ranges.begin(), ranges.end(), [&](const code_range& r) {
        return status >= static_cast<unsigned>(r.min) && status <= static_cast<unsigned>(r.max);
      });
      return listed ? outcome::error : outcome::emit;
    }
    case tolerance::rebound_codes: {
      if (!failed) return outcome::emit;
      const bool listed = rebound.all || std::find(rebound.codes.begin(), rebound.codes.end(),
                                                    static_cast<int>(status)) != rebound.codes.end();
      return listed ? outcome::rebound : outcome::error;
    }
    case tolerance::no_errors:
      break;
  }
  return failed ? outcome::error : outcome::emit;
}

}  // namespace oauth2_rest::action
