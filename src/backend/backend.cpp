// Backend connections: connect, prelude, pipelined FIFO reply matching,
// timeouts, and failing in-flight requests when a connection breaks.
#include "ringproxy/backend/backend.hpp"

#include "ringproxy/common/log.hpp"
#include "ringproxy/net/socket_address.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kKeepInputCapacity = 256 * 1024;
// Replies from this size up are handed to their client with the storage they
// were read into rather than copied (see move_front_reply).
constexpr size_t kMoveReplyMin = 16 * 1024;
// From this size up a reply always moves, whatever its storage's spare room:
// copying it would hold the loop for time proportional to its size.
constexpr size_t kAlwaysMoveReply = 1024 * 1024;
}  // namespace

BackendConnection::BackendConnection(Backend& backend, uv_loop_t* loop, FlushScheduler& flusher)
    : TcpConnection(loop, flusher, FlushOrder::kLast),
      backend_(backend),
      scanner_(backend.options().max_reply_len) {
  writable_ = false;
  connect_req_.data = this;
}

void BackendConnection::start_connect(const sockaddr_storage& addr, uint64_t now_ms) {
  connect_started_ms_ = now_ms;
  send_prelude();
  int rc = uv_tcp_connect(&connect_req_, handle(), reinterpret_cast<const sockaddr*>(&addr),
                          [](uv_connect_t* req, int status) {
                            static_cast<BackendConnection*>(req->data)->on_connect(status);
                          });
  if (rc < 0) {
    // Report from the loop, not from inside the caller's routing.
    fail(uv_strerror(rc));
  }
}

void BackendConnection::send_prelude() {
  const BackendOptions& o = backend_.options();
  if (!o.password.empty()) {
    std::string_view args[] = {"AUTH", o.password};
    resp::command(out(), args);
    inflight_.push_back({nullptr, 0, 0, resp::kStatus, true});
    prelude_left_++;
  }
  if (o.db != 0) {
    std::string db = std::to_string(o.db);
    std::string_view args[] = {"SELECT", db};
    resp::command(out(), args);
    inflight_.push_back({nullptr, 0, 0, resp::kStatus, true});
    prelude_left_++;
  }
  progress_ms_ = connect_started_ms_;
}

void BackendConnection::on_connect(int status) {
  if (closing()) return;
  if (status < 0) {
    fail(uv_strerror(status));
    return;
  }
  connected_ = true;
  writable_ = true;
  uv_tcp_nodelay(handle(), 1);
  backend_.stats().connections++;
  start_reading();
  backend_.events().on_backend_connected(backend_);
  schedule_flush();
}

void BackendConnection::alloc_buffer(size_t, uv_buf_t* buf) {
  size_t avail = 0;
  char* p = in_.tail_for_read(kReadChunk, scanner_.wanted(), &avail);
  *buf = uv_buf_init(p, static_cast<unsigned>(avail));
}

void BackendConnection::on_read(ssize_t nread, const uv_buf_t*) {
  if (nread == 0) return;
  if (nread < 0) {
    fail(nread == UV_EOF ? "connection closed by backend" : uv_strerror(static_cast<int>(nread)));
    return;
  }
  in_.commit(static_cast<size_t>(nread));
  backend_.stats().response_bytes += static_cast<size_t>(nread);
  progress_ms_ = uv_now(loop());  // any byte is progress: a big reply is not a stall
  while (!in_.empty() && !closing()) {
    ReplyScanner::Status st = scanner_.scan(in_.data(), in_.size());
    if (st == ReplyScanner::Status::kNeedMore) break;
    if (st == ReplyScanner::Status::kError) {
      fail("protocol error in backend reply");
      return;
    }
    size_t len = scanner_.length();
    if (inflight_.empty()) {
      out_of_step("a reply with no request outstanding");
      return;
    }
    const InFlight& front = inflight_.front();
    const resp::ReplyTypes expected = front.swallow > 0 ? resp::kStatus : front.expect;
    const resp::ReplyTypes got = resp::reply_type_of(in_.data(), len);
    if (!resp::reply_type_allowed(expected, got)) {
      out_of_step("a " + resp::reply_types_name(got) + " reply where " +
                  resp::reply_types_name(expected | resp::kError) + " was expected");
      return;
    }
    InFlight& head = inflight_.front();
    std::string_view reply(in_.data(), len);
    if (head.swallow > 0) {
      head.swallow--;
    } else {
      InFlight e = head;
      inflight_.pop_front();
      if (!e.fast) {
        slow_inflight_--;
        backend_.slow_done(uv_now(loop()));
      }
      if (e.req != nullptr) {
        backend_.stats().responses++;
        // Most replies are small: the size test before the call.
        if (len >= kMoveReplyMin && move_front_reply(e, len)) continue;
        backend_.events().on_reply(e.req, e.fragment, reply);
      } else if (prelude_left_ > 0) {
        prelude_left_--;
        if (scanner_.type() == '-') {
          // A failed AUTH/SELECT prelude: the connection would serve the wrong
          // database or be refused everything, so it is not used.
          std::string why(reply.substr(1, reply.size() > 3 ? reply.size() - 3 : 0));
          log(LogLevel::kWarn, "backend ", backend_.address(), ": connection setup failed: ", why);
          fail("connection setup failed: " + why);
          return;
        }
      }
    }
    in_.consume(len);
  }
  if (in_.empty() && in_.capacity() > kKeepInputCapacity) in_.release_if_empty();
}

bool BackendConnection::move_front_reply(const InFlight& e, size_t len) {
  // Worth it only where a copy costs more than the bytes read after the reply,
  // which must be copied instead (the next replies, usually short), and where
  // the reply fills at least half the storage: the client keeps it until it
  // is written, and a 64 KiB read buffer for a 20 KiB reply would triple that.
  size_t rest = in_.size() - len;
  if (len < kMoveReplyMin || rest > len) return false;
  if (in_.capacity() > 2 * len && len < kAlwaysMoveReply) return false;
  Buffer* sink = backend_.events().reply_sink(e.req, e.fragment);
  if (sink == nullptr) return false;
  // The sink's own (empty) storage takes the rest and becomes the input buffer,
  // so a sink that got the last big reply gives its storage back for the next.
  Buffer next;
  next.swap(*sink);
  next.clear();
  if (rest > 0) next.append(in_.data() + len, rest);
  in_.truncate(len);
  sink->swap(in_);
  in_.swap(next);
  backend_.events().on_reply_moved(e.req, e.fragment);
  return true;
}

void BackendConnection::out_of_step(std::string_view what) {
  backend_.stats().out_of_step++;
  uint64_t suppressed = 0;
  if (backend_.warnings().allow(uv_now(loop()), &suppressed)) {
    log(LogLevel::kWarn, "backend ", backend_.address(), ": connection out of step (", what,
        "); closing it and failing its ", inflight_.size(), " requests in flight",
        suppressed ? " (" : "", suppressed ? std::to_string(suppressed) : "",
        suppressed ? " similar warnings suppressed)" : "");
  }
  fail("connection out of step with its requests");
}

void BackendConnection::on_write_error(int status) {
  fail(uv_strerror(status));
}

void BackendConnection::fail(std::string_view reason) {
  if (closing()) return;
  failed_ = true;
  backend_.stats().last_error.assign(reason);
  // Detach first: anything the failure callbacks route to this backend must
  // get a fresh connection (or a fast error), never this dying one.
  backend_.connection_closed(this, true, uv_now(loop()));
  RingQueue<InFlight> lost;
  std::swap(lost, inflight_);
  slow_inflight_ = 0;
  close();
  std::string error = "ERR ringproxy: backend " + backend_.address() + ": ";
  error.append(reason);
  Buffer line;
  resp::error(line, error);
  backend_.events().on_backend_error(backend_, reason);
  while (!lost.empty()) {
    InFlight e = lost.front();
    lost.pop_front();
    if (e.req == nullptr) continue;
    backend_.stats().errors++;
    backend_.events().on_failure(e.req, e.fragment, line.view());
  }
}

void BackendConnection::on_close() {
  if (!failed_) backend_.connection_closed(this, false, uv_now(loop()));
}

Backend::Backend(uint32_t index, BackendSpec spec, const BackendOptions& options,
                 uint32_t connections, uv_loop_t* loop, FlushScheduler& flusher,
                 BackendEvents& events)
    : index_(index),
      spec_(std::move(spec)),
      address_(spec_.address()),
      options_(options),
      loop_(loop),
      flusher_(flusher),
      events_(events),
      conns_(connections == 0 ? 1 : connections, nullptr) {
  if (!spec_.name.empty()) address_ += " (" + spec_.name + ")";
}

Backend::~Backend() {
  for (BackendConnection*& c : conns_) {
    if (c != nullptr) {
      BackendConnection* conn = c;
      c = nullptr;
      conn->fail("proxy shutting down");
    }
  }
}

void Backend::resolve() {
  addr_ = resolve_address(spec_.host, spec_.port, false, "backend host").storage;
}

BackendConnection* Backend::connection_for(uint64_t client_id, uint64_t now_ms) {
  BackendConnection*& slot = conns_[client_id % conns_.size()];
  if (slot != nullptr) return slot;
  if (now_ms < retry_after_ms_) return nullptr;
  auto conn = std::make_unique<BackendConnection>(*this, loop_, flusher_);
  slot = Connection::adopt(std::move(conn));
  slot->start_connect(addr_, now_ms);
  return slot;  // may have been detached by an immediate failure
}

void Backend::connect_all(uint64_t now_ms) {
  for (size_t i = 0; i < conns_.size(); ++i) connection_for(i, now_ms);
}

void Backend::fail_all(std::string_view reason) {
  for (BackendConnection* c : conns_) {
    if (c != nullptr) c->fail(reason);
  }
}

void Backend::check_timeouts(uint64_t now_ms, bool judge_stalls) {
  const uint64_t stall_ms = static_cast<uint64_t>(options_.stall_timeout_ms);
  // One slow command anywhere blocks the whole (single-threaded) server.
  judge_stalls = judge_stalls && stall_ms > 0 && slow_inflight() == 0;
  for (BackendConnection* c : conns_) {
    if (c == nullptr) continue;
    if (!c->connected()) {
      if (options_.connect_timeout_ms > 0 &&
          now_ms - c->connect_started_ms() >= static_cast<uint64_t>(options_.connect_timeout_ms)) {
        stats_.timeouts++;
        c->fail("connect timed out");
      }
      continue;
    }
    c->note_write_progress(now_ms);
    if (options_.timeout_ms > 0 && c->inflight() > 0 && now_ms >= c->progress_ms() &&
        now_ms - c->progress_ms() >= static_cast<uint64_t>(options_.timeout_ms)) {
      stats_.timeouts++;
      c->fail("request timed out");
    } else if (judge_stalls && c->inflight() > 0 && now_ms >= c->progress_ms() &&
               now_ms - c->progress_ms() >= stall_ms) {
      stats_.stalls++;
      c->fail("backend stalled (no reply to a fast command for " + std::to_string(stall_ms) +
              " ms)");
    }
  }
}

size_t Backend::slow_inflight() const {
  size_t n = 0;
  for (const BackendConnection* c : conns_) n += c ? c->slow_inflight() : 0;
  return n;
}

size_t Backend::inflight() const {
  size_t n = 0;
  for (const BackendConnection* c : conns_) n += c ? c->inflight() : 0;
  return n;
}

size_t Backend::open_connections() const {
  size_t n = 0;
  for (const BackendConnection* c : conns_) n += (c && c->connected()) ? 1 : 0;
  return n;
}

uint64_t Backend::request_bytes() const {
  uint64_t n = stats_.closed_written;
  for (const BackendConnection* c : conns_) n += c ? c->bytes_written() : 0;
  return n;
}

void Backend::connection_closed(BackendConnection* conn, bool failed, uint64_t now_ms) {
  for (BackendConnection*& c : conns_) {
    if (c == conn) c = nullptr;
  }
  stats_.closed_written += conn->bytes_written();
  if (failed) retry_after_ms_ = now_ms + static_cast<uint64_t>(options_.reconnect_backoff_ms);
}

}  // namespace ringproxy
