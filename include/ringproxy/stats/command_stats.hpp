// Per-command counters and latency, one table per loop, like Redis's INFO
// commandstats and latencystats.
//
// Commands are identified by a dense id the caller chooses (the proxy uses the
// command's position in its command table), so the data path indexes an array
// instead of hashing a name. A command's histogram (21 KiB) is allocated on its
// first use, so a loop pays only for the commands it serves; the first call of
// each command allocates once, later calls never do (reserve() allocates ahead).
//
// Threading: one table per loop; record() and reject() only from that loop's
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

// One command's figures in one loop. calls and their total duration are the
// histogram's count and sum (Redis's calls and usec).
struct CommandStats {
  LatencyHistogram latency;  // request parsed to reply queued, per executed call
  uint64_t failed_calls = 0;
  uint64_t rejected_calls = 0;

  CommandCounters counters() const {
    return {latency.count(), latency.sum_ns(), failed_calls, rejected_calls};
  }
};

class CommandStatsTable {
 public:
  // Ids are 0 .. names.size() - 1; names[id] is what INFO and /metrics show
  // (Redis's lower-case command name).
  explicit CommandStatsTable(std::vector<std::string> names);

  size_t size() const { return names_.size(); }
  const std::string& name(uint32_t id) const { return names_[id]; }

  // Data path: command `id` was executed and answered after `ns` nanoseconds;
  // `failed`: the answer was an error. A histogram update and one add.
  void record(uint32_t id, uint64_t ns, bool failed) {
    CommandStats& s = at(id);
    s.latency.record_ns(ns);
    s.failed_calls += failed ? 1 : 0;
  }
  // Data path: command `id` was refused before execution (wrong arity, not
  // supported through the proxy, keys on several backends, ...).
  void reject(uint32_t id) { ++at(id).rejected_calls; }
  // Allocates the figures of `id` now instead of at its first use.
  void reserve(uint32_t id) { at(id); }

  // nullptr for a command not used yet in this loop.
  const CommandStats* find(uint32_t id) const {
    RP_ASSERT(id < entries_.size());
    return entries_[id].get();
  }
  // Calls `fn(id, stats)` for every command used, in id order.
  void for_each_used(const std::function<void(uint32_t, const CommandStats&)>& fn) const;
  // Adds another loop's table (same names) into this one.
  void merge(const CommandStatsTable& other);

 private:
  CommandStats& at(uint32_t id) {
    RP_ASSERT(id < entries_.size());
    std::unique_ptr<CommandStats>& p = entries_[id];
    if (!p) [[unlikely]]
      p = std::make_unique<CommandStats>();
    return *p;
  }

  std::vector<std::string> names_;
  std::vector<std::unique_ptr<CommandStats>> entries_;
};

}  // namespace ringproxy::stats
