// The RingView the command handlers route by: the Router (hash tag, hash,
// distribution) with the health checker's liveness applied. Backend ids are
// positions in the configuration, the only ids a static pool has; a live ring
// will replace this with immutable snapshots.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ringproxy/commands/ring_view.hpp"
#include "ringproxy/placement/router.hpp"

namespace ringproxy {

class LiveRing final : public RingView {
 public:
  explicit LiveRing(Router router);

  BackendId owner(std::string_view key) const override { return router_.backend_for_key(key); }
  BackendId home(std::string_view key) const override { return router_.home_for_key(key); }
  bool live(BackendId backend) const override { return backend < live_.size() && live_[backend]; }
  bool any_down() const override { return down_ > 0; }
  std::span<const BackendId> members() const override { return members_; }
  uint32_t id_limit() const override { return static_cast<uint32_t>(members_.size()); }

  // Takes `backend` into placement or out of it (ejected: its keys go to the
  // successors). Returns false if that is its state already.
  bool set_live(BackendId backend, bool live);
  const Router& router() const { return router_; }

 private:
  Router router_;
  std::vector<BackendId> members_;
  std::vector<bool> live_;
  size_t down_ = 0;
};

}  // namespace ringproxy
