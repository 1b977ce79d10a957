// Shared by the libFuzzer targets in this folder: a check that aborts (so
// libFuzzer reports the input as a crash, in every build type), and split
// points for feeding an input in pieces, derived from the input itself so a
// seed stays a plain protocol stream or file and a reproducer replays the same
// way everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace ringproxy::fuzz {

[[noreturn]] inline void check_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz check failed: %s at %s:%d\n", what, file, line);
  std::abort();
}

#define FUZZ_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::ringproxy::fuzz::check_failed(#cond, __FILE__, __LINE__))

// FNV-1a over the input: the seed of everything a target varies besides the
// bytes themselves (limits, split points).
inline uint64_t input_hash(const uint8_t* data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

// splitmix64: small, fast, good enough to spread split points.
class SplitRng {
 public:
  explicit SplitRng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }

 private:
  uint64_t state_;
};

// Piece sizes adding up to `size`: mostly short pieces (1..16 bytes, where
// resumption inside headers and CRLFs happens) with some long ones.
inline std::vector<size_t> piece_sizes(size_t size, SplitRng& rng) {
  std::vector<size_t> out;
  while (size > 0) {
    size_t n = rng.below(4) == 0 ? 1 + rng.below(256) : 1 + rng.below(16);
    if (n > size) n = size;
    out.push_back(n);
    size -= n;
  }
  return out;
}

}  // namespace ringproxy::fuzz
