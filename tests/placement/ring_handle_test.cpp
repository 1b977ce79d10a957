// Publishing snapshots: a reader keeps its snapshot until it refreshes, sees
// the latest after a refresh, keeps an old snapshot alive while it holds it,
// and readers on other threads only ever move forward.
#include "ringproxy/placement/ring_handle.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "ring_test_util.hpp"
#include "ringproxy/placement/ring_builder.hpp"

namespace ringproxy {
namespace {

using test::numbered;
using test::params;

TEST(RingHandle, ReaderRefreshesOnlyWhenSomethingWasPublished) {
  const auto first = make_ring(params(DistributionKind::kKetama), numbered(1, 3), "config");
  RingHandle handle(first);
  RingReader reader(handle);
  EXPECT_EQ(&reader.ring(), first.get());
  EXPECT_FALSE(reader.refresh());

  const auto second = with_liveness(*first, 1, Liveness::kDown);
  handle.publish(second);
  EXPECT_EQ(&reader.ring(), first.get());  // unchanged until the reader refreshes
  EXPECT_TRUE(reader.refresh());
  EXPECT_EQ(&reader.ring(), second.get());
  EXPECT_FALSE(reader.refresh());

  // Two publishes between refreshes: the reader jumps to the latest.
  handle.publish(with_liveness(*second, 1, Liveness::kUp));
  const auto fourth = with_liveness(*handle.load(), 2, Liveness::kDown);
  handle.publish(fourth);
  EXPECT_TRUE(reader.refresh());
  EXPECT_EQ(reader.snapshot(), fourth);
  EXPECT_EQ(handle.generation(), 3u);
  EXPECT_THROW(handle.publish(nullptr), std::invalid_argument);
  EXPECT_THROW(RingHandle(nullptr), std::invalid_argument);
}

TEST(RingHandle, AHeldSnapshotOutlivesItsReplacement) {
  RingHandle handle(make_ring(params(DistributionKind::kKetama), numbered(1, 3), "config"));
  RingReader reader(handle);
  std::weak_ptr<const RingSnapshot> old = reader.snapshot();
  handle.publish(make_ring(params(DistributionKind::kKetama), numbered(1, 4), "config"));
  EXPECT_FALSE(old.expired());  // the reader still routes with it
  reader.refresh();
  EXPECT_TRUE(old.expired());
}

TEST(RingHandle, ReadersOnOtherThreadsOnlyMoveForward) {
  auto ring = make_ring(params(DistributionKind::kKetama), numbered(1, 4), "config");
  RingHandle handle(ring);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      RingReader reader(handle);
      uint64_t last = reader.ring().version();
      uint32_t h = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        reader.refresh();
        const RingSnapshot& r = reader.ring();
        if (r.version() < last) failures.fetch_add(1);
        last = r.version();
        // Route with it: the owner is always a live member.
        for (int i = 0; i < 64; ++i) {
          const uint32_t slot = r.owner_slot(h += 0x9e3779b9u);
          if (slot != kNoSlot && !r.is_live(slot)) failures.fetch_add(1);
        }
      }
    });
  }
  for (int i = 0; i < 2000; ++i) {
    ring = with_liveness(*ring, static_cast<uint32_t>(i % 4),
                         i % 8 < 4 ? Liveness::kDown : Liveness::kUp);
    handle.publish(ring);
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(handle.load()->version(), 2001u);
}

}  // namespace
}  // namespace ringproxy
