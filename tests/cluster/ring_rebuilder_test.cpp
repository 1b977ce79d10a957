// RingRebuilder on a real libuv loop: the build runs off the loop (the loop
// keeps running timers meanwhile) and its result comes back on the loop with
// the liveness of that moment, the latest request wins, errors are reported,
// and a rebuilder destroyed mid-build leaks nothing.
#include "ringproxy/cluster/ring_rebuilder.hpp"

#include <gtest/gtest.h>
#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ringproxy/placement/backend_spec.hpp"
#include "ringproxy/placement/ring_builder.hpp"

namespace ringproxy {
namespace {

std::vector<BackendSpec> numbered(int from, int to) {
  std::vector<BackendSpec> out;
  for (int i = from; i <= to; ++i) {
    out.push_back(parse_backend_spec("10.0." + std::to_string(i / 256) + "." +
                                     std::to_string(i % 256) + ":6379"));
  }
  return out;
}

MembershipOptions options(Liveness joining = Liveness::kUp) {
  MembershipOptions o;
  o.source = "PROXY ADD";
  o.joining = joining;
  return o;
}

class RingRebuilderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);  // let any build still on the pool come back
    ASSERT_EQ(uv_loop_close(&loop_), 0);
  }
  std::unique_ptr<RingRebuilder> make_rebuilder() {
    return std::make_unique<RingRebuilder>(
        &loop_,
        RingRebuilder::Hooks{[this] { return current_; }, [] { return std::vector<uint32_t>{}; }});
  }
  void start(DistributionKind kind, std::vector<BackendSpec> members) {
    current_ = make_ring({HashKind::kMurmur, "", kind}, std::move(members), "config");
  }

  uv_loop_t loop_{};
  std::shared_ptr<const RingSnapshot> current_;
};

TEST_F(RingRebuilderTest, BuildsOffTheLoopAndHandsBackOnIt) {
  // Rendezvous over 1000 backends: the slowest build there is.
  start(DistributionKind::kRendezvous, numbered(1, 999));
  auto rebuilder = make_rebuilder();
  // A 1 ms timer ticks while the build runs; it could not if the build ran
  // on the loop.
  uv_timer_t timer;
  uv_timer_init(&loop_, &timer);
  struct Ticks {
    int count = 0;
  } ticks;
  timer.data = &ticks;
  uv_timer_start(
      &timer, [](uv_timer_t* t) { ++static_cast<Ticks*>(t->data)->count; }, 1, 1);
  std::optional<RingRebuilder::Result> result;
  int ticks_at_done = -1;
  const std::thread::id loop_thread = std::this_thread::get_id();
  rebuilder->request(numbered(1, 1000), options(), [&](RingRebuilder::Result r) {
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
    ticks_at_done = ticks.count;
    result = std::move(r);
    uv_timer_stop(&timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  });
  EXPECT_TRUE(rebuilder->busy());
  EXPECT_FALSE(result.has_value());  // never from inside request()
  uv_run(&loop_, UV_RUN_DEFAULT);
  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->status, RingRebuilder::Status::kDone) << result->error;
  EXPECT_GE(ticks_at_done, 3);
  EXPECT_FALSE(rebuilder->busy());
  const RingSnapshot& ring = *result->ring;
  EXPECT_EQ(ring.size(), 1000u);
  EXPECT_EQ(ring.version(), 2u);
  EXPECT_EQ(ring.source(), "PROXY ADD");
  EXPECT_EQ(ring.find("10.0.3.232:6379")->slot, 999u);  // the new member
  EXPECT_EQ(ring.find("10.0.0.1:6379")->slot, 0u);
}

TEST_F(RingRebuilderTest, AppliesTheLivenessOfSwapTime) {
  start(DistributionKind::kKetama, numbered(1, 50));
  auto rebuilder = make_rebuilder();
  std::optional<RingRebuilder::Result> result;
  rebuilder->request(numbered(1, 60), options(Liveness::kProbing),
                     [&](RingRebuilder::Result r) { result = std::move(r); });
  // The health checker marks a member down while the build runs.
  current_ = with_liveness(*current_, 7, Liveness::kDown);
  uv_run(&loop_, UV_RUN_DEFAULT);
  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->status, RingRebuilder::Status::kDone) << result->error;
  EXPECT_EQ(result->ring->version(), 3u);
  EXPECT_EQ(result->ring->liveness(7), Liveness::kDown);
  EXPECT_EQ(result->ring->liveness(result->ring->find("10.0.0.55:6379")->slot), Liveness::kProbing);
  for (uint32_t h = 0; h < 100000; h += 7) {
    const uint32_t slot = result->ring->owner_slot(h * 42949u);
    ASSERT_TRUE(result->ring->is_live(slot)) << slot;
  }
}

TEST_F(RingRebuilderTest, TheLatestRequestWins) {
  start(DistributionKind::kKetama, numbered(1, 200));
  auto rebuilder = make_rebuilder();
  std::vector<std::string> events;
  auto record = [&](std::string name) {
    return [&events, name](RingRebuilder::Result r) {
      static const char* const kNames[] = {"done", "failed", "superseded"};
      events.push_back(name + " " + kNames[static_cast<int>(r.status)] +
                       (r.ring ? " " + std::to_string(r.ring->size()) : ""));
    };
  };
  rebuilder->request(numbered(1, 201), options(), record("a"));  // starts at once
  rebuilder->request(numbered(1, 202), options(), record("b"));  // waits
  rebuilder->request(numbered(1, 203), options(), record("c"));  // replaces b
  EXPECT_EQ(events, (std::vector<std::string>{"b superseded"}));
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(events, (std::vector<std::string>{"b superseded", "a superseded", "c done 203"}));
  EXPECT_EQ(rebuilder->builds_started(), 2u);
}

TEST_F(RingRebuilderTest, ReportsABadMemberList) {
  start(DistributionKind::kJump, numbered(1, 3));
  auto rebuilder = make_rebuilder();
  std::optional<RingRebuilder::Result> result;
  std::vector<BackendSpec> list = numbered(1, 3);
  list.push_back(parse_backend_spec("10.0.0.9:6379:2"));  // jump has no weights
  rebuilder->request(list, options(), [&](RingRebuilder::Result r) { result = std::move(r); });
  uv_run(&loop_, UV_RUN_DEFAULT);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, RingRebuilder::Status::kFailed);
  EXPECT_NE(result->error.find("weights"), std::string::npos) << result->error;
  EXPECT_EQ(result->ring, nullptr);
}

TEST_F(RingRebuilderTest, DestroyedMidBuildCallsNothingAndLeaksNothing) {
  start(DistributionKind::kKetama, numbered(1, 100));
  auto rebuilder = make_rebuilder();
  bool called = false;
  rebuilder->request(numbered(1, 101), options(), [&](RingRebuilder::Result) { called = true; });
  rebuilder->request(numbered(1, 102), options(), [&](RingRebuilder::Result) { called = true; });
  rebuilder.reset();
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace ringproxy
