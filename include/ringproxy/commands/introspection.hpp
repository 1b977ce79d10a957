// What the local commands INFO, CLIENT LIST, CONFIG GET and PROXY NODES need
// to know of the whole proxy (clients, backends, health, counters), which the
// command handlers do not own. The proxy implements it; the commands format
// what it reports.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ringproxy/commands/ring_view.hpp"

namespace ringproxy {

class Session;

// Process-wide facts and counters for INFO (the command counters are the
// commands' own: RequestCounters).
struct ProxyFacts {
  uint16_t tcp_port = 0;
  uint64_t uptime_s = 0;
  uint64_t connected_clients = 0;
  uint64_t max_clients = 0;
  uint64_t connections_received = 0;
  uint64_t connections_rejected = 0;
  uint64_t protocol_errors = 0;
  uint64_t output_limit_disconnections = 0;
  std::string_view hash;
  std::string_view hash_tag;
  std::string_view distribution;
  uint64_t output_pool_buffers = 0;
  uint64_t output_pool_bytes = 0;
  uint64_t output_pool_reuses = 0;
  uint64_t failover_copies_deleted = 0;
  uint64_t failover_keys_untracked = 0;
  // With --etcd, the membership's etcd client state as INFO lines
  // (etcd_connected, etcd_retries, etcd_last_error, ...); empty without.
  std::vector<std::pair<std::string, std::string>> membership;
};

// One backend as PROXY NODES and INFO's backendN lines show it.
struct BackendReport {
  BackendId id = kNoBackend;
  std::string address;  // host:port
  std::string name;     // empty when it has none
  std::string_view state;
  uint32_t weight = 0;
  uint32_t points = 0;
  uint64_t connections = 0;
  uint64_t requests = 0;
  uint64_t request_bytes = 0;
  uint64_t responses = 0;
  uint64_t response_bytes = 0;
  uint64_t errors = 0;
  uint64_t timeouts = 0;
  uint64_t stalls = 0;       // connections closed as stalled (--stall-timeout-ms)
  uint64_t out_of_step = 0;  // connections closed for a reply that cannot answer its request
  uint64_t ejections = 0;
  uint64_t restarts = 0;  // restarts seen (INFO server's run_id changed)
  uint64_t inflight = 0;
  uint64_t failover_keys = 0;
  uint64_t since_change_ms = 0;
  // What it last said of itself (INFO memory and keyspace, asked every
  // --stats-interval while it is up); none while it is not up or when it
  // refuses INFO. `keys`, `expires` and `avg_ttl_ms` are those of the
  // database the proxy uses (--backend-db).
  bool figures_known = false;
  uint64_t keys = 0;
  uint64_t expires = 0;
  uint64_t avg_ttl_ms = 0;
  uint64_t used_memory = 0;
  uint64_t figures_age_ms = 0;  // since it answered
  std::string last_error;
};

// Where a key goes, for PROXY WHERE.
struct KeyPlacement {
  uint32_t point = 0;            // the key's position on the ring: its hash, hash tag applied
  BackendId home = kNoBackend;   // its backend when every backend is up
  BackendId owner = kNoBackend;  // the live backend serving it now
};

// One SLOWLOG entry: Redis's six fields, and the backends that answered (for
// PROXY SLOWLOG).
struct SlowlogEntry {
  uint64_t id = 0;
  uint64_t unix_s = 0;
  uint64_t duration_us = 0;
  std::vector<std::string> args;
  std::string client_addr;
  std::string client_name;
  std::string backend;  // host:port, comma-separated when split; empty when answered locally
};

// One hot key of the last complete window (or the current one before that).
struct HotKeyEntry {
  std::string key;
  std::string backend;    // host:port it was routed to
  uint64_t requests = 0;  // estimated, in the window
  uint64_t error = 0;     // the estimate may exceed the count by this much
};

class ProxyIntrospection {
 public:
  virtual ~ProxyIntrospection() = default;

  virtual uint64_t now_ms() const = 0;
  virtual void facts(ProxyFacts& out) const = 0;
  // Every backend, in ascending id order.
  virtual void backends(std::vector<BackendReport>& out) const = 0;
  // Every connected client.
  virtual void for_each_session(const std::function<void(const Session&)>& fn) const = 0;
  // CONFIG GET: the parameters matching any of the glob `patterns`, each
  // once, as (name, value) pairs.
  virtual void config_get(std::span<const std::string_view> patterns,
                          std::vector<std::pair<std::string, std::string>>& out) const = 0;
  // CLIENT KILL: closes client `id` (not the caller's own: it closes after its
  // reply). False when no such client is connected.
  virtual bool kill_client(uint64_t id) = 0;
  // PROXY WHERE.
  virtual void place(std::string_view key, KeyPlacement& out) const = 0;

  // Metrics (proxy/'s): INFO's Memory, Keyspace, Commandstats, Latencystats,
  // Errorstats and the rest of Stats. Appends the `key:value\r\n` lines of
  // `section` (lower case) to `out`; nothing for a section it does not know.
  virtual void info_section(std::string_view /*section*/, std::string& /*out*/) const {}
  // SLOWLOG: the newest `count` entries (all for count < 0), newest first.
  virtual void slowlog(int64_t /*count*/, std::vector<SlowlogEntry>& /*out*/) const {}
  virtual uint64_t slowlog_len() const { return 0; }
  virtual void slowlog_reset() {}
  // PROXY HOTKEYS: the `count` hottest keys, hottest first.
  virtual void hot_keys(size_t /*count*/, std::vector<HotKeyEntry>& /*out*/) const {}
};

}  // namespace ringproxy
