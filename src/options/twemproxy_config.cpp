// --twemproxy-config FILE [--pool NAME]: maps one pool of a twemproxy
// (nutcracker 0.5.0) YAML file onto a Config as written, so a deployment can
// swap the binary and keep every key on the backend nutcracker put it on. A
// file of several pools runs each redis pool this way in one process
// (list_twemproxy_pools, pool_set.hpp).
//
// The loader starts from the Config it is given, resets every option that a
// twemproxy key governs to *twemproxy's* default (which differs from
// ringproxy's for hash, preconnect, auto_eject, failure_limit, timeout,
// backlog), then applies the pool's keys. Options twemproxy has no key for
// (rise, rejoin, on-unavailable, health-timeout-ms, limits, log level) keep
// ringproxy's values. --config and command-line options are applied after
// this (see parse_command_line), so they override the YAML.
//
// Key by key (twemproxy's README lists its keys):
//   listen              HOST:PORT -> listen_host/listen_port. A unix socket
//                       path ("/path [perm]") is a ConfigError.
//   hash                one of the 12 twemproxy names; default fnv1a_64.
//   hash_tag            exactly two bytes, e.g. "{}"; default none.
//   distribution        ketama (default) | modula. random is a ConfigError:
//                       it ignores the key, which a sharding proxy cannot do.
//   timeout             ms -> timeout_ms. -1 (twemproxy's documented default,
//                       which 0.5.0 itself rejects as "not a number"), 0 or
//                       absent = no timeout (twemproxy waits forever). A
//                       positive timeout also bounds the connect, as in
//                       twemproxy, so it is copied to connect_timeout_ms.
//   backlog             -> backlog; default 512.
//   client_connections  a number, parsed and ignored: nutcracker 0.5.0
//                       overwrites it with 0 (no per-pool limit), so mapping
//                       it onto max_clients would add a limit the pool never had.
//   redis               must be true. false, or absent (twemproxy's default),
//                       is a memcached pool: ConfigError.
//   redis_auth          -> client_password AND backend_password: twemproxy
//                       checks clients' AUTH against it and sends it to every
//                       backend. "" = no password.
//   redis_db            -> backend_db (SELECT on each backend connection).
//   preconnect          -> preconnect; default false.
//   auto_eject_hosts    -> auto_eject; default false (backends never leave
//                       the ring; their requests fail).
//   server_connections  -> backend_connections; default 1, range 1..64.
//   server_retry_timeout ms -> health_interval_ms; default 30000. twemproxy
//                       re-adds an ejected server blindly after this time and
//                       lets client requests find out whether it is back;
//                       ringproxy instead PINGs every backend at this interval
//                       and re-adds a down one only after `rise` good probes
//                       (and, with rejoin=flush, a FLUSHDB ASYNC). Clamped to
//                       ringproxy's range 10..3600000.
//   server_failure_limit -> failure_limit; default 2. 0 ejects on the first
//                       failure in twemproxy, the same as 1 here.
//   tcpkeepalive        true|false, accepted and ignored: ringproxy sets no
//                       SO_KEEPALIVE; its health probes find dead backends.
//   reuseport           ConfigError, exactly like nutcracker 0.5.0 (the key
//                       was added to twemproxy after its last release).
//   servers             server strings through parse_backend_spec:
//                       "host:port:weight [name]". ringproxy also accepts
//                       "host:port" (weight 1), which twemproxy rejects.
// Booleans are "true"/"false" and numbers plain decimal digits, as nutcracker
// requires; a duplicate key and an unknown key are errors (in every pool, as
// nutcracker checks the whole file), but only the selected pool is mapped, so
// a file may also hold memcached pools.
//
// Every error is one line: "invalid value 'X' for option '--twemproxy-config':
// <why> (pool P, key K, line N)".
//
// Bounds, checked before the document is built (the file is operator input,
// but a wrong path, a generated file or a fuzzer must get an error, never a
// crash or a stall): at most kMaxFileBytes bytes, and collections nested at
// most kMaxDepth deep, checked on yaml-cpp's parse events as they come, so
// the parser's recursion (one level of C++ stack per level of nesting) stops
// there; the same pass stops a parser that emits events without consuming
// input (see EventLimits). Both bounds are constants, not options: a
// twemproxy pool file is three levels deep (pools, keys, the server list) and
// a pool of ringproxy's largest size (1024 servers) is about 40 KB, so no
// valid file comes near either bound and an option to raise them would have
// nothing to tune. The size bound also bounds start-up time: yaml-cpp needs
// about a second for 256 KiB of keys.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdint>
#include <exception>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ringproxy/options/config.hpp"
#include "ringproxy/options/option_values.hpp"

namespace ringproxy {
namespace {

constexpr std::string_view kOption = "--twemproxy-config";

// twemproxy 0.5.0's defaults for the keys it has (nc_conf.h CONF_DEFAULT_*).
constexpr HashKind kDefaultHash = HashKind::kFnv1a_64;
constexpr int kDefaultBacklog = 512;
constexpr int kDefaultRetryTimeoutMs = 30000;
constexpr int kDefaultFailureLimit = 2;
constexpr uint32_t kDefaultServerConnections = 1;

// ringproxy's own limits for the mapped options (the same as the command line's).
constexpr int kMinHealthIntervalMs = 10;
constexpr int kMaxHealthIntervalMs = 3600000;
constexpr int64_t kMaxBackendConnections = 64;
constexpr int64_t kMaxBackendDb = 1000000;
constexpr int64_t kMaxFailureLimit = 1000;

// Input bounds (see the top of this file for why they are constants).
constexpr size_t kMaxFileBytes = 256 * 1024;
constexpr int kMaxDepth = 8;

// The keys nutcracker 0.5.0 knows, in nc_conf.c's order.
constexpr std::string_view kKnownKeys[] = {
    "listen",
    "hash",
    "hash_tag",
    "distribution",
    "timeout",
    "backlog",
    "client_connections",
    "redis",
    "tcpkeepalive",
    "redis_auth",
    "redis_db",
    "preconnect",
    "auto_eject_hosts",
    "server_connections",
    "server_retry_timeout",
    "server_failure_limit",
    "servers",
};

[[noreturn]] void fail(std::string_view option, std::string_view value, std::string_view why) {
  throw ConfigError("invalid value '" + printable(value) + "' for option '" + std::string(option) +
                    "': " + std::string(why));
}

std::string line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return "";
  return ", line " + std::to_string(mark.line + 1);
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out.append(out.empty() ? "" : ", ").append(printable(n));
  return out;
}

// Error context for one key of one pool.
struct Where {
  std::string pool;
  std::string key;
  const YAML::Node* node;

  [[noreturn]] void fail(std::string_view value, std::string_view why) const {
    ringproxy::fail(kOption, value,
                    std::string(why) + " (pool " + printable(pool) + ", key " + printable(key) +
                        (node ? line_of(*node) : std::string()) + ")");
  }
};

std::string scalar(const Where& w, const YAML::Node& value) {
  if (value.IsNull()) w.fail("", "empty value; give a " + w.key + " or remove the key");
  if (!value.IsScalar()) {
    w.fail(value.IsSequence() ? "[...]" : "{...}",
           "expected a single value, not a " +
               std::string(value.IsSequence() ? "list" : "mapping") +
               (w.key == "hash_tag" ? " (quote the tag: hash_tag: \"{}\")" : ""));
  }
  return value.Scalar();
}

// Plain decimal digits (nutcracker's nc_atoi), in [min, max].
int64_t number(const Where& w, const YAML::Node& value, int64_t min, int64_t max) {
  const std::string s = scalar(w, value);
  int64_t v = 0;
  const bool digits =
      !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (!digits || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
    w.fail(s, "not a number (expected decimal digits)");
  }
  if (v < min || v > max) {
    w.fail(s, "out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

bool boolean(const Where& w, const YAML::Node& value) {
  const std::string s = scalar(w, value);
  if (s == "true") return true;
  if (s == "false") return false;
  w.fail(s, "expected true or false (as twemproxy requires)");
}

void map_listen(const Where& w, const std::string& s, Config& c) {
  if (!s.empty() && s.front() == '/') {
    w.fail(s, "unix sockets are not supported; listen on HOST:PORT");
  }
  // twemproxy splits at the last ':' (so "::1:22121" is IPv6); "[v6]:port"
  // is accepted too.
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) {
    w.fail(s, "expected HOST:PORT");
  }
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = s.substr(colon + 1);
  int64_t p = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), p);
  if (host.empty() || host.find_first_of(" \t") != std::string::npos || r.ec != std::errc() ||
      r.ptr != port.data() + port.size() || p < 1 || p > 65535) {
    w.fail(s, "expected HOST:PORT with a port in 1..65535");
  }
  c.listen_host = host;
  c.listen_port = static_cast<uint16_t>(p);
}

// The keys of a mapping node in file order; duplicates are an error (yaml-cpp
// keeps both, nutcracker rejects them).
std::vector<std::pair<std::string, YAML::Node>> entries(const YAML::Node& map,
                                                        const std::string& path,
                                                        const std::string& pool) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;  // a handle; it-> returns a temporary proxy
    if (!key.IsScalar()) {
      fail(kOption, path,
           (pool.empty() ? std::string("a pool name") : "a key of pool " + printable(pool)) +
               " is not a plain name" + line_of(key));
    }
    const std::string name = key.Scalar();
    if (!seen.insert(name).second) {
      if (pool.empty()) fail(kOption, name, "duplicate pool name" + line_of(key));
      Where{pool, name, &key}.fail(name, "duplicate key");
    }
    out.emplace_back(name, it->second);
  }
  return out;
}

void check_known_keys(const std::vector<std::pair<std::string, YAML::Node>>& keys,
                      const std::string& pool) {
  for (const auto& [name, value] : keys) {
    if (name == "reuseport") {
      Where{pool, name, &value}.fail(
          name,
          "not supported: twemproxy 0.5.0 rejects it too (it was added after the last release); "
          "remove the key");
    }
    if (std::find(std::begin(kKnownKeys), std::end(kKnownKeys), name) == std::end(kKnownKeys)) {
      Where{pool, name, &value}.fail(name, "unknown key");
    }
  }
}

void map_pool(const std::string& path, const std::string& pool,
              const std::vector<std::pair<std::string, YAML::Node>>& keys, const YAML::Node& node,
              Config& c) {
  // twemproxy's defaults for everything it governs.
  c.hash = kDefaultHash;
  c.hash_tag.clear();
  c.distribution = DistributionKind::kKetama;
  c.timeout_ms = 0;
  c.backlog = kDefaultBacklog;
  c.client_password.clear();
  c.backend_password.clear();
  c.backend_db = 0;
  c.preconnect = false;
  c.auto_eject = false;
  c.backend_connections = kDefaultServerConnections;
  c.health_interval_ms = kDefaultRetryTimeoutMs;
  c.failure_limit = kDefaultFailureLimit;
  c.backends.clear();

  bool have_listen = false;
  bool have_servers = false;
  bool redis = false;  // twemproxy's default: a memcached pool
  const YAML::Node* redis_node = nullptr;

  for (const auto& [key, value] : keys) {
    const Where w{pool, key, &value};
    if (key == "listen") {
      map_listen(w, scalar(w, value), c);
      have_listen = true;
    } else if (key == "hash") {
      const std::string s = scalar(w, value);
      auto h = parse_hash_name(s);
      if (!h) {
        std::string names;
        for (std::string_view n : hash_names()) names.append(names.empty() ? "" : " ").append(n);
        w.fail(s, "unknown hash (one of: " + names + ")");
      }
      c.hash = *h;
    } else if (key == "hash_tag") {
      const std::string s = scalar(w, value);
      if (s.size() != 2) w.fail(s, "must be exactly two characters, e.g. \"{}\"");
      c.hash_tag = s;
    } else if (key == "distribution") {
      const std::string s = scalar(w, value);
      if (s == "ketama") {
        c.distribution = DistributionKind::kKetama;
      } else if (s == "modula") {
        c.distribution = DistributionKind::kModula;
      } else if (s == "random") {
        w.fail(s,
               "distribution random is not supported: it sends each request to a random server "
               "regardless of the key, which only suits identical read replicas; use ketama or "
               "modula");
      } else {
        w.fail(s, "unknown distribution (one of: ketama, modula)");
      }
    } else if (key == "timeout") {
      const std::string s = scalar(w, value);
      if (s == "-1") {
        c.timeout_ms = 0;  // twemproxy's "wait forever"
      } else {
        c.timeout_ms = static_cast<int>(number(w, value, 0, INT_MAX));
      }
    } else if (key == "backlog") {
      c.backlog = static_cast<int>(number(w, value, 1, 65535));
    } else if (key == "client_connections") {
      (void)number(w, value, 0, INT_MAX);  // ignored, as nutcracker 0.5.0 does
    } else if (key == "redis") {
      redis = boolean(w, value);
      redis_node = &value;
    } else if (key == "tcpkeepalive") {
      (void)boolean(w, value);  // accepted, ignored
    } else if (key == "redis_auth") {
      const std::string s = scalar(w, value);
      c.client_password = s;
      c.backend_password = s;
    } else if (key == "redis_db") {
      c.backend_db = static_cast<int>(number(w, value, 0, kMaxBackendDb));
    } else if (key == "preconnect") {
      c.preconnect = boolean(w, value);
    } else if (key == "auto_eject_hosts") {
      c.auto_eject = boolean(w, value);
    } else if (key == "server_connections") {
      c.backend_connections = static_cast<uint32_t>(number(w, value, 1, kMaxBackendConnections));
    } else if (key == "server_retry_timeout") {
      const int64_t ms = number(w, value, 0, INT_MAX);
      c.health_interval_ms =
          static_cast<int>(std::clamp<int64_t>(ms, kMinHealthIntervalMs, kMaxHealthIntervalMs));
    } else if (key == "server_failure_limit") {
      c.failure_limit =
          static_cast<int>(std::max<int64_t>(1, number(w, value, 0, kMaxFailureLimit)));
    } else if (key == "servers") {
      if (!value.IsSequence()) {
        w.fail(value.IsScalar() ? value.Scalar() : std::string(),
               "expected a list of \"host:port:weight [name]\" entries");
      }
      for (const YAML::Node& entry : value) {
        const Where we{pool, key, &entry};
        const std::string s = scalar(we, entry);
        BackendSpec spec;
        try {
          spec = parse_backend_spec(s);
        } catch (const std::exception& e) {
          we.fail(s, e.what());
        }
        for (const BackendSpec& other : c.backends) {
          if (other.ring_name == spec.ring_name) {
            we.fail(s, "two servers with the same name '" + printable(spec.ring_name) +
                           "' (twemproxy rejects this too)");
          }
        }
        c.backends.push_back(std::move(spec));
      }
      if (c.backends.empty()) w.fail("", "no servers");
      have_servers = true;
    }
  }

  if (!redis) {
    if (redis_node) {
      Where{pool, "redis", redis_node}.fail(
          "false", "memcached pools are not supported; ringproxy speaks only Redis (redis: true)");
    }
    Where{pool, "redis", &node}.fail(
        path,
        "missing, so twemproxy treats the pool as memcached, which ringproxy does not support; "
        "add 'redis: true'");
  }
  if (!have_listen) Where{pool, "listen", &node}.fail(path, "required key is missing");
  if (!have_servers) Where{pool, "servers", &node}.fail(path, "required key is missing");
  // A positive twemproxy timeout covers the connect as well.
  if (c.timeout_ms > 0) c.connect_timeout_ms = c.timeout_ms;
}

// Parse events only, before yaml-cpp builds (and recurses into) the document:
// throws Rejected at the first collection opened deeper than kMaxDepth, which
// unwinds the parser from that depth, and when the parser emits far more
// events than the text can hold: yaml-cpp 0.7 loops forever, creating nodes,
// on some malformed input (a document that starts with ',', found by the fuzz
// target), and every well-formed event consumes at least a byte or two.
class EventLimits : public YAML::EventHandler {
 public:
  struct Rejected {
    YAML::Mark mark;
    bool too_deep;  // else: no progress
  };

  explicit EventLimits(size_t text_size) : max_events_(8 * text_size + 64) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    event(mark);
    depth_ = 0;
  }
  void OnDocumentEnd() override { event(mark_); }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { event(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { event(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    event(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnSequenceEnd() override {
    event(mark_);
    --depth_;
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnMapEnd() override {
    event(mark_);
    --depth_;
  }

 private:
  void event(const YAML::Mark& mark) {
    mark_ = mark;
    if (++events_ > max_events_) throw Rejected{mark, false};
  }
  void enter(const YAML::Mark& mark) {
    event(mark);
    if (++depth_ > kMaxDepth) throw Rejected{mark, true};
  }

  size_t max_events_;
  size_t events_ = 0;
  int depth_ = 0;
  YAML::Mark mark_;
};

}  // namespace

namespace {

std::string read_twemproxy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(kOption, path, "cannot open file");
  // One byte past the bound is enough to know the file is too large.
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) fail(kOption, path, "cannot read file");
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

// The file's one document, a non-empty mapping of pool names (bounds checked
// first: see the top of this file).
YAML::Node load_document(const std::string& text, const std::string& path) {
  if (text.size() > kMaxFileBytes) {
    fail(kOption, path,
         "file larger than " + std::to_string(kMaxFileBytes / 1024) +
             " KiB; a twemproxy pool file is a few KB");
  }
  std::vector<YAML::Node> docs;
  try {
    std::istringstream events_in(text);
    YAML::Parser parser(events_in);
    EventLimits limits(text.size());
    while (parser.HandleNextDocument(limits)) {
    }
    docs = YAML::LoadAll(text);
  } catch (const EventLimits::Rejected& e) {
    const std::string line = std::to_string(e.mark.line + 1);
    if (e.too_deep) {
      fail(kOption, path,
           "nested deeper than " + std::to_string(kMaxDepth) + " levels at line " + line +
               " (a twemproxy pool file has three: pools, their keys, the server list)");
    }
    fail(kOption, path,
         "the YAML parser stops making progress near line " + line +
             " (malformed YAML that yaml-cpp loops on; check the syntax there)");
  } catch (const YAML::ParserException& e) {
    fail(kOption, path,
         "YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
             std::to_string(e.mark.column + 1) + ": " + printable(e.msg));
  } catch (const YAML::Exception& e) {
    fail(kOption, path, "cannot read YAML: " + printable(e.msg));
  }
  if (docs.size() != 1) {
    fail(kOption, path, "expected exactly one YAML document, found " + std::to_string(docs.size()));
  }
  YAML::Node root = docs.front();
  if (!root.IsMap() || root.size() == 0) {
    fail(kOption, path, "expected a mapping of pool names to pools");
  }
  return root;
}

// The pools in file order, every key of every pool checked (as nutcracker
// checks the whole file).
std::vector<std::pair<std::string, YAML::Node>> checked_pools(const YAML::Node& root,
                                                              const std::string& path) {
  auto pools = entries(root, path, "");
  for (const auto& [name, body] : pools) {
    if (!body.IsMap()) {
      fail(kOption, name,
           "a pool must be a mapping of keys (listen, servers, ...)" + line_of(body));
    }
    check_known_keys(entries(body, path, name), name);
  }
  return pools;
}

}  // namespace

void load_twemproxy_config(const std::string& path, const std::string& pool, Config& config) {
  load_twemproxy_config_text(read_twemproxy_file(path), path, pool, config);
}

std::vector<TwemproxyPool> list_twemproxy_pools(const std::string& path) {
  const YAML::Node root = load_document(read_twemproxy_file(path), path);
  std::vector<TwemproxyPool> out;
  try {
    for (const auto& [name, body] : checked_pools(root, path)) {
      TwemproxyPool& p = out.emplace_back();
      p.name = name;
      for (const auto& [key, value] : entries(body, path, name)) {
        if (key == "redis") p.redis = boolean(Where{name, key, &value}, value);
      }
    }
  } catch (const YAML::Exception& e) {
    fail(kOption, path, "cannot read YAML: " + printable(e.msg));
  }
  return out;
}

void load_twemproxy_config_text(const std::string& text, const std::string& path,
                                const std::string& pool, Config& config) {
  const YAML::Node root = load_document(text, path);
  try {
    const auto pools = checked_pools(root, path);
    std::vector<std::string> names;
    for (const auto& p : pools) names.push_back(p.first);

    const std::pair<std::string, YAML::Node>* chosen = nullptr;
    if (!pool.empty()) {
      for (const auto& p : pools) {
        if (p.first == pool) chosen = &p;
      }
      if (!chosen) {
        fail("--pool", pool,
             "no such pool in " + printable(path) + " (pools: " + join(names) + ")");
      }
    } else if (pools.size() == 1) {
      chosen = &pools.front();
    } else {
      fail(kOption, path,
           std::to_string(pools.size()) + " pools (" + join(names) +
               "); choose one with --pool NAME");
    }
    // The pool's name names it elsewhere too (the default etcd prefix).
    if (config.twemproxy_pool.empty()) config.twemproxy_pool = chosen->first;
    map_pool(path, chosen->first, entries(chosen->second, path, chosen->first), chosen->second,
             config);
  } catch (const YAML::Exception& e) {
    // Not expected (types are checked first); keep the one-line contract anyway.
    fail(kOption, path, "cannot read YAML: " + printable(e.msg));
  }
}

}  // namespace ringproxy
