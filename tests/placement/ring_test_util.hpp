// Helpers shared by the ring snapshot, builder and staleness tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringproxy/placement/backend_spec.hpp"
#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"
#include "ringproxy/placement/ring_snapshot.hpp"

namespace ringproxy::test {

inline constexpr DistributionKind kAllKinds[] = {
    DistributionKind::kKetama, DistributionKind::kModula, DistributionKind::kRendezvous,
    DistributionKind::kJump, DistributionKind::kMaglev};

inline std::vector<BackendSpec> specs(const std::vector<std::string>& servers) {
  std::vector<BackendSpec> out;
  for (const std::string& s : servers) out.push_back(parse_backend_spec(s));
  return out;
}

// "10.0.0.<i>:6379" for i in [from, to], weight 1.
inline std::vector<BackendSpec> numbered(int from, int to) {
  std::vector<std::string> servers;
  for (int i = from; i <= to; ++i) servers.push_back("10.0.0." + std::to_string(i) + ":6379");
  return specs(servers);
}

inline RingParams params(DistributionKind kind, HashKind hash = HashKind::kMurmur) {
  return {hash, "", kind};
}

// Well-spread key hashes.
inline std::vector<uint32_t> sample_hashes(size_t count) {
  std::vector<uint32_t> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) out.push_back(hash_murmur("key:" + std::to_string(i)));
  return out;
}

// Ring name of the live owner of a hash ("" when none): identity across
// snapshots whose slots differ.
inline std::string owner_name(const RingSnapshot& ring, uint32_t hash) {
  const RingMember* m = ring.member(ring.owner_slot(hash));
  return m == nullptr ? std::string() : m->spec.ring_name;
}
inline std::string home_name(const RingSnapshot& ring, uint32_t hash) {
  const RingMember* m = ring.member(ring.home_slot(hash));
  return m == nullptr ? std::string() : m->spec.ring_name;
}

}  // namespace ringproxy::test
