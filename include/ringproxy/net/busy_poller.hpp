// Busy polling while the loop is busy.
//
// While the loop is busy (several passes in a row that wrote, each within the
// window of the last) it polls without blocking, yielding between polls, until
// a window passes with nothing to write. A sleeping proxy must be woken for
// every message, and the wakeup is paid on the CPU of the client or backend
// that sent it; under load that CPU is the bottleneck. Single request/reply
// exchanges (one client) never form a streak, and light traffic never polls.
// It pays when the proxy has a CPU of its own; when clients or backends share
// it, polling takes their time. So every 2 ms of polling it checks how long
// the loop waited on the run queue (RunQueueMeter): over 20% means the CPU is
// shared, and polling stops for 200 ms.
//
// Off by default (--busy-poll-us 0): in the side-by-side benchmark, where the
// proxy shares both cores with its clients and backends, it bought nothing
// measurable (bench/README.md), and a spinning proxy looks busy on a shared
// host. Worth turning on when the proxy has a core of its own.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>

#include "ringproxy/net/run_queue_meter.hpp"

namespace ringproxy {

class BusyPoller {
 public:
  explicit BusyPoller(uv_loop_t* loop);
  ~BusyPoller();
  BusyPoller(const BusyPoller&) = delete;
  BusyPoller& operator=(const BusyPoller&) = delete;

  // Window in microseconds; 0 turns busy polling off.
  void set_window_us(uint64_t us) { window_ns_ = us * 1000; }
  // A loop pass wrote something.
  void note_work();
  // Whether the loop is polling without blocking now.
  bool polling() const { return polling_; }

 private:
  void on_idle();
  void stop();

  // Passes in a row, each within the window of the last, that start polling.
  static constexpr int kBusyStreak = 3;
  // While polling, the CPU counts as shared when the loop waited on the run
  // queue for more than this share of a window; polling then stops for a
  // back-off period.
  static constexpr uint64_t kShareWindowNs = 2'000'000;
  static constexpr double kSharedCpuShare = 0.2;
  static constexpr uint64_t kSharedBackoffNs = 200'000'000;

  std::unique_ptr<uv_idle_t> idle_;  // active = the loop polls without blocking
  RunQueueMeter meter_;
  uint64_t window_ns_ = 0;
  uint64_t last_work_ns_ = 0;
  uint64_t next_check_ns_ = 0;
  uint64_t shared_until_ns_ = 0;
  int streak_ = 0;
  bool polling_ = false;
};

}  // namespace ringproxy
