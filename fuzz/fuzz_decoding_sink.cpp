// libFuzzer target: http::decoding_sink (Content-Encoding undone in pieces) against the in-memory
// decoder (content_coding.hpp). Input: byte 0 picks the Content-Encoding, byte 1 the piece size
// (1..256), the rest is the body. Invariants: never more than the limit reaches the inner sink;
// when both decoders succeed they give the same bytes; a body the in-memory decoder rejects as
// too large is never accepted in pieces.
#include "fuzz_support.hpp"
#include "http/content_coding.hpp"
#include "http/decoding_sink.hpp"

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

namespace {

class collect final : public http::body_sink {
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static const char* codings[] = {"gzip", "x-gzip", "deflate", "br", "gzip, br", "identity", "zstd"};
  const std::string coding = codings[data[0] % 7];
  const std::size_t piece = 1 + data[1];
  const std::string_view body = fuzz::as_view(data + 2, size - 2);
  constexpr std::size_t limit = 1 << 20;

  collect inner;
  http::decoding_sink sink(inner, limit);
  status streamed = sink.start(200, {{"Content-Encoding", coding}});
  for (std::size_t at = 0; streamed && at < body.size(); at += piece)
    streamed = sink.write(body.substr(at, piece));
  if (streamed) streamed = sink.finish();
  fuzz_check(inner.data.size() <= limit, "more than the limit reached the sink");

  http::response r;
  r.headers = {{"Content-Encoding", coding}};
  r.body = std::string(body);
  const status whole = http::decode_response_content(r, limit);
  if (streamed && whole && !body.empty()) fuzz_check(inner.data == r.body, "pieces and whole body decode differently");
  if (!whole && whole.error().code == http::coding_error::too_large) fuzz_check(!streamed, "too large accepted in pieces");
  return 0;
}
