// AES-256-CBC message encryption with OpenSSL EVP (protocol doc section 6).
#include "sail/message_cipher.hpp"

#include "sail/error.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <atomic>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>

namespace oauth2_rest::sail {
namespace {

struct ctx_deleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// A per-thread EVP context and the key id of the message_cipher whose key it holds
// (0: none, or unknown after a failure).
struct keyed_context {
  std::unique_ptr<EVP_CIPHER_CTX, ctx_deleter> ctx;
  std::uint64_t key_id = 0;
};

// Encryption and decryption have different AES key schedules: one context each.
keyed_context& thread_context(bool encrypt) {
  thread_local keyed_context contexts[2];
  return contexts[encrypt ? 1 : 0];
}

std::atomic<std::uint64_t> next_key_id{1};

// The thread's context for `encrypt`, ready for a new message: when it already holds this
// key, only the IV is set again (EVP_CipherInit_ex2 without cipher and key keeps the key
// schedule and resets the CBC chaining and padding state); otherwise a full initialisation.
// nullptr when OpenSSL fails.
EVP_CIPHER_CTX* ready_context(bool encrypt, std::uint64_t key_id, const EVP_CIPHER* cipher,
                              const unsigned char* key, const unsigned char* iv) {
  keyed_context& k = thread_context(encrypt);
  if (!k.ctx) {
    k.ctx.reset(EVP_CIPHER_CTX_new());
    if (!k.ctx) throw std::bad_alloc();
  }
  EVP_CIPHER_CTX* ctx = k.ctx.get();
  const int enc = encrypt ? 1 : 0;
  if (k.key_id == key_id && EVP_CipherInit_ex2(ctx, nullptr, nullptr, iv, enc, nullptr) == 1) return ctx;
  k.key_id = 0;
  EVP_CIPHER_CTX_reset(ctx);
  if (EVP_CipherInit_ex2(ctx, cipher, key, iv, enc, nullptr) != 1) return nullptr;
  k.key_id = key_id;
  return ctx;
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
  key_id_ = next_key_id.fetch_add(1, std::memory_order_relaxed);
}

message_cipher::~message_cipher() { OPENSSL_cleanse(key_.data(), key_.size()); }

message_cipher::message_cipher(const message_cipher&) = default;
message_cipher& message_cipher::operator=(const message_cipher&) = default;

std::string message_cipher::encrypt(std::string_view plaintext) const {
  std::string out;
  encrypt_into(plaintext, out);
  return out;
}

void message_cipher::encrypt_into(std::string_view plaintext, std::string& out) const {
  if (plaintext.size() > max_input) throw std::length_error("message too large to encrypt");
  out.resize(plaintext.size() + 16);  // PKCS#7 adds 1..16 bytes
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int n1 = 0;
  int n2 = 0;
  // With a valid key and IV these calls cannot fail short of memory
  // exhaustion, which is an exception anywhere else too.
  EVP_CIPHER_CTX* ctx = ready_context(true, key_id_, cipher_.get(), key_.data(), iv_.data());
  if (ctx == nullptr ||
      EVP_EncryptUpdate(ctx, dst, &n1, bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx, dst + n1, &n2) != 1) {
    throw std::runtime_error("AES-256-CBC encryption failed");
  }
  out.resize(static_cast<std::size_t>(n1 + n2));
}

result<std::string> message_cipher::decrypt(std::string_view ciphertext) const {
  std::string buffer(ciphertext);
  if (!decrypt_in_place(buffer)) return decrypt_failure();
  return buffer;
}

bool message_cipher::decrypt_in_place(std::string& buffer) const {
  const std::size_t size = buffer.size();
  if (size == 0 || size % 16 != 0 || size > max_input) return false;
  // CBC decryption in place: EVP allows the output to be exactly the input.
  // With padding, the last block is held back by Update and written by Final,
  // never past the ciphertext's length.
  auto* data = reinterpret_cast<unsigned char*>(buffer.data());
  int n1 = 0;
  int n2 = 0;
  EVP_CIPHER_CTX* ctx = ready_context(false, key_id_, cipher_.get(), key_.data(), iv_.data());
  if (ctx == nullptr || EVP_DecryptUpdate(ctx, data, &n1, data, static_cast<int>(size)) != 1 ||
      EVP_DecryptFinal_ex(ctx, data + n1, &n2) != 1) {
    // The padding check failed: wrong key/IV or a damaged message.
    ERR_clear_error();
    return false;
  }
  buffer.resize(static_cast<std::size_t>(n1 + n2));
  return true;
}

}  // namespace oauth2_rest::sail
