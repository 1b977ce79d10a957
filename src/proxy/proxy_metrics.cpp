// The loop's metrics and their exporters. See proxy_metrics.hpp.
#include "ringproxy/proxy/proxy_metrics.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "ringproxy/commands/dispatcher.hpp"
#include "ringproxy/net/uv_handle.hpp"
#include "ringproxy/proxy/proxy.hpp"
#include "ringproxy/stats/backend_info.hpp"
#include "ringproxy/stats/exporters.hpp"
#include "ringproxy/stats/info_format.hpp"
#include "ringproxy/stats/process_metrics.hpp"

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

using stats::human_bytes;

}  // namespace

stats::ExporterOptions exporter_options(const Config& c) {
  stats::ExporterOptions o;
  o.stats_addr = c.stats_addr;
  o.stats_port = c.stats_port;
  o.metrics_addr = c.metrics_addr;
  o.metrics_port = c.metrics_port;
  o.interval_ms = static_cast<uint64_t>(c.stats_interval_ms);
  return o;
}

ProxyMetrics::ProxyMetrics(const Config& config, size_t backends, uint64_t now_ms,
                           uint64_t& clock_ns)
    : published_clock_ns_(clock_ns),
      commands_(Dispatcher::command_names()),
      backends_(backends),
      hot_keys_(hot_key_options(config), now_ms),
      shard_rates_(shard_rate_options(config)),
      config_(config) {
  latency_sample_ = config.latency_sample;
  sample_countdown_ = next_gap();
  wall_ms_ = unix_ms();
  set_slowlog(config.slowlog_log_slower_than, config.slowlog_max_len);
}

ProxyMetrics::~ProxyMetrics() {
  stop();
}

void ProxyMetrics::set_slowlog(int64_t slower_than_us, size_t max_len) {
  slow_ns_ = slower_than_us < 0 ? UINT64_MAX : static_cast<uint64_t>(slower_than_us) * 1000;
  slowlog_.set_max_len(max_len);
}

void ProxyMetrics::read_clock() {
  clock_ns_ = uv_hrtime();
  published_clock_ns_ = clock_ns_;
  clock_stale_ = false;
}

void ProxyMetrics::sample_backend(BackendId b, uint64_t ns) {
  sample_countdown_ = next_gap();
  if (b >= backends_.size()) backends_.resize(size_t{b} + 1);  // a slot appeared
  backends_[b].latency.record_ns(ns, latency_sample_);
}

uint32_t ProxyMetrics::next_gap() {
  if (latency_sample_ <= 1) return 1;
  // xorshift64: a random gap averaging latency_sample_, so that no periodic
  // pattern in the traffic lines up with the samples.
  sample_rng_ ^= sample_rng_ << 13;
  sample_rng_ ^= sample_rng_ >> 7;
  sample_rng_ ^= sample_rng_ << 17;
  return 1 + static_cast<uint32_t>(sample_rng_ % (2 * uint64_t{latency_sample_} - 1));
}

void ProxyMetrics::local_call(uint32_t command, bool failed) {
  if (command >= commands_.size()) return;  // not a command (unknown name)
  commands_.record(command, 0, failed);
}

void ProxyMetrics::rejected_call(uint32_t command) {
  if (command >= commands_.size()) return;
  commands_.reject(command);
}

void ProxyMetrics::answered_with_error(const Request& req, std::string_view reply) {
  commands_.fail(req.command);
  if (req.command == Dispatcher::internal_command_id()) return;
  // Errors from backends, and the proxy's answers for unavailable ones.
  backend_errors_.add(reply);
}

void ProxyMetrics::slow(const Request& req, uint64_t ns) {
  // The proxy's own requests (their session is no client) are not logged.
  if (req.command == Dispatcher::internal_command_id()) return;
  SlowlogEntry* e = slowlog_.add();
  if (e == nullptr) return;
  e->unix_s = wall_ms_ / 1000;
  e->duration_us = ns / 1000;
  // The request's bytes are gone by the time its reply comes back (keeping
  // them would cost every request a copy): the entry names the command.
  e->args.resize(1);
  e->args[0].assign(commands_.name(req.command));
  e->client_addr.clear();
  e->client_name.clear();
  e->backend.clear();
  if (req.session != nullptr) {
    const auto* client = static_cast<const ClientConnection*>(req.session);
    e->client_addr.assign(client->peer_address());
    e->client_name.assign(client->name());
  }
  if (proxy_ != nullptr) {
    for (const Fragment& f : req.fragments) {
      if (f.backend == kNoBackend) continue;
      if (!e->backend.empty()) e->backend.push_back(',');
      e->backend += proxy_->backends().address_of(f.backend);
    }
  }
}

uint32_t ProxyMetrics::sample_key(std::string_view key, BackendId backend) {
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
  std::vector<BackendReport> reports;
  if (proxy_ != nullptr) proxy_->backends().reports(reports);
  size_t slots = backends_.size();
  for (const BackendReport& r : reports) slots = std::max(slots, size_t{r.id} + 1);
  std::vector<uint64_t> requests(slots, 0);
  std::vector<double> weights(slots, 0.0);
  for (const BackendReport& r : reports) {
    requests[r.id] = r.requests;
    if (r.state != "down") weights[r.id] = r.weight;
  }
  shard_rates_.sample(now_ms, requests, weights);
}

void ProxyMetrics::start(Proxy& proxy, uv_loop_t* loop, bool exporters) {
  proxy_ = &proxy;
  // The clock goes stale just before the loop waits for I/O: what the
  // callbacks after the wait record starts from a fresh reading, and the
  // callbacks of one iteration share it.
  clock_prepare_ = std::make_unique<uv_prepare_t>();
  uv_prepare_init(loop, clock_prepare_.get());
  clock_prepare_->data = this;
  uv_prepare_start(clock_prepare_.get(), [](uv_prepare_t* h) {
    static_cast<ProxyMetrics*>(h->data)->clock_stale_ = true;
  });
  // It must not keep the loop alive by itself.
  uv_unref(reinterpret_cast<uv_handle_t*>(clock_prepare_.get()));
  if (!exporters) return;
  exporters_ = std::make_unique<stats::Exporters>(loop, exporter_options(config_),
                                                  [this] { return build_snapshot(*proxy_); });
}

void ProxyMetrics::stop() {
  if (clock_prepare_) {
    uv_prepare_stop(clock_prepare_.get());
    close_handle(clock_prepare_);
  }
  clock_stale_ = true;
  exporters_.reset();
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
    b.restarts = r.restarts;
    b.figures_known = r.figures_known;
    b.keys = r.keys;
    b.expires = r.expires;
    b.used_memory = r.used_memory;
    pool.counters.server_ejects += r.ejections;
    pool.counters.forward_error += r.errors;
    b.counters.requests = r.requests;
    b.counters.request_bytes = r.request_bytes;
    b.counters.response_bytes = r.response_bytes;
    b.counters.responses = r.responses;
    if (r.id < backends_.size()) {
      b.latency = stats::LatencySummary::of(backends_[r.id].latency).rescale(r.responses);
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
  pool.hot_keys = hot.latest();

  commands_.for_each_used(
      [&](uint32_t id, const stats::CommandCounters& c, const stats::LatencyHistogram* latency) {
        stats::CommandSnapshot& cs = s.commands.emplace_back();
        cs.name = commands_.name(id);
        cs.counters = c;
        if (latency != nullptr) cs.latency = stats::LatencySummary::of(*latency);
        cs.latency.rescale(c.calls, c.duration_ns);
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
    // The proxy's own memory is its resident set (it has no allocator
    // statistics of its own); the backends' is a field apart, so that tools
    // reading used_memory see the proxy's.
    num("used_memory", rss);
    kv("used_memory_human", human_bytes(rss));
    num("used_memory_rss", rss);
    kv("used_memory_rss_human", human_bytes(rss));
    num("maxmemory", 0);
    kv("maxmemory_policy", "noeviction");
    std::vector<BackendReport> reports;
    proxy.backends().reports(reports);
    uint64_t backends = 0;
    for (const BackendReport& r : reports) backends += r.figures_known ? r.used_memory : 0;
    num("backends_used_memory", backends);
    kv("backends_used_memory_human", human_bytes(backends));
  } else if (section == "keyspace") {
    // The database the proxy uses on every backend is its clients' db0.
    std::vector<BackendReport> reports;
    proxy.backends().reports(reports);
    std::vector<stats::KeyspaceFigures> parts;
    for (const BackendReport& r : reports) {
      if (r.figures_known) parts.push_back({r.keys, r.expires, r.avg_ttl_ms});
    }
    const stats::KeyspaceFigures total = stats::sum_keyspace(parts);
    // Like Redis, no line for an empty database.
    if (total.keys > 0) out.append(stats::keyspace_line(0, total)).append("\r\n");
  } else if (section == "stats") {
    std::vector<BackendReport> reports;
    proxy.backends().reports(reports);
    uint64_t response_bytes = 0;
    for (const BackendReport& r : reports) response_bytes += r.response_bytes;
    num("instantaneous_ops_per_sec", instantaneous_ops());
    num("total_net_input_bytes", net_input_bytes);
    num("total_net_output_bytes", response_bytes);
    uint64_t errors = 0;
    for (const auto& [code, n] : proxy.dispatcher().context().error_counts.counts) errors += n;
    for (const auto& [code, n] : backend_errors_.counts) errors += n;
    num("total_error_replies", errors);
  } else if (section == "commandstats") {
    commands_.for_each_used(
        [&](uint32_t id, const stats::CommandCounters& c, const stats::LatencyHistogram*) {
          out.append(stats::commandstats_line(commands_.name(id), c)).append("\r\n");
        });
  } else if (section == "latencystats") {
    commands_.for_each_used(
        [&](uint32_t id, const stats::CommandCounters&, const stats::LatencyHistogram* latency) {
          if (latency == nullptr || latency->count() == 0) return;
          out.append(stats::latencystats_line(commands_.name(id), *latency)).append("\r\n");
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
