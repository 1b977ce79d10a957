// Distributions: names, twemproxy's modula against routing recorded from a live
// nutcracker, the properties every distribution shares, and rendezvous, jump
// and maglev.
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

// ---------------------------------------------------------------- names

TEST(Distribution, NamesRoundTrip) {
  for (const char* name : {"ketama", "modula", "rendezvous", "jump", "maglev"}) {
    const auto kind = parse_distribution_name(name);
    ASSERT_TRUE(kind.has_value()) << name;
    EXPECT_EQ(distribution_name(*kind), name);
  }
  EXPECT_FALSE(parse_distribution_name("random").has_value());
  EXPECT_FALSE(parse_distribution_name("Ketama").has_value());
}

TEST(Distribution, RejectsBadNodeLists) {
  for (DistributionKind kind :
       {DistributionKind::kKetama, DistributionKind::kModula, DistributionKind::kRendezvous,
        DistributionKind::kJump, DistributionKind::kMaglev}) {
    SCOPED_TRACE(distribution_name(kind));
    EXPECT_THROW(make_distribution(kind, {}), std::invalid_argument);
    EXPECT_THROW(make_distribution(kind, {{"a", 1}, {"b", 1}, {"a", 1}}), std::invalid_argument);
    EXPECT_THROW(make_distribution(kind, {{"a", 1}, {"b", 0}}), std::invalid_argument);
    EXPECT_THROW(make_distribution(kind, {{"a", 4000000000u}, {"b", 400000000u}}),
                 std::invalid_argument);
    const auto d = make_distribution(kind, {{"a", 1}, {"b", 1}});
    EXPECT_EQ(d->kind(), kind);
    EXPECT_THROW(d->set_live({true}), std::invalid_argument);
    EXPECT_THROW(d->set_live({true, true, true}), std::invalid_argument);
  }
  EXPECT_THROW(make_distribution(DistributionKind::kJump, {{"a", 1}, {"b", 2}}),
               std::invalid_argument);
}

// ---------------------------------------------------------------- modula

TEST(Modula, LiveVectorsNamedServersSortedByNameLength) {
  // c(22103), bb(22101), a(22102) -> pool order a, c, bb.
  const std::vector<RingNode> nodes =
      nodes_from({"127.0.0.1:22103:1 c", "127.0.0.1:22101:1 bb", "127.0.0.1:22102:1 a"});
  const auto d = make_distribution(DistributionKind::kModula, nodes);
  const int ports[] = {22103, 22101, 22102};  // by config index
  EXPECT_EQ(ports[d->locate(route_hash(HashKind::kFnv1a_64, "foo"))], 22101);
  EXPECT_EQ(ports[d->locate(route_hash(HashKind::kFnv1a_64, "bar"))], 22103);
  for (int i = 1; i <= 9; ++i) {
    EXPECT_EQ(ports[d->locate(route_hash(HashKind::kFnv1a_64, "user:" + std::to_string(i)))], 22103)
        << i;
  }
  EXPECT_EQ(ports[d->locate(route_hash(HashKind::kFnv1a_64, "user:10"))], 22102);
}

TEST(Modula, WeightedSlotsInPoolOrder) {
  // Pool order: "a" (w1), "b" (w2), "cc" (w3): slots a b b cc cc cc.
  const auto d = make_distribution(DistributionKind::kModula, {{"cc", 3}, {"b", 2}, {"a", 1}});
  const uint32_t expected[] = {2, 1, 1, 0, 0, 0};
  for (uint32_t h = 0; h < 600; ++h) ASSERT_EQ(d->locate(h), expected[h % 6]) << h;
  EXPECT_EQ(d->locate(UINT32_MAX), expected[UINT32_MAX % 6]);
  EXPECT_EQ(d->points_per_node(), (std::vector<uint32_t>{3, 2, 1}));
}

TEST(Modula, HugeWeightsNeedNoSlotList) {
  const auto d = make_distribution(DistributionKind::kModula, {{"a", 100000}, {"b", 1}});
  EXPECT_EQ(d->locate(99999), 0u);
  EXPECT_EQ(d->locate(100000), 1u);
  EXPECT_EQ(d->locate(100001), 0u);
}

TEST(ModulaFailover, SurvivorsKeepKeysAndDownKeysSpread) {
  const auto d = make_distribution(DistributionKind::kModula, numbered(5));
  const std::vector<uint32_t> hashes = sample_hashes(20000);
  std::vector<uint32_t> before;
  for (uint32_t h : hashes) before.push_back(d->locate(h));
  d->set_live({true, false, true, true, true});
  std::map<uint32_t, size_t> heirs;
  for (size_t k = 0; k < hashes.size(); ++k) {
    const uint32_t now = d->locate(hashes[k]);
    ASSERT_NE(now, 1u);
    if (before[k] != 1) {
      ASSERT_EQ(now, before[k]);
    } else {
      ++heirs[now];
    }
  }
  ASSERT_EQ(heirs.size(), 4u);
  for (const auto& [node, count] : heirs) EXPECT_GT(count, 700u) << node;  // ~1000 each
  d->set_live({false, false, false, false, false});
  EXPECT_EQ(d->locate(7), kNoNode);
  d->set_live(std::vector<bool>(5, true));
  for (size_t k = 0; k < hashes.size(); ++k) ASSERT_EQ(d->locate(hashes[k]), before[k]);
}

// ---------------------------------------------------------------- shared properties

std::map<uint32_t, size_t> histogram(const Distribution& d, const std::vector<uint32_t>& hashes) {
  std::map<uint32_t, size_t> counts;
  for (uint32_t h : hashes) ++counts[d.locate(h)];
  return counts;
}

class AllKinds : public ::testing::TestWithParam<DistributionKind> {};

TEST_P(AllKinds, EvenSplitOverEqualNodes) {
  const auto d = make_distribution(GetParam(), numbered(10));
  const std::vector<uint32_t> hashes = sample_hashes(100000);
  const auto counts = histogram(*d, hashes);
  ASSERT_EQ(counts.size(), 10u);
  // ketama with 160 points is the loosest (~±10%); the others are tighter.
  for (const auto& [node, count] : counts) {
    EXPECT_GT(count, 8000u) << node;
    EXPECT_LT(count, 12000u) << node;
  }
}

TEST_P(AllKinds, AllDownGivesNoNodeAndRecovers) {
  const auto d = make_distribution(GetParam(), numbered(4));
  const std::vector<uint32_t> hashes = sample_hashes(1000);
  std::vector<uint32_t> before;
  for (uint32_t h : hashes) before.push_back(d->locate(h));
  d->set_live({false, false, false, false});
  for (uint32_t h : hashes) ASSERT_EQ(d->locate(h), kNoNode);
  d->set_live({true, true, true, true});
  for (size_t k = 0; k < hashes.size(); ++k) ASSERT_EQ(d->locate(hashes[k]), before[k]);
}

TEST_P(AllKinds, DownNodeGetsNothingAndSingleSurvivorGetsAll) {
  const auto d = make_distribution(GetParam(), numbered(6));
  std::vector<bool> live(6, true);
  live[2] = false;
  d->set_live(live);
  for (uint32_t h : sample_hashes(5000)) ASSERT_NE(d->locate(h), 2u);
  d->set_live({false, false, false, false, true, false});
  for (uint32_t h : sample_hashes(1000)) ASSERT_EQ(d->locate(h), 4u);
}

TEST_P(AllKinds, SingleNode) {
  const auto d = make_distribution(GetParam(), {{"solo", 1}});
  for (uint32_t h : sample_hashes(100)) ASSERT_EQ(d->locate(h), 0u);
  d->set_live({false});
  EXPECT_EQ(d->locate(1), kNoNode);
}

INSTANTIATE_TEST_SUITE_P(Kinds, AllKinds,
                         ::testing::Values(DistributionKind::kKetama, DistributionKind::kModula,
                                           DistributionKind::kRendezvous, DistributionKind::kJump,
                                           DistributionKind::kMaglev),
                         [](const auto& info) {
                           return std::string(distribution_name(info.param));
                         });

void expect_weighted_shares(DistributionKind kind) {
  const auto d = make_distribution(kind, {{"a", 1}, {"b", 2}, {"c", 3}});
  const auto counts = histogram(*d, sample_hashes(120000));
  EXPECT_NEAR(static_cast<double>(counts.at(0)), 20000, 1500);
  EXPECT_NEAR(static_cast<double>(counts.at(1)), 40000, 2000);
  EXPECT_NEAR(static_cast<double>(counts.at(2)), 60000, 2000);
}

// ---------------------------------------------------------------- rendezvous

TEST(Rendezvous, WeightedShares) {
  expect_weighted_shares(DistributionKind::kRendezvous);
}

TEST(RendezvousFailover, SurvivorsNeverMoveAndDownKeysSpread) {
  const auto d = make_distribution(DistributionKind::kRendezvous,
                                   {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 1}, {"e", 2}});
  const std::vector<uint32_t> hashes = sample_hashes(20000);
  std::vector<uint32_t> before;
  for (uint32_t h : hashes) before.push_back(d->locate(h));
  d->set_live({true, true, false, true, true});
  std::set<uint32_t> heirs;
  for (size_t k = 0; k < hashes.size(); ++k) {
    const uint32_t now = d->locate(hashes[k]);
    if (before[k] != 2) {
      ASSERT_EQ(now, before[k]);
    } else {
      heirs.insert(now);
    }
  }
  EXPECT_EQ(heirs, (std::set<uint32_t>{0, 1, 3, 4}));
}

TEST(Rendezvous, MatchesBruteForceHighestScore) {
  // The slot table must hold exactly the argmax of -w / ln(u) over live nodes
  // for the key's slot, also after nodes went down and came back.
  std::vector<RingNode> nodes;
  for (int i = 0; i < 40; ++i) nodes.push_back({"n" + std::to_string(i), uint32_t(1 + i % 5)});
  const auto d = make_distribution(DistributionKind::kRendezvous, nodes);
  std::vector<bool> live(nodes.size(), true);
  live[3] = live[17] = live[30] = false;
  d->set_live(live);
  live[30] = true;  // comes back: reclaims exactly the slots it wins
  d->set_live(live);
  std::vector<uint64_t> seeds;
  for (const RingNode& n : nodes) {
    uint64_t s1, s2;
    detail::name_seeds(n.ring_name, s1, s2);
    seeds.push_back(s1);
  }
  for (uint32_t h : sample_hashes(3000)) {
    const uint64_t slot = detail::mix64(h) >> 48;
    const uint64_t k = detail::mix64(slot);
    uint32_t best = kNoNode;
    double best_score = 0;
    for (uint32_t i = 0; i < nodes.size(); ++i) {
      if (!live[i]) continue;
      const double u = (static_cast<double>(detail::mix64(seeds[i] ^ k) >> 11) + 0.5) * 0x1.0p-53;
      const double score = -static_cast<double>(nodes[i].weight) / std::log(u);
      if (best == kNoNode || score > best_score) best = i, best_score = score;
    }
    ASSERT_EQ(d->locate(h), best) << h;
  }
}

TEST(Rendezvous, PointsReportWeights) {
  const auto d = make_distribution(DistributionKind::kRendezvous, {{"a", 1}, {"b", 5}});
  EXPECT_EQ(d->points_per_node(), (std::vector<uint32_t>{1, 5}));
}

// ---------------------------------------------------------------- jump

TEST(Jump, RemovingTheLastNodeInPoolOrderMovesOnlyItsKeys) {
  // Pool order node0 .. node9 (equal lengths, bytes): node9 is last.
  const auto d = make_distribution(DistributionKind::kJump, numbered(10));
  const std::vector<uint32_t> hashes = sample_hashes(20000);
  std::vector<uint32_t> before;
  for (uint32_t h : hashes) before.push_back(d->locate(h));
  std::vector<bool> live(10, true);
  live[9] = false;
  d->set_live(live);
  for (size_t k = 0; k < hashes.size(); ++k) {
    if (before[k] != 9) {
      ASSERT_EQ(d->locate(hashes[k]), before[k]);
    }
  }
}

TEST(Jump, RemovingAMiddleNodeAlsoMovesSurvivorsKeys) {
  // The documented cost of jump: the live list shifts.
  const auto d = make_distribution(DistributionKind::kJump, numbered(10));
  const std::vector<uint32_t> hashes = sample_hashes(20000);
  std::vector<uint32_t> before;
  for (uint32_t h : hashes) before.push_back(d->locate(h));
  std::vector<bool> live(10, true);
  live[2] = false;
  d->set_live(live);
  size_t survivors_moved = 0;
  for (size_t k = 0; k < hashes.size(); ++k) {
    if (before[k] != 2 && d->locate(hashes[k]) != before[k]) ++survivors_moved;
  }
  EXPECT_GT(survivors_moved, 2000u);
}

TEST(Jump, PointsAreOnePerLiveNode) {
  const auto d = make_distribution(DistributionKind::kJump, numbered(3));
  d->set_live({true, false, true});
  EXPECT_EQ(d->points_per_node(), (std::vector<uint32_t>{1, 0, 1}));
}

// ---------------------------------------------------------------- maglev

TEST(Maglev, TableIsFullAndBalanced) {
  const auto d = make_distribution(DistributionKind::kMaglev, numbered(7));
  const std::vector<uint32_t> points = d->points_per_node();
  EXPECT_EQ(std::accumulate(points.begin(), points.end(), 0u), 65537u);
  for (uint32_t p : points) EXPECT_NEAR(static_cast<double>(p), 65537.0 / 7, 2.0);
}

TEST(Maglev, LargePoolsGetALargerPrimeTable) {
  const auto d = make_distribution(DistributionKind::kMaglev, numbered(1000));
  const std::vector<uint32_t> points = d->points_per_node();
  EXPECT_EQ(std::accumulate(points.begin(), points.end(), 0u), 100003u);  // next prime >= 100000
  for (uint32_t p : points) EXPECT_GE(p, 99u);
}

TEST(Maglev, WeightedShares) {
  expect_weighted_shares(DistributionKind::kMaglev);
  // Scaling every weight changes nothing.
  const auto a = make_distribution(DistributionKind::kMaglev, {{"a", 1}, {"b", 2}, {"c", 3}});
  const auto b = make_distribution(DistributionKind::kMaglev, {{"a", 10}, {"b", 20}, {"c", 30}});
  for (uint32_t h : sample_hashes(5000)) ASSERT_EQ(a->locate(h), b->locate(h));
}

TEST(MaglevFailover, DownNodeSlotsRefilledWithLittleSurvivorChurn) {
  const auto d = make_distribution(DistributionKind::kMaglev, numbered(10));
  const std::vector<uint32_t> hashes = sample_hashes(50000);
  std::vector<uint32_t> before;
  for (uint32_t h : hashes) before.push_back(d->locate(h));
  std::vector<bool> live(10, true);
  live[6] = false;
  d->set_live(live);
  EXPECT_EQ(d->points_per_node()[6], 0u);
  size_t survivor_keys = 0, survivors_moved = 0;
  std::set<uint32_t> heirs;
  for (size_t k = 0; k < hashes.size(); ++k) {
    const uint32_t now = d->locate(hashes[k]);
    if (before[k] == 6) {
      heirs.insert(now);
    } else {
      ++survivor_keys;
      if (now != before[k]) ++survivors_moved;
    }
  }
  EXPECT_EQ(heirs.size(), 9u);
  EXPECT_LT(static_cast<double>(survivors_moved), 0.10 * static_cast<double>(survivor_keys));
}

}  // namespace
}  // namespace ringproxy
