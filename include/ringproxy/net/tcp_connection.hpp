// A Connection on a libuv TCP stream (backend connections: few, long-lived,
// and libuv does their asynchronous connect).
//
// Writes: uv_try_write of the output queue first, and uv_write of what the
// socket did not take (the queue's buffers move to the write request, storage
// and all), while new output keeps accumulating in the queue. The
// object belongs to its handle from adopt() on and is deleted in the handle's
// close callback.
#pragma once

#include <uv.h>

#include <memory>
#include <vector>

#include "ringproxy/common/buffer.hpp"
#include "ringproxy/net/connection.hpp"

namespace ringproxy {

class TcpConnection : public Connection {
 public:
  uv_tcp_t* handle() { return &tcp_; }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  size_t pending_output() const override { return output().size() + write_bytes_; }
  // Bytes the socket has accepted so far, including the part of a pending
  // uv_write already sent: a peer that keeps taking bytes is alive.
  uint64_t bytes_written() const {
    uint64_t n = written_;
    if (write_pending_) {
      n += write_bytes_ -
           uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&tcp_));
    }
    return n;
  }

  void flush() override;
  void start_reading() override;
  void stop_reading() override;
  void close() override;

 protected:
  TcpConnection(uv_loop_t* loop, FlushScheduler& flusher, FlushOrder order);

  uv_loop_t* loop() { return tcp_.loop; }

 private:
  static void write_done(uv_write_t* req, int status);

  // What uv_write needs while the socket is full; allocated only then
  // (try_write takes everything in the common case).
  struct WriteState {
    uv_write_t req{};
    std::vector<Buffer> data;  // handed to uv_write, immutable until its callback
    std::vector<uv_buf_t> bufs;
  };

  uv_tcp_t tcp_{};
  std::unique_ptr<WriteState> write_;
  size_t write_bytes_ = 0;  // in write_->data
  uint64_t written_ = 0;    // accepted by the socket, but for a pending uv_write
  bool write_pending_ = false;
};

}  // namespace ringproxy
