// Staleness bookkeeping: which keys a backend may hold stale copies of.
//
// A backend may hold a stale copy of key k if k's ownership moved away from it
// while it was alive (another backend then took k's writes and deletes) and
// may come back later. So at every snapshot swap (membership or liveness),
// each member live in both snapshots gets a dirty entry for the hashes it
// LOSES:
//   lost(S) = { h : before.owner(h) == S and after.owner(h) != S }
// kept as the pair of live distributions plus S's node in each: a predicate
// on the key hash, no enumeration of ranges. Reads routed to S whose hash
// matches one of S's entries are answered as a miss; a background cleaner
// (dirty_cleaner.hpp) SCANs S and UNLINKs the matching keys, then drops the
// entries a full pass covered.
//
// Members down (or new) on either side get no entry: a backend that comes
// back or joins goes through the rejoin policy instead.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "ringproxy/placement/hash_ring.hpp"
#include "ringproxy/placement/ring_snapshot.hpp"

namespace ringproxy {

struct DirtyEntry {
  std::shared_ptr<const Distribution> before;  // live distribution before the swap
  std::shared_ptr<const Distribution> after;   // and after it
  uint32_t before_node = kNoNode;              // the backend in each
  uint32_t after_node = kNoNode;
  uint64_t version = 0;     // version of the snapshot swapped in
  uint64_t created_ms = 0;  // the caller's monotonic clock
  // The cleaner leaves the entry's keys alone until then: during a migration
  // window the previous owners' copies are what window reads are served from.
  uint64_t clean_from_ms = 0;
  uint64_t seq = 0;  // order of arrival in its DirtySet (set by add)

  bool matches(uint32_t hash) const {
    return before->locate(hash) == before_node && after->locate(hash) != after_node;
  }
};

// The entries a swap from `before` to `after` creates, by slot: one for each
// member live in both whose owned hashes shrink (Distribution::losers), in
// node order of `before`.
// With a migration window open in `after`, clean_from_ms is its end.
std::vector<std::pair<uint32_t, DirtyEntry>> lost_ranges(const RingSnapshot& before,
                                                         const RingSnapshot& after,
                                                         uint64_t now_ms);

// One backend's entries. matches() is what the data path asks per read: one
// branch while the set is empty (the usual case), two distribution lookups
// per entry otherwise.
class DirtySet {
 public:
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  std::span<const DirtyEntry> entries() const { return entries_; }

  bool matches(uint32_t hash) const {
    if (entries_.empty()) [[likely]] {
      return false;
    }
    return matches_any(hash);
  }
  // Only entries created by snapshots older than `version`: a migration-window
  // read of a key's previous home ignores the entries of the change that
  // opened the window (the previous home's copies are what the window serves)
  // but not older ones.
  bool matches_before(uint32_t hash, uint64_t version) const;

  void add(DirtyEntry entry);
  // Removes the entries `drop` returns true for; returns how many.
  template <typename Pred>
  size_t remove_if(Pred drop) {
    const size_t n = entries_.size();
    std::erase_if(entries_, drop);
    return n - entries_.size();
  }
  void clear() { entries_.clear(); }  // the backend was flushed: nothing stale remains
  uint64_t next_seq() const { return next_seq_; }

 private:
  bool matches_any(uint32_t hash) const;

  std::vector<DirtyEntry> entries_;
  uint64_t next_seq_ = 0;
};

}  // namespace ringproxy
