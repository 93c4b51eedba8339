// Error Tolerance of the httpRequest action: which HTTP statuses become a
// message, an error, or a rebound (SPEC section 1, component-behaviour.md 5 and 7.5).
//
// Modes (keys exactly as in component.json):
//   noErrors      every status >= 400 is an error
//   notFoundOnly  404 and 410 produce a message; any other status >= 400 is an error
//   none          every status produces a message
//   manual        a status inside any httpCodesToThrow range is an error, any other
//                 status (even >= 400) produces a message; [] or absent: never an error
//   reboundCodes  a status >= 400 listed in httpCodesToRebound (or any, with "*") is
//                 rebounded; any other status >= 400 is an error; < 400 is a message;
//                 no list (absent, blank, []) rebounds nothing
// decide() is applied to the final status, after the 401 refresh-and-retry.
//
// httpCodesToThrow follows retry-axios statusCodesToRetry: a JSON array of
// inclusive [min,max] pairs, e.g. [[400,403],[405,599]]; single codes are
// written [404,404]. The UI's text field delivers it as a string holding that
// JSON, which is accepted too. Pair members may be numbers or numeric strings.
//
// Errors have code errc::invalid_argument and a message naming the bad value.
#pragma once

#include "util/result.hpp"

#include <boost/json/fwd.hpp>

#include <string_view>
#include <vector>

namespace oauth2_rest::action {

enum class tolerance { no_errors, not_found_only, none, manual, rebound_codes };

// "noErrors", "notFoundOnly", "none", "manual", "reboundCodes" (exact case;
// surrounding whitespace ignored). Empty -> no_errors. Anything else:
// "errorTolerance 'x' is not one of noErrors, notFoundOnly, none, manual, reboundCodes".
result<tolerance> parse_tolerance(std::string_view key);

// The component.json key of a mode (for logs and messages).
std::string_view tolerance_key(tolerance mode) noexcept;

struct code_range {
  int min;
  int max;
};  // inclusive

// httpCodesToThrow: nullptr, JSON null, or a blank string -> {} (never an error).
// Errors:
//   "httpCodesToThrow must be an array of [min,max] pairs, got <value>"
//   "httpCodesToThrow: <element> is not a [min,max] pair (write a single code as [404,404])"
//   "httpCodesToThrow: [600,700] is not a valid range (codes must be 100-599 and min <= max)"
result<std::vector<code_range>> parse_code_ranges(const boost::json::value* value);

struct rebound_codes {
  bool all = false;
  std::vector<int> codes;
};

// httpCodesToRebound: "*" -> all; "404, 401" -> {404, 401} (whitespace and
// empty items ignored; a "*" item anywhere means all). A JSON number or an
// array of numbers (or numeric strings) is accepted too. Codes must be 100-599.
// Absent, null, blank or [] -> no codes: nothing is rebounded, as in the reference component
// (its input is optional in practice; failing every message for it would be harsher than it is).
// Errors:
//   "httpCodesToRebound: 'abc' is not an HTTP status code"
//   "httpCodesToRebound must be a comma-separated list of status codes or '*', got <value>"
result<rebound_codes> parse_rebound_codes(const boost::json::value* value);

enum class outcome { emit, error, rebound };

// What to do with a response of `status` under `mode`. `ranges` is only read
// in manual mode and `rebound` only in rebound_codes mode.
outcome decide(tolerance mode, unsigned status, const std::vector<code_range>& ranges,
               const rebound_codes& rebound);

}  // namespace oauth2_rest::action
