#include "util/base64.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace oauth2_rest {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Reverse table: the 6-bit value of an alphabet character, 0xff for anything else
// ('=' included: padding is handled apart, in the last quantum only).
constexpr std::array<std::uint8_t, 256> make_reverse() {
  std::array<std::uint8_t, 256> r{};
  for (auto& v : r) v = 0xff;
  for (int i = 0; i < 64; ++i) r[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  return r;
}
constexpr auto reverse = make_reverse();

// The two output characters for 12 input bits, in output order: one lookup per pair.
constexpr std::array<std::array<char, 2>, 4096> make_pairs() {
  std::array<std::array<char, 2>, 4096> t{};
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = {alphabet[i >> 6], alphabet[i & 63]};
  return t;
}
constexpr auto pairs = make_pairs();

inline std::uint32_t byte_at(const unsigned char* p) { return p[0]; }

}  // namespace

std::string base64_encode(std::string_view bytes) {
  const std::size_t n = bytes.size();
  std::string out((n + 2) / 3 * 4, '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  char* dst = out.data();
  std::size_t i = 0;
  // Six bytes (eight characters) per step, from one 8-byte big-endian load.
  for (; i + 8 <= n; i += 6, dst += 8) {
    std::uint64_t w;
    std::memcpy(&w, in + i, 8);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    std::memcpy(dst, pairs[w >> 52 & 0xfff].data(), 2);
    std::memcpy(dst + 2, pairs[w >> 40 & 0xfff].data(), 2);
    std::memcpy(dst + 4, pairs[w >> 28 & 0xfff].data(), 2);
    std::memcpy(dst + 6, pairs[w >> 16 & 0xfff].data(), 2);
  }
  for (; i + 3 <= n; i += 3, dst += 4) {
    const std::uint32_t v = byte_at(in + i) << 16 | byte_at(in + i + 1) << 8 | byte_at(in + i + 2);
    std::memcpy(dst, pairs[v >> 12].data(), 2);
    std::memcpy(dst + 2, pairs[v & 0xfff].data(), 2);
  }
  const std::size_t rest = n - i;
  if (rest == 1) {
    const std::uint32_t v = byte_at(in + i) << 16;
    dst[0] = alphabet[v >> 18 & 63];
    dst[1] = alphabet[v >> 12 & 63];
    dst[2] = '=';
    dst[3] = '=';
  } else if (rest == 2) {
    const std::uint32_t v = byte_at(in + i) << 16 | byte_at(in + i + 1) << 8;
    dst[0] = alphabet[v >> 18 & 63];
    dst[1] = alphabet[v >> 12 & 63];
    dst[2] = alphabet[v >> 6 & 63];
    dst[3] = '=';
  }
  return out;
}

namespace {

// Canonical padded base64, the form every encoder we know of writes (ours, Node's): four
// characters at a time with one table lookup each. False, `out` unspecified, for anything else.
bool decode_canonical(std::string_view text, std::string& out) {
  const std::size_t n = text.size();
  if (n % 4 != 0) return false;
  out.clear();
  if (n == 0) return true;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  // Padding only at the end of the last quantum, at most two characters.
  std::size_t pad = 0;
  if (in[n - 1] == '=') pad = in[n - 2] == '=' ? 2 : 1;
  out.resize(n / 4 * 3 - pad);
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  // Every quantum but the last: four alphabet characters. An invalid character (0xff in the
  // table) sets bit 7 in the OR of the four values: one check per quantum.
  const std::size_t full = n - 4;
  for (std::size_t i = 0; i < full; i += 4, dst += 3) {
    const std::uint32_t a = reverse[in[i]], b = reverse[in[i + 1]], c = reverse[in[i + 2]],
                        d = reverse[in[i + 3]];
    if ((a | b | c | d) & 0x80) return false;
    const std::uint32_t v = a << 18 | b << 12 | c << 6 | d;
    dst[0] = static_cast<unsigned char>(v >> 16);
    dst[1] = static_cast<unsigned char>(v >> 8);
    dst[2] = static_cast<unsigned char>(v);
  }
  // The last quantum: 4 - pad alphabet characters, then the padding.
  const unsigned char* q = in + full;
  const std::uint32_t a = reverse[q[0]], b = reverse[q[1]];
  const std::uint32_t c = pad == 2 ? 0 : reverse[q[2]];
  const std::uint32_t d = pad >= 1 ? 0 : reverse[q[3]];
  if ((a | b | c | d) & 0x80) return false;
  const std::uint32_t v = a << 18 | b << 12 | c << 6 | d;
  dst[0] = static_cast<unsigned char>(v >> 16);
  if (pad < 2) dst[1] = static_cast<unsigned char>(v >> 8);
  if (pad < 1) dst[2] = static_cast<unsigned char>(v);
  return true;
}

// Node's alphabet: both the standard and the URL-safe one, in any mix.
constexpr std::array<std::uint8_t, 256> make_lenient_reverse() {
  std::array<std::uint8_t, 256> r = make_reverse();
  r['-'] = 62;
  r['_'] = 63;
  return r;
}
constexpr auto lenient_reverse = make_lenient_reverse();

// Node reads a message body as a string before Buffer.from(text, "base64"), and its decoder
// looks at the low byte of each UTF-16 code unit. Calls `unit` with those bytes for the valid
// UTF-8 sequence at text[i] and returns its length; 0 when none starts there (the byte then
// reads as U+FFFD, whose low byte 0xFD is not base64: skipped, as every other byte of an invalid
// sequence).
template <class F>
std::size_t code_units(std::string_view text, std::size_t i, F&& unit) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = at(i);
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  std::uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + need >= text.size()) return 0;
  for (std::size_t k = 1; k <= need; ++k) {
    const unsigned char cc = at(i + k);
    if (cc < lo || cc > hi) return 0;
    lo = 0x80;
    hi = 0xBF;
    cp = cp << 6 | (cc & 0x3F);
  }
  if (cp < 0x10000) {
    unit(static_cast<unsigned char>(cp));
  } else {
    unit(static_cast<unsigned char>((cp - 0x10000) >> 10));  // high surrogate 0xD800 + ...
    unit(static_cast<unsigned char>(cp - 0x10000));          // low surrogate 0xDC00 + ...
  }
  return need + 1;
}

// Node's decoder (src/base64-inl.h, base64_decode_group_slow): characters outside the alphabet
// are skipped, the first '=' ends the text, a last group of 2 or 3 characters gives 1 or 2
// bytes, a lone last character none, and the bits beyond the last byte are dropped.
void decode_like_node(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t previous = 0;
  int position = 0;  // of the next character in its group of four
  bool stopped = false;
  auto take = [&](unsigned char b) {
    if (stopped) return;
    const std::uint32_t v = lenient_reverse[b];
    if (v & 0x80) {
      stopped = b == '=';
      return;
    }
    switch (position) {
      case 1: out += static_cast<char>((previous & 0x3F) << 2 | v >> 4); break;
      case 2: out += static_cast<char>((previous & 0x0F) << 4 | v >> 2); break;
      case 3: out += static_cast<char>((previous & 0x03) << 6 | v); break;
      default: break;
    }
    previous = v;
    position = (position + 1) & 3;
  };
  for (std::size_t i = 0; i < text.size() && !stopped;) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      take(c);
      ++i;
    } else if (const std::size_t n = code_units(text, i, take); n > 0) {
      i += n;
    } else {
      ++i;
    }
  }
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  base64_decode_into(text, out);
  return out;
}

void base64_decode_into(std::string_view text, std::string& out) {
  if (!decode_canonical(text, out)) decode_like_node(text, out);
}

bool is_canonical_base64(std::string_view text) {
  std::string out;
  return decode_canonical(text, out);
}

std::string base64url_encode(std::string_view bytes) {
  std::string text = base64_encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (auto& c : text) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return text;
}

}  // namespace oauth2_rest
