// The token request of the OAuth2 Client Credentials grant (RFC 6749 section
// 4.4.2), built from the credential's fields, and the form encoding it uses.
//
// Pure functions: no I/O, no exceptions. Wire example (basic mode, id "my id",
// secret "s3cr+t", scopes "client,users", additionalProperties
// "audience:https://api.example.com"):
//
//   Content-Type: application/x-www-form-urlencoded
//   Accept: application/json
//   Authorization: Basic base64("my+id:s3cr%2Bt")
//
//   grant_type=client_credentials&scope=client+users&audience=https%3A%2F%2Fapi.example.com
//
// The client authenticates with exactly one method per request (RFC 6749
// section 2.3): the Basic header, or client_id/client_secret in the body.
#pragma once

#include "oauth2/input_error.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oauth2_rest::oauth2 {

// Credential field "clientAuthentication".
enum class client_auth {
  basic,  // HTTP Basic with form-encoded id and secret (RFC 6749 section 2.3.1); servers MUST support it
  body,   // client_id and client_secret in the form body ("client_secret_post")
};

struct client_credentials {
  std::string token_url;      // credential field "tokenUrl"
  std::string client_id;      // credential field "username"
  std::string client_secret;  // credential field "password"
  std::vector<std::string> scopes;  // parse_scopes(field "scopes")
  std::vector<std::pair<std::string, std::string>> additional_properties;  // parse_additional_properties(...)
  client_auth auth = client_auth::basic;
};

// --- application/x-www-form-urlencoded (RFC 6749 Appendix B, WHATWG URL "urlencoded") ---

// Keeps A-Z a-z 0-9 - . _ * ; space becomes '+'; every other byte is %XX
// (uppercase hex). Text is taken as UTF-8 bytes as they are.
std::string form_encode(std::string_view text);
// '+' becomes a space, %XX a byte (either hex case). nullopt when a '%' is not
// followed by two hex digits.
std::optional<std::string> form_decode(std::string_view text);
// "a=b&c=d" into decoded pairs, in order. A pair without '=' has an empty
// value (as in WHATWG); empty pairs, pairs with an empty name and pairs with a
// bad escape are skipped.
std::vector<std::pair<std::string, std::string>> parse_form(std::string_view body);

// --- credential fields ---

// Field "scopes": split on ',', spaces and tabs trimmed, empty items dropped.
// "client, users,," -> {"client", "users"}. Sent space-delimited (RFC 6749 3.3).
std::vector<std::string> parse_scopes(std::string_view csv);

// Field "additionalProperties", in one of two forms (SPEC 2). Either way a key
// may repeat and every occurrence is sent, in the order written (RFC 8707
// resource indicators: "resource:https://a,resource:https://b"). Keys are
// case-sensitive, as OAuth parameter names are.
//  - CSV: "key:value,key:value". Items are split on ',', trimmed, and split on
//    their FIRST ':' (so "audience:https://x" works); key and value are trimmed
//    too. Empty items are skipped; "" gives {}. A value cannot contain ','
//    (there is no escape: use the JSON form). The value may be empty (sent as
//    "key=", which RFC 6749 3.2 treats as omitted).
//  - JSON, when the text starts with '{' (after blanks): an object whose values
//    are strings or arrays of strings; an array sends its key once per element,
//    in order, and a key written twice is sent twice. Keys and values are taken
//    exactly as written (no trimming); a value may hold ',' and ':'.
//      {"resource":["https://a","https://b"],"audience":"x,y"}
//        -> resource=https://a, resource=https://b, audience=x,y
// Errors (code input_error::bad_credential_field) name the item or the key,
// never a value (a value may be an assertion or another secret):
//   - an item without ':'        "additionalProperties: 'audience' has no ':' (expected key:value)"
//   - an empty key               "additionalProperties: item 2 has an empty key (expected key:value)"
//                                "additionalProperties: a key of the JSON object is empty"
//   - key grant_type or scope    "additionalProperties: key 'grant_type' is reserved"
//                                (grant_type is the grant's, scope comes from the Scopes field)
//   - key client_secret          reserved too: the secret comes from Password, and sending it
//                                beside a Basic header would use two authentication methods
//   - JSON that does not read    "additionalProperties: starts with '{' but is not a JSON object (syntax error)"
//   - a value of another type    "additionalProperties: the value of key 'max_age' is a number (expected a string or an array of strings)"
//                                "additionalProperties: element 2 of key 'resource' is an object (expected a string)"
result<std::vector<std::pair<std::string, std::string>>> parse_additional_properties(std::string_view text);

// Field "clientAuthentication", case-insensitive, surrounding blanks ignored:
// "" or "basic" (or "client_secret_basic") -> basic; "body" (or
// "client_secret_post") -> body. Anything else is an error naming the value.
result<client_auth> parse_client_auth(std::string_view text);

// Checks what parse_* cannot see alone: tokenUrl and username are non-empty,
// and in body mode additionalProperties does not carry client_id (it would
// repeat the Username in the body). Error code: bad_credential_field.
status validate_credentials(const client_credentials& c);

// --- the request ---

struct token_http_request {
  // Content-Type: application/x-www-form-urlencoded, Accept: application/json,
  // and in basic mode Authorization: Basic base64(form_encode(id) ":" form_encode(secret)).
  std::vector<std::pair<std::string, std::string>> headers;
  // grant_type=client_credentials[&scope=a+b][&k=v...], then in body mode
  // &client_id=..[&client_secret=..] (client_secret omitted when empty, RFC 6749 2.3.1).
  std::string body;
};

// The POST to c.token_url. Never both authentication methods. In body mode an
// additional property "client_id" is not sent (the credential's client id is);
// validate_credentials reports that conflict to the user.
// The result holds the secret: never log it.
token_http_request build_token_request(const client_credentials& c);

}  // namespace oauth2_rest::oauth2
