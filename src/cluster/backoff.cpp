// See backoff.hpp.
#include "ringproxy/cluster/backoff.hpp"

#include <algorithm>

namespace ringproxy {

Backoff::Backoff(uint64_t initial_ms, uint64_t max_ms, uint64_t seed)
    : initial_ms_(std::max<uint64_t>(initial_ms, 1)),
      max_ms_(std::max(max_ms, std::max<uint64_t>(initial_ms, 1))),
      rng_(static_cast<std::minstd_rand::result_type>(seed % 2147483646 + 1)) {}

uint64_t Backoff::base() const {
  uint64_t d = initial_ms_;
  for (uint32_t i = 0; i < attempts_ && d < max_ms_; ++i) d *= 2;
  return std::min(d, max_ms_);
}

uint64_t Backoff::next() {
  uint64_t d = base();
  if (attempts_ < 64) ++attempts_;
  uint64_t cut = d / 4 == 0 ? 0 : rng_() % (d / 4 + 1);
  return std::max<uint64_t>(d - cut, 1);
}

}  // namespace ringproxy
