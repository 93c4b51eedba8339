// Test-side JWS checks with OpenSSL directly (never the product's code): split a compact JWT,
// base64url, verify RS256 / ES256 / ES384 / EdDSA signatures and compute HS256.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

namespace oauth2_rest::testing::jws {

namespace json = boost::json;

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

inline pkey_ptr read_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  return pkey_ptr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
}

// The key in OpenSSL's "traditional" form: PKCS#1 for RSA, SEC1 for EC.
inline std::string traditional_pem(const std::string& pkcs8) {
  auto key = read_key(pkcs8);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey_traditional(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

inline std::string b64url_decode(std::string text) {
  for (auto& c : text) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  while (text.size() % 4 != 0) text.push_back('=');
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  EXPECT_GE(n, 0);
  std::size_t pad = 0;
  while (!text.empty() && text[text.size() - 1 - pad] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

inline std::string b64url_encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (auto& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

struct jwt {
  json::object header, claims;
  std::string signing_input, signature;
};

inline jwt split(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  EXPECT_NE(second, std::string::npos);
  EXPECT_EQ(token.find('.', second + 1), std::string::npos);
  jwt out;
  out.header = json::parse(b64url_decode(token.substr(0, first))).as_object();
  out.claims = json::parse(b64url_decode(token.substr(first + 1, second - first - 1))).as_object();
  out.signing_input = token.substr(0, second);
  out.signature = b64url_decode(token.substr(second + 1));
  return out;
}

// Verifies a JWS signature with EVP (ECDSA: the raw r||s turned back into DER first).
inline bool verify(EVP_PKEY* key, const std::string& alg, const std::string& input, std::string signature) {
  const EVP_MD* md = nullptr;
  if (alg == "RS256" || alg == "ES256") md = EVP_sha256();
  if (alg == "ES384") md = EVP_sha384();
  if (alg == "ES256" || alg == "ES384") {
    const std::size_t half = alg == "ES256" ? 32 : 48;
    if (signature.size() != 2 * half) return false;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG_set0(sig, BN_bin2bn(raw, static_cast<int>(half), nullptr),
                   BN_bin2bn(raw + half, static_cast<int>(half), nullptr));
    unsigned char* der = nullptr;
    const int size = i2d_ECDSA_SIG(sig, &der);
    signature.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

// HMAC SHA-256 through an EVP_PKEY MAC key (another OpenSSL route than the product's EVP_Q_mac).
inline std::string hmac_sha256(const std::string& key, const std::string& data) {
  pkey_ptr mac(EVP_PKEY_new_raw_private_key(EVP_PKEY_HMAC, nullptr,
                                            reinterpret_cast<const unsigned char*>(key.data()), key.size()),
               &EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, mac.get());
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t size = sizeof out;
  EVP_DigestSign(ctx.get(), out, &size, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return std::string(reinterpret_cast<char*>(out), size);
}

}  // namespace oauth2_rest::testing::jws
