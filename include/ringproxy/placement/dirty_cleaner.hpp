// The background cleaner of one backend, without the I/O: it owns the
// backend's DirtySet and decides when to SCAN, which keys of a SCAN batch to
// UNLINK, and which entries a finished pass lets go.
//
// Rules:
// - A key is deleted when its hash (the pool's hash and tag) matches an entry
//   whose clean_from_ms has passed (entries still in a migration window keep
//   their keys: window reads are served from them).
// - SCAN returns every key present for the whole pass, so a full pass that
//   started after an entry was created, with the entry cleanable from the
//   start, has deleted every stale copy the entry stands for: the entry is
//   dropped when that pass ends. Stale copies cannot appear after an entry's
//   creation (the backend no longer owns those keys; keys it is given back
//   are fresh writes).
// - Rate: at most `rate` keys scanned per second, in batches of `batch`
//   (SCAN's COUNT); a token bucket of one batch, so a batch is never sent
//   before its keys are paid for.
//
// The driver (phase 2: the proxy) calls next_batch() when ready() says so,
// sends SCAN cursor COUNT count, passes the reply's keys to select() and the
// reply's cursor to finish_batch(), and UNLINKs the selected keys.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ringproxy/placement/dirty_set.hpp"
#include "ringproxy/placement/key_hasher.hpp"

namespace ringproxy {

struct CleanerOptions {
  uint32_t rate = 10000;  // keys scanned per second (--cleanup-rate), > 0
  uint32_t batch = 500;   // SCAN COUNT (--cleanup-batch), > 0
};

struct CleanerStats {
  uint64_t passes = 0;  // full passes completed
  uint64_t keys_scanned = 0;
  uint64_t keys_selected = 0;  // handed out for UNLINK
  uint64_t entries_dropped = 0;
};

class DirtyCleaner {
 public:
  // Throws std::invalid_argument for a zero rate or batch.
  DirtyCleaner(KeyHasher hasher, CleanerOptions options);

  DirtySet& dirty() { return dirty_; }
  const DirtySet& dirty() const { return dirty_; }
  void add(DirtyEntry entry) { dirty_.add(std::move(entry)); }

  // Whether some entry is cleanable at now_ms (work to do).
  bool has_work(uint64_t now_ms) const;
  // Milliseconds until a batch may be sent (0: now); meaningful with work.
  uint64_t wait_ms(uint64_t now_ms);
  bool ready(uint64_t now_ms) { return has_work(now_ms) && wait_ms(now_ms) == 0; }

  struct Batch {
    uint64_t cursor = 0;
    uint32_t count = 0;
  };
  // The SCAN to send; starts a pass when none is running.
  Batch next_batch(uint64_t now_ms);
  // Indexes into `keys` (one SCAN reply) of the keys to UNLINK, appended to
  // `out` (cleared first).
  void select(std::span<const std::string_view> keys, uint64_t now_ms, std::vector<size_t>& out);
  // The reply's next cursor and how many keys it held; cursor 0 ends the pass
  // and drops the entries it covered. Returns the number of entries dropped.
  size_t finish_batch(uint64_t next_cursor, size_t keys_returned, uint64_t now_ms);

  // The backend went away mid-pass (connection lost, marked down): the pass
  // starts over from cursor 0 next time; nothing is dropped.
  void abort_pass() { running_ = false; }
  // The backend was flushed (rejoin policy): nothing stale remains.
  void clear();

  bool pass_running() const { return running_; }
  const CleanerStats& stats() const { return stats_; }

 private:
  void refill(uint64_t now_ms);

  KeyHasher hasher_;
  CleanerOptions options_;
  DirtySet dirty_;
  CleanerStats stats_;
  bool running_ = false;
  uint64_t cursor_ = 0;
  uint64_t pass_start_seq_ = 0;  // entries with seq below were there at the start
  uint64_t pass_start_ms_ = 0;
  double tokens_ = 0;  // keys that may be scanned now
  uint64_t refilled_ms_ = 0;
  bool clock_started_ = false;
};

}  // namespace ringproxy
