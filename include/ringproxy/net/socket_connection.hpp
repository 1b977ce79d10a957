// A Connection on a plain non-blocking socket in the SocketPoller (client
// connections: many, often idle, so each is only its own state).
//
// Writes: one sendmsg() of the output queue per event; what the socket does
// not take stays queued, EPOLLOUT is asked for, and the rest goes when it
// comes. Reads:
// one read() per readiness event into alloc_buffer()'s space, so a busy client
// cannot starve the others in a pass. The object belongs to the poller from
// close() on and is deleted in the loop's next check phase.
#pragma once

#include <cstdint>

#include "ringproxy/common/unique_fd.hpp"
#include "ringproxy/net/connection.hpp"
#include "ringproxy/net/socket_poller.hpp"

namespace ringproxy {

class SocketConnection : public Connection, public SocketPoller::Watcher {
 public:
  // Takes a connected non-blocking socket and registers it, asking for
  // nothing until start_reading() or a full socket. 0 or -errno; either way
  // the connection owns the socket (close() it on failure).
  int attach(int fd);

  void flush() override;
  void start_reading() override;
  void stop_reading() override;
  void close() override;

 protected:
  SocketConnection(SocketPoller& poller, FlushScheduler& flusher)
      : Connection(flusher), poller_(poller) {}

  int fd() const { return fd_.get(); }

 private:
  void on_socket_events(uint32_t events) override;
  void read_once();
  void write_out();
  // Tells the poller what the connection waits for now.
  void update_interest();

  SocketPoller& poller_;
  UniqueFd fd_;
  bool want_out_ = false;  // the socket was full: waiting for EPOLLOUT
};

}  // namespace ringproxy
