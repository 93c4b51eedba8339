// Reading an API's WWW-Authenticate challenge (RFC 6750 section 3) to decide
// whether a refused request deserves a new token.
//
// Pure functions: no I/O, no exceptions.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace oauth2_rest::oauth2 {

// The error code of the Bearer challenge in a WWW-Authenticate value (the
// first error parameter of a Bearer challenge; "" when there is none).
// Understands several challenges in one value (RFC 7235: "Basic realm=\"a\",
// Bearer error=\"invalid_token\""), quoted and unquoted parameter values, and
// is case-insensitive for the scheme and parameter names. Several header lines
// may be passed joined with ", ".
std::string bearer_error(std::string_view www_authenticate);

// Should this answer trigger one token refresh and one retry?
//  - 401 with error="invalid_token" or no error code (also no header at all):
//    true; RFC 6750 3.1 says the client MAY get a new token and retry.
//  - 401 with another error code (invalid_request, insufficient_scope, ...):
//    false, a new token would be refused the same way.
//  - any other status, 403 included: false (insufficient_scope needs another
//    scope, not another token).
bool should_refresh(unsigned status, std::string_view www_authenticate);

// The same with the credential's refreshOnStatus (SPEC 2): `listed` holds the
// statuses that mean "token no longer valid" for this API (some answer 403 or
// 419 for an expired token).
//  - 401: the rule above, whether listed or not (the list widens it).
//  - another listed status: true, unless its Bearer challenge says
//    insufficient_scope (a new token with the same scope would be refused the
//    same way: a 403 insufficient_scope never renews, even when 403 is listed).
//  - a status not listed: false.
// Whether the answer came from the origin that received the token is the
// caller's to check (a redirect target elsewhere never saw it).
bool should_refresh(unsigned status, std::string_view www_authenticate, std::span<const unsigned> listed);

}  // namespace oauth2_rest::oauth2
