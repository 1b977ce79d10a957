// A FIFO on a power-of-two ring: push_back/pop_front without per-element
// allocation (std::deque allocates a block every few hundred pushes and frees
// it again as the queue drains, which a steady pipeline pays for continuously).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace ringproxy {

template <typename T>
class RingQueue {
 public:
  bool empty() const { return head_ == tail_; }
  size_t size() const { return tail_ - head_; }
  T& front() { return slots_[head_ & (cap_ - 1)]; }
  const T& front() const { return slots_[head_ & (cap_ - 1)]; }
  T& operator[](size_t i) { return slots_[(head_ + i) & (cap_ - 1)]; }
  void push_back(T v) {
    if (size() == cap_) grow();
    slots_[tail_++ & (cap_ - 1)] = std::move(v);
  }
  void pop_front() { ++head_; }
  void clear() { head_ = tail_ = 0; }
  // Frees the slots of an empty queue (idle connections hold none); returns
  // the bytes freed.
  size_t release_if_empty() {
    if (!empty() || cap_ == 0) return 0;
    size_t freed = cap_ * sizeof(T);
    slots_.reset();
    cap_ = head_ = tail_ = 0;
    return freed;
  }

 private:
  void grow() {
    uint32_t ncap = cap_ ? cap_ * 2 : 16;
    auto fresh = std::make_unique<T[]>(ncap);
    for (size_t i = 0; i < size(); ++i) fresh[i] = std::move((*this)[i]);
    tail_ = static_cast<uint32_t>(size());
    head_ = 0;
    slots_ = std::move(fresh);
    cap_ = ncap;
  }
  // 32-bit counters keep the queue small (it is in every connection); they
  // may wrap, which the unsigned difference and the power-of-two mask allow.
  std::unique_ptr<T[]> slots_;
  uint32_t cap_ = 0;
  uint32_t head_ = 0;
  uint32_t tail_ = 0;
};

}  // namespace ringproxy
