// The client sockets' epoll set inside the libuv loop; see socket_poller.hpp.
#include "ringproxy/net/socket_poller.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy {

SocketPoller::SocketPoller(uv_loop_t* loop)
    : epfd_(epoll_create1(EPOLL_CLOEXEC)),
      poll_(std::make_unique<uv_poll_t>()),
      reaper_(std::make_unique<uv_check_t>()),
      events_(kMaxEvents) {
  if (!epfd_.valid()) {
    throw std::runtime_error(std::string("cannot create an epoll set: ") + std::strerror(errno));
  }
  int rc = uv_poll_init(loop, poll_.get(), epfd_.get());
  if (rc < 0) {
    poll_.reset();
    throw std::runtime_error(std::string("cannot watch the epoll set: ") + uv_strerror(rc));
  }
  poll_->data = this;
  uv_check_init(loop, reaper_.get());
  reaper_->data = this;
}

SocketPoller::~SocketPoller() {
  reap();
  close_handle(reaper_);
  close_handle(poll_);
}

int SocketPoller::add(int fd, Watcher* w, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = w;
  if (epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) return -errno;
  // The loop stays alive (and watches the set) while any socket is in it.
  if (registered_++ == 0) {
    uv_poll_start(poll_.get(), UV_READABLE,
                  [](uv_poll_t* h, int, int) { static_cast<SocketPoller*>(h->data)->dispatch(); });
  }
  return 0;
}

int SocketPoller::modify(int fd, Watcher* w, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = w;
  return epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void SocketPoller::remove(int fd, Watcher* w) {
  if (epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr) == 0 && --registered_ == 0) {
    uv_poll_stop(poll_.get());
  }
  // Events of this batch not yet dispatched must not reach the closed socket.
  for (int i = cursor_; i < batch_; ++i) {
    if (events_[i].data.ptr == w) events_[i].data.ptr = nullptr;
  }
}

void SocketPoller::retire(std::unique_ptr<Watcher> w) {
  if (retired_.empty()) {
    uv_check_start(reaper_.get(),
                   [](uv_check_t* h) { static_cast<SocketPoller*>(h->data)->reap(); });
  }
  retired_.push_back(std::move(w));
}

void SocketPoller::dispatch() {
  int n = epoll_wait(epfd_.get(), events_.data(), kMaxEvents, 0);
  if (n <= 0) return;  // EINTR, or taken by an earlier pass
  batch_ = n;
  for (cursor_ = 0; cursor_ < batch_;) {
    const epoll_event& ev = events_[cursor_++];
    if (ev.data.ptr != nullptr) static_cast<Watcher*>(ev.data.ptr)->on_socket_events(ev.events);
  }
  batch_ = cursor_ = 0;
}

void SocketPoller::reap() {
  retired_.clear();
  if (reaper_) uv_check_stop(reaper_.get());
}

}  // namespace ringproxy
