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

class ModulaDistribution final : public Distribution {
 public:
  explicit ModulaDistribution(const std::vector<RingNode>& nodes)
      : weights_(nodes.size()), order_(twemproxy_pool_order(nodes)), live_(nodes.size(), true) {
    for (size_t i = 0; i < nodes.size(); ++i) weights_[i] = nodes[i].weight;
    all_ = build(live_);
    live_slots_ = all_;
  }

  uint32_t locate(uint32_t key_hash) const override {
    if (live_slots_.total() == 0) return kNoNode;
    const uint32_t first = all_.owner(key_hash % all_.total());
    if (live_[first]) return first;
    const uint64_t second = detail::mix64(key_hash);
    return live_slots_.owner(second % live_slots_.total());
  }

  void set_live(const std::vector<bool>& live) override {
    detail::check_live_size(live, weights_.size());
    live_ = live;
    live_slots_ = build(live_);
  }

  std::vector<uint32_t> points_per_node() const override { return weights_; }
  DistributionKind kind() const override { return DistributionKind::kModula; }

 private:
  SlotTable build(const std::vector<bool>& include) const {
    SlotTable t;
    uint64_t sum = 0;
    for (size_t i : order_) {
      if (!include[i]) continue;
      sum += weights_[i];
      t.cumulative.push_back(sum);
      t.node.push_back(static_cast<uint32_t>(i));
    }
    if (sum <= kMaxFlatSlots) {
      for (size_t k = 0; k < t.node.size(); ++k) {
        t.flat.insert(t.flat.end(), weights_[t.node[k]], t.node[k]);
      }
    }
    return t;
  }

  std::vector<uint32_t> weights_;
  std::vector<size_t> order_;
  std::vector<bool> live_;
  SlotTable all_;         // every node: the twemproxy modulus
  SlotTable live_slots_;  // live nodes only: the second draw
};

}  // namespace

namespace detail {
std::unique_ptr<Distribution> make_modula(const std::vector<RingNode>& nodes) {
  return std::make_unique<ModulaDistribution>(nodes);
}
}  // namespace detail

}  // namespace ringproxy
