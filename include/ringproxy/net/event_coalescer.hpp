// A short sleep between busy loop passes, so that messages arriving meanwhile
// are read together and cost their senders no wakeup; dropped where staying
// awake measurably raises throughput.
//
// A proxy sleeping in epoll_wait is woken by every message, and on loopback or
// a LAN the wakeup is paid by the sender: the client whose request arrives,
// the backend whose reply does. A fast proxy makes that worse: it finishes
// each pass sooner, sleeps more often and reads fewer messages per pass, so
// the backends get smaller batches too. Wakeups also move the proxy: a waker's
// "sync" hint pulls the wakee onto the waker's CPU, so a proxy woken by its
// clients keeps landing next to them. Sleeping `window` on a timer after each
// pass that wrote (nanosleep: the CPU is free for others meanwhile, unlike
// busy polling) avoids all that: during the sleep the proxy is in no wait
// queue, arriving messages only mark their sockets ready, and the timer fires
// on the proxy's own CPU.
//
// But the sleep adds up to a window to every hop of a request, and whether
// the saved wakeups are worth it depends on where the bottleneck is: with the
// benchmark client alone on a CPU and the proxy next to its backends, 50
// clients lost 20% with it; with the proxy alone on a CPU and its clients
// next to the backends, they gained 20% (bench/README.md). No static rule
// told these apart, so the coalescer measures:
//
//  * Only while at least `min_clients` clients have sent something in the
//    current or the previous millisecond (a one-byte stamp per connection).
//    With fewer, a request's latency is its own round trip: never sleep; after
//    100 ms of fewer, the load counts as over and the next one is probed anew.
//  * Then it probes: 8 phases of 25 ms, sleeping in phases 1, 2, 5, 6 of 0-7
//    (an ABBA order, so a steady drift in load cancels out), and counts the
//    requests the proxy received in each. If the awake phases received at
//    least 3% more, it stays awake, otherwise it sleeps; the choice holds for
//    2 s, then it probes again. A tie goes to sleeping: it still spares the
//    clients and backends a wakeup per message (CPU they can use), and it
//    keeps the proxy on its own CPU instead of being pulled next to whoever
//    woke it, which on two shared cores decided whole benchmark rounds
//    (bench/README.md). The price is at most one window per request hop,
//    and only under this concurrency.
//
// The thread's timer slack is lowered to 1 µs while coalescing is enabled
// (and restored when it is turned off): with Linux's default 50 µs slack a
// 20 µs sleep would last 70.
#pragma once

#include <cstdint>
#include <functional>

namespace ringproxy {

class EventCoalescer {
 public:
  static constexpr uint64_t kPhaseMs = 25;
  static constexpr int kPhases = 8;
  static constexpr uint64_t kHoldMs = 2000;
  static constexpr double kMinGain = 0.03;
  // Fewer clients for this long ends the load: awake until it is back.
  static constexpr uint64_t kQuietMs = 100;

  EventCoalescer() = default;
  ~EventCoalescer();
  EventCoalescer(const EventCoalescer&) = delete;
  EventCoalescer& operator=(const EventCoalescer&) = delete;

  // window_us 0 turns coalescing off; min_clients is how many clients must
  // have sent something in the current or the previous millisecond.
  // `requests` returns the proxy's running count of received requests.
  void configure(uint64_t window_us, uint32_t min_clients, std::function<uint64_t()> requests);
  bool enabled() const { return window_ns_ > 0; }

  // A client sent something; `stamp` is its connection's (initially 0).
  void note_active(uint8_t& stamp) {
    if (stamp != epoch_) {
      stamp = epoch_;
      active_++;
    }
  }
  // Called once per loop pass with the loop's clock.
  void tick(uint64_t now_ms);
  // Clients active in the previous millisecond, or in the current one so far
  // if more.
  uint32_t active_clients() const { return active_ > last_active_ ? active_ : last_active_; }
  // A loop pass that wrote something has ended. Sleeps one window when the
  // coalescer is sleeping now (probing or chosen); returns whether it slept.
  bool after_writing_pass();

  // For INFO: whether passes are followed by a sleep now, the passes that
  // were, and the probes that chose to sleep / not to.
  bool sleeping() const { return sleep_now_; }
  uint64_t naps() const { return naps_; }
  uint64_t probes_won() const { return probes_won_; }
  uint64_t probes_lost() const { return probes_lost_; }

 private:
  enum class Stage : uint8_t { kQuiet, kProbing, kHolding };
  void start_probe(uint64_t now_ms);
  void step(uint64_t now_ms);

  long window_ns_ = 0;
  uint32_t min_clients_ = 0;
  std::function<uint64_t()> requests_;
  uint64_t naps_ = 0;
  uint64_t probes_won_ = 0;
  uint64_t probes_lost_ = 0;
  long saved_slack_ns_ = -1;  // the thread's slack before tightening; -1: not tightened

  // Activity per loop millisecond: epoch_ numbers the current one (never 0,
  // which new connections carry).
  uint8_t epoch_ = 1;
  uint64_t epoch_ms_ = 0;
  uint32_t active_ = 0;       // clients seen in the current millisecond
  uint32_t last_active_ = 0;  // ... in the one before (0 if the loop idled since)

  // The probe.
  Stage stage_ = Stage::kQuiet;
  bool sleep_now_ = false;
  int phase_ = 0;
  uint64_t phase_end_ms_ = 0;
  uint64_t phase_start_requests_ = 0;
  uint64_t received_[2] = {0, 0};  // requests in awake / sleeping phases
  uint64_t hold_end_ms_ = 0;
  uint64_t busy_ms_ = 0;  // last millisecond with enough active clients
};

}  // namespace ringproxy
