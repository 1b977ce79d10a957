// FailoverLog: which failover-era copies are remembered, and the bound.
#include "ringproxy/health/failover_log.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace ringproxy {
namespace {

TEST(FailoverLogTest, RemembersTheLastSuccessorPerKeyAndForgetsOnTake) {
  FailoverLog log(3, 100);
  log.record(0, 1, "a");
  log.record(0, 1, "b");
  log.record(0, 2, "a");  // rewritten after another failure: the newest place
  log.record(2, 1, "c");
  EXPECT_EQ(log.tracked(0), 2u);
  EXPECT_EQ(log.tracked(2), 1u);

  std::vector<FailoverLog::Copy> copies = log.take(0);
  std::sort(copies.begin(), copies.end(), [](auto& x, auto& y) { return x.key < y.key; });
  ASSERT_EQ(copies.size(), 2u);
  EXPECT_EQ(copies[0].key, "a");
  EXPECT_EQ(copies[0].successor, 2u);
  EXPECT_EQ(copies[1].key, "b");
  EXPECT_EQ(copies[1].successor, 1u);
  EXPECT_EQ(log.tracked(0), 0u);
  EXPECT_TRUE(log.take(0).empty());
  EXPECT_EQ(log.tracked(2), 1u) << "other homes are untouched";
}

TEST(FailoverLogTest, WritesPastTheBoundAreCountedNotStored) {
  FailoverLog log(2, 3);
  for (int i = 0; i < 10; ++i) log.record(0, 1, "k" + std::to_string(i));
  log.record(0, 1, "k0");  // already tracked: still fits
  EXPECT_EQ(log.tracked(0), 3u);
  EXPECT_EQ(log.untracked(0), 7u);
  EXPECT_EQ(log.untracked_total(), 7u);

  EXPECT_EQ(log.take(0).size(), 3u);
  EXPECT_EQ(log.untracked(0), 0u) << "per outage";
  EXPECT_EQ(log.untracked_total(), 7u) << "cumulative since start-up";

  log.record(1, 0, "x");
  EXPECT_EQ(log.tracked(1), 1u);

  FailoverLog none(1, 0);
  none.record(0, 0, "k");
  EXPECT_EQ(none.tracked(0), 0u);
  EXPECT_EQ(none.untracked_total(), 1u);
}

TEST(FailoverLogTest, MissedWritesAreKeysUntrackedWritesOrALostWriteUntilTake) {
  FailoverLog log(3, 1);
  EXPECT_FALSE(log.missed_writes(0));
  log.record(0, 1, "a");
  EXPECT_TRUE(log.missed_writes(0));
  log.take(0);
  EXPECT_FALSE(log.missed_writes(0));

  log.record(1, 2, "a");
  log.record(1, 2, "b");  // past the bound of 1
  log.take(1);
  log.record(1, 2, "c");
  log.take(1);
  EXPECT_FALSE(log.missed_writes(1));

  log.record_lost(2);
  EXPECT_TRUE(log.lost(2));
  EXPECT_TRUE(log.missed_writes(2));
  EXPECT_FALSE(log.missed_writes(1)) << "per backend";
  EXPECT_TRUE(log.take(2).empty());
  EXPECT_FALSE(log.lost(2));
  EXPECT_FALSE(log.missed_writes(2));
}

}  // namespace
}  // namespace ringproxy
