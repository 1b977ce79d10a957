// Remembers which keys were written to a successor while their home backend
// was down, so those failover-era copies can be deleted when the home backend
// rejoins. Without this, the sequence "SET k v2 during A's outage (lands on B);
// A rejoins; SET k v3 (on A); A fails again; GET k" would read the stale v2
// from B.
//
// Bounded: at most `limit` keys per down backend. Writes of keys past the bound
// are counted, not stored; their copies stay on the successor until its
// stale-range cleaner removes them, and are not served meanwhile: the rejoin
// gives the successor a dirty entry for the range it lost (LiveRing), so reads
// of them there answer as misses (tests/integration/failover_test.cpp,
// FailoverKeyLogBoundIsReportedAndKeysPastItMayBeStale). The rejoin log line
// says how many were untracked, and INFO's failover_keys_untracked counts them
// since start-up, so operators can see it and raise --failover-key-log.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ringproxy {

class FailoverLog {
 public:
  explicit FailoverLog(size_t backends, size_t limit) : homes_(backends), limit_(limit) {}

  void record(uint32_t home, uint32_t successor, std::string_view key);
  struct Copy {
    uint32_t successor;
    std::string key;
  };
  // Returns and forgets the copies made on behalf of `home`.
  std::vector<Copy> take(uint32_t home);
  // Membership changes: room for homes below `backends`; a home that left
  // the pool has nothing to clean up any more.
  void ensure(size_t backends) {
    if (homes_.size() < backends) homes_.resize(backends);
  }
  void forget(uint32_t home) {
    if (home < homes_.size()) homes_[home] = Home{};
  }
  size_t tracked(uint32_t home) const {
    return home < homes_.size() ? homes_[home].keys.size() : 0;
  }
  // A write sent to `home` itself was lost with its connection (reset by
  // take()): `home` may hold a value its clients were told was not written,
  // or apply it late, so nothing short of a flush makes it safe again.
  void record_lost(uint32_t home) { homes_[home].lost = true; }
  bool lost(uint32_t home) const { return homes_[home].lost; }
  // Whether `home` missed writes since the last take(): it must pass the
  // rejoin policy before it serves again.
  bool missed_writes(uint32_t home) const {
    if (home >= homes_.size()) return false;
    const Home& h = homes_[home];
    return !h.keys.empty() || h.untracked > 0 || h.lost;
  }
  // Writes past the bound since `home` went down (reset by take()).
  uint64_t untracked(uint32_t home) const { return homes_[home].untracked; }
  // Writes past the bound since start-up, for every home (never reset).
  uint64_t untracked_total() const { return untracked_total_; }

 private:
  struct Home {
    std::unordered_map<std::string, uint32_t> keys;  // key -> successor it was written to
    uint64_t untracked = 0;
    bool lost = false;
  };
  std::vector<Home> homes_;
  size_t limit_;
  uint64_t untracked_total_ = 0;
};

}  // namespace ringproxy
