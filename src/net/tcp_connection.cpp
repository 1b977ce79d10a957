// Connections on a libuv TCP stream; see tcp_connection.hpp.
#include "ringproxy/net/tcp_connection.hpp"

namespace ringproxy {

TcpConnection::TcpConnection(uv_loop_t* loop, FlushScheduler& flusher, FlushOrder order)
    : Connection(flusher, order) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
}

void TcpConnection::flush() {
  Buffer& out = this->out();
  if (write_pending_ || out.empty() || closing() || !writable_) return;
  uv_buf_t buf = uv_buf_init(out.data(), static_cast<unsigned>(out.size()));
  int n = uv_try_write(stream(), &buf, 1);
  if (n == UV_EAGAIN) n = 0;
  if (n < 0) {
    on_write_error(n);
    return;
  }
  out.consume(static_cast<size_t>(n));
  if (out.empty()) {
    on_drained();
    return;
  }
  // The socket is full: the rest goes through uv_write from the second buffer
  // while new output keeps accumulating in out().
  if (!write_) {
    write_ = std::make_unique<WriteState>();
    write_->req.data = this;
  }
  write_->data.swap(out);
  out.clear();
  buf = uv_buf_init(write_->data.data(), static_cast<unsigned>(write_->data.size()));
  write_pending_ = true;
  int rc = uv_write(&write_->req, stream(), &buf, 1, &TcpConnection::write_done);
  if (rc < 0) {
    write_pending_ = false;
    on_write_error(rc);
  }
}

void TcpConnection::write_done(uv_write_t* req, int status) {
  auto* self = static_cast<TcpConnection*>(req->data);
  self->write_pending_ = false;
  self->write_->data.clear();
  self->write_->data.release_if_empty();
  if (self->closing()) return;
  if (status < 0) {
    self->on_write_error(status);
    return;
  }
  if (!self->out().empty()) {
    self->flush();
  } else {
    self->on_drained();
  }
}

void TcpConnection::start_reading() {
  if (reading_ || closing()) return;
  reading_ = true;
  uv_read_start(
      stream(),
      [](uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
        static_cast<TcpConnection*>(h->data)->alloc_buffer(suggested, buf);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<TcpConnection*>(s->data);
        if (!self->closing()) self->on_read(nread, buf);
      });
}

void TcpConnection::stop_reading() {
  if (!reading_) return;
  reading_ = false;
  uv_read_stop(stream());
}

void TcpConnection::close() {
  if (!begin_close()) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) {
    // The handle owned the connection since adopt(); this is its end.
    std::unique_ptr<TcpConnection> own(static_cast<TcpConnection*>(h->data));
  });
}

}  // namespace ringproxy
