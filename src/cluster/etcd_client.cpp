// See etcd_client.hpp.
#include "ringproxy/cluster/etcd_client.hpp"

#include <stdexcept>
#include <utility>

#include "ringproxy/cluster/etcd_json.hpp"
#include "ringproxy/cluster/etcd_watch.hpp"
#include "ringproxy/common/assert.hpp"
#include "ringproxy/common/log.hpp"

namespace ringproxy {

std::string_view etcd_error_kind_name(EtcdError::Kind kind) {
  switch (kind) {
    case EtcdError::Kind::kUnavailable:
      return "unavailable";
    case EtcdError::Kind::kAuth:
      return "auth";
    case EtcdError::Kind::kRejected:
      return "rejected";
    case EtcdError::Kind::kBadResponse:
      return "bad response";
  }
  return "?";
}

std::vector<std::string> parse_etcd_endpoints(std::string_view list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t comma = list.find(',', pos);
    std::string_view item =
        list.substr(pos, comma == std::string_view::npos ? list.npos : comma - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.empty()) {
      throw std::invalid_argument("empty etcd endpoint in '" + std::string(list) + "'");
    }
    std::string scheme = "http";
    std::string_view rest = item;
    if (size_t at = item.find("://"); at != std::string_view::npos) {
      scheme = std::string(item.substr(0, at));
      rest = item.substr(at + 3);
      if (scheme != "http" && scheme != "https") {
        throw std::invalid_argument("etcd endpoint '" + std::string(item) +
                                    "': only http:// and https:// are supported");
      }
    }
    while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.empty() || rest.front() == ':' ||
        rest.find_first_of(" \t/?#@") != std::string_view::npos) {
      throw std::invalid_argument("etcd endpoint '" + std::string(item) +
                                  "' is not [http[s]://]host:port");
    }
    out.push_back(scheme + "://" + std::string(rest));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

struct EtcdClient::Call {
  CallId id = 0;
  std::string path;
  std::string body;
  bool authenticate = false;  // the authentication itself goes without a token
  bool token_retried = false;
  size_t attempts = 0;
  size_t endpoint = 0;
  std::string token_used;
  HttpClient::RequestId http = 0;
  // Decodes an answer into the pending result; returns its error instead of
  // delivering it, so that the client can first retry or re-authenticate.
  std::function<std::optional<EtcdError>(std::string_view body, int64_t& revision)> decode;
  std::function<void()> deliver;
  std::function<void(EtcdError)> fail;
};

EtcdClient::EtcdClient(uv_loop_t* loop, EtcdOptions options)
    : loop_(loop),
      options_(std::move(options)),
      http_(loop, HttpClientOptions{options_.tls.ca_file, options_.tls.cert_file,
                                    options_.tls.key_file, options_.tcp_keepalive_s}) {
  if (options_.endpoints.empty()) throw std::invalid_argument("no etcd endpoint");
  std::vector<std::string> normalized;
  for (const auto& e : options_.endpoints) {
    auto parsed = parse_etcd_endpoints(e);
    normalized.insert(normalized.end(), parsed.begin(), parsed.end());
  }
  options_.endpoints = std::move(normalized);
  if (options_.request_timeout_ms <= 0 || options_.connect_timeout_ms <= 0) {
    throw std::invalid_argument("etcd timeouts must be positive");
  }
  if (options_.backoff_initial_ms <= 0 || options_.backoff_max_ms <= 0) {
    throw std::invalid_argument("etcd backoff must be positive");
  }
  state_.endpoint = options_.endpoints[0];
}

EtcdClient::~EtcdClient() {
  RP_ASSERT(watches_ == 0);
}

template <typename T>
EtcdClient::CallId EtcdClient::start_call(std::string path, std::string body,
                                          EtcdResult<T> (*decode)(std::string_view),
                                          Callback<T> done, bool authenticate) {
  auto call = std::make_unique<Call>();
  call->id = next_call_id_++;
  call->path = std::move(path);
  call->body = std::move(body);
  call->authenticate = authenticate;
  auto slot = std::make_shared<EtcdResult<T>>();
  auto shared_done = std::make_shared<Callback<T>>(std::move(done));
  call->decode = [slot, decode](std::string_view text, int64_t& revision) {
    *slot = decode(text);
    revision = slot->value.revision;
    return slot->error;
  };
  call->deliver = [slot, shared_done] {
    if (*shared_done) (*shared_done)(std::move(*slot));
  };
  call->fail = [shared_done](EtcdError error) {
    EtcdResult<T> r;
    r.error = std::move(error);
    if (*shared_done) (*shared_done)(std::move(r));
  };
  CallId id = call->id;
  Call& ref = *call;
  calls_.emplace(id, std::move(call));
  send(ref);
  return id;
}

void EtcdClient::send(Call& call) {
  if (!call.authenticate && needs_auth() && token_.empty()) {
    CallId id = call.id;
    with_token([this, id](const EtcdError* error) {
      auto it = calls_.find(id);
      if (it == calls_.end()) return;
      if (error != nullptr) {
        fail(id, *error);
      } else {
        send(*it->second);
      }
    });
    return;
  }
  call.endpoint = current_;
  call.token_used = call.authenticate ? std::string() : token_;
  HttpRequest request;
  request.url = url(call.endpoint, call.path);
  request.body = call.body;
  request.authorization = call.token_used;
  request.timeout_ms = options_.request_timeout_ms;
  request.connect_timeout_ms = options_.connect_timeout_ms;
  request.max_body_bytes = options_.max_response_bytes;
  CallId id = call.id;
  request.on_done = [this, id](HttpResponse response) { on_response(id, std::move(response)); };
  call.http = http_.start(std::move(request));
}

void EtcdClient::on_response(CallId id, HttpResponse response) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Call& call = *it->second;
  call.http = 0;
  if (!response.transport_ok) {
    retry_elsewhere(call, response.error);
    return;
  }
  int64_t revision = 0;
  std::optional<EtcdError> error = call.decode(response.body, revision);
  if (!error) {
    note_success(call.endpoint, revision);
    std::unique_ptr<Call> done = std::move(it->second);
    calls_.erase(it);
    done->deliver();
    return;
  }
  bool unavailable =
      (error->kind == EtcdError::Kind::kRejected && error->code == etcd_json::kCodeUnavailable) ||
      (error->kind == EtcdError::Kind::kBadResponse && response.status >= 500);
  if (unavailable) {
    retry_elsewhere(call, error->message);
    return;
  }
  note_success(call.endpoint, 0);  // etcd answered, if only with an error
  if (!call.authenticate && needs_auth() &&
      etcd_json::is_invalid_token(error->code, error->message) && !call.token_retried) {
    call.token_retried = true;
    token_refused(call.token_used);
    send(call);
    return;
  }
  if (call.authenticate || error->code == etcd_json::kCodeUnauthenticated) {
    error->kind = EtcdError::Kind::kAuth;
  }
  fail(id, std::move(*error));
}

void EtcdClient::retry_elsewhere(Call& call, std::string why) {
  note_failure(call.endpoint, why);
  if (++call.attempts < options_.endpoints.size()) {
    send(call);
    return;
  }
  std::string message = options_.endpoints.size() > 1
                            ? "no etcd endpoint answered: " + why
                            : "etcd " + options_.endpoints[0] + ": " + why;
  fail(call.id, EtcdError{EtcdError::Kind::kUnavailable, 0, std::move(message)});
}

void EtcdClient::fail(CallId id, EtcdError error) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  std::unique_ptr<Call> call = std::move(it->second);
  calls_.erase(it);
  call->fail(std::move(error));
}

void EtcdClient::cancel(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  if (it->second->http != 0) http_.cancel(it->second->http);
  calls_.erase(it);
}

void EtcdClient::with_token(TokenWaiter ready) {
  if (!needs_auth() || !token_.empty()) {
    ready(nullptr);
    return;
  }
  token_waiters_.push_back(std::move(ready));
  if (auth_call_ != 0) return;
  auth_call_ = start_call<AuthenticateResult>(
      "/v3/auth/authenticate", etcd_json::authenticate_request(options_.user, options_.password),
      &etcd_json::decode_authenticate,
      [this](EtcdResult<AuthenticateResult> r) {
        auth_call_ = 0;
        std::vector<TokenWaiter> waiters = std::exchange(token_waiters_, {});
        if (r.ok()) {
          token_ = std::move(r.value.token);
          for (auto& w : waiters) w(nullptr);
          return;
        }
        EtcdError e = std::move(*r.error);
        if (e.kind != EtcdError::Kind::kUnavailable) {
          e.kind = EtcdError::Kind::kAuth;
          e.message = "etcd authentication as '" + options_.user + "' failed: " + e.message;
          if (state_.last_error != e.message) log(LogLevel::kError, e.message);
          state_.last_error = e.message;
        }
        for (auto& w : waiters) w(&e);
      },
      true);
}

void EtcdClient::token_refused(const std::string& token) {
  if (token == token_) token_.clear();
}

std::string EtcdClient::url(size_t endpoint, std::string_view path) const {
  return options_.endpoints[endpoint] + std::string(path);
}

void EtcdClient::note_success(size_t endpoint, int64_t revision) {
  if (!state_.connected) {
    log(LogLevel::kInfo, "etcd: connected to ", options_.endpoints[endpoint]);
  }
  state_.connected = true;
  state_.endpoint = options_.endpoints[endpoint];
  state_.last_contact_ms = uv_now(loop_);
  if (revision > state_.last_revision) state_.last_revision = revision;
}

void EtcdClient::note_failure(size_t endpoint, std::string_view why) {
  ++state_.retries;
  state_.last_error.assign(why);
  if (endpoint != current_) return;  // another failure moved on already
  if (state_.connected) {
    log(LogLevel::kWarn, "etcd: lost contact with ", options_.endpoints[endpoint], ": ", why);
  } else {
    log(LogLevel::kDebug, "etcd: ", options_.endpoints[endpoint], ": ", why);
  }
  state_.connected = false;
  current_ = (current_ + 1) % options_.endpoints.size();
  state_.endpoint = options_.endpoints[current_];
}

EtcdClient::CallId EtcdClient::range(std::string key, std::string range_end,
                                     Callback<RangeResult> done) {
  return start_call<RangeResult>("/v3/kv/range", etcd_json::range_request(key, range_end),
                                 &etcd_json::decode_range, std::move(done));
}

EtcdClient::CallId EtcdClient::range_prefix(std::string_view prefix, Callback<RangeResult> done) {
  return range(std::string(prefix), prefix_range_end(prefix), std::move(done));
}

EtcdClient::CallId EtcdClient::put(std::string key, std::string value, int64_t lease,
                                   Callback<PutResult> done) {
  return start_call<PutResult>("/v3/kv/put", etcd_json::put_request(key, value, lease),
                               &etcd_json::decode_put, std::move(done));
}

EtcdClient::CallId EtcdClient::delete_range(std::string key, std::string range_end,
                                            Callback<DeleteResult> done) {
  return start_call<DeleteResult>("/v3/kv/deleterange", etcd_json::delete_request(key, range_end),
                                  &etcd_json::decode_delete, std::move(done));
}

EtcdClient::CallId EtcdClient::lease_grant(int64_t ttl_s, Callback<LeaseGrantResult> done) {
  return start_call<LeaseGrantResult>("/v3/lease/grant", etcd_json::lease_grant_request(ttl_s),
                                      &etcd_json::decode_lease_grant, std::move(done));
}

EtcdClient::CallId EtcdClient::lease_keepalive(int64_t id, Callback<LeaseKeepAliveResult> done) {
  return start_call<LeaseKeepAliveResult>("/v3/lease/keepalive", etcd_json::lease_id_request(id),
                                          &etcd_json::decode_lease_keepalive, std::move(done));
}

EtcdClient::CallId EtcdClient::lease_revoke(int64_t id, Callback<LeaseRevokeResult> done) {
  return start_call<LeaseRevokeResult>("/v3/lease/revoke", etcd_json::lease_id_request(id),
                                       &etcd_json::decode_lease_revoke, std::move(done));
}

std::unique_ptr<EtcdWatch> EtcdClient::watch(std::string key, std::string range_end,
                                             int64_t start_revision, EtcdWatchHandler handler) {
  return std::unique_ptr<EtcdWatch>(new EtcdWatch(*this, std::move(key), std::move(range_end),
                                                  start_revision, std::move(handler)));
}

std::vector<std::pair<std::string, std::string>> EtcdClient::info_fields() const {
  std::string error = state_.last_error;
  for (char& c : error) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  std::string ago =
      state_.last_contact_ms == 0 ? "-1" : std::to_string(uv_now(loop_) - state_.last_contact_ms);
  return {{"etcd_connected", state_.connected ? "1" : "0"},
          {"etcd_endpoint", state_.endpoint},
          {"etcd_last_revision", std::to_string(state_.last_revision)},
          {"etcd_retries", std::to_string(state_.retries)},
          {"etcd_last_error", error},
          {"etcd_last_contact_ms_ago", ago}};
}

}  // namespace ringproxy
