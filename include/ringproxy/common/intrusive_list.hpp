// A doubly linked list threaded through its elements, for memberships that
// must end by themselves: an element's hook unlinks it from whatever list it
// is in when the element is destroyed (or when its owner calls unlink(), e.g.
// on close), so a list can never hold an element that is gone, whatever the
// order of events. Linking and unlinking are O(1) and allocate nothing.
//
// An element type derives from ListHook<Tag> once per list it can be in (the
// tag tells the hooks apart); IntrusiveList<T, Tag> holds such elements.
#pragma once

#include "ringproxy/common/assert.hpp"

namespace ringproxy {

template <typename T, typename Tag>
class IntrusiveList;

template <typename Tag>
class ListHook {
 public:
  ListHook() = default;
  ~ListHook() { unlink(); }
  ListHook(const ListHook&) = delete;
  ListHook& operator=(const ListHook&) = delete;

  bool linked() const { return next_ != nullptr; }
  // Leaves the list it is in (no-op when in none).
  void unlink() {
    if (next_ == nullptr) return;
    prev_->next_ = next_;
    next_->prev_ = prev_;
    prev_ = next_ = nullptr;
  }

 private:
  template <typename T, typename U>
  friend class IntrusiveList;

  ListHook* prev_ = nullptr;
  ListHook* next_ = nullptr;
};

template <typename T, typename Tag>
class IntrusiveList {
  using Hook = ListHook<Tag>;

 public:
  IntrusiveList() { head_.prev_ = head_.next_ = &head_; }
  // Unlinks what is left, so no element points at a list that is gone.
  ~IntrusiveList() { clear(); }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return head_.next_ == &head_; }

  // `item` must not be in a list (this one or another).
  void push_back(T& item) {
    Hook& h = item;
    RP_ASSERT(!h.linked());
    h.prev_ = head_.prev_;
    h.next_ = &head_;
    head_.prev_->next_ = &h;
    head_.prev_ = &h;
  }

  // Unlinks and returns the first element, or nullptr when empty.
  T* pop_front() {
    if (empty()) return nullptr;
    Hook* h = head_.next_;
    h->unlink();
    return static_cast<T*>(h);
  }

  // Moves every element of `other` to the end of this list, in order.
  void splice_back(IntrusiveList& other) {
    if (other.empty()) return;
    Hook* first = other.head_.next_;
    Hook* last = other.head_.prev_;
    other.head_.prev_ = other.head_.next_ = &other.head_;
    first->prev_ = head_.prev_;
    last->next_ = &head_;
    head_.prev_->next_ = first;
    head_.prev_ = last;
  }

  void clear() {
    while (pop_front() != nullptr) {
    }
  }

 private:
  Hook head_;  // sentinel: never an element
};

}  // namespace ringproxy
