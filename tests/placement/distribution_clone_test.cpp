// Distribution::clone (an independent copy: liveness applied to it leaves the
// original alone, and it outlives the original) and Distribution::losers
// (never false when a sampled hash moves; false where each kind's rule says
// nothing can move).
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ring_test_util.hpp"
#include "ringproxy/placement/hash_ring.hpp"

namespace ringproxy {
namespace {

using test::kAllKinds;
using test::sample_hashes;

std::vector<RingNode> nodes(size_t n) {
  std::vector<RingNode> out;
  for (size_t i = 0; i < n; ++i) out.push_back({"node" + std::to_string(i), 1});
  return out;
}

std::vector<uint32_t> owners(const Distribution& d, const std::vector<uint32_t>& hashes) {
  std::vector<uint32_t> out;
  for (uint32_t h : hashes) out.push_back(d.locate(h));
  return out;
}

TEST(DistributionClone, CopyIsIndependentAndOutlivesTheOriginal) {
  const std::vector<uint32_t> hashes = sample_hashes(20000);
  for (DistributionKind kind : kAllKinds) {
    SCOPED_TRACE(distribution_name(kind));
    auto original = make_distribution(kind, nodes(5));
    original->set_live({true, true, false, true, true});
    const std::vector<uint32_t> before = owners(*original, hashes);
    std::unique_ptr<Distribution> copy = original->clone();
    EXPECT_EQ(owners(*copy, hashes), before);
    EXPECT_EQ(copy->kind(), kind);
    EXPECT_EQ(copy->points_per_node(), original->points_per_node());
    copy->set_live({false, true, true, true, true});
    EXPECT_EQ(owners(*original, hashes), before);
    auto fresh = make_distribution(kind, nodes(5));
    fresh->set_live({false, true, true, true, true});
    const std::vector<uint32_t> expected = owners(*fresh, hashes);
    original.reset();
    EXPECT_EQ(owners(*copy, hashes), expected);
  }
}

TEST(DistributionClone, KetamaFallbackContinuumIsCopiedToo) {
  // 100000:1 with the heavy node down: only a node without points is live.
  auto original = make_distribution(DistributionKind::kKetama, {{"heavy", 100000}, {"light", 1}});
  original->set_live({false, true});
  auto copy = original->clone();
  original.reset();
  for (uint32_t h : sample_hashes(1000)) ASSERT_EQ(copy->locate(h), 1u);
}

// losers() with the identity map (a liveness change): which nodes lose.
std::vector<bool> losers(const Distribution& after, const Distribution& before) {
  std::vector<uint32_t> same(before.node_count());
  for (uint32_t i = 0; i < same.size(); ++i) same[i] = i;
  return after.losers(before, same);
}

TEST(DistributionLosers, NothingMovesNothingLost) {
  const std::vector<bool> none(5, false);
  for (DistributionKind kind : kAllKinds) {
    SCOPED_TRACE(distribution_name(kind));
    const auto d = make_distribution(kind, nodes(5));
    EXPECT_EQ(losers(*d, *d), none);
    const auto same = make_distribution(kind, nodes(5));
    EXPECT_EQ(losers(*same, *d), none);
    // A node that owned nothing loses nothing; all of a node that goes down
    // is lost.
    auto down = d->clone();
    down->set_live({true, false, true, true, true});
    EXPECT_FALSE(losers(*d, *down)[1]);
    EXPECT_TRUE(losers(*down, *d)[1]);
    // A node that is not a member any more lost everything it had.
    std::vector<uint32_t> gone = {0, kNoNode, 2, 3, 4};
    const std::vector<bool> lost = same->losers(*d, gone);
    EXPECT_TRUE(lost[1]);
    EXPECT_THROW(same->losers(*d, std::vector<uint32_t>{0, 1}), std::invalid_argument);
  }
}

TEST(DistributionLosers, SurvivorsOfAFailureLoseNothingWhereTheKindSaysSo) {
  for (DistributionKind kind :
       {DistributionKind::kKetama, DistributionKind::kRendezvous, DistributionKind::kModula}) {
    SCOPED_TRACE(distribution_name(kind));
    const auto all = make_distribution(kind, nodes(5));
    auto one_down = all->clone();
    one_down->set_live({true, false, true, true, true});
    // Survivors only gain; when node 1 comes back, each of them gives back
    // what it took.
    EXPECT_EQ(losers(*one_down, *all), (std::vector<bool>{false, true, false, false, false}));
    EXPECT_EQ(losers(*all, *one_down), (std::vector<bool>{true, false, true, true, true}));
  }
  // Jump: the last bucket (pool order) going down moves nothing else; any
  // other one shifts the buckets after it.
  const auto all = make_distribution(DistributionKind::kJump, nodes(5));
  auto last_down = all->clone();
  last_down->set_live({true, true, true, true, false});
  EXPECT_EQ(losers(*last_down, *all), (std::vector<bool>{false, false, false, false, true}));
  auto middle_down = all->clone();
  middle_down->set_live({true, true, false, true, true});
  EXPECT_EQ(losers(*middle_down, *all), (std::vector<bool>{false, false, true, true, true}));
  // Another kind: unsure, so every node.
  const auto ketama = make_distribution(DistributionKind::kKetama, nodes(5));
  EXPECT_EQ(losers(*all, *ketama), std::vector<bool>(5, true));
}

TEST(DistributionLosers, NeverFalseWhenASampledHashMoves) {
  const std::vector<uint32_t> hashes = sample_hashes(20000);
  for (DistributionKind kind : kAllKinds) {
    SCOPED_TRACE(distribution_name(kind));
    // Membership change: node3 leaves, node5 and node6 join (node4 shifts).
    const auto before = make_distribution(kind, nodes(5));
    std::vector<RingNode> list = nodes(7);
    list.erase(list.begin() + 3);
    const auto after = make_distribution(kind, list);
    const std::vector<uint32_t> same = {0, 1, 2, kNoNode, 3};
    const std::vector<bool> lost = after->losers(*before, same);
    for (uint32_t h : hashes) {
      const uint32_t was = before->locate(h);
      if (same[was] != after->locate(h)) {
        ASSERT_TRUE(lost[was]) << was;
      }
    }
  }
}

}  // namespace
}  // namespace ringproxy
