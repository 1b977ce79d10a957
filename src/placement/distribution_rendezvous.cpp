// Rendezvous (highest random weight), weighted, over a table of 65,536 slots.
//
// A key goes to slot mix64(key hash) >> 48; each slot belongs to the live node
// with the highest score for it: node i draws h_i = mix64(seed_i ^ mix64(slot))
// (seed_i from md5(ring_name)) and scores -w_i / ln(u_i), u_i = h_i mapped into
// (0, 1); ties, essentially impossible, go to the lower pool rank. This is the
// "logarithmic method": node i wins a w_i / W share of the slots. When all
// weights are equal the log is skipped (score order = u order).
//
// Why slots: scoring every node per key costs O(nodes) per lookup; with the
// winners precomputed per slot, a lookup is one mix and one array read,
// whatever the pool size (bench/README.md has the figures). 65,536 slots keep
// the load within about 1% of the weights for pools up to a few hundred nodes.
// Building the table scores every node for every slot, once at start-up (and
// off the loop for a membership change).
//
// Failure behaviour: a down node is simply not scored. Slots (so keys) of live
// nodes never move; a down node's slots go, slot by slot, to each slot's
// second-best node, i.e. spread by weight over all survivors. Only those slots
// are rescored (O(slots) work, not O(slots x nodes)); a node coming back
// reclaims exactly the slots it wins, found by scoring it alone against each
// slot's stored best. All nodes down: kNoNode.
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ringproxy/placement/hash_ring.hpp"

namespace ringproxy {
namespace {

constexpr unsigned kSlotBits = 16;
constexpr size_t kSlots = size_t{1} << kSlotBits;

class RendezvousDistribution final : public Distribution {
 public:
  explicit RendezvousDistribution(const std::vector<RingNode>& nodes)
      : order_(twemproxy_pool_order(nodes)),
        rank_(nodes.size()),
        seeds_(nodes.size()),
        weights_(nodes.size()),
        live_(nodes.size(), true),
        owner_(kSlots, kNoNode),
        best_(kSlots, 0.0) {
    for (size_t r = 0; r < order_.size(); ++r) rank_[order_[r]] = r;
    equal_weights_ = true;
    for (size_t i = 0; i < nodes.size(); ++i) {
      uint64_t unused;
      detail::name_seeds(nodes[i].ring_name, seeds_[i], unused);
      weights_[i] = nodes[i].weight;
      equal_weights_ = equal_weights_ && weights_[i] == weights_[0];
    }
    live_count_ = nodes.size();
    for (uint32_t s = 0; s < kSlots; ++s) rescore(s);
  }

  uint32_t locate(uint32_t key_hash) const override {
    if (live_count_ == 0) return kNoNode;
    return owner_[detail::mix64(key_hash) >> (64 - kSlotBits)];
  }

  void set_live(const std::vector<bool>& live) override {
    detail::check_live_size(live, seeds_.size());
    std::vector<uint32_t> up;
    bool any_down = false;
    for (size_t i = 0; i < live.size(); ++i) {
      if (live[i] && !live_[i]) up.push_back(static_cast<uint32_t>(i));
      if (!live[i] && live_[i]) any_down = true;
    }
    live_ = live;
    live_count_ = 0;
    for (bool l : live_) live_count_ += l ? 1 : 0;
    if (any_down) {
      for (uint32_t s = 0; s < kSlots; ++s) {
        if (owner_[s] != kNoNode && !live_[owner_[s]]) rescore(s);
      }
    }
    for (uint32_t i : up) {
      for (uint32_t s = 0; s < kSlots; ++s) {
        const double sc = score(i, slot_key(s));
        if (owner_[s] == kNoNode || beats(i, sc, owner_[s], best_[s])) {
          owner_[s] = i;
          best_[s] = sc;
        }
      }
    }
  }

  std::vector<uint32_t> points_per_node() const override { return weights_; }
  DistributionKind kind() const override { return DistributionKind::kRendezvous; }
  size_t node_count() const override { return seeds_.size(); }
  std::unique_ptr<Distribution> clone() const override {
    return std::make_unique<RendezvousDistribution>(*this);
  }

  // Every table has the same 65,536 slots and a key's slot depends on its
  // hash only, so comparing the owners slot by slot is exact.
  std::vector<bool> losers(const Distribution& before,
                           std::span<const uint32_t> same) const override {
    detail::check_same_size(same, before);
    const auto* old = dynamic_cast<const RendezvousDistribution*>(&before);
    if (old == nullptr) return std::vector<bool>(same.size(), true);
    std::vector<bool> lost(same.size(), false);
    for (size_t s = 0; s < kSlots; ++s) {
      const uint32_t was = old->owner_[s];
      if (was != kNoNode && same[was] != owner_[s]) lost[was] = true;
    }
    return lost;
  }

 private:
  static uint64_t slot_key(uint32_t slot) { return detail::mix64(slot); }
  // 53 random bits, offset by half a step so u is never 0 or 1.
  static double unit(uint64_t h) { return (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53; }
  double score(uint32_t i, uint64_t k) const {
    const double u = unit(detail::mix64(seeds_[i] ^ k));
    return equal_weights_ ? u : -static_cast<double>(weights_[i]) / std::log(u);
  }
  bool beats(uint32_t i, double si, uint32_t j, double sj) const {
    return si > sj || (si == sj && rank_[i] < rank_[j]);
  }
  // The best live node for slot s, from scratch.
  void rescore(uint32_t s) {
    const uint64_t k = slot_key(s);
    uint32_t best = kNoNode;
    double best_score = 0;
    for (size_t i : order_) {
      if (!live_[i]) continue;
      const double sc = score(static_cast<uint32_t>(i), k);
      if (best == kNoNode || sc > best_score) best = static_cast<uint32_t>(i), best_score = sc;
    }
    owner_[s] = best;
    best_[s] = best_score;
  }

  std::vector<size_t> order_;
  std::vector<size_t> rank_;  // position of each node in pool order
  std::vector<uint64_t> seeds_;
  std::vector<uint32_t> weights_;
  std::vector<bool> live_;
  size_t live_count_ = 0;
  bool equal_weights_ = true;
  std::vector<uint32_t> owner_;  // per slot
  std::vector<double> best_;     // per slot: the owner's score
};

}  // namespace

namespace detail {
std::unique_ptr<Distribution> make_rendezvous(const std::vector<RingNode>& nodes) {
  return std::make_unique<RendezvousDistribution>(nodes);
}
}  // namespace detail

}  // namespace ringproxy
