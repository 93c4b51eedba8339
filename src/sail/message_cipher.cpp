// AES-256-CBC message encryption with OpenSSL EVP (protocol doc section 6).
#include "sail/message_cipher.hpp"

#include "sail/error.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstring>
#include <limits>
#include <stdexcept>

namespace oauth2_rest::sail {
namespace {

struct ctx_deleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// One context per thread, reset before each use: allocation per message is
// avoided and no context is ever shared between threads.
EVP_CIPHER_CTX* thread_context() {
  thread_local std::unique_ptr<EVP_CIPHER_CTX, ctx_deleter> ctx{EVP_CIPHER_CTX_new()};
  if (!ctx) throw std::bad_alloc();
  EVP_CIPHER_CTX_reset(ctx.get());
  return ctx.get();
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// EVP lengths are int; messages are bounded far below that by the broker
// (and by ELASTICIO_OUTGOING_MESSAGE_SIZE_LIMIT), but never overflow silently.
constexpr std::size_t max_input = static_cast<std::size_t>(std::numeric_limits<int>::max()) - 32;

failure decrypt_failure() {
  // A failed padding check leaves entries on OpenSSL's per-thread error
  // queue; stale entries would be misread by the next TLS call on this thread.
  ERR_clear_error();
  return {make_error_code(error::decrypt_failed),
          "could not decrypt: wrong key or corrupted message"};
}

}  // namespace

message_cipher::message_cipher(std::string_view password, std::string_view iv16) {
  if (iv16.size() != iv_.size()) {
    throw std::invalid_argument("the message IV must be exactly 16 bytes, got " +
                                std::to_string(iv16.size()));
  }
  std::memcpy(iv_.data(), iv16.data(), iv_.size());
  unsigned int key_len = 0;
  if (EVP_Digest(password.data(), password.size(), key_.data(), &key_len, EVP_sha256(), nullptr) != 1 ||
      key_len != key_.size()) {
    throw std::runtime_error("SHA-256 of the message password failed");
  }
  // Fetching once avoids OpenSSL 3's implicit fetch (a locked lookup) per message.
  EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  if (fetched == nullptr) throw std::runtime_error("OpenSSL has no AES-256-CBC");
  cipher_.reset(fetched, [](EVP_CIPHER* c) { EVP_CIPHER_free(c); });
}

message_cipher::~message_cipher() { OPENSSL_cleanse(key_.data(), key_.size()); }

message_cipher::message_cipher(const message_cipher&) = default;
message_cipher& message_cipher::operator=(const message_cipher&) = default;

std::string message_cipher::encrypt(std::string_view plaintext) const {
  if (plaintext.size() > max_input) throw std::length_error("message too large to encrypt");
  EVP_CIPHER_CTX* ctx = thread_context();
  std::string out(plaintext.size() + 16, '\0');  // PKCS#7 adds 1..16 bytes
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int n1 = 0;
  int n2 = 0;
  // With a valid key and IV these calls cannot fail short of memory
  // exhaustion, which is an exception anywhere else too.
  if (EVP_EncryptInit_ex2(ctx, cipher_.get(), key_.data(), iv_.data(), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx, dst, &n1, bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx, dst + n1, &n2) != 1) {
    throw std::runtime_error("AES-256-CBC encryption failed");
  }
  out.resize(static_cast<std::size_t>(n1 + n2));
  return out;
}

result<std::string> message_cipher::decrypt(std::string_view ciphertext) const {
  if (ciphertext.empty() || ciphertext.size() % 16 != 0 || ciphertext.size() > max_input) {
    return decrypt_failure();
  }
  EVP_CIPHER_CTX* ctx = thread_context();
  std::string out(ciphertext.size() + 16, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int n1 = 0;
  int n2 = 0;
  if (EVP_DecryptInit_ex2(ctx, cipher_.get(), key_.data(), iv_.data(), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx, dst, &n1, bytes(ciphertext), static_cast<int>(ciphertext.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx, dst + n1, &n2) != 1) {
    // The padding check failed: wrong key/IV or a damaged message.
    return decrypt_failure();
  }
  out.resize(static_cast<std::size_t>(n1 + n2));
  return out;
}

}  // namespace oauth2_rest::sail
