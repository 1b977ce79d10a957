// How much of the time the calling thread spent runnable but waiting for its
// CPU (Linux schedstat), i.e. whether other tasks compete for that CPU.
//
// Busy polling only pays on a CPU the proxy has to itself; on a shared one it
// takes time from the clients and backends next to it. A polling loop that
// yields shows the difference directly: alone, it never waits on the run
// queue; shared, it waits whenever a neighbour runs. (Time the hypervisor
// steals from a VM is not run-queue wait, unlike timing sched_yield().)
#pragma once

#include <cstdint>

namespace ringproxy {

class RunQueueMeter {
 public:
  RunQueueMeter();
  ~RunQueueMeter();
  RunQueueMeter(const RunQueueMeter&) = delete;
  RunQueueMeter& operator=(const RunQueueMeter&) = delete;

  // False when schedstat cannot be read (then share() is always 0).
  bool available() const { return fd_ >= 0; }
  // Starts a measurement window at `now_ns` (uv_hrtime()).
  void start(uint64_t now_ns);
  // Share of the window since start() (or the last share()) spent waiting on
  // the run queue, 0..1; starts the next window.
  double share(uint64_t now_ns);

 private:
  // Run-queue wait so far, in ns; 0 when unreadable.
  uint64_t wait_ns() const;

  int fd_ = -1;
  uint64_t since_ns_ = 0;
  uint64_t wait_at_start_ = 0;
};

}  // namespace ringproxy
