#include "ringproxy/cluster/backoff.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace ringproxy {
namespace {

TEST(Backoff, DoublesUpToTheCapWithAtMostAQuarterTakenOff) {
  for (uint64_t seed : {1u, 2u, 12345u}) {
    Backoff b(100, 5000, seed);
    uint64_t base = 100;
    for (int i = 0; i < 12; ++i) {
      EXPECT_EQ(b.base(), base) << i;
      uint64_t d = b.next();
      EXPECT_LE(d, base) << i;
      EXPECT_GE(d, base - base / 4) << i;
      base = std::min<uint64_t>(base * 2, 5000);
    }
    EXPECT_EQ(b.base(), 5000u);
    b.reset();
    EXPECT_EQ(b.attempts(), 0u);
    EXPECT_EQ(b.base(), 100u);
    EXPECT_LE(b.next(), 100u);
  }
}

TEST(Backoff, JitterSpreadsAFleet) {
  // Proxies that lost etcd together must not all come back in the same
  // millisecond: 20 seeds give more than one delay.
  std::set<uint64_t> delays;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Backoff b(1000, 1000, seed);
    delays.insert(b.next());
  }
  EXPECT_GT(delays.size(), 5u);
}

TEST(Backoff, DegenerateSettingsStillWait) {
  Backoff zero(0, 0, 7);
  EXPECT_GE(zero.next(), 1u);
  Backoff inverted(500, 10, 7);  // max below initial: the initial wins
  EXPECT_LE(inverted.next(), 500u);
  EXPECT_EQ(inverted.base(), 500u);
  Backoff many(1, 1u << 30, 7);
  for (int i = 0; i < 200; ++i) many.next();  // no overflow past the cap
  EXPECT_EQ(many.base(), 1u << 30);
}

}  // namespace
}  // namespace ringproxy
