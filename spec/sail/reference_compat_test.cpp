// Wire compatibility with the reference Node runtime (elasticio-sailor-nodejs
// 2.7.8): its own encryptor and AMQP codec run under node on the same inputs,
// and we compare bytes. Needs node and OAUTH2_REST_REFERENCE_RUNTIME = the npm
// prefix that scripts/install-reference-runtime.sh installed into.
#include "sail/message_codec.hpp"
#include "sail/outgoing_headers.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace oauth2_rest::sail {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* password = "testCryptoPassword";
constexpr const char* iv = "iv=any16_symbols";

// Non-ASCII in several scripts and an astral-plane character, nested.
const char* payload_text =
    R"({"id":"b8a3c7a0-6a1e-4f4b-9d59-5b7e3f0e6c11","body":{"text":"Grüße, Kraków — 世界 ✓ 😀","n":42,"list":[1,"ü",{"k":"ß"}]},"headers":{"x-custom":"é"}})";

std::string quote(std::string_view arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class reference_compat : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("OAUTH2_REST_REFERENCE_RUNTIME");
    if (dir == nullptr || *dir == '\0') {
      FAIL() << "OAUTH2_REST_REFERENCE_RUNTIME is not set. Install the reference runtime with "
                "scripts/install-reference-runtime.sh <dir> and set OAUTH2_REST_REFERENCE_RUNTIME=<dir>.";
    }
    prefix_ = dir;
    if (!fs::exists(prefix_ / "node_modules/elasticio-sailor-nodejs/lib/encryptor.js")) {
      FAIL() << "OAUTH2_REST_REFERENCE_RUNTIME=" << prefix_
             << " holds no elasticio-sailor-nodejs; run scripts/install-reference-runtime.sh " << prefix_;
    }
  }

  // Runs crypto_compat.js; stdout on success, a test failure (with node's stderr) otherwise.
  std::string node(const std::string& command, const std::vector<std::string>& args,
                   std::string_view input) {
    testing::temp_dir tmp;
    {
      std::ofstream in(tmp.path() / "stdin", std::ios::binary);
      in.write(input.data(), static_cast<std::streamsize>(input.size()));
    }
    std::string line = "node " + quote(OAUTH2_REST_SAIL_REFERENCE_DIR "/crypto_compat.js") + " " +
                       quote(prefix_.string()) + " " + quote(command) + " " + quote(password) + " " +
                       quote(iv);
    for (const auto& a : args) line += " " + quote(a);
    line += " < " + quote((tmp.path() / "stdin").string()) + " > " +
            quote((tmp.path() / "stdout").string()) + " 2> " + quote((tmp.path() / "stderr").string());
    int rc = std::system(line.c_str());
    if (rc != 0) {
      ADD_FAILURE() << "node " << command << " failed (" << rc << "): " << read_file(tmp.path() / "stderr");
      return {};
    }
    return read_file(tmp.path() / "stdout");
  }

  const message_cipher cipher_{password, iv};
  fs::path prefix_;
};

json::object payload() { return json::parse(payload_text).as_object(); }

TEST_F(reference_compat, reference_encrypts_we_decrypt) {
  for (auto [encoding, version] : {std::pair{"base64", 1}, std::pair{"raw", 2}}) {
    SCOPED_TRACE(encoding);
    std::string body = node("encrypt", {encoding}, payload_text);
    ASSERT_FALSE(body.empty());
    auto decoded = decode_message(body, version, cipher_);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, payload());
    // Same JSON text, same key and IV: the bodies are byte-identical.
    EXPECT_EQ(encode_message(payload(), version, cipher_), body);
  }
}

TEST_F(reference_compat, we_encrypt_reference_decrypts) {
  for (auto [encoding, version] : {std::pair{"base64", 1}, std::pair{"raw", 2}}) {
    SCOPED_TRACE(encoding);
    std::string text = node("decrypt", {encoding}, encode_message(payload(), version, cipher_));
    EXPECT_EQ(text, payload_text);
    EXPECT_EQ(json::parse(text), payload());
  }
}

TEST_F(reference_compat, reference_amqp_decodes_our_messages_by_protocol_header) {
  for (int version : {1, 2}) {
    SCOPED_TRACE(version);
    json::object headers{{"protocolVersion", version}, {"reply_to", "rk.reply"}};
    std::string text = node("decode", {"default", json::serialize(headers)},
                            encode_message(payload(), version, cipher_));
    json::object ours = *decode_message(encode_message(payload(), version, cipher_),
                                        protocol_version_of(headers), cipher_);
    attach_reply_to(ours, headers);
    EXPECT_EQ(json::parse(text), ours);
  }
}

TEST_F(reference_compat, data_bodies_match_reference_send_data) {
  for (int version : {1, 2}) {
    SCOPED_TRACE(version);
    EXPECT_EQ(node("send-data", {std::to_string(version)}, payload_text),
              encode_message(payload(), version, cipher_));
  }
}

TEST_F(reference_compat, error_records_match_reference_send_error) {
  error_description e{"TypeError", "kaputt: Größe ✗", "TypeError: kaputt\n    at step (x.js:1:2)"};
  json::object err{{"name", e.name}, {"message", e.message}, {"stack", e.stack}};
  for (int version : {1, 2}) {
    SCOPED_TRACE(version);
    std::string input = encode_message(payload(), version, cipher_);
    json::object headers{{"messageId", "M1"}, {"protocolVersion", version}};
    std::string reference =
        node("send-error", {json::serialize(headers), json::serialize(err)}, input);
    EXPECT_EQ(encode_error_record(e, std::string_view(input), version, cipher_), reference);
  }
  // A start-up error has no input.
  EXPECT_EQ(node("send-error", {"{}", json::serialize(err)}, ""),
            encode_error_record(e, std::nullopt, 1, cipher_));
}

TEST_F(reference_compat, reference_error_handler_decodes_our_error_records) {
  error_description e{"Error", "boom ü", "Error: boom ü\n    at here"};
  std::string record = encode_error_record(e, encode_message(payload(), 1, cipher_), 1, cipher_);
  std::string text = node("decode", {"error", R"({"messageId":"M2"})"}, record);
  json::object reference = json::parse(text).as_object();
  auto ours = decode_error_record(record, cipher_);
  ASSERT_TRUE(ours) << ours.error().message;
  EXPECT_EQ(reference.at("body"), *ours);
  EXPECT_EQ(ours->at("error"),
            (json::object{{"name", "Error"}, {"message", "boom ü"}, {"stack", "Error: boom ü\n    at here"}}));
  EXPECT_EQ(ours->at("errorInput"), payload());
}

}  // namespace
}  // namespace oauth2_rest::sail
