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
// section 2.3): the Basic header, client_id/client_secret in the body, a
// client assertion in the body (private_key_jwt, client_secret_jwt: RFC 7523
// 2.2), or only client_id in the body with the TLS client certificate proving
// it (tls_client_auth: RFC 8705 2.1).
#pragma once

#include "oauth2/input_error.hpp"
#include "util/result.hpp"

#include <memory>
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
  private_key_jwt,    // a client assertion signed with privateKey (RFC 7523 2.2, OIDC Core 9)
  client_secret_jwt,  // a client assertion signed with HMAC SHA-256 and the client secret
  tls_client_auth,    // the TLS client certificate (RFC 8705 2.1); client_id in the body
};

// Whether the method signs a client assertion (client_assertion.hpp) for each request.
inline bool uses_client_assertion(client_auth a) {
  return a == client_auth::private_key_jwt || a == client_auth::client_secret_jwt;
}

// client_assertion_type of RFC 7523 2.2.
inline constexpr std::string_view client_assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct client_keys;  // client_keys.hpp: privateKey and clientCertificate, loaded

struct client_credentials {
  std::string token_url;      // credential field "tokenUrl"
  std::string client_id;      // credential field "username"
  std::string client_secret;  // credential field "password"
  std::vector<std::string> scopes;  // parse_scopes(field "scopes")
  std::vector<std::pair<std::string, std::string>> additional_properties;  // parse_additional_properties(...)
  client_auth auth = client_auth::basic;
  std::string key_id;                        // credential field "keyId": the assertion's kid
  std::shared_ptr<const client_keys> keys;   // set when privateKey or clientCertificate is
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
// "client_secret_post") -> body; "private_key_jwt", "client_secret_jwt" and
// "tls_client_auth" as they are named. Anything else is an error naming the value.
result<client_auth> parse_client_auth(std::string_view text);

// Checks what parse_* cannot see alone: tokenUrl and username are non-empty;
// in the modes that send client_id in the body (all but basic)
// additionalProperties does not carry client_id (it would repeat the Username),
// and with a client assertion not client_assertion or client_assertion_type
// either. Error code: bad_credential_field.
status validate_credentials(const client_credentials& c);

// --- the request ---

struct token_http_request {
  // Content-Type: application/x-www-form-urlencoded, Accept: application/json,
  // and in basic mode Authorization: Basic base64(form_encode(id) ":" form_encode(secret)).
  std::vector<std::pair<std::string, std::string>> headers;
  // grant_type=client_credentials[&scope=a+b][&k=v...], then in body mode
  // &client_id=..[&client_secret=..] (client_secret omitted when empty, RFC 6749 2.3.1);
  // with a client assertion &client_id=..&client_assertion_type=urn:ietf:params:oauth:
  // client-assertion-type:jwt-bearer&client_assertion=..; in tls_client_auth &client_id=..
  std::string body;
};

// The POST to c.token_url. Never both authentication methods. In the modes
// that send client_id in the body an additional property "client_id" is not
// sent (the credential's client id is); validate_credentials reports that
// conflict to the user. `client_assertion`: the JWT made for this request
// (client_assertion.hpp), used when uses_client_assertion(c.auth).
// The result holds the secret or the assertion: never log it.
token_http_request build_token_request(const client_credentials& c, std::string_view client_assertion = {});

}  // namespace oauth2_rest::oauth2
