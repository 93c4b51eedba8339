// Content-Encoding undone in pieces into another sink (decoding_sink.hpp).
#include "http/decoding_sink.hpp"

#include "http/content_coding.hpp"

#include <brotli/decode.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <functional>

namespace oauth2_rest::http {

namespace {

failure fail(coding_error e, std::string message) { return failure{make_error_code(e), std::move(message)}; }
std::string prefix(const std::string& name) { return "Content-Encoding " + name + ": "; }

std::string lower_trimmed(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  std::string out(v);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool looks_like_zlib(unsigned char cmf, unsigned char flg) noexcept {
  return (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

}  // namespace

struct decoding_sink::stage {
  virtual ~stage() = default;
  // Decodes `in`, handing decoded bytes to out (which may fail).
  virtual status feed(std::string_view in, const std::function<status(std::string_view)>& out) = 0;
  virtual status finish() = 0;
  std::string name;
  char buf[64 * 1024];
};

namespace {

using emit_fn = std::function<status(std::string_view)>;

struct zlib_stage final : decoding_sink::stage {
  z_stream z{};
  bool started = false, ended = false, gzip = false, deflate_pending = false, ignoring = false,
       magic_held = false;
  std::string held;  // deflate: the first byte, until the second tells zlib from raw
  ~zlib_stage() override {
    if (started) inflateEnd(&z);
  }
  status begin(int window_bits) {
    if (inflateInit2(&z, window_bits) != Z_OK) return fail(coding_error::corrupt, prefix(name) + "could not start zlib");
    started = true;
    return ok;
  }
  status feed(std::string_view in, const emit_fn& out) override {
    if (deflate_pending) {
      const std::size_t take = std::min<std::size_t>(2 - held.size(), in.size());
      held.append(in.substr(0, take));
      in.remove_prefix(take);
      if (held.size() < 2) return ok;
      deflate_pending = false;
      is_raw = !looks_like_zlib(static_cast<unsigned char>(held[0]), static_cast<unsigned char>(held[1]));
      if (auto s = begin(is_raw ? -15 : 15); !s) return s;
      const std::string first = std::move(held);
      if (auto s = run(first, out); !s) return s;
    }
    return run(in, out);
  }
  status run(std::string_view in, const emit_fn& out) {
    if (magic_held) {  // a 0x1F ended the last piece: a member starts only if 0x8B follows
      if (in.empty()) return ok;
      magic_held = false;
      if (static_cast<unsigned char>(in[0]) != 0x8B) {
        ignoring = true;
        return ok;
      }
      inflateReset(&z);
      ended = false;
      if (auto s = run(std::string_view("\x1F", 1), out); !s) return s;
    }
    auto* next = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t left = in.size();
    bool more = false;  // the output buffer was full: inflate may hold more for it
    while (left > 0 || more) {
      if (ended) {
        if (left == 0) return ok;
        // Another gzip member follows, or bytes after the end behind a checksum: ignored, as gzip(1) does.
        // Once bytes that start no member are seen, everything after them is ignored too.
        if (ignoring || !gzip || next[0] != 0x1F || (left >= 2 && next[1] != 0x8B)) {
          ignoring = true;
          return ok;
        }
        if (left == 1) {
          magic_held = true;
          return ok;
        }
        inflateReset(&z);
        ended = false;
      }
      z.next_in = const_cast<Bytef*>(next);
      z.avail_in = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
      const uInt offered = z.avail_in;
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      const int rc = inflate(&z, Z_NO_FLUSH);
      next += offered - z.avail_in;
      left -= offered - z.avail_in;
      const std::size_t produced = sizeof buf - z.avail_out;
      more = z.avail_out == 0;
      if (produced > 0)
        if (auto s = out(std::string_view(buf, produced)); !s) return s;
      if (rc == Z_STREAM_END) {
        ended = true;
        more = false;
        // raw deflate has no checksum: bytes after its end make the body corrupt
        if (left > 0 && is_raw) return fail(coding_error::corrupt, prefix(name) + "the body has bytes after the end of its deflate data");
        continue;
      }
      if (rc == Z_OK) continue;
      if (rc == Z_BUF_ERROR) {  // no progress possible with what was given
        if (offered == z.avail_in && produced == 0) return ok;
        continue;
      }
      return fail(coding_error::corrupt,
                  prefix(name) + "the body is not valid " + (gzip ? "gzip" : "deflate") + " data (" + (z.msg ? z.msg : "data error") + ")");
    }
    return ok;
  }
  status finish() override {
    if (deflate_pending || !ended)
      return fail(coding_error::truncated, prefix(name) + "the body ends before the end of its " +
                                               (gzip ? "gzip" : "deflate") + " data (truncated)");
    return ok;
  }
  bool is_raw = false;
};

struct brotli_stage final : decoding_sink::stage {
  BrotliDecoderState* state = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  bool ended = false;
  ~brotli_stage() override { BrotliDecoderDestroyInstance(state); }
  status feed(std::string_view in, const emit_fn& out) override {
    if (!state) return fail(coding_error::corrupt, prefix(name) + "could not start Brotli");
    auto* next = reinterpret_cast<const std::uint8_t*>(in.data());
    std::size_t left = in.size();
    while (left > 0 || !ended) {
      if (ended) return fail(coding_error::corrupt, prefix(name) + "the body has bytes after the end of its br data");
      auto* next_out = reinterpret_cast<std::uint8_t*>(buf);
      std::size_t left_out = sizeof buf;
      const auto rc = BrotliDecoderDecompressStream(state, &left, &next, &left_out, &next_out, nullptr);
      if (const std::size_t n = sizeof buf - left_out; n > 0)
        if (auto s = out(std::string_view(buf, n)); !s) return s;
      if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
        ended = true;
        if (left > 0) return fail(coding_error::corrupt, prefix(name) + "the body has bytes after the end of its br data");
        return ok;
      }
      if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) continue;
      if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return ok;
      return fail(coding_error::corrupt, prefix(name) + "the body is not valid br data (" +
                                             BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state)) + ")");
    }
    return ok;
  }
  status finish() override {
    if (!ended) return fail(coding_error::truncated, prefix(name) + "the body ends before the end of its br data (truncated)");
    return ok;
  }
};

}  // namespace

decoding_sink::decoding_sink(body_sink& inner, std::size_t limit) : inner_(inner), limit_(limit) {}
decoding_sink::~decoding_sink() = default;

status decoding_sink::start(unsigned status_code, const std::vector<header>& headers) {
  failed_.reset();
  auto set_up = [&]() -> status {
  stages_.clear();
  written_ = 0;
  std::vector<std::string> codings;
  for (const auto& h : headers) {
    if (lower_trimmed(h.name) != "content-encoding") continue;
    std::string_view v = h.value;
    while (!v.empty()) {
      const auto comma = v.find(',');
      std::string token = lower_trimmed(v.substr(0, comma));
      if (!token.empty() && token != "identity") codings.push_back(std::move(token));
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  if (codings.size() > max_stacked_codings)
    return fail(coding_error::too_many_codings, "Content-Encoding: more than " + std::to_string(max_stacked_codings) +
                                                    " stacked codings");
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {  // the last applied is undone first
    std::unique_ptr<stage> s;
    if (*it == "gzip" || *it == "x-gzip") {
      auto z = std::make_unique<zlib_stage>();
      z->name = *it;
      z->gzip = true;
      if (auto started = z->begin(15 + 16); !started) return started;
      s = std::move(z);
    } else if (*it == "deflate") {
      auto z = std::make_unique<zlib_stage>();
      z->name = *it;
      z->deflate_pending = true;
      s = std::move(z);
    } else if (*it == "br") {
      s = std::make_unique<brotli_stage>();
      s->name = *it;
    } else {
      return fail(coding_error::unsupported, "Content-Encoding '" + it->substr(0, 64) +
                                                 "' is not supported: only gzip, x-gzip, deflate and br are decoded");
    }
    stages_.push_back(std::move(s));
  }
  return ok;
  };
  if (auto s = note(set_up()); !s) return s;
  return inner_.start(status_code, headers);
}

status decoding_sink::emit(std::size_t index, std::string_view bytes) {
  if (index == stages_.size()) {
    written_ += bytes.size();
    if (written_ > limit_)
      return fail(coding_error::too_large, "Content-Encoding " + stages_.back()->name + ": the body decodes to more than " +
                                               std::to_string(limit_) + " bytes");
    return inner_.write(bytes);
  }
  return stages_[index]->feed(bytes, [this, index](std::string_view out) { return emit(index + 1, out); });
}

status decoding_sink::note(status s) {
  if (!s && s.error().code.category() == coding_error_category()) failed_ = s.error();
  return s;
}

status decoding_sink::write(std::string_view piece) {
  if (stages_.empty()) return inner_.write(piece);
  return note(emit(0, piece));
}

status decoding_sink::reset() {
  stages_.clear();
  written_ = 0;
  return inner_.reset();
}

status decoding_sink::finish() {
  for (auto& s : stages_)
    if (auto done = s->finish(); !done) return note(std::move(done));
  return ok;
}

}  // namespace oauth2_rest::http
