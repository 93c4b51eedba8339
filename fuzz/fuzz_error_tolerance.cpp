// libFuzzer target: the Error Tolerance fields, action::parse_code_ranges (httpCodesToThrow) and
// action::parse_rebound_codes (httpCodesToRebound), given the input both as JSON and as the
// text field the UI delivers. Invariants: every accepted code is 100-599 and min <= max;
// decide() never answers "rebound" outside reboundCodes mode, nor with an empty rebound list.
#include "action/error_tolerance.hpp"
#include "fuzz_support.hpp"

#include <boost/json/value.hpp>

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

namespace {

void check_value(const boost::json::value& v) {
  auto ranges = action::parse_code_ranges(&v);
  if (ranges) {
    for (const auto& r : *ranges) fuzz_check(r.min >= 100 && r.min <= r.max && r.max <= 599, "bad range accepted");
  }
  auto rebound = action::parse_rebound_codes(&v);
  if (rebound) {
    for (int c : rebound->codes) fuzz_check(c >= 100 && c <= 599, "bad rebound code accepted");
    // An empty list is accepted and rebounds nothing (as the reference runtime); see below.
  }
  const std::vector<action::code_range> no_ranges;
  const action::rebound_codes no_rebound;
  for (unsigned status : {100u, 200u, 302u, 400u, 401u, 404u, 410u, 429u, 500u, 599u}) {
    auto manual = action::decide(action::tolerance::manual, status, ranges ? *ranges : no_ranges, no_rebound);
    fuzz_check(manual != action::outcome::rebound, "manual mode rebounded");
    auto reb = action::decide(action::tolerance::rebound_codes, status, no_ranges,
                              rebound ? *rebound : no_rebound);
    if (status < 400) fuzz_check(reb == action::outcome::emit, "status < 400 not emitted");
    if (rebound && !rebound->all && rebound->codes.empty())
      fuzz_check(reb != action::outcome::rebound, "an empty rebound list rebounded");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_view(data, size);
  boost::json::value parsed;
  if (fuzz::try_parse_json(text, parsed)) check_value(parsed);
  check_value(boost::json::value(boost::json::string(text)));
  (void)action::parse_tolerance(text);
  return 0;
}
