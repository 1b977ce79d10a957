// SLOWLOG's entries: a ring of at most --slowlog-max-len entries, newest
// first. A full log reuses its oldest entry, strings and all: when a loop is
// overloaded every request is slow, and recording one must not cost
// allocations on top.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ringproxy/commands/introspection.hpp"

namespace ringproxy {

class SlowLog {
 public:
  explicit SlowLog(size_t max_len = 0) { set_max_len(max_len); }

  // The entry to fill for a new slow request (the oldest one's storage when
  // full), with its id set; nullptr when the log keeps no entries.
  SlowlogEntry* add();
  size_t size() const { return size_; }
  // Entry `i`, newest first (i < size()).
  const SlowlogEntry& newest(size_t i) const {
    return ring_[(next_ + ring_.size() - 1 - i) % ring_.size()];
  }
  void clear() { size_ = 0; }
  // Keeps the newest `max_len` entries.
  void set_max_len(size_t max_len);
  // Ids handed out so far (the next entry's id).
  uint64_t total() const { return next_id_; }

 private:
  std::vector<SlowlogEntry> ring_;  // capacity: the maximum length
  size_t next_ = 0;                 // slot of the next entry
  size_t size_ = 0;
  uint64_t next_id_ = 0;
};

}  // namespace ringproxy
