// Sleeping between busy loop passes where it pays; see event_coalescer.hpp.
#include "ringproxy/net/event_coalescer.hpp"

#include <sys/prctl.h>

#include <ctime>

namespace ringproxy {

namespace {
constexpr unsigned long kTightTimerSlackNs = 1'000;

// Phases 0..7 sleep as 0 1 1 0 0 1 1 0 (ABBA, twice).
bool phase_sleeps(int phase) {
  return ((phase ^ (phase >> 1)) & 1) != 0;
}
}  // namespace

EventCoalescer::~EventCoalescer() {
  configure(0, min_clients_, nullptr);
}

void EventCoalescer::configure(uint64_t window_us, uint32_t min_clients,
                               std::function<uint64_t()> requests) {
  window_ns_ = static_cast<long>(window_us * 1000);
  min_clients_ = min_clients;
  requests_ = std::move(requests);
  stage_ = Stage::kQuiet;
  sleep_now_ = false;
  if (enabled() && saved_slack_ns_ < 0) {
    saved_slack_ns_ = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    prctl(PR_SET_TIMERSLACK, kTightTimerSlackNs, 0, 0, 0);
  } else if (!enabled() && saved_slack_ns_ >= 0) {
    prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(saved_slack_ns_), 0, 0, 0);
    saved_slack_ns_ = -1;
  }
}

void EventCoalescer::tick(uint64_t now_ms) {
  if (now_ms == epoch_ms_) return;
  // A new millisecond; after an idle gap the previous one says nothing.
  last_active_ = now_ms - epoch_ms_ == 1 ? active_ : 0;
  active_ = 0;
  epoch_ms_ = now_ms;
  if (++epoch_ == 0) epoch_ = 1;
  if (enabled() && requests_) step(now_ms);
}

void EventCoalescer::start_probe(uint64_t now_ms) {
  stage_ = Stage::kProbing;
  phase_ = 0;
  sleep_now_ = phase_sleeps(0);
  phase_end_ms_ = now_ms + kPhaseMs;
  phase_start_requests_ = requests_();
  received_[0] = received_[1] = 0;
}

void EventCoalescer::step(uint64_t now_ms) {
  const bool busy = last_active_ >= min_clients_;
  if (busy) {
    busy_ms_ = now_ms;
  } else if (stage_ != Stage::kQuiet && now_ms - busy_ms_ >= kQuietMs) {
    // Too few clients for a while (or the loop was idle): stay awake, and
    // probe afresh when they are back. A dip of a few milliseconds is not an
    // end of load, and restarting the probe on each would sleep half the time.
    stage_ = Stage::kQuiet;
    sleep_now_ = false;
    return;
  }
  switch (stage_) {
    case Stage::kQuiet:
      if (busy) start_probe(now_ms);
      break;
    case Stage::kProbing: {
      if (now_ms < phase_end_ms_) break;
      uint64_t now_requests = requests_();
      received_[sleep_now_ ? 1 : 0] += now_requests - phase_start_requests_;
      phase_start_requests_ = now_requests;
      if (++phase_ < kPhases) {
        sleep_now_ = phase_sleeps(phase_);
        phase_end_ms_ = now_ms + kPhaseMs;
        break;
      }
      // Sleeping is kept unless staying awake measurably received more: on a
      // tie it still spares everyone's wakeups (see the header).
      sleep_now_ = !(static_cast<double>(received_[0]) >
                     static_cast<double>(received_[1]) * (1.0 + kMinGain));
      (sleep_now_ ? probes_won_ : probes_lost_)++;
      stage_ = Stage::kHolding;
      hold_end_ms_ = now_ms + kHoldMs;
      break;
    }
    case Stage::kHolding:
      if (now_ms >= hold_end_ms_) start_probe(now_ms);
      break;
  }
}

bool EventCoalescer::after_writing_pass() {
  if (!sleep_now_ || active_clients() < min_clients_) return false;
  timespec left{window_ns_ / 1'000'000'000, window_ns_ % 1'000'000'000};
  // A signal cuts the sleep short; the loop handles it and polls at once.
  nanosleep(&left, nullptr);
  naps_++;
  return true;
}

}  // namespace ringproxy
