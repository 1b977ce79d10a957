// twemproxy's twelve key hashes, re-implemented from their definitions and
// checked against the published vectors (libmemcached's hash_results, twemproxy's
// test_all) and live nutcracker routing.
//
// The quirks that make them "twemproxy" rather than textbook are deliberate:
// - bytes are read as *signed* chars (x86) where twemproxy reads `char`, so bytes
//   >= 0x80 are sign-extended to 0xFFFFFFxx before XOR/add (one_at_a_time, all
//   FNVs, hsieh's 3-byte tail); we do this explicitly via int8_t so the result
//   is the same on ARM, where plain char is unsigned;
// - fnv1a_64 is a 32-bit loop over the low words of the 64-bit constants, and
//   fnv1_64 is truncated to 32 bits (which lets it run in 32 bits too: the low
//   32 bits of a product depend only on the operands' low 32 bits);
// - crc16 keeps shifting in an unmasked uint32 (high "garbage" bits remain);
// - crc32 is libmemcached's 15-bit variant; crc32a is the real CRC-32.
// Multi-byte words are read little-endian explicitly (twemproxy read them
// natively on x86), again so results do not depend on the host.
#include "ringproxy/placement/hash.hpp"

#include <array>
#include <cstdint>
#include <string_view>

namespace ringproxy {
namespace {

constexpr std::array<std::string_view, 12> kHashNames = {
    "one_at_a_time", "md5",     "crc16",    "crc32", "crc32a", "fnv1_64",
    "fnv1a_64",      "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins",
};

inline const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// A key byte as twemproxy's `(uint32_t)(char)b` on a signed-char platform.
inline uint32_t sext(unsigned char b) {
  return static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(b)));
}

inline uint32_t load_le16(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8;
}

inline uint32_t load_le32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

inline uint32_t rotl(uint32_t x, int k) {
  return (x << k) | (x >> (32 - k));
}

// CRC16-XMODEM table: poly 0x1021, MSB first.
constexpr std::array<uint16_t, 256> make_crc16_table() {
  std::array<uint16_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i << 8;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
    t[i] = static_cast<uint16_t>(crc);
  }
  return t;
}

// CRC-32 table: reflected poly 0xEDB88320.
constexpr std::array<uint32_t, 256> make_crc32_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    t[i] = crc;
  }
  return t;
}

constexpr auto kCrc16Table = make_crc16_table();
constexpr auto kCrc32Table = make_crc32_table();

uint32_t crc32_standard(std::string_view key) {
  uint32_t crc = ~0u;
  for (unsigned char b : key) crc = kCrc32Table[(crc ^ b) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// FNV constants: twemproxy's *_64 variants only ever use the low 32 bits.
constexpr uint32_t kFnv64InitLow = 0x84222325u;  // low word of 0xcbf29ce484222325
constexpr uint32_t kFnv64PrimeLow = 0x1b3u;      // low word of 0x100000001b3
constexpr uint32_t kFnv32Init = 2166136261u;
constexpr uint32_t kFnv32Prime = 16777619u;

}  // namespace

uint32_t hash_one_at_a_time(std::string_view key) {
  uint32_t h = 0;
  for (unsigned char b : key) {
    h += sext(b);
    h += h << 10;
    h ^= h >> 6;
  }
  h += h << 3;
  h ^= h >> 11;
  h += h << 15;
  return h;
}

uint32_t hash_md5(std::string_view key) {
  unsigned char d[16];
  md5_digest(key, d);
  return load_le32(d);
}

uint32_t hash_crc16(std::string_view key) {
  uint32_t crc = 0;  // deliberately never masked to 16 bits
  for (unsigned char b : key) crc = (crc << 8) ^ kCrc16Table[((crc >> 8) ^ b) & 0xff];
  return crc;
}

uint32_t hash_crc32(std::string_view key) {
  return (crc32_standard(key) >> 16) & 0x7fff;
}

uint32_t hash_crc32a(std::string_view key) {
  return crc32_standard(key);
}

uint32_t hash_fnv1_64(std::string_view key) {
  uint32_t h = kFnv64InitLow;
  for (unsigned char b : key) {
    h *= kFnv64PrimeLow;
    h ^= sext(b);
  }
  return h;
}

uint32_t hash_fnv1a_64(std::string_view key) {
  uint32_t h = kFnv64InitLow;
  for (unsigned char b : key) {
    h ^= sext(b);
    h *= kFnv64PrimeLow;
  }
  return h;
}

uint32_t hash_fnv1_32(std::string_view key) {
  uint32_t h = kFnv32Init;
  for (unsigned char b : key) {
    h *= kFnv32Prime;
    h ^= sext(b);
  }
  return h;
}

uint32_t hash_fnv1a_32(std::string_view key) {
  uint32_t h = kFnv32Init;
  for (unsigned char b : key) {
    h ^= sext(b);
    h *= kFnv32Prime;
  }
  return h;
}

uint32_t hash_hsieh(std::string_view key) {
  if (key.empty()) return 0;
  const unsigned char* p = bytes(key);
  uint32_t h = 0;
  for (size_t blocks = key.size() >> 2; blocks > 0; --blocks, p += 4) {
    h += load_le16(p);
    const uint32_t tmp = (load_le16(p + 2) << 11) ^ h;
    h = (h << 16) ^ tmp;
    h += h >> 11;
  }
  switch (key.size() & 3) {
    case 3:
      h += load_le16(p);
      h ^= h << 16;
      h ^= sext(p[2]) << 18;  // the one signed read in this function
      h += h >> 11;
      break;
    case 2:
      h += load_le16(p);
      h ^= h << 11;
      h += h >> 17;
      break;
    case 1:
      h += p[0];
      h ^= h << 10;
      h += h >> 1;
      break;
    default:
      break;
  }
  h ^= h << 3;
  h += h >> 5;
  h ^= h << 4;
  h += h >> 17;
  h ^= h << 25;
  h += h >> 6;
  return h;
}

uint32_t hash_murmur(std::string_view key) {
  constexpr uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const auto len = static_cast<uint32_t>(key.size());
  uint32_t h = (0xdeadbeefu * len) ^ len;
  const unsigned char* p = bytes(key);
  size_t left = key.size();
  for (; left >= 4; left -= 4, p += 4) {
    uint32_t k = load_le32(p);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (left) {
    case 3:
      h ^= uint32_t{p[2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= uint32_t{p[1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= p[0];
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

uint32_t hash_jenkins(std::string_view key) {
  uint32_t a, b, c;
  a = b = c = 0xdeadbeefu + static_cast<uint32_t>(key.size()) + 13u;
  const unsigned char* p = bytes(key);
  size_t left = key.size();
  if (left == 0) return c;  // lookup3 skips the final mix for the empty key

  while (left > 12) {
    a += load_le32(p);
    b += load_le32(p + 4);
    c += load_le32(p + 8);
    // lookup3 mix()
    a -= c, a ^= rotl(c, 4), c += b;
    b -= a, b ^= rotl(a, 6), a += c;
    c -= b, c ^= rotl(b, 8), b += a;
    a -= c, a ^= rotl(c, 16), c += b;
    b -= a, b ^= rotl(a, 19), a += c;
    c -= b, c ^= rotl(b, 4), b += a;
    left -= 12;
    p += 12;
  }
  // Last block of 1..12 bytes, zero padded: the same as lookup3's masked reads.
  unsigned char last[12] = {};
  for (size_t i = 0; i < left; ++i) last[i] = p[i];
  a += load_le32(last);
  b += load_le32(last + 4);
  c += load_le32(last + 8);
  // lookup3 final()
  c ^= b, c -= rotl(b, 14);
  a ^= c, a -= rotl(c, 11);
  b ^= a, b -= rotl(a, 25);
  c ^= b, c -= rotl(b, 16);
  a ^= c, a -= rotl(c, 4);
  b ^= a, b -= rotl(a, 14);
  c ^= b, c -= rotl(b, 24);
  return c;
}

std::optional<HashKind> parse_hash_name(std::string_view name) {
  for (size_t i = 0; i < kHashNames.size(); ++i) {
    if (kHashNames[i] == name) return static_cast<HashKind>(i);
  }
  return std::nullopt;
}

std::string_view hash_name(HashKind kind) {
  const auto i = static_cast<size_t>(kind);
  return i < kHashNames.size() ? kHashNames[i] : std::string_view("unknown");
}

std::span<const std::string_view> hash_names() {
  return kHashNames;
}

HashFn hash_function(HashKind kind) {
  switch (kind) {
    case HashKind::kOneAtATime:
      return hash_one_at_a_time;
    case HashKind::kMd5:
      return hash_md5;
    case HashKind::kCrc16:
      return hash_crc16;
    case HashKind::kCrc32:
      return hash_crc32;
    case HashKind::kCrc32a:
      return hash_crc32a;
    case HashKind::kFnv1_64:
      return hash_fnv1_64;
    case HashKind::kFnv1a_64:
      return hash_fnv1a_64;
    case HashKind::kFnv1_32:
      return hash_fnv1_32;
    case HashKind::kFnv1a_32:
      return hash_fnv1a_32;
    case HashKind::kHsieh:
      return hash_hsieh;
    case HashKind::kMurmur:
      return hash_murmur;
    case HashKind::kJenkins:
      return hash_jenkins;
  }
  return hash_fnv1a_64;  // unreachable for valid enumerators
}

uint32_t hash_key(HashKind kind, std::string_view key) {
  return hash_function(kind)(key);
}

}  // namespace ringproxy
