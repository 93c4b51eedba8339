// Replacing secrets in text the action quotes from a server (header-only, internal).
//
// API error texts and rebound reasons quote the start of the response body, and gateways echo
// request headers ("invalid header Authorization: Bearer eyJ..."). Every occurrence of a secret
// is replaced by [REDACTED] before the text leaves the action (SPEC section 3).
//
// Redaction comes before the cut: the excerpt is the first `limit` bytes of the body *after*
// redaction, so a secret that starts before the limit and runs past it is replaced whole, never
// quoted in part. A marker that straddles the limit is kept whole (the excerpt may then end up to
// 9 bytes past the limit: better than a dangling "[REDAC"). Occurrences that overlap (one secret
// inside or across another) are merged into one marker, so no fragment of either survives.
#pragma once

#include "util/utf8.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::action::detail {

inline constexpr std::string_view redaction_marker = "[REDACTED]";

// `secrets` may hold duplicates; empty strings are ignored (an empty secret is no secret, and
// would match everywhere).
class redactor {
 public:
  explicit redactor(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {
    std::erase_if(secrets_, [](const std::string& s) { return s.empty(); });
    std::sort(secrets_.begin(), secrets_.end());
    secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
    for (const auto& s : secrets_) longest_ = std::max(longest_, s.size());
  }

  // The whole text, every secret replaced.
  std::string redact(std::string_view text) const { return excerpt(text, std::string::npos, false); }

  // The first `limit` bytes of the redacted text, cut on a UTF-8 character boundary (the text
  // itself may be any bytes; callers repair it with to_valid_utf8 afterwards, as before).
  std::string excerpt(std::string_view text, std::size_t limit) const { return excerpt(text, limit, true); }

 private:
  std::string excerpt(std::string_view text, std::size_t limit, bool cut_on_character) const {
    std::string out;
    out.reserve(std::min(text.size(), limit) + redaction_marker.size());
    // `limit` counts output bytes (markers included); npos means the whole text.
    std::size_t i = 0;
    while (i < text.size() && out.size() < limit) {
      const std::size_t room = limit - out.size();
      // Only a secret that starts within `room` bytes matters; the search window also holds
      // the rest of the longest secret that could start there, so no match is missed.
      const std::size_t start = first_match(text, i, room);
      if (start == std::string_view::npos) {
        // utf8_prefix sees what follows the cut, so it can tell a character cut in half.
        out += cut_on_character ? utf8_prefix(text.substr(i), room) : text.substr(i, room);
        break;
      }
      out += text.substr(i, start - i);
      out += redaction_marker;
      i = covered_until(text, start);
    }
    return out;
  }

  // The earliest position in [from, from + room) where some secret starts, or npos.
  std::size_t first_match(std::string_view text, std::size_t from, std::size_t room) const {
    if (secrets_.empty()) return std::string_view::npos;
    std::size_t window = text.size() - from;
    if (room < window) window = std::min(window, room + longest_ - 1);  // room may be npos: no overflow
    const std::string_view hay = text.substr(from, window);
    std::size_t best = std::string_view::npos;
    for (const auto& s : secrets_) {
      const auto p = hay.find(s);
      if (p != std::string_view::npos && p < room) best = std::min(best, p);
    }
    return best == std::string_view::npos ? best : from + best;
  }

  // Where the run of (possibly overlapping) occurrences that starts at `start` ends.
  std::size_t covered_until(std::string_view text, std::size_t start) const {
    std::size_t end = start;
    for (const auto& s : secrets_)
      if (text.substr(start).starts_with(s)) end = std::max(end, start + s.size());
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& s : secrets_) {
        // An occurrence beginning inside [start, end) that reaches past end extends the run.
        const std::string_view hay = text.substr(start, end - start + s.size() - 1);
        for (auto p = hay.find(s); p != std::string_view::npos; p = hay.find(s, p + 1)) {
          if (start + p >= end) break;
          if (start + p + s.size() > end) {
            end = start + p + s.size();
            grew = true;
          }
        }
      }
    }
    return end;
  }

  std::vector<std::string> secrets_;
  std::size_t longest_ = 0;
};

}  // namespace oauth2_rest::action::detail
