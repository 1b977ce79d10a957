// See ring_handle.hpp.
#include "ringproxy/placement/ring_handle.hpp"

#include <mutex>
#include <stdexcept>
#include <utility>

namespace ringproxy {

RingHandle::RingHandle(std::shared_ptr<const RingSnapshot> initial) {
  if (initial == nullptr) throw std::invalid_argument("ring handle: no snapshot");
  current_ = std::move(initial);
}

void RingHandle::publish(std::shared_ptr<const RingSnapshot> next) {
  if (next == nullptr) throw std::invalid_argument("ring handle: no snapshot");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current_.swap(next);
    generation_.fetch_add(1, std::memory_order_release);
  }
  // `next` now holds the previous snapshot: released here, outside the lock
  // (freeing a big ring's tables takes a while).
}

}  // namespace ringproxy
