// See etcd_json.hpp. Parsing never throws: nlohmann-json is asked for a
// "discarded" value instead of an exception, and every field is type-checked
// before use, so a malformed answer is a kBadResponse, never a crash.
#include "ringproxy/cluster/etcd_json.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "ringproxy/cluster/base64.hpp"

namespace ringproxy {

using json = nlohmann::json;

std::string prefix_range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

namespace etcd_json {
namespace {

std::string dump(const json& j) {
  // Invalid UTF-8 in a user name or password is replaced, not thrown: etcd
  // then refuses the credentials with its own message.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string i64(int64_t v) {
  return std::to_string(v);
}

// int64 fields: a decimal string (protobuf's JSON mapping), a plain number,
// or absent (0). False when present but neither.
bool get_i64(const json& obj, const char* name, int64_t& out) {
  out = 0;
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return true;
  if (it->is_number_integer()) {
    out = it->get<int64_t>();
    return true;
  }
  if (!it->is_string()) return false;
  const auto& s = it->get_ref<const std::string&>();
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool get_bool(const json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

std::string get_string(const json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// bytes fields: base64, or absent ("").
bool get_bytes(const json& obj, const char* name, std::string& out) {
  out.clear();
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  auto decoded = base64_decode(it->get_ref<const std::string&>());
  if (!decoded) return false;
  out = std::move(*decoded);
  return true;
}

EtcdError bad(std::string what) {
  return EtcdError{EtcdError::Kind::kBadResponse, 0, "unexpected answer from etcd: " + what};
}

// Both error shapes (unary and stream); nullopt when `doc` is not an error.
std::optional<EtcdError> error_of(const json& doc) {
  auto it = doc.find("error");
  if (it == doc.end()) {
    // grpc-gateway v2 writes only code + message.
    if (doc.contains("code") && doc.contains("message") && !doc.contains("header")) {
      int64_t code = 0;
      get_i64(doc, "code", code);
      return EtcdError{EtcdError::Kind::kRejected, static_cast<int>(code),
                       get_string(doc, "message")};
    }
    return std::nullopt;
  }
  int64_t code = 0;
  std::string message;
  if (it->is_object()) {
    get_i64(*it, "grpc_code", code);
    message = get_string(*it, "message");
  } else {
    get_i64(doc, "code", code);
    message = get_string(doc, "message");
    if (message.empty() && it->is_string()) message = it->get<std::string>();
  }
  if (message.empty()) message = "error without a message";
  return EtcdError{EtcdError::Kind::kRejected, static_cast<int>(code), std::move(message)};
}

bool decode_kv(const json& j, KeyValue& kv) {
  return j.is_object() && get_bytes(j, "key", kv.key) && get_bytes(j, "value", kv.value) &&
         get_i64(j, "create_revision", kv.create_revision) &&
         get_i64(j, "mod_revision", kv.mod_revision) && get_i64(j, "version", kv.version) &&
         get_i64(j, "lease", kv.lease);
}

bool header_revision(const json& doc, int64_t& out) {
  out = 0;
  auto h = doc.find("header");
  if (h == doc.end()) return true;
  return h->is_object() && get_i64(*h, "revision", out);
}

// Parses `body`, turns error documents into errors, and hands a result object
// (`doc`, or its "result" member when `wrapped`) to `fill`.
template <typename T, typename Fill>
EtcdResult<T> decode(std::string_view body, bool wrapped, Fill fill) {
  EtcdResult<T> r;
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    r.error = bad("not a JSON object");
    return r;
  }
  if (auto e = error_of(doc)) {
    r.error = std::move(e);
    return r;
  }
  const json* obj = &doc;
  if (wrapped) {
    auto it = doc.find("result");
    if (it == doc.end() || !it->is_object()) {
      r.error = bad("no result");
      return r;
    }
    obj = &*it;
  }
  if (!header_revision(*obj, r.value.revision) || !fill(*obj, r.value)) {
    r.error = bad("malformed fields");
  }
  return r;
}

}  // namespace

std::string range_request(std::string_view key, std::string_view range_end) {
  json j = {{"key", base64_encode(key)}};
  if (!range_end.empty()) j["range_end"] = base64_encode(range_end);
  return dump(j);
}

std::string put_request(std::string_view key, std::string_view value, int64_t lease) {
  json j = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease != 0) j["lease"] = i64(lease);
  return dump(j);
}

std::string delete_request(std::string_view key, std::string_view range_end) {
  return range_request(key, range_end);
}

std::string lease_grant_request(int64_t ttl_s) {
  return dump(json{{"TTL", i64(ttl_s)}});
}

std::string lease_id_request(int64_t id) {
  return dump(json{{"ID", i64(id)}});
}

std::string authenticate_request(std::string_view user, std::string_view password) {
  return dump(json{{"name", std::string(user)}, {"password", std::string(password)}});
}

std::string watch_create_request(std::string_view key, std::string_view range_end,
                                 int64_t start_revision, bool progress_notify) {
  json create = {{"key", base64_encode(key)}};
  if (!range_end.empty()) create["range_end"] = base64_encode(range_end);
  if (start_revision > 0) create["start_revision"] = i64(start_revision);
  if (progress_notify) create["progress_notify"] = true;
  return dump(json{{"create_request", create}});
}

EtcdResult<RangeResult> decode_range(std::string_view body) {
  return decode<RangeResult>(body, false, [](const json& j, RangeResult& out) {
    auto it = j.find("kvs");
    if (it == j.end() || it->is_null()) return true;
    if (!it->is_array()) return false;
    out.kvs.reserve(it->size());
    for (const auto& item : *it) {
      KeyValue kv;
      if (!decode_kv(item, kv)) return false;
      out.kvs.push_back(std::move(kv));
    }
    return true;
  });
}

EtcdResult<PutResult> decode_put(std::string_view body) {
  return decode<PutResult>(body, false, [](const json&, PutResult&) { return true; });
}

EtcdResult<DeleteResult> decode_delete(std::string_view body) {
  return decode<DeleteResult>(body, false, [](const json& j, DeleteResult& out) {
    return get_i64(j, "deleted", out.deleted);
  });
}

EtcdResult<LeaseGrantResult> decode_lease_grant(std::string_view body) {
  auto r = decode<LeaseGrantResult>(body, false, [](const json& j, LeaseGrantResult& out) {
    return get_i64(j, "ID", out.id) && get_i64(j, "TTL", out.ttl);
  });
  if (r.ok() && r.value.id == 0) {
    // LeaseGrantResponse.error: the grant failed without a gRPC error.
    r.error = bad("lease grant without an ID");
  }
  return r;
}

EtcdResult<LeaseKeepAliveResult> decode_lease_keepalive(std::string_view body) {
  return decode<LeaseKeepAliveResult>(body, true, [](const json& j, LeaseKeepAliveResult& out) {
    return get_i64(j, "TTL", out.ttl);
  });
}

EtcdResult<LeaseRevokeResult> decode_lease_revoke(std::string_view body) {
  return decode<LeaseRevokeResult>(body, false,
                                   [](const json&, LeaseRevokeResult&) { return true; });
}

EtcdResult<AuthenticateResult> decode_authenticate(std::string_view body) {
  auto r = decode<AuthenticateResult>(body, false, [](const json& j, AuthenticateResult& out) {
    out.token = get_string(j, "token");
    return true;
  });
  if (r.ok() && r.value.token.empty()) r.error = bad("authentication without a token");
  return r;
}

bool is_invalid_token(int code, std::string_view message) {
  return code == kCodeUnauthenticated &&
         message.find("invalid auth token") != std::string_view::npos;
}

WatchMessage decode_watch_message(std::string_view line) {
  WatchMessage m;
  json doc = json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    m.reason = "watch stream: not a JSON object";
    return m;
  }
  if (auto e = error_of(doc)) {
    m.code = e->code;
    m.reason = std::move(e->message);
    return m;
  }
  auto it = doc.find("result");
  if (it == doc.end() || !it->is_object()) {
    m.reason = "watch stream: message without a result";
    return m;
  }
  const json& r = *it;
  if (!header_revision(r, m.header_revision) ||
      !get_i64(r, "compact_revision", m.compact_revision)) {
    m.reason = "watch stream: malformed header";
    return m;
  }
  if (get_bool(r, "canceled")) {
    m.kind = WatchMessage::Kind::kCanceled;
    m.reason = get_string(r, "cancel_reason");
    return m;
  }
  if (m.compact_revision > 0) {
    // A compacted start revision is reported with canceled set; accept the
    // revision alone too.
    m.kind = WatchMessage::Kind::kCanceled;
    return m;
  }
  if (get_bool(r, "created")) {
    m.kind = WatchMessage::Kind::kCreated;
    return m;
  }
  auto evs = r.find("events");
  if (evs == r.end() || evs->is_null() || (evs->is_array() && evs->empty())) {
    m.kind = WatchMessage::Kind::kProgress;
    return m;
  }
  if (!evs->is_array()) {
    m.reason = "watch stream: events is not a list";
    return m;
  }
  m.events.reserve(evs->size());
  for (const auto& e : *evs) {
    WatchEvent ev;
    auto kv = e.is_object() ? e.find("kv") : e.end();
    std::string type = e.is_object() ? get_string(e, "type") : std::string();
    if (kv == e.end() || !decode_kv(*kv, ev.kv) ||
        (type != "" && type != "PUT" && type != "DELETE")) {
      m.events.clear();
      m.reason = "watch stream: malformed event";
      return m;
    }
    ev.type = type == "DELETE" ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut;
    m.events.push_back(std::move(ev));
  }
  m.kind = WatchMessage::Kind::kEvents;
  return m;
}

}  // namespace etcd_json
}  // namespace ringproxy
