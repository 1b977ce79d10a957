// RingSnapshot on its own: validation of its parts, slot <-> node maps,
// lookups for non-members, the key hash (hash tag, empty key), and Router,
// the fixed-membership layer over it.
#include "ringproxy/placement/ring_snapshot.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ring_test_util.hpp"
#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_tag.hpp"
#include "ringproxy/placement/ring_builder.hpp"
#include "ringproxy/placement/router.hpp"

namespace ringproxy {
namespace {

using test::numbered;
using test::specs;

RingSnapshot::Parts parts_of(std::vector<uint32_t> slots) {
  RingSnapshot::Parts p;
  const std::vector<BackendSpec> list = numbered(1, static_cast<int>(slots.size()));
  std::vector<RingMember> members;
  std::vector<RingNode> nodes;
  for (size_t i = 0; i < list.size(); ++i) {
    members.push_back({slots[i], list[i]});
    nodes.push_back({list[i].ring_name, 1});
  }
  p.membership = std::make_shared<const RingMembership>(std::move(members));
  p.liveness.assign(list.size(), Liveness::kUp);
  p.home = make_distribution(DistributionKind::kKetama, nodes);
  p.live = p.home;
  return p;
}

TEST(RingSnapshot, MapsSlotsToNodesAndBack) {
  const RingSnapshot ring(parts_of({7, 2, 4}));
  EXPECT_EQ(ring.slot_limit(), 8u);
  EXPECT_EQ(ring.node_of(7), 0u);
  EXPECT_EQ(ring.node_of(2), 1u);
  EXPECT_EQ(ring.slot_of_node(2), 4u);
  EXPECT_EQ(ring.node_of(3), kNoNode);
  EXPECT_EQ(ring.node_of(100), kNoNode);
  EXPECT_EQ(ring.member(3), nullptr);
  EXPECT_EQ(ring.member(4)->spec.ring_name, "10.0.0.3:6379");
  EXPECT_EQ(ring.find("10.0.0.2:6379")->slot, 2u);
  EXPECT_EQ(ring.find("nope"), nullptr);
  EXPECT_EQ(ring.liveness(3), Liveness::kDown);
  EXPECT_FALSE(ring.is_live(3));
  EXPECT_TRUE(ring.is_live(7));
  for (uint32_t h : test::sample_hashes(1000)) {
    const uint32_t slot = ring.owner_slot(h);
    ASSERT_TRUE(slot == 7 || slot == 2 || slot == 4);
    ASSERT_EQ(slot, ring.slot_of_node(ring.live().locate(h)));
  }
}

TEST(RingSnapshot, RejectsPartsThatDoNotFit) {
  EXPECT_THROW(parts_of({1, 1}), std::invalid_argument);
  EXPECT_THROW(parts_of({kNoSlot}), std::invalid_argument);
  std::vector<RingMember> dup = {{0, numbered(1, 1)[0]}, {1, numbered(1, 1)[0]}};
  EXPECT_THROW(RingMembership(std::move(dup)), std::invalid_argument);
  EXPECT_THROW(RingMembership({}), std::invalid_argument);
  RingSnapshot::Parts none = parts_of({0});
  none.live = nullptr;
  EXPECT_THROW(RingSnapshot(std::move(none)), std::invalid_argument);
  RingSnapshot::Parts short_liveness = parts_of({0, 1});
  short_liveness.liveness.pop_back();
  EXPECT_THROW(RingSnapshot(std::move(short_liveness)), std::invalid_argument);
  RingSnapshot::Parts other_size = parts_of({0, 1});
  other_size.live = make_distribution(DistributionKind::kKetama, {{"x", 1}});
  EXPECT_THROW(RingSnapshot(std::move(other_size)), std::invalid_argument);
}

TEST(RingSnapshot, AllDownGivesNoSlot) {
  auto ring =
      make_ring({HashKind::kMurmur, "", DistributionKind::kRendezvous}, numbered(1, 2), "config");
  ring = with_liveness(*ring, 0, Liveness::kDown);
  ring = with_liveness(*ring, 1, Liveness::kProbing);
  EXPECT_EQ(ring->owner_slot(42), kNoSlot);
  EXPECT_NE(ring->home_slot(42), kNoSlot);
}

TEST(RingSnapshot, KeyHashAppliesTheTagAndHashesTheEmptyKeyToZero) {
  const auto ring =
      make_ring({HashKind::kFnv1a_64, "{}", DistributionKind::kKetama}, numbered(1, 3), "config");
  EXPECT_EQ(ring->key_hash("{user1}:a"), hash_fnv1a_64("user1"));
  EXPECT_EQ(ring->key_hash("{user1}:a"), ring->key_hash("{user1}:b"));
  EXPECT_EQ(ring->key_hash("plain"), hash_fnv1a_64("plain"));
  EXPECT_EQ(ring->key_hash(""), 0u);
  EXPECT_EQ(liveness_name(Liveness::kProbing), "probing");
  EXPECT_TRUE(is_live(Liveness::kFailing));
  EXPECT_FALSE(is_live(Liveness::kProbing));
}

TEST(Router, RoutesLikeItsDistributionAndFailsOver) {
  const std::vector<RingNode> nodes = {{"a:1", 1}, {"b:1", 1}, {"c:1", 1}};
  Router router(HashKind::kMurmur, "", DistributionKind::kKetama, nodes);
  const auto d = make_distribution(DistributionKind::kKetama, nodes);
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "k" + std::to_string(i);
    ASSERT_EQ(router.backend_for_key(key), d->locate(hash_murmur(key)));
  }
  router.set_live({true, false, true});
  d->set_live({true, false, true});
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "k" + std::to_string(i);
    ASSERT_EQ(router.backend_for_key(key), d->locate(hash_murmur(key)));
    ASSERT_NE(router.home_for_key(key), kNoNode);
  }
  EXPECT_EQ(router.size(), 3u);
  EXPECT_THROW(router.set_live({true}), std::invalid_argument);
}

}  // namespace
}  // namespace ringproxy
