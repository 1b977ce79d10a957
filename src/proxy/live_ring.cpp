// See live_ring.hpp.
#include "ringproxy/proxy/live_ring.hpp"

namespace ringproxy {

LiveRing::LiveRing(Router router) : router_(std::move(router)), live_(router_.size(), true) {
  for (size_t i = 0; i < router_.size(); ++i) members_.push_back(static_cast<BackendId>(i));
}

bool LiveRing::set_live(BackendId backend, bool live) {
  if (live_.at(backend) == live) return false;
  live_[backend] = live;
  if (live) {
    --down_;
  } else {
    ++down_;
  }
  router_.set_live(live_);
  return true;
}

}  // namespace ringproxy
