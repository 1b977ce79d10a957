// An immutable picture of a pool's placement at one moment: its members, each
// with a stable slot id and a liveness, the distribution with every member up
// (home) and with liveness applied (live), and the membership before the last
// membership change (for the migration window). A change builds a new
// snapshot (ring_builder.hpp) and publishes it (ring_handle.hpp); a snapshot is
// never modified, so any thread may read it while others build the next one.
//
// Slots: everything per backend (connections, health, stats, cleanup state)
// is indexed by slot, never by position. A member keeps its slot while it is
// a member; the node index (position in members(), what the distributions
// return) may change at every membership change.
//
// Lookups allocate nothing and take no lock: owner_slot is one distribution
// lookup and one array read.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ringproxy/placement/backend_spec.hpp"
#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"
#include "ringproxy/placement/key_hasher.hpp"

namespace ringproxy {

// A member's health as the health checker reports it. Placement uses one bit
// of it: a failing backend still owns its keys (it is live), a down or
// probing one does not (its keys go to their next owner).
enum class Liveness : uint8_t { kUp, kFailing, kDown, kProbing };
constexpr bool is_live(Liveness l) {
  return l == Liveness::kUp || l == Liveness::kFailing;
}
std::string_view liveness_name(Liveness l);  // "up", "failing", "down", "probing"

inline constexpr uint32_t kNoSlot = UINT32_MAX;

struct RingMember {
  uint32_t slot = kNoSlot;
  BackendSpec spec;
};

// The members and their slot maps: fixed between membership changes, so
// snapshots that differ only in liveness share one.
class RingMembership {
 public:
  // Throws std::invalid_argument for duplicate slots or ring names, a member
  // without a slot, or no member at all.
  explicit RingMembership(std::vector<RingMember> members);
  RingMembership(const RingMembership&) = delete;  // by_name_ views into members_
  RingMembership& operator=(const RingMembership&) = delete;

  std::span<const RingMember> members() const { return members_; }
  size_t size() const { return members_.size(); }
  uint32_t slot_limit() const { return static_cast<uint32_t>(slot_node_.size()); }
  uint32_t node_of(uint32_t slot) const {
    return slot < slot_node_.size() ? slot_node_[slot] : kNoNode;
  }
  uint32_t slot_of_node(uint32_t node) const { return node_slot_[node]; }
  const std::vector<uint32_t>& node_slots() const { return node_slot_; }
  uint32_t node_named(std::string_view ring_name) const;  // kNoNode when absent

 private:
  std::vector<RingMember> members_;  // node order: member i is distribution node i
  std::vector<uint32_t> node_slot_;  // node index -> slot
  std::vector<uint32_t> slot_node_;  // slot -> node index, kNoNode for free slots
  std::unordered_map<std::string_view, uint32_t> by_name_;  // views into members_
};

// What a pool places keys with besides its members; fixed for a proxy's life.
struct RingParams {
  HashKind hash = HashKind::kMurmur;
  std::string hash_tag;
  DistributionKind distribution = DistributionKind::kKetama;
};

// The home placement of the membership before the last membership change:
// while the window is open (now < window_end_ms, on the caller's monotonic
// millisecond clock, e.g. uv_now), a read that misses on a key's new home may
// be answered by its previous home.
struct PreviousRing {
  std::shared_ptr<const Distribution> home;
  std::vector<uint32_t> node_slot;  // its node index -> slot
  uint64_t window_end_ms = 0;
};

class RingSnapshot {
 public:
  // Everything a snapshot holds; ring_builder.hpp's functions fill it in.
  struct Parts {
    uint64_t version = 1;
    uint64_t membership_version = 1;  // version of the last membership change
    std::string source;               // "config", "PROXY ADD ...", "SIGHUP", "etcd revision N"
    RingParams params;
    std::shared_ptr<const RingMembership> membership;
    std::vector<Liveness> liveness;                // node order
    std::shared_ptr<const Distribution> home;      // built over the members, all live
    std::shared_ptr<const Distribution> live;      // home itself when every member is live
    std::shared_ptr<const PreviousRing> previous;  // null: no window
  };

  // Throws std::invalid_argument when the parts do not fit together (a
  // missing membership or distribution, a liveness or distribution of
  // another size).
  explicit RingSnapshot(Parts parts);

  uint64_t version() const { return parts_.version; }
  uint64_t membership_version() const { return parts_.membership_version; }
  const std::string& source() const { return parts_.source; }
  const RingParams& params() const { return parts_.params; }
  const std::shared_ptr<const RingMembership>& membership() const { return parts_.membership; }
  std::span<const RingMember> members() const { return parts_.membership->members(); }
  size_t size() const { return parts_.membership->size(); }

  // Slots. slot_limit() is one past the highest slot in use: per-slot arrays
  // of that size cover every member.
  uint32_t slot_limit() const { return parts_.membership->slot_limit(); }
  uint32_t node_of(uint32_t slot) const { return parts_.membership->node_of(slot); }
  uint32_t slot_of_node(uint32_t node) const { return node_slot_[node]; }
  bool is_member(uint32_t slot) const { return node_of(slot) != kNoNode; }
  const RingMember* member(uint32_t slot) const {
    const uint32_t node = node_of(slot);
    return node == kNoNode ? nullptr : &members()[node];
  }
  const RingMember* find(std::string_view ring_name) const {
    const uint32_t node = parts_.membership->node_named(ring_name);
    return node == kNoNode ? nullptr : &members()[node];
  }
  // Liveness by node (node order), and by slot (kDown for a non-member).
  std::span<const Liveness> node_liveness() const { return parts_.liveness; }
  Liveness liveness(uint32_t slot) const {
    const uint32_t node = node_of(slot);
    return node == kNoNode ? Liveness::kDown : parts_.liveness[node];
  }
  bool is_live(uint32_t slot) const { return ringproxy::is_live(liveness(slot)); }
  bool all_live() const { return parts_.live == parts_.home; }

  const Distribution& home() const { return *home_; }
  const Distribution& live() const { return *live_; }
  const std::shared_ptr<const Distribution>& home_ptr() const { return parts_.home; }
  const std::shared_ptr<const Distribution>& live_ptr() const { return parts_.live; }
  const std::shared_ptr<const PreviousRing>& previous() const { return parts_.previous; }

  // Hash of the (tag-reduced) key; the empty key hashes to 0 like twemproxy.
  uint32_t key_hash(std::string_view key) const { return hasher_(key); }
  const KeyHasher& hasher() const { return hasher_; }
  // The live member that owns the hash, kNoSlot when every member is down.
  uint32_t owner_slot(uint32_t hash) const { return to_slot(live_->locate(hash)); }
  // The member that owns the hash when every member is up.
  uint32_t home_slot(uint32_t hash) const { return to_slot(home_->locate(hash)); }
  uint32_t owner_slot_for_key(std::string_view key) const { return owner_slot(key_hash(key)); }

  // Migration window: whether it is open at now_ms, and the hash's previous
  // home while it is, when that differs from its home now and is a live member
  // now; kNoSlot otherwise (no window, window over, not moved, not live).
  bool window_open(uint64_t now_ms) const {
    return parts_.previous != nullptr && now_ms < parts_.previous->window_end_ms;
  }
  uint32_t previous_home_slot(uint32_t hash, uint64_t now_ms) const;

 private:
  uint32_t to_slot(uint32_t node) const { return node == kNoNode ? kNoSlot : node_slot_[node]; }

  Parts parts_;
  const Distribution* home_;
  const Distribution* live_;
  const uint32_t* node_slot_;  // the membership's, read directly on every lookup
  KeyHasher hasher_;
};

}  // namespace ringproxy
