// The listening socket: accepts clients into the SocketPoller.
//
// Accepts up to kAcceptBatch connections per readiness event, so a connection
// storm cannot hold the loop. When the process is out of descriptors (EMFILE,
// ENFILE) the pending connection would stay in the backlog and the
// level-triggered listener would wake the loop forever; a spare descriptor is
// kept for that case, given up to accept the connection and close it at once
// (the client sees a close, not a hang), and taken again.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ringproxy/common/unique_fd.hpp"
#include "ringproxy/net/socket_poller.hpp"

namespace ringproxy {

class Listener final : public SocketPoller::Watcher {
 public:
  // Called with each accepted non-blocking socket (owned by the callee), or
  // with a negative errno for a connection dropped for lack of descriptors.
  using AcceptFn = std::function<void(int fd_or_error)>;

  // Binds and listens; throws std::runtime_error saying why it cannot.
  Listener(SocketPoller& poller, const std::string& host, uint16_t port, int backlog,
           AcceptFn on_accept);
  ~Listener() override;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

 private:
  void on_socket_events(uint32_t events) override;
  // Accepts and closes one pending connection using the spare descriptor;
  // false when there was none to take (or no spare).
  bool shed(int error);

  static constexpr int kAcceptBatch = 64;

  SocketPoller& poller_;
  UniqueFd fd_;
  UniqueFd spare_;
  AcceptFn on_accept_;
};

}  // namespace ringproxy
