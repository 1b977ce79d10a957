// A connection's output: bytes waiting to be written, in order, as a chain of
// buffers. Small output (replies, requests, protocol lines) is appended to
// the last buffer, the tail; a big buffer (a large value read from the other
// side) is linked into the chain with its storage instead of being copied,
// so forwarding a 500 MB value costs no copy in the proxy and no pass of the
// loop spends time proportional to the value's size. A writer gathers the
// front of the chain into an iovec array and consumes what the socket took.
//
// An idle connection's queue holds no storage beyond its (pooled) tail: the
// chain exists only while a linked buffer waits.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "ringproxy/common/buffer.hpp"

namespace ringproxy {

class OutputQueue {
 public:
  // Where small output is appended. Always the last bytes of the queue.
  Buffer& tail() { return tail_; }
  const Buffer& tail() const { return tail_; }

  // Queues the bytes of `b` after everything queued, taking its storage; `b`
  // is left empty, without storage. An empty `b` is ignored.
  void append_buffer(Buffer& b);

  // Queues the tail's bytes as a buffer of their own, leaving an empty tail
  // (without storage) for bytes that must follow them.
  void seal_tail();

  // Every write and every reply asks, so these are a sum, not a walk.
  size_t size() const { return chain_bytes_ + tail_.size(); }
  bool empty() const { return chain_bytes_ == 0 && tail_.empty(); }
  // Buffers holding the queued bytes (1 while nothing was linked).
  size_t buffers() const { return (chain_ ? chain_->size() : 0) + 1; }

  // Describes up to `max` buffers of queued bytes, oldest first; returns how
  // many iovecs were filled (0 when empty).
  int gather(iovec* iov, int max) const {
    if (chain_) [[unlikely]]
      return gather_chain(iov, max);
    if (max == 0 || tail_.empty()) return 0;
    iov[0] = {const_cast<char*>(tail_.data()), tail_.size()};
    return 1;
  }
  // Drops the first `n` bytes (n <= size()), freeing emptied linked buffers.
  void consume(size_t n) {
    if (chain_) [[unlikely]] {
      consume_chain(n);
      return;
    }
    tail_.consume(n);
  }
  // Moves every queued byte into `out` (oldest first, the tail last), leaving
  // the queue empty; the tail keeps no storage.
  void take_all(std::vector<Buffer>& out);

 private:
  int gather_chain(iovec* iov, int max) const;
  void consume_chain(size_t n);

  // Linked buffers, oldest first, all before tail_; null while there are none.
  std::unique_ptr<std::deque<Buffer>> chain_;
  size_t chain_bytes_ = 0;  // bytes in chain_'s buffers
  Buffer tail_;
};

}  // namespace ringproxy
