// Prometheus families from a snapshot; see prometheus_collector.hpp.
#include "ringproxy/stats/prometheus_collector.hpp"

#include <cstdio>
#include <utility>

namespace ringproxy::stats {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void add_value(MetricFamily& f, Labels labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

void add_histogram(MetricFamily& f, Labels labels, const LatencySummary& s) {
  ClientMetric m;
  m.label = std::move(labels);
  m.histogram.sample_count = s.count;
  m.histogram.sample_sum = static_cast<double>(s.sum_ns) / 1e9;
  for (size_t i = 0; i < s.cumulative.size(); ++i) {
    m.histogram.bucket.push_back({s.cumulative[i], LatencyHistogram::prometheus_bound_seconds(i)});
  }
  // The serializer adds the +Inf bucket (the sample count).
  f.metric.push_back(std::move(m));
}

void keep(std::vector<MetricFamily>& out, MetricFamily f) {
  if (!f.metric.empty()) out.push_back(std::move(f));
}

double num(uint64_t v) {
  return static_cast<double>(v);
}

struct PoolField {
  const char* name;
  const char* help;
  MetricType type;
  double (*get)(const PoolSnapshot&);
};

const PoolField kPoolFields[] = {
    {"ringproxy_pool_client_connections", "Client connections open on the pool's listener.",
     MetricType::Gauge, [](const PoolSnapshot& p) { return num(p.client_connections); }},
    {"ringproxy_pool_client_eof_total", "Client connections closed by the client.",
     MetricType::Counter, [](const PoolSnapshot& p) { return num(p.counters.client_eof); }},
    {"ringproxy_pool_client_errors_total", "Client connections closed on an error.",
     MetricType::Counter, [](const PoolSnapshot& p) { return num(p.counters.client_err); }},
    {"ringproxy_pool_forward_errors_total",
     "Requests failed because their backend could not take them.", MetricType::Counter,
     [](const PoolSnapshot& p) { return num(p.counters.forward_error); }},
    {"ringproxy_pool_fragments_total", "Sub-requests made by splitting multi-key requests.",
     MetricType::Counter, [](const PoolSnapshot& p) { return num(p.counters.fragments); }},
    {"ringproxy_pool_backend_ejections_total", "Times a backend of the pool was ejected.",
     MetricType::Counter, [](const PoolSnapshot& p) { return num(p.counters.server_ejects); }},
    {"ringproxy_ring_version", "Version of the pool's ring; changes whenever it is rebuilt.",
     MetricType::Gauge, [](const PoolSnapshot& p) { return num(p.ring_version); }},
};

struct BackendField {
  const char* name;
  const char* help;
  MetricType type;
  double (*get)(const BackendSnapshot&);
};

const BackendField kBackendFields[] = {
    {"ringproxy_backend_up", "1 while the backend takes traffic, 0 while it is ejected.",
     MetricType::Gauge, [](const BackendSnapshot& b) { return b.up ? 1.0 : 0.0; }},
    {"ringproxy_backend_requests_total", "Requests (fragments) sent to the backend.",
     MetricType::Counter, [](const BackendSnapshot& b) { return num(b.counters.requests); }},
    {"ringproxy_backend_request_bytes_total", "Request bytes sent to the backend.",
     MetricType::Counter, [](const BackendSnapshot& b) { return num(b.counters.request_bytes); }},
    {"ringproxy_backend_responses_total", "Replies received from the backend.", MetricType::Counter,
     [](const BackendSnapshot& b) { return num(b.counters.responses); }},
    {"ringproxy_backend_response_bytes_total", "Reply bytes received from the backend.",
     MetricType::Counter, [](const BackendSnapshot& b) { return num(b.counters.response_bytes); }},
    {"ringproxy_backend_eof_total", "Backend connections closed by the backend.",
     MetricType::Counter, [](const BackendSnapshot& b) { return num(b.counters.server_eof); }},
    {"ringproxy_backend_errors_total", "Backend connection errors.", MetricType::Counter,
     [](const BackendSnapshot& b) { return num(b.counters.server_err); }},
    {"ringproxy_backend_timeouts_total", "Requests to the backend that timed out.",
     MetricType::Counter, [](const BackendSnapshot& b) { return num(b.counters.server_timedout); }},
    {"ringproxy_backend_ejections_total", "Times the backend was ejected.", MetricType::Counter,
     [](const BackendSnapshot& b) { return num(b.ejections); }},
    {"ringproxy_backend_restarts_total", "Restarts of the backend seen (a new run_id).",
     MetricType::Counter, [](const BackendSnapshot& b) { return num(b.restarts); }},
    {"ringproxy_backend_last_ejection_timestamp_seconds",
     "When the backend was last ejected (seconds since the epoch, 0: never).", MetricType::Gauge,
     [](const BackendSnapshot& b) { return num(b.gauges.server_ejected_at_us) / 1e6; }},
    {"ringproxy_backend_connections", "Connections open to the backend.", MetricType::Gauge,
     [](const BackendSnapshot& b) { return num(b.gauges.server_connections); }},
    {"ringproxy_backend_in_queue_requests", "Requests waiting to be written to the backend.",
     MetricType::Gauge, [](const BackendSnapshot& b) { return num(b.gauges.in_queue); }},
    {"ringproxy_backend_in_queue_bytes", "Bytes waiting to be written to the backend.",
     MetricType::Gauge, [](const BackendSnapshot& b) { return num(b.gauges.in_queue_bytes); }},
    {"ringproxy_backend_out_queue_requests", "Requests written, waiting for their reply.",
     MetricType::Gauge, [](const BackendSnapshot& b) { return num(b.gauges.out_queue); }},
    {"ringproxy_backend_out_queue_bytes", "Bytes of the requests waiting for their reply.",
     MetricType::Gauge, [](const BackendSnapshot& b) { return num(b.gauges.out_queue_bytes); }},
    {"ringproxy_backend_request_rate",
     "Requests per second sent to the backend over the hot-shard window.", MetricType::Gauge,
     [](const BackendSnapshot& b) { return b.request_rate; }},
    {"ringproxy_backend_hot",
     "1 when the backend takes more than the hot-shard multiple of its share of requests.",
     MetricType::Gauge, [](const BackendSnapshot& b) { return b.hot ? 1.0 : 0.0; }},
};

// From the backend's own INFO (memory, keyspace), asked every --stats-interval.
const BackendField kBackendFigures[] = {
    {"ringproxy_backend_keys", "Keys in the backend's database the proxy uses (its INFO keyspace).",
     MetricType::Gauge, [](const BackendSnapshot& b) { return num(b.keys); }},
    {"ringproxy_backend_expiring_keys",
     "Keys with an expiry in the backend's database the proxy uses (its INFO keyspace).",
     MetricType::Gauge, [](const BackendSnapshot& b) { return num(b.expires); }},
    {"ringproxy_backend_used_memory_bytes", "The backend's used_memory (its INFO memory).",
     MetricType::Gauge, [](const BackendSnapshot& b) { return num(b.used_memory); }},
};

struct CommandField {
  const char* name;
  const char* help;
  uint64_t CommandCounters::*field;
};

const CommandField kCommandFields[] = {
    {"ringproxy_command_calls_total", "Commands executed (answered), failed ones included.",
     &CommandCounters::calls},
    {"ringproxy_command_failed_calls_total", "Commands executed that answered an error.",
     &CommandCounters::failed_calls},
    {"ringproxy_command_rejected_calls_total", "Commands refused before execution.",
     &CommandCounters::rejected_calls},
};

void add_process(std::vector<MetricFamily>& out, const StatsSnapshot& s, const ProcessSample& p) {
  MetricFamily info = family("ringproxy_build_info", "ringproxy's version.", MetricType::Gauge);
  add_value(info, {{"version", printable_label(s.version)}}, 1.0);
  keep(out, std::move(info));
  std::pair<MetricFamily, double> plain[] = {
      {family("process_start_time_seconds", "Start time of the process since the epoch.",
              MetricType::Gauge),
       num(s.start_time_ms) / 1000.0},
      {family("process_resident_memory_bytes", "Resident memory size.", MetricType::Gauge),
       num(p.rss_bytes)},
      {family("process_virtual_memory_bytes", "Virtual memory size.", MetricType::Gauge),
       num(p.virtual_bytes)},
      {family("process_cpu_seconds_total", "User and system CPU time.", MetricType::Counter),
       p.cpu_seconds},
      {family("process_open_fds", "Open file descriptors.", MetricType::Gauge), num(p.open_fds)},
      {family("process_max_fds", "Most open file descriptors allowed.", MetricType::Gauge),
       num(p.max_fds)},
      {family("ringproxy_connections_received_total", "Client connections accepted.",
              MetricType::Counter),
       num(s.proxy.total_connections)},
      {family("ringproxy_client_connections", "Client connections open.", MetricType::Gauge),
       num(s.curr_connections)},
  };
  for (auto& [f, v] : plain) {
    add_value(f, {}, v);
    keep(out, std::move(f));
  }
}

void add_pools(std::vector<MetricFamily>& out, const StatsSnapshot& s) {
  for (const PoolField& field : kPoolFields) {
    MetricFamily f = family(field.name, field.help, field.type);
    for (const PoolSnapshot& p : s.pools)
      add_value(f, {{"pool", printable_label(p.name)}}, field.get(p));
    keep(out, std::move(f));
  }
  MetricFamily hot =
      family("ringproxy_hot_key_requests",
             "Estimated requests for each hot key in the last window.", MetricType::Gauge);
  for (const PoolSnapshot& p : s.pools) {
    for (const HotKey& k : p.hot_keys.keys) {
      std::string backend = k.backend < p.backends.size() ? p.backends[k.backend].name : "";
      add_value(hot,
                {{"pool", printable_label(p.name)},
                 {"key", printable_label(k.key)},
                 {"backend", printable_label(backend)}},
                num(k.requests));
    }
  }
  keep(out, std::move(hot));
}

void add_backends(std::vector<MetricFamily>& out, const StatsSnapshot& s) {
  auto labels = [](const PoolSnapshot& p, const BackendSnapshot& b) {
    return Labels{{"pool", printable_label(p.name)},
                  {"backend", printable_label(b.name)},
                  {"addr", printable_label(b.address)}};
  };
  for (const BackendField& field : kBackendFields) {
    MetricFamily f = family(field.name, field.help, field.type);
    for (const PoolSnapshot& p : s.pools) {
      for (const BackendSnapshot& b : p.backends) add_value(f, labels(p, b), field.get(b));
    }
    keep(out, std::move(f));
  }
  // What each backend last said of itself: only those with figures have a
  // sample (no figures is no sample, not zero).
  for (const BackendField& field : kBackendFigures) {
    MetricFamily f = family(field.name, field.help, field.type);
    for (const PoolSnapshot& p : s.pools) {
      for (const BackendSnapshot& b : p.backends) {
        if (b.figures_known) add_value(f, labels(p, b), field.get(b));
      }
    }
    keep(out, std::move(f));
  }
  MetricFamily latency = family("ringproxy_backend_request_duration_seconds",
                                "Time from writing a request to the backend to reading its reply.",
                                MetricType::Histogram);
  for (const PoolSnapshot& p : s.pools) {
    for (const BackendSnapshot& b : p.backends) add_histogram(latency, labels(p, b), b.latency);
  }
  keep(out, std::move(latency));
}

Labels command_labels(const CommandSnapshot& c) {
  if (c.pool.empty()) return {{"cmd", printable_label(c.name)}};
  return {{"pool", printable_label(c.pool)}, {"cmd", printable_label(c.name)}};
}

void add_commands(std::vector<MetricFamily>& out, const StatsSnapshot& s) {
  for (const CommandField& field : kCommandFields) {
    MetricFamily f = family(field.name, field.help, MetricType::Counter);
    for (const CommandSnapshot& c : s.commands) {
      add_value(f, command_labels(c), num(c.counters.*field.field));
    }
    keep(out, std::move(f));
  }
  MetricFamily latency =
      family("ringproxy_command_duration_seconds",
             "Time from parsing a request to queueing its reply.", MetricType::Histogram);
  for (const CommandSnapshot& c : s.commands) add_histogram(latency, command_labels(c), c.latency);
  keep(out, std::move(latency));
}

}  // namespace

std::string printable_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\x%02x", c);
      out.append(esc);
    }
  }
  return out;
}

std::vector<MetricFamily> prometheus_families(const StatsSnapshot& snapshot,
                                              const ProcessSample& process) {
  std::vector<MetricFamily> out;
  add_process(out, snapshot, process);
  add_pools(out, snapshot);
  add_backends(out, snapshot);
  add_commands(out, snapshot);
  return out;
}

std::vector<MetricFamily> PrometheusCollector::Collect() const {
  std::shared_ptr<const StatsSnapshot> latest = slot_->latest();
  ProcessSample process = read_process_sample();
  if (!latest) {
    StatsSnapshot empty;
    return prometheus_families(empty, process);
  }
  return prometheus_families(*latest, process);
}

}  // namespace ringproxy::stats
