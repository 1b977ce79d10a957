// LatencyHistogram: the bucket layout covers every value once with the
// promised resolution; percentiles, Prometheus buckets and merges agree with
// exact figures computed from the raw values.
#include "ringproxy/stats/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace ringproxy::stats {
namespace {

using H = LatencyHistogram;

TEST(LatencyHistogram, BucketsTileTheRangeWithoutGapsOrOverlaps) {
  uint64_t expected_lower = 0;
  for (size_t i = 0; i < H::kBuckets; ++i) {
    uint64_t lower = H::bucket_lower_ns(i);
    uint64_t width = H::bucket_width_ns(i);
    ASSERT_EQ(lower, expected_lower) << "bucket " << i;
    ASSERT_EQ(H::bucket_of_ns(lower), i);
    ASSERT_EQ(H::bucket_of_ns(lower + width - 1), i);
    // Two significant digits: a bucket is never wider than 1/128 of its lower
    // edge, except the one-unit buckets of the linear start.
    if (width > 1024) {
      ASSERT_LE(width * H::kSubCount, lower) << "bucket " << i;
    }
    expected_lower = lower + width;
  }
  EXPECT_EQ(expected_lower, (H::kMaxUnits + 1) << H::kUnitShift);
  EXPECT_EQ(H::kBuckets, 2688u);
}

TEST(LatencyHistogram, ValuesPastTheTopCountInTheLastBucket) {
  EXPECT_EQ(H::bucket_of_units(H::kMaxUnits), H::kBuckets - 1);
  EXPECT_EQ(H::bucket_of_units(H::kMaxUnits + 1), H::kBuckets - 1);
  EXPECT_EQ(H::bucket_of_ns(UINT64_MAX), H::kBuckets - 1);
  H h;
  h.record_ns(UINT64_MAX / 2);
  EXPECT_EQ(h.bucket(H::kBuckets - 1), 1u);
  EXPECT_EQ(h.count(), 1u);
}

TEST(LatencyHistogram, RecordsCountAndSumExactly) {
  H h;
  h.record_ns(0);
  h.record_ns(1023);  // below one unit: bucket 0
  h.record_ns(1500);  // 1 unit
  h.record_us(300);   // 292 units
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.sum_ns(), 0u + 1023 + 1500 + 300000);
  EXPECT_EQ(h.bucket(0), 2u);
  EXPECT_EQ(h.bucket(1), 1u);
  EXPECT_EQ(h.bucket(H::bucket_of_ns(300000)), 1u);
}

TEST(LatencyHistogram, EmptyHistogramAnswersZero) {
  H h;
  EXPECT_EQ(h.percentile_ns(50), 0u);
  EXPECT_EQ(h.percentile_ns(99.9), 0u);
  auto cumulative = h.cumulative_at_bounds();
  for (uint64_t c : cumulative) EXPECT_EQ(c, 0u);
}

// Exact percentile of raw values by the same rank rule (ceil(p% * n)).
uint64_t exact_percentile(std::vector<uint64_t> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

TEST(LatencyHistogram, PercentilesAreTheUpperEdgeOfTheExactValuesBucket) {
  std::mt19937_64 rng(7);
  // Log-normal latencies around 50 µs with a long tail up to seconds.
  std::lognormal_distribution<double> dist(std::log(50000.0), 1.5);
  std::vector<uint64_t> values;
  H h;
  for (int i = 0; i < 200000; ++i) {
    uint64_t ns = static_cast<uint64_t>(dist(rng));
    values.push_back(ns);
    h.record_ns(ns);
  }
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    uint64_t exact = exact_percentile(values, p);
    uint64_t got = h.percentile_ns(p);
    size_t b = H::bucket_of_ns(exact);
    EXPECT_EQ(got, H::bucket_lower_ns(b) + H::bucket_width_ns(b)) << "p" << p;
    EXPECT_GT(got, exact) << "p" << p;
    // One bucket: at most 1/128 of the value, or one 1024-ns unit.
    EXPECT_LE(static_cast<double>(got - exact), std::max(static_cast<double>(exact) / 128, 1024.0))
        << "p" << p;
  }
}

TEST(LatencyHistogram, SeveralPercentilesInAnyOrderMatchSingleQueries) {
  H h;
  for (uint64_t us = 1; us <= 5000; ++us) h.record_us(us);
  const double ps[] = {99.9, 50, 99, 0.5};
  uint64_t out[4];
  h.percentiles_ns(ps, out);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(out[i], h.percentile_ns(ps[i])) << ps[i];
  // The median, 2,500,000 ns, is unit 2441 in [2048, 4096) units, where buckets
  // are 16 units wide: [2432, 2448) units, upper edge 2448 * 1024 ns.
  EXPECT_EQ(h.percentile_ns(50), 2448u * 1024);
}

TEST(LatencyHistogram, PrometheusBoundsArePowersOfTwoOnBucketEdges) {
  ASSERT_EQ(H::kPrometheusBounds, 24u);
  EXPECT_DOUBLE_EQ(H::prometheus_bound_seconds(0), 8.192e-6);
  EXPECT_DOUBLE_EQ(H::prometheus_bound_seconds(H::kPrometheusBounds - 1), 68.719476736);
  for (size_t i = 0; i < H::kPrometheusBounds; ++i) {
    uint64_t ns = uint64_t{1} << (H::kFirstBoundExponent + i + H::kUnitShift);
    EXPECT_EQ(H::bucket_lower_ns(H::bucket_of_ns(ns)), ns) << i;
  }
}

TEST(LatencyHistogram, CumulativeCountsMatchTheRawValues) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> exponent(0, 36);
  std::vector<uint64_t> values;
  H h;
  for (int i = 0; i < 50000; ++i) {
    uint64_t ns = (uint64_t{1} << exponent(rng)) + (rng() & 0xfff);
    values.push_back(ns);
    h.record_ns(ns);
  }
  auto cumulative = h.cumulative_at_bounds();
  for (size_t i = 0; i < H::kPrometheusBounds; ++i) {
    double bound_ns = H::prometheus_bound_seconds(i) * 1e9;
    uint64_t exact =
        static_cast<uint64_t>(std::count_if(values.begin(), values.end(), [&](uint64_t v) {
          return static_cast<double>(v) < bound_ns;
        }));
    EXPECT_EQ(cumulative[i], exact) << "bound " << H::prometheus_bound_seconds(i);
  }
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(3);
  H a, b, all;
  for (int i = 0; i < 10000; ++i) {
    uint64_t ns = rng() % 50'000'000;
    (i % 3 == 0 ? a : b).record_ns(ns);
    all.record_ns(ns);
  }
  H merged = a;
  merged.merge(b);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.sum_ns(), all.sum_ns());
  for (size_t i = 0; i < H::kBuckets; ++i) ASSERT_EQ(merged.bucket(i), all.bucket(i)) << i;
  merged.reset();
  EXPECT_EQ(merged.count(), 0u);
  EXPECT_EQ(merged.sum_ns(), 0u);
}

}  // namespace
}  // namespace ringproxy::stats
