// Joining the request Url of the httpRequest action to the credential's Base URL.
//
// Rules (SPEC section 1, component-behaviour.md 7.3, commons NoAuthRestClient):
// - Leading and trailing whitespace of both inputs is ignored.
// - A url that starts with "<scheme>://" is absolute. http and https (any
//   case) are returned as they are, whatever baseUrl says; another scheme
//   (ftp://, file://) is an error. Only "://" marks a scheme, so
//   "localhost:8080/x" is relative.
// - A relative url is appended to baseUrl with exactly one '/' between them:
//   trailing slashes of the base and leading slashes of the url collapse to
//   one ("https://h/api/" + "/v1/x?q=1" -> "https://h/api/v1/x?q=1").
//   Consequently "//host/x" is a path under the base, not another host.
// - Decision: a url that starts with '?' or '#' (query or fragment only) is
//   appended to the base exactly as configured, with no '/' inserted:
//   "https://h/api" + "?a=1" -> "https://h/api?a=1",
//   "https://h/api/" + "?a=1" -> "https://h/api/?a=1".
// - Nothing is re-encoded or normalised: "%2F" stays "%2F", raw UTF-8 such
//   as "成都" stays those bytes (the HTTP client sends them as given).
// - baseUrl is a plain prefix: it must be an absolute http(s) URL with a
//   host; a query inside baseUrl is not moved behind the joined path.
//
// Errors (failure.code is errc::invalid_argument, failure.message says what):
//   "url is required"                                   (empty or blank url)
//   "url '<url>' is relative and no baseUrl is configured"
//   "baseUrl '<base>' is not an absolute http(s) URL"   (only checked when needed)
//   "url '<url>' must use http or https"
//   "url '<url>' has no host"                           ("https://", "https:///x")
// URLs quoted in messages have their userinfo ("user:password@") removed.
#pragma once

#include "util/result.hpp"

#include <string>
#include <string_view>

namespace oauth2_rest::action {

result<std::string> join_url(std::string_view base_url, std::string_view url);

// True when `url` (already trimmed) starts with http:// or https:// (any case)
// followed by a non-empty host.
bool is_absolute_http_url(std::string_view url) noexcept;

// `url` with any "user:password@" userinfo removed from its authority, for
// error messages and logs; other text is returned unchanged.
std::string strip_userinfo(std::string_view url);

}  // namespace oauth2_rest::action
