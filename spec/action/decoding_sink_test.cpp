// http::decoding_sink: Content-Encoding undone in pieces, the same bytes as the in-memory decoder.
#include "http/content_coding.hpp"
#include "http/decoding_sink.hpp"
#include "support/compression.hpp"

#include <gtest/gtest.h>

namespace oauth2_rest::http {
namespace {

class collect final : public body_sink {
 public:
  status write(std::string_view piece) override {
    data.append(piece);
    return ok;
  }
  status reset() override {
    data.clear();
    return ok;
  }
  std::string data;
};

// Feeds `body` in pieces of `piece` bytes; the outcome of start, the writes and finish.
status decode(const std::string& coding, const std::string& body, std::size_t piece, collect& out,
              std::size_t limit = 1 << 24) {
  decoding_sink sink(out, limit);
  status s = sink.start(200, {{"Content-Encoding", coding}});
  for (std::size_t at = 0; s && at < body.size(); at += piece) s = sink.write(std::string_view(body).substr(at, piece));
  if (s) s = sink.finish();
  return s;
}

std::string text(std::size_t n) {
  std::string s;
  while (s.size() < n) s += "attachment " + std::to_string(s.size()) + " ";
  return s;
}

TEST(decoding_sink, every_coding_in_any_piece_size_gives_the_content) {
  const std::string content = text(200'000);
  const std::pair<std::string, std::string> cases[] = {
      {"gzip", testing::gzip(content)},
      {"x-gzip", testing::gzip(content)},
      {"deflate", testing::deflate_bytes(content, testing::deflate_format::zlib)},
      {"deflate", testing::deflate_bytes(content, testing::deflate_format::raw)},
      {"br", testing::brotli(content)},
      {"gzip, br", testing::brotli(testing::gzip(content))},
      {"identity", content}};
  for (const auto& [coding, body] : cases)
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{65536}, body.size()}) {
      collect out;
      auto s = decode(coding, body, piece, out);
      ASSERT_TRUE(s) << coding << " in pieces of " << piece << ": " << s.error().message;
      EXPECT_TRUE(out.data == content) << coding << " in pieces of " << piece;
    }
}

TEST(decoding_sink, gzip_members_follow_each_other_and_garbage_after_the_end_is_ignored_to_the_end) {
  const std::string two = testing::gzip("one") + testing::gzip("two");
  for (std::size_t piece = 1; piece <= two.size(); ++piece) {
    collect out;
    ASSERT_TRUE(decode("gzip", two, piece, out));
    EXPECT_EQ(out.data, "onetwo") << piece;
  }
  const std::string garbage_then_member = testing::gzip("one") + std::string("\0\0", 2) + testing::gzip("two");
  for (std::size_t piece = 1; piece <= garbage_then_member.size(); ++piece) {
    collect out;
    ASSERT_TRUE(decode("gzip", garbage_then_member, piece, out));
    EXPECT_EQ(out.data, "one") << "as the in-memory decoder: nothing after the garbage, piece " << piece;
  }
}

TEST(decoding_sink, truncated_corrupt_unknown_and_too_large_are_errors_naming_the_coding) {
  const std::string content = text(100'000);
  collect out;
  std::string cut = testing::gzip(content);
  cut.resize(cut.size() / 2);
  auto s = decode("gzip", cut, 4096, out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, coding_error::truncated);
  EXPECT_NE(s.error().message.find("Content-Encoding gzip"), std::string::npos) << s.error().message;
  std::string br = testing::brotli(content);
  br.resize(br.size() - 3);
  s = decode("br", br, 100, out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, coding_error::truncated);
  s = decode("deflate", testing::deflate_bytes(content, testing::deflate_format::raw) + "xyz", 512, out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, coding_error::corrupt) << "raw deflate has no checksum: trailing bytes are corrupt";
  s = decode("gzip", "not gzip at all", 3, out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, coding_error::corrupt);
  s = decode("zstd", "x", 1, out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, coding_error::unsupported);
  collect bounded;
  s = decode("gzip", testing::gzip_of_zeros(8u << 20), 65536, bounded, 1 << 20);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, coding_error::too_large);
  EXPECT_LE(bounded.data.size(), 1u << 20) << "never more than the limit reaches the inner sink";
}

}  // namespace
}  // namespace oauth2_rest::http
