// Periodic snapshot publication; see snapshot_publisher.hpp.
#include "ringproxy/stats/snapshot_publisher.hpp"

#include <algorithm>

#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy::stats {

SnapshotPublisher::SnapshotPublisher(uv_loop_t* loop, uint64_t interval_ms, BuildFn build,
                                     std::shared_ptr<SnapshotSlot> slot)
    : interval_ms_(std::max<uint64_t>(interval_ms, 1)),
      build_(std::move(build)),
      slot_(std::move(slot)),
      timer_(std::make_unique<uv_timer_t>()) {
  uv_timer_init(loop, timer_.get());
  timer_->data = this;
  uv_timer_start(
      timer_.get(), [](uv_timer_t* t) { static_cast<SnapshotPublisher*>(t->data)->publish_now(); },
      interval_ms_, interval_ms_);
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_.get()));
  publish_now();
}

SnapshotPublisher::~SnapshotPublisher() {
  uv_timer_stop(timer_.get());
  close_handle(timer_);
}

void SnapshotPublisher::publish_now() {
  slot_->publish(std::make_shared<const StatsSnapshot>(build_()));
  ++publications_;
}

}  // namespace ringproxy::stats
