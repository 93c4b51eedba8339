// Client assertions: the signed JWTs of private_key_jwt and client_secret_jwt (RFC 7523
// section 2.2, RFC 7521 section 4.2, OpenID Connect Core section 9), made with OpenSSL 3 EVP.
//
// Header: alg (RS256 for RSA, ES256 / ES384 for P-256 / P-384, EdDSA for Ed25519, HS256 for
// client_secret_jwt), typ "JWT", kid = keyId when set, and x5t / x5t#S256 of the first client
// certificate when there is one (Microsoft Entra ID identifies the key by them).
// Claims: iss = sub = the client id, aud = the token URL, jti = 128 random bits (base64url),
// iat = now, exp = now + 60 s (a short life: the assertion is made for one request).
//
//   eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJpc3MiOiJjbGllbnQiLC4uLn0.<r||s>
//
// ECDSA signatures are in the JWS form (RFC 7518 3.4: r and s as fixed-size big-endian
// integers, concatenated), not OpenSSL's DER. Make one per token request: the jti of each is
// new, and servers refuse a jti they have seen (RFC 7523 3, item 7).
// The result is a credential: never log it.
#pragma once

#include "oauth2/client_keys.hpp"
#include "util/result.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace oauth2_rest::oauth2 {

inline constexpr std::chrono::seconds client_assertion_lifetime{60};

struct assertion_subject {
  std::string_view client_id;  // iss and sub
  std::string_view audience;   // aud: the token URL
  std::string_view key_id;     // kid header when not empty
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// private_key_jwt: signed with keys.signing_key (which must be set), with x5t headers when
// keys.has_certificate().
result<std::string> make_private_key_assertion(const client_keys& keys, const assertion_subject& subject);

// client_secret_jwt: HMAC SHA-256 keyed with the client secret's bytes.
result<std::string> make_secret_assertion(std::string_view client_secret, const assertion_subject& subject);

}  // namespace oauth2_rest::oauth2
