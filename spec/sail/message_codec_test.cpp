// message_codec: protocol 1 and 2 bodies, decode failures by stage, error records.
#include "sail/message_codec.hpp"

#include "sail/error.hpp"
#include "util/base64.hpp"
#include "util/json_read.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <thread>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;

constexpr const char* v1_body = "axyl/YcFb4wgFzIyJ9McA9xyf/alvd9InmVcpgXq9OA=";

const message_cipher& cipher() {
  static const message_cipher c("testCryptoPassword", "iv=any16_symbols");
  return c;
}

json::object hello() { return json::parse(R"({"body":{"hello":"world"}})").as_object(); }

std::string v2_body() { return *base64_decode(v1_body); }

TEST(message_codec, encodes_the_known_answer_in_both_protocols) {
  EXPECT_EQ(encode_message(hello(), 1, cipher()), v1_body);
  EXPECT_EQ(encode_message(hello(), 2, cipher()), v2_body());
}

TEST(message_codec, decodes_the_known_answer_in_both_protocols) {
  auto v1 = decode_message(v1_body, 1, cipher());
  ASSERT_TRUE(v1) << v1.error().message;
  EXPECT_EQ(*v1, hello());
  auto v2 = decode_message(v2_body(), 2, cipher());
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(*v2, hello());
}

TEST(message_codec, round_trips_non_ascii_text) {
  json::object msg = json::parse(R"({"id":"x","body":{"text":"Grüße, 世界 ✓ 😀"},"headers":{}})").as_object();
  for (int version : {1, 2}) {
    auto back = decode_message(encode_message(msg, version, cipher()), version, cipher());
    ASSERT_TRUE(back) << version;
    EXPECT_EQ(*back, msg);
  }
}

void expect_failure(const result<json::object>& r, error code, const std::string& message) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(code));
  EXPECT_EQ(r.error().message, message);
}

TEST(message_codec, empty_body) {
  expect_failure(decode_message("", 1, cipher()), error::empty_message, "message body is empty");
  expect_failure(decode_message("", 2, cipher()), error::empty_message, "message body is empty");
}

TEST(message_codec, bad_base64) {
  expect_failure(decode_message("not base64!", 1, cipher()), error::invalid_base64,
                 "message is not valid base64");
}

TEST(message_codec, wrong_key) {
  message_cipher other("anotherPassword", "iv=any16_symbols");
  expect_failure(decode_message(v1_body, 1, other), error::decrypt_failed,
                 "could not decrypt message (wrong ELASTICIO_MESSAGE_CRYPTO_PASSWORD/IV?)");
  // A protocol 1 body read as protocol 2 is not whole blocks of ciphertext.
  expect_failure(decode_message(v1_body, 2, cipher()), error::decrypt_failed,
                 "could not decrypt message (wrong ELASTICIO_MESSAGE_CRYPTO_PASSWORD/IV?)");
}

TEST(message_codec, not_json_and_the_message_does_not_quote_content) {
  std::string body = base64_encode(cipher().encrypt("secret-token-value, not json"));
  auto r = decode_message(body, 1, cipher());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(error::invalid_json));
  EXPECT_EQ(r.error().message.rfind("decrypted message is not valid JSON: ", 0), 0u) << r.error().message;
  EXPECT_EQ(r.error().message.find("secret"), std::string::npos);
}

TEST(message_codec, not_an_object) {
  for (const char* text : {"[1,2]", "\"text\"", "42", "null"}) {
    expect_failure(decode_message(base64_encode(cipher().encrypt(text)), 1, cipher()),
                   error::not_an_object, "decrypted message is not a JSON object");
  }
}

TEST(message_codec, error_record_for_a_protocol_1_input) {
  error_description e;
  e.message = "boom";
  std::string record = encode_error_record(e, std::string_view(v1_body), 1, cipher());
  json::object parsed = json::parse(record).as_object();
  ASSERT_EQ(parsed.size(), 2u);
  auto it = parsed.begin();
  EXPECT_EQ(it->key(), "error");
  EXPECT_EQ((++it)->key(), "errorInput");
  // errorInput is the incoming body, unchanged.
  EXPECT_EQ(parsed.at("errorInput").as_string(), v1_body);
  // error is base64 of the encrypted {name, message, stack}, in that order.
  auto err = cipher().decrypt(*base64_decode(parsed.at("error").as_string()));
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, R"({"name":"Error","message":"boom","stack":"Not Available"})");
  EXPECT_EQ(record, R"({"error":")" + std::string(parsed.at("error").as_string()) +
                        R"(","errorInput":")" + v1_body + R"("})");
}

TEST(message_codec, error_record_for_a_protocol_2_input_is_base64) {
  error_description e{"TypeError", "bad", "TypeError: bad\n    at x"};
  json::object parsed = json::parse(encode_error_record(e, v2_body(), 2, cipher())).as_object();
  EXPECT_EQ(parsed.at("errorInput").as_string(), v1_body);
  auto err = cipher().decrypt(*base64_decode(parsed.at("error").as_string()));
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, R"({"name":"TypeError","message":"bad","stack":"TypeError: bad\n    at x"})");
}

TEST(message_codec, error_record_without_input) {
  error_description e;
  e.message = "startup failed";
  json::object parsed = json::parse(encode_error_record(e, std::nullopt, 1, cipher())).as_object();
  EXPECT_EQ(parsed.size(), 1u);
  EXPECT_TRUE(parsed.contains("error"));
  EXPECT_EQ(encode_error_payload(e, cipher()), parsed.at("error").as_string());
}

TEST(message_codec, decodes_an_error_record) {
  error_description e{"Error", "boom", "Error: boom"};
  auto r = decode_error_record(encode_error_record(e, std::string_view(v1_body), 1, cipher()), cipher());
  ASSERT_TRUE(r) << r.error().message;
  json::object expected{
      {"error", json::object{{"name", "Error"}, {"message", "boom"}, {"stack", "Error: boom"}}},
      {"errorInput", hello()}};
  EXPECT_EQ(*r, expected);
}

TEST(message_codec, error_record_keeps_other_fields_and_tolerates_missing_input) {
  error_description e;
  e.message = "x";
  std::string record = R"({"error":")" + encode_error_payload(e, cipher()) + R"(","extra":1})";
  auto r = decode_error_record(record, cipher());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at("extra"), 1);
  EXPECT_FALSE(r->contains("errorInput"));
  EXPECT_EQ(r->at("error").at("message"), "x");
}

TEST(message_codec, error_record_failures_name_the_field) {
  auto fails = [](std::string_view body, error code, const std::string& message) {
    auto r = decode_error_record(body, cipher());
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, make_error_code(code));
    EXPECT_EQ(r.error().message, message);
  };
  fails("", error::empty_message, "message body is empty");
  fails("[]", error::not_an_object, "error record is not a JSON object");
  fails(R"({"error":"@@@"})", error::invalid_base64, "error record field \"error\" is not valid base64");
  fails(R"({"error":42})", error::invalid_base64, "error record field \"error\" is not a string");
  message_cipher other("anotherPassword", "iv=any16_symbols");
  fails(R"({"error":"x","errorInput":")" + std::string(v1_body) + "\"}", error::invalid_base64,
        "error record field \"error\" is not valid base64");
  auto r = decode_error_record(R"({"errorInput":")" + std::string(v1_body) + "\"}", other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "could not decrypt error record field \"errorInput\" (wrong ELASTICIO_MESSAGE_CRYPTO_PASSWORD/IV?)");
  auto bad_json = decode_error_record("{", cipher());
  ASSERT_FALSE(bad_json);
  EXPECT_EQ(bad_json.error().message.rfind("error record is not valid JSON: ", 0), 0u);
}

TEST(message_codec, attach_reply_to_as_node_does) {
  json::object msg{{"body", json::object{}}};
  attach_reply_to(msg, json::object{{"reply_to", "rk.reply"}});
  EXPECT_EQ(msg.at("headers"), (json::object{{"reply_to", "rk.reply"}}));

  json::object plain{{"body", json::object{}}, {"headers", json::object{{"a", "b"}}}};
  attach_reply_to(plain, json::object{{"messageId", "M1"}});
  EXPECT_EQ(plain.at("headers"), (json::object{{"a", "b"}}));

  json::object null_headers{{"headers", nullptr}};
  attach_reply_to(null_headers, json::object{});
  EXPECT_EQ(null_headers.at("headers"), json::object{});
}

// --- base64 (lib/util/base64): the table-driven codec against a plain one ---

// The straightforward codec base64 had before (one character at a time).
std::string reference_base64_encode(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int shift : {18, 12, 6, 0}) out.push_back(alphabet[v >> shift & 63]);
  }
  if (bytes.size() - i == 1) {
    std::uint32_t v = at(i) << 16;
    out += {alphabet[v >> 18 & 63], alphabet[v >> 12 & 63], '=', '='};
  } else if (bytes.size() - i == 2) {
    std::uint32_t v = at(i) << 16 | at(i + 1) << 8;
    out += {alphabet[v >> 18 & 63], alphabet[v >> 12 & 63], alphabet[v >> 6 & 63], '='};
  }
  return out;
}

std::optional<std::string> reference_base64_decode(std::string_view text) {
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=') {
        if (!last || k < 2) return std::nullopt;
        ++pad;
        v <<= 6;
        continue;
      }
      if (pad > 0) return std::nullopt;
      auto d = alphabet.find(c);
      if (d == std::string_view::npos) return std::nullopt;
      v = v << 6 | static_cast<std::uint32_t>(d);
    }
    out.push_back(static_cast<char>(v >> 16 & 0xff));
    if (pad < 2) out.push_back(static_cast<char>(v >> 8 & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xff));
  }
  return out;
}

TEST(base64, round_trips_every_length_up_to_64_and_every_byte) {
  std::mt19937 rng(42);
  for (std::size_t n = 0; n <= 64; ++n) {
    for (int round = 0; round < 20; ++round) {
      std::string bytes(n, '\0');
      for (std::size_t k = 0; k < n; ++k) {
        // Round 0: every byte value in turn; then random bytes.
        bytes[k] = static_cast<char>(round == 0 ? (k * 37 + n) & 0xff : rng() & 0xff);
      }
      const std::string text = base64_encode(bytes);
      ASSERT_EQ(text, reference_base64_encode(bytes)) << n;
      ASSERT_EQ(text.size(), (n + 2) / 3 * 4) << n;
      auto back = base64_decode(text);
      ASSERT_TRUE(back) << n;
      ASSERT_EQ(*back, bytes) << n;
    }
  }
  std::string all(256, '\0');
  for (int b = 0; b < 256; ++b) all[static_cast<std::size_t>(b)] = static_cast<char>(b);
  EXPECT_EQ(base64_encode(all), reference_base64_encode(all));
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_decode(""), std::string());
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYg=="), std::string("foob"));
}

TEST(base64, canonical_text_decodes_as_before_and_anything_else_is_not_canonical) {
  // What the strict decoder refused now decodes as Node decodes it (spec/util/base64_test.cpp);
  // is_canonical_base64 keeps the strict verdict, which the codec uses to name a failure.
  for (std::string_view bad : {"A", "AB", "ABC", "ABCDE", "====", "A===", "=AAA", "A=AA", "AB=A", "A=B=",
                               "AA==AAAA", "AAA=AAAA", "AB C", "AB\nC", "ABC\0", "AB-_", "AAAA====",
                               "Zm9v YmFy", "Zm9vYmFy\n", "\xff\xfe\xfd\xfc"}) {
    EXPECT_FALSE(is_canonical_base64(bad)) << bad;
    EXPECT_FALSE(reference_base64_decode(bad)) << bad;  // the same rules as before
    EXPECT_TRUE(base64_decode(bad)) << bad;
  }
  // Whatever four characters: where the plain strict decoder decodes, the same bytes; where it
  // refuses, not canonical (every character in every position of a last quantum, padding included).
  const std::string chars = "AZaz09+/=-_ \x80.";
  for (char a : chars)
    for (char b : chars)
      for (char c : chars)
        for (char d : chars) {
          for (std::string prefix : {"", "QUJD"}) {
            const std::string text = prefix + std::string{a, b, c, d};
            auto reference = reference_base64_decode(text);
            ASSERT_EQ(is_canonical_base64(text), reference.has_value()) << text;
            if (reference) {
              ASSERT_EQ(base64_decode(text), reference) << text;
            }
          }
        }
}

// --- encode/decode with the per-thread buffers, the reused parser and in-place decryption ---

TEST(message_codec, encoded_plaintext_is_what_node_json_stringify_writes_byte_for_byte) {
  // Escapes, non-ASCII, numbers of every kind, an array-index key, nesting, and sizes across
  // the first buffer size (512) and beyond; then a small one again on the same thread. The
  // expected texts are Node 20's JSON.stringify of the same objects.
  std::string control;
  for (int c = 0; c < 0x20; ++c) control.push_back(static_cast<char>(c));
  control += "\"\\/\x7f é ✓";
  struct row {
    json::object payload;
    std::string node;
  };
  std::vector<row> rows = {
      {json::object{}, "{}"},
      {hello(), R"({"body":{"hello":"world"}})"},
      {json::object{{"s", control}, {"i", -42}, {"u", std::uint64_t{18446744073709551615ull}},
                    {"d", 99.5}, {"e", 1e-300}, {"t", true}, {"f", false}, {"n", nullptr},
                    {"a", json::array{1, "x", json::array{}, json::object{}}}, {"x21", 1e21},
                    {"m7", 1e-7}, {"neg0", -0.0}, {"big", std::int64_t{9007199254740993}},
                    {"2", "index key"}},
       R"({"2":"index key","s":"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r)"
       R"(\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b)"
       R"(\u001c\u001d\u001e\u001f\"\\/)" "\x7f é ✓"
       R"(","i":-42,"u":18446744073709552000,"d":99.5,"e":1e-300,"t":true,"f":false,"n":null,)"
       R"("a":[1,"x",[],{}],"x21":1e+21,"m7":1e-7,"neg0":0,"big":9007199254740992})"},
      {json::object{{"big", std::string(5000, 'x')}, {"nested", json::object{{"deeper", json::object{{"k", "v"}}}}}},
       R"({"big":")" + std::string(5000, 'x') + R"(","nested":{"deeper":{"k":"v"}}})"},
      {json::object{{"huge", std::string(3u << 20, 'y')}},  // over the kept-buffer limit
       R"({"huge":")" + std::string(3u << 20, 'y') + R"("})"},
      {hello(), R"({"body":{"hello":"world"}})"},
  };
  for (const auto& r : rows) {
    for (int version : {1, 2}) {
      const std::string body = encode_message(r.payload, version, cipher());
      std::string ciphertext = version < 2 ? *base64_decode(body) : body;
      auto plain = cipher().decrypt(ciphertext);
      ASSERT_TRUE(plain);
      ASSERT_EQ(*plain, r.node) << version;
      auto back = decode_message(body, version, cipher());
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(*back, json::parse(r.node)) << version;
    }
  }
}

std::string nested_objects(std::size_t depth) {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i) s += R"({"k":)";
  s += "[]";
  s += std::string(depth, '}');
  return s;
}

std::size_t object_depth(const json::value& v) {
  std::size_t depth = 0;
  for (const json::value* p = &v; p->is_object(); p = &p->get_object().at("k")) ++depth;
  return depth;
}

TEST(message_codec, decodes_bodies_nested_32_33_and_1000_levels_as_node_does) {
  // Boost.JSON's default parser stops at 32 levels; Node's JSON.parse takes these.
  for (std::size_t depth : {std::size_t{31}, std::size_t{32}, std::size_t{33}, std::size_t{1000}}) {
    const std::string plain = R"({"id":"deep","body":)" + nested_objects(depth) + "}";
    for (int version : {1, 2}) {
      const std::string ciphertext = cipher().encrypt(plain);
      auto back = decode_message(version < 2 ? base64_encode(ciphertext) : ciphertext, version, cipher());
      ASSERT_TRUE(back) << depth << ": " << back.error().message;
      EXPECT_EQ(object_depth(back->at("body")), depth);
    }
  }
  // A message deeper than the reader's limit is still refused, naming why.
  auto too_deep = decode_message(base64_encode(cipher().encrypt(R"({"body":)" + nested_objects(json_max_depth) + "}")),
                                 1, cipher());
  ASSERT_FALSE(too_deep);
  EXPECT_EQ(too_deep.error().code, make_error_code(error::invalid_json));
  EXPECT_EQ(too_deep.error().message, "decrypted message is not valid JSON: too deep");
}

TEST(message_codec, decodes_lone_surrogates_as_the_replacement_character) {
  // What Node's JSON.stringify writes for a string that cut an emoji in half.
  const std::string plain = R"({"body":{"cut":"ab\ud83d","low":"\udc00x","pair":"\ud83d\ude00"},"headers":{}})";
  auto back = decode_message(base64_encode(cipher().encrypt(plain)), 1, cipher());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->at("body").at("cut").as_string(), "ab\xEF\xBF\xBD");
  EXPECT_EQ(back->at("body").at("low").as_string(), "\xEF\xBF\xBDx");
  EXPECT_EQ(back->at("body").at("pair").as_string(), "\xF0\x9F\x98\x80");
  // And so does an error record's errorInput.
  json::object record{{"errorInput", base64_encode(cipher().encrypt(plain))}};
  auto decoded = decode_error_record(json::serialize(record), cipher());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->at("errorInput").at("body").at("cut").as_string(), "ab\xEF\xBF\xBD");
}

TEST(message_codec, decodes_unpadded_and_line_wrapped_base64_as_node_does) {
  std::string text = base64_encode(cipher().encrypt(R"({"body":{"text":")" + std::string(200, 'z') + R"("}})"));
  std::string wrapped;
  for (std::size_t i = 0; i < text.size(); i += 76) wrapped += text.substr(i, 76) + "\n";
  while (text.back() == '=') text.pop_back();
  for (const std::string& body : {text, wrapped}) {
    auto back = decode_message(body, 1, cipher());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->at("body").at("text").as_string(), std::string(200, 'z'));
  }
}

TEST(message_codec, error_payloads_and_records_are_written_as_node_writes_them) {
  error_description e{"Error", "bad \"thing\"\n\x01", "stack\tline"};
  const std::string payload = encode_error_payload(e, cipher());
  auto plain = cipher().decrypt(*base64_decode(payload));
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, R"({"name":"Error","message":"bad \"thing\"\n\u0001","stack":"stack\tline"})");
}

TEST(message_codec, decoding_after_a_failure_on_the_same_thread_is_unaffected) {
  // The parser and the cipher context are per thread and reused: a failed
  // message (bad JSON half way, wrong key) must not leak into the next one.
  const message_cipher other("anotherPassword", "iv=any16_symbols");
  for (int i = 0; i < 3; ++i) {
    auto half = decode_message(base64_encode(cipher().encrypt(R"({"body":{"hel)")), 1, cipher());
    ASSERT_FALSE(half);
    EXPECT_EQ(half.error().code, make_error_code(error::invalid_json));
    auto wrong = decode_message(encode_message(hello(), 1, other), 1, cipher());
    ASSERT_FALSE(wrong);
    auto ok = decode_message(v1_body, 1, cipher());
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(*ok, hello());
  }
}

TEST(message_codec, threads_encode_and_decode_independently) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        json::object msg{{"thread", t}, {"i", i}, {"pad", std::string(static_cast<std::size_t>(i), 'p')}};
        int version = 1 + i % 2;
        auto back = decode_message(encode_message(msg, version, cipher()), version, cipher());
        if (!back || *back != msg) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace oauth2_rest::sail
