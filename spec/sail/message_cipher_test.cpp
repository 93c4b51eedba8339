// message_cipher: the protocol doc's known-answer vector, failures, copies, threads.
#include "sail/message_cipher.hpp"

#include "sail/error.hpp"
#include "util/base64.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace oauth2_rest::sail
