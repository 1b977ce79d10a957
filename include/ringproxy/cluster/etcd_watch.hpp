// A watch of a key range (a prefix) on etcd's /v3/watch stream, made by
// EtcdClient::watch().
//
// Delivery: events arrive in revision order, and each change made at or after
// the start revision is delivered exactly once, across reconnects: the watch
// remembers the next revision it needs (the last event's mod_revision + 1, or
// further on when a progress notification says everything up to a revision
// was sent) and reopens the stream from there.
//
// Failures: a stream that ends, breaks, carries an error, is not created
// within the request timeout, or stays silent past watch_silence_timeout_ms is
// reopened after a backoff (initial, 2x ... max, reset once a stream is
// created), on the next endpoint. A refused token is renewed first.
//
// Compaction: if the revision to resume from is older than etcd's compaction,
// the history in between is gone; the watch stops and calls on_compacted. The
// caller reads the range again, applies the difference to what it holds, and
// calls restart() with the read's revision + 1 (PrefixMirror does all this).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/cluster/backoff.hpp"
#include "ringproxy/cluster/etcd_types.hpp"
#include "ringproxy/cluster/http_client.hpp"
#include "ringproxy/cluster/line_splitter.hpp"

namespace ringproxy {

class EtcdClient;

struct EtcdWatchHandler {
  // One batch of events, in revision order.
  std::function<void(const std::vector<WatchEvent>& events)> on_events;
  // The resume revision was compacted away (see above). Required.
  std::function<void(int64_t compact_revision)> on_compacted;
  // Optional: the stream is up (created) or down, with the reason.
  std::function<void(bool up, std::string_view reason)> on_state;
};

class EtcdWatch {
 public:
  // Stops the stream. Not from inside the watch's own callbacks.
  ~EtcdWatch();
  EtcdWatch(const EtcdWatch&) = delete;
  EtcdWatch& operator=(const EtcdWatch&) = delete;

  // Drops the current stream and watches again from `start_revision`.
  void restart(int64_t start_revision);
  // The first revision not delivered yet.
  int64_t next_revision() const { return next_revision_; }
  bool up() const { return phase_ == Phase::kWatching; }
  bool compacted() const { return phase_ == Phase::kCompacted; }
  uint64_t reconnects() const { return reconnects_; }

 private:
  friend class EtcdClient;
  enum class Phase : uint8_t { kWaitingToken, kConnecting, kWatching, kBackoff, kCompacted };
  enum class Abort : uint8_t { kNone, kCompacted, kTokenRefused, kError };

  EtcdWatch(EtcdClient& client, std::string key, std::string range_end, int64_t start_revision,
            EtcdWatchHandler handler);
  void connect();
  void open_stream();
  bool on_message(std::string_view line);
  void on_stream_end(const HttpResponse& response);
  void drop_stream();
  void stream_failed(std::string reason);
  void arm_deadline(int ms, const char* what);
  void set_up(bool up, std::string_view reason);

  EtcdClient& client_;
  std::string key_;
  std::string range_end_;
  int64_t next_revision_;
  EtcdWatchHandler handler_;
  LineSplitter splitter_;
  Backoff backoff_;
  std::unique_ptr<uv_timer_t> retry_timer_;
  std::unique_ptr<uv_timer_t> deadline_;  // "created" deadline, then silence timeout
  std::string deadline_what_;
  HttpClient::RequestId stream_ = 0;
  size_t endpoint_ = 0;
  std::string token_used_;
  Phase phase_ = Phase::kWaitingToken;
  Abort abort_ = Abort::kNone;
  std::string abort_reason_;
  int64_t compact_revision_ = 0;
  bool token_retried_ = false;
  bool reported_up_ = false;
  uint64_t reconnects_ = 0;
  uint64_t generation_ = 0;      // bumped by restart(): stale callbacks see a new value
  std::shared_ptr<char> alive_;  // token waiters hold a weak reference
};

}  // namespace ringproxy
