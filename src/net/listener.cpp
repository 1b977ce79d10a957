// The listening socket; see listener.hpp.
#include "ringproxy/net/listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "ringproxy/net/socket_address.hpp"

namespace ringproxy {

Listener::Listener(SocketPoller& poller, const std::string& host, uint16_t port, int backlog,
                   AcceptFn on_accept)
    : poller_(poller), on_accept_(std::move(on_accept)) {
  std::string where = host + ":" + std::to_string(port);
  SocketAddress addr = resolve_address(host, port, true, "listen address");
  auto fail = [&](const char* what) {
    throw std::runtime_error("cannot listen on " + where + ": " + what + ": " +
                             std::strerror(errno));
  };
  fd_.reset(::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) fail("socket");
  // A restarted proxy must not wait for the old connections' TIME_WAIT.
  int on = 1;
  if (setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) fail("SO_REUSEADDR");
  if (::bind(fd_.get(), addr.get(), addr.length) < 0) fail("bind");
  if (::listen(fd_.get(), backlog) < 0) fail("listen");
  spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int rc = poller_.add(fd_.get(), this, EPOLLIN);
  if (rc < 0) {
    errno = -rc;
    fail("epoll");
  }
}

Listener::~Listener() {
  if (fd_.valid()) poller_.remove(fd_.get(), this);
}

void Listener::on_socket_events(uint32_t) {
  for (int i = 0; i < kAcceptBatch; ++i) {
    int fd = ::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      on_accept_(fd);
      continue;
    }
    switch (errno) {
      case EINTR:
      case ECONNABORTED:  // that client gave up already; take the next
        continue;
      case EMFILE:
      case ENFILE:
        if (shed(errno)) continue;
        return;
      default:  // EAGAIN: all taken; anything else: try again next pass
        return;
    }
  }
}

bool Listener::shed(int error) {
  if (!spare_.valid()) {
    // No spare to give up: stop here, the next pass tries again.
    on_accept_(-error);
    return false;
  }
  spare_.reset();
  UniqueFd doomed(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  bool dropped = doomed.valid();
  doomed.reset();
  spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (dropped) on_accept_(-error);
  return dropped;
}

}  // namespace ringproxy
