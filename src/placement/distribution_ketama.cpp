// Ketama: twemproxy 0.5's continuum, bit for bit, while every node is live.
//
// Build (once, over ALL nodes): n = node count, W = total weight; each node,
// in twemproxy pool order, gets ketama_point_count(w, W, n) points (the float32
// formula: 160 for equal weights, 156 for some n, 104/212 for weights 1:2, 0
// for the light node of 100000:1). Points come in fours from
// md5("<ring_name>-<i>") (the string cut at 272 bytes as twemproxy's buffer
// does), each digest word read little-endian. Points are sorted by value; equal
// values (twemproxy leaves their order to an unstable qsort) are broken by pool
// order, so the result is deterministic. Lookup is the first point >= hash,
// wrapping to the first point.
//
// Failure behaviour (where ringproxy deliberately differs from twemproxy,
// which rebuilds the ring over the live nodes and so moves survivors' keys in
// weighted pools and across the 156-point sizes):
// - set_live() never recomputes points. It rewrites a per-point owner table:
//   each point owned by a down node takes the owner of the next live point
//   clockwise. Keys of live nodes therefore never move, a down node's arcs
//   spread over the owners of the following points, and locate() stays a
//   bucket-narrowed search plus the owner read next to it.
// - All nodes down: every owner is kNoNode.
// - Corner case: live nodes exist but none owns a point (only with extreme
//   weights, e.g. 100000:1 with the heavy node down). Rather than refuse keys,
//   set_live() then builds a twemproxy continuum over the live nodes alone, as
//   twemproxy itself would.
// - A one-node pool skips the search (twemproxy's shortcut).
#include <algorithm>
#include <bit>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"

namespace ringproxy {
namespace {

constexpr size_t kMaxPointString = 272;  // twemproxy formats into char[273]

struct Point {
  uint32_t value;
  uint32_t rank;  // pool rank of the owner: the tie-break
  uint32_t node;
};

// twemproxy's continuum over the nodes with include[i] set.
std::vector<Point> build_points(const std::vector<RingNode>& nodes,
                                const std::vector<uint32_t>& rank,
                                const std::vector<bool>& include) {
  uint32_t n = 0;
  uint64_t total = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!include[i]) continue;
    ++n;
    total += nodes[i].weight;
  }
  std::vector<Point> points;
  if (n == 0) return points;
  points.reserve(size_t{n} * 160 + 160);
  std::string label;
  unsigned char digest[16];
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!include[i]) continue;
    const uint32_t count = ketama_point_count(nodes[i].weight, total, n);
    for (uint32_t group = 0; group < count / 4; ++group) {
      label = nodes[i].ring_name;
      label += '-';
      label += std::to_string(group);
      if (label.size() > kMaxPointString) label.resize(kMaxPointString);
      md5_digest(label, digest);
      for (int w = 0; w < 4; ++w) {
        const unsigned char* d = digest + 4 * w;
        const uint32_t value =
            uint32_t{d[0]} | uint32_t{d[1]} << 8 | uint32_t{d[2]} << 16 | uint32_t{d[3]} << 24;
        points.push_back({value, rank[i], static_cast<uint32_t>(i)});
      }
    }
  }
  std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
    return a.value != b.value ? a.value < b.value : a.rank < b.rank;
  });
  return points;
}

// A searchable continuum: points sorted by value, each with its effective
// owner (interleaved, so the answer sits in the cache line the search ends
// on), a bucket index over the top bits of the hash (about one point per
// bucket), and a sentinel point of value UINT32_MAX past the end whose owner is
// the first point's: hashes above the last point wrap without a branch.
// Lookup: one bucket read, then two branch-free steps; the short scan after
// them runs only when a bucket holds three or more points.
//
// The bucket index depends on the point values only, so copies (clones with
// another liveness) share it; `bucket_start` caches its data pointer so a
// lookup reads it as directly as an owned vector.
struct Continuum {
  struct Entry {
    uint32_t value;
    uint32_t owner;
  };
  std::vector<Entry> entries;  // real points, then the sentinel
  std::shared_ptr<const std::vector<uint32_t>> buckets;
  const uint32_t* bucket_start = nullptr;  // buckets->data()
  int shift = 32;

  size_t size() const { return entries.size() - 1; }

  void assign(const std::vector<Point>& points) {
    entries.clear();
    for (const Point& p : points) entries.push_back({p.value, p.node});
    entries.push_back({UINT32_MAX, points.empty() ? kNoNode : points.front().node});
    // At most 2^18 buckets (1 MiB) for 1000 nodes' 160k points.
    const int bits = std::clamp(static_cast<int>(std::bit_width(size())), 0, 18);
    shift = 32 - bits;
    auto index = std::make_shared<std::vector<uint32_t>>(size_t{1} << bits, 0);
    size_t i = 0;
    for (size_t b = 0; b < index->size(); ++b) {
      const uint64_t low = uint64_t{b} << shift;
      while (i < size() && entries[i].value < low) ++i;
      (*index)[b] = static_cast<uint32_t>(i);
    }
    bucket_start = index->data();
    buckets = std::move(index);
  }

  // Owner of the first point >= hash, wrapping to the first point.
  uint32_t owner_at(uint32_t hash) const {
    // The bucket's first entry is the next bucket's lower bound at worst, and
    // the sentinel (>= every hash) stops the scan.
    const Entry* e = entries.data() + bucket_start[uint64_t{hash} >> shift];  // shift may be 32
    e += e->value < hash;
    e += e->value < hash;
    while (e->value < hash) ++e;
    return e->owner;
  }
};

// For each node of `a`, whether some hash it owns in `a` is owned in `b` by
// anything but same[node]. Both owner functions are constant between
// consecutive point values, so one walk over the union of both point sets
// visits every arc of both.
std::vector<bool> continuum_losers(const Continuum& a, const Continuum& b,
                                   std::span<const uint32_t> same) {
  std::vector<bool> lost(same.size(), false);
  const Continuum::Entry* x = a.entries.data();
  const Continuum::Entry* y = b.entries.data();
  int64_t prev = -1;  // hashes <= prev are done
  while (true) {
    // Hashes in (prev, v] go to x->owner in a and y->owner in b.
    const uint32_t v = std::min(x->value, y->value);
    if (v > prev && x->owner != kNoNode && same[x->owner] != y->owner) lost[x->owner] = true;
    if (v == UINT32_MAX) return lost;  // both at their sentinels
    prev = v;
    if (x->value == v) ++x;
    if (y->value == v) ++y;
  }
}

// The nodes, their ranks and their own points: what liveness never changes,
// shared by every clone.
struct KetamaBase {
  std::vector<RingNode> nodes;
  std::vector<uint32_t> rank;
  std::vector<uint32_t> base_owner;  // each point's own node
  std::vector<uint32_t> points_per_node;
};

class KetamaDistribution final : public Distribution {
 public:
  explicit KetamaDistribution(const std::vector<RingNode>& nodes) : live_(nodes.size(), true) {
    auto base = std::make_shared<KetamaBase>();
    base->nodes = nodes;
    base->rank = detail::pool_ranks(nodes);
    const std::vector<Point> points = build_points(base->nodes, base->rank, live_);
    ring_.assign(points);
    base->base_owner.reserve(points.size());
    base->points_per_node.assign(nodes.size(), 0);
    for (const Point& p : points) {
      base->base_owner.push_back(p.node);
      ++base->points_per_node[p.node];
    }
    single_node_ = nodes.size() == 1;
    base_ = std::move(base);
  }
  // active_ points into *this: a copy points into itself.
  KetamaDistribution(const KetamaDistribution& other)
      : base_(other.base_),
        live_(other.live_),
        ring_(other.ring_),
        single_node_(other.single_node_),
        fallback_(other.fallback_),
        active_(other.active_ == &other.ring_ ? &ring_ : &fallback_) {}
  KetamaDistribution& operator=(const KetamaDistribution&) = delete;

  uint32_t locate(uint32_t key_hash) const override {
    // One node: twemproxy's shortcut (its owner entry is 0, or kNoNode if down).
    if (single_node_) return ring_.entries[0].owner;
    return active_->owner_at(key_hash);
  }

  void set_live(const std::vector<bool>& live) override {
    detail::check_live_size(live, base_->nodes.size());
    live_ = live;
    active_ = &ring_;
    fallback_ = Continuum{};

    const std::vector<uint32_t>& base_owner = base_->base_owner;
    std::vector<Continuum::Entry>& entries = ring_.entries;
    // Points past the last live one wrap to the first live point; walking
    // backwards from there, each point takes the nearest live point at or
    // after it.
    uint32_t next_live = kNoNode;
    for (uint32_t node : base_owner) {
      if (live_[node]) {
        next_live = node;
        break;
      }
    }
    entries.back().owner = next_live;  // the sentinel wraps to the first point
    for (size_t i = base_owner.size(); i-- > 0;) {
      if (live_[base_owner[i]]) next_live = base_owner[i];
      entries[i].owner = next_live;
    }
    if (next_live != kNoNode) return;

    // No live point: either all nodes are down, or only zero-point nodes live.
    if (std::find(live_.begin(), live_.end(), true) == live_.end()) return;
    fallback_.assign(build_points(base_->nodes, base_->rank, live_));
    active_ = &fallback_;
  }

  std::vector<uint32_t> points_per_node() const override { return base_->points_per_node; }
  DistributionKind kind() const override { return DistributionKind::kKetama; }
  size_t node_count() const override { return base_->nodes.size(); }
  std::unique_ptr<Distribution> clone() const override {
    return std::make_unique<KetamaDistribution>(*this);
  }

  std::vector<bool> losers(const Distribution& before,
                           std::span<const uint32_t> same) const override {
    detail::check_same_size(same, before);
    const auto* old = dynamic_cast<const KetamaDistribution*>(&before);
    if (old == nullptr) return std::vector<bool>(same.size(), true);
    // The one-node shortcut answers entries[0].owner for every hash; its
    // continuum's points all carry that owner too, so the walk agrees.
    return continuum_losers(*old->active_, *active_, same);
  }

 private:
  std::shared_ptr<const KetamaBase> base_;
  std::vector<bool> live_;
  Continuum ring_;  // all nodes' points, owners given liveness
  bool single_node_ = false;
  Continuum fallback_;  // only in the zero-point corner case
  const Continuum* active_ = &ring_;
};

}  // namespace

namespace detail {
std::unique_ptr<Distribution> make_ketama(const std::vector<RingNode>& nodes) {
  return std::make_unique<KetamaDistribution>(nodes);
}
}  // namespace detail

}  // namespace ringproxy
