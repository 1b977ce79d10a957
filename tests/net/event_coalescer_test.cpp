// EventCoalescer: counts each active client once per millisecond, forgets
// activity across idle gaps, probes sleeping against staying awake while
// enough clients are active and keeps whichever received more requests,
// never sleeps with few clients or when off, and tightens the thread's timer
// slack only while on. Time is driven by hand: tick() takes the loop's clock.
#include "ringproxy/net/event_coalescer.hpp"

#include <gtest/gtest.h>
#include <sys/prctl.h>

#include <chrono>
#include <vector>

namespace ringproxy {
namespace {

long timer_slack_ns() {
  return prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
}

class EventCoalescerTest : public ::testing::Test {
 protected:
  // 1 us windows keep the sleeps short.
  void configure(uint64_t window_us, uint32_t min_clients) {
    c_.configure(window_us, min_clients, [this] { return requests_; });
  }
  // `n` distinct clients send something.
  void activity(size_t n) {
    if (stamps_.size() < n) stamps_.resize(n, 0);
    for (size_t i = 0; i < n; ++i) c_.note_active(stamps_[i]);
  }
  // One loop millisecond with `clients` active, in which the proxy receives
  // `awake` requests when not sleeping and `asleep` when sleeping; returns
  // whether its writing pass slept.
  bool millisecond(uint32_t clients, uint64_t awake, uint64_t asleep) {
    c_.tick(++now_);
    activity(clients);
    requests_ += c_.sleeping() ? asleep : awake;
    return c_.after_writing_pass();
  }
  // Runs `ms` milliseconds; returns how many of them slept.
  int run(int ms, uint32_t clients, uint64_t awake, uint64_t asleep) {
    int slept = 0;
    for (int i = 0; i < ms; ++i) slept += millisecond(clients, awake, asleep) ? 1 : 0;
    return slept;
  }

  EventCoalescer c_;
  std::vector<uint8_t> stamps_;
  uint64_t now_ = 1000;
  uint64_t requests_ = 0;
};

constexpr int kProbeMs = EventCoalescer::kPhases * EventCoalescer::kPhaseMs + 2;

TEST_F(EventCoalescerTest, CountsEachClientOncePerMillisecond) {
  configure(1, 4);
  c_.tick(10);
  activity(3);
  activity(3);  // the same three clients again
  EXPECT_EQ(c_.active_clients(), 3u);
  c_.tick(10);  // same millisecond: still counting
  activity(4);
  EXPECT_EQ(c_.active_clients(), 4u);
  c_.tick(11);  // the previous millisecond still counts
  EXPECT_EQ(c_.active_clients(), 4u);
  activity(2);
  EXPECT_EQ(c_.active_clients(), 4u);
  c_.tick(12);  // ... but only the one just before
  EXPECT_EQ(c_.active_clients(), 2u);
  c_.tick(200);  // after an idle gap nothing
  EXPECT_EQ(c_.active_clients(), 0u);
}

TEST_F(EventCoalescerTest, StampsSurviveTheEpochCounterWrapping) {
  configure(1, 2);
  for (uint64_t ms = 1; ms < 1000; ++ms) {
    c_.tick(ms);
    // Right after a tick the count is the previous millisecond's: the same
    // two clients and one new connection each time, never a stale stamp.
    if (ms > 1) {
      ASSERT_EQ(c_.active_clients(), 3u) << "at " << ms << " ms";
    }
    activity(2);
    uint8_t fresh = 0;  // a new connection's stamp
    c_.note_active(fresh);
  }
}

TEST_F(EventCoalescerTest, KeepsSleepingWhenSleepingReceivesMore) {
  configure(1, 8);
  // The probe sleeps in half of its phases, then keeps sleeping.
  int slept = run(kProbeMs, 50, 100, 120);
  EXPECT_NEAR(slept, kProbeMs / 2, EventCoalescer::kPhaseMs);
  EXPECT_EQ(c_.probes_won(), 1u);
  EXPECT_TRUE(c_.sleeping());
  EXPECT_EQ(run(1000, 50, 100, 120), 1000);
}

TEST_F(EventCoalescerTest, ATieGoesToSleeping) {
  configure(1, 8);
  run(kProbeMs, 50, 101, 100);  // 1% is noise, not a gain for staying awake
  EXPECT_EQ(c_.probes_won(), 1u);
  EXPECT_TRUE(c_.sleeping());
}

TEST_F(EventCoalescerTest, StaysAwakeWhenAwakeReceivesMore) {
  configure(1, 8);
  run(kProbeMs, 50, 120, 100);
  EXPECT_EQ(c_.probes_lost(), 1u);
  EXPECT_FALSE(c_.sleeping());
  EXPECT_EQ(run(1000, 50, 120, 100), 0);
  // Probes again after the hold, and follows a change.
  run(static_cast<int>(EventCoalescer::kHoldMs) + kProbeMs, 50, 100, 150);
  EXPECT_EQ(c_.probes_won(), 1u);
  EXPECT_TRUE(c_.sleeping());
}

TEST_F(EventCoalescerTest, FewClientsNeverSleep) {
  configure(1, 32);
  EXPECT_EQ(run(3 * kProbeMs, 31, 100, 1000), 0);
  EXPECT_EQ(c_.probes_won() + c_.probes_lost(), 0u);
  // Once enough clients are active it probes; when they leave it stops.
  run(kProbeMs, 32, 100, 1000);
  EXPECT_TRUE(c_.sleeping());
  millisecond(5, 100, 1000);  // the millisecond before still had 32
  EXPECT_EQ(run(static_cast<int>(EventCoalescer::kQuietMs) + 1, 5, 100, 1000), 0);
  EXPECT_FALSE(c_.sleeping());
}

TEST_F(EventCoalescerTest, ABriefDipKeepsTheChoiceALongOneEndsIt) {
  configure(1, 32);
  run(kProbeMs, 50, 100, 150);
  ASSERT_TRUE(c_.sleeping());
  const uint64_t won = c_.probes_won();
  run(20, 10, 100, 150);  // 20 ms with few clients: no sleeps meanwhile ...
  EXPECT_TRUE(c_.sleeping());
  EXPECT_EQ(run(50, 50, 100, 150), 50);  // ... and none of the choice lost
  EXPECT_EQ(c_.probes_won(), won);
  run(static_cast<int>(EventCoalescer::kQuietMs) + 1, 10, 100, 150);
  EXPECT_FALSE(c_.sleeping());  // the load is over
}

TEST_F(EventCoalescerTest, OffNeverSleeps) {
  configure(0, 0);
  EXPECT_FALSE(c_.enabled());
  EXPECT_EQ(run(3 * kProbeMs, 100, 100, 1000), 0);
  EXPECT_EQ(c_.naps(), 0u);
}

TEST_F(EventCoalescerTest, SleepsAtLeastTheWindow) {
  configure(2000, 0);
  run(EventCoalescer::kPhaseMs + 1, 1, 0, 0);  // into the probe's first sleeping phase
  ASSERT_TRUE(c_.sleeping());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c_.after_writing_pass());
  // nanosleep sleeps at least the window (only a signal cuts it short).
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::microseconds(2000));
}

TEST(EventCoalescer, TightensTimerSlackOnlyWhileOn) {
  const long before = timer_slack_ns();
  {
    EventCoalescer c;
    c.configure(20, 8, nullptr);
    // A 20 us sleep must not become 70 (the default slack is 50 us).
    EXPECT_LE(timer_slack_ns(), 1000);
    c.configure(0, 8, nullptr);
    EXPECT_EQ(timer_slack_ns(), before);
    c.configure(20, 8, nullptr);
  }
  EXPECT_EQ(timer_slack_ns(), before);  // the destructor restores it too
}

}  // namespace
}  // namespace ringproxy
