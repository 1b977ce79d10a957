// The state the command handlers share within one loop, and the request
// lifecycle every kind uses: open a request, send its parts, take each part's
// reply or failure, and complete it (merging when it was split) in the
// client's reply order.
//
// The handlers themselves are stateless; what they need beyond the request
// (the ring, the backends, the proxy's introspection, counters, scratch space
// reused from request to request) is here. One CommandContext per loop.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ringproxy/commands/backend_port.hpp"
#include "ringproxy/commands/introspection.hpp"
#include "ringproxy/commands/request.hpp"
#include "ringproxy/commands/ring_view.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/common/buffer.hpp"

namespace ringproxy {

class CommandHandler;
class RingAdmin;

// What the handlers take from the configuration.
struct CommandOptions {
  bool miss_on_unavailable = false;  // --on-unavailable miss
  std::string client_password;       // --client-password; empty: none
  size_t max_transaction_bytes = 0;  // queued MULTI commands (--query-buffer-limit)
  std::string admin_password;        // --admin-password; empty: loopback clients only
  bool admin_allow_remote = false;   // --admin-allow-remote
};

// What the proxy did with the requests it handled: plain per-loop counters
// (INFO; per-command figures are stats/'s).
struct RequestCounters {
  uint64_t commands = 0;
  uint64_t forwarded = 0;  // requests sent to one backend as they came
  uint64_t split = 0;      // requests split across backends (MGET/MSET/DEL...)
  uint64_t fanout = 0;     // requests sent to every backend (DBSIZE/KEYS/SCAN...)
  uint64_t local = 0;      // answered by the proxy
  uint64_t errors = 0;     // error replies produced by the proxy
  uint64_t cross_backend_rejected = 0;
  uint64_t failover_writes = 0;  // writes that landed on a successor
  // Writes sent to a backend whose connection then failed before they were
  // answered: the client got an error, the backend may or may not apply them.
  uint64_t writes_failed_in_flight = 0;
  uint64_t replies_moved = 0;  // big replies handed over with their storage, not copied
  uint64_t stale_reads = 0;    // reads answered as misses: the backend's copy may be stale
  // Migration window: misses on a moved key's new home asked again of its
  // previous home, how many of those found the key, and the removals sent
  // there for writes of moved keys.
  uint64_t window_reads = 0;
  uint64_t window_hits = 0;
  uint64_t window_invalidations = 0;
};

// Error replies by their first word (Redis's INFO errorstats), for the errors
// the proxy produces itself; errors from backends are counted by the proxy.
// Errors are rare: a short vector searched in order.
struct ErrorCounts {
  std::vector<std::pair<std::string, uint64_t>> counts;
  // `message` without the leading '-' (RESP) or with it.
  void add(std::string_view message);
};

// The per-command figures and hot-key sampling, which the proxy owns
// (stats/): commands/ says what happened, on paths other than a forwarded
// request's (whose figures the proxy takes when it is answered).
class CommandObserver {
 public:
  virtual ~CommandObserver() = default;
  // Command `command` (CommandContext::command_id) was answered by the proxy
  // itself, with an error if `failed`.
  virtual void local_call(uint32_t command, bool failed) = 0;
  // Command `command` was refused before it ran (NOAUTH, wrong arity, not
  // supported, keys on several backends): Redis's rejected_calls.
  virtual void rejected_call(uint32_t command) = 0;
  // `key`, routed to `backend`, was sampled for hot keys; returns the keys
  // until the next sample (>= 1).
  virtual uint32_t sample_key(std::string_view key, BackendId backend) = 0;
  // A request was answered with `reply` other than by its backend's reply
  // passing through: merged from its parts, or the proxy's answer for an
  // unavailable backend. (The proxy takes the figures of a reply that
  // passes through on its own path.)
  virtual void request_answered(const Request& req, std::string_view reply) = 0;
};

class CommandContext {
 public:
  CommandContext(RingView& ring, BackendPort& backends, ProxyIntrospection& proxy,
                 CommandOptions options);

  RingView& ring;
  BackendPort& backends;
  ProxyIntrospection& proxy;
  // PROXY ADD/REMOVE/WEIGHT/RING go here; nullptr: not supported.
  RingAdmin* admin = nullptr;
  const CommandOptions options;
  RequestCounters counters;
  ErrorCounts error_counts;
  RequestPool requests;
  // The clock (ns, monotonic) of the request being dispatched, set by the
  // proxy (its loop's clock, read once per loop iteration): a forwarded
  // request's latency starts here.
  uint64_t now_ns = 0;
  // The command being dispatched: its row in all_commands(), kProxyCommandId
  // for PROXY, kNoCommandId for a name that is no command.
  static constexpr uint32_t kNoCommandId = UINT32_MAX;
  uint32_t command_id = kNoCommandId;
  // Per-command figures and hot keys; nullptr = none (tests).
  CommandObserver* observer = nullptr;
  uint32_t key_countdown = 1;

  // Whether the next key routed is sampled for hot keys (then sample_key()):
  // a decrement and a branch. A macro-like pair rather than one call so that
  // the key is not even looked up when it is not sampled.
  bool key_sampled() { return --key_countdown == 0; }
  void sample_key(std::string_view key, BackendId backend) {
    key_countdown = observer != nullptr ? observer->sample_key(key, backend) : UINT32_MAX;
  }
  // The command being dispatched was answered by the proxy (not an error:
  // reply_error() counts those).
  void answered_locally(bool failed = false) {
    if (observer != nullptr) observer->local_call(command_id, failed);
  }
  std::mt19937_64 rng;
  // Kinds of reply the command being dispatched can produce
  // (expected_reply_types()); its requests carry it to the backend
  // connection, which closes itself on a reply of another kind.
  resp::ReplyTypes expect = resp::kAnyReply;
  // Set by a local command (CLIENT KILL of its own client): the client
  // closes once this reply is out, as after QUIT.
  bool close_after_reply = false;
  // Whether the command being dispatched may modify data (its table row).
  bool write = false;
  // Whether it is one Redis answers promptly (command_is_fast()).
  bool fast = false;

  // Scratch reused across requests (one request is handled at a time).
  std::vector<uint32_t> key_indexes;
  std::vector<BackendId> key_backends;
  std::vector<uint32_t> fragment_of;  // by backend id; UINT32_MAX when unused
  std::vector<uint32_t> failed_parts;
  std::vector<std::vector<std::string_view>> elements;  // merge: each part's array elements
  std::vector<uint32_t> merge_next;

  // --- Requests answered by backends.
  // Takes a request from the pool and queues it in `session`'s reply order.
  // Inlined on purpose: it is on the path of every request.
  [[gnu::always_inline]] Request* open_request(Session& session, const CommandHandler& handler) {
    Request* req = requests.acquire();
    req->session = &session;
    req->handler = &handler;
    req->expect = expect;
    req->write = write;
    req->fast = fast;
    req->command = command_id;
    req->start_ns = now_ns;
    session.open(req);
    return req;
  }
  // Sends `bytes` whole to `backend` as the request's only part; answers it
  // as unavailable when the backend cannot take it.
  void send_whole(Request* req, uint64_t client_id, BackendId backend, std::string_view bytes,
                  uint32_t swallow = 0);
  // Answers part `fragment` with the backend's unavailable error (or its miss).
  void fail_unavailable(Request* req, uint32_t fragment);

  // --- The reply path (from the backends).
  void part_replied(Request* req, uint32_t fragment, std::string_view reply) {
    if (req->window_from != kNoBackend || req->window_asked) [[unlikely]] {
      if (window_reply(req, reply)) return;
    }
    if (req->merge) {
      part_merged(req, fragment, reply);
      return;
    }
    // The one reply passes through as it came.
    req->pending = 0;
    if (req->session == nullptr) {
      requests.release(req);
    } else {
      req->session->deliver(req, reply);
    }
  }
  void part_failed(Request* req, uint32_t fragment, std::string_view error);
  // Part `fragment` was sent and its connection failed before it was
  // answered: a read gets its miss answer (or the error), a write the error,
  // and the backend is told it may have missed (or may apply late) a write.
  void part_lost(Request* req, uint32_t fragment, std::string_view error);
  Buffer* reply_sink(Request* req, uint32_t fragment);
  void reply_moved(Request* req, uint32_t fragment);

  // --- Answers of the proxy's own.
  // An error answer to the command being dispatched: a failed call.
  void reply_error(Session& session, std::string_view message);
  // The same for a command refused before it ran: a rejected call.
  void reject(Session& session, std::string_view message);
  // Records a write of `key` that went to `owner`, if that is not its home.
  void note_write(std::string_view key, BackendId owner);

  // --- Migration window (RingView::window_open()).
  // A read of `key` sent to `owner` in `req`: if it misses there and the key
  // moved, it is asked again of its previous home.
  void window_read(Request* req, std::string_view key, BackendId owner, std::string_view raw);
  // A write of `key` went to `owner`: the key's copy on its previous home (if
  // the key moved) is removed, so it cannot be read back from there.
  void window_invalidate(std::string_view key, BackendId owner);
  // An error reply written into `out` (a reply already begun), counted in
  // errors and errorstats.
  void write_error(Buffer& out, std::string_view message);

 private:
  void write_error(Session& session, std::string_view message);
  // The proxy's own answer for part `fragment` (a miss or an error).
  void answer_part(Request* req, uint32_t fragment, std::string_view answer);
  void part_merged(Request* req, uint32_t fragment, std::string_view reply);
  void complete(Request* req);
  // The reply of a window read: true when it was taken (the miss is asked
  // again of the previous home).
  bool window_reply(Request* req, std::string_view reply);
};

}  // namespace ringproxy
