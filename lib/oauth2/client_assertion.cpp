// Building and signing client assertions with OpenSSL 3 EVP (see client_assertion.hpp).
#include "oauth2/client_assertion.hpp"

#include "util/base64.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/errc.hpp>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <vector>

namespace oauth2_rest::oauth2 {
namespace json = boost::json;

namespace {

failure signing_failed(std::string_view what) {
  ERR_clear_error();
  return failure{make_error_code(boost::system::errc::state_not_recoverable),
                 "could not sign the client assertion: " + std::string(what)};
}

result<std::string> random_jti() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return signing_failed("no random bytes for jti");
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

// "<header>.<claims>" in base64url, the JWS signing input (RFC 7515 5.1).
result<std::string> signing_input(jws_alg alg, const client_keys* keys, const assertion_subject& s) {
  json::object header;
  header["alg"] = jws_alg_name(alg);
  header["typ"] = "JWT";
  if (!s.key_id.empty()) header["kid"] = s.key_id;
  if (keys != nullptr && keys->has_certificate()) {
    header["x5t"] = keys->x5t;
    header["x5t#S256"] = keys->x5t_s256;
  }
  auto jti = random_jti();
  if (!jti) return std::move(jti).error();
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(s.now.time_since_epoch()).count();
  json::object claims;
  claims["iss"] = s.client_id;
  claims["sub"] = s.client_id;
  claims["aud"] = s.audience;
  claims["jti"] = *jti;
  claims["iat"] = iat;
  claims["exp"] = iat + client_assertion_lifetime.count();
  return base64url_encode(json::serialize(header)) + "." + base64url_encode(json::serialize(claims));
}

// OpenSSL's DER ECDSA-Sig-Value to the JWS r||s form, each `half` bytes (RFC 7518 3.4).
result<std::string> der_to_raw_ecdsa(const std::vector<unsigned char>& der, int half) {
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())), &ECDSA_SIG_free);
  if (!sig) return signing_failed("unreadable ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(static_cast<std::size_t>(half) * 2, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, half) != half || BN_bn2binpad(s, out + half, half) != half) {
    return signing_failed("ECDSA signature too long");
  }
  return raw;
}

result<std::string> sign_with_key(EVP_PKEY* key, jws_alg alg, std::string_view input) {
  const EVP_MD* md = nullptr;  // Ed25519 hashes internally: no digest is given (RFC 8032)
  if (alg == jws_alg::rs256 || alg == jws_alg::es256) md = EVP_sha256();
  if (alg == jws_alg::es384) md = EVP_sha384();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  // RSA keys sign with PKCS#1 v1.5 padding by default, which is what RS256 is.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) != 1) return signing_failed("init");
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  std::size_t size = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &size, data, input.size()) != 1) return signing_failed("size");
  std::vector<unsigned char> signature(size);
  if (EVP_DigestSign(ctx.get(), signature.data(), &size, data, input.size()) != 1) return signing_failed("sign");
  signature.resize(size);
  if (alg == jws_alg::es256) return der_to_raw_ecdsa(signature, 32);
  if (alg == jws_alg::es384) return der_to_raw_ecdsa(signature, 48);
  return std::string(signature.begin(), signature.end());
}

}  // namespace

result<std::string> make_private_key_assertion(const client_keys& keys, const assertion_subject& subject) {
  if (!keys.signing_key) return signing_failed("no privateKey");
  auto input = signing_input(keys.signing_alg, &keys, subject);
  if (!input) return std::move(input).error();
  auto signature = sign_with_key(keys.signing_key.get(), keys.signing_alg, *input);
  if (!signature) return std::move(signature).error();
  return *input + "." + base64url_encode(*signature);
}

result<std::string> make_secret_assertion(std::string_view client_secret, const assertion_subject& subject) {
  auto input = signing_input(jws_alg::hs256, nullptr, subject);
  if (!input) return std::move(input).error();
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t size = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, client_secret.data(), client_secret.size(),
                reinterpret_cast<const unsigned char*>(input->data()), input->size(), mac, sizeof mac,
                &size) == nullptr) {
    return signing_failed("HMAC");
  }
  return *input + "." + base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), size));
}

}  // namespace oauth2_rest::oauth2
