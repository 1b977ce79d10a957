// See ring_snapshot.hpp.
#include "ringproxy/placement/ring_snapshot.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ringproxy {

std::string_view liveness_name(Liveness l) {
  switch (l) {
    case Liveness::kUp:
      return "up";
    case Liveness::kFailing:
      return "failing";
    case Liveness::kDown:
      return "down";
    case Liveness::kProbing:
      return "probing";
  }
  return "unknown";
}

RingMembership::RingMembership(std::vector<RingMember> members) : members_(std::move(members)) {
  if (members_.empty()) throw std::invalid_argument("ring membership: no members");
  uint32_t limit = 0;
  for (const RingMember& m : members_) {
    if (m.slot == kNoSlot) throw std::invalid_argument("ring membership: member without a slot");
    limit = std::max(limit, m.slot + 1);
  }
  slot_node_.assign(limit, kNoNode);
  node_slot_.resize(members_.size());
  by_name_.reserve(members_.size());
  for (uint32_t node = 0; node < members_.size(); ++node) {
    const RingMember& m = members_[node];
    if (slot_node_[m.slot] != kNoNode) {
      throw std::invalid_argument("ring membership: slot " + std::to_string(m.slot) +
                                  " used twice");
    }
    if (!by_name_.emplace(m.spec.ring_name, node).second) {
      throw std::invalid_argument("ring membership: duplicate ring name '" + m.spec.ring_name +
                                  "'");
    }
    slot_node_[m.slot] = node;
    node_slot_[node] = m.slot;
  }
}

uint32_t RingMembership::node_named(std::string_view ring_name) const {
  const auto it = by_name_.find(ring_name);
  return it == by_name_.end() ? kNoNode : it->second;
}

RingSnapshot::RingSnapshot(Parts parts)
    : parts_(std::move(parts)),
      home_(parts_.home.get()),
      live_(parts_.live.get()),
      node_slot_(nullptr),
      hasher_(parts_.params.hash, parts_.params.hash_tag) {
  if (parts_.membership == nullptr) throw std::invalid_argument("ring snapshot: no membership");
  if (home_ == nullptr || live_ == nullptr) {
    throw std::invalid_argument("ring snapshot: missing distribution");
  }
  const size_t n = parts_.membership->size();
  if (parts_.liveness.size() != n || home_->node_count() != n || live_->node_count() != n) {
    throw std::invalid_argument(
        "ring snapshot: members, liveness and distributions differ in size");
  }
  node_slot_ = parts_.membership->node_slots().data();
}

uint32_t RingSnapshot::previous_home_slot(uint32_t hash, uint64_t now_ms) const {
  if (!window_open(now_ms)) return kNoSlot;
  const PreviousRing& prev = *parts_.previous;
  const uint32_t node = prev.home->locate(hash);
  if (node == kNoNode) return kNoSlot;
  const uint32_t slot = prev.node_slot[node];
  if (slot == home_slot(hash) || !is_live(slot)) return kNoSlot;
  return slot;
}

}  // namespace ringproxy
