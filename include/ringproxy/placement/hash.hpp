// Key hash functions. Every function reproduces twemproxy 0.5's hashkit bit for
// bit (including its sign-extension of bytes >= 0x80 where twemproxy has it), so
// that a pool moved from twemproxy keeps every key on the same backend.
//
// twemproxy was built where `char` is signed (x86); these functions reproduce
// that behaviour on every platform, so placement does not depend on the CPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ringproxy {

enum class HashKind : uint8_t {
  kOneAtATime,
  kMd5,
  kCrc16,
  kCrc32,
  kCrc32a,
  kFnv1_64,
  kFnv1a_64,
  kFnv1_32,
  kFnv1a_32,
  kHsieh,
  kMurmur,
  kJenkins,
};

// Parses a twemproxy hash name ("fnv1a_64", "murmur", ...); exact, lower case.
std::optional<HashKind> parse_hash_name(std::string_view name);
std::string_view hash_name(HashKind kind);
// All supported names, in twemproxy's order, for help texts and errors.
std::span<const std::string_view> hash_names();

// The 32-bit hash twemproxy computes for `key` with `kind`. Note: twemproxy
// routes the empty key with hash 0 without calling the function; that rule is
// the caller's (the router's), this returns the function's own value.
uint32_t hash_key(HashKind kind, std::string_view key);

// md5 digest of `data` (ketama point generation needs the full 16 bytes).
void md5_digest(std::string_view data, unsigned char out[16]);

// The individual functions, for callers that resolve the kind once
// (hash_function) and for benchmarks. Same values as hash_key.
using HashFn = uint32_t (*)(std::string_view key);
HashFn hash_function(HashKind kind);

uint32_t hash_one_at_a_time(std::string_view key);  // Jenkins OAAT, sign-extended bytes
uint32_t hash_md5(std::string_view key);            // first 4 digest bytes, little-endian
uint32_t hash_crc16(std::string_view key);          // XMODEM in an unmasked uint32 (high garbage)
uint32_t hash_crc32(std::string_view key);          // libmemcached: (crc32 >> 16) & 0x7fff
uint32_t hash_crc32a(std::string_view key);         // standard CRC-32 (zlib)
uint32_t hash_fnv1_64(std::string_view key);        // low 32 bits of 64-bit FNV-1, sign-extended
uint32_t hash_fnv1a_64(std::string_view key);  // 32-bit loop with the 64-bit constants' low words
uint32_t hash_fnv1_32(std::string_view key);
uint32_t hash_fnv1a_32(std::string_view key);
uint32_t hash_hsieh(std::string_view key);    // SuperFastHash (libmemcached port)
uint32_t hash_murmur(std::string_view key);   // MurmurHash2, seed 0xdeadbeef * len
uint32_t hash_jenkins(std::string_view key);  // lookup3 hashlittle, initval 13

}  // namespace ringproxy
