// Building snapshots: a membership change places every key exactly as a fresh
// start with the new list would (every distribution, twemproxy's vectors
// included), members that stay keep slot and liveness, 3 -> 4 moves a quarter
// of the keys with ketama and rendezvous and none between survivors, and what
// the other distributions move between survivors.
#include "ringproxy/placement/ring_builder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "ring_test_util.hpp"
#include "ringproxy/placement/hash.hpp"

namespace ringproxy {
namespace {

using test::home_name;
using test::kAllKinds;
using test::numbered;
using test::owner_name;
using test::params;
using test::sample_hashes;
using test::specs;

MembershipOptions change(std::string source, Liveness joining = Liveness::kUp) {
  MembershipOptions o;
  o.source = std::move(source);
  o.joining = joining;
  return o;
}

// The new ring, and a fresh start with the same list and the same liveness,
// place every sampled hash on the same backend (home and live).
void expect_same_as_fresh(const RingSnapshot& changed, const std::vector<uint32_t>& hashes) {
  std::vector<BackendSpec> list;
  for (const RingMember& m : changed.members()) list.push_back(m.spec);
  auto fresh = make_ring(changed.params(), list, "fresh");
  std::vector<std::pair<uint32_t, Liveness>> liveness;
  for (const RingMember& m : changed.members()) {
    liveness.emplace_back(fresh->find(m.spec.ring_name)->slot, changed.liveness(m.slot));
  }
  fresh = with_liveness(*fresh, liveness);
  for (uint32_t h : hashes) {
    ASSERT_EQ(home_name(changed, h), home_name(*fresh, h)) << h;
    ASSERT_EQ(owner_name(changed, h), owner_name(*fresh, h)) << h;
  }
}

TEST(RingBuilder, FirstRingGivesSlotsInListOrder) {
  const auto ring = make_ring(params(DistributionKind::kKetama), numbered(1, 3), "config");
  EXPECT_EQ(ring->version(), 1u);
  EXPECT_EQ(ring->membership_version(), 1u);
  EXPECT_EQ(ring->source(), "config");
  ASSERT_EQ(ring->size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ring->members()[i].slot, i);
    EXPECT_EQ(ring->node_of(i), i);
    EXPECT_EQ(ring->liveness(i), Liveness::kUp);
  }
  EXPECT_TRUE(ring->all_live());
  EXPECT_EQ(ring->previous(), nullptr);
  EXPECT_THROW(make_ring(params(DistributionKind::kKetama), {}, "config"), std::invalid_argument);
  EXPECT_THROW(make_ring(params(DistributionKind::kKetama), specs({"a:1", "a:1"}), "config"),
               std::invalid_argument);
}

TEST(RingBuilder, MembershipChangeEqualsFreshStartForEveryDistribution) {
  const std::vector<uint32_t> hashes = sample_hashes(50000);
  for (DistributionKind kind : kAllKinds) {
    SCOPED_TRACE(distribution_name(kind));
    const bool weights = kind != DistributionKind::kJump;
    auto ring = make_ring(params(kind), numbered(1, 5), "config");
    ring = with_liveness(*ring, 3, Liveness::kDown);  // 10.0.0.4 down throughout
    // Add two (one joining down), remove one, reweight one, in steps.
    ring = with_members(*ring, numbered(1, 7), change("add", Liveness::kProbing));
    expect_same_as_fresh(*ring, hashes);
    ring = with_liveness(*ring, ring->find("10.0.0.6:6379")->slot, Liveness::kUp);
    expect_same_as_fresh(*ring, hashes);
    std::vector<BackendSpec> list = numbered(1, 7);
    list.erase(list.begin() + 1);  // 10.0.0.2 leaves
    if (weights) list[0].weight = 3;
    ring = with_members(*ring, list, change("remove"));
    expect_same_as_fresh(*ring, hashes);
    EXPECT_EQ(ring->version(), 5u);
    EXPECT_EQ(ring->membership_version(), 5u);
    EXPECT_EQ(ring->liveness(3), Liveness::kDown);
  }
}

// The routing table recorded from a live nutcracker (as in ketama_test.cpp),
// reached by changes.
const char* const kTableKeys[] = {"foo",    "bar",    "user:1", "user:2", "user:3", "user:4",
                                  "user:5", "user:6", "user:7", "user:8", "user:9", "user:10"};

int owner_port(const RingSnapshot& ring, HashKind hash, std::string_view key) {
  const RingMember* m = ring.member(ring.owner_slot(hash_key(hash, key)));
  return m == nullptr ? 0 : m->spec.port;
}

TEST(RingBuilder, KetamaStaysTwemproxyCompatibleThroughChanges) {
  const std::vector<std::string> three = {"127.0.0.1:22101:1", "127.0.0.1:22102:1",
                                          "127.0.0.1:22103:1"};
  // 2 -> 3 by an add, and 4 -> 3 by a remove.
  auto grown = make_ring(params(DistributionKind::kKetama), specs({three[0], three[2]}), "config");
  grown = with_members(*grown, specs(three), change("PROXY ADD"));
  auto shrunk = make_ring(params(DistributionKind::kKetama),
                          specs({three[0], "127.0.0.1:22104:1", three[1], three[2]}), "config");
  shrunk = with_members(*shrunk, specs(three), change("PROXY REMOVE"));
  const int fnv_ports[] = {22101, 22101, 22101, 22101, 22101, 22101,
                           22101, 22101, 22101, 22101, 22101, 22101};
  const int murmur_ports[] = {22103, 22101, 22102, 22103, 22101, 22103,
                              22101, 22101, 22103, 22103, 22101, 22102};
  const int md5_ports[] = {22101, 22103, 22101, 22101, 22103, 22102,
                           22103, 22101, 22103, 22102, 22101, 22101};
  for (const auto& ring : {grown, shrunk}) {
    for (size_t i = 0; i < std::size(kTableKeys); ++i) {
      SCOPED_TRACE(kTableKeys[i]);
      EXPECT_EQ(owner_port(*ring, HashKind::kFnv1a_64, kTableKeys[i]), fnv_ports[i]);
      EXPECT_EQ(owner_port(*ring, HashKind::kMurmur, kTableKeys[i]), murmur_ports[i]);
      EXPECT_EQ(owner_port(*ring, HashKind::kMd5, kTableKeys[i]), md5_ports[i]);
    }
  }
  // 1:1:1 -> 1:2:3 by a weight change.
  auto weighted = make_ring(params(DistributionKind::kKetama), specs(three), "config");
  weighted = with_members(*weighted,
                          specs({"127.0.0.1:22101:1", "127.0.0.1:22102:2", "127.0.0.1:22103:3"}),
                          change("PROXY WEIGHT"));
  EXPECT_EQ(weighted->home().points_per_node(), (std::vector<uint32_t>{80, 160, 240}));
  EXPECT_EQ(owner_port(*weighted, HashKind::kFnv1a_64, "foo"), 22101);
  EXPECT_EQ(owner_port(*weighted, HashKind::kFnv1a_64, "bar"), 22102);
  for (int i = 1; i <= 9; ++i) {
    EXPECT_EQ(owner_port(*weighted, HashKind::kFnv1a_64, "user:" + std::to_string(i)), 22103);
  }
  EXPECT_EQ(owner_port(*weighted, HashKind::kFnv1a_64, "user:10"), 22101);
}

TEST(RingBuilder, ModulaStaysTwemproxyCompatibleThroughChanges) {
  // c(22103), bb(22101) + a(22102) -> pool order a, c, bb.
  auto ring = make_ring(params(DistributionKind::kModula),
                        specs({"127.0.0.1:22103:1 c", "127.0.0.1:22101:1 bb"}), "config");
  ring = with_members(*ring,
                      specs({"127.0.0.1:22103:1 c", "127.0.0.1:22101:1 bb", "127.0.0.1:22102:1 a"}),
                      change("PROXY ADD"));
  EXPECT_EQ(owner_port(*ring, HashKind::kFnv1a_64, "foo"), 22101);
  EXPECT_EQ(owner_port(*ring, HashKind::kFnv1a_64, "bar"), 22103);
  for (int i = 1; i <= 9; ++i) {
    EXPECT_EQ(owner_port(*ring, HashKind::kFnv1a_64, "user:" + std::to_string(i)), 22103) << i;
  }
  EXPECT_EQ(owner_port(*ring, HashKind::kFnv1a_64, "user:10"), 22102);
}

TEST(RingBuilder, StayersKeepSlotAndLivenessNewMembersTakeFreeSlots) {
  auto ring = make_ring(params(DistributionKind::kKetama), numbered(1, 4), "config");
  ring = with_liveness(*ring, 1, Liveness::kFailing);
  ring = with_liveness(*ring, 2, Liveness::kDown);
  // 10.0.0.1 (slot 0) leaves and is still draining; 10.0.0.5 and .6 join.
  std::vector<BackendSpec> list = numbered(2, 6);
  std::reverse(list.begin(), list.end());  // order of the list does not matter
  MembershipOptions o = change("PROXY ADD", Liveness::kProbing);
  o.draining_slots = {0};
  const auto next = with_members(*ring, list, o);
  EXPECT_EQ(next->find("10.0.0.2:6379")->slot, 1u);
  EXPECT_EQ(next->liveness(next->find("10.0.0.2:6379")->slot), Liveness::kFailing);
  EXPECT_EQ(next->find("10.0.0.3:6379")->slot, 2u);
  EXPECT_EQ(next->liveness(next->find("10.0.0.3:6379")->slot), Liveness::kDown);
  EXPECT_EQ(next->find("10.0.0.4:6379")->slot, 3u);
  EXPECT_EQ(next->find("10.0.0.6:6379")->slot, 4u);  // list order: .6 comes first
  EXPECT_EQ(next->find("10.0.0.5:6379")->slot, 5u);
  EXPECT_EQ(next->liveness(next->find("10.0.0.5:6379")->slot), Liveness::kProbing);
  EXPECT_FALSE(next->is_member(0));
  EXPECT_EQ(next->slot_limit(), 6u);
  EXPECT_EQ(next->source(), "PROXY ADD");
  // Once drained, slot 0 is free again.
  const auto later = with_members(*next, numbered(2, 7), change("PROXY ADD"));
  EXPECT_EQ(later->find("10.0.0.7:6379")->slot, 0u);
  // A ring name that stays with a new address keeps its slot, not its health.
  std::vector<BackendSpec> moved = numbered(2, 7);
  moved[0] = parse_backend_spec("10.9.9.9:6379 10.0.0.2:6379");
  const auto readdressed = with_members(*later, moved, change("SIGHUP", Liveness::kProbing));
  EXPECT_EQ(readdressed->find("10.0.0.2:6379")->slot, 1u);
  EXPECT_EQ(readdressed->liveness(readdressed->find("10.0.0.2:6379")->slot), Liveness::kProbing);
  const RingDiff d = diff(*later, *readdressed);
  EXPECT_EQ(d.readdressed, (std::vector<uint32_t>{1}));
  EXPECT_TRUE(d.added.empty());
  EXPECT_TRUE(d.removed.empty());
}

TEST(RingBuilder, DiffAndSameMembership) {
  const auto ring = make_ring(params(DistributionKind::kKetama), numbered(1, 3), "config");
  std::vector<BackendSpec> list = numbered(2, 4);
  list[0].weight = 2;
  EXPECT_FALSE(same_membership(*ring, list));
  std::vector<BackendSpec> shuffled = numbered(1, 3);
  std::swap(shuffled[0], shuffled[2]);
  EXPECT_TRUE(same_membership(*ring, shuffled));
  EXPECT_FALSE(same_membership(*ring, specs({"10.0.0.1:6379", "10.0.0.1:6379", "10.0.0.3:6379"})));
  const auto next = with_members(*ring, list, change("x"));
  const RingDiff d = diff(*ring, *next);
  EXPECT_EQ(d.added, (std::vector<uint32_t>{3}));
  EXPECT_EQ(d.removed, (std::vector<uint32_t>{0}));
  EXPECT_EQ(d.reweighted, (std::vector<uint32_t>{1}));
  EXPECT_TRUE(d.readdressed.empty());
}

// Keys whose owner changes, by (from, to) ring names.
std::map<std::pair<std::string, std::string>, size_t> moves(const RingSnapshot& a,
                                                            const RingSnapshot& b,
                                                            const std::vector<uint32_t>& hashes) {
  std::map<std::pair<std::string, std::string>, size_t> out;
  for (uint32_t h : hashes) {
    const std::string from = owner_name(a, h);
    const std::string to = owner_name(b, h);
    if (from != to) ++out[{from, to}];
  }
  return out;
}

TEST(RingBuilder, ThreeToFourMovesAQuarterAndNothingBetweenSurvivors) {
  const std::vector<uint32_t> hashes = sample_hashes(100000);
  for (DistributionKind kind : {DistributionKind::kKetama, DistributionKind::kRendezvous}) {
    SCOPED_TRACE(distribution_name(kind));
    const auto three = make_ring(params(kind), numbered(1, 3), "config");
    const auto four = with_members(*three, numbered(1, 4), change("PROXY ADD"));
    size_t moved = 0;
    for (const auto& [pair, count] : moves(*three, *four, hashes)) {
      EXPECT_EQ(pair.second, "10.0.0.4:6379") << pair.first << " -> " << pair.second;
      moved += count;
    }
    EXPECT_GT(moved, hashes.size() * 20 / 100);
    EXPECT_LT(moved, hashes.size() * 30 / 100);
    // While the new member is still probing nothing moves at all.
    const auto probing =
        with_members(*three, numbered(1, 4), change("PROXY ADD", Liveness::kProbing));
    EXPECT_TRUE(moves(*three, *probing, hashes).empty());
  }
}

// Share of all keys that move between two backends that both stay.
double survivor_moves(DistributionKind kind, const std::vector<BackendSpec>& before,
                      const std::vector<BackendSpec>& after, const std::vector<uint32_t>& hashes) {
  const auto a = make_ring(params(kind), before, "config");
  const auto b = with_members(*a, after, change("change"));
  size_t between = 0;
  for (const auto& [pair, count] : moves(*a, *b, hashes)) {
    if (a->find(pair.second) != nullptr && b->find(pair.first) != nullptr) between += count;
  }
  return static_cast<double>(between) / static_cast<double>(hashes.size());
}

TEST(RingBuilder, WhatOtherDistributionsMoveBetweenSurvivors) {
  // The figures tools/ring/README.md quotes come from ringproxy-ring;
  // these bounds pin their order of magnitude.
  const std::vector<uint32_t> hashes = sample_hashes(100000);
  const auto three = numbered(1, 3);
  const auto four = numbered(1, 4);
  EXPECT_NEAR(survivor_moves(DistributionKind::kModula, three, four, hashes), 0.50, 0.02);
  EXPECT_LT(survivor_moves(DistributionKind::kMaglev, three, four, hashes), 0.02);
  // Jump: 10.0.0.4 sorts last in pool order, so the add is clean; a name that
  // sorts first shifts every bucket.
  EXPECT_EQ(survivor_moves(DistributionKind::kJump, three, four, hashes), 0.0);
  std::vector<BackendSpec> first = three;
  first.push_back(parse_backend_spec("10.0.0.9:6379 a"));
  EXPECT_GT(survivor_moves(DistributionKind::kJump, three, first, hashes), 0.3);
  // Weighted ketama: every member's point count depends on the total weight.
  const auto weighted = specs({"10.0.0.1:6379:1", "10.0.0.2:6379:2", "10.0.0.3:6379:3"});
  std::vector<BackendSpec> weighted_more = weighted;
  weighted_more.push_back(parse_backend_spec("10.0.0.4:6379:1"));
  const double ketama = survivor_moves(DistributionKind::kKetama, weighted, weighted_more, hashes);
  EXPECT_GT(ketama, 0.0);
  EXPECT_LT(ketama, 0.10);
  EXPECT_EQ(survivor_moves(DistributionKind::kRendezvous, weighted, weighted_more, hashes), 0.0);
}

TEST(RingBuilder, LivenessChangesShareWhatTheyCan) {
  for (DistributionKind kind : kAllKinds) {
    SCOPED_TRACE(distribution_name(kind));
    const auto ring = make_ring(params(kind), numbered(1, 4), "config");
    const auto failing = with_liveness(*ring, 1, Liveness::kFailing);  // still live
    EXPECT_EQ(failing->version(), 2u);
    EXPECT_EQ(failing->membership_version(), 1u);
    EXPECT_EQ(failing->live_ptr(), ring->live_ptr());
    const auto down = with_liveness(*failing, 1, Liveness::kDown);
    EXPECT_EQ(down->home_ptr(), ring->home_ptr());
    EXPECT_NE(down->live_ptr(), ring->home_ptr());
    EXPECT_FALSE(down->all_live());
    EXPECT_EQ(ring->live().locate(0), ring->home().locate(0));  // the original is untouched
    const auto up = with_liveness(*down, 1, Liveness::kUp);
    EXPECT_EQ(up->live_ptr(), ring->home_ptr());
    EXPECT_EQ(with_liveness(*up, 99, Liveness::kDown)->live_ptr(), up->live_ptr());  // no member
  }
}

// Liveness applied to clones, step after step, equals liveness applied once
// to a fresh table (rendezvous' set_live is incremental).
TEST(RingBuilder, LivenessPathDoesNotMatter) {
  const std::vector<uint32_t> hashes = sample_hashes(20000);
  for (DistributionKind kind : kAllKinds) {
    SCOPED_TRACE(distribution_name(kind));
    auto ring = make_ring(params(kind), numbered(1, 6), "config");
    const std::vector<std::pair<uint32_t, Liveness>> steps = {
        {1, Liveness::kDown}, {4, Liveness::kDown},    {1, Liveness::kUp},
        {0, Liveness::kDown}, {2, Liveness::kProbing}, {4, Liveness::kUp}};
    for (const auto& [slot, l] : steps) {
      ring = with_liveness(*ring, slot, l);
      expect_same_as_fresh(*ring, hashes);
    }
  }
}

TEST(RingBuilder, FinishAppliesTheLivenessOfSwapTime) {
  const auto ring = make_ring(params(DistributionKind::kRendezvous), numbered(1, 3), "config");
  const std::vector<BackendSpec> list = numbered(1, 4);
  // Started with everyone up but 10.0.0.4 probing...
  MembershipBuild build =
      build_membership(DistributionKind::kRendezvous, list,
                       live_mask(carried_liveness(*ring, list, Liveness::kProbing)));
  ASSERT_NE(build.live, nullptr);
  // ...reused when nothing changed meanwhile...
  const Distribution* prebuilt = build.live.get();
  const auto same = finish_membership(*ring, build, change("add", Liveness::kProbing));
  EXPECT_EQ(same->live_ptr().get(), prebuilt);
  // ...and redone when 10.0.0.2 went down during the build.
  const auto now = with_liveness(*ring, 1, Liveness::kDown);
  const auto next = finish_membership(*now, std::move(build), change("add", Liveness::kProbing));
  EXPECT_NE(next->live_ptr().get(), prebuilt);
  EXPECT_EQ(next->liveness(1), Liveness::kDown);
  EXPECT_EQ(next->version(), 3u);
  expect_same_as_fresh(*next, sample_hashes(20000));
  // A build for another distribution kind is refused.
  EXPECT_THROW(
      finish_membership(*ring, build_membership(DistributionKind::kKetama, list), change("add")),
      std::invalid_argument);
}

TEST(RingBuilder, MigrationWindowRemembersThePreviousHomes) {
  const auto three = make_ring(params(DistributionKind::kKetama), numbered(1, 3), "config");
  MembershipOptions o = change("PROXY ADD");
  o.now_ms = 1000;
  o.window_ms = 500;
  const auto four = with_members(*three, numbered(1, 4), o);
  ASSERT_NE(four->previous(), nullptr);
  EXPECT_EQ(four->previous()->window_end_ms, 1500u);
  EXPECT_TRUE(four->window_open(1499));
  EXPECT_FALSE(four->window_open(1500));
  size_t moved = 0;
  for (uint32_t h : sample_hashes(20000)) {
    const uint32_t prev = four->previous_home_slot(h, 1200);
    if (three->home_slot(h) == four->home_slot(h)) {
      ASSERT_EQ(prev, kNoSlot);
    } else {
      ++moved;
      ASSERT_EQ(prev, three->home_slot(h));
      ASSERT_EQ(four->home_slot(h), 3u);
    }
    ASSERT_EQ(four->previous_home_slot(h, 1500), kNoSlot);
  }
  EXPECT_GT(moved, 0u);
  // A liveness change keeps the window; a previous home that is down is not
  // offered.
  const auto down = with_liveness(*four, 0, Liveness::kDown);
  EXPECT_EQ(down->previous(), four->previous());
  for (uint32_t h : sample_hashes(20000)) ASSERT_NE(down->previous_home_slot(h, 1200), 0u);
  // Without a window no previous ring is kept.
  EXPECT_EQ(with_members(*four, numbered(1, 5), change("x"))->previous(), nullptr);
}

}  // namespace
}  // namespace ringproxy
