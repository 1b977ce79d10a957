// Hash functions and hash tags against published and live-verified vectors:
// twemproxy/libmemcached "apple" values, the nutcracker routing table
// (recorded from a live nutcracker 0.5.0), RFC 1321 for md5, and high-byte vectors taken
// from twemproxy 0.5's own hashkit (sign extension, odd tails, >12-byte keys).
#include "ringproxy/placement/hash.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ringproxy/placement/hash_tag.hpp"

namespace ringproxy {
namespace {

std::string hex(const unsigned char* d, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[d[i] >> 4];
    out += kDigits[d[i] & 15];
  }
  return out;
}

std::string md5_hex(std::string_view s) {
  unsigned char d[16];
  md5_digest(s, d);
  return hex(d, 16);
}

uint32_t md5_word(std::string_view s, int word) {
  unsigned char d[16];
  md5_digest(s, d);
  const unsigned char* p = d + 4 * word;
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

struct Vector {
  HashKind kind;
  uint32_t value;
};

TEST(Hash, AppleVectorsFromTwemproxyAndLibmemcached) {
  const std::array<Vector, 12> apple = {{
      {HashKind::kOneAtATime, 2297466611u},
      {HashKind::kMd5, 3195025439u},
      {HashKind::kCrc16, 3662830516u},
      {HashKind::kCrc32, 10542u},
      {HashKind::kCrc32a, 2838417488u},
      {HashKind::kFnv1_64, 473199127u},
      {HashKind::kFnv1a_64, 1488911807u},
      {HashKind::kFnv1_32, 67176023u},
      {HashKind::kFnv1a_32, 280767167u},
      {HashKind::kHsieh, 3738850110u},
      {HashKind::kMurmur, 4142305122u},
      {HashKind::kJenkins, 1442444624u},
  }};
  for (const Vector& v : apple) {
    SCOPED_TRACE(hash_name(v.kind));
    EXPECT_EQ(hash_key(v.kind, "apple"), v.value);
    EXPECT_EQ(hash_function(v.kind)("apple"), v.value);
  }
}

TEST(Hash, NamesRoundTripInTwemproxyOrder) {
  const std::array<std::string_view, 12> expected = {
      "one_at_a_time", "md5",     "crc16",    "crc32", "crc32a", "fnv1_64",
      "fnv1a_64",      "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"};
  ASSERT_EQ(hash_names().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(hash_names()[i], expected[i]);
    const auto kind = parse_hash_name(expected[i]);
    ASSERT_TRUE(kind.has_value());
    EXPECT_EQ(static_cast<size_t>(*kind), i);
    EXPECT_EQ(hash_name(*kind), expected[i]);
  }
  EXPECT_FALSE(parse_hash_name("FNV1A_64").has_value());  // exact match only
  EXPECT_FALSE(parse_hash_name("fnv1a").has_value());
  EXPECT_FALSE(parse_hash_name("").has_value());
  EXPECT_FALSE(parse_hash_name("xxhash").has_value());
}

// Key hashes observed routing through a live nutcracker 0.5.0.
TEST(Hash, LiveNutcrackerKeyHashes) {
  struct Row {
    const char* key;
    uint32_t fnv1a_64, murmur, md5;
  };
  const Row rows[] = {
      {"foo", 4275688823u, 3303027599u, 3675831724u},
      {"bar", 322520602u, 516654467u, 421377335u},
      {"user:1", 1963465963u, 3587224931u, 282964413u},
      {"user:2", 1963466398u, 2296679484u, 3264788475u},
      {"user:3", 1963466833u, 511737310u, 1771611390u},
      {"user:4", 1963467268u, 343630938u, 900033734u},
      {"user:5", 1963467703u, 294017207u, 2417243809u},
      {"user:6", 1963468138u, 2562012065u, 1477821096u},
      {"user:7", 1963468573u, 1907010385u, 2391910011u},
      {"user:8", 1963462048u, 124161321u, 1176083205u},
      {"user:9", 1963462483u, 1377734236u, 3982917030u},
      {"user:10", 3704162337u, 868255557u, 1974806337u},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.key);
    EXPECT_EQ(hash_key(HashKind::kFnv1a_64, r.key), r.fnv1a_64);
    EXPECT_EQ(hash_key(HashKind::kMurmur, r.key), r.murmur);
    EXPECT_EQ(hash_key(HashKind::kMd5, r.key), r.md5);
  }
  // Whole-key hashes of the hash-tag example.
  EXPECT_EQ(hash_fnv1a_64("{user1}:a"), 1792378742u);
  EXPECT_EQ(hash_fnv1a_64("{user1}:b"), 1792378307u);
}

TEST(Hash, Fnv1a64SignExtendsHighBytes) {
  const std::string ete = "\xc3\xa9t\xc3\xa9";  // "été" in UTF-8
  EXPECT_EQ(hash_fnv1a_64(ete), 3933641815u);
  // Textbook FNV-1a (unsigned bytes, low 32 bits) would give 2293569623.
  uint32_t textbook = 0x84222325u;
  for (unsigned char b : ete) textbook = (textbook ^ b) * 0x1b3u;
  EXPECT_EQ(textbook, 2293569623u);
  EXPECT_NE(hash_fnv1a_64(ete), textbook);
  // For ASCII the quirk is invisible: equal to true 64-bit FNV-1a, truncated.
  uint64_t fnv64 = 0xcbf29ce484222325ULL;
  for (unsigned char b : std::string_view("apple")) fnv64 = (fnv64 ^ b) * 0x100000001b3ULL;
  EXPECT_EQ(hash_fnv1a_64("apple"), static_cast<uint32_t>(fnv64));
}

// Keys with bytes >= 0x80, lengths covering every tail case; values from
// twemproxy 0.5's hashkit compiled on x86-64 (signed char).
TEST(Hash, HighByteVectorsFromTwemproxy) {
  struct Row {
    std::string key;
    std::array<uint32_t, 12> values;  // in HashKind order
  };
  const Row rows[] = {
      {std::string("\xdc"),
       {789456351u, 3190057657u, 2801u, 23911u, 1567060338u, 2046707715u, 2046720795u, 4210270915u,
        3639831899u, 390950180u, 2883314010u, 1676816102u}},
      {std::string("\xaa\x1f\xad"),
       {2353772498u, 1085193918u, 336661847u, 20115u, 1318309999u, 1797039325u, 3778820497u,
        3525181565u, 924252465u, 4137814720u, 1936838210u, 3981919386u}},
      {std::string("\x19\xaf\x60\x1d\x04\xac\xb4"),
       {3232143022u, 3872115855u, 1023238381u, 30102u, 1972793851u, 3808525740u, 1795370738u,
        2993419820u, 3152073810u, 2675370903u, 1391333281u, 4010817028u}},
      {std::string("\x6d\xac\xd4\x2d\x81\x6e\x69\xaf\xe0\xe6\x87\x4c\x9c"),
       {1479038624u, 75427738u, 1172193670u, 26262u, 3868594610u, 4180348159u, 3918407919u,
        1566208383u, 1801179759u, 1275101753u, 3330828411u, 165814807u}},
      {std::string("\x5e\x72\xf5\x09\x48\xb6\x58\xd1\x97\xe9\xc3\x8c\xb1\x6e\xd3\xdd\x12\x44\x62"
                   "\x32\x0c\x14\xa7\xaf\x3f\xfa\x0c"),
       {2718581507u, 742616616u, 3505181998u, 17520u, 3295727137u, 1297867593u, 2921904389u,
        3311215977u, 2744260773u, 2192622485u, 1396605366u, 564018063u}},
  };
  for (const Row& r : rows) {
    for (size_t k = 0; k < 12; ++k) {
      const auto kind = static_cast<HashKind>(k);
      SCOPED_TRACE(std::string(hash_name(kind)) + " len " + std::to_string(r.key.size()));
      EXPECT_EQ(hash_key(kind, r.key), r.values[k]);
    }
  }
}

TEST(Hash, EmptyKeyValuesOfTheFunctionsThemselves) {
  // The router maps the empty key to hash 0 (twemproxy); the functions' own
  // values are still pinned so nobody relies on them by accident.
  EXPECT_EQ(hash_key(HashKind::kFnv1a_64, ""), 0x84222325u);
  EXPECT_EQ(hash_key(HashKind::kFnv1a_32, ""), 2166136261u);
  EXPECT_EQ(hash_key(HashKind::kHsieh, ""), 0u);
  EXPECT_EQ(hash_key(HashKind::kMurmur, ""), 0u);
  EXPECT_EQ(hash_key(HashKind::kJenkins, ""), 0xdeadbefcu);
  EXPECT_EQ(hash_key(HashKind::kCrc32a, ""), 0u);
  EXPECT_EQ(hash_key(HashKind::kMd5, ""), 3649838548u);
}

TEST(Hash, CrcVariants) {
  // crc32a is the real CRC-32; crc32 is libmemcached's 15-bit slice of it.
  EXPECT_EQ(hash_crc32a("123456789"), 0xCBF43926u);
  EXPECT_EQ(hash_crc32("123456789"), (0xCBF43926u >> 16) & 0x7fff);
  // crc16: CRC16-XMODEM ("123456789" -> 0x31C3) in the low 16 bits, plus the
  // unmasked high bits twemproxy keeps.
  EXPECT_EQ(hash_crc16("123456789") & 0xffff, 0x31C3u);
  EXPECT_EQ(hash_crc16("apple") & 0xffff, 3662830516u & 0xffff);
  EXPECT_NE(hash_crc16("apple") >> 16, 0u);
  // crc32 never exceeds 15 bits, whatever the key.
  for (const char* key : {"foo", "bar", "user:1", "\xff\xfe", "a longer key with spaces"}) {
    EXPECT_LE(hash_crc32(key), 0x7fffu) << key;
  }
}

TEST(Md5, Rfc1321TestSuite) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(md5_hex("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(md5_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(md5_hex("1234567890123456789012345678901234567890"
                    "1234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, PaddingBoundaries) {
  EXPECT_EQ(md5_hex(std::string(55, 'x')), "04364420e25c512fd958a70738aa8f72");
  EXPECT_EQ(md5_hex(std::string(56, 'x')), "668a72d5ba17f08e62dabcafad6db14b");
  EXPECT_EQ(md5_hex(std::string(63, 'x')), "7dc2ca208106a2f703567bdff99d8981");
  EXPECT_EQ(md5_hex(std::string(64, 'x')), "c1bb4f81d892b2d57947682aeb252456");
  EXPECT_EQ(md5_hex(std::string(65, 'x')), "1bc932052302d074bdec39795fe00cf6");
  EXPECT_EQ(md5_hex(std::string(1000, 'x')), "398533d48111e9f664b1f64cb10c4b63");
}

TEST(Md5, KetamaPointWords) {
  // twemproxy's ketama_hash vectors (test_all.c): words 0 and 3 of "server1-8".
  EXPECT_EQ(md5_word("server1-8", 0), 3853726576u);
  EXPECT_EQ(md5_word("server1-8", 3), 2667054752u);
  EXPECT_EQ(md5_hex("127.0.0.1:22101-0"), "21a2d0c169b883d6db69fad18eff8bdd");
  EXPECT_EQ(md5_word("127.0.0.1:22101-0", 0), 3251675681u);
  EXPECT_EQ(md5_word("127.0.0.1:22101-0", 1), 3598956649u);
  EXPECT_EQ(md5_word("127.0.0.1:22101-0", 2), 3522849243u);
  EXPECT_EQ(md5_word("127.0.0.1:22101-0", 3), 3716939662u);
  EXPECT_EQ(hash_md5("127.0.0.1:22101-0"), 3251675681u);  // md5 hash = word 0
}

// twemproxy's hash tag rules and each of their consequences.
TEST(HashTag, BracesSelectTheTaggedPart) {
  EXPECT_EQ(apply_hash_tag("{user1}:a", "{}"), "user1");
  EXPECT_EQ(apply_hash_tag("{user1}:b", "{}"), "user1");
  EXPECT_EQ(apply_hash_tag("prefix{id}suffix", "{}"), "id");
  EXPECT_EQ(apply_hash_tag("{id}", "{}"), "id");
}

TEST(HashTag, EmptyTagHashesTheWholeKey) {
  EXPECT_EQ(apply_hash_tag("x{}y", "{}"), "x{}y");
}

TEST(HashTag, NoCloserHashesTheWholeKey) {
  EXPECT_EQ(apply_hash_tag("{a", "{}"), "{a");
  EXPECT_EQ(apply_hash_tag("a}b{c", "{}"), "a}b{c");  // the closer must follow the opener
}

TEST(HashTag, NoOpenerHashesTheWholeKey) {
  EXPECT_EQ(apply_hash_tag("plain", "{}"), "plain");
  EXPECT_EQ(apply_hash_tag("a}b", "{}"), "a}b");
  EXPECT_EQ(apply_hash_tag("", "{}"), "");
}

TEST(HashTag, FirstTagWins) {
  EXPECT_EQ(apply_hash_tag("a{b}c{d}", "{}"), "b");
  // Only the FIRST opener counts: "{}" right after it disables the tag even
  // though a valid "{x}" follows.
  EXPECT_EQ(apply_hash_tag("{}{x}", "{}"), "{}{x}");
  // The closer search starts after the first opener, so a second opener is
  // just a byte of the tag.
  EXPECT_EQ(apply_hash_tag("{{a}}", "{}"), "{a");
}

TEST(HashTag, IdenticalOpenerAndCloser) {
  EXPECT_EQ(apply_hash_tag("$abc$def", "$$"), "abc");
  EXPECT_EQ(apply_hash_tag("x$$y", "$$"), "x$$y");
  EXPECT_EQ(apply_hash_tag("$only", "$$"), "$only");
  EXPECT_EQ(apply_hash_tag("a$b$c$d$", "$$"), "b");
}

TEST(HashTag, DisabledUnlessExactlyTwoCharacters) {
  EXPECT_EQ(apply_hash_tag("{user1}:a", ""), "{user1}:a");
  EXPECT_EQ(apply_hash_tag("{user1}:a", "{"), "{user1}:a");
  EXPECT_EQ(apply_hash_tag("{user1}:a", "{}}"), "{user1}:a");
}

TEST(HashTag, ResultIsAViewIntoTheKey) {
  const std::string key = "order:{42}:items";
  const std::string_view tagged = apply_hash_tag(key, "{}");
  EXPECT_EQ(tagged.data(), key.data() + 7);
  EXPECT_EQ(tagged.size(), 2u);
}

TEST(HashTag, BinaryKeys) {
  const std::string key("\x00{\xff\x00}\x01", 6);
  EXPECT_EQ(apply_hash_tag(key, "{}"), std::string_view("\xff\x00", 2));
}

}  // namespace
}  // namespace ringproxy
