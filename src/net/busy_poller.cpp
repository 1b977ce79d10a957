// Busy polling while the loop is busy; see busy_poller.hpp.
#include "ringproxy/net/busy_poller.hpp"

#include <sched.h>

#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy {

BusyPoller::BusyPoller(uv_loop_t* loop) : idle_(std::make_unique<uv_idle_t>()) {
  uv_idle_init(loop, idle_.get());
  idle_->data = this;
  // Polling alone must not keep the loop alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(idle_.get()));
}

BusyPoller::~BusyPoller() {
  uv_idle_stop(idle_.get());
  close_handle(idle_);
}

void BusyPoller::note_work() {
  if (window_ns_ == 0) return;
  uint64_t now = uv_hrtime();
  streak_ = now - last_work_ns_ <= window_ns_ ? streak_ + 1 : 0;
  last_work_ns_ = now;
  if (streak_ >= kBusyStreak && !polling_ && now >= shared_until_ns_) {
    polling_ = true;
    next_check_ns_ = now + kShareWindowNs;
    meter_.start(now);
    // An active idle handle makes libuv poll with a zero timeout.
    uv_idle_start(idle_.get(), [](uv_idle_t* h) { static_cast<BusyPoller*>(h->data)->on_idle(); });
  }
}

void BusyPoller::stop() {
  polling_ = false;
  streak_ = 0;
  uv_idle_stop(idle_.get());
}

void BusyPoller::on_idle() {
  uint64_t now = uv_hrtime();
  if (now - last_work_ns_ > window_ns_) {
    stop();
    return;
  }
  if (now >= next_check_ns_) {
    next_check_ns_ = now + kShareWindowNs;
    if (meter_.share(now) > kSharedCpuShare) {
      // Other tasks want this CPU: polling would take their time. Sleep in
      // epoll_wait again, and look again later (placement changes).
      shared_until_ns_ = now + kSharedBackoffNs;
      stop();
      return;
    }
  }
  // Let whatever is runnable on this CPU (often the peer just written to)
  // go first; returns at once when nothing is.
  sched_yield();
}

}  // namespace ringproxy
