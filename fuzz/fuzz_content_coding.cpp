// libFuzzer target: Content-Encoding decoding (http::decode_response_content, decode_content), the
// bytes a server compresses. Input: the Content-Encoding value, '\n', the body.
// Invariants: a decoded body is never over the limit; on success Content-Encoding and
// Content-Length are gone (when something was decoded), on failure the response is unchanged and
// the message names Content-Encoding; each coding read directly stays within its limit; and the
// body gzipped, zlib- and raw-deflated by zlib decodes back to itself.
#include "fuzz_support.hpp"
#include "http/content_coding.hpp"

#include <zlib.h>

using namespace oauth2_rest;
using oauth2_rest::fuzz::fuzz_check;

namespace {

// Small, so that bombs in the corpus hit the limit quickly.
constexpr std::size_t limit = 256 * 1024;

std::string deflate_with(std::string_view in, int window_bits) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) fuzz::fuzz_fail("deflateInit2");
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  deflateEnd(&z);
  fuzz_check(rc == Z_STREAM_END, "deflate did not finish");
  out.resize(z.total_out);
  return out;
}

bool has_header(const http::response& r, std::string_view name) {
  for (const auto& h : r.headers)
    if (h.name.size() == name.size() &&
        std::equal(h.name.begin(), h.name.end(), name.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); }))
      return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [coding, body] = fuzz::split_line(fuzz::as_view(data, size));

  http::response r;
  r.status = 200;
  r.headers = {{"Content-Type", "application/json"},
               {"Content-Encoding", std::string(coding)},
               {"Content-Length", std::to_string(body.size())}};
  r.body = std::string(body);
  const http::response before = r;
  auto decoded = http::decode_response_content(r, limit);
  if (decoded) {
    fuzz_check(r.body.size() <= limit || r.body == before.body, "decoded body over the limit");
    if (r.body != before.body || r.headers.size() != before.headers.size()) {
      fuzz_check(!has_header(r, "Content-Encoding") && !has_header(r, "Content-Length"),
                 "decoded, yet Content-Encoding or Content-Length is still there");
      fuzz_check(has_header(r, "Content-Type"), "Content-Type removed");
    }
  } else {
    fuzz_check(r.body == before.body && r.headers.size() == before.headers.size(), "a failure changed the response");
    fuzz_check(decoded.error().message.find("Content-Encoding") != std::string::npos, "message does not name Content-Encoding");
  }

  for (const char* name : {"gzip", "deflate", "br"}) {
    auto one = http::decode_content(name, body, limit);
    if (one) fuzz_check(one->size() <= limit, "decode_content over the limit");
    else fuzz_check(one.error().message.find(name) != std::string::npos, "message does not name the coding");
  }

  if (body.size() <= limit) {
    for (int window_bits : {15 + 16, 15, -15}) {
      auto back = http::decode_content(window_bits > 15 ? "gzip" : "deflate", deflate_with(body, window_bits), limit);
      fuzz_check(back.has_value() && *back == body, "zlib's own output does not decode back to the input");
    }
  }
  return 0;
}
