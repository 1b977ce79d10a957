// What the etcd client (etcd_client.hpp) takes and hands back: options,
// key-values, results, errors, watch events and the state report for INFO.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringproxy {

struct EtcdTlsOptions {
  std::string ca_file;    // CA bundle that signed the servers' certificates
  std::string cert_file;  // client certificate (etcd --client-cert-auth)
  std::string key_file;   // its private key
};

struct EtcdOptions {
  // Base URLs, "http://host:port" or "https://host:port"; a URL without a
  // scheme gets http://. Unary calls and watches fail over between them.
  std::vector<std::string> endpoints;
  // etcd authentication (etcdctl auth enable); empty user: none.
  std::string user;
  std::string password;
  EtcdTlsOptions tls;
  int connect_timeout_ms = 2000;
  // Bounds each unary call per endpoint tried, and a watch's wait for its
  // "created" answer.
  int request_timeout_ms = 5000;
  // A watch reconnects after initial, 2x, 4x ... up to max (minus jitter).
  int backoff_initial_ms = 100;
  int backoff_max_ms = 5000;
  // A watch that hears nothing for this long (not even a progress
  // notification) reconnects; 0 = never. etcd sends progress notifications
  // every 10 minutes by default (--experimental-watch-progress-notify-interval),
  // so set it above that interval.
  int watch_silence_timeout_ms = 0;
  // TCP keepalive on etcd connections (seconds idle before the first probe;
  // 3 unanswered probes at a third of that close the connection), so a watch
  // on a host that vanished ends without the loop polling. 0 = off.
  int tcp_keepalive_s = 10;
  // Largest unary response body or single watch message accepted.
  size_t max_response_bytes = 64u << 20;
};

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

struct EtcdError {
  enum class Kind : uint8_t {
    kUnavailable,  // no endpoint answered (connect, timeout, 5xx, gRPC Unavailable)
    kAuth,         // authentication failed or the token was refused twice
    kRejected,     // etcd answered with an error (the gRPC code and message)
    kBadResponse,  // an answer that is not the JSON the gateway sends
  };
  Kind kind = Kind::kUnavailable;
  int code = 0;  // gRPC status code when etcd sent one
  std::string message;
};
std::string_view etcd_error_kind_name(EtcdError::Kind kind);

// A result or an error.
template <typename T>
struct EtcdResult {
  std::optional<EtcdError> error;
  T value{};
  bool ok() const { return !error.has_value(); }
};

// Every result carries the store revision of the answer's header.
struct RangeResult {
  int64_t revision = 0;  // the store revision the read saw
  std::vector<KeyValue> kvs;
};
struct PutResult {
  int64_t revision = 0;
};
struct AuthenticateResult {
  int64_t revision = 0;
  std::string token;
};
struct DeleteResult {
  int64_t revision = 0;
  int64_t deleted = 0;
};
struct LeaseGrantResult {
  int64_t revision = 0;
  int64_t id = 0;
  int64_t ttl = 0;  // seconds, as granted
};
struct LeaseKeepAliveResult {
  int64_t revision = 0;
  int64_t ttl = 0;  // seconds left; 0 when the lease no longer exists
};
struct LeaseRevokeResult {
  int64_t revision = 0;
};

struct WatchEvent {
  enum class Type : uint8_t { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // a delete carries the key and mod_revision only
};

// The client's state for INFO and the log.
struct EtcdClientState {
  bool connected = false;        // the last exchange with etcd succeeded
  std::string endpoint;          // the endpoint in use
  int64_t last_revision = 0;     // highest store revision seen in an answer
  uint64_t retries = 0;          // failed attempts (failovers, watch reconnects)
  std::string last_error;        // "" before the first failure
  uint64_t last_contact_ms = 0;  // loop time (uv_now) of the last answer; 0 = never
};

}  // namespace ringproxy
