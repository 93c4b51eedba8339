// The httpRequest action's configuration, read from the step's merged cfg
// (credential keys plus the action's fields; SPEC section 1). Pure: no I/O.
//
// Credential keys: tokenUrl (required, absolute http(s) URL), username
// (required, the client id), password (required, the client secret), baseUrl
// (optional, absolute http(s) URL when set), scopes, additionalProperties,
// clientAuthentication (kept raw: the OAuth2 module parses them), tokens (a
// JSON string, or an object which is stored as its JSON text).
// Action fields: errorTolerance (see error_tolerance.hpp), requestTimeout
// (seconds, default 60, > 0 and <= 1140, the platform's 19-minute ceiling;
// fractions allowed, rounded to the millisecond), maxResponseSize (bytes, a
// positive integer, default 20971520), responseAs ("auto", the default, or "attachment":
// "responseAs 'x' is not one of auto, attachment").
//
// Text fields reach cfg as strings, so numbers written as strings ("60",
// "2.5") are accepted as well as JSON numbers; an empty string, null or an
// absent key means the default. tokenUrl and baseUrl are trimmed; username and
// password are kept byte for byte (a secret may contain spaces), and are
// "required" when empty (username also when blank).
//
// Errors (failure.code errc::invalid_argument) name the field, e.g.
//   "tokenUrl is required", "password must be a string",
//   "requestTimeout 'abc' is not a valid number of seconds",
//   "requestTimeout '0' must be greater than 0 and at most 1140 seconds (19 minutes)",
//   "maxResponseSize '1.5' is not a positive integer number of bytes",
//   "errorTolerance 'x' is not one of noErrors, notFoundOnly, none, manual, reboundCodes".
// No message ever contains the value of username, password or tokens.
#pragma once

#include "action/error_tolerance.hpp"
#include "util/result.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace oauth2_rest::action {

struct action_config {
  std::string token_url, client_id, client_secret, base_url, tokens;
  std::string scopes;                 // raw CSV as configured
  std::string additional_properties;  // raw CSV as configured
  std::string client_authentication;  // raw ("basic"/"body"/"")
  tolerance error_tolerance = tolerance::no_errors;
  std::chrono::milliseconds request_timeout{60'000};  // SPEC: 60 s default
  std::size_t max_response_size = 20'971'520;         // SPEC: 20 MiB default
  bool response_as_attachment = false;  // responseAs: "auto" (default) or "attachment" (SPEC 9)
};

// The platform's ceiling for one message (19 minutes), and so for requestTimeout.
inline constexpr double max_request_timeout_seconds = 1140;

result<action_config> parse_action_config(const boost::json::object& cfg);

}  // namespace oauth2_rest::action
