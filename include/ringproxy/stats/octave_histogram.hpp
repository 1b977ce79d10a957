// A latency histogram with one bucket per power of two: the cheapest one that
// still answers Prometheus's buckets exactly, for figures recorded on every
// backend reply.
//
// Values are in nanoseconds, bucketed in units of 1024 ns like
// LatencyHistogram: bucket k >= 1 holds the units [2^k, 2^(k+1)), bucket 0
// the units 0 and 1 (under 2048 ns). The bucket is the top bit of
// `units | 1`, so record_ns() is a shift, an or, a bit scan, an increment and
// an add, with no branch and no clamp (every 64-bit value has a bucket). The
// count is the buckets' sum, computed when read. LatencyHistogram's
// Prometheus bounds (powers of two from 2^3 units) are bucket edges here too,
// so the cumulative counts are exact; percentiles are only as fine as an
// octave (the upper edge of the bucket holding them).
//
// Threading: one writer, its loop; readers use a snapshot (stats_snapshot.hpp).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "ringproxy/stats/latency_histogram.hpp"

namespace ringproxy::stats {

class OctaveHistogram {
 public:
  static constexpr unsigned kUnitShift = LatencyHistogram::kUnitShift;
  // Top bits of `units | 1` go up to 63 - kUnitShift; one more bucket makes
  // the histogram 512 bytes, so that an array of them is indexed by a shift.
  static constexpr size_t kBuckets = 64 - kUnitShift + 9;

  // Data path: one event took `ns` nanoseconds.
  void record_ns(uint64_t ns) {
    ++buckets_[bucket_of_ns(ns)];
    sum_ns_ += ns;
  }
  // A sampled value standing for `weight` values.
  void record_ns(uint64_t ns, uint64_t weight) {
    buckets_[bucket_of_ns(ns)] += weight;
    sum_ns_ += ns * weight;
  }
  static size_t bucket_of_ns(uint64_t ns) {
    return static_cast<size_t>(63 ^ std::countl_zero((ns >> kUnitShift) | 1));
  }

  // Bucket k holds [lower_ns(k), upper_ns(k)).
  static uint64_t lower_ns(size_t k) { return k == 0 ? 0 : uint64_t{1} << (k + kUnitShift); }
  static uint64_t upper_ns(size_t k) {
    return k + kUnitShift + 1 >= 64 ? UINT64_MAX : uint64_t{1} << (k + kUnitShift + 1);
  }

  uint64_t bucket(size_t k) const { return buckets_[k]; }
  uint64_t count() const;
  uint64_t sum_ns() const { return sum_ns_; }
  // The upper edge of the bucket holding the ceil(p% * count)-th smallest
  // value; 0 for an empty histogram.
  uint64_t percentile_ns(double p) const;
  // Cumulative counts at LatencyHistogram's Prometheus bounds.
  std::array<uint64_t, LatencyHistogram::kPrometheusBounds> cumulative_at_bounds() const;

  void merge(const OctaveHistogram& other);

 private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t sum_ns_ = 0;
};

}  // namespace ringproxy::stats
