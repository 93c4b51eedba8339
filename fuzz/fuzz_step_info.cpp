// libFuzzer target: sail::parse_step_info, the step's JSON from the platform API.
// Invariant: what it returns serializes to JSON that parses back to the same values.
#include "fuzz_support.hpp"
#include "sail/step_info.hpp"

using namespace oauth2_rest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto info = sail::parse_step_info(fuzz::as_view(data, size));
  if (!info) {
    fuzz::fuzz_check(!info.error().message.empty(), "failure without a message");
    return 0;
  }
  // The step comes from the platform (Node), which never writes numbers beyond a double
  // (JSON.stringify gives null): values holding them are Boost.JSON's limit, not ours.
  if (fuzz::has_non_finite(info->config) || fuzz::has_non_finite(info->snapshot) ||
      fuzz::has_non_finite(info->variables))
    return 0;
  fuzz::check_json_round_trip(info->config, "step config");
  fuzz::check_json_round_trip(info->snapshot, "step snapshot");
  fuzz::check_json_round_trip(info->variables, "step variables");
  return 0;
}
