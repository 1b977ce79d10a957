// The octave histogram's off-path work; see octave_histogram.hpp.
#include "ringproxy/stats/octave_histogram.hpp"

#include <cmath>

namespace ringproxy::stats {

uint64_t OctaveHistogram::count() const {
  uint64_t n = 0;
  for (uint64_t b : buckets_) n += b;
  return n;
}

uint64_t OctaveHistogram::percentile_ns(double p) const {
  const uint64_t n = count();
  if (n == 0) return 0;
  double r = std::ceil(p / 100.0 * static_cast<double>(n));
  const uint64_t rank = !(r >= 1.0)                   ? 1
                        : r >= static_cast<double>(n) ? n
                                                      : static_cast<uint64_t>(r);
  uint64_t seen = 0;
  for (size_t k = 0; k < kBuckets; ++k) {
    seen += buckets_[k];
    if (seen >= rank) return upper_ns(k);
  }
  return upper_ns(kBuckets - 1);
}

std::array<uint64_t, LatencyHistogram::kPrometheusBounds> OctaveHistogram::cumulative_at_bounds()
    const {
  // Bound b is 2^(kFirstBoundExponent + b) units: the values below it are
  // those of buckets 0 .. kFirstBoundExponent + b - 1.
  std::array<uint64_t, LatencyHistogram::kPrometheusBounds> out{};
  uint64_t seen = 0;
  size_t k = 0;
  for (size_t b = 0; b < out.size(); ++b) {
    for (; k < LatencyHistogram::kFirstBoundExponent + b; ++k) seen += buckets_[k];
    out[b] = seen;
  }
  return out;
}

void OctaveHistogram::merge(const OctaveHistogram& other) {
  for (size_t k = 0; k < kBuckets; ++k) buckets_[k] += other.buckets_[k];
  sum_ns_ += other.sum_ns_;
}

}  // namespace ringproxy::stats
