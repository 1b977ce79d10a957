// See slow_log.hpp.
#include "ringproxy/proxy/slow_log.hpp"

#include <utility>

namespace ringproxy {

SlowlogEntry* SlowLog::add() {
  if (ring_.empty()) return nullptr;
  SlowlogEntry& e = ring_[next_];
  next_ = (next_ + 1) % ring_.size();
  if (size_ < ring_.size()) ++size_;
  e.id = next_id_++;
  return &e;
}

void SlowLog::set_max_len(size_t max_len) {
  if (max_len == ring_.size()) return;
  std::vector<SlowlogEntry> kept;
  const size_t n = std::min(size_, max_len);
  kept.reserve(max_len);
  for (size_t i = n; i-- > 0;) kept.push_back(newest(i));  // oldest kept first
  kept.resize(max_len);
  ring_ = std::move(kept);
  size_ = n;
  next_ = max_len == 0 ? 0 : n % max_len;
}

}  // namespace ringproxy
