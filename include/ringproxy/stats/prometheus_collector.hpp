// The Prometheus metric families of a StatsSnapshot, and the prometheus-cpp
// Collectable that serves them from the latest published snapshot.
//
// prometheus-cpp's exposer calls Collect() on its own (civetweb) threads.
// Collect() only takes the latest snapshot out of the SnapshotSlot (a pointer
// copy under the slot's mutex) and reads /proc/self, so the exposer threads
// never touch loop-owned memory and the data path never waits for a scrape.
// The figures are as fresh as the last publication (--stats-interval).
//
// Families (labels in braces):
//   ringproxy_build_info{version} 1, process_start_time_seconds,
//   process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_cpu_seconds_total, process_open_fds, process_max_fds,
//   ringproxy_connections_received_total, ringproxy_client_connections,
//   per pool {pool}: ringproxy_pool_client_connections,
//     ringproxy_pool_client_eof_total, ringproxy_pool_client_errors_total,
//     ringproxy_pool_forward_errors_total, ringproxy_pool_fragments_total,
//     ringproxy_pool_backend_ejections_total, ringproxy_ring_version,
//     ringproxy_hot_key_requests{pool,key,backend} (the hot keys of the last window),
//   per backend {pool,backend,addr}: ringproxy_backend_up,
//     ringproxy_backend_requests_total, ringproxy_backend_request_bytes_total,
//     ringproxy_backend_responses_total, ringproxy_backend_response_bytes_total,
//     ringproxy_backend_eof_total, ringproxy_backend_errors_total,
//     ringproxy_backend_timeouts_total, ringproxy_backend_ejections_total,
//     ringproxy_backend_restarts_total,
//     ringproxy_backend_last_ejection_timestamp_seconds, ringproxy_backend_connections,
//     ringproxy_backend_in_queue_requests, ringproxy_backend_in_queue_bytes,
//     ringproxy_backend_out_queue_requests, ringproxy_backend_out_queue_bytes,
//     ringproxy_backend_request_rate, ringproxy_backend_hot,
//     ringproxy_backend_request_duration_seconds (histogram),
//     and, for backends whose figures are known (INFO memory and keyspace,
//     asked every --stats-interval while up): ringproxy_backend_keys,
//     ringproxy_backend_expiring_keys, ringproxy_backend_used_memory_bytes,
//   per command {cmd} ({pool,cmd} in a process of several pools):
//     ringproxy_command_calls_total,
//     ringproxy_command_failed_calls_total, ringproxy_command_rejected_calls_total,
//     ringproxy_command_duration_seconds (histogram).
// Histogram buckets are LatencyHistogram's Prometheus bounds (its powers of
// two) plus +Inf. Label values that are not printable ASCII (hot
// keys are binary-safe) are written with \xHH escapes.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/stats/process_metrics.hpp"
#include "ringproxy/stats/stats_snapshot.hpp"

namespace ringproxy::stats {

// The families of `snapshot` and `process` (pure; any thread).
std::vector<prometheus::MetricFamily> prometheus_families(const StatsSnapshot& snapshot,
                                                          const ProcessSample& process);

// `value` with bytes outside printable ASCII (and the backslash) as \xHH.
std::string printable_label(std::string_view value);

class PrometheusCollector final : public prometheus::Collectable {
 public:
  explicit PrometheusCollector(std::shared_ptr<const SnapshotSlot> slot) : slot_(std::move(slot)) {}
  // Any thread (the exposer's). Only process figures before the first publication.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<const SnapshotSlot> slot_;
};

}  // namespace ringproxy::stats
