// ringproxy's configuration as typed values. What each field means, its
// default, its bounds and where it may be given are declared once, in the
// option table (option_table.hpp / option_table.cpp); the command line, the
// config file, the environment, --help, README's option table,
// conf/ringproxy.conf and CONFIG GET all come from there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "ringproxy/placement/backend_spec.hpp"
#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"

namespace ringproxy {

// A bad option, value or file. what() is one line naming the option and value
// (and, for a config file, the file and line).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class OnUnavailable : uint8_t { kError, kMiss };
enum class RejoinPolicy : uint8_t { kFlush, kKeep };

// The fields, without defaults: each is set by exactly one option of the
// option table (listen sets two), which holds its default. Kept an aggregate
// so that a unit test can count the fields against the table.
struct ConfigFields {
  // Where the options came from (command line only; a reload re-reads them).
  std::string config_file;
  std::string twemproxy_config;
  std::string twemproxy_pool;

  // Network
  std::string listen_host;
  uint16_t listen_port;
  int backlog;
  size_t max_clients;

  // Placement
  std::vector<BackendSpec> backends;
  HashKind hash;
  std::string hash_tag;  // "" or exactly two characters
  DistributionKind distribution;

  // Protocol limits (per client)
  size_t max_bulk_len;
  size_t max_args;
  size_t max_inline_len;
  size_t query_buffer_limit;
  size_t client_output_limit;  // stop reading from a client past this
  // Close a client whose output (pending plus replies stored for it) passes
  // this; 0 = client_output_limit + max_bulk_len (effective_output_hard_limit).
  size_t client_output_hard_limit;
  size_t max_pipeline;        // requests in flight per client before reading pauses
  size_t output_buffer_pool;  // small written output buffers kept for reuse

  // Backends
  uint32_t backend_connections;
  int connect_timeout_ms;
  int timeout_ms;        // per forwarded request; 0 = no timeout
  int stall_timeout_ms;  // silence while only @fast commands are in flight; 0 = none
  bool preconnect;
  std::string backend_password;  // sent as AUTH on every new backend connection
  int backend_db;                // sent as SELECT on every new backend connection
  std::string client_password;   // clients must AUTH with it (twemproxy redis_auth)

  // Health checks and failover
  int health_interval_ms;
  int health_timeout_ms;
  int failure_limit;
  int rise;
  bool auto_eject;
  OnUnavailable on_unavailable;
  RejoinPolicy rejoin;
  size_t failover_key_log;  // keys remembered per down backend for cleanup

  // Live ring
  std::string admin_password;    // PROXY ADD/REMOVE/WEIGHT need AUTH with it
  bool admin_allow_remote;       // without a password, not only loopback clients
  uint32_t cleanup_rate;         // keys scanned per second per backend with stale ranges
  uint32_t cleanup_batch;        // SCAN COUNT
  size_t ring_build_inline_max;  // bigger ring changes are built off the loop
  uint32_t migration_window_s;   // after a membership change; 0: none

  // Cluster (etcd)
  std::string etcd;         // "URL[,URL...]"; "" = membership from the configuration
  std::string etcd_prefix;  // "" = /ringproxy/<pool name>
  std::string pool_name;    // "" = the twemproxy pool's name, else "ringproxy"
  std::string etcd_user;    // etcd authentication; "" = none
  std::string etcd_password;
  std::string etcd_ca_file;    // TLS: CA that signed etcd's certificates
  std::string etcd_cert_file;  // TLS client certificate and key (etcd --client-cert-auth)
  std::string etcd_key_file;

  // Logging
  std::string log_level;  // error | warn | info | debug
  std::string log_file;   // empty: stderr
  std::string pid_file;   // empty: none
  bool daemonize;
  int shutdown_timeout_ms;  // SIGTERM/SIGINT: the longest wait for requests in flight

  // Stats and metrics
  uint16_t stats_port;  // twemproxy's JSON on connect; 0 = off
  std::string stats_addr;
  int stats_interval_ms;  // snapshot period of both exporters
  uint16_t metrics_port;  // Prometheus GET /metrics; 0 = off
  std::string metrics_addr;
  int64_t slowlog_log_slower_than;  // µs; -1 = off, 0 = every request
  size_t slowlog_max_len;
  uint32_t latency_sample;      // one reply in this many feeds the latency histograms
  uint32_t hot_key_sample;      // one request in this many is sampled for hot keys
  int hot_window_ms;            // hot keys and per-backend rates are over this window
  uint32_t hot_shard_multiple;  // a backend is hot past this multiple of its share
};

// Every field at the default its option declares.
struct Config : ConfigFields {
  Config();
};

// What the command line asked for.
struct CommandLine {
  Config config;
  bool help = false;          // --help: help_text() was requested
  bool version = false;       // --version
  bool check_config = false;  // --check-config: print the resolved config and exit
  std::string help_options;   // --help-options=FORMAT: "markdown" or "conf"
  // One line each, for the log once its level is set: removed options that
  // were given, passwords given where `ps` shows them, memcached pools
  // skipped, ...
  std::vector<std::string> warnings;
  // --twemproxy-config with a file of several pools and no --pool: the
  // names of its redis pools in file order (memcached pools are skipped with
  // a warning; none left is a ConfigError). `config` is then the first
  // one's; each pool's own configuration is the command line with
  // `--pool NAME` added (pool_set.hpp). Empty otherwise.
  std::vector<std::string> pools;
};

// The pool's name: --pool-name, else the twemproxy pool's, else "ringproxy".
inline std::string effective_pool_name(const ConfigFields& c) {
  if (!c.pool_name.empty()) return c.pool_name;
  if (!c.twemproxy_pool.empty()) return c.twemproxy_pool;
  return "ringproxy";
}

// Parses argv, the files it names (--config, --twemproxy-config) and the
// environment variables of the options that have one (passwords). Precedence,
// lowest first: defaults, the twemproxy pool, the config file, the
// environment, the command line. Throws ConfigError.
// --client-output-hard-limit as given, or by default the backpressure
// threshold plus one reply of the largest value a client can store: a client
// that stops sending when it is no longer read is never owed more than that.
inline size_t effective_output_hard_limit(const Config& c) {
  return c.client_output_hard_limit != 0 ? c.client_output_hard_limit
                                         : c.client_output_limit + c.max_bulk_len;
}

CommandLine parse_command_line(int argc, const char* const* argv);
// The same for a command line kept as strings (a reload parses it again).
CommandLine parse_command_line(const std::vector<std::string>& args);
std::string help_text();

// Applies the `name = value` lines of a config file's text (what --config FILE
// holds) onto `config`; `source` names the file in errors. Throws ConfigError.
// Does not validate(): the command line may still complete the config.
void apply_config_text(const std::string& text, const std::string& source, Config& config);

// Validation shared by every source (backends present, unique ring names, tag
// length, limits > 0 ...). Throws ConfigError.
void validate(const Config& config);

// Reads a twemproxy (nutcracker) YAML file and maps pool `pool` (or the only
// pool if empty) onto `config`, with twemproxy's defaults for missing keys.
// Throws ConfigError for unknown keys or bad values.
void load_twemproxy_config(const std::string& path, const std::string& pool, Config& config);
// A pool of a twemproxy file: its name and whether it is a redis pool
// (`redis: true`; false or absent is memcached).
struct TwemproxyPool {
  std::string name;
  bool redis = false;
};
// The pools of a twemproxy file in file order, with the same checks of the
// whole file load_twemproxy_config makes. Throws ConfigError.
std::vector<TwemproxyPool> list_twemproxy_pools(const std::string& path);
// The same for a file's text already in memory; `path` names it in errors.
// Files over 256 KiB and collections nested more than 8 deep are ConfigErrors
// (before yaml-cpp builds the document).
void load_twemproxy_config_text(const std::string& text, const std::string& path,
                                const std::string& pool, Config& config);

}  // namespace ringproxy
