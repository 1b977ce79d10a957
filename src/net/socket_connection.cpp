// Connections on a socket in the SocketPoller; see socket_connection.hpp.
#include "ringproxy/net/socket_connection.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace ringproxy {

namespace {
constexpr size_t kReadSize = 64 * 1024;
// Buffers of the output queue written by one sendmsg().
constexpr int kMaxIov = 64;
}  // namespace

int SocketConnection::attach(int fd) {
  fd_.reset(fd);
  return poller_.add(fd, this, 0);
}

void SocketConnection::flush() {
  if (want_out_ || closing() || !fd_.valid() || output().empty()) return;
  write_out();
}

void SocketConnection::write_out() {
  OutputQueue& out = output();
  if (!out.empty()) {
    iovec iov[kMaxIov];
    const int count = out.gather(iov, kMaxIov);
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(count);
    ssize_t n;
    do {
      n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      on_write_error(-errno);
      return;
    }
    if (n > 0) out.consume(static_cast<size_t>(n));
  }
  // Anything left (a short write, EAGAIN, or more buffers than one call
  // takes) waits for EPOLLOUT: one system call per event and connection.
  bool full = !out.empty();
  if (full != want_out_) {
    want_out_ = full;
    update_interest();
    if (closing()) return;
  }
  if (!full) on_drained();
}

void SocketConnection::read_once() {
  uv_buf_t buf;
  alloc_buffer(kReadSize, &buf);
  ssize_t n;
  do {
    n = ::read(fd_.get(), buf.base, buf.len);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    on_read(n, &buf);
  } else if (n == 0) {
    on_read(UV_EOF, &buf);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
    on_read(-errno, &buf);
  }
}

void SocketConnection::on_socket_events(uint32_t events) {
  if (closing()) return;
  bool broken = (events & (EPOLLERR | EPOLLHUP)) != 0;
  if (want_out_ && (broken || (events & EPOLLOUT))) {
    write_out();
    if (closing()) return;
  }
  if (reading_ && (broken || (events & EPOLLIN))) {
    read_once();
  } else if (broken && !want_out_) {
    // The socket broke while the connection waited for nothing (a paused
    // client was reset): the error is level-triggered, so end it here.
    on_write_error(UV_ECONNRESET);
  }
}

void SocketConnection::start_reading() {
  if (reading_ || closing()) return;
  reading_ = true;
  update_interest();
}

void SocketConnection::stop_reading() {
  if (!reading_) return;
  reading_ = false;
  update_interest();
}

void SocketConnection::update_interest() {
  if (!fd_.valid() || closing()) return;
  uint32_t events = (reading_ ? EPOLLIN : 0u) | (want_out_ ? EPOLLOUT : 0u);
  int rc = poller_.modify(fd_.get(), this, events);
  if (rc < 0) on_write_error(rc);
}

void SocketConnection::close() {
  if (!begin_close()) return;
  if (fd_.valid()) {
    poller_.remove(fd_.get(), this);
    fd_.reset();
  }
  poller_.retire(std::unique_ptr<SocketPoller::Watcher>(this));
}

}  // namespace ringproxy
