// RunQueueMeter: a thread that shares its CPU with another busy thread spends
// about half its time waiting on the run queue, and the meter sees it.
#include "ringproxy/net/run_queue_meter.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <uv.h>

#include <atomic>
#include <thread>

namespace ringproxy {
namespace {

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

TEST(RunQueueMeter, SeesACpuSharedWithABusyThread) {
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  int cpu = 0;
  while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed)) ++cpu;
  ASSERT_LT(cpu, CPU_SETSIZE);

  std::atomic<bool> stop{false};
  double share = -1;
  bool available = false;
  // Both threads on one CPU, both always runnable.
  std::thread rival([&] {
    pin_to(cpu);
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  std::thread measured([&] {
    pin_to(cpu);
    RunQueueMeter meter;
    available = meter.available();
    meter.start(uv_hrtime());
    uint64_t until = uv_hrtime() + 300'000'000;  // 0.3 s of wall time
    while (uv_hrtime() < until) {
    }
    share = meter.share(uv_hrtime());
    stop = true;
  });
  measured.join();
  rival.join();
  if (!available) GTEST_SKIP() << "no /proc/thread-self/schedstat on this kernel";
  // About 0.5; anything clearly above the 0.2 the loop treats as shared.
  EXPECT_GT(share, 0.3);
  EXPECT_LE(share, 1.05);
}

}  // namespace
}  // namespace ringproxy
