// message_codec: protocol 1 and 2 bodies, decode failures by stage, error records.
#include "sail/message_codec.hpp"

#include "sail/error.hpp"
#include "util/base64.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace oauth2_rest::sail
