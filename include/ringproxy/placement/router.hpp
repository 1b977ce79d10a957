// Key -> backend for a ring whose members never change: a thin layer over a
// RingSnapshot whose slots are the positions in the node list, so "backend"
// below is both. Allocation-free; one hash and one lookup per key. Code that
// follows membership changes uses RingSnapshot, RingHandle and ring_builder
// directly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"
#include "ringproxy/placement/ring_snapshot.hpp"

namespace ringproxy {

class Router {
 public:
  Router(HashKind hash, std::string hash_tag, DistributionKind distribution,
         const std::vector<RingNode>& nodes);

  // The live backend that owns `key`, or kNoNode when every backend is down.
  uint32_t backend_for_key(std::string_view key) const {
    return ring_->owner_slot(ring_->key_hash(key));
  }
  // The backend that owns `key` when every backend is up (its home).
  uint32_t home_for_key(std::string_view key) const {
    return ring_->home_slot(ring_->key_hash(key));
  }
  // Hash of the (tag-reduced) key; the empty key hashes to 0 like twemproxy.
  uint32_t key_hash(std::string_view key) const { return ring_->key_hash(key); }
  // Marks backends up or down (one entry per backend): a new snapshot with
  // liveness applied to a copy of the distribution.
  void set_live(const std::vector<bool>& live);
  const Distribution& distribution() const { return ring_->live(); }
  size_t size() const { return ring_->size(); }
  const std::shared_ptr<const RingSnapshot>& ring() const { return ring_; }

 private:
  std::shared_ptr<const RingSnapshot> ring_;
};

static_assert(kNoSlot == kNoNode, "Router returns slots where callers expect node indexes");

}  // namespace ringproxy
