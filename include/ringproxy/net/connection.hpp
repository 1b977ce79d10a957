// One TCP connection on the loop, client or backend side: an output buffer and
// the write discipline every connection shares. The socket itself is a
// transport's business: TcpConnection (a libuv stream, for backends) or
// SocketConnection (a socket in the SocketPoller, for clients).
//
// Writes are batched: code on the data path only appends to out() and calls
// schedule_flush(). Once per loop iteration (a uv_check handle, after all reads
// of that iteration were processed) the FlushScheduler flushes every dirty
// connection with one write; what the socket does not take waits for it to
// become writable. Many requests therefore leave in one syscall.
//
// Within a pass, client connections are written before backend connections.
// Each write wakes its reader, and where busy processes outnumber CPUs the
// last one woken before the proxy sleeps tends to run on the proxy's CPU.
// Ending with the backends keeps the proxy next to the backend it feeds and
// leaves the clients, which cost more per request than a backend, a CPU of
// their own (bench/README.md).
//
// The loop does nothing else about scheduling: no yields, sleeps or busy
// polling between passes. Those were measured with the proxy on a CPU of its
// own and removed (bench/README.md, "Loop scheduling"); a proxy scales with
// more loops, not with tricks on one.
//
// Output is an OutputQueue: small output is appended to its tail (out()),
// and a big buffer is linked with its storage (output().append_buffer())
// instead of being copied, so a large value costs no pass of the loop time
// proportional to its size. Writers take what the socket accepts, never more
// than one system call per connection per event.
//
// Deferred work: resume_soon() asks for on_resume() at the start of the next
// flush pass, before any write (a paused client's parsed requests then join
// that pass's batch), and close_soon() closes there, for code deep inside
// callbacks whose callers still use the connection's state. The queue is an
// intrusive list: closing a connection takes it out, and a closing connection
// is never put in, so the pass can never reach a closed (or freed) one.
//
// Lifetime follows libuv: a connection is created, handed to its transport
// with Connection::adopt(), and deleted by it after close() (in the handle's
// close callback, or the SocketPoller's next check phase); close() is
// idempotent and callbacks after it are ignored.
#pragma once

#include <uv.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "ringproxy/common/buffer.hpp"
#include "ringproxy/common/intrusive_list.hpp"
#include "ringproxy/net/output_queue.hpp"

namespace ringproxy {

class Connection;
// Tag of the deferred-work membership (FlushScheduler's queue).
struct DeferredTag {};

class FlushScheduler {
 public:
  explicit FlushScheduler(uv_loop_t* loop);
  ~FlushScheduler();
  FlushScheduler(const FlushScheduler&) = delete;
  FlushScheduler& operator=(const FlushScheduler&) = delete;

  void add(Connection* c);
  void remove(Connection* c);
  void flush_all();
  // Connections waiting for their deferred work (resume_soon, close_soon).
  bool deferred_empty() const { return deferred_.empty(); }

 private:
  friend class Connection;
  // Runs the deferred work queued before this pass (work queued meanwhile
  // waits for the next pass).
  void run_deferred();

  std::unique_ptr<uv_check_t> check_;
  std::vector<Connection*> dirty_;       // client side, written first
  std::vector<Connection*> dirty_last_;  // backend side, written after
  std::vector<Connection*> flushing_;
  IntrusiveList<Connection, DeferredTag> deferred_;
};

class Connection : private ListHook<DeferredTag> {
 public:
  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Where small output is appended (the tail of output()).
  Buffer& out() { return output_.tail(); }
  const Buffer& out() const { return output_.tail(); }
  OutputQueue& output() { return output_; }
  const OutputQueue& output() const { return output_; }
  // Output accepted but not yet written to the socket.
  virtual size_t pending_output() const { return output_.size(); }
  // True once close() began or close_soon() was asked: no more work for it.
  bool closing() const { return closing_ || close_soon_; }

  // on_resume() at the start of the next flush pass; no-op while closing.
  void resume_soon() {
    if (closing()) return;
    if (!ListHook<DeferredTag>::linked()) flusher_.deferred_.push_back(*this);
  }
  // close() at the start of the next flush pass; reading stops now.
  void close_soon() {
    if (closing()) return;
    stop_reading();
    close_soon_ = true;
    if (!ListHook<DeferredTag>::linked()) flusher_.deferred_.push_back(*this);
  }

  void schedule_flush() {
    if (!dirty_ && !closing_) {
      dirty_ = true;
      flusher_.add(this);
    }
  }
  // Writes what it can now; called by the scheduler.
  virtual void flush() = 0;
  virtual void start_reading() = 0;
  virtual void stop_reading() = 0;
  bool reading() const { return reading_; }
  // Closes the socket; the object is deleted later by the transport, once no
  // callback can hold it any more. Idempotent.
  virtual void close() = 0;

  // Takes ownership: from now on the transport owns the object.
  template <typename T>
  static T* adopt(std::unique_ptr<T> conn) {
    return conn.release();
  }

 protected:
  // Where a connection's writes go in a flush pass (see FlushScheduler).
  enum class FlushOrder : uint8_t { kFirst, kLast };
  explicit Connection(FlushScheduler& flusher, FlushOrder order = FlushOrder::kFirst)
      : flusher_(flusher), flush_last_(order == FlushOrder::kLast) {}

  FlushScheduler& flusher() { return flusher_; }

  // Reading: alloc_buffer() gives the space, on_read() gets the bytes, or
  // UV_EOF / a negative errno (libuv's convention, for both transports).
  virtual void alloc_buffer(size_t suggested, uv_buf_t* buf) = 0;
  virtual void on_read(ssize_t nread, const uv_buf_t* buf) = 0;
  virtual void on_write_error(int status) = 0;
  // All output written.
  virtual void on_drained() {}
  // Called once when close() starts, before the socket closes.
  virtual void on_close() {}
  // The work resume_soon() asked for.
  virtual void on_resume() {}

  // Marks the connection closing and runs on_close(); false if it already was.
  bool begin_close() {
    if (closing_) return false;
    closing_ = true;
    reading_ = false;
    // Whatever it was queued for will not happen: it leaves the queue now.
    ListHook<DeferredTag>::unlink();
    on_close();
    return true;
  }

  bool writable_ = true;  // false while a backend connection is still connecting
  bool reading_ = false;

 private:
  friend class FlushScheduler;
  friend class IntrusiveList<Connection, DeferredTag>;

  FlushScheduler& flusher_;
  OutputQueue output_;
  bool dirty_ = false;
  bool closing_ = false;
  bool close_soon_ = false;
  bool flush_last_ = false;
};

}  // namespace ringproxy
