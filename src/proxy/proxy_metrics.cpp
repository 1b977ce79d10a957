// The loop's metrics and their exporters. See proxy_metrics.hpp.
#include "ringproxy/proxy/proxy_metrics.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "ringproxy/commands/dispatcher.hpp"
#include "ringproxy/net/socket_address.hpp"
#include "ringproxy/proxy/proxy.hpp"
#include "ringproxy/stats/info_format.hpp"
#include "ringproxy/stats/metrics_exposer.hpp"
#include "ringproxy/stats/process_metrics.hpp"
#include "ringproxy/stats/snapshot_publisher.hpp"
#include "ringproxy/stats/stats_server.hpp"
#include "ringproxy/stats/twemproxy_stats.hpp"

namespace ringproxy {

namespace {

stats::HotKeyOptions hot_key_options(const Config& c) {
  stats::HotKeyOptions o;
  o.sample_every = c.hot_key_sample;
  o.window_ms = static_cast<uint64_t>(c.hot_window_ms);
  return o;
}

stats::ShardRateOptions shard_rate_options(const Config& c) {
  stats::ShardRateOptions o;
  o.window_ms = static_cast<uint64_t>(c.hot_window_ms);
  o.hot_multiple = c.hot_shard_multiple;
  return o;
}

uint64_t unix_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// The peer of a client socket as Redis prints it (ip:port), or "?".
std::string peer_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char ip[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    port = ntohs(a->sin6_port);
  } else {
    return "?";
  }
  return std::string(ip) + ":" + std::to_string(port);
}

// Redis's used_memory_human: 1.23K, 4.56M, ...
std::string human_bytes(uint64_t n) {
  static constexpr const char* kUnits = "BKMGTPE";
  double v = static_cast<double>(n);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < 7) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%c", v, kUnits[unit]);
  return buf;
}

}  // namespace

ProxyMetrics::ProxyMetrics(const Config& config, size_t backends, uint64_t now_ms)
    : commands_(Dispatcher::command_names()),
      backends_(backends),
      hot_keys_(hot_key_options(config), now_ms),
      shard_rates_(shard_rate_options(config)),
      config_(config),
      slot_(std::make_shared<stats::SnapshotSlot>()) {
  backend_info.resize(backends);
  wall_ms_ = unix_ms();
  set_slowlog(config.slowlog_log_slower_than, config.slowlog_max_len);
}

ProxyMetrics::~ProxyMetrics() {
  stop();
}

void ProxyMetrics::set_slowlog(int64_t slower_than_us, size_t max_len) {
  slow_ns_ = slower_than_us < 0 ? UINT64_MAX : static_cast<uint64_t>(slower_than_us) * 1000;
  slow_max_len_ = max_len;
  while (slowlog_.size() > slow_max_len_) slowlog_.pop_back();
}

void ProxyMetrics::ensure_backend(BackendId b) {
  if (b >= backends_.size()) backends_.resize(size_t{b} + 1);
  if (b >= backend_info.size()) backend_info.resize(size_t{b} + 1);
}

void ProxyMetrics::after_local(const CommandContext& ctx) {
  switch (ctx.outcome) {
    case CallOutcome::kLocal:
    case CallOutcome::kLocalFailed: {
      const bool failed = ctx.outcome == CallOutcome::kLocalFailed;
      commands_.record(ctx.command_id, 0, failed);
      break;
    }
    case CallOutcome::kRejected:
      commands_.reject(ctx.command_id);
      break;
    case CallOutcome::kSent:
    case CallOutcome::kNone:
      break;
  }
}

void ProxyMetrics::slow(const Request& req, uint64_t ns) {
  if (slow_max_len_ == 0) return;
  // A full log recycles its oldest entry (and the storage of its strings):
  // when a loop is overloaded every request is slow, and each must not cost
  // allocations on top.
  SlowlogEntry e;
  if (slowlog_.size() >= slow_max_len_) {
    e = std::move(slowlog_.back());
    slowlog_.pop_back();
  }
  e.id = slow_next_id_++;
  e.unix_s = wall_ms_ / 1000;
  e.duration_us = ns / 1000;
  // The request's bytes are gone by the time its reply comes back (keeping
  // them would cost every request a copy): the entry names the command.
  e.args.resize(1);
  e.args[0].assign(commands_.name(req.command));
  e.client_addr.clear();
  e.client_name.clear();
  e.backend.clear();
  if (req.session != nullptr) {
    const auto* client = static_cast<const ClientConnection*>(req.session);
    e.client_addr = peer_of(client->socket_fd());
    e.client_name.assign(client->name());
  }
  if (proxy_ != nullptr) {
    for (const Fragment& f : req.fragments) {
      if (f.backend == kNoBackend) continue;
      if (!e.backend.empty()) e.backend.push_back(',');
      e.backend += proxy_->backends().address_of(f.backend);
    }
  }
  slowlog_.push_front(std::move(e));
}

uint32_t ProxyMetrics::sample(std::string_view key, BackendId backend) {
  hot_keys_.record_sampled(key, backend);
  return hot_keys_.next_gap();
}

void ProxyMetrics::tick(uint64_t now_ms) {
  wall_ms_ = unix_ms();
  hot_keys_.tick(now_ms);
  if (proxy_ != nullptr && now_ms - last_ops_sample_ms_ >= 100) {
    last_ops_sample_ms_ = now_ms;
    ops_samples_[ops_next_] = {now_ms, proxy_->dispatcher().counters().commands};
    ops_next_ = (ops_next_ + 1) % ops_samples_.size();
  }
  if (now_ms - last_rate_sample_ms_ < shard_rates_.interval_ms()) return;
  last_rate_sample_ms_ = now_ms;
  std::vector<uint64_t> requests(backends_.size());
  std::vector<double> weights(backends_.size(), 0.0);
  std::vector<BackendReport> reports;
  if (proxy_ != nullptr) proxy_->backends().reports(reports);
  for (size_t i = 0; i < backends_.size(); ++i) requests[i] = backends_[i].counters.requests;
  for (const BackendReport& r : reports) {
    if (r.id < weights.size() && r.state != "down") weights[r.id] = r.weight;
  }
  shard_rates_.sample(now_ms, requests, weights);
}

void ProxyMetrics::start(Proxy& proxy, uv_loop_t* loop) {
  proxy_ = &proxy;
  const bool exporters = config_.stats_port != 0 || config_.metrics_port != 0;
  if (!exporters) return;
  publisher_ = std::make_unique<stats::SnapshotPublisher>(
      loop, static_cast<uint64_t>(config_.stats_interval_ms),
      [this] { return build_snapshot(*proxy_); }, slot_);
  if (config_.stats_port != 0) {
    document_ = std::make_unique<stats::TwemproxyDocument>(slot_);
    stats::StatsServerOptions o;
    o.host = config_.stats_addr;
    o.port = config_.stats_port;
    stats_server_ =
        std::make_unique<stats::StatsServer>(loop, o, [this] { return document_->current(); });
  }
  if (config_.metrics_port != 0) {
    stats::MetricsServerOptions o;
    o.host = config_.metrics_addr;
    o.port = config_.metrics_port;
    exposer_ = std::make_unique<stats::MetricsExposer>(o, slot_);
  }
}

void ProxyMetrics::stop() {
  exposer_.reset();
  stats_server_.reset();
  publisher_.reset();
}

uint16_t ProxyMetrics::stats_port() const {
  return stats_server_ ? stats_server_->port() : 0;
}

uint16_t ProxyMetrics::metrics_port() const {
  return exposer_ ? exposer_->port() : 0;
}

stats::StatsSnapshot ProxyMetrics::build_snapshot(const Proxy& proxy) const {
  stats::StatsSnapshot s;
  static const std::string host = host_name();
  s.source = host;
  s.version = RINGPROXY_VERSION;
  const uint64_t now = unix_ms();
  s.taken_at_ms = now;
  s.start_time_ms = now - (proxy.now_ms() - proxy.start_ms());
  s.proxy = proxy_counters;
  s.proxy.total_connections = proxy.stats().connections_received;
  s.curr_connections = proxy.clients().size();

  stats::PoolSnapshot& pool = s.pools.emplace_back();
  pool.name = proxy.config().twemproxy_pool.empty() ? "ringproxy" : proxy.config().twemproxy_pool;
  pool.counters = pool_counters;
  pool.client_connections = proxy.clients().size();
  pool.ring_version = proxy.ring_version();
  std::vector<BackendReport> reports;
  proxy.backends().reports(reports);
  const std::vector<stats::ShardRate>& rates = shard_rates_.rates();
  for (const BackendReport& r : reports) {
    stats::BackendSnapshot& b = pool.backends.emplace_back();
    b.name = r.name.empty() ? r.address : r.name;
    b.address = r.address;
    b.up = r.state == "up" || r.state == "failing";
    b.ejections = r.ejections;
    pool.counters.server_ejects += r.ejections;
    pool.counters.forward_error += r.errors;
    if (r.id < backends_.size()) {
      b.counters = backends_[r.id].counters;
      b.latency = stats::LatencySummary::of(backends_[r.id].latency);
    }
    b.counters.server_err = r.errors;
    b.counters.server_timedout = r.timeouts;
    b.gauges.server_connections = r.connections;
    b.gauges.out_queue = r.inflight;
    if (r.id < rates.size()) {
      b.request_rate = rates[r.id].rate;
      b.hot = rates[r.id].hot;
    }
  }
  const stats::HotKeyReport hot = hot_keys_.report(16);
  pool.hot_keys = hot.previous.keys.empty() ? hot.current : hot.previous;

  commands_.for_each_used([&](uint32_t id, const stats::CommandStats& c) {
    stats::CommandSnapshot& cs = s.commands.emplace_back();
    cs.name = commands_.name(id);
    cs.counters = c.counters();
    cs.latency = stats::LatencySummary::of(c.latency);
  });
  return s;
}

uint64_t ProxyMetrics::instantaneous_ops() const {
  // The oldest and the newest of the samples taken (Redis averages the rates
  // of its 16 samples; over equal steps that is the same figure).
  const OpsSample& newest =
      ops_samples_[(ops_next_ + ops_samples_.size() - 1) % ops_samples_.size()];
  const OpsSample* oldest = &ops_samples_[ops_next_];
  if (oldest->at_ms == 0) oldest = &ops_samples_[0];
  if (newest.at_ms <= oldest->at_ms) return 0;
  return (newest.commands - oldest->commands) * 1000 / (newest.at_ms - oldest->at_ms);
}

void ProxyMetrics::info_section(const Proxy& proxy, std::string_view section,
                                std::string& out) const {
  auto kv = [&](std::string_view key, const std::string& value) {
    out.append(key).append(":").append(value).append("\r\n");
  };
  auto num = [&](std::string_view key, uint64_t v) { kv(key, std::to_string(v)); };
  if (section == "memory") {
    const uint64_t rss = stats::process_rss_bytes();
    uint64_t backends = 0;
    for (const BackendInfo& b : backend_info) backends += b.used_memory;
    // The proxy's own memory is its resident set (it has no allocator
    // statistics of its own); the backends' total is a separate figure.
    num("used_memory", rss);
    kv("used_memory_human", human_bytes(rss));
    num("used_memory_rss", rss);
    kv("used_memory_rss_human", human_bytes(rss));
    num("maxmemory", 0);
    kv("maxmemory_policy", "noeviction");
    num("backends_used_memory", backends);
    kv("backends_used_memory_human", human_bytes(backends));
  } else if (section == "stats") {
    uint64_t response_bytes = 0;
    for (const stats::BackendMetrics& b : backends_) response_bytes += b.counters.response_bytes;
    num("instantaneous_ops_per_sec", instantaneous_ops());
    num("total_net_input_bytes", net_input_bytes);
    num("total_net_output_bytes", response_bytes);
    uint64_t errors = 0;
    for (const auto& [code, n] : proxy.dispatcher().context().error_counts.counts) errors += n;
    for (const auto& [code, n] : backend_errors_.counts) errors += n;
    num("total_error_replies", errors);
  } else if (section == "keyspace") {
    uint64_t keys = 0, expires = 0;
    for (const BackendInfo& b : backend_info) {
      keys += b.keys;
      expires += b.expires;
    }
    if (keys > 0) {
      kv("db0",
         "keys=" + std::to_string(keys) + ",expires=" + std::to_string(expires) + ",avg_ttl=0");
    }
  } else if (section == "commandstats") {
    commands_.for_each_used([&](uint32_t id, const stats::CommandStats& c) {
      out.append(stats::commandstats_line(commands_.name(id), c.counters())).append("\r\n");
    });
  } else if (section == "latencystats") {
    commands_.for_each_used([&](uint32_t id, const stats::CommandStats& c) {
      if (c.latency.count() == 0) return;
      out.append(stats::latencystats_line(commands_.name(id), c.latency)).append("\r\n");
    });
  } else if (section == "errorstats") {
    std::vector<std::pair<std::string, uint64_t>> all = backend_errors_.counts;
    for (const auto& [code, n] : proxy.dispatcher().context().error_counts.counts) {
      auto it =
          std::find_if(all.begin(), all.end(), [&](const auto& e) { return e.first == code; });
      if (it == all.end()) {
        all.emplace_back(code, n);
      } else {
        it->second += n;
      }
    }
    std::sort(all.begin(), all.end());
    for (const auto& [code, n] : all) kv("errorstat_" + code, "count=" + std::to_string(n));
  }
}

}  // namespace ringproxy
