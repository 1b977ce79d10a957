// Per-backend rates and the hot-shard flag; see shard_rate.hpp.
#include "ringproxy/stats/shard_rate.hpp"

#include <algorithm>

namespace ringproxy::stats {

ShardRateMeter::ShardRateMeter(const ShardRateOptions& options) : options_(options) {
  options_.steps = std::max<uint32_t>(options_.steps, 1);
  options_.window_ms = std::max<uint64_t>(options_.window_ms, 1);
}

uint64_t ShardRateMeter::interval_ms() const {
  return std::max<uint64_t>(options_.window_ms / options_.steps, 1);
}

void ShardRateMeter::sample(uint64_t now_ms, std::span<const uint64_t> cumulative_requests,
                            std::span<const double> weights) {
  size_t n = cumulative_requests.size();
  if (since_ms_.size() < n) since_ms_.resize(n, now_ms);
  if (!readings_.empty()) {
    const Reading& last = readings_.back();
    for (size_t i = 0; i < n && i < last.counts.size(); ++i) {
      if (cumulative_requests[i] < last.counts[i]) since_ms_[i] = now_ms;  // slot reused
    }
  }
  // Keep one reading at or before the window's start and all after it, and
  // never more than a few windows' worth if sample() runs more often.
  uint64_t from = now_ms >= options_.window_ms ? now_ms - options_.window_ms : 0;
  Reading reading;
  while (!readings_.empty() && ((readings_.size() >= 2 && readings_[1].at_ms <= from) ||
                                readings_.size() > 4 * size_t{options_.steps})) {
    reading = std::move(readings_.front());  // reuse its storage
    readings_.pop_front();
  }
  reading.at_ms = now_ms;
  reading.counts.assign(cumulative_requests.begin(), cumulative_requests.end());
  readings_.push_back(std::move(reading));
  recompute(weights);
}

void ShardRateMeter::recompute(std::span<const double> weights) {
  const Reading& latest = readings_.back();
  size_t n = latest.counts.size();
  rates_.assign(n, ShardRate{});
  for (size_t i = 0; i < n; ++i) {
    for (const Reading& r : readings_) {
      if (r.at_ms < since_ms_[i] || r.counts.size() <= i) continue;
      if (latest.at_ms > r.at_ms) {
        double seconds = static_cast<double>(latest.at_ms - r.at_ms) / 1000.0;
        rates_[i].rate = static_cast<double>(latest.counts[i] - r.counts[i]) / seconds;
      }
      break;  // the oldest reading that counts for this backend
    }
  }
  double total = 0.0;
  double weight_sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double w = i < weights.size() ? weights[i] : 1.0;
    if (w <= 0.0) continue;
    total += rates_[i].rate;
    weight_sum += w;
  }
  for (size_t i = 0; i < n; ++i) {
    double w = i < weights.size() ? weights[i] : 1.0;
    if (w <= 0.0 || weight_sum <= 0.0) continue;
    ShardRate& s = rates_[i];
    s.expected = total * w / weight_sum;
    s.hot = s.rate >= options_.min_rate && s.rate > options_.hot_multiple * s.expected;
  }
}

bool ShardRateMeter::any_hot() const {
  return std::any_of(rates_.begin(), rates_.end(), [](const ShardRate& s) { return s.hot; });
}

}  // namespace ringproxy::stats
