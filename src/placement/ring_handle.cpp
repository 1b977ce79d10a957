// See ring_handle.hpp.
#include "ringproxy/placement/ring_handle.hpp"

#include <stdexcept>
#include <utility>

namespace ringproxy {

RingHandle::RingHandle(std::shared_ptr<const RingSnapshot> initial) {
  if (initial == nullptr) throw std::invalid_argument("ring handle: no snapshot");
  current_.store(std::move(initial), std::memory_order_release);
}

void RingHandle::publish(std::shared_ptr<const RingSnapshot> next) {
  if (next == nullptr) throw std::invalid_argument("ring handle: no snapshot");
  current_.store(std::move(next), std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace ringproxy
