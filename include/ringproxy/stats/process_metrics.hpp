// The process's own figures from /proc/self: memory (INFO used_memory,
// Prometheus process_resident_memory_bytes), CPU time and descriptors.
//
// Reads a few small /proc files (and lists /proc/self/fd for open_fds, which
// grows with the connections): call it from a timer, an INFO or a scrape,
// never per request. Thread-safe (no shared state); any thread.
#pragma once

#include <cstdint>

namespace ringproxy::stats {

struct ProcessSample {
  uint64_t rss_bytes = 0;      // resident set size
  uint64_t virtual_bytes = 0;  // virtual memory size
  double cpu_seconds = 0.0;    // user + system CPU time
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;  // RLIMIT_NOFILE soft limit
};

// Fields that cannot be read are left 0.
ProcessSample read_process_sample(bool count_fds = true);
// Only the resident set size (one read of /proc/self/statm); 0 if unreadable.
uint64_t process_rss_bytes();

}  // namespace ringproxy::stats
