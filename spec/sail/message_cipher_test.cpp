// message_cipher: the protocol doc's known-answer vector, failures, copies, threads.
#include "sail/message_cipher.hpp"

#include "sail/error.hpp"
#include "util/base64.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace oauth2_rest::sail {
namespace {

constexpr const char* password = "testCryptoPassword";
constexpr const char* iv = "iv=any16_symbols";
constexpr const char* plaintext = R"({"body":{"hello":"world"}})";
constexpr const char* v1_body = "axyl/YcFb4wgFzIyJ9McA9xyf/alvd9InmVcpgXq9OA=";
constexpr const char* v2_hex = "6b1ca5fd87056f8c2017323227d31c03dc727ff6a5bddf489e655ca605eaf4e0";

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

TEST(message_cipher, known_answer_vector) {
  message_cipher cipher(password, iv);
  std::string ciphertext = cipher.encrypt(plaintext);
  EXPECT_EQ(hex(ciphertext), v2_hex);
  EXPECT_EQ(base64_encode(ciphertext), v1_body);
}

TEST(message_cipher, decrypts_the_known_answer) {
  message_cipher cipher(password, iv);
  auto raw = base64_decode(v1_body);
  ASSERT_TRUE(raw);
  auto plain = cipher.decrypt(*raw);
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(*plain, plaintext);
}

TEST(message_cipher, round_trips_every_length_around_the_block_size) {
  message_cipher cipher(password, iv);
  for (std::size_t n = 0; n <= 48; ++n) {
    std::string text(n, 'x');
    std::string c = cipher.encrypt(text);
    EXPECT_EQ(c.size(), (n / 16 + 1) * 16) << n;  // PKCS#7 always pads
    auto back = cipher.decrypt(c);
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, text);
  }
}

TEST(message_cipher, wrong_key_fails_with_a_clear_message) {
  message_cipher ours(password, iv);
  message_cipher other("anotherPassword", iv);
  auto r = other.decrypt(ours.encrypt(plaintext));
  // A wrong key passes the padding check about 1 time in 256; this vector does not.
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(error::decrypt_failed));
  EXPECT_EQ(r.error().message, "could not decrypt: wrong key or corrupted message");
}

TEST(message_cipher, bad_lengths_fail) {
  message_cipher cipher(password, iv);
  for (std::string bad : {std::string(), std::string(15, 'a'), std::string(17, 'a')}) {
    auto r = cipher.decrypt(bad);
    ASSERT_FALSE(r) << bad.size();
    EXPECT_EQ(r.error().message, "could not decrypt: wrong key or corrupted message");
  }
}

TEST(message_cipher, iv_must_be_16_bytes) {
  EXPECT_THROW(message_cipher(password, "short"), std::invalid_argument);
  EXPECT_THROW(message_cipher(password, "seventeen_bytes!!"), std::invalid_argument);
}

TEST(message_cipher, copies_share_the_key) {
  message_cipher a(password, iv);
  message_cipher b = a;
  message_cipher c("x", iv);
  c = b;
  EXPECT_EQ(hex(c.encrypt(plaintext)), v2_hex);
}

TEST(message_cipher, one_instance_serves_many_threads) {
  const message_cipher cipher(password, iv);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        std::string text = "thread " + std::to_string(t) + " message " + std::to_string(i);
        auto back = cipher.decrypt(cipher.encrypt(text));
        if (!back || *back != text) ++failures[t];
        if (base64_encode(cipher.encrypt(plaintext)) != v1_body) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

// The reference: a fresh OpenSSL context per call, keyed from scratch (what
// message_cipher did before it kept a keyed context per thread).
std::string fresh_context_encrypt(std::string_view password_text, std::string_view plain) {
  unsigned char key[32];
  unsigned int key_len = 0;
  EXPECT_EQ(EVP_Digest(password_text.data(), password_text.size(), key, &key_len, EVP_sha256(), nullptr), 1);
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out(plain.size() + 16, '\0');
  int n1 = 0;
  int n2 = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  EXPECT_EQ(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key,
                               reinterpret_cast<const unsigned char*>(iv)),
            1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx.get(), dst, &n1, reinterpret_cast<const unsigned char*>(plain.data()),
                              static_cast<int>(plain.size())),
            1);
  EXPECT_EQ(EVP_EncryptFinal_ex(ctx.get(), dst + n1, &n2), 1);
  out.resize(static_cast<std::size_t>(n1 + n2));
  return out;
}

std::string random_text(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// The per-thread context keeps its key schedule between calls and only resets
// the IV: every message must still come out exactly as from a fresh context,
// whatever came before it on the thread (other lengths, the other direction,
// another key, a failed decryption).
TEST(message_cipher, reused_context_gives_the_bytes_of_a_fresh_context) {
  const message_cipher ours(password, iv);
  const message_cipher other("anotherPassword", iv);
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    const std::string text = random_text(rng, rng() % 200);
    const std::string expected = fresh_context_encrypt(password, text);
    ASSERT_EQ(ours.encrypt(text), expected) << i;
    std::string into = "stale content of another length";
    ours.encrypt_into(text, into);
    ASSERT_EQ(into, expected) << i;
    auto back = ours.decrypt(expected);
    ASSERT_TRUE(back) << i;
    ASSERT_EQ(*back, text) << i;
    std::string buffer = expected;
    ASSERT_TRUE(ours.decrypt_in_place(buffer)) << i;
    ASSERT_EQ(buffer, text) << i;
    switch (i % 4) {
      case 0:  // the other key on the same thread, both directions
        ASSERT_EQ(other.encrypt(text), fresh_context_encrypt("anotherPassword", text)) << i;
        ASSERT_TRUE(other.decrypt(other.encrypt(text))) << i;
        break;
      case 1: {  // a failed decryption (the wrong key) leaves nothing behind
        std::string wrong = expected;
        (void)other.decrypt_in_place(wrong);
        break;
      }
      case 2: {  // a damaged last block (bad padding)
        std::string damaged = expected;
        damaged.back() = static_cast<char>(damaged.back() ^ 0x5a);
        (void)ours.decrypt(damaged);
        break;
      }
      default:  // a bad length: refused before OpenSSL
        ASSERT_FALSE(ours.decrypt(std::string(17, 'a')));
        break;
    }
  }
  // A copy made later, and a cipher made after one was destroyed, still agree.
  message_cipher copy = ours;
  EXPECT_EQ(hex(copy.encrypt(plaintext)), v2_hex);
  { message_cipher temporary("temporaryPassword", iv); (void)temporary.encrypt(plaintext); }
  message_cipher later(password, iv);
  EXPECT_EQ(hex(later.encrypt(plaintext)), v2_hex);
}

TEST(message_cipher, decrypt_in_place_fails_as_decrypt_does) {
  const message_cipher cipher(password, iv);
  for (std::string bad : {std::string(), std::string(15, 'a'), std::string(17, 'a')}) {
    EXPECT_FALSE(cipher.decrypt_in_place(bad)) << bad.size();
  }
  std::string wrong = message_cipher("anotherPassword", iv).encrypt(plaintext);
  EXPECT_FALSE(cipher.decrypt_in_place(wrong));
  // And the next message on this thread is fine.
  auto raw = base64_decode(v1_body);
  ASSERT_TRUE(raw);
  ASSERT_TRUE(cipher.decrypt_in_place(*raw));
  EXPECT_EQ(*raw, plaintext);
}

TEST(message_cipher, many_threads_many_messages_match_a_fresh_context) {
  const message_cipher cipher(password, iv);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < 200; ++i) {
        std::string text = random_text(rng, rng() % 100);
        std::string expected = fresh_context_encrypt(password, text);
        if (cipher.encrypt(text) != expected) ++failures[t];
        std::string buffer = expected;
        if (!cipher.decrypt_in_place(buffer) || buffer != text) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace oauth2_rest::sail
