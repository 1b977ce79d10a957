// Rendezvous (highest random weight), weighted. Each node has a 64-bit seed
// from md5(ring_name); for a key, node i draws h_i = mix64(seed_i ^ mix64(key))
// and scores -w_i / ln(u_i), u_i = h_i mapped into (0, 1); the highest score
// wins (ties, essentially impossible, go to the lower pool rank). This is the
// "logarithmic method": node i wins a w_i / W share of the keys.
//
// Cost: O(live nodes) per lookup, no table. When all live weights are equal
// the log is skipped (score order = h order), so a lookup is n mixes and
// compares: ~1 ns per node, i.e. fine for tens of nodes, about a microsecond
// at 1000. With unequal weights a cheap upper bound (w / (1 - u)) rules most
// nodes out before their log is taken; the rest pay a log each. Use ketama or
// maglev for large pools.
//
// Failure behaviour: a down node is simply not scored. Keys of live nodes
// never move (their winner is still the best live node); a down node's keys
// go, key by key, to each key's second-best node, i.e. spread by weight over
// all survivors. All nodes down: kNoNode.
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "ringproxy/hash_ring.hpp"

namespace ringproxy {
namespace {

constexpr double kBoundPad = 1.0 + 0x1.0p-20;

class RendezvousDistribution final : public Distribution {
 public:
  explicit RendezvousDistribution(const std::vector<RingNode>& nodes)
      : order_(twemproxy_pool_order(nodes)), seeds_(nodes.size()), weights_(nodes.size()) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      uint64_t unused;
      detail::name_seeds(nodes[i].ring_name, seeds_[i], unused);
      weights_[i] = nodes[i].weight;
    }
    set_live(std::vector<bool>(nodes.size(), true));
  }

  uint32_t locate(uint32_t key_hash) const override {
    const size_t n = live_seed_.size();
    if (n == 0) return kNoNode;
    const uint64_t k = detail::mix64(key_hash);
    size_t best = 0;
    if (equal_weights_) {
      uint64_t best_h = detail::mix64(live_seed_[0] ^ k);
      for (size_t j = 1; j < n; ++j) {
        const uint64_t h = detail::mix64(live_seed_[j] ^ k);
        if (h > best_h) best_h = h, best = j;  // strict: ties keep the lower pool rank
      }
    } else {
      double best_score = score(0, k);
      for (size_t j = 1; j < n; ++j) {
        // -ln(u) >= 1 - u, so w / (1 - u) bounds the score from above: most
        // nodes are ruled out by a division, without the log. The bound is
        // padded so rounding can never rule out a real winner.
        const double u = unit(detail::mix64(live_seed_[j] ^ k));
        if (live_weight_[j] / (1.0 - u) * kBoundPad <= best_score) continue;
        const double s = -live_weight_[j] / std::log(u);
        if (s > best_score) best_score = s, best = j;
      }
    }
    return live_node_[best];
  }

  void set_live(const std::vector<bool>& live) override {
    detail::check_live_size(live, seeds_.size());
    live_seed_.clear();
    live_weight_.clear();
    live_node_.clear();
    for (size_t i : order_) {
      if (!live[i]) continue;
      live_seed_.push_back(seeds_[i]);
      live_weight_.push_back(static_cast<double>(weights_[i]));
      live_node_.push_back(static_cast<uint32_t>(i));
    }
    equal_weights_ = true;
    for (double w : live_weight_) equal_weights_ = equal_weights_ && w == live_weight_.front();
  }

  std::vector<uint32_t> points_per_node() const override { return weights_; }
  DistributionKind kind() const override { return DistributionKind::kRendezvous; }

 private:
  // 53 random bits, offset by half a step so u is never 0 or 1.
  static double unit(uint64_t h) { return (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53; }
  double score(size_t j, uint64_t k) const {
    return -live_weight_[j] / std::log(unit(detail::mix64(live_seed_[j] ^ k)));
  }

  std::vector<size_t> order_;
  std::vector<uint64_t> seeds_;
  std::vector<uint32_t> weights_;
  // Live nodes in pool order, as parallel arrays for a tight scan.
  std::vector<uint64_t> live_seed_;
  std::vector<double> live_weight_;
  std::vector<uint32_t> live_node_;
  bool equal_weights_ = true;
};

}  // namespace

namespace detail {
std::unique_ptr<Distribution> make_rendezvous(const std::vector<RingNode>& nodes) {
  return std::make_unique<RendezvousDistribution>(nodes);
}
}  // namespace detail

}  // namespace ringproxy
