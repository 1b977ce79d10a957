// Hot-key detection: a sampled Space-Saving top-K of keys per time window.
//
// The data path calls record(key, backend) for every key it routes. Only one
// call in `sample_every` on average goes further (the gap to the next sample
// is drawn at random between 1 and 2 * sample_every - 1, so a workload that
// repeats with a fixed period cannot hide from or dominate the sampler); the
// others cost a decrement and a branch. A sampled key goes into the current
// window's SpaceSaving summary (a hash of the key, an index probe, a heap
// step; no allocation).
//
// Windows: tick(now_ms) from a timer closes the current window once
// `window_ms` has passed; the closed window is kept as `previous` and a new
// one starts, so a key that stops being hot drops out within two windows.
//
// Counts are estimates in requests: sampled occurrences times sample_every.
// A key's estimate exceeds its sampled count by at most `error`; sampling adds
// noise of about sqrt(samples) * sample_every on top. Any key that takes more
// than 1/capacity of the sampled requests of a window is in its summary.
//
// Memory: two windows of `capacity` entries with `max_key_bytes` each, all
// allocated at construction.
//
// Threading: one instance per loop; record() and tick() from that loop only.
// report() copies the figures out for INFO, PROXY HOTKEYS or a snapshot;
// merge_hot_key_windows() adds the reports of several loops.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/stats/space_saving.hpp"

namespace ringproxy::stats {

struct HotKeyOptions {
  uint32_t capacity = 64;        // keys tracked per window (K)
  uint32_t sample_every = 64;    // one request in this many is sampled on average; 1 = all
  uint64_t window_ms = 10000;    // window length
  uint32_t max_key_bytes = 128;  // key bytes kept per entry (longer keys are shown truncated)
  uint64_t seed = 0x9e3779b97f4a7c15ULL;  // the sampler's random sequence
};

struct HotKey {
  std::string key;          // at most max_key_bytes of it
  uint64_t key_length = 0;  // of the whole key
  uint32_t backend = 0;     // the caller's backend id at the last sample of the key
  uint64_t requests = 0;    // estimated requests in the window
  uint64_t error = 0;       // requests may be overestimated by up to this
};

struct HotKeyWindow {
  uint64_t start_ms = 0;       // the caller's clock (uv_now)
  uint64_t end_ms = 0;         // for the current window: the last tick
  uint64_t sampled = 0;        // samples taken in the window
  uint64_t untracked_max = 0;  // estimated requests of any key not listed, at most
  std::vector<HotKey> keys;    // most requested first
};

struct HotKeyReport {
  HotKeyWindow current;   // the window in progress
  HotKeyWindow previous;  // the last complete one (empty before the first rotation)
  // What to show: the last complete window, or the current one until a
  // complete one has keys.
  const HotKeyWindow& latest() const { return previous.keys.empty() ? current : previous; }
};

class HotKeys {
 public:
  HotKeys(const HotKeyOptions& options, uint64_t now_ms);

  // Data path: a request for `key`, routed to `backend` (the caller's id).
  void record(std::string_view key, uint32_t backend) {
    if (--countdown_ != 0) [[likely]]
      return;
    sample(key, backend);
  }

  // For a caller that does its own sampling (one in next_gap() keys, drawn
  // here so the estimates scale by sample_every): counts `key` now.
  void record_sampled(std::string_view key, uint32_t backend) { sample(key, backend); }
  // The next gap between samples: 1 .. 2 * sample_every - 1, mean sample_every.
  uint32_t next_gap();

  // Timer: rotates the window once window_ms has passed since it started.
  // Two windows without a tick leave no previous window behind.
  void tick(uint64_t now_ms);

  // The top `n` keys of the current and the previous window.
  HotKeyReport report(size_t n) const;

  const HotKeyOptions& options() const { return options_; }

 private:
  void sample(std::string_view key, uint32_t backend);
  HotKeyWindow window_of(const SpaceSaving& s, uint64_t start, uint64_t end, size_t n) const;

  HotKeyOptions options_;
  uint32_t countdown_;
  uint64_t rng_;
  SpaceSaving current_;
  SpaceSaving previous_;
  uint64_t current_start_ms_;
  uint64_t previous_start_ms_ = 0;
  uint64_t last_tick_ms_;
  bool have_previous_ = false;
};

// Adds the same window of several loops (each loop samples its own requests):
// counts of a key are summed; a loop whose summary did not list the key adds
// its untracked_max to the key's error. Returns the top `n`.
HotKeyWindow merge_hot_key_windows(std::span<const HotKeyWindow> windows, size_t n);

}  // namespace ringproxy::stats
