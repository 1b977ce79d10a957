// What publishes a process's figures: the snapshot timer (--stats-interval),
// twemproxy's stats port (--stats-port, --stats-addr) and Prometheus's
// /metrics (--metrics-port, --metrics-addr), together, around one
// SnapshotSlot. A process has one, whatever its number of pools: the build
// function gathers every pool's figures into the one snapshot.
//
// Construct and destroy on the loop's thread.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "ringproxy/stats/snapshot_publisher.hpp"
#include "ringproxy/stats/stats_snapshot.hpp"

namespace ringproxy::stats {

class StatsServer;
class MetricsExposer;
class TwemproxyDocument;

struct ExporterOptions {
  std::string stats_addr;
  uint16_t stats_port = 0;  // 0: no stats port
  std::string metrics_addr;
  uint16_t metrics_port = 0;  // 0: no /metrics
  uint64_t interval_ms = 1000;
};

class Exporters {
 public:
  // Starts what `options` asks for (nothing when both ports are 0); throws
  // std::runtime_error when a port cannot be opened.
  Exporters(uv_loop_t* loop, const ExporterOptions& options, SnapshotPublisher::BuildFn build);
  ~Exporters();
  Exporters(const Exporters&) = delete;
  Exporters& operator=(const Exporters&) = delete;

  uint16_t stats_port() const;
  uint16_t metrics_port() const;

 private:
  std::shared_ptr<SnapshotSlot> slot_ = std::make_shared<SnapshotSlot>();
  std::unique_ptr<SnapshotPublisher> publisher_;
  std::unique_ptr<TwemproxyDocument> document_;
  std::unique_ptr<StatsServer> stats_server_;
  std::unique_ptr<MetricsExposer> exposer_;
};

}  // namespace ringproxy::stats
