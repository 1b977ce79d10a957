// See proxy_report.hpp.
#include "ringproxy/proxy/proxy_report.hpp"

#include <algorithm>
#include <deque>
#include <string>

#include "ringproxy/cluster/etcd_membership.hpp"
#include "ringproxy/options/config_get.hpp"
#include "ringproxy/proxy/proxy.hpp"

namespace ringproxy {

uint64_t ProxyReport::now_ms() const {
  return proxy_.now_ms();
}

void ProxyReport::facts(ProxyFacts& out) const {
  const Config& config = proxy_.config();
  const ProxyStats& stats = proxy_.stats();
  out.tcp_port = config.listen_port;
  out.uptime_s = (proxy_.now_ms() - proxy_.start_ms()) / 1000;
  out.connected_clients = proxy_.clients().size();
  out.max_clients = config.max_clients;
  out.connections_received = stats.connections_received;
  out.connections_rejected = stats.connections_rejected;
  out.protocol_errors = stats.protocol_errors;
  out.output_limit_disconnections = stats.output_limit_disconnections;
  out.hash = hash_name(config.hash);
  out.hash_tag = config.hash_tag;
  out.distribution = distribution_name(config.distribution);
  out.output_pool_buffers = proxy_.output_pool().blocks();
  out.output_pool_bytes = proxy_.output_pool().bytes();
  out.output_pool_reuses = proxy_.output_pool().lends();
  out.failover_copies_deleted = proxy_.backends().failover_copies_deleted();
  out.failover_keys_untracked = proxy_.backends().failover_keys_untracked();
  if (const EtcdMembership* etcd = proxy_.etcd()) out.membership = etcd->info_fields();
}

void ProxyReport::backends(std::vector<BackendReport>& out) const {
  proxy_.backends().reports(out);
}

void ProxyReport::for_each_session(const std::function<void(const Session&)>& fn) const {
  for (const ClientConnection* c : proxy_.clients()) fn(*c);
}

void ProxyReport::config_get(std::span<const std::string_view> patterns,
                             std::vector<std::pair<std::string, std::string>>& out) const {
  out = ringproxy::config_get(proxy_.config(), patterns);
}

bool ProxyReport::kill_client(uint64_t id) {
  for (ClientConnection* c : proxy_.clients()) {
    if (c->id() == id) {
      c->kill();
      return true;
    }
  }
  return false;
}

void ProxyReport::place(std::string_view key, KeyPlacement& out) const {
  const RingSnapshot& ring = proxy_.ring().snapshot();
  out.point = ring.key_hash(key);
  out.home = ring.home_slot(out.point);
  out.owner = ring.owner_slot(out.point);
}

void ProxyReport::info_section(std::string_view section, std::string& out) const {
  proxy_.metrics().info_section(proxy_, section, out);
}

void ProxyReport::slowlog(int64_t count, std::vector<SlowlogEntry>& out) const {
  const SlowLog& log = proxy_.metrics().slowlog();
  const size_t n = count < 0 ? log.size() : std::min(log.size(), static_cast<size_t>(count));
  out.clear();
  for (size_t i = 0; i < n; ++i) out.push_back(log.newest(i));
}

uint64_t ProxyReport::slowlog_len() const {
  return proxy_.metrics().slowlog().size();
}

void ProxyReport::slowlog_reset() {
  proxy_.metrics().slowlog_reset();
}

void ProxyReport::hot_keys(size_t count, std::vector<HotKeyEntry>& out) const {
  const stats::HotKeyReport report = proxy_.metrics().hot_keys(count);
  const stats::HotKeyWindow& w = report.latest();
  out.clear();
  for (const stats::HotKey& k : w.keys) {
    HotKeyEntry& e = out.emplace_back();
    e.key = k.key;
    e.backend = proxy_.backends().address_of(k.backend);
    e.requests = k.requests;
    e.error = k.error;
  }
}

}  // namespace ringproxy
