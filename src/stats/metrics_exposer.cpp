// The Prometheus endpoint; see metrics_exposer.hpp.
#include "ringproxy/stats/metrics_exposer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <prometheus/exposer.h>

#include <stdexcept>

#include "ringproxy/net/socket_address.hpp"

namespace ringproxy::stats {

namespace {

// civetweb's listening_ports syntax: "a.b.c.d:port" or "[v6]:port".
std::string civetweb_address(const MetricsServerOptions& o) {
  SocketAddress addr = resolve_address(o.host, o.port, true, "metrics address");
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.family() == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(addr.get());
    inet_ntop(AF_INET6, &sa->sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(o.port);
  }
  const auto* sa = reinterpret_cast<const sockaddr_in*>(addr.get());
  inet_ntop(AF_INET, &sa->sin_addr, text, sizeof text);
  return std::string(text) + ":" + std::to_string(o.port);
}

}  // namespace

MetricsExposer::MetricsExposer(const MetricsServerOptions& options,
                               std::shared_ptr<const SnapshotSlot> slot)
    : collector_(std::make_shared<PrometheusCollector>(std::move(slot))) {
  std::string where = civetweb_address(options);
  try {
    exposer_ =
        std::make_unique<prometheus::Exposer>(where, options.threads < 1 ? 1 : options.threads);
  } catch (const std::exception& e) {
    // civetweb says little more than "could not bind"; name what was asked.
    throw std::runtime_error("cannot listen on " + options.host + ":" +
                             std::to_string(options.port) + " for metrics (" + where +
                             "): " + e.what());
  }
  exposer_->RegisterCollectable(collector_);
  std::vector<int> ports = exposer_->GetListeningPorts();
  port_ = ports.empty() ? options.port : static_cast<uint16_t>(ports.front());
}

MetricsExposer::~MetricsExposer() {
  exposer_.reset();
}

}  // namespace ringproxy::stats
