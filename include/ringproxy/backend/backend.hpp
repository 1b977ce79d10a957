// A Redis backend and its persistent, pipelined connections.
//
// Requests from many clients are written back to back on a backend connection
// and matched to replies strictly FIFO (Redis answers in order). Each in-flight
// entry knows which request fragment it answers, how many replies to swallow
// first (the AUTH/SELECT prelude of a new connection, the +OK/+QUEUED replies
// of a MULTI block), and which kinds of reply its command can produce, so the
// reply path is a queue pop, not a lookup.
//
// Matching by position trusts the backend to answer each request exactly
// once. One that answers twice or skips an answer shifts every later reply
// onto the wrong request, and on a connection shared by many clients that
// means other clients' data. Such a connection is out of step: a reply with no
// request outstanding, or of a kind its request's command cannot produce
// (an integer for GET), shows it. The connection is then closed before the
// reply reaches anyone, its requests fail, and it is counted and logged. A
// shifted reply of a possible kind (one GET's value for another GET) cannot
// be told from the right one.
//
// Timeouts measure silence, not size: a connection times out when requests
// are in flight and no byte moved for --timeout-ms, none arriving and none
// taken by the backend (the clock starts when the first request of an idle
// connection is queued and restarts with every read, and with every check
// that finds more of a big request sent), so a big value that keeps moving
// either way never times out, and a stopped backend (which takes nothing
// once the socket buffers are full, and sends nothing) does.
//
// A stall is the same silence, bounded much tighter (--stall-timeout-ms), and
// judged only while every request in flight on the backend is one Redis
// answers promptly (@fast: GET, SET, MGET, ...): Redis is single-threaded, so
// one slow command (KEYS, EVAL, SORT, ...) in flight on any of its
// connections makes every other wait, and only --timeout-ms bounds that.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/common/buffer.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/common/ring_queue.hpp"
#include "ringproxy/net/tcp_connection.hpp"
#include "ringproxy/placement/backend_spec.hpp"
#include "ringproxy/resp/reply_scanner.hpp"
#include "ringproxy/resp/reply_type.hpp"

namespace ringproxy {

class Backend;
struct Request;  // the client request a reply answers (commands/request.hpp)

// Where backend connections report replies and failures (the proxy).
class BackendEvents {
 public:
  virtual ~BackendEvents() = default;
  virtual void on_reply(Request* req, uint32_t fragment, std::string_view reply) = 0;
  // A big reply can be handed over with the storage it was read into instead
  // of being copied: the consumer returns an empty buffer to swap it into (or
  // nullptr: it is copied through on_reply), then hears of the move.
  virtual Buffer* reply_sink(Request*, uint32_t /*fragment*/) { return nullptr; }
  virtual void on_reply_moved(Request*, uint32_t /*fragment*/) {}
  // The request fragment failed: `error` is a complete RESP error line.
  virtual void on_failure(Request* req, uint32_t fragment, std::string_view error) = 0;
  // Passive health signals from the data path.
  virtual void on_backend_error(Backend& backend, std::string_view reason) = 0;
  virtual void on_backend_connected(Backend& backend) = 0;
};

struct BackendStats {
  uint64_t requests = 0;        // fragments sent
  uint64_t responses = 0;       // replies to requests
  uint64_t response_bytes = 0;  // bytes read from the backend (twemproxy's response_bytes)
  uint64_t closed_written = 0;  // bytes written by connections since closed
  uint64_t errors = 0;          // fragments failed by the proxy (connect/timeout/reset)
  uint64_t connections = 0;     // connections opened
  uint64_t timeouts = 0;
  uint64_t ejections = 0;
  uint64_t restarts = 0;     // restarts seen by the health checker (a new run_id)
  uint64_t out_of_step = 0;  // connections closed for a reply that cannot be theirs
  uint64_t stalls = 0;       // connections closed for silence past the stall timeout
  std::string last_error;
};

struct BackendOptions {
  int connect_timeout_ms = 1000;
  int timeout_ms = 5000;        // 0: none
  int stall_timeout_ms = 2000;  // 0: none; applies while only @fast commands are in flight
  std::string password;
  int db = 0;
  size_t max_reply_len = 1024ull * 1024 * 1024;
  int reconnect_backoff_ms = 100;  // minimum gap between connect attempts after a failure
};

class BackendConnection final : public TcpConnection {
 public:
  BackendConnection(Backend& backend, uv_loop_t* loop, FlushScheduler& flusher);

  bool connected() const { return connected_; }
  // Queues a request fragment whose bytes were already appended to the
  // output; `expect` is the kinds of reply its command can produce
  // (expected_reply_types()); swallowed replies (MULTI's +OK, +QUEUED) must
  // be statuses.
  // `fast`: a command Redis answers promptly (command_is_fast()).
  void expect_reply(Request* req, uint32_t fragment, uint32_t swallow, uint64_t now_ms,
                    resp::ReplyTypes expect = resp::kAnyReply, bool fast = false) {
    if (inflight_.empty()) progress_ms_ = now_ms;  // the silence clock starts
    inflight_.push_back({req, fragment, swallow, expect, fast});
    if (!fast) slow_inflight_++;
    schedule_flush();
  }
  // Requests in flight that are not @fast.
  size_t slow_inflight() const { return slow_inflight_; }
  // Fails every in-flight request with `reason` and closes the connection.
  void fail(std::string_view reason);
  // When the connection last heard from the backend, or sent the first
  // request of an idle spell: a connection with requests in flight is stalled
  // once this is --timeout-ms old.
  uint64_t progress_ms() const { return progress_ms_; }
  // Counts bytes the backend took since the last call as progress.
  void note_write_progress(uint64_t now_ms) {
    uint64_t n = bytes_written();
    if (n != written_seen_) {
      written_seen_ = n;
      progress_ms_ = now_ms;
    }
  }
  uint64_t connect_started_ms() const { return connect_started_ms_; }
  size_t inflight() const { return inflight_.size(); }
  void start_connect(const sockaddr_storage& addr, uint64_t now_ms);
  // A request of the proxy's own (e.g. deleting failover-era copies): sent in
  // order with client traffic, its reply is dropped.
  void send_internal(std::string_view bytes, uint64_t now_ms,
                     resp::ReplyTypes expect = resp::kAnyReply) {
    out().append(bytes);
    expect_reply(nullptr, 0, 0, now_ms, expect);
  }

 private:
  struct InFlight {
    Request* req;
    uint32_t fragment;
    uint32_t swallow;         // replies to discard before the one that answers `req`
    resp::ReplyTypes expect;  // kinds of reply that can answer it
    bool fast;                // @fast: see expect_reply()
  };
  void alloc_buffer(size_t suggested, uv_buf_t* buf) override;
  void on_read(ssize_t nread, const uv_buf_t* buf) override;
  void on_write_error(int status) override;
  void on_close() override;
  void on_connect(int status);
  void send_prelude();
  // Hands the complete reply at the front of in_ (len bytes) to its consumer
  // with its storage, if big enough and the consumer can take it; in_ then
  // holds only what followed it. False: nothing moved, copy it.
  bool move_front_reply(const InFlight& e, size_t len);
  // Closes the connection for a reply that cannot answer what is in flight.
  void out_of_step(std::string_view what);

  Backend& backend_;
  uv_connect_t connect_req_{};
  bool connected_ = false;
  uint64_t connect_started_ms_ = 0;
  uint64_t progress_ms_ = 0;
  uint64_t written_seen_ = 0;
  RingQueue<InFlight> inflight_;
  size_t slow_inflight_ = 0;  // entries of inflight_ that are not fast
  Buffer in_;
  ReplyScanner scanner_;
  uint32_t prelude_left_ = 0;  // AUTH/SELECT replies still expected
  bool failed_ = false;
};

class Backend {
 public:
  Backend(uint32_t index, BackendSpec spec, const BackendOptions& options, uint32_t connections,
          uv_loop_t* loop, FlushScheduler& flusher, BackendEvents& events);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  uint32_t index() const { return index_; }
  const BackendSpec& spec() const { return spec_; }
  const std::string& address() const { return address_; }
  BackendStats& stats() { return stats_; }
  const BackendStats& stats() const { return stats_; }
  // Bytes written to the backend (twemproxy's request_bytes): counted by the
  // connections as they write, not per request.
  uint64_t request_bytes() const;
  BackendEvents& events() { return events_; }
  const BackendOptions& options() const { return options_; }

  // Resolves the host (once, at startup). Throws std::runtime_error.
  void resolve();
  // The connection a client's requests use (the same one for the same client,
  // which keeps that client's writes and reads in order), connecting it if
  // needed. nullptr while a failed connect is backing off: the caller fails the
  // request at once instead of queueing it.
  BackendConnection* connection_for(uint64_t client_id, uint64_t now_ms);
  // Sends a proxy-internal command; false if no connection can take it now.
  bool send_internal(std::string_view bytes, uint64_t now_ms,
                     resp::ReplyTypes expect = resp::kAnyReply) {
    BackendConnection* c = connection_for(0, now_ms);
    if (c == nullptr) return false;
    c->send_internal(bytes, now_ms, expect);
    stats_.requests++;
    return true;
  }
  // Opens every connection now (preconnect).
  void connect_all(uint64_t now_ms);
  // Forgets the reconnect back-off (the health checker just saw it answer).
  void reset_backoff() { retry_after_ms_ = 0; }
  // Closes every connection, failing in-flight requests with `reason`.
  void fail_all(std::string_view reason);
  // For the timeout sweep. `judge_stalls` is false when the sweep itself ran
  // late (the proxy's loop was busy): replies may be waiting unread, so
  // silence proves nothing this time.
  void check_timeouts(uint64_t now_ms, bool judge_stalls = true);
  // Requests in flight that are not @fast, on every connection.
  size_t slow_inflight() const;
  // A slow command is in flight, or one finished less than `window_ms` ago:
  // a probe sent behind it may still be waiting for its deadline (timers run
  // before the loop reads the probe's reply), so its timeout proves nothing.
  bool busy_with_slow(uint64_t now_ms, uint64_t window_ms) const {
    return slow_inflight() > 0 || (slow_done_ms_ != 0 && now_ms - slow_done_ms_ < window_ms);
  }
  void slow_done(uint64_t now_ms) { slow_done_ms_ = now_ms; }
  size_t inflight() const;
  size_t open_connections() const;

  // Called by connections.
  void connection_closed(BackendConnection* conn, bool failed, uint64_t now_ms);
  // Warnings about this backend's connections: at most one a second, so a
  // misbehaving backend cannot flood the log.
  LogThrottle& warnings() { return warnings_; }

 private:
  uint32_t index_;
  BackendSpec spec_;
  std::string address_;
  BackendOptions options_;
  uv_loop_t* loop_;
  FlushScheduler& flusher_;
  BackendEvents& events_;
  sockaddr_storage addr_{};
  std::vector<BackendConnection*> conns_;  // owned by their handles; null when closed
  uint64_t retry_after_ms_ = 0;
  uint64_t slow_done_ms_ = 0;  // when the last slow command's reply arrived
  LogThrottle warnings_;
  BackendStats stats_;
};

}  // namespace ringproxy
