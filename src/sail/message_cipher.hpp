// Message encryption of the platform protocol (protocol doc section 6):
// AES-256-CBC with PKCS#7 padding, key = SHA-256 of the password's bytes,
// and the same fixed 16-byte IV for every message (no MAC: a wrong key is
// usually, not always, caught by the padding check; the JSON parse after it
// catches the rest).
//
// The key is derived and the cipher fetched once, at construction; each call
// uses a per-thread EVP context, so one message_cipher may be shared by all
// the threads that process messages.
#pragma once

#include "util/result.hpp"

#include <openssl/types.h>

#include <array>
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

 private:
  std::array<unsigned char, 32> key_{};
  std::array<unsigned char, 16> iv_{};
  std::shared_ptr<EVP_CIPHER> cipher_;  // OpenSSL's fetched AES-256-CBC, shared by copies
};

}  // namespace oauth2_rest::sail
