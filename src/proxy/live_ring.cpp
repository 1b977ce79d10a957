// See live_ring.hpp.
#include "ringproxy/proxy/live_ring.hpp"

#include <algorithm>

#include "ringproxy/placement/dirty_set.hpp"
#include "ringproxy/placement/ring_builder.hpp"

namespace ringproxy {

namespace {

std::vector<BackendId> member_slots(const RingSnapshot& ring) {
  std::vector<BackendId> slots;
  slots.reserve(ring.size());
  for (const RingMember& m : ring.members()) slots.push_back(m.slot);
  std::sort(slots.begin(), slots.end());
  return slots;
}

}  // namespace

LiveRing::LiveRing(std::shared_ptr<const RingSnapshot> initial, CleanerOptions cleanup,
                   std::function<uint64_t()> clock)
    : handle_(initial),
      ring_(std::move(initial)),
      members_(member_slots(*ring_)),
      cleanup_(cleanup),
      clock_(std::move(clock)) {}

bool LiveRing::set_live(BackendId backend, bool live) {
  if (!ring_->is_member(backend) || ring_->is_live(backend) == live) return false;
  publish(with_liveness(*ring_, backend, live ? Liveness::kUp : Liveness::kDown));
  return true;
}

void LiveRing::publish(std::shared_ptr<const RingSnapshot> next) {
  std::shared_ptr<const RingSnapshot> before = std::move(ring_);
  ring_ = std::move(next);
  handle_.publish(ring_);
  if (before->membership() != ring_->membership()) {
    members_ = member_slots(*ring_);
    // A slot that left, or now names another backend, has nothing stale
    // there any more.
    for (uint32_t slot = 0; slot < cleaners_.size(); ++slot) {
      if (cleaners_[slot] == nullptr) continue;
      const RingMember* was = before->member(slot);
      const RingMember* now = ring_->member(slot);
      if (now == nullptr || was == nullptr || now->spec.address() != was->spec.address()) {
        cleaners_[slot].reset();
      }
    }
  }
  for (auto& [slot, entry] : lost_ranges(*before, *ring_, clock_())) {
    if (slot >= cleaners_.size()) cleaners_.resize(slot + 1);
    if (cleaners_[slot] == nullptr) {
      cleaners_[slot] = std::make_unique<DirtyCleaner>(ring_->hasher(), cleanup_);
    }
    cleaners_[slot]->add(std::move(entry));
  }
  entries_changed();
}

BackendId LiveRing::previous_home(std::string_view key) const {
  const uint32_t hash = ring_->key_hash(key);
  const uint32_t slot = ring_->previous_home_slot(hash, clock_());
  if (slot == kNoSlot) return kNoBackend;
  // Its copy is stale if the key had already moved away from it and back
  // before this change (the change that opened the window does not count:
  // its copies are what the window serves).
  const DirtyCleaner* c = cleaner(slot);
  if (c != nullptr && c->dirty().matches_before(hash, ring_->membership_version())) {
    return kNoBackend;
  }
  return slot;
}

void LiveRing::clear_dirty(uint32_t slot) {
  if (DirtyCleaner* c = cleaner(slot)) c->clear();
  entries_changed();
}

void LiveRing::entries_changed() {
  dirty_entries_ = 0;
  for (const auto& c : cleaners_) {
    if (c != nullptr) dirty_entries_ += c->dirty().size();
  }
}

}  // namespace ringproxy
