// Compressing test bodies as servers do: gzip, zlib and raw deflate (zlib), br (libbrotlienc), and
// a gzip bomb streamed from zeros. Header-only, so the suites that use it link zlib and
// libbrotlienc themselves and oauth2_rest_spec_support (the demo server's library) stays as it is.
#pragma once

#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace oauth2_rest::testing {

enum class deflate_format { gzip, zlib, raw };

namespace detail {

// Streams `next` (called until it returns an empty view) through deflate into one string.
template <class Next>
std::string deflate_stream(deflate_format format, int level, int strategy, Next&& next) {
  const int window_bits = format == deflate_format::gzip ? 15 + 16 : format == deflate_format::zlib ? 15 : -15;
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, window_bits, 9, strategy) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out;
  std::vector<unsigned char> chunk(64 * 1024);
  for (bool last = false; !last;) {
    std::string_view in = next();
    last = in.empty();
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    do {
      z.next_out = chunk.data();
      z.avail_out = static_cast<uInt>(chunk.size());
      if (deflate(&z, last ? Z_FINISH : Z_NO_FLUSH) == Z_STREAM_ERROR) {
        deflateEnd(&z);
        throw std::runtime_error("deflate failed");
      }
      out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

}  // namespace detail

inline std::string deflate_bytes(std::string_view in, deflate_format format, int level = Z_DEFAULT_COMPRESSION) {
  bool given = false;
  return detail::deflate_stream(format, level, Z_DEFAULT_STRATEGY, [&]() -> std::string_view {
    if (given) return {};
    given = true;
    return in;
  });
}

inline std::string gzip(std::string_view in) { return deflate_bytes(in, deflate_format::gzip); }

inline std::string brotli(std::string_view in, int quality = 5) {
  std::string out(BrotliEncoderMaxCompressedSize(in.size()) + 64, '\0');
  std::size_t size = out.size();
  if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, in.size(),
                             reinterpret_cast<const std::uint8_t*>(in.data()), &size,
                             reinterpret_cast<std::uint8_t*>(out.data())))
    throw std::runtime_error("BrotliEncoderCompress failed");
  out.resize(size);
  return out;
}

// gzip of `size` zero bytes, compressed a megabyte at a time (the zeros are never held): 1 GiB of
// zeros is about 1 MB of gzip (deflate's best ratio is about 1032:1), a decompression bomb.
inline std::string gzip_of_zeros(std::uint64_t size) {
  const std::string zeros(1024 * 1024, '\0');
  std::uint64_t left = size;
  // Z_RLE: a run of zeros is all distance-1 matches, found at once; the same ratio as level 9.
  return detail::deflate_stream(deflate_format::gzip, 9, Z_RLE, [&]() -> std::string_view {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
    left -= n;
    return std::string_view(zeros.data(), n);
  });
}

}  // namespace oauth2_rest::testing
