// The RingView the command handlers route by: the current RingSnapshot of
// the pool (members by slot, distributions, liveness), and the stale ranges
// of each member (one DirtyCleaner per slot that has any).
//
// A change of any kind (a health state change, a membership change) makes a
// new snapshot and publish() swaps it in: the handlers see it from their next
// request on (the loop is single-threaded, so a swap always falls between two
// requests), requests already sent finish on the connection they went out on.
// The snapshot is also published in a RingHandle, the shared, immutable form
// that worker threads with loops of their own would each read through a
// RingReader.
//
// Every swap records, for each member live before and after, the ranges it
// lost (placement/dirty_set.hpp): reads routed to it that fall in one answer
// as misses (stale()) until its cleaner has removed its copies.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "ringproxy/commands/ring_view.hpp"
#include "ringproxy/placement/dirty_cleaner.hpp"
#include "ringproxy/placement/ring_handle.hpp"
#include "ringproxy/placement/ring_snapshot.hpp"

namespace ringproxy {

class LiveRing final : public RingView {
 public:
  // `clock` is the loop's monotonic milliseconds (uv_now).
  LiveRing(std::shared_ptr<const RingSnapshot> initial, CleanerOptions cleanup,
           std::function<uint64_t()> clock);

  BackendId owner(std::string_view key) const override { return ring_->owner_slot_for_key(key); }
  BackendId home(std::string_view key) const override {
    return ring_->home_slot(ring_->key_hash(key));
  }
  bool live(BackendId backend) const override { return ring_->is_live(backend); }
  bool any_down() const override { return !ring_->all_live(); }
  std::span<const BackendId> members() const override { return members_; }
  uint32_t id_limit() const override { return ring_->slot_limit(); }
  bool stale(BackendId backend, std::string_view key) const override {
    if (dirty_entries_ == 0) [[likely]] {
      return false;
    }
    return backend < cleaners_.size() && cleaners_[backend] != nullptr &&
           cleaners_[backend]->dirty().matches(ring_->key_hash(key));
  }

  bool window_open() const override {
    return ring_->previous() != nullptr && ring_->window_open(clock_());
  }
  BackendId previous_home(std::string_view key) const override;
  uint64_t key_lane(std::string_view key) const override { return ring_->key_hash(key); }

  // Takes `backend` into placement (up) or out of it (down): a new snapshot
  // with that liveness. Returns false if that is its state already.
  bool set_live(BackendId backend, bool live);
  // Makes `next` the current snapshot and records the ranges each member
  // lost. Members gone from `next` lose their stale-range bookkeeping.
  void publish(std::shared_ptr<const RingSnapshot> next);

  const RingSnapshot& snapshot() const { return *ring_; }
  bool is_member_slot(uint32_t slot) const { return ring_->is_member(slot); }
  const std::shared_ptr<const RingSnapshot>& snapshot_ptr() const { return ring_; }
  const RingHandle& handle() const { return handle_; }

  // Stale ranges. cleaner() is null for a slot without any.
  DirtyCleaner* cleaner(uint32_t slot) {
    return slot < cleaners_.size() ? cleaners_[slot].get() : nullptr;
  }
  const DirtyCleaner* cleaner(uint32_t slot) const {
    return slot < cleaners_.size() ? cleaners_[slot].get() : nullptr;
  }
  // The member was flushed (rejoin policy): nothing of it is stale.
  void clear_dirty(uint32_t slot);
  // Recounts after a cleaner dropped entries.
  void entries_changed();
  uint64_t dirty_entries() const { return dirty_entries_; }

 private:
  RingHandle handle_;
  std::shared_ptr<const RingSnapshot> ring_;
  std::vector<BackendId> members_;                       // ascending slots
  std::vector<std::unique_ptr<DirtyCleaner>> cleaners_;  // by slot
  uint64_t dirty_entries_ = 0;
  CleanerOptions cleanup_;
  std::function<uint64_t()> clock_;
};

}  // namespace ringproxy
