// The keys and certificates of client authentication beyond a shared secret (SPEC section 7),
// loaded from the credential's PEM fields with OpenSSL 3:
//
//   privateKey            signs the client assertion of private_key_jwt (client_assertion.hpp)
//   clientCertificate     the client's certificate, optionally followed by its chain: offered
//                         in mutual TLS to the token endpoint and the API, and named by the
//                         x5t / x5t#S256 headers of the assertion
//   clientCertificateKey  the certificate's private key (when empty, privateKey is used for
//                         the TLS connection if it is the certificate's key)
//
// Each field is first rebuilt from single-line input (pem_text.hpp). Keys may be PKCS#8,
// PKCS#1 RSA or SEC1 EC, unencrypted; signing keys must be RSA (2048 bits or more, RFC 7518
// 3.3), EC P-256 or P-384, or Ed25519.
//
// Errors (input_error::bad_credential_field) name the field and what is wrong with it, e.g.
// "privateKey is not a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)" or
// "clientCertificateKey does not match clientCertificate"; never the value.
// The loaded keys are secrets: nothing here logs.
#pragma once

#include "util/result.hpp"

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::oauth2 {

// JWS "alg" values of client assertions (RFC 7518 section 3.1, RFC 8037 section 3.1).
enum class jws_alg { rs256, es256, es384, eddsa, hs256 };
std::string_view jws_alg_name(jws_alg alg);

struct client_keys {
  // privateKey and its algorithm; null when the field is empty.
  std::shared_ptr<EVP_PKEY> signing_key;
  jws_alg signing_alg = jws_alg::rs256;
  // clientCertificate, leaf first; empty when the field is empty.
  std::vector<std::shared_ptr<X509>> certificate_chain;
  // The key the TLS connection proves the leaf with: clientCertificateKey, or privateKey when
  // that matches the leaf. Null without a certificate.
  std::shared_ptr<EVP_PKEY> certificate_key;
  // base64url SHA-1 and SHA-256 of the leaf's DER (RFC 7515 4.1.7 and 4.1.8); empty without one.
  std::string x5t, x5t_s256;
  // Whether privateKey is the leaf's key (the x5t headers then name the signing key).
  bool signing_key_matches_certificate = false;

  bool has_certificate() const { return !certificate_chain.empty(); }
};

// Loads whichever of the three fields are non-empty. A key or certificate that does not parse,
// an unsupported signing key, a clientCertificateKey that is not the certificate's key, and a
// certificate with no usable key (clientCertificateKey empty and privateKey not its key) are
// errors naming the field.
result<client_keys> load_client_keys(std::string_view private_key, std::string_view client_certificate,
                                     std::string_view client_certificate_key);

// Makes a TLS client context present the certificate chain and prove it with its key, when
// keys.has_certificate(); nothing otherwise. Fails only if OpenSSL refuses the pair.
status install_client_certificate(SSL_CTX* context, const client_keys& keys);

}  // namespace oauth2_rest::oauth2
