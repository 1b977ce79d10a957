// A FIFO on a power-of-two ring: push_back/pop_front without per-element
// allocation (std::deque allocates a block every few hundred pushes and frees
// it again as the queue drains, which a steady pipeline pays for continuously).
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace ringproxy {

template <typename T>
class RingQueue {
 public:
  bool empty() const { return head_ == tail_; }
  size_t size() const { return tail_ - head_; }
  T& front() { return slots_[head_ & mask_]; }
  const T& front() const { return slots_[head_ & mask_]; }
  T& operator[](size_t i) { return slots_[(head_ + i) & mask_]; }
  void push_back(T v) {
    if (size() == cap_) grow();
    slots_[tail_++ & mask_] = std::move(v);
  }
  void pop_front() { ++head_; }
  void clear() { head_ = tail_ = 0; }

 private:
  void grow() {
    size_t ncap = cap_ ? cap_ * 2 : 16;
    auto fresh = std::make_unique<T[]>(ncap);
    for (size_t i = 0; i < size(); ++i) fresh[i] = std::move(slots_[(head_ + i) & mask_]);
    tail_ = size();
    head_ = 0;
    slots_ = std::move(fresh);
    cap_ = ncap;
    mask_ = ncap - 1;
  }
  std::unique_ptr<T[]> slots_;
  size_t cap_ = 0;
  size_t mask_ = 0;
  size_t head_ = 0;
  size_t tail_ = 0;
};

}  // namespace ringproxy
