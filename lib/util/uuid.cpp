#include "util/uuid.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <random>

namespace oauth2_rest {
namespace {

// Message ids need uniqueness, not secrecy: a per-thread 64-bit generator seeded once from
// OpenSSL's CSPRNG costs a fraction of a RAND_bytes call per id (two ids per message).
std::mt19937_64& generator() {
  thread_local std::mt19937_64 rng = [] {
    std::array<std::uint32_t, 8> seed{};
    if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()), static_cast<int>(sizeof seed)) != 1) {
      std::random_device fallback;
      for (auto& s : seed) s = fallback();
    }
    std::seed_seq sequence(seed.begin(), seed.end());
    return std::mt19937_64(sequence);
  }();
  return rng;
}

}  // namespace

std::string new_uuid_v4() {
  // Two hex digits per byte from a table, written in place: 8-4-4-4-12.
  static constexpr auto hex_pairs = [] {
    constexpr char hex[] = "0123456789abcdef";
    std::array<std::array<char, 2>, 256> t{};
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = {hex[i >> 4], hex[i & 0x0f]};
    return t;
  }();
  std::array<unsigned char, 16> b{};
  auto& rng = generator();
  std::uint64_t high = rng(), low = rng();
  std::memcpy(b.data(), &high, 8);
  std::memcpy(b.data() + 8, &low, 8);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string out(36, '-');
  char* dst = out.data();
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++dst;  // past a '-'
    std::memcpy(dst, hex_pairs[b[i]].data(), 2);
    dst += 2;
  }
  return out;
}

}  // namespace oauth2_rest
