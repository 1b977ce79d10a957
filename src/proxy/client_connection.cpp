// Client side of the data path. See client_connection.hpp.
#include "ringproxy/proxy/client_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include "ringproxy/commands/command_table.hpp"
#include "ringproxy/common/assert.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/net/socket_address.hpp"
#include "ringproxy/proxy/proxy.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {
// Reads that continue a partial request; a bulk of known length is read into
// a buffer grown towards its size (Buffer::tail_for_read).
constexpr size_t kReadChunk = 16 * 1024;
}  // namespace

ClientConnection::Partial& ClientConnection::partial() {
  if (!partial_) partial_ = std::make_unique<Partial>(proxy_.parser_limits());
  return *partial_;
}

void ClientConnection::drop_partial_if_empty() {
  if (partial_ && partial_->in.empty()) partial_.reset();
}

ClientConnection::ClientConnection(Proxy& proxy, uint64_t id, uint64_t now_ms, SocketPoller& poller,
                                   FlushScheduler& flusher)
    : SocketConnection(poller, flusher),
      proxy_(proxy),
      id_(id),
      created_ms_(now_ms),
      last_command_ms_(now_ms) {
  authenticated_ = proxy.config().client_password.empty();
}

void ClientConnection::start() {
  // Replies leave as soon as they are written, as from Redis itself.
  int on = 1;
  setsockopt(fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  start_reading();
}

void ClientConnection::alloc_buffer(size_t, uv_buf_t* buf) {
  if (!has_input()) {
    *buf = uv_buf_init(proxy_.scratch(), static_cast<unsigned>(proxy_.scratch_size()));
    return;
  }
  // A partial request continues in the connection's own buffer.
  size_t avail = 0;
  char* p = partial_->in.tail_for_read(kReadChunk, partial_->parser.wanted(), &avail);
  *buf = uv_buf_init(p, static_cast<unsigned>(avail));
}

void ClientConnection::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0) return;
  if (nread < 0) {
    if (nread != UV_EOF) {
      proxy_.metrics().pool_counters.client_err++;
      close();
      return;
    }
    proxy_.metrics().pool_counters.client_eof++;
    // Half-close: answer what was sent, then close (like `printf ... | nc`).
    stop_reading();
    quitting_ = true;
    partial_.reset();
    maybe_finish_close();
    return;
  }
  size_t n = static_cast<size_t>(nread);
  proxy_.metrics().net_input_bytes += n;
  // Its replies will need an output buffer: reuse a pooled one if it has none.
  proxy_.output_pool().lend(out());
  if (buf->base == proxy_.scratch()) {
    RequestParser& shared = proxy_.shared_parser();
    size_t used = process(buf->base, n, shared);
    if (used < n && !quitting_ && !closing()) {
      // A partial request (or input left by a pause) moves into the
      // connection's own buffer, with the parser state that goes with it.
      Partial& p = partial();
      p.in.append(buf->base + used, n - used);
      p.parser = shared;
    }
    shared.reset();
  } else {
    partial_->in.commit(n);
    process_partial();
  }
  if (partial_ && partial_->in.size() > proxy_.config().query_buffer_limit && !quitting_ &&
      !closing()) {
    protocol_error("ERR Protocol error: query buffer limit exceeded");
  }
  drop_partial_if_empty();
}

size_t ClientConnection::process(const char* data, size_t len, RequestParser& parser) {
  // The clock the requests parsed here start at (CommandContext::now_ns).
  proxy_.metrics().now_ns();
  // The loop's clock does not move within one read's requests.
  const uint64_t now_ms = proxy_.now_ms();
  size_t off = 0;
  while (off < len && !quitting_ && !closing()) {
    if (over_limits()) {
      paused_ = true;
      stop_reading();
      break;
    }
    parser.set_unauthenticated(!authenticated_);
    RequestParser::Status st = parser.parse(data + off, len - off);
    if (st == RequestParser::Status::kNeedMore) break;
    if (st == RequestParser::Status::kError) {
      protocol_error(parser.error());
      parser.reset();
      return len;
    }
    size_t used = parser.consumed();
    if (parser.argc() > 0) {
      last_command_ms_ = now_ms;
      last_command_ = proxy_.dispatcher().dispatch(*this, parser);
    }
    parser.reset();
    off += used;
    // The request went with the input's storage: [data, data + len) is gone.
    if (moved_input_) break;
  }
  return off;
}

void ClientConnection::process_partial() {
  for (;;) {
    Partial& p = *partial_;
    size_t used = process(p.in.data(), p.in.size(), p.parser);
    if (!moved_input_) {
      p.in.consume(used);
      return;
    }
    // write_request() left only the bytes after the moved request: go on
    // with those, from their start.
    moved_input_ = false;
  }
}

bool ClientConnection::move_request(Connection& to, std::string_view bytes) {
  if (!has_input()) return false;
  Buffer& in = partial_->in;
  const char* begin = in.data();
  const char* end = begin + in.size();
  if (bytes.data() < begin || bytes.data() + bytes.size() > end) return false;
  // Bytes before the request belong to requests already dispatched (their
  // bytes were copied); bytes after it (at most the rest of one read, as the
  // buffer grows towards the request's size) are copied to a new input
  // buffer, and the request goes with the storage.
  size_t before = static_cast<size_t>(bytes.data() - begin);
  size_t after = static_cast<size_t>(end - (bytes.data() + bytes.size()));
  if (after > bytes.size()) return false;
  RP_ASSERT(!moved_input_);
  Buffer rest;
  if (after > 0) rest.append(bytes.data() + bytes.size(), after);
  in.consume(before);
  in.truncate(bytes.size());
  to.output().append_buffer(in);
  in.swap(rest);
  moved_input_ = true;
  return true;
}

void ClientConnection::account(Request* req) {
  const size_t now = req->stored_bytes();
  RP_ASSERT(stored_ >= req->counted_bytes);
  stored_ = stored_ - req->counted_bytes + now;
  req->counted_bytes = now;
  enforce_output_hard_limit();
}

void ClientConnection::enforce_output_hard_limit() {
  if (owed_bytes() > effective_output_hard_limit(proxy_.config())) [[unlikely]]
    close_for_output_limit();
}

void ClientConnection::close_for_output_limit() {
  const Config& c = proxy_.config();
  if (closing()) return;
  // Closed at the next flush pass, not here: the reply being delivered (and
  // its request) are still in use up the stack.
  proxy_.stats().output_limit_disconnections++;
  uint64_t suppressed = 0;
  if (proxy_.output_limit_log().allow(proxy_.now_ms(), &suppressed)) {
    log(LogLevel::kWarn, "client ", id_, " closed: ", owed_bytes(),
        " bytes of replies owed to it passed --client-output-hard-limit (",
        effective_output_hard_limit(c), "); it reads slower than it asks", suppressed ? " (" : "",
        suppressed ? std::to_string(suppressed) : "",
        suppressed ? " more since the last such line)" : "");
  }
  close_soon();
}

Request* ClientConnection::pop_head() {
  Request* r = pending_.front();
  pending_.pop_front();
  RP_ASSERT(stored_ >= r->counted_bytes);
  stored_ -= r->counted_bytes;
  r->counted_bytes = 0;
  RP_ASSERT(!pending_.empty() || stored_ == 0);
  return r;
}

bool ClientConnection::over_limits() const {
  const Config& c = proxy_.config();
  return pending_.size() >= c.max_pipeline || owed_bytes() >= c.client_output_limit;
}

void ClientConnection::resume() {
  if (closing() || quitting_) return;
  if (over_limits()) return;
  paused_ = false;
  if (has_input()) {
    process_partial();
    drop_partial_if_empty();
  }
  if (!paused_ && !quitting_ && !closing()) start_reading();
}

void ClientConnection::write_head_reply(std::string_view bytes) {
  out().append(bytes);
  finish_head();
}

void ClientConnection::finish_head() {
  proxy_.requests().release(pop_head());
  drain_ready();
}

void ClientConnection::drain_ready() {
  while (!pending_.empty() && pending_.front()->ready) {
    Request* r = pop_head();
    // Into an empty tail the reply's storage moves, not its bytes (the tail
    // is the end of the queue, so order holds); a big one joins the queue
    // as a buffer of its own.
    if (out().empty()) {
      out().swap(r->reply);
    } else if (r->reply.size() >= kMoveMin) {
      output().append_buffer(r->reply);
    } else {
      out().append(r->reply.view());
    }
    proxy_.requests().release(r);
  }
  schedule_flush();
  enforce_output_hard_limit();
  if (paused_ && !over_limits()) resume_soon();
  if (quitting_) maybe_finish_close();
}

void ClientConnection::deliver(Request* req, std::string_view bytes) {
  if (is_head(req)) {
    write_head_reply(bytes);
  } else {
    req->reply.append(bytes);
    req->ready = true;
    account(req);
  }
}

void ClientConnection::complete(Request* req) {
  proxy_.metrics().request_answered(*req, req->reply.view());
  req->ready = true;
  if (is_head(req)) {
    drain_ready();
  } else {
    account(req);
  }
}

Buffer* ClientConnection::reply_sink(Request* req) {
  // Into a buffer holding nothing else: for the request next in line, the
  // output's tail, emptied first (what it held is queued before it), so a big
  // reply moves with its storage; else the request's own reply buffer.
  if (is_head(req)) {
    output().seal_tail();
    return &out();
  }
  return req->reply.empty() ? &req->reply : nullptr;
}

void ClientConnection::reply_moved(Request* req) {
  if (is_head(req)) {
    finish_head();
  } else {
    req->ready = true;
    account(req);
  }
}

Buffer& ClientConnection::begin_reply() {
  // Nothing pending: straight to the output. Else in a slot of its own, ready
  // at end_reply() (nothing is queued in between, so it is the last slot).
  if (pending_.empty()) return out();
  Request* req = proxy_.requests().acquire();
  req->session = this;
  pending_.push_back(req);
  return req->reply;
}

void ClientConnection::end_reply() {
  if (pending_.empty()) {
    schedule_flush();
    return;
  }
  Request* req = pending_[pending_.size() - 1];
  req->ready = true;
  if (is_head(req)) {
    drain_ready();
  } else {
    account(req);
  }
}

const std::string& ClientConnection::peer_address() const {
  if (!peer_) peer_ = std::make_unique<std::string>(socket_endpoint_text(fd(), true));
  return *peer_;
}

void ClientConnection::describe(ClientInfo& info) const {
  info.id = id_;
  info.name = name();
  info.created_ms = created_ms_;
  info.multi = transaction_ ? static_cast<int64_t>(transaction_->count) : -1;
  info.output_bytes = pending_output();
  info.pending = pending_.size();
  info.fd = fd();
  info.last_ms = last_command_ms_;
  info.cmd = last_command_ != nullptr ? last_command_->name : std::string_view();
  info.addr = peer_address();
  info.laddr = socket_endpoint_text(fd(), false);
}

void ClientConnection::protocol_error(std::string_view error) {
  proxy_.stats().protocol_errors++;
  // At debug: a client can cause these at any rate. The text is the error
  // the client gets, so one error is always spelt one way.
  if (log_enabled(LogLevel::kDebug)) {
    log(LogLevel::kDebug, "client ", id_, " ", socket_endpoint_text(fd(), true),
        " closed: protocol error: ", error);
  }
  resp::error(begin_reply(), error);
  end_reply();
  close_after_replies();
}

void ClientConnection::close_after_replies() {
  quitting_ = true;
  stop_reading();
  maybe_finish_close();
}

void ClientConnection::maybe_finish_close() {
  if (!quitting_ || closing() || !pending_.empty()) return;
  if (pending_output() == 0) {
    close();
  } else {
    schedule_flush();  // on_drained() closes
  }
}

void ClientConnection::on_drained() {
  // A small output buffer goes back to the loop's pool as soon as it is
  // written, so a client that goes idle holds none and the next request (of
  // any client) reuses it; a large one is kept for the next burst until the
  // periodic sweep.
  if (out().capacity() <= BufferPool::kMaxBlock) proxy_.output_pool().give_back(out());
  if (quitting_) maybe_finish_close();
  // A no-op once the line above closed it: a closed connection is never queued.
  if (paused_ && !over_limits()) resume_soon();
}

size_t ClientConnection::release_idle_buffers() {
  // Called from the proxy's periodic sweep, not per reply: an active client
  // keeps its output buffer between requests, an idle one gives it back.
  size_t freed = 0;
  if (pending_output() == 0) freed += out().release_if_empty();
  // No partial input to free here: an emptied one is dropped where it empties.
  freed += pending_.release_if_empty();
  return freed;
}

void ClientConnection::on_write_error(int) {
  close();
}

void ClientConnection::on_close() {
  while (!pending_.empty()) {
    Request* r = pop_head();
    if (r->pending > 0) {
      r->session = nullptr;  // the backend reply releases it
    } else {
      proxy_.requests().release(r);
    }
  }
  proxy_.client_closed(*this);
}

}  // namespace ringproxy
