// The httpRequest action's configuration, read from the step's merged cfg
// (credential keys plus the action's fields; SPEC section 1). Pure: no I/O.
//
// Credential keys: tokenUrl (required, absolute http(s) URL), username
// (required, the client id), password (the client secret: required unless
// clientAuthentication is private_key_jwt or tls_client_auth), baseUrl
// (optional, absolute http(s) URL when set), scopes, additionalProperties,
// clientAuthentication (kept raw: the OAuth2 module parses them), tokens (a
// JSON string, or an object which is stored as its JSON text), refreshOnStatus
// (CSV of API status codes 400..599 that mean "token no longer valid", e.g.
// "401,419"; a JSON number is taken as one code; empty or absent: 401. 401 is
// always in the set: the list widens the RFC 6750 rule, never removes it);
// privateKey, keyId, clientCertificate, clientCertificateKey (SPEC section 7;
// kept as they are, oauth2/client_keys.hpp loads them). private_key_jwt needs
// privateKey and tls_client_auth needs clientCertificate: "privateKey is
// required for private_key_jwt".
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
//   "errorTolerance 'x' is not one of noErrors, notFoundOnly, none, manual, reboundCodes",
//   "refreshOnStatus 'abc' is not an HTTP status code (expected a comma-separated list such as 401,419)".
// No message ever contains the value of username, password, tokens, privateKey
// or clientCertificateKey.
#pragma once

#include "action/error_tolerance.hpp"
#include "util/result.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::action {

enum class pagination_mode { none, link_header, body_pointer };

struct action_config {
  std::string token_url, client_id, client_secret, base_url, tokens;
  std::string scopes;                 // raw CSV as configured
  std::string additional_properties;  // raw CSV as configured
  std::string client_authentication;  // raw ("basic"/"body"/"private_key_jwt"/...)
  // SPEC section 7, raw PEM text as configured (secrets, except the certificate and key id).
  std::string private_key, key_id, client_certificate, client_certificate_key;
  tolerance error_tolerance = tolerance::no_errors;
  std::chrono::milliseconds request_timeout{60'000};  // SPEC: 60 s default
  std::size_t max_response_size = 20'971'520;         // SPEC: 20 MiB default
  std::vector<unsigned> refresh_on_status{401};       // sorted, unique, always holds 401
  // SPEC 8, retries and pagination (parsed by read_paging in action_config.cpp):
  //   retries          whole number 0..10, default 0: "retries '11' must be a whole number from 0 to 10"
  //   pagination       none (default), linkHeader, bodyPointer
  //   nextPagePointer  RFC 6901 pointer, trimmed; required (and checked) only for bodyPointer
  //   maxPages         whole number 1..1000, default 100
  int retries = 0;
  pagination_mode pagination = pagination_mode::none;
  std::string next_page_pointer;
  int max_pages = 100;
  bool response_as_attachment = false;  // responseAs: "auto" (default) or "attachment" (SPEC 9)
};

// The cfg keys parse_action_config reads, one per line (other fields add theirs here):
// spec/component/component_json_test checks that component.json offers no field the
// component ignores, and spec/action/action_config_test that each key listed is read.
inline constexpr std::string_view config_keys[] = {
    "tokenUrl",
    "username",
    "password",
    "baseUrl",
    "scopes",
    "additionalProperties",
    "clientAuthentication",
    "privateKey",
    "keyId",
    "clientCertificate",
    "clientCertificateKey",
    "tokens",
    "refreshOnStatus",
    "errorTolerance",
    "requestTimeout",
    "maxResponseSize",
    "retries",
    "pagination",
    "nextPagePointer",
    "maxPages",
    "responseAs",
};

// The platform's ceiling for one message (19 minutes), and so for requestTimeout.
inline constexpr double max_request_timeout_seconds = 1140;
// The most pages maxPages may allow (SPEC 8).
inline constexpr int max_pages_limit = 1000;

result<action_config> parse_action_config(const boost::json::object& cfg);

}  // namespace oauth2_rest::action
