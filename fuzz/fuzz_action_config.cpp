// libFuzzer target: action::parse_action_config on a JSON object (the step's merged cfg).
// Invariants: accepted values are in range (refreshOnStatus: sorted, unique, 400..599, 401 kept);
// an error message never quotes the password.
#include "action/action_config.hpp"
#include "fuzz_support.hpp"

#include <algorithm>

using namespace oauth2_rest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::json::value v;
  if (!fuzz::try_parse_json(fuzz::as_view(data, size), v) || !v.is_object()) return 0;
  const auto& cfg = v.get_object();
  auto config = action::parse_action_config(cfg);
  if (!config) {
    // The message must not quote the password: give it a marker value no other field holds
    // (any non-empty string is a valid password, so the outcome is the same) and look for it.
    const auto* pw = cfg.if_contains("password");
    if (pw && pw->is_string() && !pw->get_string().empty()) {
      constexpr std::string_view marker = "\x01password-marker\x02";
      boost::json::object marked = cfg;
      marked["password"] = marker;
      auto again = action::parse_action_config(marked);
      fuzz::fuzz_check(!again.has_value(), "the password's value changed the outcome");
      fuzz::fuzz_check(again.error().message.find(marker) == std::string::npos,
                       "config error message quotes the password");
    }
    return 0;
  }
  fuzz::fuzz_check(config->request_timeout.count() > 0, "requestTimeout <= 0");
  fuzz::fuzz_check(config->request_timeout.count() <= 1'140'000, "requestTimeout above 1140 s");
  fuzz::fuzz_check(config->max_response_size > 0, "maxResponseSize 0");
  fuzz::fuzz_check(!config->token_url.empty(), "tokenUrl empty but accepted");
  const auto& codes = config->refresh_on_status;
  fuzz::fuzz_check(std::is_sorted(codes.begin(), codes.end()) &&
                       std::adjacent_find(codes.begin(), codes.end()) == codes.end(),
                   "refreshOnStatus not sorted and unique");
  fuzz::fuzz_check(std::find(codes.begin(), codes.end(), 401u) != codes.end(), "refreshOnStatus lost 401");
  for (unsigned code : codes) fuzz::fuzz_check(code >= 400 && code <= 599, "refreshOnStatus code out of 400..599");
  return 0;
}
