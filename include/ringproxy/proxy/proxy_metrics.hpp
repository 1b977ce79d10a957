// The loop's metrics: per-command and per-backend counters and latency
// histograms, error counts, the slow log, hot keys and per-backend rates, and
// the exporters that publish them (twemproxy's stats port, Prometheus).
//
// The data path calls the inline recorders below; they are plain adds on
// loop-owned memory (no locks, no atomics; a worker loop will own one each,
// summed when a snapshot is built). Latencies use the loop's clock
// (CommandContext::now_ns), read once per read event, never per request:
//   - a command: from the read that parsed it to the read (or timer) that
//     produced its reply (Redis's commandstats duration, measured through the
//     proxy);
//   - a backend: from the read that parsed the request to the read of the
//     backend's reply (so it includes the wait for the loop's flush pass).
// Everything else (snapshots, INFO, exporters) runs off the per-request path.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/request.hpp"
#include "ringproxy/common/assert.hpp"
#include "ringproxy/options/config.hpp"
#include "ringproxy/stats/command_stats.hpp"
#include "ringproxy/stats/counters.hpp"
#include "ringproxy/stats/hot_keys.hpp"
#include "ringproxy/stats/shard_rate.hpp"
#include "ringproxy/stats/stats_snapshot.hpp"

namespace ringproxy {

namespace stats {
class SnapshotPublisher;
class StatsServer;
class MetricsExposer;
class TwemproxyDocument;
}  // namespace stats

class Proxy;

class ProxyMetrics final : public KeySampler {
 public:
  ProxyMetrics(const Config& config, size_t backends, uint64_t now_ms);
  ~ProxyMetrics() override;
  ProxyMetrics(const ProxyMetrics&) = delete;
  ProxyMetrics& operator=(const ProxyMetrics&) = delete;

  // --- Data path.
  // `req` was answered (its reply reached its client's queue) at `now_ns`.
  void request_answered(const Request& req, uint64_t now_ns, bool failed) {
    const uint64_t ns = now_ns - req.start_ns;
    commands_.record(req.command, ns, failed);
    if (ns > slow_ns_) [[unlikely]]
      slow(req, ns);
  }
  // After every dispatch: the calls that opened no request are counted here.
  void dispatched(const CommandContext& ctx) {
    if (ctx.outcome == CallOutcome::kSent) [[likely]]
      return;
    after_local(ctx);
  }
  void backend_request(BackendId b, uint64_t bytes) { backend(b).on_request(bytes); }
  void backend_reply(BackendId b, uint64_t bytes, uint64_t ns) {
    backend(b).on_response(bytes, ns);
  }
  stats::BackendMetrics& backend(BackendId b) {
    RP_ASSERT(b < backends_.size());
    return backends_[b];
  }
  // An error reply from a backend, passed to a client (errorstats).
  void backend_error(std::string_view reply) { backend_errors_.add(reply); }
  stats::ProxyCounters proxy_counters;
  stats::PoolCounters pool_counters;

  // KeySampler (hot keys).
  uint32_t sample(std::string_view key, BackendId backend) override;

  // --- Off the data path.
  // A backend slot appeared (ids are stable; the vector grows to cover it).
  void ensure_backend(BackendId b);
  // Starts the snapshot timer, the stats port and the metrics endpoint as
  // configured; throws std::runtime_error when a port cannot be opened.
  void start(Proxy& proxy, uv_loop_t* loop);
  // Closes the exporters (on the loop's thread, before the loop closes).
  void stop();
  // Timer work: hot-key windows and per-backend rates.
  void tick(uint64_t now_ms);

  uint16_t stats_port() const;
  uint16_t metrics_port() const;

  const stats::CommandStatsTable& commands() const { return commands_; }
  const std::vector<stats::BackendMetrics>& backends() const { return backends_; }
  const ErrorCounts& backend_errors() const { return backend_errors_; }
  const stats::ShardRateMeter& shard_rates() const { return shard_rates_; }
  stats::HotKeyReport hot_keys(size_t n) const { return hot_keys_.report(n); }
  const std::shared_ptr<stats::SnapshotSlot>& slot() const { return slot_; }

  // The slow log, newest first.
  const std::deque<SlowlogEntry>& slowlog() const { return slowlog_; }
  void slowlog_reset() { slowlog_.clear(); }
  uint64_t slowlog_total() const { return slow_next_id_; }
  void set_slowlog(int64_t slower_than_us, size_t max_len);

  // The snapshot the exporters publish (built on the loop).
  stats::StatsSnapshot build_snapshot(const Proxy& proxy) const;
  // INFO's sections of these figures (ProxyIntrospection::info_section).
  void info_section(const Proxy& proxy, std::string_view section, std::string& out) const;
  // Bytes read from clients (INFO total_net_input_bytes).
  uint64_t net_input_bytes = 0;
  // What each backend last said of itself (INFO keyspace and memory), by
  // backend id; refreshed by BackendInfoPoller, never per client INFO.
  struct BackendInfo {
    bool known = false;
    uint64_t keys = 0;
    uint64_t expires = 0;
    uint64_t used_memory = 0;
  };
  std::vector<BackendInfo> backend_info;
  // Operations per second over the last 1.6 s (Redis's instantaneous_ops_per_sec).
  uint64_t instantaneous_ops() const;

 private:
  void after_local(const CommandContext& ctx);
  void slow(const Request& req, uint64_t ns);

  stats::CommandStatsTable commands_;
  std::vector<stats::BackendMetrics> backends_;
  ErrorCounts backend_errors_;
  stats::HotKeys hot_keys_;
  stats::ShardRateMeter shard_rates_;
  uint64_t last_rate_sample_ms_ = 0;
  // Redis's instantaneous metric: 16 samples of the command count, 100 ms apart.
  struct OpsSample {
    uint64_t at_ms = 0;
    uint64_t commands = 0;
  };
  std::array<OpsSample, 16> ops_samples_{};
  size_t ops_next_ = 0;
  uint64_t last_ops_sample_ms_ = 0;

  uint64_t slow_ns_ = UINT64_MAX;
  size_t slow_max_len_ = 0;
  uint64_t slow_next_id_ = 0;
  uint64_t wall_ms_ = 0;  // wall clock of the last tick (slow log timestamps)
  std::deque<SlowlogEntry> slowlog_;
  Proxy* proxy_ = nullptr;

  const Config& config_;
  std::shared_ptr<stats::SnapshotSlot> slot_;
  std::unique_ptr<stats::SnapshotPublisher> publisher_;
  std::unique_ptr<stats::TwemproxyDocument> document_;
  std::unique_ptr<stats::StatsServer> stats_server_;
  std::unique_ptr<stats::MetricsExposer> exposer_;
};

}  // namespace ringproxy
