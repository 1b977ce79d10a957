// `GET /metrics` in the Prometheus text format (--metrics-port,
// --metrics-addr), served by prometheus-cpp's pull exposer.
//
// The exposer runs its own civetweb threads (a listener and `threads`
// workers); they call the PrometheusCollector, which reads only the latest
// published StatsSnapshot. Nothing here runs on, or waits for, the loop.
//
// The address is resolved here (a host name becomes its first address);
// civetweb is given the numeric address. Destruction stops the exposer's
// threads before the collector goes away.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ringproxy/stats/prometheus_collector.hpp"
#include "ringproxy/stats/stats_snapshot.hpp"

namespace prometheus {
class Exposer;
}

namespace ringproxy::stats {

struct MetricsServerOptions {
  std::string host = "127.0.0.1";  // loopback unless asked otherwise
  uint16_t port = 0;               // 0: any free port (see MetricsExposer::port())
  size_t threads = 1;              // civetweb worker threads
};

class MetricsExposer {
 public:
  // Listens; throws std::runtime_error saying why it cannot.
  MetricsExposer(const MetricsServerOptions& options, std::shared_ptr<const SnapshotSlot> slot);
  ~MetricsExposer();
  MetricsExposer(const MetricsExposer&) = delete;
  MetricsExposer& operator=(const MetricsExposer&) = delete;

  uint16_t port() const { return port_; }

 private:
  std::shared_ptr<PrometheusCollector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;  // after collector_: destroyed first
  uint16_t port_ = 0;
};

}  // namespace ringproxy::stats
