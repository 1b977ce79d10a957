// Where the current ring snapshot is published for every thread that routes
// keys. The control side (admin commands, SIGHUP, etcd, health changes)
// publishes a new snapshot; each data-path loop holds a RingReader that keeps
// its own reference and refreshes it once per loop iteration, so a request
// costs no atomic operation and no reference count: between refreshes the
// reader's snapshot cannot change under it.
//
// The pointer sits behind a mutex, next to an atomic publish counter. A
// reader's refresh is one acquire load of the counter while nothing changed;
// only after a publish does it take the mutex to copy the pointer. The
// alternative, std::atomic<std::shared_ptr>, costs the same single load on
// the common path and about as much on the rare one (bench/micro_ring.cpp
// measures both), is not lock-free either in libstdc++ (a lock bit inside
// the pointer), and that lock bit is invisible to ThreadSanitizer, which then
// reports a race inside libstdc++ on every concurrent load and store: the
// mutex keeps TSan usable for the worker threads that will share this.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "ringproxy/placement/ring_snapshot.hpp"

namespace ringproxy {

class RingHandle {
 public:
  explicit RingHandle(std::shared_ptr<const RingSnapshot> initial);
  RingHandle(const RingHandle&) = delete;
  RingHandle& operator=(const RingHandle&) = delete;

  // Makes `next` the current snapshot (never null). Readers pick it up at
  // their next refresh; snapshots they hold stay valid until they let go.
  void publish(std::shared_ptr<const RingSnapshot> next);
  std::shared_ptr<const RingSnapshot> load() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }
  // Number of publishes so far: changes whenever the snapshot does.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const RingSnapshot> current_;  // guarded by mutex_
  std::atomic<uint64_t> generation_{0};
};

// One per data-path loop (not shared between threads).
class RingReader {
 public:
  explicit RingReader(const RingHandle& handle)
      : handle_(&handle), seen_(handle.generation()), ring_(handle.load()) {}

  // Picks up the latest published snapshot; true when it changed. Call it
  // between requests (once per loop iteration): the snapshot it returned
  // before stays alive as long as someone holds it.
  bool refresh() {
    const uint64_t g = handle_->generation();
    if (g == seen_) return false;
    // The pointer is stored before the counter moves, so this is at least the
    // snapshot of generation g (a newer one at worst: then the next refresh
    // loads it again, harmlessly).
    seen_ = g;
    ring_ = handle_->load();
    return true;
  }
  const RingSnapshot& ring() const { return *ring_; }
  const std::shared_ptr<const RingSnapshot>& snapshot() const { return ring_; }

 private:
  const RingHandle* handle_;
  uint64_t seen_;
  std::shared_ptr<const RingSnapshot> ring_;
};

}  // namespace ringproxy
