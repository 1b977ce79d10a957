// Maglev hashing (Eisenbud et al., NSDI 2016): a lookup table of M slots
// (M prime: 65537, or the next prime above 100 * nodes for pools over 655
// nodes, so every node keeps ~100+ slots). Each node walks its own permutation
// of the slots, offset + j * skip (mod M), with offset and skip from
// md5(ring_name); nodes take turns, in pool order, claiming their next free
// slot until the table is full. Weights: a node takes w / g turns per round
// (g = gcd of the live weights, so scaling all weights changes nothing), which
// gives it a w / W share of the slots.
//
// Lookup: table[mix(key hash) * M >> 32], one multiply and one array read.
// The key hash is mixed first so weak hashes (crc32's 15 bits) still reach the
// whole table.
//
// Failure behaviour: set_live() rebuilds the table over the live nodes
// (milliseconds at M = 65537; bench/README.md has the figures). A down
// node's slots are refilled by the survivors, spread evenly; because the turn
// order shifts, a few percent of the survivors' own slots also change hands
// (the paper's "minimal disruption", not zero). Use ketama or rendezvous
// where survivors must not move at all. All nodes down: kNoNode.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <numeric>
#include <span>
#include <vector>

#include "ringproxy/placement/hash_ring.hpp"

namespace ringproxy {
namespace {

constexpr uint32_t kMinTableSize = 65537;

bool is_prime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

uint32_t table_size(size_t nodes) {
  uint64_t m = std::max<uint64_t>(kMinTableSize, uint64_t{nodes} * 100);
  while (!is_prime(m)) ++m;
  return static_cast<uint32_t>(m);
}

class MaglevDistribution final : public Distribution {
 public:
  explicit MaglevDistribution(const std::vector<RingNode>& nodes)
      : order_(twemproxy_pool_order(nodes)),
        size_(table_size(nodes.size())),
        offset_(nodes.size()),
        skip_(nodes.size()),
        weights_(nodes.size()) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      uint64_t s1, s2;
      detail::name_seeds(nodes[i].ring_name, s1, s2);
      offset_[i] = static_cast<uint32_t>(s1 % size_);
      skip_[i] = static_cast<uint32_t>(s2 % (size_ - 1) + 1);
      weights_[i] = nodes[i].weight;
    }
    set_live(std::vector<bool>(nodes.size(), true));
  }

  uint32_t locate(uint32_t key_hash) const override {
    if (table_.empty()) return kNoNode;
    const auto h = static_cast<uint32_t>(detail::mix64(key_hash));
    return table_[static_cast<size_t>((uint64_t{h} * size_) >> 32)];
  }

  void set_live(const std::vector<bool>& live) override {
    detail::check_live_size(live, order_.size());
    table_.clear();
    std::vector<uint32_t> members;  // live nodes in pool order
    uint32_t g = 0;
    for (size_t i : order_) {
      if (!live[i]) continue;
      members.push_back(static_cast<uint32_t>(i));
      g = std::gcd(g, weights_[i]);
    }
    if (members.empty()) return;

    table_.assign(size_, kNoNode);
    // Each member's current slot in its permutation: offset, offset + skip, ...
    std::vector<uint32_t> pos(members.size());
    for (size_t m = 0; m < members.size(); ++m) pos[m] = offset_[members[m]];
    uint32_t filled = 0;
    while (filled < size_) {
      for (size_t m = 0; m < members.size() && filled < size_; ++m) {
        const uint32_t node = members[m];
        for (uint32_t turn = weights_[node] / g; turn > 0 && filled < size_; --turn) {
          // Each permutation visits every slot once (size_ is prime), so a
          // free slot is always found.
          while (table_[pos[m]] != kNoNode) advance(pos[m], skip_[node]);
          table_[pos[m]] = node;
          advance(pos[m], skip_[node]);
          ++filled;
        }
      }
    }
  }

  std::vector<uint32_t> points_per_node() const override {
    std::vector<uint32_t> points(order_.size(), 0);
    for (uint32_t node : table_) ++points[node];
    return points;
  }
  DistributionKind kind() const override { return DistributionKind::kMaglev; }
  size_t node_count() const override { return order_.size(); }
  std::unique_ptr<Distribution> clone() const override {
    return std::make_unique<MaglevDistribution>(*this);
  }

  // Tables of one size map a hash to the same entry, so comparing them entry
  // by entry is exact; the size changes only past 655 nodes (then: true).
  std::vector<bool> losers(const Distribution& before,
                           std::span<const uint32_t> same) const override {
    detail::check_same_size(same, before);
    const auto* old = dynamic_cast<const MaglevDistribution*>(&before);
    if (old == nullptr || old->size_ != size_) return std::vector<bool>(same.size(), true);
    std::vector<bool> lost(same.size(), false);
    if (old->table_.empty()) return lost;  // nobody owned anything
    for (size_t s = 0; s < old->table_.size(); ++s) {
      const uint32_t was = old->table_[s];
      if (table_.empty() || same[was] != table_[s]) lost[was] = true;
    }
    return lost;
  }

 private:
  // pos = (pos + skip) mod size_, without a division (both are < size_).
  void advance(uint32_t& pos, uint32_t skip) const {
    pos = pos >= size_ - skip ? pos - (size_ - skip) : pos + skip;
  }

  std::vector<size_t> order_;
  uint32_t size_;
  std::vector<uint32_t> offset_;
  std::vector<uint32_t> skip_;
  std::vector<uint32_t> weights_;
  std::vector<uint32_t> table_;  // slot -> node; empty when all are down
};

}  // namespace

namespace detail {
std::unique_ptr<Distribution> make_maglev(const std::vector<RingNode>& nodes) {
  return std::make_unique<MaglevDistribution>(nodes);
}
}  // namespace detail

}  // namespace ringproxy
