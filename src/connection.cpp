// Shared write/read/close plumbing for client and backend connections. See
// connection.hpp for the batching and lifetime rules.
#include "ringproxy/connection.hpp"

#include <sched.h>

#include <algorithm>

#include "ringproxy/uv_handle.hpp"

namespace ringproxy {

FlushScheduler::FlushScheduler(uv_loop_t* loop)
    : check_(std::make_unique<uv_check_t>()), poller_(loop) {
  uv_check_init(loop, check_.get());
  check_->data = this;
  uv_check_start(check_.get(),
                 [](uv_check_t* h) { static_cast<FlushScheduler*>(h->data)->flush_all(); });
  // The check handle alone must not keep the loop alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(check_.get()));
}

FlushScheduler::~FlushScheduler() {
  uv_check_stop(check_.get());
  close_handle(check_);
}

void FlushScheduler::remove(Connection* c) {
  std::replace(dirty_.begin(), dirty_.end(), c, static_cast<Connection*>(nullptr));
  std::replace(flushing_.begin(), flushing_.end(), c, static_cast<Connection*>(nullptr));
}

void FlushScheduler::flush_all() {
  if (before_flush_) before_flush_();
  bool wrote = false;
  // Flushing can make more connections dirty (a write error fails requests,
  // whose error replies go to clients): loop until nothing is left.
  while (!dirty_.empty()) {
    flushing_.swap(dirty_);
    for (size_t i = 0; i < flushing_.size(); ++i) {
      Connection* c = flushing_[i];
      if (c == nullptr) continue;
      c->dirty_ = false;
      if (c->closing_) continue;
      wrote = wrote || !c->out_.empty();
      c->flush();
    }
    flushing_.clear();
  }
  if (!wrote) return;
  poller_.note_work();
  // While polling, the idle phase yields before the next poll anyway; a second
  // yield right behind it would only cost a syscall.
  if (yield_ && !poller_.polling()) sched_yield();
}

Connection::Connection(uv_loop_t* loop, FlushScheduler& flusher) : flusher_(flusher) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
}

Connection::~Connection() {
  if (dirty_) flusher_.remove(this);
}

void Connection::flush() {
  if (write_pending_ || out_.empty() || closing_ || !writable_) return;
  uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  int n = uv_try_write(stream(), &buf, 1);
  if (n == UV_EAGAIN) n = 0;
  if (n < 0) {
    on_write_error(n);
    return;
  }
  out_.consume(static_cast<size_t>(n));
  if (out_.empty()) {
    on_drained();
    return;
  }
  // The socket is full: the rest goes through uv_write from the second buffer
  // while new output keeps accumulating in out_.
  if (!write_) {
    write_ = std::make_unique<WriteState>();
    write_->req.data = this;
  }
  write_->data.swap(out_);
  out_.clear();
  buf = uv_buf_init(write_->data.data(), static_cast<unsigned>(write_->data.size()));
  write_pending_ = true;
  int rc = uv_write(&write_->req, stream(), &buf, 1, &Connection::write_done);
  if (rc < 0) {
    write_pending_ = false;
    on_write_error(rc);
  }
}

void Connection::write_done(uv_write_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  self->write_pending_ = false;
  self->write_->data.clear();
  self->write_->data.release_if_empty();
  if (self->closing_) return;
  if (status < 0) {
    self->on_write_error(status);
    return;
  }
  if (!self->out_.empty()) {
    self->flush();
  } else {
    self->on_drained();
  }
}

void Connection::start_reading() {
  if (reading_ || closing_) return;
  reading_ = true;
  uv_read_start(
      stream(),
      [](uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
        static_cast<Connection*>(h->data)->alloc_buffer(suggested, buf);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<Connection*>(s->data);
        if (!self->closing_) self->on_read(nread, buf);
      });
}

void Connection::stop_reading() {
  if (!reading_) return;
  reading_ = false;
  uv_read_stop(stream());
}

void Connection::close() {
  if (closing_) return;
  closing_ = true;
  reading_ = false;
  on_close();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) {
    // The handle owned the connection since adopt(); this is its end.
    std::unique_ptr<Connection> own(static_cast<Connection*>(h->data));
  });
}

}  // namespace ringproxy
