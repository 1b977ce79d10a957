// The flush pass shared by client and backend connections. See connection.hpp
// for the batching and lifetime rules.
#include "ringproxy/net/connection.hpp"

#include <algorithm>

#include "ringproxy/common/assert.hpp"
#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy {

FlushScheduler::FlushScheduler(uv_loop_t* loop) : check_(std::make_unique<uv_check_t>()) {
  uv_check_init(loop, check_.get());
  check_->data = this;
  uv_check_start(check_.get(),
                 [](uv_check_t* h) { static_cast<FlushScheduler*>(h->data)->flush_all(); });
  // The check handle alone must not keep the loop alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(check_.get()));
}

FlushScheduler::~FlushScheduler() {
  uv_check_stop(check_.get());
  close_handle(check_);
}

void FlushScheduler::add(Connection* c) {
  (c->flush_last_ ? dirty_last_ : dirty_).push_back(c);
}

void FlushScheduler::remove(Connection* c) {
  std::replace(dirty_.begin(), dirty_.end(), c, static_cast<Connection*>(nullptr));
  std::replace(dirty_last_.begin(), dirty_last_.end(), c, static_cast<Connection*>(nullptr));
  std::replace(flushing_.begin(), flushing_.end(), c, static_cast<Connection*>(nullptr));
}

void FlushScheduler::run_deferred() {
  if (deferred_.empty()) return;
  IntrusiveList<Connection, DeferredTag> batch;
  batch.splice_back(deferred_);
  // A connection closed by another's work leaves `batch` as it closes.
  while (Connection* c = batch.pop_front()) {
    RP_ASSERT(!c->closing_);
    if (c->close_soon_) {
      c->close();
    } else {
      c->on_resume();
    }
  }
}

void FlushScheduler::flush_all() {
  run_deferred();
  // Flushing can make more connections dirty (a write error fails requests,
  // whose error replies go to clients): loop until nothing is left.
  while (!dirty_.empty() || !dirty_last_.empty()) {
    // Clients first, then backends (see the header).
    flushing_.swap(dirty_.empty() ? dirty_last_ : dirty_);
    for (size_t i = 0; i < flushing_.size(); ++i) {
      Connection* c = flushing_[i];
      if (c == nullptr) continue;
      c->dirty_ = false;
      if (c->closing_) continue;
      c->flush();
    }
    flushing_.clear();
  }
}

Connection::~Connection() {
  if (dirty_) flusher_.remove(this);
}

}  // namespace ringproxy
