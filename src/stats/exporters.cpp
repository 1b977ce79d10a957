// See exporters.hpp.
#include "ringproxy/stats/exporters.hpp"

#include "ringproxy/stats/metrics_exposer.hpp"
#include "ringproxy/stats/stats_server.hpp"
#include "ringproxy/stats/twemproxy_stats.hpp"

namespace ringproxy::stats {

Exporters::Exporters(uv_loop_t* loop, const ExporterOptions& options,
                     SnapshotPublisher::BuildFn build) {
  if (options.stats_port == 0 && options.metrics_port == 0) return;
  publisher_ =
      std::make_unique<SnapshotPublisher>(loop, options.interval_ms, std::move(build), slot_);
  if (options.stats_port != 0) {
    document_ = std::make_unique<TwemproxyDocument>(slot_);
    StatsServerOptions o;
    o.host = options.stats_addr;
    o.port = options.stats_port;
    stats_server_ = std::make_unique<StatsServer>(loop, o, [this] { return document_->current(); });
  }
  if (options.metrics_port != 0) {
    MetricsServerOptions o;
    o.host = options.metrics_addr;
    o.port = options.metrics_port;
    exposer_ = std::make_unique<MetricsExposer>(o, slot_);
  }
}

Exporters::~Exporters() {
  // The readers first, then what feeds them.
  exposer_.reset();
  stats_server_.reset();
  publisher_.reset();
}

uint16_t Exporters::stats_port() const {
  return stats_server_ ? stats_server_->port() : 0;
}

uint16_t Exporters::metrics_port() const {
  return exposer_ ? exposer_->port() : 0;
}

}  // namespace ringproxy::stats
