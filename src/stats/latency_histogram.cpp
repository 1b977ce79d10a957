// The latency histogram's off-path work; see latency_histogram.hpp.
#include "ringproxy/stats/latency_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "ringproxy/common/assert.hpp"

namespace ringproxy::stats {

namespace {

// Octave shift of bucket i: buckets [0, 256) have width 1, then each group of
// 128 doubles it.
unsigned shift_of(size_t i) {
  size_t group = i >> LatencyHistogram::kSubBits;
  return group == 0 ? 0 : static_cast<unsigned>(group - 1);
}

// Rank (1-based) of percentile p among `count` values.
uint64_t rank_of(double p, uint64_t count) {
  double r = std::ceil(p / 100.0 * static_cast<double>(count));
  if (!(r >= 1.0)) return 1;  // also catches NaN
  return r >= static_cast<double>(count) ? count : static_cast<uint64_t>(r);
}

}  // namespace

double LatencyHistogram::prometheus_bound_seconds(size_t i) {
  RP_ASSERT(i < kPrometheusBounds);
  return static_cast<double>(uint64_t{1} << (kFirstBoundExponent + i + kUnitShift)) / 1e9;
}

uint64_t LatencyHistogram::bucket_lower_ns(size_t i) {
  RP_ASSERT(i < kBuckets);
  unsigned shift = shift_of(i);
  return static_cast<uint64_t>(i - (size_t{shift} << kSubBits)) << (shift + kUnitShift);
}

uint64_t LatencyHistogram::bucket_width_ns(size_t i) {
  return uint64_t{1} << (shift_of(i) + kUnitShift);
}

uint64_t LatencyHistogram::percentile_ns(double p) const {
  uint64_t out = 0;
  percentiles_ns(std::span<const double>(&p, 1), std::span<uint64_t>(&out, 1));
  return out;
}

uint64_t LatencyHistogram::count() const {
  uint64_t n = 0;
  for (uint64_t b : buckets_) n += b;
  return n;
}

void LatencyHistogram::percentiles_ns(std::span<const double> ps, std::span<uint64_t> out) const {
  RP_ASSERT(out.size() >= ps.size());
  const uint64_t count = this->count();
  if (count == 0) {
    std::fill(out.begin(), out.begin() + static_cast<ptrdiff_t>(ps.size()), 0);
    return;
  }
  // Answer the percentiles in ascending rank order during one walk.
  std::array<size_t, 16> order{};
  RP_ASSERT(ps.size() <= order.size());
  size_t n = std::min(ps.size(), order.size());
  for (size_t k = 0; k < n; ++k) order[k] = k;
  std::sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(n),
            [&](size_t a, size_t b) { return ps[a] < ps[b]; });
  size_t next = 0;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets && next < n; ++i) {
    seen += buckets_[i];
    while (next < n && seen >= rank_of(ps[order[next]], count)) {
      out[order[next]] = bucket_lower_ns(i) + bucket_width_ns(i);
      ++next;
    }
  }
  // Unreachable unless the buckets and the count disagree.
  for (; next < n; ++next)
    out[order[next]] = bucket_lower_ns(kBuckets - 1) + bucket_width_ns(kBuckets - 1);
}

std::array<uint64_t, LatencyHistogram::kPrometheusBounds> LatencyHistogram::cumulative_at_bounds()
    const {
  std::array<uint64_t, kPrometheusBounds> out{};
  uint64_t seen = 0;
  size_t i = 0;
  for (size_t b = 0; b < kPrometheusBounds; ++b) {
    size_t end = bucket_of_units(uint64_t{1} << (kFirstBoundExponent + b));
    for (; i < end; ++i) seen += buckets_[i];
    out[b] = seen;
  }
  return out;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  sum_ns_ += other.sum_ns_;
}

}  // namespace ringproxy::stats
