// A latency histogram cheap enough for every request: fixed log-linear
// buckets in the manner of HdrHistogram, one per loop, summed on demand.
//
// Values are recorded in nanoseconds and bucketed in units of 1024 ns (about
// a microsecond; Redis's latency tracking also resolves 1024 ns): below 256
// units every unit has its bucket; above, each power of two is split into 128
// equal buckets, so a bucket is never wider than 1/128 of its lower edge (two
// significant digits, like Redis's). The top bucket ends at 2^27 units
// (137 s); longer values count there. That is 2,688 buckets of 8 bytes
// (21 KiB) per histogram, kept inline: allocate histograms only for what is
// actually used (CommandStatsTable does it lazily).
//
// Threading: a histogram belongs to one thread (its loop). record_ns() is not
// atomic and must only be called by that thread; readers on other threads get
// a copy or a summary (stats_snapshot.hpp) built on the owning thread.
//
// Costs (bench/README.md has the measured figures): record_ns() is a shift, a
// compare, a bit scan, two shifts and two memory updates, with no branch:
// no division (hence 1024-ns units), no maximum and no count kept (the count
// is the buckets' sum), so that it stays a small part of a request's
// instructions.
// Everything else walks the 2,688 buckets and belongs off the per-request
// path (a timer, an INFO or a scrape).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ringproxy::stats {

class LatencyHistogram {
 public:
  static constexpr unsigned kUnitShift = 10;  // one unit is 1024 ns
  static constexpr unsigned kSubBits = 7;     // 128 buckets per power of two
  static constexpr uint64_t kSubCount = uint64_t{1} << kSubBits;
  static constexpr unsigned kTopExponent = 26;  // the last octave is [2^26, 2^27) units
  static constexpr uint64_t kMaxUnits = (uint64_t{1} << (kTopExponent + 1)) - 1;
  static constexpr size_t kBuckets = (kTopExponent - kSubBits + 2) * kSubCount;

  // The Prometheus `le` bounds: powers of two from 2^3 units (8,192 ns) to
  // 2^26 units (68.7 s), each the lower edge of a bucket, so the cumulative
  // counts are exact: the count at bound B is the observations below B.
  static constexpr unsigned kFirstBoundExponent = 3;
  static constexpr size_t kPrometheusBounds = kTopExponent - kFirstBoundExponent + 1;
  // Bound i in seconds.
  static double prometheus_bound_seconds(size_t i);

  // Data path: one request took `ns` nanoseconds.
  void record_ns(uint64_t ns) {
    ++buckets_[bucket_of_units(ns >> kUnitShift)];
    sum_ns_ += ns;
  }
  // A sampled value standing for `weight` values (the count and the sum grow
  // by `weight`).
  void record_ns(uint64_t ns, uint64_t weight) {
    buckets_[bucket_of_units(ns >> kUnitShift)] += weight;
    sum_ns_ += ns * weight;
  }
  void record_us(uint64_t us) { record_ns(us * 1000); }

  // The bucket of a value in units (values past kMaxUnits go to the last).
  static size_t bucket_of_units(uint64_t units) {
    units = units < kMaxUnits ? units : kMaxUnits;
    // `| kSubCount` puts every value below 256 units in the linear first
    // octaves (shift 0) and keeps the bit scan defined for 0; `63 ^ clz` is
    // the index of the top bit, one instruction on x86.
    unsigned top = 63 ^ static_cast<unsigned>(std::countl_zero(units | kSubCount));
    unsigned shift = top - kSubBits;
    return (size_t{shift} << kSubBits) + static_cast<size_t>(units >> shift);
  }
  static size_t bucket_of_ns(uint64_t ns) { return bucket_of_units(ns >> kUnitShift); }
  // Bucket i holds the values [lower, lower + width) in nanoseconds.
  static uint64_t bucket_lower_ns(size_t i);
  static uint64_t bucket_width_ns(size_t i);

  // The buckets' sum (walks them: off the data path).
  uint64_t count() const;
  uint64_t sum_ns() const { return sum_ns_; }
  uint64_t bucket(size_t i) const { return buckets_[i]; }

  // The value at percentile `p` (0 < p <= 100) in nanoseconds: the upper edge
  // of the bucket holding the ceil(p% * count)-th smallest value (as
  // HdrHistogram and Redis report it); 0 for an empty histogram.
  uint64_t percentile_ns(double p) const;
  // Several percentiles (at most 16, in any order) in one pass over the buckets.
  void percentiles_ns(std::span<const double> ps, std::span<uint64_t> out) const;
  // Cumulative counts at the Prometheus bounds (observations below each).
  std::array<uint64_t, kPrometheusBounds> cumulative_at_bounds() const;

  // Adds another histogram's values (summing the loops' histograms).
  void merge(const LatencyHistogram& other);
  void reset() { *this = LatencyHistogram(); }

 private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t sum_ns_ = 0;
};

}  // namespace ringproxy::stats
