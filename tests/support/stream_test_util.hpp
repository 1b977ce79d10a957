// Helpers shared by the tests of the two stream parsers (RequestParser and
// ReplyScanner): readable dumps of raw bytes, ways to cut a stream into reads,
// and the random/mutated inputs of their fuzz tests.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringproxy::test_util {

// Concatenation without `"literal" + std::string&&`, which trips a false
// -Wrestrict in GCC 12 at -O3.
inline std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) s.append(p);
  return s;
}

// Raw bytes as a one-line C-style literal, for failure messages.
inline std::string escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// Read boundaries of a byte-at-a-time delivery of n bytes.
inline std::vector<size_t> bytewise(size_t n) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i <= n; ++i) cuts.push_back(i);
  if (cuts.empty()) cuts.push_back(0);
  return cuts;
}

// Fuzz inputs: either random bytes (biased towards the protocol's special
// characters) or a few valid messages from `corpus` concatenated and then
// mutated (bytes replaced, inserted, erased, or the tail cut off).
class StreamFuzzer {
 public:
  StreamFuzzer(uint64_t seed, std::string specials, const std::vector<std::string>& corpus)
      : rng_(seed), specials_(std::move(specials)), corpus_(corpus) {}

  size_t pick(size_t n) { return static_cast<size_t>(rng_() % n); }

  std::string next_input() {
    std::string in;
    if (pick(5) == 0) {
      for (size_t i = pick(64); i > 0; --i) in.push_back(random_byte());
      return in;
    }
    for (size_t i = 1 + pick(4); i > 0; --i) in += corpus_[pick(corpus_.size())];
    for (size_t m = pick(5); m > 0 && !in.empty(); --m) {
      const size_t at = pick(in.size());
      switch (pick(4)) {
        case 0:
          in[at] = random_byte();
          break;
        case 1:
          in.insert(in.begin() + static_cast<std::ptrdiff_t>(at), random_byte());
          break;
        case 2:
          in.erase(at, 1);
          break;
        case 3:
          in.resize(at);
          break;
      }
    }
    return in;
  }

  // Random read boundaries (1 to 8 bytes apart) over n bytes.
  std::vector<size_t> random_cuts(size_t n) {
    std::vector<size_t> cuts;
    for (size_t at = 0; at < n;) {
      at = std::min(n, at + 1 + pick(8));
      cuts.push_back(at);
    }
    if (cuts.empty()) cuts.push_back(0);
    return cuts;
  }

 private:
  char random_byte() {
    return pick(3) == 0 ? static_cast<char>(pick(256)) : specials_[pick(specials_.size())];
  }

  std::mt19937_64 rng_;
  std::string specials_;
  const std::vector<std::string>& corpus_;
};

}  // namespace ringproxy::test_util
