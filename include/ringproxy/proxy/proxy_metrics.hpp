// The loop's metrics: per-command and per-backend counters and latency
// histograms, error counts, the slow log, hot keys and per-backend rates, and
// the exporters that publish them (twemproxy's stats port, Prometheus).
//
// The data path calls the inline recorders below; they are plain adds on
// loop-owned memory (no locks, no atomics; a worker loop will own one each,
// summed when a snapshot is built). What a forwarded request costs:
//   - the clock, read at most once per loop iteration (now_ns(): a prepare
//     handle marks it stale before the loop waits for I/O, and the first
//     user after the wait reads it), so latencies are as precise as one
//     iteration's work;
//   - its command's calls and total duration (commandstats), exact: from the
//     read that parsed it to the read of its reply;
//   - a countdown that samples one reply in --latency-sample for the latency
//     histograms (the command's log-linear one: latencystats and /metrics;
//     the backend's octave one: /metrics), recorded with that weight;
//   - a compare for the slow log, a countdown for hot keys; the backend
//     counts its requests, replies and bytes itself (BackendStats).
// Calls the proxy answers itself, rejections and errors are counted on their
// own paths (CommandObserver). Everything else (snapshots, INFO, exporters)
// runs off the per-request path.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/request.hpp"
#include "ringproxy/common/assert.hpp"
#include "ringproxy/options/config.hpp"
#include "ringproxy/proxy/slow_log.hpp"
#include "ringproxy/stats/command_stats.hpp"
#include "ringproxy/stats/counters.hpp"
#include "ringproxy/stats/exporters.hpp"
#include "ringproxy/stats/hot_keys.hpp"
#include "ringproxy/stats/shard_rate.hpp"
#include "ringproxy/stats/stats_snapshot.hpp"

namespace ringproxy {

class Proxy;

// The exporters' options of a configuration.
stats::ExporterOptions exporter_options(const Config& config);

class ProxyMetrics final : public CommandObserver {
 public:
  // `clock_ns` gets every reading of the clock too: the dispatcher's
  // CommandContext::now_ns, which requests opened start at.
  ProxyMetrics(const Config& config, size_t backends, uint64_t now_ms, uint64_t& clock_ns);
  ~ProxyMetrics() override;
  ProxyMetrics(const ProxyMetrics&) = delete;
  ProxyMetrics& operator=(const ProxyMetrics&) = delete;

  // --- Data path.
  // The loop's clock (ns, monotonic), read at most once per loop iteration.
  uint64_t now_ns() {
    if (clock_stale_) [[unlikely]]
      read_clock();
    return clock_ns_;
  }
  // Backend `req.fragments[fragment].backend` replied `reply`. A request
  // forwarded whole is answered by this reply: its command's figures are
  // taken here too, from the same clock reading.
  void backend_replied(const Request& req, uint32_t fragment, std::string_view reply) {
    backend_replied_moved(req, fragment);
    if (!req.merge && reply[0] == '-') [[unlikely]]
      answered_with_error(req, reply);
  }
  // The same for a reply that moved to the client whole (a big one: not an
  // error).
  void backend_replied_moved(const Request& req, uint32_t fragment) {
    const uint64_t ns = now_ns() - req.start_ns;
    const bool sampled = --sample_countdown_ == 0;
    if (sampled) [[unlikely]]
      sample_backend(req.fragments[fragment].backend, ns);
    if (!req.merge) [[likely]]
      record_call(req, ns, sampled);
  }
  // `req`, merged from its parts or answered by the proxy for an unavailable
  // backend, was answered with `reply`.
  void request_answered(const Request& req, std::string_view reply) override {
    const bool sampled = --sample_countdown_ == 0;
    if (sampled) sample_countdown_ = next_gap();
    record_call(req, now_ns() - req.start_ns, sampled);
    if (!reply.empty() && reply[0] == '-') answered_with_error(req, reply);
  }
  stats::ProxyCounters proxy_counters;
  stats::PoolCounters pool_counters;
  // Bytes read from clients (INFO total_net_input_bytes).
  uint64_t net_input_bytes = 0;

  // CommandObserver (off the forwarded path).
  void local_call(uint32_t command, bool failed) override;
  void rejected_call(uint32_t command) override;
  uint32_t sample_key(std::string_view key, BackendId backend) override;

  // --- Off the data path.
  // Starts the clock and, with `exporters`, the snapshot timer, the stats
  // port and the metrics endpoint as configured (a pool of a group leaves
  // them to the group); throws std::runtime_error when a port cannot be
  // opened.
  void start(Proxy& proxy, uv_loop_t* loop, bool exporters);
  // Closes the exporters (on the loop's thread, before the loop closes).
  void stop();
  // Timer work: hot-key windows and per-backend rates.
  void tick(uint64_t now_ms);

  stats::HotKeyReport hot_keys(size_t n) const { return hot_keys_.report(n); }

  const SlowLog& slowlog() const { return slowlog_; }
  void slowlog_reset() { slowlog_.clear(); }
  void set_slowlog(int64_t slower_than_us, size_t max_len);

  // The snapshot the exporters publish (built on the loop).
  stats::StatsSnapshot build_snapshot(const Proxy& proxy) const;
  // INFO's sections of these figures (ProxyIntrospection::info_section).
  void info_section(const Proxy& proxy, std::string_view section, std::string& out) const;
  // Operations per second over the last 1.6 s (Redis's instantaneous_ops_per_sec).
  uint64_t instantaneous_ops() const;

 private:
  // The first calls of each command feed its histogram one for one, so that
  // rarely used commands have percentiles too; later calls, one in
  // --latency-sample (weighted by it).
  static constexpr uint64_t kExactCalls = 1024;
  void record_call(const Request& req, uint64_t ns, bool sampled) {
    const uint64_t calls = commands_.record(req.command, ns);
    if (sampled || calls <= kExactCalls) [[unlikely]]
      commands_.record_latency(req.command, ns, calls <= kExactCalls ? 1 : latency_sample_);
    if (ns > slow_ns_) [[unlikely]]
      slow(req, ns);
  }
  // A sampled reply of backend `b`; draws the next sample.
  void sample_backend(BackendId b, uint64_t ns);
  uint32_t next_gap();
  void read_clock();
  void answered_with_error(const Request& req, std::string_view reply);
  void slow(const Request& req, uint64_t ns);

  uint64_t clock_ns_ = 0;
  bool clock_stale_ = true;
  uint64_t& published_clock_ns_;  // CommandContext::now_ns
  // Latency sampling: replies until the next sampled one (a random gap
  // averaging latency_sample_).
  uint32_t sample_countdown_ = 1;
  uint32_t latency_sample_ = 1;
  uint64_t sample_rng_ = 0x9e3779b97f4a7c15;
  std::unique_ptr<uv_prepare_t> clock_prepare_;

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
  uint64_t wall_ms_ = 0;  // wall clock of the last tick (slow log timestamps)
  SlowLog slowlog_;
  Proxy* proxy_ = nullptr;

  const Config& config_;
  std::unique_ptr<stats::Exporters> exporters_;
};

}  // namespace ringproxy
