// Snapshots and their hand-over; see stats_snapshot.hpp.
#include "ringproxy/stats/stats_snapshot.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace ringproxy::stats {

LatencySummary LatencySummary::of(const LatencyHistogram& h) {
  LatencySummary s;
  s.count = h.count();
  s.sum_ns = h.sum_ns();
  if (s.count == 0) return s;
  const std::array<double, 3> ps = {50.0, 99.0, 99.9};
  std::array<uint64_t, 3> out{};
  h.percentiles_ns(ps, out);
  s.p50_ns = out[0];
  s.p99_ns = out[1];
  s.p999_ns = out[2];
  s.cumulative = h.cumulative_at_bounds();
  return s;
}

LatencySummary LatencySummary::of(const OctaveHistogram& h) {
  LatencySummary s;
  s.count = h.count();
  s.sum_ns = h.sum_ns();
  if (s.count == 0) return s;
  s.p50_ns = h.percentile_ns(50.0);
  s.p99_ns = h.percentile_ns(99.0);
  s.p999_ns = h.percentile_ns(99.9);
  s.cumulative = h.cumulative_at_bounds();
  return s;
}

LatencySummary& LatencySummary::rescale(uint64_t exact_count) {
  const double f = count == 0 ? 0.0 : static_cast<double>(exact_count) / static_cast<double>(count);
  return rescale(exact_count, static_cast<uint64_t>(std::llround(static_cast<double>(sum_ns) * f)));
}

LatencySummary& LatencySummary::rescale(uint64_t exact_count, uint64_t exact_sum_ns) {
  const double f = count == 0 ? 0.0 : static_cast<double>(exact_count) / static_cast<double>(count);
  for (uint64_t& c : cumulative) {
    c = std::min(exact_count, static_cast<uint64_t>(std::llround(static_cast<double>(c) * f)));
  }
  count = exact_count;
  sum_ns = exact_sum_ns;
  return *this;
}

void SnapshotSlot::publish(std::shared_ptr<const StatsSnapshot> snapshot) {
  std::shared_ptr<const StatsSnapshot> old;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    old = std::exchange(latest_, std::move(snapshot));
  }
  // `old` is released here, outside the lock: freeing a big snapshot never
  // delays a reader.
}

std::shared_ptr<const StatsSnapshot> SnapshotSlot::latest() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return latest_;
}

}  // namespace ringproxy::stats
