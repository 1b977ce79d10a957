// Per-command figures; see command_stats.hpp.
#include "ringproxy/stats/command_stats.hpp"

namespace ringproxy::stats {

CommandStatsTable::CommandStatsTable(std::vector<std::string> names)
    : names_(std::move(names)), counters_(names_.size()), latency_(names_.size()) {}

void CommandStatsTable::for_each_used(
    const std::function<void(uint32_t, const CommandCounters&, const LatencyHistogram*)>& fn)
    const {
  for (size_t i = 0; i < counters_.size(); ++i) {
    const CommandCounters& c = counters_[i];
    if (c.calls == 0 && c.rejected_calls == 0 && !latency_[i]) continue;
    if (names_[i].empty()) continue;  // counted, not shown
    fn(static_cast<uint32_t>(i), c, latency_[i].get());
  }
}

void CommandStatsTable::merge(const CommandStatsTable& other) {
  RP_ASSERT(other.names_ == names_);
  for (size_t i = 0; i < other.counters_.size() && i < counters_.size(); ++i) {
    counters_[i] += other.counters_[i];
    const LatencyHistogram* theirs = other.latency_[i].get();
    if (theirs == nullptr) continue;
    if (!latency_[i]) latency_[i] = std::make_unique<LatencyHistogram>();
    latency_[i]->merge(*theirs);
  }
}

}  // namespace ringproxy::stats
