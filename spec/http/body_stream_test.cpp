// The HTTP client's streaming paths (body_stream.hpp) against a real loopback server: request
// bodies from a source (Content-Length or chunked, sent again on a retry), response bodies into a
// sink in pieces (bounded by max_response_body, a followed redirect's body kept out of it).
#include "http/body_stream.hpp"
#include "http/http_client.hpp"
#include "support/async_run.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

namespace {

namespace asio = boost::asio;
using namespace oauth2_rest;
using namespace oauth2_rest::testing;
using verb = boost::beast::http::verb;

// A source of unknown size (chunked), handing out `pieces` copies of `text`.
class repeating_source final : public http::body_source {
 public:
  repeating_source(std::string text, int pieces) : text_(std::move(text)), pieces_(pieces) {}
  std::optional<std::uint64_t> size() const override { return std::nullopt; }
  result<std::size_t> read(char* buf, std::size_t n) override {
    if (given_ >= pieces_) return std::size_t{0};
    ++given_;
    const std::size_t len = std::min(n, text_.size());
    std::copy_n(text_.data(), len, buf);
    return len;
  }
  status rewind() override {
    given_ = 0;
    ++rewinds;
    return ok;
  }
  int rewinds = 0;

 private:
  std::string text_;
  int pieces_;
  int given_ = 0;
};

class memory_sink final : public http::body_sink {
 public:
  status write(std::string_view piece) override {
    if (fail) return failure{make_error_code(boost::system::errc::no_space_on_device), "disk full"};
    data.append(piece);
    ++writes;
    return ok;
  }
  status reset() override {
    data.clear();
    return ok;
  }
  std::string data;
  int writes = 0;
  bool fail = false;
};

std::string big_text(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

class body_stream_test : public ::testing::Test {
 protected:
  asio::io_context io;
  http::client client{io.get_executor()};

  result<http::response> send(http::request req, http::request_options options = {}) {
    return run_async(io, client.send(std::move(req), options));
  }
};

TEST_F(body_stream_test, a_source_of_unknown_size_is_sent_chunked) {
  http_server server([](const recorded_request& r) { return reply::text(200, std::to_string(r.body.size())); });
  auto source = std::make_shared<repeating_source>("0123456789", 5);
  http::request req{verb::post, server.base_url() + "/up", {{"Content-Length", "3"}}, {}};
  req.body_stream = source;
  auto r = send(std::move(req));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "50") << "the answer to a streamed request is read as usual";
  auto seen = server.requests().at(0);
  EXPECT_EQ(seen.body, "01234567890123456789012345678901234567890123456789");
  EXPECT_EQ(seen.header("Transfer-Encoding"), "chunked");
  EXPECT_FALSE(seen.has_header("Content-Length")) << "the caller's Content-Length is dropped";
}

TEST_F(body_stream_test, a_file_is_sent_with_its_length_and_in_full_each_time) {
  temp_dir dir;
  const std::string bytes = big_text(300'000);
  std::ofstream(dir.path() / "body.bin", std::ios::binary) << bytes;
  auto source = http::open_file_source(dir.path() / "body.bin");
  ASSERT_TRUE(source) << source.error().message;
  std::atomic<int> served{0};
  http_server server([&](const recorded_request&) {
    reply out = reply::text(200, "ok");
    out.drop_after = served++ == 0;  // the first connection dies in the pool unannounced: rewound, sent again
    return out;
  });
  for (int i = 0; i < 2; ++i) {
    http::request req{verb::put, server.base_url() + "/up", {}, {}};
    req.body_stream = *source;
    auto r = send(std::move(req));
    ASSERT_TRUE(r) << r.error().message;
  }
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  for (auto& s : seen) {
    EXPECT_EQ(s.header("Content-Length"), "300000");
    EXPECT_TRUE(s.body == bytes) << s.body.size();
  }
}

TEST_F(body_stream_test, a_response_body_goes_to_the_sink_in_pieces) {
  const std::string bytes = big_text(1'000'000);
  for (bool chunked : {false, true}) {
    http_server server([&](const recorded_request&) {
      reply out = reply::text(200, bytes, "application/octet-stream");
      out.chunked = chunked;
      return out;
    });
    memory_sink sink;
    http::request_options options;
    options.sink = &sink;
    auto r = send(http::request{verb::get, server.base_url() + "/big", {}, {}}, options);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_TRUE(r->body.empty());
    EXPECT_TRUE(sink.data == bytes) << sink.data.size();
    EXPECT_GE(sink.writes, static_cast<int>(bytes.size() / http::body_piece_size)) << "in pieces";
  }
}

TEST_F(body_stream_test, max_response_body_caps_what_reaches_the_sink) {
  http_server server([](const recorded_request& r) {
    reply out = reply::text(200, big_text(500'000));
    out.chunked = r.path() == "/chunked";
    return out;
  });
  for (const char* path : {"/plain", "/chunked"}) {
    memory_sink sink;
    http::request_options options;
    options.sink = &sink;
    options.max_response_body = 100'000;
    auto r = send(http::request{verb::get, server.base_url() + path, {}, {}}, options);
    ASSERT_FALSE(r) << path;
    EXPECT_EQ(r.error().code, http::error::body_too_large) << r.error().message;
    EXPECT_LE(sink.data.size(), 100'000u);
  }
}

TEST_F(body_stream_test, a_followed_redirect_keeps_its_body_out_of_the_sink) {
  http_server server([](const recorded_request& r) {
    if (r.path() == "/old") {
      reply out = reply::text(302, "moved, see /new");
      out.headers.push_back({"Location", "/new"});
      return out;
    }
    return reply::text(200, "the real body");
  });
  memory_sink sink;
  http::request_options options;
  options.sink = &sink;
  auto r = send(http::request{verb::get, server.base_url() + "/old", {}, {}}, options);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(sink.data, "the real body");
  EXPECT_EQ(r->url, server.base_url() + "/new");
}

TEST_F(body_stream_test, a_failing_sink_fails_the_request_naming_it) {
  http_server server([](const recorded_request&) { return reply::text(200, "data"); });
  memory_sink sink;
  sink.fail = true;
  http::request_options options;
  options.sink = &sink;
  auto r = send(http::request{verb::get, server.base_url() + "/x", {}, {}}, options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, http::error::body_stream_failed);
  EXPECT_NE(r.error().message.find("disk full"), std::string::npos) << r.error().message;
}

}  // namespace
