// ketama: twemproxy's points and routing, checked against routing recorded from
// a live nutcracker and against an independent continuum model written here,
// and failover (down nodes skipped, survivors never move).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "distribution_test_util.hpp"
#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"

namespace ringproxy {
namespace {

using namespace distribution_test;

// An independent model of twemproxy's continuum, straight from the rules of
// its ketama.c (points per server, md5 of "name-i", four points per digest),
// to check the implementation point by point.
struct ModelPoint {
  uint32_t value;
  uint32_t node;
};

std::vector<ModelPoint> model_continuum(const std::vector<RingNode>& nodes) {
  uint64_t total = 0;
  for (const RingNode& n : nodes) total += n.weight;
  std::vector<ModelPoint> points;
  for (uint32_t i = 0; i < nodes.size(); ++i) {
    const float pct = static_cast<float>(nodes[i].weight) / static_cast<float>(total);
    const float t = pct * 160.0f / 4.0f * static_cast<float>(nodes.size());
    const uint32_t count = static_cast<uint32_t>(
        std::floor(static_cast<float>(static_cast<double>(t) + 1e-10)) * 4.0f);
    for (uint32_t g = 0; g < count / 4; ++g) {
      unsigned char d[16];
      md5_digest(nodes[i].ring_name + "-" + std::to_string(g), d);
      for (int w = 0; w < 4; ++w) {
        const unsigned char* p = d + 4 * w;
        points.push_back(
            {uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24,
             i});
      }
    }
  }
  const std::vector<size_t> order = twemproxy_pool_order(nodes);
  std::vector<uint32_t> rank(nodes.size());
  for (uint32_t r = 0; r < order.size(); ++r) rank[order[r]] = r;
  std::sort(points.begin(), points.end(), [&](const ModelPoint& a, const ModelPoint& b) {
    return a.value != b.value ? a.value < b.value : rank[a.node] < rank[b.node];
  });
  return points;
}

// Index of the first point >= hash, wrapping.
size_t model_index(const std::vector<ModelPoint>& points, uint32_t hash) {
  const auto it = std::lower_bound(points.begin(), points.end(), hash,
                                   [](const ModelPoint& p, uint32_t h) { return p.value < h; });
  return it == points.end() ? 0 : static_cast<size_t>(it - points.begin());
}

// Owner of the first LIVE point at or after index i, clockwise.
uint32_t model_next_live(const std::vector<ModelPoint>& points, size_t i,
                         const std::vector<bool>& live) {
  for (size_t step = 0; step < points.size(); ++step) {
    const ModelPoint& p = points[(i + step) % points.size()];
    if (live[p.node]) return p.node;
  }
  return kNoNode;
}

// ---------------------------------------------------------------- ketama points

TEST(Ketama, PointCountFormula) {
  EXPECT_EQ(ketama_point_count(1, 1, 1), 160u);
  EXPECT_EQ(ketama_point_count(1, 3, 3), 160u);
  EXPECT_EQ(ketama_point_count(1, 3, 2), 104u);  // weights 1:2
  EXPECT_EQ(ketama_point_count(2, 3, 2), 212u);
  EXPECT_EQ(ketama_point_count(1, 6, 3), 80u);  // weights 1:2:3
  EXPECT_EQ(ketama_point_count(2, 6, 3), 160u);
  EXPECT_EQ(ketama_point_count(3, 6, 3), 240u);
  EXPECT_EQ(ketama_point_count(100000, 100001, 2), 316u);  // the "omega" example
  EXPECT_EQ(ketama_point_count(1, 100001, 2), 0u);
}

TEST(Ketama, FloatQuirkGives156PointsForSomePoolSizes) {
  std::vector<uint32_t> quirky;
  for (uint32_t n = 1; n <= 1000; ++n) {
    const uint32_t points = ketama_point_count(1, n, n);
    ASSERT_TRUE(points == 160 || points == 156) << n;
    if (points == 156) quirky.push_back(n);
  }
  EXPECT_EQ(quirky.size(), 103u);
  const std::vector<uint32_t> first = {25, 47, 50, 55, 61, 71, 94, 100, 107, 109};
  EXPECT_EQ(std::vector<uint32_t>(quirky.begin(), quirky.begin() + 10), first);
}

TEST(Ketama, TwentyFiveServersGet156PointsEach) {
  std::vector<std::string> servers;
  for (int i = 0; i < 25; ++i) servers.push_back("127.0.0.1:" + std::to_string(22101 + i) + ":1");
  const auto d = make_distribution(DistributionKind::kKetama, nodes_from(servers));
  for (uint32_t points : d->points_per_node()) EXPECT_EQ(points, 156u);
}

TEST(Ketama, ThreeServerRingBoundaries) {
  // 480 points; lowest 18403592 (22103), 42529786 (22103), 53962930 (22102);
  // highest 4283909424 (22101).
  const auto d = make_distribution(
      DistributionKind::kKetama,
      nodes_from({"127.0.0.1:22101:1", "127.0.0.1:22102:1", "127.0.0.1:22103:1"}));
  const std::vector<uint32_t> points = d->points_per_node();
  EXPECT_EQ(points, (std::vector<uint32_t>{160, 160, 160}));
  EXPECT_EQ(d->locate(0), 2u);
  EXPECT_EQ(d->locate(18403592), 2u);
  EXPECT_EQ(d->locate(18403593), 2u);
  EXPECT_EQ(d->locate(42529786), 2u);
  EXPECT_EQ(d->locate(42529787), 1u);
  EXPECT_EQ(d->locate(53962930), 1u);
  EXPECT_EQ(d->locate(4283909424u), 0u);
  EXPECT_EQ(d->locate(4283909425u), 2u);  // wraps to the lowest point
  EXPECT_EQ(d->locate(UINT32_MAX), 2u);
  // The empty key hashes to 0: the owner of the lowest point (22103, verified).
  EXPECT_EQ(d->locate(route_hash(HashKind::kFnv1a_64, "")), 2u);
}

TEST(Ketama, MatchesIndependentModelAtEveryPoint) {
  for (const std::vector<RingNode>& nodes :
       {numbered(3), numbered(25), std::vector<RingNode>{{"a", 1}, {"b", 2}, {"c", 3}},
        std::vector<RingNode>{{"heavy", 7}, {"x", 1}, {"yy", 13}, {"zzz", 2}}}) {
    const auto d = make_distribution(DistributionKind::kKetama, nodes);
    const std::vector<ModelPoint> model = model_continuum(nodes);
    uint32_t total = 0;
    for (uint32_t p : d->points_per_node()) total += p;
    ASSERT_EQ(total, model.size());
    for (const ModelPoint& p : model) {
      EXPECT_EQ(d->locate(p.value), model[model_index(model, p.value)].node);
      EXPECT_EQ(d->locate(p.value + 1), model[model_index(model, p.value + 1)].node);
    }
  }
}

// ---------------------------------------------------------------- ketama routing (nutcracker's)

TEST(Ketama, LiveVectorsThreeServers) {
  const auto nodes = nodes_from({"127.0.0.1:22101:1", "127.0.0.1:22102:1", "127.0.0.1:22103:1"});
  const auto d = make_distribution(DistributionKind::kKetama, nodes);
  // Ports in the table are 22101 + returned index.
  const int fnv_ports[] = {22101, 22101, 22101, 22101, 22101, 22101,
                           22101, 22101, 22101, 22101, 22101, 22101};
  const int murmur_ports[] = {22103, 22101, 22102, 22103, 22101, 22103,
                              22101, 22101, 22103, 22103, 22101, 22102};
  const int md5_ports[] = {22101, 22103, 22101, 22101, 22103, 22102,
                           22103, 22101, 22103, 22102, 22101, 22101};
  for (size_t i = 0; i < std::size(kTableKeys); ++i) {
    SCOPED_TRACE(kTableKeys[i]);
    EXPECT_EQ(22101 + d->locate(route_hash(HashKind::kFnv1a_64, kTableKeys[i])), fnv_ports[i]);
    EXPECT_EQ(22101 + d->locate(route_hash(HashKind::kMurmur, kTableKeys[i])), murmur_ports[i]);
    EXPECT_EQ(22101 + d->locate(route_hash(HashKind::kMd5, kTableKeys[i])), md5_ports[i]);
  }
}

TEST(Ketama, LiveVectorsNamedServers) {
  // Config order gamma, alpha, beta; ring names are the names.
  const auto d = make_distribution(
      DistributionKind::kKetama,
      nodes_from({"127.0.0.1:22103:1 gamma", "127.0.0.1:22101:1 alpha", "127.0.0.1:22102:1 beta"}));
  for (const char* key : kTableKeys) {
    const uint32_t expected = std::string_view(key) == "user:10" ? 1u : 0u;  // alpha : gamma
    EXPECT_EQ(d->locate(route_hash(HashKind::kFnv1a_64, key)), expected) << key;
  }
}

TEST(Ketama, LiveVectorsWeights123) {
  const auto d = make_distribution(
      DistributionKind::kKetama,
      nodes_from({"127.0.0.1:22101:1", "127.0.0.1:22102:2", "127.0.0.1:22103:3"}));
  EXPECT_EQ(d->points_per_node(), (std::vector<uint32_t>{80, 160, 240}));
  EXPECT_EQ(d->locate(route_hash(HashKind::kFnv1a_64, "foo")), 0u);
  EXPECT_EQ(d->locate(route_hash(HashKind::kFnv1a_64, "bar")), 1u);
  for (int i = 1; i <= 9; ++i) {
    EXPECT_EQ(d->locate(route_hash(HashKind::kFnv1a_64, "user:" + std::to_string(i))), 2u) << i;
  }
  EXPECT_EQ(d->locate(route_hash(HashKind::kFnv1a_64, "user:10")), 0u);
}

TEST(Ketama, LiveVectorsHashTag) {
  const auto d = make_distribution(
      DistributionKind::kKetama,
      nodes_from({"127.0.0.1:22101:1", "127.0.0.1:22102:1", "127.0.0.1:22103:1"}));
  for (const char* key : {"{user1}:a", "{user1}:b"}) {
    EXPECT_EQ(d->locate(route_hash(HashKind::kFnv1a_64, key, "{}")), 1u) << key;  // 22102
    EXPECT_EQ(d->locate(route_hash(HashKind::kFnv1a_64, key)), 0u) << key;        // 22101
  }
}

TEST(Ketama, Weights1To2) {
  const auto d = make_distribution(DistributionKind::kKetama, {{"a:1", 1}, {"b:1", 2}});
  EXPECT_EQ(d->points_per_node(), (std::vector<uint32_t>{104, 212}));
}

TEST(Ketama, OmegaWeightsGiveTheLightNodeNothing) {
  const auto d = make_distribution(DistributionKind::kKetama,
                                   nodes_from({"127.0.0.1:22101:100000", "127.0.0.1:22102:1"}));
  EXPECT_EQ(d->points_per_node(), (std::vector<uint32_t>{316, 0}));
  for (uint32_t h : sample_hashes(2000)) ASSERT_EQ(d->locate(h), 0u);
  // Heavy node down: rather than refuse every key, fall back to a continuum
  // over the live nodes (what twemproxy would do).
  d->set_live({false, true});
  for (uint32_t h : sample_hashes(2000)) ASSERT_EQ(d->locate(h), 1u);
  d->set_live({true, true});
  for (uint32_t h : sample_hashes(2000)) ASSERT_EQ(d->locate(h), 0u);
}

TEST(Ketama, Crc32SendsEveryKeyToTheLowestPoint) {
  // crc32 is 15 bits, far below the lowest ring point: twemproxy issue #175.
  const auto d = make_distribution(
      DistributionKind::kKetama,
      nodes_from({"127.0.0.1:22101:1", "127.0.0.1:22102:1", "127.0.0.1:22103:1"}));
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(d->locate(route_hash(HashKind::kCrc32, "k" + std::to_string(i))), 2u);
  }
}

TEST(Ketama, PlacementDependsOnNamesNotConfigOrder) {
  const std::vector<RingNode> a = {{"alpha", 1}, {"beta", 2}, {"gamma", 3}, {"delta", 1}};
  const std::vector<RingNode> b = {{"delta", 1}, {"gamma", 3}, {"alpha", 1}, {"beta", 2}};
  for (DistributionKind kind : {DistributionKind::kKetama, DistributionKind::kModula,
                                DistributionKind::kRendezvous, DistributionKind::kMaglev}) {
    SCOPED_TRACE(distribution_name(kind));
    const auto da = make_distribution(kind, a);
    const auto db = make_distribution(kind, b);
    for (uint32_t h : sample_hashes(3000)) {
      ASSERT_EQ(a[da->locate(h)].ring_name, b[db->locate(h)].ring_name);
    }
  }
}

TEST(Ketama, SingleNodeShortcut) {
  const auto d = make_distribution(DistributionKind::kKetama, {{"only", 1}});
  EXPECT_EQ(d->points_per_node(), (std::vector<uint32_t>{160}));
  for (uint32_t h : {0u, 1u, 12345u, UINT32_MAX}) EXPECT_EQ(d->locate(h), 0u);
  d->set_live({false});
  EXPECT_EQ(d->locate(42), kNoNode);
  d->set_live({true});
  EXPECT_EQ(d->locate(42), 0u);
}

TEST(Ketama, LongRingNamesAreCutLikeTwemproxy) {
  // "<name>-<i>" is cut at 272 bytes, so a 300-byte name gives identical
  // labels: every point of a node repeats the same 4 values.
  const std::string long_name(300, 'n');
  const auto d = make_distribution(DistributionKind::kKetama, {{long_name, 1}, {"short:1", 1}});
  unsigned char digest[16];
  md5_digest(std::string_view(long_name).substr(0, 272), digest);
  const uint32_t w0 = uint32_t{digest[0]} | uint32_t{digest[1]} << 8 | uint32_t{digest[2]} << 16 |
                      uint32_t{digest[3]} << 24;
  EXPECT_EQ(d->locate(w0), 0u);
}

// ---------------------------------------------------------------- ketama failover

TEST(KetamaFailover, SurvivorsKeepKeysAndDownArcsGoToNextLivePoint) {
  const std::vector<RingNode> nodes = numbered(10);
  const auto d = make_distribution(DistributionKind::kKetama, nodes);
  const std::vector<ModelPoint> model = model_continuum(nodes);
  const std::vector<uint32_t> hashes = sample_hashes(20000);
  std::vector<uint32_t> before;
  for (uint32_t h : hashes) before.push_back(d->locate(h));

  std::vector<bool> lowest_down(10, true);  // the wrap-around target is down
  lowest_down[model.front().node] = false;
  for (const std::vector<bool>& live :
       {lowest_down, std::vector<bool>{true, true, true, false, true, true, true, true, true, true},
        std::vector<bool>{false, true, false, true, true, false, true, true, true, false},
        std::vector<bool>{false, false, false, false, false, false, false, false, false, true}}) {
    d->set_live(live);
    size_t moved = 0;
    for (size_t k = 0; k < hashes.size(); ++k) {
      const uint32_t now = d->locate(hashes[k]);
      ASSERT_TRUE(live[now]);
      if (live[before[k]]) {
        ASSERT_EQ(now, before[k]) << "a live node's key moved";
      } else {
        ++moved;
        ASSERT_EQ(now, model_next_live(model, model_index(model, hashes[k]), live));
      }
    }
    EXPECT_GT(moved, 0u);
    // Every point boundary, not just sampled keys, and the wrap-around ends.
    for (const ModelPoint& p : model) {
      ASSERT_EQ(d->locate(p.value), model_next_live(model, model_index(model, p.value), live));
    }
    for (uint32_t h : {0u, 1u, model.back().value + 1, UINT32_MAX}) {
      ASSERT_EQ(d->locate(h), model_next_live(model, model_index(model, h), live)) << h;
    }
  }
  // Everyone back: the original ring, exactly.
  d->set_live(std::vector<bool>(10, true));
  for (size_t k = 0; k < hashes.size(); ++k) ASSERT_EQ(d->locate(hashes[k]), before[k]);
}

TEST(KetamaFailover, DownNodeKeysSpreadOverManySurvivors) {
  const auto d = make_distribution(DistributionKind::kKetama, numbered(10));
  const std::vector<uint32_t> hashes = sample_hashes(20000);
  std::vector<uint32_t> before;
  for (uint32_t h : hashes) before.push_back(d->locate(h));
  std::vector<bool> live(10, true);
  live[4] = false;
  d->set_live(live);
  std::set<uint32_t> heirs;
  for (size_t k = 0; k < hashes.size(); ++k) {
    if (before[k] == 4) heirs.insert(d->locate(hashes[k]));
  }
  EXPECT_GE(heirs.size(), 7u);  // 160 arcs land on most of the 9 survivors
}

TEST(KetamaFailover, PointsAreNotRecomputed) {
  const auto d = make_distribution(DistributionKind::kKetama, {{"a", 1}, {"b", 2}, {"c", 3}});
  d->set_live({true, true, false});
  // twemproxy would rebuild to 104/212; ringproxy keeps the original ring.
  EXPECT_EQ(d->points_per_node(), (std::vector<uint32_t>{80, 160, 240}));
}

TEST(KetamaFailover, AllDownGivesNoNode) {
  const auto d = make_distribution(DistributionKind::kKetama, numbered(3));
  d->set_live({false, false, false});
  for (uint32_t h : sample_hashes(100)) ASSERT_EQ(d->locate(h), kNoNode);
  d->set_live({false, true, false});
  for (uint32_t h : sample_hashes(100)) ASSERT_EQ(d->locate(h), 1u);
}

}  // namespace
}  // namespace ringproxy
