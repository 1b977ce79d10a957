// An etcd v3 client on the proxy's libuv loop, over etcd's JSON gateway
// (etcd_json.hpp) with libcurl's multi interface (http_client.hpp). One
// thread, no blocking call: every operation takes a callback that runs later
// from the loop (never inside the call that started it).
//
// Endpoints: every call goes to the endpoint in use; a connection failure, a
// timeout, an HTTP 5xx or etcd's gRPC Unavailable moves on to the next
// endpoint and retries there, once per endpoint, before the call fails with
// kUnavailable. Callers retry later (the watch and the helpers built on it do,
// with backoff).
//
// Authentication: with a user set, the first call authenticates
// (/v3/auth/authenticate) and every call then carries the token in the
// Authorization header. When etcd refuses the token ("invalid auth token":
// it expired, or the server restarted) the client authenticates again and
// retries the call once. Calls made meanwhile wait for the one authentication
// in flight.
//
// TLS: https:// endpoints use the CA file to check the server and present the
// client certificate and key when given (etcd --client-cert-auth).
//
// Watches (etcd_watch.hpp) share the endpoint choice, the token and the state
// report. Destroy every watch before its client. Nothing may be destroyed
// from inside its own callback.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ringproxy/cluster/etcd_types.hpp"
#include "ringproxy/cluster/http_client.hpp"

namespace ringproxy {

class EtcdWatch;
struct EtcdWatchHandler;

// "URL[,URL...]" -> base URLs ("host:port" gets http://, trailing '/' goes).
// Throws std::invalid_argument naming the bad entry.
std::vector<std::string> parse_etcd_endpoints(std::string_view list);

class EtcdClient {
 public:
  template <typename T>
  using Callback = std::function<void(EtcdResult<T>)>;
  using CallId = uint64_t;

  // Throws std::invalid_argument for bad options (no endpoint, an endpoint
  // that is not http(s), non-positive timeouts).
  EtcdClient(uv_loop_t* loop, EtcdOptions options);
  // Pending calls are dropped without their callbacks.
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // Keys in [key, range_end); range_end empty: the key alone.
  CallId range(std::string key, std::string range_end, Callback<RangeResult> done);
  CallId range_prefix(std::string_view prefix, Callback<RangeResult> done);
  // lease 0: no lease.
  CallId put(std::string key, std::string value, int64_t lease, Callback<PutResult> done);
  CallId delete_range(std::string key, std::string range_end, Callback<DeleteResult> done);
  CallId lease_grant(int64_t ttl_s, Callback<LeaseGrantResult> done);
  // One renewal (one POST of the keepalive stream): ttl 0 in the result means
  // the lease has expired or was revoked.
  CallId lease_keepalive(int64_t id, Callback<LeaseKeepAliveResult> done);
  CallId lease_revoke(int64_t id, Callback<LeaseRevokeResult> done);
  // The call's callback will not run. Unknown or finished ids are ignored.
  void cancel(CallId id);

  // Watches [key, range_end) from start_revision (see etcd_watch.hpp).
  std::unique_ptr<EtcdWatch> watch(std::string key, std::string range_end, int64_t start_revision,
                                   EtcdWatchHandler handler);

  const EtcdClientState& state() const { return state_; }
  // INFO lines of the state, as (name, value): etcd_connected,
  // etcd_endpoint, etcd_last_revision, etcd_retries, etcd_last_error,
  // etcd_last_contact_ms_ago (-1 before any contact).
  std::vector<std::pair<std::string, std::string>> info_fields() const;
  const EtcdOptions& options() const { return options_; }
  uv_loop_t* loop() const { return loop_; }

 private:
  friend class EtcdWatch;
  struct Call;
  using TokenWaiter = std::function<void(const EtcdError* error)>;

  template <typename T>
  CallId start_call(std::string path, std::string body, EtcdResult<T> (*decode)(std::string_view),
                    Callback<T> done, bool authenticate = false);
  void send(Call& call);
  void on_response(CallId id, HttpResponse response);
  void retry_elsewhere(Call& call, std::string why);
  void fail(CallId id, EtcdError error);

  // For calls and watches: runs `ready` once a token is available (at once
  // when authentication is off or a token is held), or with the error when
  // authentication failed.
  void with_token(TokenWaiter ready);
  bool needs_auth() const { return !options_.user.empty(); }
  const std::string& token() const { return token_; }
  // etcd refused `token`: forget it unless a newer one replaced it already.
  void token_refused(const std::string& token);

  size_t current_endpoint() const { return current_; }
  std::string url(size_t endpoint, std::string_view path) const;
  void note_success(size_t endpoint, int64_t revision);
  void note_failure(size_t endpoint, std::string_view why);
  HttpClient& http() { return http_; }

  uv_loop_t* loop_;
  EtcdOptions options_;
  HttpClient http_;
  std::unordered_map<CallId, std::unique_ptr<Call>> calls_;
  CallId next_call_id_ = 1;
  size_t current_ = 0;
  std::string token_;
  CallId auth_call_ = 0;
  std::vector<TokenWaiter> token_waiters_;
  EtcdClientState state_;
  size_t watches_ = 0;
};

}  // namespace ringproxy
