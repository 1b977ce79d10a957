// OctaveHistogram: every value lands in its power-of-two bucket (no clamp
// needed up to UINT64_MAX), and the Prometheus buckets, the count and the
// percentiles agree with figures computed from the raw values.
#include "ringproxy/stats/octave_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "ringproxy/stats/stats_snapshot.hpp"

namespace ringproxy::stats {
namespace {

using H = OctaveHistogram;

TEST(OctaveHistogram, BucketsArePowersOfTwoOfMicrosecondUnits) {
  for (size_t k = 0; k < 64 - H::kUnitShift; ++k) {
    H h;
    h.record_ns(H::lower_ns(k));
    if (H::upper_ns(k) != UINT64_MAX) h.record_ns(H::upper_ns(k) - 1);
    EXPECT_EQ(h.bucket(k), h.count()) << "bucket " << k;
    if (k > 0) {
      EXPECT_EQ(H::lower_ns(k), H::upper_ns(k - 1)) << "bucket " << k;
    }
  }
  H top;
  top.record_ns(UINT64_MAX);
  EXPECT_EQ(top.bucket(63 - H::kUnitShift), 1u);
  EXPECT_EQ(H::upper_ns(0), 2048u);
}

TEST(OctaveHistogram, PrometheusBucketsAndCountAreExact) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> values;
  H h;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t ns = rng() >> (rng() % 64);
    values.push_back(ns);
    h.record_ns(ns);
  }
  EXPECT_EQ(h.count(), values.size());
  const auto cumulative = h.cumulative_at_bounds();
  for (size_t b = 0; b < cumulative.size(); ++b) {
    const uint64_t bound = uint64_t{1}
                           << (LatencyHistogram::kFirstBoundExponent + b + H::kUnitShift);
    const auto below = static_cast<uint64_t>(
        std::count_if(values.begin(), values.end(), [&](uint64_t v) { return v < bound; }));
    EXPECT_EQ(cumulative[b], below) << "bound " << b;
  }
  // The same bounds as LatencyHistogram's, value for value.
  LatencyHistogram fine;
  for (uint64_t v : values) fine.record_ns(v);
  EXPECT_EQ(cumulative, fine.cumulative_at_bounds());
}

TEST(OctaveHistogram, PercentilesAreTheUpperEdgeOfTheirOctave) {
  H h;
  EXPECT_EQ(h.percentile_ns(50), 0u);
  for (int i = 0; i < 99; ++i) h.record_ns(3'000);  // bucket [2048, 4096)
  h.record_ns(1'000'000);                           // bucket [2^19, 2^20)
  EXPECT_EQ(h.percentile_ns(50), 4096u);
  EXPECT_EQ(h.percentile_ns(99), 4096u);
  EXPECT_EQ(h.percentile_ns(99.9), uint64_t{1} << 20);
  const LatencySummary s = LatencySummary::of(h);
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.sum_ns, 99u * 3'000 + 1'000'000);
  EXPECT_EQ(s.p999_ns, uint64_t{1} << 20);
}

TEST(OctaveHistogram, MergeAddsBucketsAndSums) {
  H a, b;
  a.record_ns(10);
  b.record_ns(10);
  b.record_ns(5'000'000);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.sum_ns(), 5'000'020u);
  EXPECT_EQ(a.bucket(0), 2u);
}

}  // namespace
}  // namespace ringproxy::stats
