// RingQueue: FIFO order across growth and wrap-around, and giving its slots
// back when empty (idle connections must not keep them).
#include "ringproxy/common/ring_queue.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>

namespace ringproxy {
namespace {

TEST(RingQueue, MatchesDequeUnderRandomPushPop) {
  RingQueue<int> q;
  std::deque<int> ref;
  std::mt19937 rng(7);
  int next = 0;
  for (int step = 0; step < 200000; ++step) {
    // Bias towards pushing first, then draining, so the queue grows through
    // several capacities and wraps many times at each.
    bool push = ref.empty() || (rng() % 100) < (step < 100000 ? 55u : 45u);
    if (push) {
      q.push_back(next);
      ref.push_back(next);
      ++next;
    } else {
      ASSERT_EQ(q.front(), ref.front());
      q.pop_front();
      ref.pop_front();
    }
    ASSERT_EQ(q.size(), ref.size());
    if (!ref.empty()) {
      ASSERT_EQ(q.front(), ref.front());
      ASSERT_EQ(q[q.size() - 1], ref.back());
    }
  }
}

TEST(RingQueue, ReleasesSlotsOnlyWhenEmpty) {
  RingQueue<long> q;
  EXPECT_EQ(q.release_if_empty(), 0u);  // nothing allocated yet
  for (long i = 0; i < 20; ++i) q.push_back(i);
  EXPECT_EQ(q.release_if_empty(), 0u);  // not empty: kept
  while (!q.empty()) q.pop_front();
  EXPECT_EQ(q.release_if_empty(), 32 * sizeof(long));
  EXPECT_EQ(q.release_if_empty(), 0u);
  // Usable again after the release.
  q.push_back(5);
  q.push_back(6);
  EXPECT_EQ(q.front(), 5);
  q.pop_front();
  EXPECT_EQ(q.front(), 6);
  EXPECT_EQ(q.size(), 1u);
}

}  // namespace
}  // namespace ringproxy
