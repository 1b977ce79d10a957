// Per-command figures; see command_stats.hpp.
#include "ringproxy/stats/command_stats.hpp"

namespace ringproxy::stats {

CommandStatsTable::CommandStatsTable(std::vector<std::string> names)
    : names_(std::move(names)), entries_(names_.size()) {}

void CommandStatsTable::for_each_used(
    const std::function<void(uint32_t, const CommandStats&)>& fn) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i]) fn(static_cast<uint32_t>(i), *entries_[i]);
  }
}

void CommandStatsTable::merge(const CommandStatsTable& other) {
  RP_ASSERT(other.names_ == names_);
  for (size_t i = 0; i < other.entries_.size() && i < entries_.size(); ++i) {
    const CommandStats* theirs = other.entries_[i].get();
    if (theirs == nullptr) continue;
    CommandStats& mine = at(static_cast<uint32_t>(i));
    mine.latency.merge(theirs->latency);
    mine.failed_calls += theirs->failed_calls;
    mine.rejected_calls += theirs->rejected_calls;
  }
}

}  // namespace ringproxy::stats
