// BusyPoller on a bare libuv loop: a streak of writing passes starts polling,
// spaced-out passes never do, and polling ends once a window passes without
// work (or earlier, if the CPU turns out to be shared).
#include "ringproxy/net/busy_poller.hpp"

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <thread>

namespace ringproxy {
namespace {

class BusyPollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    // The poller's handle does not keep a loop alive (in the proxy the sockets
    // do); this timer does, so uv_run runs the idle phase.
    uv_timer_init(&loop_, &keepalive_);
    uv_timer_start(
        &keepalive_, [](uv_timer_t*) {}, 60'000, 0);
  }
  void TearDown() override {
    poller_.reset();  // closes its handle
    uv_close(reinterpret_cast<uv_handle_t*>(&keepalive_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  BusyPoller& make(uint64_t window_us) {
    poller_ = std::make_unique<BusyPoller>(&loop_);
    poller_->set_window_us(window_us);
    return *poller_;
  }
  uv_loop_t loop_{};
  uv_timer_t keepalive_{};
  std::unique_ptr<BusyPoller> poller_;
};

TEST_F(BusyPollerTest, ThreeShortGapsInARowStartPolling) {
  BusyPoller& p = make(1'000'000);  // 1 s: every gap below is within the window
  p.note_work();                    // the first pass has no gap before it
  p.note_work();
  p.note_work();
  EXPECT_FALSE(p.polling());
  p.note_work();
  EXPECT_TRUE(p.polling());
}

TEST_F(BusyPollerTest, SpacedOutPassesNeverPoll) {
  BusyPoller& p = make(100);  // 100 us
  for (int i = 0; i < 5; ++i) {
    p.note_work();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // gaps longer than the window
  }
  EXPECT_FALSE(p.polling());
}

TEST_F(BusyPollerTest, OffWhenTheWindowIsZero) {
  BusyPoller& p = make(0);
  for (int i = 0; i < 10; ++i) p.note_work();
  EXPECT_FALSE(p.polling());
}

TEST_F(BusyPollerTest, PollingStopsAfterAWindowWithoutWork) {
  BusyPoller& p = make(2'000);  // 2 ms
  for (int i = 0; i < 4; ++i) p.note_work();
  ASSERT_TRUE(p.polling());
  // The idle handle keeps each loop run non-blocking; it must stop by itself.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (p.polling() && std::chrono::steady_clock::now() < deadline) {
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  EXPECT_FALSE(p.polling());
}

}  // namespace
}  // namespace ringproxy
