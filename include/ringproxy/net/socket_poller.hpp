// The client sockets' readiness, as one epoll set watched by one uv_poll_t.
//
// A libuv stream handle (uv_tcp_t) is 248 bytes and uv_poll_t 160, more than
// all the rest of a client connection; with 10,000 idle clients the handles
// alone would cost more than twemproxy's whole connection. So the data path's
// client sockets live in an epoll set of their own whose descriptor is watched
// by the libuv loop: one handle for all of them, and each connection is only
// its own state. Still one loop and one thread: when the set has events, the
// loop's poll phase calls dispatch(), which runs the watchers' callbacks like
// any other libuv callback, and the flush pass (uv_check) follows as before.
//
// Closing inside a callback is safe: remove() drops the closed socket's
// remaining events from the batch being dispatched, and retire() defers the
// object's deletion to the loop's next check phase (libuv's uv_close rule).
#pragma once

#include <sys/epoll.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ringproxy/common/unique_fd.hpp"

namespace ringproxy {

class SocketPoller {
 public:
  class Watcher {
   public:
    virtual ~Watcher() = default;
    // `events` is an EPOLL* mask; EPOLLERR and EPOLLHUP come even when not
    // asked for.
    virtual void on_socket_events(uint32_t events) = 0;
  };

  // Throws std::runtime_error when the epoll set cannot be created.
  explicit SocketPoller(uv_loop_t* loop);
  // Deletes retired watchers; registered ones must have been removed.
  ~SocketPoller();
  SocketPoller(const SocketPoller&) = delete;
  SocketPoller& operator=(const SocketPoller&) = delete;

  // 0 or -errno. `events` may be 0 (registered, nothing asked for).
  int add(int fd, Watcher* w, uint32_t events);
  int modify(int fd, Watcher* w, uint32_t events);
  void remove(int fd, Watcher* w);
  // Takes ownership; the watcher is deleted in the next check phase, after
  // every callback that may still hold it has returned.
  void retire(std::unique_ptr<Watcher> w);

  size_t registered() const { return registered_; }

 private:
  void dispatch();
  void reap();

  // Events taken per dispatch; more stay ready for the next loop pass.
  static constexpr int kMaxEvents = 1024;

  UniqueFd epfd_;
  std::unique_ptr<uv_poll_t> poll_;
  std::unique_ptr<uv_check_t> reaper_;
  std::vector<epoll_event> events_;
  int batch_ = 0;   // events in the batch being dispatched
  int cursor_ = 0;  // next event of that batch
  size_t registered_ = 0;
  std::vector<std::unique_ptr<Watcher>> retired_;
};

}  // namespace ringproxy
