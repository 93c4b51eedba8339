// Message encryption of the platform protocol (protocol doc section 6):
// AES-256-CBC with PKCS#7 padding, key = SHA-256 of the password's bytes,
// and the same fixed 16-byte IV for every message (no MAC: a wrong key is
// usually, not always, caught by the padding check; the JSON parse after it
// catches the rest).
//
// The key is derived and the cipher fetched once, at construction. Each call
// uses a per-thread EVP context (one for encryption, one for decryption), so
// one message_cipher may be shared by all the threads that process messages.
// A thread's context keeps the key schedule of the cipher it last served
// (every message_cipher has a process-unique key id, shared by its copies):
// a call with the same cipher only resets the IV, which restarts CBC and the
// padding state but skips the AES key expansion and the provider set-up.
#pragma once

#include "util/result.hpp"

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace oauth2_rest::sail {

class message_cipher {
 public:
  // Throws std::invalid_argument unless iv16 is exactly 16 bytes (start-up
  // configuration; load_settings already checks it with a friendlier message).
  message_cipher(std::string_view password, std::string_view iv16);
  ~message_cipher();
  message_cipher(const message_cipher&);
  message_cipher& operator=(const message_cipher&);

  // Raw ciphertext (a multiple of 16 bytes, never empty).
  std::string encrypt(std::string_view plaintext) const;
  // Fails on a length that is not a positive multiple of 16 or on bad
  // padding: "could not decrypt: wrong key or corrupted message".
  result<std::string> decrypt(std::string_view ciphertext) const;

  // The same without a new buffer per call: encrypt_into replaces `out` with
  // the ciphertext (reusing its capacity; `out` must not hold `plaintext`);
  // decrypt_in_place turns `buffer` from ciphertext into plaintext, and
  // returns false (buffer unspecified) where decrypt fails.
  void encrypt_into(std::string_view plaintext, std::string& out) const;
  bool decrypt_in_place(std::string& buffer) const;

 private:
  std::array<unsigned char, 32> key_{};
  std::array<unsigned char, 16> iv_{};
  std::shared_ptr<EVP_CIPHER> cipher_;  // OpenSSL's fetched AES-256-CBC, shared by copies
  std::uint64_t key_id_ = 0;            // never reused; copies share it (same key and IV)
};

}  // namespace oauth2_rest::sail
