// Snapshots: a histogram's summary, the slot handing snapshots between
// threads, and the publisher's timer.
#include <gtest/gtest.h>
#include <uv.h>

#include <atomic>
#include <thread>
#include <vector>

#include "ringproxy/stats/snapshot_publisher.hpp"
#include "ringproxy/stats/stats_snapshot.hpp"

namespace ringproxy::stats {
namespace {

TEST(LatencySummary, CarriesThePercentilesAndBucketsOfTheHistogram) {
  LatencyHistogram h;
  for (uint64_t us = 1; us <= 1000; ++us) h.record_us(us);
  LatencySummary s = LatencySummary::of(h);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_EQ(s.sum_ns, h.sum_ns());
  EXPECT_EQ(s.p50_ns, h.percentile_ns(50));
  EXPECT_EQ(s.p99_ns, h.percentile_ns(99));
  EXPECT_EQ(s.p999_ns, h.percentile_ns(99.9));
  EXPECT_EQ(s.cumulative, h.cumulative_at_bounds());
  EXPECT_EQ(s.cumulative[0], 8u);  // 1..8 µs are below 8,192 ns

  LatencySummary empty = LatencySummary::of(LatencyHistogram());
  EXPECT_EQ(empty.count, 0u);
  EXPECT_EQ(empty.p99_ns, 0u);
}

TEST(SnapshotSlot, ReadersOnOtherThreadsAlwaysSeeAWholeSnapshot) {
  SnapshotSlot slot;
  EXPECT_EQ(slot.latest(), nullptr);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        std::shared_ptr<const StatsSnapshot> s = slot.latest();
        if (!s) continue;
        // Every publication below keeps these two figures equal.
        ASSERT_EQ(s->proxy.total_connections, s->curr_connections);
        ASSERT_EQ(s->pools.size(), 1u);
        ASSERT_EQ(s->pools[0].backends.size(), s->curr_connections % 7);
        reads.fetch_add(1);
      }
    });
  }
  for (uint64_t i = 1; i <= 20000 || reads.load() < 100; ++i) {
    auto s = std::make_shared<StatsSnapshot>();
    s->proxy.total_connections = i;
    s->curr_connections = i;
    s->pools.resize(1);
    s->pools[0].backends.resize(i % 7);
    slot.publish(std::move(s));
  }
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_GE(reads.load(), 100u);
}

TEST(SnapshotPublisher, PublishesAtOnceThenEveryInterval) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  auto slot = std::make_shared<SnapshotSlot>();
  uint64_t builds = 0;
  {
    SnapshotPublisher publisher(
        &loop, 5,
        [&] {
          StatsSnapshot s;
          s.proxy.total_connections = ++builds;
          return s;
        },
        slot);
    ASSERT_NE(slot->latest(), nullptr);
    EXPECT_EQ(slot->latest()->proxy.total_connections, 1u);
    // The publisher's timer does not keep the loop alive: give the loop a
    // referenced timer that stops it once three more publications happened.
    uv_timer_t watch;
    uv_timer_init(&loop, &watch);
    watch.data = &publisher;
    uv_timer_start(
        &watch,
        [](uv_timer_t* t) {
          if (static_cast<SnapshotPublisher*>(t->data)->publications() >= 4) uv_timer_stop(t);
        },
        1, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&watch), nullptr);
    EXPECT_GE(publisher.publications(), 4u);
    EXPECT_EQ(slot->latest()->proxy.total_connections, builds);
    publisher.publish_now();
    EXPECT_EQ(slot->latest()->proxy.total_connections, builds);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace ringproxy::stats
