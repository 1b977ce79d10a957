// One TCP connection on the loop, client or backend side: the libuv handle, an
// output buffer, and the write discipline every connection shares.
//
// Writes are batched: code on the data path only appends to out() and calls
// schedule_flush(). Once per loop iteration (a uv_check handle, after all reads
// of that iteration were processed) the FlushScheduler flushes every dirty
// connection: uv_try_write first, and uv_write from a second buffer for what
// the socket did not take. Many requests therefore leave in one syscall.
//
// After a pass that wrote, the scheduler may sched_yield(). Loopback and LAN
// socket writes wake their reader with a "sync" hint (the waker is about to
// sleep), so the kernel often queues the woken client or backend on the
// proxy's own CPU. Under load the proxy does not sleep, it polls again and
// finds one more event, so the process it just fed waits behind it and every
// party ends up handling one message per wakeup. Yielding keeps that promise:
// the woken process runs now, and the next poll returns a batch. With nothing
// else runnable on the CPU the call returns at once.
//
// Each pass that wrote also tells the BusyPoller (busy_poller.hpp), which may
// keep the loop polling instead of sleeping while it is busy.
//
// Lifetime follows libuv: a Connection is created with Connection::create(),
// owned by its handle while open, and deleted in the handle's close callback;
// close() is idempotent and callbacks after it are ignored.
#pragma once

#include <uv.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ringproxy/buffer.hpp"
#include "ringproxy/busy_poller.hpp"

namespace ringproxy {

class Connection;

class FlushScheduler {
 public:
  explicit FlushScheduler(uv_loop_t* loop);
  ~FlushScheduler();
  FlushScheduler(const FlushScheduler&) = delete;
  FlushScheduler& operator=(const FlushScheduler&) = delete;

  void add(Connection* c) { dirty_.push_back(c); }
  // Runs at the start of every flush pass, before any write (the proxy resumes
  // paused clients there, so their parsed requests join the same batch).
  void set_before_flush(std::function<void()> fn) { before_flush_ = std::move(fn); }
  // Whether to sched_yield() after a pass that wrote something.
  void set_yield(bool on) { yield_ = on; }
  // Busy-poll window in microseconds; 0 turns busy polling off.
  void set_busy_poll_us(uint64_t us) { poller_.set_window_us(us); }
  void remove(Connection* c);
  void flush_all();

 private:
  std::unique_ptr<uv_check_t> check_;
  std::vector<Connection*> dirty_;
  std::vector<Connection*> flushing_;
  std::function<void()> before_flush_;
  BusyPoller poller_;
  bool yield_ = false;
};

class Connection {
 public:
  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uv_tcp_t* handle() { return &tcp_; }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  Buffer& out() { return out_; }
  size_t pending_output() const { return out_.size() + (write_ ? write_->data.size() : 0); }
  bool closing() const { return closing_; }

  void schedule_flush() {
    if (!dirty_ && !closing_) {
      dirty_ = true;
      flusher_.add(this);
    }
  }
  // Writes what it can now; called by the scheduler.
  void flush();
  void start_reading();
  void stop_reading();
  bool reading() const { return reading_; }
  // Frees the uv_write state of a connection with nothing being written, so
  // idle connections do not carry it.
  void release_write_state() {
    if (!write_pending_) write_.reset();
  }
  // Closes the socket; the object is deleted in the close callback.
  void close();

  // Takes ownership: from now on the handle owns the object.
  template <typename T>
  static T* adopt(std::unique_ptr<T> conn) {
    return conn.release();
  }

 protected:
  Connection(uv_loop_t* loop, FlushScheduler& flusher);

  virtual void alloc_buffer(size_t suggested, uv_buf_t* buf) = 0;
  virtual void on_read(ssize_t nread, const uv_buf_t* buf) = 0;
  virtual void on_write_error(int status) = 0;
  // All output written (both buffers empty).
  virtual void on_drained() {}
  // Called once when close() starts, before the handle closes.
  virtual void on_close() {}

  uv_loop_t* loop() { return tcp_.loop; }
  bool writable_ = true;  // false while a backend connection is still connecting

 private:
  friend class FlushScheduler;
  static void write_done(uv_write_t* req, int status);

  // What uv_write needs while the socket is full; allocated only then
  // (try_write takes everything in the common case).
  struct WriteState {
    uv_write_t req{};
    Buffer data;  // handed to uv_write, immutable until its callback
  };

  uv_tcp_t tcp_{};
  FlushScheduler& flusher_;
  Buffer out_;  // being filled
  std::unique_ptr<WriteState> write_;
  bool dirty_ = false;
  bool write_pending_ = false;
  bool reading_ = false;
  bool closing_ = false;
};

}  // namespace ringproxy
