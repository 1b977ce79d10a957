// Helpers shared by the distribution tests (ketama_test.cpp, distribution_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/placement/backend_spec.hpp"
#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"
#include "ringproxy/placement/hash_tag.hpp"

namespace ringproxy::distribution_test {

// The keys of the routing tables recorded from nutcracker.
inline const char* const kTableKeys[] = {"foo",    "bar",    "user:1", "user:2",
                                         "user:3", "user:4", "user:5", "user:6",
                                         "user:7", "user:8", "user:9", "user:10"};

inline std::vector<RingNode> nodes_from(const std::vector<std::string>& server_strings) {
  std::vector<RingNode> nodes;
  for (const std::string& s : server_strings) {
    const BackendSpec spec = parse_backend_spec(s);
    nodes.push_back({spec.ring_name, spec.weight});
  }
  return nodes;
}

inline std::vector<RingNode> numbered(size_t n, const std::string& prefix = "node") {
  std::vector<RingNode> nodes;
  for (size_t i = 0; i < n; ++i) nodes.push_back({prefix + std::to_string(i), 1});
  return nodes;
}

// twemproxy's routing of a key: hash tag, empty key -> 0, then the pool hash.
inline uint32_t route_hash(HashKind kind, std::string_view key, std::string_view tag = "") {
  const std::string_view k = apply_hash_tag(key, tag);
  return k.empty() ? 0 : hash_key(kind, k);
}

// Spread-out key hashes for statistical tests.
inline std::vector<uint32_t> sample_hashes(size_t count) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < count; ++i) out.push_back(hash_murmur("key:" + std::to_string(i)));
  return out;
}

}  // namespace ringproxy::distribution_test
