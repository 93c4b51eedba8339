// base64_decode: as lenient as Node's Buffer.from(text, "base64") on the text of a message
// (the reference runtime decodes the AMQP body to a string first). The table is Node 20's output;
// json_node_compat_test.cpp compares with node itself on random texts.
#include "util/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace oauth2_rest {
namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

TEST(base64_decode, decodes_what_node_decodes) {
  struct row {
    const char* text_hex;   // the text's UTF-8 bytes
    const char* bytes_hex;  // Buffer.from(Buffer.from(text_hex, "hex").toString(), "base64")
  };
  const row rows[] = {
      {"", ""},
      {"51", ""},
      {"5151", "41"},
      {"51513d", "41"},
      {"51513d3d", "41"},
      {"51513d3d3d", "41"},
      {"515549", "4142"},
      {"51554a44", "414243"},
      {"51554a445241", "41424344"},
      {"51554a44524555", "4142434445"},
      {"51554a4452", "414243"},
      {"5a67", "66"},
      {"5a6d38", "666f"},
      {"5a6d39765967", "666f6f62"},
      {"5a6d3976596d45", "666f6f6261"},
      {"51554a440a52413d3d", "41424344"},
      {"5a6d39760d0a596d4679", "666f6f626172"},
      {"5a6d397609596d4679", "666f6f626172"},
      {"5a6d3976596d46790a", "666f6f626172"},
      {"20512055204a204420", "414243"},
      {"5a6d397620596d4679", "666f6f626172"},
      {"51554a443d51554a44", "414243"},
      {"51513d3d51554a44", "41"},
      {"51554a443d3d3d3d", "414243"},
      {"3d51554a44", ""},
      {"413d3d3d", ""},
      {"41423d41", "00"},
      {"4141413d41414141", "0000"},
      {"41413d3d41414141", "00"},
      {"3d3d3d3d", ""},
      {"51554a2d5f77", "41427eff"},
      {"51554a2b2f773d3d", "41427eff"},
      {"51554a2d2f77", "41427eff"},
      {"51523d3d", "41"},
      {"5152", "41"},
      {"512155404a2344", "414243"},
      {"51554a442e", "414243"},
      {"2e2e2e2e", ""},
      {"6e6f742062617365363421", "9e8b5b6ac7ba"},
      {"404040", ""},
      {"78", ""},
      {"41424300", "0010"},
      {"5155004a44", "414243"},
      {"c3a951554a44", "414243"},
      {"5155c3bf4a44", "414243"},
      {"51554ac581", "414240"},
      {"5155c5813d", "4140"},
      {"51554ac58151554a44", "414240414243"},
      {"5155e4b9814a44", "414009"},
      {"5155f09f98804a44", "41"},
      {"51f09f9880554a44", ""},
      {"51f0a09080554a44", "400509"},
      {"51554a44f090808051554a44", "414243414243"},
      {"51554a44efbfbd51554a44", "414243414243"},
      {"51554a44ff5155", "41424341"},
      {"5155e2825155", "414414"},
      {"5155e28241", "4140"},
      {"5155c04151", "414010"},
      {"51f0908051554a44", "410509"},
      {"5155f4908080414141", "414000"},
      {"5155eda0805155", "414414"},
      {"5155e2c3a94a44", "414243"},
  };
  for (const auto& r : rows) {
    const std::string text = from_hex(r.text_hex);
    auto bytes = base64_decode(text);
    ASSERT_TRUE(bytes) << r.text_hex;
    EXPECT_EQ(to_hex(*bytes), r.bytes_hex) << "text " << r.text_hex;
    std::string into = "previous content";
    base64_decode_into(text, into);
    EXPECT_EQ(to_hex(into), r.bytes_hex) << "text " << r.text_hex;
  }
}

TEST(base64_decode, line_wrapped_and_unpadded_output_of_other_encoders) {
  const std::string bytes = "The quick brown fox jumps over the lazy dog, twice: the quick brown fox.";
  const std::string text = base64_encode(bytes);
  std::string wrapped;
  for (std::size_t i = 0; i < text.size(); i += 76) wrapped += text.substr(i, 76) + "\r\n";
  EXPECT_EQ(base64_decode(wrapped), bytes);
  std::string unpadded = text;
  while (unpadded.back() == '=') unpadded.pop_back();
  EXPECT_EQ(base64_decode(unpadded), bytes);
  std::string url = unpadded;
  for (auto& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
  EXPECT_EQ(base64_decode(url), bytes);
}

TEST(base64_decode, canonical_base64_is_recognised) {
  for (std::string_view good : {"", "QQ==", "QUI=", "QUJD", "Zm9vYmFy", "QUJ+/w=="})
    EXPECT_TRUE(is_canonical_base64(good)) << good;
  for (std::string_view bad :
       {"Q", "QQ", "QQ=", "QUJD\n", " QUJD", "QUJ-_w==", "QQ==QUJD", "====", "A===", "@@@@", "QR=A"})
    EXPECT_FALSE(is_canonical_base64(bad)) << bad;
}

}  // namespace
}  // namespace oauth2_rest
