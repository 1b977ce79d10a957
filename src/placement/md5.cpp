// MD5 (RFC 1321), one-shot. Used for the `md5` key hash and, far more often,
// for ketama ring points ("name-i" -> 4 points). Inputs are short, so a plain
// block loop with explicit little-endian loads is enough; no streaming API.
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "ringproxy/placement/hash.hpp"

namespace ringproxy {
namespace {

// T[i] = floor(2^32 * |sin(i + 1)|), RFC 1321 section 3.4.
constexpr std::array<uint32_t, 64> kT = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

// Per-round left-rotation amounts, four per round.
constexpr std::array<int, 16> kShift = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

inline uint32_t rotl(uint32_t x, int c) {
  return (x << c) | (x >> (32 - c));
}

inline uint32_t load_le32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

inline void store_le32(unsigned char* p, uint32_t v) {
  p[0] = static_cast<unsigned char>(v);
  p[1] = static_cast<unsigned char>(v >> 8);
  p[2] = static_cast<unsigned char>(v >> 16);
  p[3] = static_cast<unsigned char>(v >> 24);
}

// One step: a = b + rotl(a + f + T[i] + m[g], s), then rotate the registers.
inline void step(uint32_t& a, uint32_t& b, uint32_t& c, uint32_t& d, uint32_t f, uint32_t x,
                 int i) {
  const uint32_t next = b + rotl(a + f + kT[i] + x, kShift[(i / 16) * 4 + i % 4]);
  a = d;
  d = c;
  c = b;
  b = next;
}

void md5_block(std::array<uint32_t, 4>& state, const unsigned char* block) {
  uint32_t m[16];
  for (int i = 0; i < 16; ++i) m[i] = load_le32(block + 4 * i);
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  // Four rounds of 16 steps, each with its own boolean function and message
  // word order (RFC 1321 3.4); separate loops let the compiler unroll them.
  for (int i = 0; i < 16; ++i) step(a, b, c, d, (b & c) | (~b & d), m[i], i);
  for (int i = 16; i < 32; ++i) step(a, b, c, d, (d & b) | (~d & c), m[(5 * i + 1) % 16], i);
  for (int i = 32; i < 48; ++i) step(a, b, c, d, b ^ c ^ d, m[(3 * i + 5) % 16], i);
  for (int i = 48; i < 64; ++i) step(a, b, c, d, c ^ (b | ~d), m[(7 * i) % 16], i);
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

}  // namespace

void md5_digest(std::string_view data, unsigned char out[16]) {
  std::array<uint32_t, 4> state = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t left = data.size();
  for (; left >= 64; left -= 64, p += 64) md5_block(state, p);

  // Padding: 0x80, zeros to 56 mod 64, then the bit length (LE 64-bit).
  unsigned char tail[128] = {};
  if (left > 0) std::memcpy(tail, p, left);
  tail[left] = 0x80;
  const size_t tail_len = left < 56 ? 64 : 128;
  const uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  store_le32(tail + tail_len - 8, static_cast<uint32_t>(bits));
  store_le32(tail + tail_len - 4, static_cast<uint32_t>(bits >> 32));
  md5_block(state, tail);
  if (tail_len == 128) md5_block(state, tail + 64);

  for (int i = 0; i < 4; ++i) store_le32(out + 4 * i, state[i]);
}

}  // namespace ringproxy
