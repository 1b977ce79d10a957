// Connections on a libuv TCP stream; see tcp_connection.hpp.
#include "ringproxy/net/tcp_connection.hpp"

#include <sys/uio.h>

namespace ringproxy {

namespace {
// Buffers of the output queue offered to one uv_try_write.
constexpr int kMaxIov = 64;
}  // namespace

TcpConnection::TcpConnection(uv_loop_t* loop, FlushScheduler& flusher, FlushOrder order)
    : Connection(flusher, order) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
}

void TcpConnection::flush() {
  OutputQueue& out = output();
  if (write_pending_ || out.empty() || closing() || !writable_) return;
  iovec iov[kMaxIov];
  uv_buf_t bufs[kMaxIov];
  const int count = out.gather(iov, kMaxIov);
  for (int i = 0; i < count; ++i) {
    bufs[i].base = static_cast<char*>(iov[i].iov_base);
    bufs[i].len = iov[i].iov_len;
  }
  int n = uv_try_write(stream(), bufs, static_cast<unsigned>(count));
  if (n == UV_EAGAIN) n = 0;
  if (n < 0) {
    on_write_error(n);
    return;
  }
  out.consume(static_cast<size_t>(n));
  written_ += static_cast<uint64_t>(n);
  if (out.empty()) {
    on_drained();
    return;
  }
  // The socket is full: the rest goes through uv_write, its buffers (storage
  // and all) moved to the write request, while new output keeps accumulating
  // in the queue.
  if (!write_) {
    write_ = std::make_unique<WriteState>();
    write_->req.data = this;
  }
  out.take_all(write_->data);
  write_->bufs.clear();
  write_bytes_ = 0;
  for (Buffer& b : write_->data) {
    uv_buf_t buf;
    buf.base = b.data();
    buf.len = b.size();
    write_->bufs.push_back(buf);
    write_bytes_ += b.size();
  }
  write_pending_ = true;
  int rc = uv_write(&write_->req, stream(), write_->bufs.data(),
                    static_cast<unsigned>(write_->bufs.size()), &TcpConnection::write_done);
  if (rc < 0) {
    write_pending_ = false;
    on_write_error(rc);
  }
}

void TcpConnection::write_done(uv_write_t* req, int status) {
  auto* self = static_cast<TcpConnection*>(req->data);
  self->write_pending_ = false;
  if (status == 0) self->written_ += self->write_bytes_;
  self->write_->data.clear();
  self->write_->bufs.clear();
  self->write_bytes_ = 0;
  if (self->closing()) return;
  if (status < 0) {
    self->on_write_error(status);
    return;
  }
  if (!self->output().empty()) {
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
