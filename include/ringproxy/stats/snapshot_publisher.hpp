// Builds and publishes a StatsSnapshot on the loop every interval, like
// nutcracker's aggregation every -i ms (--stats-interval).
//
// The build function runs on the loop's thread, so it may read every live
// structure of the loop (counters, histograms, connections); what it returns
// is published into the SnapshotSlot for the exporters. The cost of a build is
// that of the summaries (LatencySummary::of walks each used histogram), paid
// once per interval, not per request.
//
// The timer does not keep the loop alive (uv_unref). Construct and destroy on
// the loop's thread.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "ringproxy/stats/stats_snapshot.hpp"

namespace ringproxy::stats {

class SnapshotPublisher {
 public:
  using BuildFn = std::function<StatsSnapshot()>;

  // Publishes a first snapshot at once, then one every `interval_ms` (>= 1).
  SnapshotPublisher(uv_loop_t* loop, uint64_t interval_ms, BuildFn build,
                    std::shared_ptr<SnapshotSlot> slot);
  ~SnapshotPublisher();
  SnapshotPublisher(const SnapshotPublisher&) = delete;
  SnapshotPublisher& operator=(const SnapshotPublisher&) = delete;

  // Builds and publishes now (e.g. right before a shutdown, or for a test).
  void publish_now();
  uint64_t interval_ms() const { return interval_ms_; }
  const std::shared_ptr<SnapshotSlot>& slot() const { return slot_; }
  uint64_t publications() const { return publications_; }

 private:
  uint64_t interval_ms_;
  BuildFn build_;
  std::shared_ptr<SnapshotSlot> slot_;
  std::unique_ptr<uv_timer_t> timer_;
  uint64_t publications_ = 0;
};

}  // namespace ringproxy::stats
