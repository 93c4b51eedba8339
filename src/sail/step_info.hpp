// The step's configuration, as returned by
// GET {API_URI}/v1/tasks/{FLOW_ID}/steps/{STEP_ID} (protocol doc section 9).
#pragma once

#include "util/result.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace oauth2_rest::sail {

struct step_info {
  boost::json::object config;     // cfg: the step's fields merged with the credential's keys
  boost::json::object snapshot;   // missing or null -> {}
  bool is_passthrough = false;    // only a JSON true counts (Node: `=== true`)
  std::string id, comp_id, function;  // informational; missing or not a string -> ""
  boost::json::object variables;  // flow variables; missing or null -> {}
};

// Errors name what is wrong, never a value (config holds secrets):
// "step info is not valid JSON: <parser message>", "step info is not a JSON
// object", "step info has no config object", "step info field \"snapshot\" is
// not an object", ... Node would run with an empty cfg; our component cannot
// do anything useful without its credentials, so a missing config is an error.
result<step_info> parse_step_info(std::string_view json_body);

}  // namespace oauth2_rest::sail
