// Sampled hot keys per window; see hot_keys.hpp.
#include "ringproxy/stats/hot_keys.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace ringproxy::stats {

namespace {

HotKeyOptions sanitized(HotKeyOptions o) {
  o.capacity = std::max<uint32_t>(o.capacity, 1);
  // 2^30 at most keeps the gap arithmetic within 64 bits.
  o.sample_every = std::clamp<uint32_t>(o.sample_every, 1, uint32_t{1} << 30);
  o.window_ms = std::max<uint64_t>(o.window_ms, 1);
  o.max_key_bytes = std::max<uint32_t>(o.max_key_bytes, 1);
  if (o.seed == 0) o.seed = 0x9e3779b97f4a7c15ULL;  // xorshift needs a non-zero state
  return o;
}

}  // namespace

HotKeys::HotKeys(const HotKeyOptions& options, uint64_t now_ms)
    : options_(sanitized(options)),
      countdown_(1),
      rng_(options_.seed),
      current_(options_.capacity, options_.max_key_bytes),
      previous_(options_.capacity, options_.max_key_bytes),
      current_start_ms_(now_ms),
      last_tick_ms_(now_ms) {
  countdown_ = next_gap();
}

uint32_t HotKeys::next_gap() {
  if (options_.sample_every == 1) return 1;
  // xorshift64: a few instructions, and only once per sample.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  uint64_t span = 2 * uint64_t{options_.sample_every} - 1;  // gaps 1 .. 2N-1, mean N
  return static_cast<uint32_t>(1 + (((rng_ >> 32) * span) >> 32));
}

void HotKeys::sample(std::string_view key, uint32_t backend) {
  countdown_ = next_gap();
  current_.add(key, backend);
}

void HotKeys::tick(uint64_t now_ms) {
  last_tick_ms_ = now_ms;
  if (now_ms - current_start_ms_ < options_.window_ms) return;
  bool idle_window = now_ms - current_start_ms_ >= 2 * options_.window_ms;
  std::swap(current_, previous_);
  current_.clear();
  previous_start_ms_ = current_start_ms_;
  // After a gap of more than a window without ticks, what was current is
  // older than one window: keep nothing rather than stale keys.
  have_previous_ = !idle_window;
  if (idle_window) previous_.clear();
  current_start_ms_ = now_ms;
}

HotKeyWindow HotKeys::window_of(const SpaceSaving& s, uint64_t start, uint64_t end,
                                size_t n) const {
  HotKeyWindow w;
  w.start_ms = start;
  w.end_ms = end;
  w.sampled = s.total();
  uint64_t scale = options_.sample_every;
  w.untracked_max = s.untracked_max() * scale;
  for (const SpaceSaving::Entry* e : s.top(n)) {
    w.keys.push_back({e->key, e->key_length, e->tag, e->count * scale, e->error * scale});
  }
  return w;
}

HotKeyReport HotKeys::report(size_t n) const {
  HotKeyReport r;
  r.current = window_of(current_, current_start_ms_, last_tick_ms_, n);
  if (have_previous_) r.previous = window_of(previous_, previous_start_ms_, current_start_ms_, n);
  return r;
}

HotKeyWindow merge_hot_key_windows(std::span<const HotKeyWindow> windows, size_t n) {
  HotKeyWindow out;
  if (windows.empty()) return out;
  out.start_ms = windows[0].start_ms;
  out.end_ms = windows[0].end_ms;
  struct Merged {
    HotKey key;
    uint64_t best = 0;  // the largest single-loop count, whose backend is kept
    size_t seen_in = 0;
  };
  std::map<std::pair<std::string, uint64_t>, Merged> keys;
  uint64_t untracked_total = 0;
  for (const HotKeyWindow& w : windows) {
    out.start_ms = std::min(out.start_ms, w.start_ms);
    out.end_ms = std::max(out.end_ms, w.end_ms);
    out.sampled += w.sampled;
    untracked_total += w.untracked_max;
    for (const HotKey& k : w.keys) {
      Merged& m = keys[{k.key, k.key_length}];
      if (m.seen_in == 0) m.key = {k.key, k.key_length, k.backend, 0, 0};
      m.key.requests += k.requests;
      m.key.error += k.error;
      if (k.requests > m.best) {
        m.best = k.requests;
        m.key.backend = k.backend;
      }
      ++m.seen_in;
    }
  }
  out.untracked_max = untracked_total;
  // A loop that did not list a key may still have seen it up to its
  // untracked_max times: count that as possible (upper bound) and as error.
  for (auto& [id, m] : keys) {
    uint64_t missing = 0;
    for (const HotKeyWindow& w : windows) {
      bool listed = std::any_of(w.keys.begin(), w.keys.end(), [&](const HotKey& k) {
        return k.key == id.first && k.key_length == id.second;
      });
      if (!listed) missing += w.untracked_max;
    }
    m.key.requests += missing;
    m.key.error += missing;
    out.keys.push_back(std::move(m.key));
  }
  std::stable_sort(out.keys.begin(), out.keys.end(),
                   [](const HotKey& a, const HotKey& b) { return a.requests > b.requests; });
  if (out.keys.size() > n) out.keys.resize(n);
  return out;
}

}  // namespace ringproxy::stats
