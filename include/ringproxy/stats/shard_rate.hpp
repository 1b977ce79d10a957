// Per-backend request rate over a sliding window, and the hot-shard flag.
//
// Costs nothing on the data path: it reads the backends' cumulative request
// counters (BackendCounters::requests, summed over the loops) from a timer
// every window_ms / steps milliseconds and keeps the readings of the last
// window (and the one just before it), so the rate is the requests between
// the oldest kept reading and the newest over the time between them: the
// window once it has filled, or the time since the first reading.
//
// A backend is hot when its rate is at least `min_rate` and more than
// `hot_multiple` times its share of the total rate: the mean rate of the
// backends with a positive weight, or with weights, total * weight / sum of
// weights (a weight-2 backend is expected to take twice the mean). Weight 0
// (say, a backend that is down) takes it out of the mean. With N equal
// backends a multiple of N or more can never be exceeded (one backend taking
// everything is N times the mean).
//
// Backends are identified by their index in the counters given (the proxy's
// stable backend slot id). A slot that appears later is measured from the
// first reading that has it; a counter that goes down (a slot given to a new
// backend) restarts that slot's window.
//
// Threading: one owner thread (the loop that sums the counters).
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

namespace ringproxy::stats {

struct ShardRateOptions {
  uint64_t window_ms = 10000;  // rate measured over this
  uint32_t steps = 10;         // readings per window: the window slides by window_ms / steps
  double hot_multiple = 2.0;   // hot when rate > hot_multiple * expected share
  double min_rate = 100.0;     // requests per second below which no backend is hot
};

struct ShardRate {
  double rate = 0.0;      // requests per second over the window
  double expected = 0.0;  // its share of the total rate (weighted mean)
  bool hot = false;
};

class ShardRateMeter {
 public:
  explicit ShardRateMeter(const ShardRateOptions& options);

  // How often sample() should run (window_ms / steps, at least 1 ms).
  uint64_t interval_ms() const;

  // Timer: the backends' cumulative request counts now; `weights` is empty
  // (every backend weighs 1) or one per backend.
  void sample(uint64_t now_ms, std::span<const uint64_t> cumulative_requests,
              std::span<const double> weights = {});

  // One entry per backend of the last sample(); rates are 0 until two readings.
  const std::vector<ShardRate>& rates() const { return rates_; }
  // Whether any backend is hot now.
  bool any_hot() const;

  const ShardRateOptions& options() const { return options_; }

 private:
  struct Reading {
    uint64_t at_ms;
    std::vector<uint64_t> counts;
  };
  void recompute(std::span<const double> weights);

  ShardRateOptions options_;
  std::deque<Reading> readings_;    // oldest first: the last window and one before it
  std::vector<uint64_t> since_ms_;  // per backend: first reading that counts for it
  std::vector<ShardRate> rates_;
};

}  // namespace ringproxy::stats
