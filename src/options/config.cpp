// Options: one name each, the same on the command line and in a config file
// (`name = value`). Precedence, lowest first: built-in defaults, a twemproxy
// YAML pool (--twemproxy-config), the config file (--config), the command line.
//
// Numbers are read as signed 64-bit and range-checked here, because
// Boost's unsigned parsing silently wraps "-1". Sizes accept Redis-style
// suffixes (kb, mb, gb). Every error is one line naming the option and value.
#include "ringproxy/options/config.hpp"

#include <boost/program_options.hpp>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "ringproxy/common/log.hpp"

namespace po = boost::program_options;

namespace ringproxy {

namespace {

[[noreturn]] void bad(std::string_view option, std::string_view value, std::string_view why) {
  throw ConfigError("invalid value '" + std::string(value) + "' for option '--" +
                    std::string(option) + "': " + std::string(why));
}

int64_t parse_int(std::string_view option, const std::string& value, int64_t min, int64_t max) {
  int64_t v = 0;
  auto r = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || r.ec != std::errc() || r.ptr != value.data() + value.size()) {
    bad(option, value, "not an integer");
  }
  if (v < min || v > max) {
    bad(option, value, "out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

size_t parse_size(std::string_view option, const std::string& value) {
  std::string digits = value;
  uint64_t mult = 1;
  std::string lower;
  for (char c : value)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  struct Suffix {
    const char* s;
    uint64_t m;
  };
  for (Suffix sfx : {Suffix{"gb", 1ull << 30}, Suffix{"mb", 1ull << 20}, Suffix{"kb", 1ull << 10},
                     Suffix{"g", 1ull << 30}, Suffix{"m", 1ull << 20}, Suffix{"k", 1ull << 10},
                     Suffix{"b", 1}}) {
    size_t n = std::strlen(sfx.s);
    if (lower.size() > n && lower.compare(lower.size() - n, n, sfx.s) == 0) {
      digits = value.substr(0, value.size() - n);
      mult = sfx.m;
      break;
    }
  }
  int64_t v = parse_int(option, digits, 1, INT64_MAX / static_cast<int64_t>(mult));
  (void)v;
  return static_cast<size_t>(v) * mult;
}

bool parse_bool(std::string_view option, const std::string& value) {
  if (value == "true" || value == "yes" || value == "1" || value == "on") return true;
  if (value == "false" || value == "no" || value == "0" || value == "off") return false;
  bad(option, value, "expected true or false");
}

void parse_listen(const std::string& value, Config& c) {
  std::string host;
  std::string port;
  if (!value.empty() && value[0] == '[') {
    size_t close = value.find(']');
    if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':') {
      bad("listen", value, "expected HOST:PORT or [IPV6]:PORT");
    }
    host = value.substr(1, close - 1);
    port = value.substr(close + 2);
  } else {
    size_t colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0) bad("listen", value, "expected HOST:PORT");
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
  }
  c.listen_host = host;
  c.listen_port = static_cast<uint16_t>(parse_int("listen", port, 1, 65535));
}

po::options_description describe() {
  po::options_description general("General");
  general.add_options()("help,h", "print this help and exit")(
      "version,v", "print the version and exit")("config,c", po::value<std::string>(),
                                                 "read options from FILE (`name = value` lines)")(
      "twemproxy-config", po::value<std::string>(),
      "run a pool of a twemproxy (nutcracker) YAML file as written")(
      "pool", po::value<std::string>(),
      "pool of --twemproxy-config to run (default: the only one)")(
      "log-level", po::value<std::string>(), "error | warn | info | debug (default info)");
  po::options_description net("Network and placement");
  net.add_options()("listen,l", po::value<std::string>(),
                    "HOST:PORT to accept clients on (default 127.0.0.1:6380)")(
      "backend,b", po::value<std::vector<std::string>>(),
      "a Redis backend, twemproxy's server string \"HOST:PORT[:WEIGHT] [NAME]\"; repeat for each")(
      "hash", po::value<std::string>(),
      "key hash: fnv1a_64 fnv1a_32 fnv1_64 fnv1_32 md5 murmur one_at_a_time crc16 crc32 crc32a "
      "hsieh jenkins (default murmur; twemproxy's default is fnv1a_64)")(
      "hash-tag", po::value<std::string>(),
      "two characters delimiting the hashed part of a key, e.g. {}")(
      "distribution", po::value<std::string>(),
      "ketama | modula | rendezvous | jump | maglev (default ketama)")(
      "backlog", po::value<std::string>(), "listen backlog (default 511)")(
      "max-clients", po::value<std::string>(),
      "client connections accepted at once (default 10000)")(
      "yield-after-flush", po::value<std::string>(),
      "give the CPU to the clients and backends just written to before polling again "
      "(default true)")(
      "busy-poll-us", po::value<std::string>(),
      "while busy, poll without sleeping until this many microseconds pass with nothing to "
      "write; 0 = off (default 0)")(
      "coalesce-us", po::value<std::string>(),
      "while at least --coalesce-min-clients clients are active at once, try sleeping this "
      "many microseconds after each loop pass that wrote, so arriving messages are read "
      "together; a probe every 2 s drops it where staying awake receives 3% more requests; "
      "0 = off (default 20)")(
      "coalesce-min-clients", po::value<std::string>(),
      "clients that must have sent something within a millisecond for that sleep; 0 = always "
      "(default 32)");
  po::options_description limits("Limits");
  limits.add_options()("max-bulk-len", po::value<std::string>(),
                       "largest bulk argument, e.g. 512mb (default 512mb)")(
      "max-args", po::value<std::string>(), "arguments per command (default 1048576)")(
      "max-inline-len", po::value<std::string>(), "longest inline command line (default 64kb)")(
      "query-buffer-limit", po::value<std::string>(), "unparsed input per client (default 1gb)")(
      "client-output-limit", po::value<std::string>(),
      "unsent output per client before it stops being read (default 256mb)")(
      "max-pipeline", po::value<std::string>(),
      "requests in flight per client before it stops being read (default 10000)")(
      "output-buffer-pool", po::value<std::string>(),
      "small client output buffers (up to 1 KiB each) kept for reuse once written, so busy "
      "clients allocate nothing per request; 0 = free each once written (default 1024)");
  po::options_description backend("Backends");
  backend.add_options()("backend-connections", po::value<std::string>(),
                        "connections per backend (default 1)")(
      "connect-timeout-ms", po::value<std::string>(), "backend connect timeout (default 1000)")(
      "timeout-ms", po::value<std::string>(), "per-request timeout, 0 = none (default 5000)")(
      "preconnect", po::value<std::string>(), "connect to every backend at start (default true)")(
      "backend-password", po::value<std::string>(), "AUTH sent on each new backend connection")(
      "backend-db", po::value<std::string>(),
      "SELECT sent on each new backend connection (default 0)")(
      "client-password", po::value<std::string>(),
      "password clients must AUTH with (default none)");
  po::options_description health("Health checks and failover");
  health.add_options()("health-interval-ms", po::value<std::string>(),
                       "PING interval per backend (default 1000)")(
      "health-timeout-ms", po::value<std::string>(), "PING timeout (default 1000)")(
      "failure-limit", po::value<std::string>(),
      "consecutive failures before ejection (default 3)")(
      "rise", po::value<std::string>(), "consecutive good probes before rejoining (default 2)")(
      "auto-eject", po::value<std::string>(), "eject failed backends from the ring (default true)")(
      "on-unavailable", po::value<std::string>(),
      "error | miss: what reads of an unreachable backend answer (default error)")(
      "rejoin", po::value<std::string>(),
      "flush | keep: a returning backend is flushed first (default flush)")(
      "failover-key-log", po::value<std::string>(),
      "keys remembered per down backend for cleanup on rejoin (default 100000)");
  po::options_description all("ringproxy options");
  all.add(general).add(net).add(limits).add(backend).add(health);
  return all;
}

template <typename T>
bool get(const po::variables_map& vm, const char* name, T& out) {
  if (!vm.count(name)) return false;
  out = vm[name].as<T>();
  return true;
}

void apply_options(const po::variables_map& vm, Config& c) {
  std::string s;
  if (get(vm, "listen", s)) parse_listen(s, c);
  std::vector<std::string> backends;
  if (get(vm, "backend", backends)) {
    c.backends.clear();
    for (const std::string& b : backends) {
      try {
        c.backends.push_back(parse_backend_spec(b));
      } catch (const std::exception& e) {
        bad("backend", b, e.what());
      }
    }
  }
  if (get(vm, "hash", s)) {
    auto h = parse_hash_name(s);
    if (!h) {
      std::string names;
      for (std::string_view n : hash_names()) names.append(names.empty() ? "" : " ").append(n);
      bad("hash", s, "unknown hash (one of: " + names + ")");
    }
    c.hash = *h;
  }
  if (get(vm, "hash-tag", s)) {
    if (!s.empty() && s.size() != 2) bad("hash-tag", s, "must be exactly two characters, e.g. {}");
    c.hash_tag = s;
  }
  if (get(vm, "distribution", s)) {
    auto d = parse_distribution_name(s);
    if (!d) bad("distribution", s, "one of ketama, modula, rendezvous, jump, maglev");
    c.distribution = *d;
  }
  if (get(vm, "backlog", s)) c.backlog = static_cast<int>(parse_int("backlog", s, 1, 65535));
  if (get(vm, "max-clients", s))
    c.max_clients = static_cast<size_t>(parse_int("max-clients", s, 1, 10000000));
  if (get(vm, "yield-after-flush", s)) c.yield_after_flush = parse_bool("yield-after-flush", s);
  if (get(vm, "busy-poll-us", s))
    c.busy_poll_us = static_cast<int>(parse_int("busy-poll-us", s, 0, 1000000));
  if (get(vm, "coalesce-us", s))
    c.coalesce_us = static_cast<int>(parse_int("coalesce-us", s, 0, 10000));
  if (get(vm, "coalesce-min-clients", s))
    c.coalesce_min_clients = static_cast<int>(parse_int("coalesce-min-clients", s, 0, 1000000));
  if (get(vm, "max-bulk-len", s)) c.max_bulk_len = parse_size("max-bulk-len", s);
  if (get(vm, "max-args", s))
    c.max_args = static_cast<size_t>(parse_int("max-args", s, 1, INT32_MAX));
  if (get(vm, "max-inline-len", s)) c.max_inline_len = parse_size("max-inline-len", s);
  if (get(vm, "query-buffer-limit", s)) c.query_buffer_limit = parse_size("query-buffer-limit", s);
  if (get(vm, "client-output-limit", s))
    c.client_output_limit = parse_size("client-output-limit", s);
  if (get(vm, "max-pipeline", s))
    c.max_pipeline = static_cast<size_t>(parse_int("max-pipeline", s, 1, 100000000));
  if (get(vm, "output-buffer-pool", s))
    c.output_buffer_pool = static_cast<size_t>(parse_int("output-buffer-pool", s, 0, 1000000));
  if (get(vm, "backend-connections", s))
    c.backend_connections = static_cast<uint32_t>(parse_int("backend-connections", s, 1, 64));
  if (get(vm, "connect-timeout-ms", s))
    c.connect_timeout_ms = static_cast<int>(parse_int("connect-timeout-ms", s, 1, 3600000));
  if (get(vm, "timeout-ms", s))
    c.timeout_ms = static_cast<int>(parse_int("timeout-ms", s, 0, 3600000));
  if (get(vm, "preconnect", s)) c.preconnect = parse_bool("preconnect", s);
  if (get(vm, "backend-password", s)) c.backend_password = s;
  if (get(vm, "backend-db", s))
    c.backend_db = static_cast<int>(parse_int("backend-db", s, 0, 1000000));
  if (get(vm, "client-password", s)) c.client_password = s;
  if (get(vm, "health-interval-ms", s))
    c.health_interval_ms = static_cast<int>(parse_int("health-interval-ms", s, 10, 3600000));
  if (get(vm, "health-timeout-ms", s))
    c.health_timeout_ms = static_cast<int>(parse_int("health-timeout-ms", s, 1, 3600000));
  if (get(vm, "failure-limit", s))
    c.failure_limit = static_cast<int>(parse_int("failure-limit", s, 1, 1000));
  if (get(vm, "rise", s)) c.rise = static_cast<int>(parse_int("rise", s, 1, 1000));
  if (get(vm, "auto-eject", s)) c.auto_eject = parse_bool("auto-eject", s);
  if (get(vm, "on-unavailable", s)) {
    if (s == "error")
      c.on_unavailable = OnUnavailable::kError;
    else if (s == "miss")
      c.on_unavailable = OnUnavailable::kMiss;
    else
      bad("on-unavailable", s, "expected error or miss");
  }
  if (get(vm, "rejoin", s)) {
    if (s == "flush")
      c.rejoin = RejoinPolicy::kFlush;
    else if (s == "keep")
      c.rejoin = RejoinPolicy::kKeep;
    else
      bad("rejoin", s, "expected flush or keep");
  }
  if (get(vm, "failover-key-log", s))
    c.failover_key_log = static_cast<size_t>(parse_int("failover-key-log", s, 0, 100000000));
  if (get(vm, "log-level", s)) {
    LogLevel level;
    if (!parse_log_level(s, level)) bad("log-level", s, "expected error, warn, info or debug");
    c.log_level = s;
  }
}

}  // namespace

std::string help_text() {
  std::ostringstream os;
  os << "Usage: ringproxy [options]\n"
        "A Redis-compatible sharding proxy: keys are placed on a ring of Redis backends.\n\n"
     << describe();
  return os.str();
}

void validate(const Config& c) {
  if (c.backends.empty()) {
    throw ConfigError("no backends: give at least one --backend \"HOST:PORT[:WEIGHT] [NAME]\"");
  }
  if (c.backends.size() > 1024) {
    throw ConfigError("invalid value '" + std::to_string(c.backends.size()) +
                      "' for option '--backend': at most 1024 backends");
  }
  for (size_t i = 0; i < c.backends.size(); ++i) {
    for (size_t j = i + 1; j < c.backends.size(); ++j) {
      if (c.backends[i].ring_name == c.backends[j].ring_name) {
        throw ConfigError("invalid value '" + c.backends[j].ring_name +
                          "' for option '--backend': duplicate server (same name or host:port)");
      }
    }
  }
  if (c.distribution == DistributionKind::kJump) {
    for (const BackendSpec& b : c.backends) {
      if (b.weight != 1) {
        throw ConfigError(
            "invalid value 'jump' for option '--distribution': jump hashing has no "
            "weights, but backend " +
            b.ring_name + " has weight " + std::to_string(b.weight));
      }
    }
  }
  if (!c.hash_tag.empty() && c.hash_tag.size() != 2) {
    throw ConfigError("invalid value '" + c.hash_tag +
                      "' for option '--hash-tag': must be exactly two characters");
  }
}

CommandLine parse_command_line(int argc, const char* const* argv) {
  CommandLine result;
  po::options_description desc = describe();
  po::variables_map cli;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), cli);
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }
  if (cli.count("help")) {
    result.help = true;
    return result;
  }
  if (cli.count("version")) {
    result.version = true;
    return result;
  }
  Config& config = result.config;
  if (cli.count("twemproxy-config")) {
    std::string pool = cli.count("pool") ? cli["pool"].as<std::string>() : std::string();
    load_twemproxy_config(cli["twemproxy-config"].as<std::string>(), pool, config);
  } else if (cli.count("pool")) {
    throw ConfigError("option '--pool' needs '--twemproxy-config'");
  }
  if (cli.count("config")) {
    const std::string path = cli["config"].as<std::string>();
    std::ifstream in(path);
    if (!in)
      throw ConfigError("invalid value '" + path + "' for option '--config': cannot open file");
    po::variables_map file;
    try {
      po::store(po::parse_config_file(in, desc, false), file);
    } catch (const po::error& e) {
      throw ConfigError(std::string(e.what()) + " (in " + path + ")");
    }
    if (file.count("config") || file.count("twemproxy-config")) {
      throw ConfigError("option 'config' cannot be used inside a config file (" + path + ")");
    }
    apply_options(file, config);
  }
  apply_options(cli, config);
  validate(config);
  return result;
}

}  // namespace ringproxy
