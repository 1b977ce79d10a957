// Modula: twemproxy's slot list. Each node, in twemproxy pool order (ring names
// by length, then bytes), owns `weight` consecutive slots; a key goes to
// slot hash % W, W = total weight. With all nodes live this matches twemproxy
// exactly (names c, bb, a -> slots a, c, bb).
//
// The slot list is materialised only while it is small (total weight up to
// 65536, one array read per lookup); beyond that the owner of slot s is found
// by a binary search over cumulative weights, so a weight of 100000 costs
// nothing.
//
// Failure behaviour (differs from twemproxy on purpose): twemproxy rebuilds
// the slots over the live nodes, which changes the modulus and remaps almost
// every key. ringproxy keeps the modulus, so keys whose slot belongs to a
// live node never move; a key whose slot belongs to a down node takes a second
// draw, slot mix(hash) % W_live over the live nodes' slots (same pool order),
// which spreads the down node's keys over the survivors by weight instead of
// piling them onto one neighbour. All nodes down: kNoNode. Cost: one slot
// lookup, two for keys of a down node.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ringproxy/placement/hash_ring.hpp"

namespace ringproxy {
namespace {

constexpr uint64_t kMaxFlatSlots = 65536;

// Nodes in pool order with cumulative weights; slot s belongs to the first
// entry whose cumulative weight exceeds s.
struct SlotTable {
  std::vector<uint64_t> cumulative;
  std::vector<uint32_t> node;
  std::vector<uint32_t> flat;  // slot -> node, when total() <= kMaxFlatSlots

  uint64_t total() const { return cumulative.empty() ? 0 : cumulative.back(); }
  uint32_t owner(uint64_t slot) const {
    if (!flat.empty()) return flat[slot];
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), slot);
    return node[static_cast<size_t>(it - cumulative.begin())];
  }
};

// What liveness never changes, shared by every clone.
struct ModulaBase {
  std::vector<uint32_t> weights;
  std::vector<size_t> order;
  SlotTable all;  // every node: the twemproxy modulus
};

class ModulaDistribution final : public Distribution {
 public:
  explicit ModulaDistribution(const std::vector<RingNode>& nodes) : live_(nodes.size(), true) {
    auto base = std::make_shared<ModulaBase>();
    base->weights.resize(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) base->weights[i] = nodes[i].weight;
    base->order = twemproxy_pool_order(nodes);
    base->all = build(*base, live_);
    live_slots_ = base->all;
    all_flat_ = base->all.flat.empty() ? nullptr : base->all.flat.data();
    all_total_ = base->all.total();
    base_ = std::move(base);
  }

  uint32_t locate(uint32_t key_hash) const override {
    if (live_slots_.total() == 0) return kNoNode;
    const uint64_t slot = key_hash % all_total_;
    const uint32_t first = all_flat_ != nullptr ? all_flat_[slot] : base_->all.owner(slot);
    if (live_[first]) return first;
    const uint64_t second = detail::mix64(key_hash);
    return live_slots_.owner(second % live_slots_.total());
  }

  void set_live(const std::vector<bool>& live) override {
    detail::check_live_size(live, base_->weights.size());
    live_ = live;
    live_slots_ = build(*base_, live_);
  }

  std::vector<uint32_t> points_per_node() const override { return base_->weights; }
  DistributionKind kind() const override { return DistributionKind::kModula; }
  size_t node_count() const override { return base_->weights.size(); }
  std::unique_ptr<Distribution> clone() const override {
    return std::make_unique<ModulaDistribution>(*this);
  }

  // Placement depends only on the weights and pool order by index and on the
  // live mask. With the same weights and order (a liveness change, or a
  // change that kept every index's weight and rank) a live backend keeps its
  // own slots and holds keys of down nodes' slots only through the second
  // draw: it loses some of them when a down node comes back or the live set
  // (so the second modulus) changes. Otherwise the modulus or the slot list
  // changed and nearly every key moves: true.
  std::vector<bool> losers(const Distribution& before,
                           std::span<const uint32_t> same) const override {
    detail::check_same_size(same, before);
    std::vector<bool> lost(same.size(), true);
    const auto* old = dynamic_cast<const ModulaDistribution*>(&before);
    if (old == nullptr) return lost;
    if (old->base_ != base_ &&
        (old->base_->weights != base_->weights || old->base_->order != base_->order)) {
      return lost;
    }
    const bool had_down =
        std::find(old->live_.begin(), old->live_.end(), false) != old->live_.end();
    const bool second_draw_moves = had_down && old->live_ != live_;
    for (size_t i = 0; i < same.size(); ++i) {
      if (!old->live_[i]) {
        lost[i] = false;  // it owned nothing
      } else if (same[i] == i && live_[i]) {
        lost[i] = second_draw_moves;
      }
    }
    return lost;
  }

 private:
  static SlotTable build(const ModulaBase& base, const std::vector<bool>& include) {
    SlotTable t;
    uint64_t sum = 0;
    for (size_t i : base.order) {
      if (!include[i]) continue;
      sum += base.weights[i];
      t.cumulative.push_back(sum);
      t.node.push_back(static_cast<uint32_t>(i));
    }
    if (sum <= kMaxFlatSlots) {
      for (size_t k = 0; k < t.node.size(); ++k) {
        t.flat.insert(t.flat.end(), base.weights[t.node[k]], t.node[k]);
      }
    }
    return t;
  }

  std::shared_ptr<const ModulaBase> base_;
  // base_->all's slot list and modulus, read directly on every lookup.
  const uint32_t* all_flat_ = nullptr;
  uint64_t all_total_ = 0;
  std::vector<bool> live_;
  SlotTable live_slots_;  // live nodes only: the second draw
};

}  // namespace

namespace detail {
std::unique_ptr<Distribution> make_modula(const std::vector<RingNode>& nodes) {
  return std::make_unique<ModulaDistribution>(nodes);
}
}  // namespace detail

}  // namespace ringproxy
