// Staleness bookkeeping: the dirty entries each swap creates, scenario by
// scenario (expand then the new node fails, shrink, REMOVE then ADD, failover
// and rejoin, weight change), checked against the rule itself on sampled
// hashes: an entry of S matches exactly the hashes S owned before the swap
// and not after, and every member live on both sides that loses a hash has
// one.
#include "ringproxy/placement/dirty_set.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ring_test_util.hpp"
#include "ringproxy/placement/ring_builder.hpp"

namespace ringproxy {
namespace {

using test::kAllKinds;
using test::numbered;
using test::params;
using test::sample_hashes;
using test::specs;

using Ring = std::shared_ptr<const RingSnapshot>;

MembershipOptions change(Liveness joining = Liveness::kUp) {
  MembershipOptions o;
  o.source = "test";
  o.joining = joining;
  return o;
}

// Per-slot dirty sets, fed swap by swap as the proxy will.
struct Staleness {
  std::map<uint32_t, DirtySet> sets;
  Ring ring;

  explicit Staleness(Ring first) : ring(std::move(first)) {}

  // Returns the slots that got an entry at this swap.
  std::vector<uint32_t> swap(Ring next, uint64_t now_ms = 0) {
    std::vector<uint32_t> slots;
    for (auto& [slot, entry] : lost_ranges(*ring, *next, now_ms)) {
      slots.push_back(slot);
      sets[slot].add(std::move(entry));
    }
    ring = std::move(next);
    return slots;
  }
  bool dirty(uint32_t slot, uint32_t hash) const {
    const auto it = sets.find(slot);
    return it != sets.end() && it->second.matches(hash);
  }
  uint32_t slot(std::string_view name) const { return ring->find(name)->slot; }
};

// The rule on sampled hashes: for every member live in both rings, the
// entry made at this swap matches exactly its lost hashes, and a member that
// loses a sampled hash has an entry.
void expect_exact(const RingSnapshot& before, const RingSnapshot& after,
                  const std::vector<uint32_t>& hashes) {
  const auto entries = lost_ranges(before, after, 0);
  std::map<uint32_t, const DirtyEntry*> by_slot;
  for (const auto& [slot, e] : entries) by_slot[slot] = &e;
  for (uint32_t h : hashes) {
    const uint32_t was = before.owner_slot(h);
    const uint32_t now = after.owner_slot(h);
    for (const auto& [slot, e] : by_slot) {
      ASSERT_EQ(e->matches(h), was == slot && now != slot) << "slot " << slot << " hash " << h;
    }
    if (was != kNoSlot && was != now && before.is_live(was) && after.is_live(was)) {
      ASSERT_TRUE(by_slot.count(was)) << "slot " << was << " lost hash " << h << " without entry";
    }
  }
}

TEST(DirtySet, EmptySetMatchesNothingAndEntriesAreOrdered) {
  DirtySet set;
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.matches(12345));
  const Ring a = make_ring(params(DistributionKind::kKetama), numbered(1, 3), "config");
  const Ring b = with_members(*a, numbered(1, 4), change());
  const auto entries = lost_ranges(*a, *b, 0);
  ASSERT_EQ(entries.size(), 3u);
  set.add(entries[0].second);
  set.add(entries[0].second);
  EXPECT_EQ(set.entries()[0].seq, 0u);
  EXPECT_EQ(set.entries()[1].seq, 1u);
  EXPECT_EQ(set.next_seq(), 2u);
  bool any = false;
  for (uint32_t h : sample_hashes(5000)) {
    any = any || set.matches(h);
    EXPECT_FALSE(set.matches_before(h, b->version()));  // made by version 2 itself
    EXPECT_EQ(set.matches_before(h, b->version() + 1), set.matches(h));
  }
  EXPECT_TRUE(any);
  EXPECT_EQ(set.remove_if([](const DirtyEntry& e) { return e.seq == 0; }), 1u);
  EXPECT_EQ(set.size(), 1u);
}

TEST(DirtySet, ExpandThenTheNewNodeFails) {
  const std::vector<uint32_t> hashes = sample_hashes(50000);
  for (Liveness joining : {Liveness::kUp, Liveness::kProbing}) {
    SCOPED_TRACE(liveness_name(joining));
    Staleness s(make_ring(params(DistributionKind::kKetama), numbered(1, 3), "config"));
    const Ring three = s.ring;
    s.swap(with_members(*s.ring, numbered(1, 4), change(joining)));
    const uint32_t d = s.slot("10.0.0.4:6379");
    if (joining == Liveness::kProbing) {
      EXPECT_TRUE(s.sets.empty());  // nothing moved yet
      s.swap(with_liveness(*s.ring, d, Liveness::kUp));
    }
    EXPECT_EQ(s.sets.size(), 3u);  // every old owner lost ranges to the new node
    const Ring four = s.ring;
    EXPECT_TRUE(s.swap(with_liveness(*s.ring, d, Liveness::kDown)).empty());
    // The old owners got their ranges back: exactly those are dirty.
    size_t regained = 0;
    for (uint32_t h : hashes) {
      const uint32_t owner = s.ring->owner_slot(h);
      ASSERT_EQ(owner, three->owner_slot(h));
      const bool moved = four->owner_slot(h) == d;
      ASSERT_EQ(s.dirty(owner, h), moved) << h;
      regained += moved;
    }
    EXPECT_GT(regained, hashes.size() / 5);
  }
}

TEST(DirtySet, ShrinkAfterExpandAndWeightedShrink) {
  const std::vector<uint32_t> hashes = sample_hashes(50000);
  Staleness s(make_ring(params(DistributionKind::kKetama), numbered(1, 3), "config"));
  const Ring three = s.ring;
  s.swap(with_members(*s.ring, numbered(1, 4), change()));
  const Ring four = s.ring;
  // Equal weights: the survivors only gain from a shrink, no new entry.
  EXPECT_TRUE(s.swap(with_members(*s.ring, numbered(1, 3), change())).empty());
  for (uint32_t h : hashes) {
    ASSERT_EQ(s.dirty(s.ring->owner_slot(h), h),
              four->owner_slot(h) == four->find("10.0.0.4:6379")->slot);
  }
  // Weighted ketama: removing one changes every point count; survivors lose
  // some arcs to each other and get entries for exactly those.
  const Ring weighted = make_ring(params(DistributionKind::kKetama),
                                  specs({"a:1:1", "b:1:2", "c:1:3", "d:1:1"}), "config");
  const Ring shrunk = with_members(*weighted, specs({"a:1:1", "b:1:2", "c:1:3"}), change());
  EXPECT_FALSE(lost_ranges(*weighted, *shrunk, 0).empty());
  expect_exact(*weighted, *shrunk, hashes);
}

TEST(DirtySet, RemoveThenAdd) {
  const std::vector<uint32_t> hashes = sample_hashes(50000);
  Staleness s(make_ring(params(DistributionKind::kKetama), numbered(1, 4), "config"));
  EXPECT_TRUE(s.swap(with_members(*s.ring, numbered(1, 3), change())).empty());
  const Ring without = s.ring;
  // Back through the rejoin policy: probing first (nothing moves), then up.
  EXPECT_TRUE(s.swap(with_members(*s.ring, numbered(1, 4), change(Liveness::kProbing))).empty());
  const uint32_t d = s.slot("10.0.0.4:6379");
  EXPECT_EQ(s.swap(with_liveness(*s.ring, d, Liveness::kUp)).size(), 3u);
  // If it fails again, its ranges fall back to owners whose copies of them
  // are older than what it took meanwhile: dirty.
  s.swap(with_liveness(*s.ring, d, Liveness::kDown));
  for (uint32_t h : hashes) {
    const uint32_t owner = s.ring->owner_slot(h);
    ASSERT_EQ(owner, without->owner_slot(h));
    ASSERT_EQ(s.dirty(owner, h), s.ring->home_slot(h) == d) << h;
  }
}

TEST(DirtySet, FailoverAndRejoinDirtyTheSuccessorsLostRanges) {
  const std::vector<uint32_t> hashes = sample_hashes(50000);
  for (DistributionKind kind : kAllKinds) {
    SCOPED_TRACE(distribution_name(kind));
    Staleness s(make_ring(params(kind), numbered(1, 5), "config"));
    const std::vector<uint32_t> failed_slots = s.swap(with_liveness(*s.ring, 2, Liveness::kDown));
    if (kind == DistributionKind::kKetama || kind == DistributionKind::kRendezvous ||
        kind == DistributionKind::kModula) {
      EXPECT_TRUE(failed_slots.empty());  // survivors only gain
    }
    const Ring failover = s.ring;
    const Ring rejoined = with_liveness(*s.ring, 2, Liveness::kUp);
    expect_exact(*failover, *rejoined, hashes);
    s.swap(rejoined);
    // Keys the successors held during the failover are dirty on them.
    for (uint32_t h : hashes) {
      const uint32_t successor = failover->owner_slot(h);
      if (s.ring->owner_slot(h) == 2 && successor != 2) {
        ASSERT_TRUE(s.dirty(successor, h));
      }
    }
  }
}

TEST(DirtySet, WeightChangeDirtiesOnlyTheLosers) {
  const std::vector<uint32_t> hashes = sample_hashes(50000);
  const Ring equal = make_ring(params(DistributionKind::kKetama), numbered(1, 3), "config");
  std::vector<BackendSpec> heavier = numbered(1, 3);
  heavier[0].weight = 2;
  const Ring weighted = with_members(*equal, heavier, change());
  std::vector<uint32_t> slots;
  for (const auto& [slot, e] : lost_ranges(*equal, *weighted, 0)) slots.push_back(slot);
  EXPECT_EQ(slots, (std::vector<uint32_t>{1, 2}));  // the heavier one only gains
  expect_exact(*equal, *weighted, hashes);
}

TEST(DirtySet, EveryDistributionEveryChangeFollowsTheRule) {
  const std::vector<uint32_t> hashes = sample_hashes(20000);
  for (DistributionKind kind : kAllKinds) {
    SCOPED_TRACE(distribution_name(kind));
    Ring ring = make_ring(params(kind), numbered(1, 6), "config");
    auto step = [&](Ring next) {
      expect_exact(*ring, *next, hashes);
      ring = std::move(next);
    };
    step(with_liveness(*ring, 1, Liveness::kDown));
    step(with_liveness(*ring, 3, Liveness::kDown));
    step(with_liveness(*ring, 1, Liveness::kUp));
    step(with_members(*ring, numbered(1, 8), change()));
    step(with_members(*ring, numbered(2, 8), change()));
    step(with_liveness(*ring, 3, Liveness::kUp));
  }
}

TEST(DirtySet, EntriesMadeDuringAWindowWaitForItsEnd) {
  const Ring three = make_ring(params(DistributionKind::kKetama), numbered(1, 3), "config");
  MembershipOptions o = change();
  o.now_ms = 1000;
  o.window_ms = 60000;
  const Ring four = with_members(*three, numbered(1, 4), o);
  for (const auto& [slot, e] : lost_ranges(*three, *four, 1000)) {
    EXPECT_EQ(e.created_ms, 1000u);
    EXPECT_EQ(e.clean_from_ms, 61000u);
    EXPECT_EQ(e.version, four->version());
  }
  const Ring no_window = with_members(*three, numbered(1, 4), change());
  for (const auto& [slot, e] : lost_ranges(*three, *no_window, 1000)) {
    EXPECT_EQ(e.clean_from_ms, 1000u);
  }
  EXPECT_TRUE(lost_ranges(*four, *four, 0).empty());
}

}  // namespace
}  // namespace ringproxy
