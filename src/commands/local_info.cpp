// INFO and PROXY NODES: the proxy's state as Redis clients and operators read
// it. The facts come from the proxy (ProxyIntrospection), the command
// counters from the commands' own RequestCounters; this file only formats them.
// ioredis waits for INFO's loading:0 before it sends anything.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/local.hpp"
#include "ringproxy/commands/ring_admin.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {

// INFO values are `key:value` lines with comma-separated fields: keep error
// texts from breaking that shape.
std::string sanitize(std::string_view s) {
  std::string r(s);
  for (char& ch : r) {
    if (ch == ',' || ch == '\r' || ch == '\n' || ch == ':') ch = ' ';
  }
  return r;
}

// A value that may hold ':' (a URL) but never a line break.
std::string one_line(std::string_view s) {
  std::string r(s);
  for (char& ch : r) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  return r;
}

// One backend as key=value fields separated by `sep`: the same fields, in the
// same order, for PROXY NODES (' ') and INFO's backendN lines (',').
std::string backend_line(const BackendReport& b, char sep) {
  std::string line;
  auto field = [&](std::string_view key, std::string_view value) {
    if (!line.empty()) line.push_back(sep);
    line.append(key).append("=").append(value.empty() ? std::string_view("-") : value);
  };
  auto num = [&](std::string_view key, uint64_t v) { field(key, std::to_string(v)); };
  field("addr", b.address);
  field("name", sanitize(b.name));
  field("state", b.state);
  num("weight", b.weight);
  num("points", b.points);
  num("connections", b.connections);
  num("requests", b.requests);
  num("errors", b.errors);
  num("timeouts", b.timeouts);
  num("out_of_step", b.out_of_step);
  num("ejections", b.ejections);
  num("restarts", b.restarts);
  num("inflight", b.inflight);
  num("failover_keys", b.failover_keys);
  num("last_change_ms", b.since_change_ms);
  // What it last said of itself: "-" while it has no figures (not up, INFO
  // refused, not asked yet).
  auto figure = [&](std::string_view key, uint64_t v) {
    field(key, b.figures_known ? std::to_string(v) : std::string());
  };
  figure("keys", b.keys);
  figure("expires", b.expires);
  figure("used_memory", b.used_memory);
  figure("figures_age_ms", b.figures_age_ms);
  field("last_error", sanitize(b.last_error));  // last: may contain spaces
  return line;
}

class InfoText {
 public:
  void section(std::string_view title) { text_.append("# ").append(title).append("\r\n"); }
  void end_section() { text_.append("\r\n"); }
  template <typename V>
  void kv(std::string_view key, const V& value) {
    text_.append(key).append(":");
    if constexpr (std::is_convertible_v<V, std::string_view>) {
      text_.append(std::string_view(value));
    } else {
      text_.append(std::to_string(value));
    }
    text_.append("\r\n");
  }
  void raw(std::string_view lines) { text_.append(lines); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// The live ring's state (ring_admin.hpp), as PROXY RING gives it in full.
void ring_info(CommandContext& ctx, InfoText& t) {
  RingReport r;
  ctx.admin->ring_report(r);
  uint64_t dirty = 0, cleaned = 0;
  for (const RingMemberReport& m : r.members) {
    dirty += m.dirty_entries;
    cleaned += m.cleanup_keys_deleted;
  }
  t.kv("ring_version", r.version);
  t.kv("ring_source", sanitize(r.source));
  t.kv("ring_membership_from", sanitize(r.membership_from));
  t.kv("ring_differs_from_config", r.differs_from_config ? 1 : 0);
  t.kv("ring_draining_backends", r.draining);
  t.kv("migration_window_remaining_ms", r.window_remaining_ms);
  t.kv("ring_dirty_entries", dirty);
  t.kv("ring_stale_keys_deleted", cleaned);
}

// Sections as Redis 7 groups them: plain INFO (and INFO default) gives every
// section but commandstats and latencystats; INFO all and INFO everything
// give every section; other arguments name sections (several may be given).
constexpr std::string_view kNotDefault[] = {"commandstats", "latencystats"};

void info_command(CommandContext& ctx, const Call& call, Buffer& out) {
  std::vector<std::string> asked;
  for (size_t i = 1; i < call.argv.size(); ++i) asked.push_back(lower(call.argv[i]));
  if (asked.empty()) asked.emplace_back("default");
  auto want = [&](std::string_view name) {
    for (const std::string& a : asked) {
      if (a == "all" || a == "everything" || a == name) return true;
      if (a == "default" && std::find(std::begin(kNotDefault), std::end(kNotDefault), name) ==
                                std::end(kNotDefault)) {
        return true;
      }
      if (a == "proxy" && name == "ringproxy") return true;
    }
    return false;
  };
  // A section whose lines the proxy's metrics write (ProxyIntrospection).
  auto metrics_section = [&](InfoText& t, std::string_view title, std::string_view name) {
    t.section(title);
    std::string lines;
    ctx.proxy.info_section(name, lines);
    t.raw(lines);
    t.end_section();
  };
  ProxyFacts f;
  ctx.proxy.facts(f);
  const RequestCounters& st = ctx.counters;
  InfoText t;
  if (want("server")) {
    t.section("Server");
    t.kv("redis_version", kCompatVersion);
    t.kv("redis_mode", "standalone");
    t.kv("ringproxy_version", RINGPROXY_VERSION);
    t.kv("arch_bits", 64);
    t.kv("multiplexing_api", "libuv");
    t.kv("process_id", static_cast<int64_t>(getpid()));
    t.kv("tcp_port", f.tcp_port);
    t.kv("uptime_in_seconds", f.uptime_s);
    t.kv("uptime_in_days", f.uptime_s / 86400);
    t.end_section();
  }
  if (want("clients")) {
    t.section("Clients");
    t.kv("connected_clients", f.connected_clients);
    t.kv("maxclients", f.max_clients);
    t.kv("blocked_clients", 0);
    t.end_section();
  }
  if (want("memory")) metrics_section(t, "Memory", "memory");
  if (want("persistence")) {
    t.section("Persistence");
    t.kv("loading", 0);
    t.end_section();
  }
  if (want("stats")) {
    t.section("Stats");
    t.kv("total_connections_received", f.connections_received);
    t.kv("total_commands_processed", st.commands);
    std::string lines;
    ctx.proxy.info_section("stats", lines);
    t.raw(lines);
    t.kv("rejected_connections", f.connections_rejected);
    t.end_section();
  }
  if (want("replication")) {
    t.section("Replication");
    t.kv("role", "master");
    t.kv("connected_slaves", 0);
    t.end_section();
  }
  if (want("cpu")) {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto seconds = [](const timeval& tv) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%ld.%06ld", static_cast<long>(tv.tv_sec),
                    static_cast<long>(tv.tv_usec));
      return std::string(buf);
    };
    t.section("CPU");
    t.kv("used_cpu_sys", seconds(ru.ru_stime));
    t.kv("used_cpu_user", seconds(ru.ru_utime));
    t.end_section();
  }
  if (want("commandstats")) metrics_section(t, "Commandstats", "commandstats");
  if (want("errorstats")) metrics_section(t, "Errorstats", "errorstats");
  if (want("latencystats")) metrics_section(t, "Latencystats", "latencystats");
  // db0: the backends' figures, summed (ProxyIntrospection).
  if (want("keyspace")) metrics_section(t, "Keyspace", "keyspace");
  if (want("ringproxy")) {
    std::vector<BackendReport> backends;
    ctx.proxy.backends(backends);
    size_t live = 0;
    for (BackendId id : ctx.ring.members()) live += ctx.ring.live(id) ? 1 : 0;
    t.section("Ringproxy");
    t.kv("hash", f.hash);
    t.kv("hash_tag", f.hash_tag);
    t.kv("distribution", f.distribution);
    t.kv("backends", backends.size());
    t.kv("live_backends", live);
    t.kv("requests_forwarded", st.forwarded);
    t.kv("requests_split", st.split);
    t.kv("requests_fanout", st.fanout);
    t.kv("requests_local", st.local);
    t.kv("requests_in_flight", ctx.requests.in_use());
    t.kv("replies_moved", st.replies_moved);
    t.kv("output_pool_buffers", f.output_pool_buffers);
    t.kv("output_pool_bytes", f.output_pool_bytes);
    t.kv("output_pool_reuses", f.output_pool_reuses);
    t.kv("proxy_errors", st.errors);
    t.kv("protocol_errors", f.protocol_errors);
    t.kv("client_output_buffer_limit_disconnections", f.output_limit_disconnections);
    uint64_t out_of_step = 0;
    for (const BackendReport& b : backends) out_of_step += b.out_of_step;
    t.kv("backend_out_of_step", out_of_step);
    uint64_t stalls = 0;
    for (const BackendReport& b : backends) stalls += b.stalls;
    t.kv("backend_stalls", stalls);
    uint64_t restarts = 0;
    for (const BackendReport& b : backends) restarts += b.restarts;
    t.kv("backend_restarts", restarts);
    // The backends whose figures INFO Keyspace and backends_used_memory sum.
    uint64_t with_figures = 0;
    for (const BackendReport& b : backends) with_figures += b.figures_known ? 1 : 0;
    t.kv("backends_with_figures", with_figures);
    t.kv("cross_backend_rejected", st.cross_backend_rejected);
    t.kv("failover_writes", st.failover_writes);
    t.kv("writes_failed_in_flight", st.writes_failed_in_flight);
    t.kv("failover_copies_deleted", f.failover_copies_deleted);
    t.kv("failover_keys_untracked", f.failover_keys_untracked);
    t.kv("stale_reads", st.stale_reads);
    t.kv("window_reads", st.window_reads);
    t.kv("window_hits", st.window_hits);
    t.kv("window_invalidations", st.window_invalidations);
    if (ctx.admin != nullptr) ring_info(ctx, t);
    for (const auto& [name, value] : f.membership) t.kv(name, one_line(value));
    for (const BackendReport& b : backends) {
      t.kv("backend" + std::to_string(b.id), backend_line(b, ','));
    }
    t.end_section();
  }
  resp::bulk(out, t.text());
}

}  // namespace

// PROXY NODES: the proxy's view of its backends. The reply is an array with
// one bulk string per backend, in id order, of space-separated key=value
// fields, e.g.
//
//   addr=127.0.0.1:7001 name=cache-a state=down weight=1 points=160
//   connections=0 requests=1234 errors=17 timeouts=0 out_of_step=0 ejections=1
//   restarts=0 inflight=0 failover_keys=0 last_change_ms=5320 keys=- expires=-
//   used_memory=- figures_age_ms=- last_error=connection refused
//
// (one line per backend). `name` is "-" when the backend has none; `state` is
// up, failing, down or probing; `points` are its ring points (a down backend
// keeps them, they are skipped); `out_of_step` counts connections closed for
// a reply that could not answer their request; `ejections` counts transitions to down from
// up/failing; `restarts` counts restarts seen (a new run_id); `last_change_ms` is the time since
// the last state change; `keys`, `expires` (of the database the proxy uses),
// `used_memory` and `figures_age_ms` are what the backend last said of itself
// (INFO keyspace and memory, asked every --stats-interval while it is up) and
// how long ago, "-" when it has no figures (not up, or it refuses INFO);
// `last_error` is always the last field and runs to the end of the line (it
// may contain spaces; "-" when there was none). PROXY HELP lists this; the
// PROXY command itself is local_proxy.cpp's.
void proxy_nodes(CommandContext& ctx, const Call&, Buffer& out) {
  std::vector<BackendReport> backends;
  ctx.proxy.backends(backends);
  resp::array_header(out, static_cast<int64_t>(backends.size()));
  for (const BackendReport& b : backends) resp::bulk(out, backend_line(b, ' '));
}

namespace handlers {
constinit const LocalCommand info(&info_command);
}  // namespace handlers

}  // namespace ringproxy
