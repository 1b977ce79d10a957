// See dirty_set.hpp.
#include "ringproxy/placement/dirty_set.hpp"

#include <algorithm>

namespace ringproxy {

std::vector<std::pair<uint32_t, DirtyEntry>> lost_ranges(const RingSnapshot& before,
                                                         const RingSnapshot& after,
                                                         uint64_t now_ms) {
  std::vector<std::pair<uint32_t, DirtyEntry>> out;
  if (before.live_ptr() == after.live_ptr()) return out;  // placement did not change
  // Each old node's index in `after`, when it is the same backend there.
  std::vector<uint32_t> same(before.size(), kNoNode);
  for (uint32_t node = 0; node < before.size(); ++node) {
    const RingMember& m = before.members()[node];
    const RingMember* now = after.member(m.slot);
    if (now != nullptr && now->spec.ring_name == m.spec.ring_name)
      same[node] = after.node_of(m.slot);
  }
  const std::vector<bool> lost = after.live().losers(before.live(), same);
  const uint64_t clean_from =
      after.window_open(now_ms) ? std::max(now_ms, after.previous()->window_end_ms) : now_ms;
  for (uint32_t node = 0; node < before.size(); ++node) {
    if (!lost[node] || same[node] == kNoNode) continue;
    const uint32_t slot = before.slot_of_node(node);
    if (!before.is_live(slot) || !after.is_live(slot)) continue;  // rejoin policy instead
    DirtyEntry e;
    e.before = before.live_ptr();
    e.after = after.live_ptr();
    e.before_node = node;
    e.after_node = same[node];
    e.version = after.version();
    e.created_ms = now_ms;
    e.clean_from_ms = clean_from;
    out.emplace_back(slot, std::move(e));
  }
  return out;
}

bool DirtySet::matches_any(uint32_t hash) const {
  for (const DirtyEntry& e : entries_) {
    if (e.matches(hash)) return true;
  }
  return false;
}

bool DirtySet::matches_before(uint32_t hash, uint64_t version) const {
  for (const DirtyEntry& e : entries_) {
    if (e.version < version && e.matches(hash)) return true;
  }
  return false;
}

void DirtySet::add(DirtyEntry entry) {
  entry.seq = next_seq_++;
  entries_.push_back(std::move(entry));
}

}  // namespace ringproxy
