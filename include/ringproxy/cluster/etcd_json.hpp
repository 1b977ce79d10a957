// etcd v3's JSON gateway (etcd 3.4: POST /v3/...): request bodies and answers.
// The gateway maps the gRPC messages to JSON with protobuf's rules: `bytes`
// fields (keys, values, range ends) are base64, int64 fields are decimal
// strings, fields equal to their default (0, false, PUT) are left out.
// Errors come as {"error": "...", "message": "...", "code": N} for unary calls
// and as {"error": {"grpc_code": N, "message": "...", ...}} inside a stream;
// N is the gRPC status code (14 Unavailable, 16 Unauthenticated, ...).
//
// Pure functions, no I/O: the loop-driven client (etcd_client.hpp) sends the
// bodies and hands the answers to these decoders.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/cluster/etcd_types.hpp"

namespace ringproxy {

// The end of the key range holding every key that starts with `prefix`
// (prefix with its last byte below 0xff incremented, trailing 0xff bytes
// dropped); "\0" (every key) when the prefix is empty or all 0xff.
std::string prefix_range_end(std::string_view prefix);

namespace etcd_json {

// gRPC status codes the client acts on.
inline constexpr int kCodeNotFound = 5;
inline constexpr int kCodeUnavailable = 14;
inline constexpr int kCodeUnauthenticated = 16;

std::string range_request(std::string_view key, std::string_view range_end);
std::string put_request(std::string_view key, std::string_view value, int64_t lease);
std::string delete_request(std::string_view key, std::string_view range_end);
std::string lease_grant_request(int64_t ttl_s);
std::string lease_id_request(int64_t id);  // keepalive and revoke
std::string authenticate_request(std::string_view user, std::string_view password);
// Watch [key, range_end) from `start_revision` (inclusive).
std::string watch_create_request(std::string_view key, std::string_view range_end,
                                 int64_t start_revision, bool progress_notify);

// Unary answers. An error document gives kRejected with its code and message;
// anything that is not the expected JSON gives kBadResponse.
EtcdResult<RangeResult> decode_range(std::string_view body);
EtcdResult<PutResult> decode_put(std::string_view body);
EtcdResult<DeleteResult> decode_delete(std::string_view body);
EtcdResult<LeaseGrantResult> decode_lease_grant(std::string_view body);
// The gateway wraps this stream's single answer in {"result": ...}.
EtcdResult<LeaseKeepAliveResult> decode_lease_keepalive(std::string_view body);
EtcdResult<LeaseRevokeResult> decode_lease_revoke(std::string_view body);
EtcdResult<AuthenticateResult> decode_authenticate(std::string_view body);

// An error etcd reports about the token it was given (expired, or issued by a
// restarted server): authenticate again and retry.
bool is_invalid_token(int code, std::string_view message);

// One line of a /v3/watch stream.
struct WatchMessage {
  enum class Kind : uint8_t {
    kCreated,   // the watch exists; events follow
    kEvents,    // one or more events, in revision order
    kProgress,  // no events: everything up to header_revision was delivered
    kCanceled,  // the server ended the watch (compact_revision > 0: compacted)
    kError,     // an error document, or a line that is not a watch message
  };
  Kind kind = Kind::kError;
  int64_t header_revision = 0;
  int64_t compact_revision = 0;
  int code = 0;        // kError: the gRPC code when the server sent one
  std::string reason;  // kCanceled: cancel_reason; kError: the message
  std::vector<WatchEvent> events;
};
WatchMessage decode_watch_message(std::string_view line);

}  // namespace etcd_json
}  // namespace ringproxy
