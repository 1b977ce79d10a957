// What the exporters see: an immutable copy of the proxy's figures, built on
// the loop and handed to other threads by pointer.
//
// The loop that owns the live counters builds a StatsSnapshot (summing its
// workers' figures, reading gauges from live connections) from a timer every
// --stats-interval ms and publishes it into a SnapshotSlot. The twemproxy
// stats listener and the Prometheus exposer's threads only ever read the
// latest published snapshot, never loop-owned memory, so the data path needs
// no synchronization at all. A snapshot is shared (shared_ptr<const>) and
// never modified once published.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ringproxy/stats/counters.hpp"
#include "ringproxy/stats/hot_keys.hpp"
#include "ringproxy/stats/latency_histogram.hpp"
#include "ringproxy/stats/octave_histogram.hpp"

namespace ringproxy::stats {

// A histogram reduced to what the exporters print: Redis's three percentiles
// and the Prometheus buckets (LatencyHistogram::prometheus_bound_seconds).
struct LatencySummary {
  uint64_t count = 0;
  uint64_t sum_ns = 0;
  uint64_t p50_ns = 0;
  uint64_t p99_ns = 0;
  uint64_t p999_ns = 0;
  std::array<uint64_t, LatencyHistogram::kPrometheusBounds> cumulative{};

  // Walks the histogram twice (percentiles, buckets): off the data path.
  static LatencySummary of(const LatencyHistogram& h);
  // The same from an octave histogram: exact buckets, percentiles to an octave.
  static LatencySummary of(const OctaveHistogram& h);
  // For a histogram fed a weighted sample (CommandStatsTable, BackendMetrics):
  // the exact count replaces the estimated one and the cumulative counts are
  // scaled to it, so that the last bucket (Prometheus's +Inf) equals it; the
  // sum is `sum_ns` if known exactly, else scaled likewise.
  LatencySummary& rescale(uint64_t exact_count);
  LatencySummary& rescale(uint64_t exact_count, uint64_t exact_sum_ns);
};

struct BackendSnapshot {
  std::string name;     // the ring name (its name, else host:port): twemproxy's server key
  std::string address;  // host:port
  bool up = true;
  uint64_t ejections = 0;
  uint64_t restarts = 0;  // restarts seen (a new run_id)
  // What it last said of itself (INFO memory and keyspace), when it did.
  bool figures_known = false;
  uint64_t keys = 0;
  uint64_t expires = 0;
  uint64_t used_memory = 0;
  BackendCounters counters;
  BackendGauges gauges;
  LatencySummary latency;     // request parsed to reply read (octaves: BackendMetrics)
  double request_rate = 0.0;  // requests per second over the rate window (ShardRateMeter)
  bool hot = false;           // the hot-shard flag
};

struct PoolSnapshot {
  std::string name;
  PoolCounters counters;
  uint64_t client_connections = 0;
  uint64_t ring_version = 0;  // changes whenever the ring is rebuilt
  std::vector<BackendSnapshot> backends;
  // The last complete window (or the current one before the first rotation);
  // HotKey::backend indexes `backends`.
  HotKeyWindow hot_keys;
};

struct CommandSnapshot {
  std::string name;  // lower case, as Redis's commandstats
  CommandCounters counters;
  LatencySummary latency;
  // The pool whose clients sent it, in a process of several pools (each
  // counts its own commands); "" in a process of one.
  std::string pool{};
};

struct StatsSnapshot {
  std::string service = "ringproxy";
  std::string source;          // host name
  std::string version;         // ringproxy's version
  uint64_t start_time_ms = 0;  // process start, ms since the epoch
  uint64_t taken_at_ms = 0;    // when this snapshot was built, ms since the epoch
  ProxyCounters proxy;
  uint64_t curr_connections = 0;
  std::vector<PoolSnapshot> pools;
  std::vector<CommandSnapshot> commands;  // the commands used so far, by name
};

// The latest published snapshot, handed from the loop to any thread. publish()
// and latest() take a mutex only to copy a pointer: the loop holds it once per
// publication, a reader once per read; neither ever waits on the other's work.
class SnapshotSlot {
 public:
  void publish(std::shared_ptr<const StatsSnapshot> snapshot);
  // nullptr before the first publication.
  std::shared_ptr<const StatsSnapshot> latest() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const StatsSnapshot> latest_;
};

}  // namespace ringproxy::stats
