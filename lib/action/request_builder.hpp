// Building the API request of the httpRequest action from its input message
// (SPEC section 1 "Input metadata", component-behaviour.md 7.3). Pure: no I/O.
//
// Input fields (the message body):
//   url      string, required; joined to baseUrl with join_url (url_join.hpp).
//   method   string, required; GET POST PUT PATCH DELETE HEAD OPTIONS, any case,
//            surrounding whitespace ignored.
//   headers  object of name -> value, optional. Strings are sent as they are
//            (surrounding whitespace trimmed), numbers and booleans as their
//            text ("2", "2.5", "true"), null values skipped.
//            The component owns some headers, so these user headers are dropped
//            whatever their case: Authorization (the OAuth2 token), and
//            Content-Length / Transfer-Encoding (the HTTP client frames the
//            body it is given; a stale user value would corrupt the request).
//            Accept-Encoding is the user's to set (identity, gzip, ...) and kept
//            as it is; without one the action sends "gzip, deflate, br"
//            (http/content_coding.hpp), and a compressed answer is decoded
//            whether it was asked for or not.
//            A name that is not an HTTP token, or a value with CR, LF or another
//            control character (header injection), is an error; the value itself
//            is never quoted in the message (it may be a secret).
//   body     any JSON, optional:
//            - ignored on GET and HEAD;
//            - null or absent: no body;
//            - a string: sent as it is. Decision: no Content-Type is added (the
//              user says what the text is by setting one in headers);
//            - an object when the user's Content-Type is
//              application/x-www-form-urlencoded: a form, "k=v&k2=v2" in object
//              order (strings as they are, numbers and booleans as text, null as
//              empty, objects and arrays as their JSON text), percent-encoded as
//              WHATWG URLSearchParams does (space -> '+');
//            - any other object, array, number or boolean: JSON text, and
//              "Content-Type: application/json" is added unless the user's
//              headers set a Content-Type (the user's value is kept).
//
// Errors (failure.code errc::invalid_argument) name the field and value:
//   "url is required", "url must be a string, got 5", join_url's errors,
//   "method is required", "method must be a string, got 5",
//   "method 'FETCH' is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
//   "headers must be an object", "headers: 'X-A' must be a string, number or boolean, got an array",
//   "headers: 'X A' is not a valid header name",
//   "headers: 'X-A' has a control character (such as a line break) in its value".
#pragma once

#include "util/result.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oauth2_rest::action {

struct api_request {
  boost::beast::http::verb method;
  std::string method_name;  // "GET", ...
  std::string url;          // joined with join_url
  // User headers in input order (except those dropped above), then the added
  // Content-Type, if any.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

result<api_request> build_api_request(const boost::json::object& input, std::string_view base_url);

// application/x-www-form-urlencoded encoding of one name or value (WHATWG
// URLSearchParams): ALPHA DIGIT * - . _ kept, space -> '+', every other byte
// %XX with upper-case hex.
std::string form_encode_component(std::string_view text);

}  // namespace oauth2_rest::action
