// Reuse of small client output buffers; see buffer_pool.hpp.
#include "ringproxy/net/buffer_pool.hpp"

namespace ringproxy {

void BufferPool::give_back(Buffer& b) {
  if (!b.empty() || b.capacity() == 0) return;
  if (b.capacity() > kMaxBlock || free_.size() >= max_blocks_) {
    b.release_if_empty();
    return;
  }
  free_.emplace_back().swap(b);
}

size_t BufferPool::sweep() {
  size_t freed = 0;
  if (!lent_) {
    freed = bytes();
    free_.clear();
    free_.shrink_to_fit();
  }
  lent_ = false;
  return freed;
}

size_t BufferPool::bytes() const {
  size_t n = 0;
  for (const Buffer& b : free_) n += b.capacity();
  return n;
}

}  // namespace ringproxy
