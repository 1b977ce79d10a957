// A Connection on a libuv TCP stream (backend connections: few, long-lived,
// and libuv does their asynchronous connect).
//
// Writes: uv_try_write first, and uv_write from a second buffer for what the
// socket did not take, while new output keeps accumulating in out(). The
// object belongs to its handle from adopt() on and is deleted in the handle's
// close callback.
#pragma once

#include <uv.h>

#include <memory>

#include "ringproxy/common/buffer.hpp"
#include "ringproxy/net/connection.hpp"

namespace ringproxy {

class TcpConnection : public Connection {
 public:
  uv_tcp_t* handle() { return &tcp_; }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  size_t pending_output() const override {
    return out().size() + (write_ ? write_->data.size() : 0);
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
    Buffer data;  // handed to uv_write, immutable until its callback
  };

  uv_tcp_t tcp_{};
  std::unique_ptr<WriteState> write_;
  bool write_pending_ = false;
};

}  // namespace ringproxy
