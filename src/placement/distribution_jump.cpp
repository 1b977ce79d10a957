// Jump consistent hash (Lamping & Veach, 2014) over the live nodes, listed in
// twemproxy pool order (ring names by length, then bytes). The 32-bit key hash
// is widened with mix64 first, since jump's LCG alone keeps low-entropy key
// hashes (fnv1a_64 of "user:1".."user:9", crc32's 15 bits) clustered.
//
// O(log n) per lookup, no table, perfectly even split.
//
// Limits:
// - No weights: jump places buckets 0..n-1 evenly. make_distribution rejects
//   any weight other than 1 rather than silently ignore it.
// - Jump can only grow or shrink at the END of the bucket list. set_live()
//   rebuilds the list over the live nodes, so:
//   - marking down the last node in pool order moves only its keys;
//   - marking down any other node shifts every later node one bucket down, so
//     survivors' keys move too (roughly (n - position) / n of all keys).
//   That is the price of jump's zero memory; prefer ketama or rendezvous when
//   nodes fail independently.
// - All nodes down: kNoNode.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ringproxy/placement/hash_ring.hpp"

namespace ringproxy {
namespace {

// Lamping & Veach: walk the bucket sequence with a 64-bit LCG, jumping ahead
// by the inverse of a uniform draw, until past the bucket count.
uint32_t jump_bucket(uint64_t key, uint32_t buckets) {
  int64_t bucket = -1;
  int64_t next = 0;
  while (next < static_cast<int64_t>(buckets)) {
    bucket = next;
    key = key * 2862933555777941757ULL + 1;
    next = static_cast<int64_t>(
        static_cast<double>(bucket + 1) *
        (static_cast<double>(int64_t{1} << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<uint32_t>(bucket);
}

class JumpDistribution final : public Distribution {
 public:
  explicit JumpDistribution(const std::vector<RingNode>& nodes)
      : order_(twemproxy_pool_order(nodes)), live_(nodes.size(), true) {
    set_live(live_);
  }

  uint32_t locate(uint32_t key_hash) const override {
    if (live_node_.empty()) return kNoNode;
    return live_node_[jump_bucket(detail::mix64(key_hash),
                                  static_cast<uint32_t>(live_node_.size()))];
  }

  void set_live(const std::vector<bool>& live) override {
    detail::check_live_size(live, order_.size());
    live_ = live;
    live_node_.clear();
    for (size_t i : order_) {
      if (live_[i]) live_node_.push_back(static_cast<uint32_t>(i));
    }
  }

  std::vector<uint32_t> points_per_node() const override {
    std::vector<uint32_t> points(live_.size());
    for (size_t i = 0; i < live_.size(); ++i) points[i] = live_[i] ? 1 : 0;
    return points;
  }
  DistributionKind kind() const override { return DistributionKind::kJump; }
  size_t node_count() const override { return order_.size(); }
  std::unique_ptr<Distribution> clone() const override {
    return std::make_unique<JumpDistribution>(*this);
  }

  // A key's bucket depends only on the key and the bucket count, and when the
  // count grows a key either stays or moves to a new bucket. So with n1
  // buckets before and n2 now, the keys of bucket b stay in bucket b exactly
  // when n2 <= n1 and b < n2; they stay with the backend if bucket b is still
  // it. With n2 > n1 some of every bucket's keys move.
  std::vector<bool> losers(const Distribution& before,
                           std::span<const uint32_t> same) const override {
    detail::check_same_size(same, before);
    const auto* old = dynamic_cast<const JumpDistribution*>(&before);
    if (old == nullptr) return std::vector<bool>(same.size(), true);
    std::vector<bool> lost(same.size(), false);
    const size_t n1 = old->live_node_.size();
    const size_t n2 = live_node_.size();
    for (size_t b = 0; b < n1; ++b) {
      const uint32_t node = old->live_node_[b];
      lost[node] = !(n2 <= n1 && b < n2 && live_node_[b] == same[node]);
    }
    return lost;
  }

 private:
  std::vector<size_t> order_;
  std::vector<bool> live_;
  std::vector<uint32_t> live_node_;  // bucket -> node index
};

}  // namespace

namespace detail {
std::unique_ptr<Distribution> make_jump(const std::vector<RingNode>& nodes) {
  return std::make_unique<JumpDistribution>(nodes);
}
}  // namespace detail

}  // namespace ringproxy
