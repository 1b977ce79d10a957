// ShardRateMeter: rates over the sliding window from cumulative counters, the
// hot-shard flag against the (weighted) mean, backends that come and go.
#include "ringproxy/stats/shard_rate.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ringproxy::stats {
namespace {

ShardRateOptions opts(double multiple = 2.0, double min_rate = 10.0) {
  ShardRateOptions o;
  o.window_ms = 1000;
  o.steps = 4;
  o.hot_multiple = multiple;
  o.min_rate = min_rate;
  return o;
}

TEST(ShardRateMeter, RateIsRequestsOverTheWindow) {
  ShardRateMeter m(opts());
  EXPECT_EQ(m.interval_ms(), 250u);
  std::vector<uint64_t> c = {0, 0, 0};
  m.sample(0, c);
  EXPECT_DOUBLE_EQ(m.rates()[0].rate, 0.0);
  for (uint64_t t = 250; t <= 2000; t += 250) {
    c[0] += 250;  // 1000/s
    c[1] += 50;   // 200/s
    m.sample(t, c);
  }
  ASSERT_EQ(m.rates().size(), 3u);
  EXPECT_DOUBLE_EQ(m.rates()[0].rate, 1000.0);
  EXPECT_DOUBLE_EQ(m.rates()[1].rate, 200.0);
  EXPECT_DOUBLE_EQ(m.rates()[2].rate, 0.0);
  // Mean 400/s: backend 0 takes 2.5 times it.
  EXPECT_DOUBLE_EQ(m.rates()[0].expected, 400.0);
  EXPECT_TRUE(m.rates()[0].hot);
  EXPECT_FALSE(m.rates()[1].hot);
  EXPECT_TRUE(m.any_hot());
}

TEST(ShardRateMeter, OnlyTheLastWindowCounts) {
  ShardRateMeter m(opts());
  std::vector<uint64_t> c = {0, 0, 0};
  m.sample(0, c);
  c[0] = 100000;  // a burst long ago
  m.sample(250, c);
  for (uint64_t t = 500; t <= 2000; t += 250) {
    c[0] += 25;
    c[1] += 25;
    c[2] += 25;
    m.sample(t, c);
  }
  for (const ShardRate& r : m.rates()) EXPECT_DOUBLE_EQ(r.rate, 100.0);
  EXPECT_FALSE(m.any_hot());
}

TEST(ShardRateMeter, QuietTrafficIsNeverHot) {
  ShardRateMeter m(opts(2.0, 500.0));
  std::vector<uint64_t> c = {0, 0, 0};
  m.sample(0, c);
  c[0] = 300;  // 300/s, all on one backend, but under min_rate
  m.sample(1000, c);
  EXPECT_DOUBLE_EQ(m.rates()[0].rate, 300.0);
  EXPECT_FALSE(m.any_hot());
}

TEST(ShardRateMeter, WeightsSetEachBackendsShare) {
  ShardRateMeter m(opts(1.5, 1.0));
  std::vector<uint64_t> c = {0, 0, 0};
  const std::vector<double> w = {2.0, 1.0, 0.0};  // backend 2 is down: not in the mean
  m.sample(0, c, w);
  c = {200, 100, 0};
  m.sample(1000, c, w);
  EXPECT_DOUBLE_EQ(m.rates()[0].expected, 200.0);
  EXPECT_DOUBLE_EQ(m.rates()[1].expected, 100.0);
  EXPECT_FALSE(m.any_hot());  // each takes exactly its weighted share
  c = {300, 400, 0};
  m.sample(2000, c, w);  // window: 1000 ms back to the reading at 1000
  EXPECT_DOUBLE_EQ(m.rates()[1].rate, 300.0);
  EXPECT_DOUBLE_EQ(m.rates()[1].expected, 400.0 / 3.0);
  EXPECT_TRUE(m.rates()[1].hot);
  EXPECT_FALSE(m.rates()[0].hot);
  EXPECT_FALSE(m.rates()[2].hot);
}

TEST(ShardRateMeter, NewAndReusedBackendSlotsStartTheirWindowAfresh) {
  ShardRateMeter m(opts(10.0));
  std::vector<uint64_t> c = {0};
  m.sample(0, c);
  c = {100, 5000};  // slot 1 appears with an old total: measured from now on
  m.sample(250, c);
  EXPECT_DOUBLE_EQ(m.rates()[1].rate, 0.0);
  c = {200, 5100};
  m.sample(500, c);
  EXPECT_DOUBLE_EQ(m.rates()[1].rate, 400.0);
  c = {300, 10};  // slot 1 given to a new backend: its counter restarted
  m.sample(750, c);
  EXPECT_DOUBLE_EQ(m.rates()[1].rate, 0.0);
  c = {400, 60};
  m.sample(1000, c);
  EXPECT_DOUBLE_EQ(m.rates()[1].rate, 200.0);
  EXPECT_DOUBLE_EQ(m.rates()[0].rate, 400.0);
}

}  // namespace
}  // namespace ringproxy::stats
