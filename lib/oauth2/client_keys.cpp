// Loading client keys and certificates with OpenSSL 3 (see client_keys.hpp).
#include "oauth2/client_keys.hpp"

#include "oauth2/input_error.hpp"
#include "oauth2/pem_text.hpp"
#include "util/base64.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

namespace oauth2_rest::oauth2 {
namespace {

constexpr int min_rsa_bits = 2048;  // RFC 7518 3.3

failure field_error(std::string message) {
  ERR_clear_error();  // what OpenSSL queued is about the user's value: not kept for later
  return failure{make_error_code(input_error::bad_credential_field), std::move(message)};
}

// Never prompt on a terminal for an encrypted key's pass phrase, as OpenSSL's default would.
int no_pass_phrase(char*, int, int, void*) { return -1; }

std::unique_ptr<BIO, decltype(&BIO_free)> memory_bio(const std::string& text) {
  return {BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free};
}

std::string base64url(const unsigned char* bytes, unsigned size) {
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes), size));
}

result<std::shared_ptr<EVP_PKEY>> load_key(std::string_view field, std::string_view value) {
  auto pem = rebuild_pem(value);
  if (!pem) return field_error(std::string(field) + ": " + pem.error().message);
  if (pem->find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string::npos) {
    return field_error(std::string(field) + " is encrypted: give the key without a pass phrase");
  }
  auto bio = memory_bio(*pem);
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_pass_phrase, nullptr) : nullptr;
  if (key == nullptr) {
    return field_error(std::string(field) + " is not a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)");
  }
  return std::shared_ptr<EVP_PKEY>(key, &EVP_PKEY_free);
}

result<jws_alg> signing_alg_of(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < min_rsa_bits) {
        return field_error("privateKey: an RSA key must have at least 2048 bits (RFC 7518 3.3)");
      }
      return jws_alg::rs256;
    case EVP_PKEY_EC: {
      char group[80] = {};
      std::size_t length = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) == 1) {
        const std::string_view name(group, length);
        if (name == "prime256v1" || name == "P-256" || name == "secp256r1") return jws_alg::es256;
        if (name == "secp384r1" || name == "P-384") return jws_alg::es384;
      }
      return field_error("privateKey: this EC curve is not supported (use P-256 or P-384)");
    }
    case EVP_PKEY_ED25519: return jws_alg::eddsa;
    default: return field_error("privateKey: this key type is not supported (use RSA, EC P-256/P-384 or Ed25519)");
  }
}

result<std::vector<std::shared_ptr<X509>>> load_certificates(std::string_view value) {
  auto pem = rebuild_pem(value);
  if (!pem) return field_error("clientCertificate: " + pem.error().message);
  auto bio = memory_bio(*pem);
  std::vector<std::shared_ptr<X509>> chain;
  // PEM_read_bio_X509 skips blocks of other kinds; it fails at the end of the text.
  while (bio) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_pass_phrase, nullptr);
    if (cert == nullptr) break;
    chain.emplace_back(cert, &X509_free);
  }
  ERR_clear_error();  // the end of the text is reported as an error
  if (chain.empty()) return field_error("clientCertificate is not a PEM certificate");
  return chain;
}

}  // namespace

std::string_view jws_alg_name(jws_alg alg) {
  switch (alg) {
    case jws_alg::rs256: return "RS256";
    case jws_alg::es256: return "ES256";
    case jws_alg::es384: return "ES384";
    case jws_alg::eddsa: return "EdDSA";
    case jws_alg::hs256: return "HS256";
  }
  return "none";
}

result<client_keys> load_client_keys(std::string_view private_key, std::string_view client_certificate,
                                     std::string_view client_certificate_key) {
  client_keys keys;
  if (!private_key.empty()) {
    auto key = load_key("privateKey", private_key);
    if (!key) return std::move(key).error();
    auto alg = signing_alg_of(key->get());
    if (!alg) return std::move(alg).error();
    keys.signing_key = std::move(key).value();
    keys.signing_alg = *alg;
  }
  std::shared_ptr<EVP_PKEY> certificate_key;
  if (!client_certificate_key.empty()) {
    auto key = load_key("clientCertificateKey", client_certificate_key);
    if (!key) return std::move(key).error();
    certificate_key = std::move(key).value();
  }
  if (client_certificate.empty()) {
    if (certificate_key) return field_error("clientCertificateKey is set but clientCertificate is empty");
    return keys;
  }
  auto chain = load_certificates(client_certificate);
  if (!chain) return std::move(chain).error();
  keys.certificate_chain = std::move(chain).value();
  X509* leaf = keys.certificate_chain.front().get();

  if (keys.signing_key) keys.signing_key_matches_certificate = X509_check_private_key(leaf, keys.signing_key.get()) == 1;
  if (certificate_key) {
    if (X509_check_private_key(leaf, certificate_key.get()) != 1) {
      return field_error("clientCertificateKey does not match clientCertificate (the first certificate)");
    }
    keys.certificate_key = std::move(certificate_key);
  } else if (keys.signing_key_matches_certificate) {
    keys.certificate_key = keys.signing_key;
  } else {
    return field_error("clientCertificateKey is required with clientCertificate (privateKey is not its key)");
  }
  ERR_clear_error();

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  if (X509_digest(leaf, EVP_sha1(), digest, &size) != 1) return field_error("clientCertificate: cannot hash it");
  keys.x5t = base64url(digest, size);
  if (X509_digest(leaf, EVP_sha256(), digest, &size) != 1) return field_error("clientCertificate: cannot hash it");
  keys.x5t_s256 = base64url(digest, size);
  return keys;
}

status install_client_certificate(SSL_CTX* context, const client_keys& keys) {
  if (!keys.has_certificate()) return ok;
  auto refused = [] {
    ERR_clear_error();
    return failure{make_error_code(input_error::bad_credential_field),
                   "clientCertificate: the TLS library refused the certificate or its key"};
  };
  if (SSL_CTX_use_certificate(context, keys.certificate_chain.front().get()) != 1) return refused();
  SSL_CTX_clear_chain_certs(context);
  for (std::size_t i = 1; i < keys.certificate_chain.size(); ++i) {
    // add1: the context takes its own reference.
    if (SSL_CTX_add1_chain_cert(context, keys.certificate_chain[i].get()) != 1) return refused();
  }
  if (SSL_CTX_use_PrivateKey(context, keys.certificate_key.get()) != 1) return refused();
  if (SSL_CTX_check_private_key(context) != 1) return refused();
  return ok;
}

}  // namespace oauth2_rest::oauth2
