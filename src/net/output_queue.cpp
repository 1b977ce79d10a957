// A connection's output as a chain of buffers; see output_queue.hpp.
#include "ringproxy/net/output_queue.hpp"

#include <utility>

#include "ringproxy/common/assert.hpp"

namespace ringproxy {

void OutputQueue::seal_tail() {
  if (tail_.empty()) return;
  if (!chain_) chain_ = std::make_unique<std::deque<Buffer>>();
  chain_bytes_ += tail_.size();
  chain_->emplace_back(std::move(tail_));
}

void OutputQueue::append_buffer(Buffer& b) {
  RP_ASSERT(&b != &tail_);
  if (b.empty()) return;
  seal_tail();  // the tail's bytes go first
  if (!chain_) chain_ = std::make_unique<std::deque<Buffer>>();
  chain_bytes_ += b.size();
  chain_->emplace_back(std::move(b));
}

int OutputQueue::gather_chain(iovec* iov, int max) const {
  int n = 0;
  for (const Buffer& b : *chain_) {
    if (n == max) return n;
    iov[n++] = {const_cast<char*>(b.data()), b.size()};
  }
  if (n < max && !tail_.empty()) iov[n++] = {const_cast<char*>(tail_.data()), tail_.size()};
  return n;
}

void OutputQueue::consume_chain(size_t n) {
  while (n > 0 && chain_ && !chain_->empty()) {
    Buffer& front = chain_->front();
    size_t take = n < front.size() ? n : front.size();
    front.consume(take);
    chain_bytes_ -= take;
    n -= take;
    if (front.empty()) chain_->pop_front();
  }
  if (chain_ && chain_->empty()) chain_.reset();
  RP_ASSERT(chain_ != nullptr || chain_bytes_ == 0);
  RP_ASSERT(n <= tail_.size());
  tail_.consume(n);
}

void OutputQueue::take_all(std::vector<Buffer>& out) {
  if (chain_) {
    for (Buffer& b : *chain_) out.emplace_back(std::move(b));
    chain_.reset();
    chain_bytes_ = 0;
  }
  if (!tail_.empty()) out.emplace_back(std::move(tail_));
}

}  // namespace ringproxy
