// Content-Encoding decoding (gzip, deflate with zlib; br with Brotli) into a bounded buffer.
#include "http/content_coding.hpp"

#include <brotli/decode.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <memory>

namespace oauth2_rest::http {
namespace {

// boost::system::error_category's destructor is protected and non-virtual by
// design (categories are never deleted through a base pointer).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class coding_error_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "oauth2_rest.content_coding"; }
  std::string message(int ev) const override {
    switch (static_cast<coding_error>(ev)) {
      case coding_error::unsupported: return "unsupported content coding";
      case coding_error::corrupt: return "corrupt compressed body";
      case coding_error::truncated: return "truncated compressed body";
      case coding_error::too_large: return "decoded body too large";
      case coding_error::too_many_codings: return "too many stacked content codings";
    }
    return "unknown content coding error";
  }
};
#pragma GCC diagnostic pop

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim_ows(std::string_view v) noexcept {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

enum class coding { identity, gzip, deflate, br, unknown };

coding coding_of(std::string_view token) noexcept {
  if (iequals(token, "gzip") || iequals(token, "x-gzip")) return coding::gzip;
  if (iequals(token, "deflate")) return coding::deflate;
  if (iequals(token, "br")) return coding::br;
  if (iequals(token, "identity")) return coding::identity;
  return coding::unknown;
}

failure fail(coding_error e, std::string message) { return failure{make_error_code(e), std::move(message)}; }

std::string prefix(std::string_view name) { return "Content-Encoding " + std::string(name) + ": "; }

failure too_large(std::string_view name, std::size_t limit) {
  return fail(coding_error::too_large,
              prefix(name) + "the decoded body is larger than the limit of " + std::to_string(limit) + " bytes");
}

// The decoded bytes: grown geometrically, never past limit + 1 bytes (the one byte more shows
// that the body is over the limit without decoding any further).
class bounded_output {
 public:
  // expected: the decoded size the data announces (gzip's ISIZE), 0 when unknown. Only a first
  // guess: a wrong one costs a regrowth, and at most the ceiling is ever allocated.
  bounded_output(std::size_t limit, std::size_t input_size, std::size_t expected = 0)
      : limit_(limit), ceiling_(limit == std::numeric_limits<std::size_t>::max() ? limit : limit + 1) {
    // Without an announced size, a guess from the input (JSON compresses about 5 to 10 times),
    // at least 16 KiB; +1 so that an announced size that is right needs no regrowth to see the end.
    const std::size_t guess = expected != 0 ? expected + 1
                              : input_size > ceiling_ / 4 ? ceiling_
                                                          : std::max<std::size_t>(16 * 1024, input_size * 4);
    initial_ = std::min(ceiling_, guess);
  }

  // Free space to decode into; empty when the ceiling is reached.
  std::pair<char*, std::size_t> space() {
    if (used_ == buffer_.size()) {
      if (buffer_.size() >= ceiling_) return {nullptr, 0};
      const std::size_t size = buffer_.empty() ? initial_
                               : buffer_.size() > ceiling_ / 2 ? ceiling_
                                                               : std::min(ceiling_, buffer_.size() * 2);
      // A fresh string asked for `size` gets exactly that; growing this one in place would round
      // the capacity up to twice the old one, past the ceiling.
      std::string next;
      next.reserve(size);
      next.append(buffer_.data(), used_);
      next.resize(size);
      buffer_.swap(next);
    }
    return {buffer_.data() + used_, buffer_.size() - used_};
  }
  void commit(std::size_t n) noexcept { used_ += n; }
  bool over_limit() const noexcept { return used_ > limit_; }
  std::string take() && {
    buffer_.resize(used_);
    return std::move(buffer_);
  }

 private:
  std::size_t limit_;
  std::size_t ceiling_;
  std::size_t initial_ = 0;
  std::string buffer_;
  std::size_t used_ = 0;
};

bool is_gzip_member_start(const unsigned char* p, std::size_t n) noexcept { return n >= 2 && p[0] == 0x1F && p[1] == 0x8B; }

// RFC 1950 2.2: CM 8 (deflate), a window of at most 32 KiB, and the check bits.
bool looks_like_zlib(std::string_view in) noexcept {
  if (in.size() < 2) return false;
  const auto cmf = static_cast<unsigned char>(in[0]);
  const auto flg = static_cast<unsigned char>(in[1]);
  return (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

// window_bits: 15 + 16 gzip, 15 zlib, -15 raw deflate.
result<std::string> inflate_body(std::string_view in, int window_bits, std::string_view name, std::size_t limit) {
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK)
    return failure{make_error_code(boost::system::errc::not_enough_memory), prefix(name) + "could not start zlib"};
  const std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
  const bool gzip = window_bits > 15;
  const std::string_view format = gzip ? "gzip" : window_bits > 0 ? "zlib" : "deflate";

  // RFC 1952 2.3.1: a gzip member ends with its decoded size modulo 2^32 (ISIZE).
  std::size_t announced = 0;
  if (gzip && in.size() >= 18) {
    const auto* end = reinterpret_cast<const unsigned char*>(in.data() + in.size());
    announced = std::size_t{end[-4]} | std::size_t{end[-3]} << 8 | std::size_t{end[-2]} << 16 | std::size_t{end[-1]} << 24;
    // Deflate cannot expand more than about 1032 times: a larger claim is a lie, not a reason to
    // allocate (up to the limit) for a few bytes of input.
    if (in.size() < std::numeric_limits<std::size_t>::max() / 1032) announced = std::min(announced, in.size() * 1032);
  }
  bounded_output out(limit, in.size(), announced);
  auto* next_in = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t left_in = in.size();
  for (;;) {
    auto [space, space_size] = out.space();
    if (space_size == 0) return too_large(name, limit);
    // zlib counts in uInt: feed and fill at most 1 GiB at a time.
    constexpr std::size_t step = std::size_t{1} << 30;
    z.next_in = const_cast<Bytef*>(next_in);
    z.avail_in = static_cast<uInt>(std::min(left_in, step));
    z.next_out = reinterpret_cast<Bytef*>(space);
    z.avail_out = static_cast<uInt>(std::min(space_size, step));
    const uInt offered_in = z.avail_in;
    const uInt offered_out = z.avail_out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    next_in += offered_in - z.avail_in;
    left_in -= offered_in - z.avail_in;
    out.commit(offered_out - z.avail_out);
    if (out.over_limit()) return too_large(name, limit);
    switch (rc) {
      case Z_STREAM_END:
        if (gzip && is_gzip_member_start(next_in, left_in)) {
          inflateReset(&z);  // the next member of a multi-member gzip
          continue;
        }
        // After the end: ignored behind a checksum (gzip, zlib), refused without one (see the header).
        if (window_bits < 0 && left_in != 0)
          return fail(coding_error::corrupt, prefix(name) + "the body has " + std::to_string(left_in) +
                                                 " bytes after the end of its deflate data");
        return std::move(out).take();
      case Z_OK:
      case Z_BUF_ERROR:
        // No progress possible: all input consumed, room left for output, and no end yet.
        if (left_in == 0 && z.avail_out != 0)
          return fail(coding_error::truncated,
                      prefix(name) + "the body ends before the end of its " + std::string(format) + " data (truncated)");
        continue;
      case Z_NEED_DICT:
        return fail(coding_error::corrupt, prefix(name) + "the body is " + std::string(format) +
                                               " data that needs a preset dictionary, which HTTP does not provide");
      case Z_MEM_ERROR:
        return failure{make_error_code(boost::system::errc::not_enough_memory), prefix(name) + "zlib ran out of memory"};
      default:
        return fail(coding_error::corrupt, prefix(name) + "the body is not valid " + std::string(format) + " data (" +
                                               (z.msg ? z.msg : "data error") + ")");
    }
  }
}

result<std::string> decode_deflate(std::string_view in, std::string_view name, std::size_t limit) {
  if (!looks_like_zlib(in)) return inflate_body(in, -15, name, limit);
  auto zlib = inflate_body(in, 15, name, limit);
  if (zlib || zlib.error().code != coding_error::corrupt) return zlib;
  // Two bytes can look like a zlib header by chance (1 in 31 of stored-block starts): try raw.
  auto raw = inflate_body(in, -15, name, limit);
  if (raw) return raw;
  return zlib;
}

result<std::string> decode_brotli(std::string_view in, std::string_view name, std::size_t limit) {
  const std::unique_ptr<BrotliDecoderState, void (*)(BrotliDecoderState*)> state(
      BrotliDecoderCreateInstance(nullptr, nullptr, nullptr), BrotliDecoderDestroyInstance);
  if (!state) return failure{make_error_code(boost::system::errc::not_enough_memory), prefix(name) + "could not start Brotli"};
  bounded_output out(limit, in.size());
  auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
  std::size_t left_in = in.size();
  for (;;) {
    auto [space, space_size] = out.space();
    if (space_size == 0) return too_large(name, limit);
    auto* next_out = reinterpret_cast<std::uint8_t*>(space);
    std::size_t left_out = space_size;
    const auto rc = BrotliDecoderDecompressStream(state.get(), &left_in, &next_in, &left_out, &next_out, nullptr);
    out.commit(space_size - left_out);
    if (out.over_limit()) return too_large(name, limit);
    switch (rc) {
      case BROTLI_DECODER_RESULT_SUCCESS:
        // br has no checksum: bytes after the end mean the body is not what it claims to be.
        if (left_in != 0)
          return fail(coding_error::corrupt,
                      prefix(name) + "the body has " + std::to_string(left_in) + " bytes after the end of its br data");
        return std::move(out).take();
      case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
        continue;
      case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
        return fail(coding_error::truncated, prefix(name) + "the body ends before the end of its br data (truncated)");
      case BROTLI_DECODER_RESULT_ERROR:
      default:
        return fail(coding_error::corrupt,
                    prefix(name) + "the body is not valid br data (" +
                        BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state.get())) + ")");
    }
  }
}

failure unsupported(std::string_view name) {
  return fail(coding_error::unsupported,
              "Content-Encoding '" + std::string(name.substr(0, 64)) +
                  "' is not supported: only gzip, x-gzip, deflate and br are decoded (do not offer others in "
                  "Accept-Encoding)");
}

bool is_header(const header& h, std::string_view name) noexcept { return iequals(h.name, name); }

}  // namespace

const boost::system::error_category& coding_error_category() noexcept {
  static const coding_error_category_impl category;
  return category;
}

boost::system::error_code make_error_code(coding_error e) noexcept { return {static_cast<int>(e), coding_error_category()}; }

bool is_supported_coding(std::string_view token) noexcept { return coding_of(token) != coding::unknown; }

result<std::string> decode_content(std::string_view token, std::string_view encoded, std::size_t limit) {
  switch (coding_of(token)) {
    case coding::identity:
      if (encoded.size() > limit) return too_large(token, limit);
      return std::string(encoded);
    case coding::gzip: return inflate_body(encoded, 15 + 16, token, limit);
    case coding::deflate: return decode_deflate(encoded, token, limit);
    case coding::br: return decode_brotli(encoded, token, limit);
    case coding::unknown: break;
  }
  return unsupported(token);
}

status decode_response_content(response& r, std::size_t limit) {
  // The codings in the order they were applied, from every Content-Encoding field.
  std::array<std::string_view, max_stacked_codings> applied{};
  std::size_t count = 0;
  std::string all;  // the whole list, for a message about too many
  for (const auto& h : r.headers) {
    if (!is_header(h, "Content-Encoding")) continue;
    if (!all.empty()) all += ", ";
    all += h.value;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view token = trim_ows(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (token.empty() || coding_of(token) == coding::identity) continue;
      if (count == applied.size())
        return fail(coding_error::too_many_codings, "Content-Encoding '" + all.substr(0, 200) + "' stacks more than " +
                                                        std::to_string(max_stacked_codings) + " codings");
      applied[count++] = token;
    }
  }
  if (count == 0 || r.body.empty()) return ok;
  for (std::size_t i = 0; i < count; ++i)
    if (!is_supported_coding(applied[i])) return unsupported(applied[i]);

  // The last coding applied is undone first.
  std::string decoded;
  std::string_view current = r.body;
  for (std::size_t i = count; i-- > 0;) {
    auto step = decode_content(applied[i], current, limit);
    if (!step) return std::move(step).error();
    decoded = std::move(step).value();
    current = decoded;
  }
  r.body = std::move(decoded);
  std::erase_if(r.headers, [](const header& h) { return is_header(h, "Content-Encoding") || is_header(h, "Content-Length"); });
  return ok;
}

void add_default_accept_encoding(std::vector<header>& headers) {
  for (const auto& h : headers)
    if (is_header(h, "Accept-Encoding")) return;
  headers.push_back({"Accept-Encoding", std::string(default_accept_encoding)});
}

}  // namespace oauth2_rest::http
