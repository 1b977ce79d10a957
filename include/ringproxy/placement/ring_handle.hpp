// Where the current ring snapshot is published for every thread that routes
// keys. The control side (admin commands, SIGHUP, etcd, health changes)
// publishes a new snapshot; each data-path loop holds a RingReader that keeps
// its own reference and refreshes it once per loop iteration, so a request
// costs no atomic operation and no reference count: between refreshes the
// reader's snapshot cannot change under it.
//
// The pointer sits in a std::atomic<std::shared_ptr> next to a publish
// counter. A reader's refresh is one acquire load of the counter while
// nothing changed; only after a publish does it load the pointer (libstdc++
// takes a lock bit inside the atomic and bumps the reference count). A mutex
// around a plain shared_ptr costs the same single load on the common path
// and about as much as the atomic on the rare one (bench/micro_ring.cpp
// measures both; bench/README.md has the figures); the atomic was kept
// because it is the standard's own tool for this and publish holds no lock a
// reader could wait on for longer than a pointer copy.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

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
    return current_.load(std::memory_order_acquire);
  }
  // Number of publishes so far: changes whenever the snapshot does.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const RingSnapshot>> current_;
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
