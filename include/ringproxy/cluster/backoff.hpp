// Exponential backoff between reconnection attempts: initial, 2x, 4x ...
// capped at the maximum, each delay shortened by a random 0-25% so that a
// fleet of proxies that lost etcd at the same moment does not retry in
// lockstep.
#pragma once

#include <cstdint>
#include <random>

namespace ringproxy {

class Backoff {
 public:
  Backoff(uint64_t initial_ms, uint64_t max_ms, uint64_t seed);

  // The delay before the next attempt, in milliseconds (at least 1).
  uint64_t next();
  // After a success: the next failure waits `initial` again.
  void reset() { attempts_ = 0; }
  uint32_t attempts() const { return attempts_; }
  // The undiminished delay next() would start from.
  uint64_t base() const;

 private:
  uint64_t initial_ms_;
  uint64_t max_ms_;
  uint32_t attempts_ = 0;
  std::minstd_rand rng_;
};

}  // namespace ringproxy
