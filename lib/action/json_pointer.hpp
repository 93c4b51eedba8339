// JSON Pointer (RFC 6901), for the httpRequest action's `nextPagePointer` (SPEC section 8).
// Pure: no I/O.
//
// - "" is the whole document; otherwise the pointer is a sequence of "/token", where "~1"
//   stands for "/" and "~0" for "~" (decoded in that order, so "~01" is "~1"). A "~" followed
//   by anything else, or a pointer that does not start with "/", is an error.
// - Against an object a token is a member name, compared byte for byte. Against an array it
//   is an index: "0" or a digit string without a leading zero, within the array; "-" (the
//   element after the last) and anything else select nothing. Against a string, number,
//   boolean or null nothing is selected.
// - The pointer is parsed once (at configuration time) and then applied to every page.
#pragma once

#include "util/result.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::action {

struct json_pointer {
  std::vector<std::string> tokens;  // decoded reference tokens, in order
};

// Errors (errc::invalid_argument) say what is wrong without quoting the pointer:
//   "must be empty or start with '/'", "has '~' not followed by 0 or 1 (at byte 5)".
result<json_pointer> parse_json_pointer(std::string_view text);

// The value the pointer selects in `document`, or nullptr when it selects nothing.
const boost::json::value* find_pointer(const boost::json::value& document, const json_pointer& pointer);

}  // namespace oauth2_rest::action
