// Storage for small client output buffers, shared by the clients of one loop.
//
// A client's output buffer is freed once its replies are written, so an idle
// client holds no output memory (part of the 0.2 kB per idle connection). On
// its own that costs a malloc and a free per request at `-P 1`, where every
// reply empties the buffer. The pool keeps such storage (blocks of at most
// kMaxBlock bytes, up to a configurable count) and lends it to the next client
// whose request arrives, so a busy proxy cycles the same few blocks and
// allocates nothing per request. What it keeps is bounded by the count times
// kMaxBlock, and a pool that lent nothing for a whole sweep interval (the
// proxy was idle) frees everything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ringproxy/common/buffer.hpp"

namespace ringproxy {

class BufferPool {
 public:
  // Larger blocks are freed, not kept: they come from big replies, which are
  // rare, and would make the pool's bound meaningless.
  static constexpr size_t kMaxBlock = 1024;

  explicit BufferPool(size_t max_blocks = 0) : max_blocks_(max_blocks) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // Gives `b` kept storage if it has none and the pool has some.
  void lend(Buffer& b) {
    if (b.capacity() == 0 && !free_.empty()) {
      b.swap(free_.back());
      free_.pop_back();
      lent_ = true;
      lends_++;
    }
  }
  // Takes the storage of `b` when it is empty: kept if small and there is
  // room, freed otherwise. A buffer with data is left alone.
  void give_back(Buffer& b);
  // Periodic: frees everything kept if nothing was lent since the last call.
  // Returns the bytes freed.
  size_t sweep();

  // For INFO: blocks kept now, their bytes, and how often one was reused.
  size_t blocks() const { return free_.size(); }
  size_t bytes() const;
  uint64_t lends() const { return lends_; }

 private:
  std::vector<Buffer> free_;
  size_t max_blocks_;
  bool lent_ = false;  // since the last sweep
  uint64_t lends_ = 0;
};

}  // namespace ringproxy
