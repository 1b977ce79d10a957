// See dirty_cleaner.hpp.
#include "ringproxy/placement/dirty_cleaner.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ringproxy {

DirtyCleaner::DirtyCleaner(KeyHasher hasher, CleanerOptions options)
    : hasher_(std::move(hasher)), options_(options) {
  if (options_.rate == 0) throw std::invalid_argument("cleanup rate must be greater than 0");
  if (options_.batch == 0) throw std::invalid_argument("cleanup batch must be greater than 0");
}

bool DirtyCleaner::has_work(uint64_t now_ms) const {
  for (const DirtyEntry& e : dirty_.entries()) {
    if (e.clean_from_ms <= now_ms) return true;
  }
  return false;
}

void DirtyCleaner::refill(uint64_t now_ms) {
  const double cap = options_.batch;
  if (!clock_started_) {
    clock_started_ = true;
    refilled_ms_ = now_ms;
    tokens_ = cap;
    return;
  }
  if (now_ms > refilled_ms_) {
    tokens_ += static_cast<double>(now_ms - refilled_ms_) * options_.rate / 1000.0;
    refilled_ms_ = now_ms;
  }
  tokens_ = std::min(tokens_, cap);
}

uint64_t DirtyCleaner::wait_ms(uint64_t now_ms) {
  refill(now_ms);
  const double missing = static_cast<double>(options_.batch) - tokens_;
  if (missing <= 0) return 0;
  return static_cast<uint64_t>(std::ceil(missing * 1000.0 / options_.rate));
}

DirtyCleaner::Batch DirtyCleaner::next_batch(uint64_t now_ms) {
  if (!running_) {
    running_ = true;
    cursor_ = 0;
    pass_start_seq_ = dirty_.next_seq();
    pass_start_ms_ = now_ms;
  }
  return {cursor_, options_.batch};
}

void DirtyCleaner::select(std::span<const std::string_view> keys, uint64_t now_ms,
                          std::vector<size_t>& out) {
  out.clear();
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint32_t hash = hasher_(keys[i]);
    for (const DirtyEntry& e : dirty_.entries()) {
      if (e.clean_from_ms <= now_ms && e.matches(hash)) {
        out.push_back(i);
        break;
      }
    }
  }
  stats_.keys_selected += out.size();
}

size_t DirtyCleaner::finish_batch(uint64_t next_cursor, size_t keys_returned, uint64_t now_ms) {
  refill(now_ms);
  tokens_ -= static_cast<double>(keys_returned);
  stats_.keys_scanned += keys_returned;
  cursor_ = next_cursor;
  if (!running_ || next_cursor != 0) return 0;
  running_ = false;
  ++stats_.passes;
  // Covered: there before the pass started, and cleanable for all of it.
  const size_t dropped = dirty_.remove_if([this](const DirtyEntry& e) {
    return e.seq < pass_start_seq_ && e.clean_from_ms <= pass_start_ms_;
  });
  stats_.entries_dropped += dropped;
  return dropped;
}

void DirtyCleaner::clear() {
  dirty_.clear();
  running_ = false;
}

}  // namespace ringproxy
