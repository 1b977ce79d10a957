// Per-command counters and latency, one table per loop, like Redis's INFO
// commandstats and latencystats.
//
// Commands are identified by a dense id the caller chooses (the proxy uses the
// command's position in its command table), so the data path indexes an array
// instead of hashing a name. Every command's counters (calls, total duration,
// failed and rejected calls: 32 bytes) are in one flat array, so counting a
// call is an index and two adds. The latency histograms (21 KiB each) are
// allocated on a command's first sampled call and fed a sample of its calls:
// the caller records one call in N with weight N (and the calls it wants
// exact, such as a command's first ones, with weight 1), so each histogram
// estimates the distribution of all the calls while its counters stay exact.
//
// Threading: one table per loop; record() and the rest only from that loop's
// thread. Readers on other threads use a snapshot (stats_snapshot.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ringproxy/common/assert.hpp"
#include "ringproxy/stats/counters.hpp"
#include "ringproxy/stats/latency_histogram.hpp"

namespace ringproxy::stats {

class CommandStatsTable {
 public:
  // Ids are 0 .. names.size() - 1; names[id] is what INFO and /metrics show
  // (Redis's lower-case command name).
  explicit CommandStatsTable(std::vector<std::string> names);

  size_t size() const { return names_.size(); }
  const std::string& name(uint32_t id) const { return names_[id]; }

  // Data path: command `id` was executed and answered after `ns`
  // nanoseconds. Returns its calls so far, this one included.
  uint64_t record(uint32_t id, uint64_t ns) {
    RP_ASSERT(id < counters_.size());
    CommandCounters& c = counters_[id];
    c.duration_ns += ns;
    return ++c.calls;
  }
  // Its answer was an error (after record()).
  void fail(uint32_t id) { ++at(id).failed_calls; }
  // Data path: command `id` was refused before execution (wrong arity, not
  // supported through the proxy, keys on several backends, ...).
  void reject(uint32_t id) { ++at(id).rejected_calls; }
  // A sampled call of `id` that took `ns`, standing for `weight` calls.
  void record_latency(uint32_t id, uint64_t ns, uint64_t weight) {
    RP_ASSERT(id < latency_.size());
    std::unique_ptr<LatencyHistogram>& h = latency_[id];
    if (!h) [[unlikely]]
      h = std::make_unique<LatencyHistogram>();
    h->record_ns(ns, weight);
  }
  // The same for a call counted exactly (record() and record_latency()).
  void record(uint32_t id, uint64_t ns, bool failed) {
    record(id, ns);
    record_latency(id, ns, 1);
    if (failed) fail(id);
  }

  const CommandCounters& counters(uint32_t id) const {
    RP_ASSERT(id < counters_.size());
    return counters_[id];
  }
  // nullptr until a call of `id` was sampled.
  const LatencyHistogram* latency(uint32_t id) const {
    RP_ASSERT(id < latency_.size());
    return latency_[id].get();
  }
  // Calls `fn(id, counters, latency)` for every command called or rejected,
  // in id order; `latency` is nullptr when none of its calls was sampled.
  void for_each_used(const std::function<void(uint32_t, const CommandCounters&,
                                              const LatencyHistogram*)>& fn) const;
  // Adds another loop's table (same names) into this one.
  void merge(const CommandStatsTable& other);

 private:
  CommandCounters& at(uint32_t id) {
    RP_ASSERT(id < counters_.size());
    return counters_[id];
  }

  std::vector<std::string> names_;
  std::vector<CommandCounters> counters_;
  std::vector<std::unique_ptr<LatencyHistogram>> latency_;
};

}  // namespace ringproxy::stats
