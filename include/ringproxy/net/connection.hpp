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
// After a pass that wrote, the scheduler may sched_yield(). Loopback and LAN
// socket writes wake their reader with a "sync" hint (the waker is about to
// sleep), so the kernel often queues the woken client or backend on the
// proxy's own CPU. Under load the proxy does not sleep, it polls again and
// finds one more event, so the process it just fed waits behind it and every
// party ends up handling one message per wakeup. Yielding keeps that promise:
// the woken process runs now, and the next poll returns a batch. With nothing
// else runnable on the CPU the call returns at once.
//
// Within a pass, client connections are written before backend connections.
// Each write wakes its reader, and where busy processes outnumber CPUs the
// last one woken before the proxy sleeps (or yields) tends to run on the
// proxy's CPU. Ending with the backends keeps the proxy next to the backend it
// feeds and leaves the clients, which cost more per request than a backend,
// a CPU of their own: the placement with the most throughput on the 2-core
// benchmark (bench/README.md: LPUSH to one backend, 106.5k vs 84.6k req/s
// with writes in the order connections became dirty).
//
// Each pass that wrote also tells the BusyPoller (busy_poller.hpp), which may
// keep the loop polling instead of sleeping while it is busy, and, when not
// polling, the EventCoalescer (event_coalescer.hpp), which sleeps briefly
// before the next poll while many clients are active and that measurably
// pays; a pass followed by such a sleep does not yield as well.
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
#include "ringproxy/net/busy_poller.hpp"
#include "ringproxy/net/event_coalescer.hpp"
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
  // Whether to sched_yield() after a pass that wrote something.
  void set_yield(bool on) { yield_ = on; }
  // Busy-poll window in microseconds; 0 turns busy polling off.
  void set_busy_poll_us(uint64_t us) { poller_.set_window_us(us); }
  // Coalescing window in microseconds (0 = off), the clients that must be
  // active at once for it, and the proxy's running count of requests.
  void set_coalescing(uint64_t window_us, uint32_t min_clients,
                      std::function<uint64_t()> requests) {
    coalescer_.configure(window_us, min_clients, std::move(requests));
  }
  // A client sent something (its connection's one-byte stamp).
  void note_client_active(uint8_t& stamp) { coalescer_.note_active(stamp); }
  const EventCoalescer& coalescer() const { return coalescer_; }
  void remove(Connection* c);
  void flush_all();
  // Connections waiting for their deferred work (resume_soon, close_soon).
  bool deferred_empty() const { return deferred_.empty(); }

 private:
  friend class Connection;
  // Runs the deferred work queued before this pass (work queued meanwhile
  // waits for the next pass).
  void run_deferred();

  uv_loop_t* loop_;
  std::unique_ptr<uv_check_t> check_;
  std::vector<Connection*> dirty_;       // client side, written first
  std::vector<Connection*> dirty_last_;  // backend side, written after
  std::vector<Connection*> flushing_;
  IntrusiveList<Connection, DeferredTag> deferred_;
  BusyPoller poller_;
  EventCoalescer coalescer_;
  bool yield_ = false;
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
