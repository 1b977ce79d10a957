// Key -> backend: hash tag, hash function, then the distribution (ring).
// Allocation-free; one hash and one binary search per key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"

namespace ringproxy {

class Router {
 public:
  Router(HashKind hash, std::string hash_tag, DistributionKind distribution,
         const std::vector<RingNode>& nodes);

  // The live backend that owns `key`, or kNoNode when every backend is down.
  uint32_t backend_for_key(std::string_view key) const {
    return distribution_->locate(key_hash(key));
  }
  // The backend that owns `key` when every backend is up (its home).
  uint32_t home_for_key(std::string_view key) const { return home_->locate(key_hash(key)); }
  // Hash of the (tag-reduced) key; the empty key hashes to 0 like twemproxy.
  uint32_t key_hash(std::string_view key) const;
  void set_live(const std::vector<bool>& live) { distribution_->set_live(live); }
  const Distribution& distribution() const { return *distribution_; }
  size_t size() const { return size_; }

 private:
  HashKind hash_;
  std::string hash_tag_;
  std::unique_ptr<Distribution> distribution_;
  std::unique_ptr<Distribution> home_;  // never marked down
  size_t size_;
};

}  // namespace ringproxy
