// ringproxy's configuration: every option, its default, and how it is read from
// the command line (Boost.Program_options), an INI-style config file
// (`name = value`, same names), or a twemproxy YAML pool.
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

// A bad option, value or file. what() is one line naming the option and value.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class OnUnavailable : uint8_t { kError, kMiss };
enum class RejoinPolicy : uint8_t { kFlush, kKeep };

struct Config {
  // Network
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 6380;
  int backlog = 511;
  size_t max_clients = 10000;
  // sched_yield() after a flush pass that wrote (see FlushScheduler).
  bool yield_after_flush = true;
  // Busy-poll window while the loop is busy, microseconds; 0 = never poll.
  int busy_poll_us = 0;
  // Sleep between busy passes (EventCoalescer): window in microseconds (0 =
  // off) and the clients that must be active at once.
  int coalesce_us = 20;
  int coalesce_min_clients = 32;

  // Placement
  std::vector<BackendSpec> backends;
  HashKind hash = HashKind::kMurmur;
  std::string hash_tag;  // "" or exactly two characters
  DistributionKind distribution = DistributionKind::kKetama;

  // Protocol limits (per client)
  size_t max_bulk_len = 512ull * 1024 * 1024;
  size_t max_args = 1024 * 1024;
  size_t max_inline_len = 64 * 1024;
  size_t query_buffer_limit = 1024ull * 1024 * 1024;
  size_t client_output_limit = 256ull * 1024 * 1024;  // stop reading from a client past this
  size_t max_pipeline = 10000;  // requests in flight per client before reading pauses
  // Small client output buffers kept for reuse once written (BufferPool).
  size_t output_buffer_pool = 1024;

  // Backends
  uint32_t backend_connections = 1;
  int connect_timeout_ms = 1000;
  int timeout_ms = 5000;  // per forwarded request; 0 = no timeout
  bool preconnect = true;
  std::string backend_password;  // sent as AUTH on every new backend connection
  int backend_db = 0;            // sent as SELECT on every new backend connection
  std::string client_password;   // clients must AUTH with it (twemproxy redis_auth)

  // Health checks and failover
  int health_interval_ms = 1000;
  int health_timeout_ms = 1000;
  int failure_limit = 3;
  int rise = 2;
  bool auto_eject = true;
  OnUnavailable on_unavailable = OnUnavailable::kError;
  RejoinPolicy rejoin = RejoinPolicy::kFlush;
  size_t failover_key_log = 100000;  // keys remembered per down backend for cleanup

  // Logging
  std::string log_level = "info";  // error | warn | info | debug
};

// What the command line asked for.
struct CommandLine {
  Config config;
  bool help = false;     // --help: help_text() was requested
  bool version = false;  // --version
};

// Parses argv (and --config / --twemproxy-config files). Throws ConfigError.
CommandLine parse_command_line(int argc, const char* const* argv);
std::string help_text();

// Validation shared by every source (backends present, unique ring names, tag
// length, limits > 0 ...). Throws ConfigError.
void validate(const Config& config);

// Reads a twemproxy (nutcracker) YAML file and maps pool `pool` (or the only
// pool if empty) onto `config`, with twemproxy's defaults for missing keys.
// Throws ConfigError for unknown keys or bad values.
void load_twemproxy_config(const std::string& path, const std::string& pool, Config& config);

}  // namespace ringproxy
