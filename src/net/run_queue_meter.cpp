// Run-queue wait from /proc/thread-self/schedstat: "<on-cpu ns> <wait ns> <slices>".
#include "ringproxy/net/run_queue_meter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

namespace ringproxy {

RunQueueMeter::RunQueueMeter() : fd_(::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC)) {}

RunQueueMeter::~RunQueueMeter() {
  if (fd_ >= 0) ::close(fd_);
}

uint64_t RunQueueMeter::wait_ns() const {
  if (fd_ < 0) return 0;
  char buf[96];
  ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char* end = nullptr;
  std::strtoull(buf, &end, 10);  // time on the CPU
  return std::strtoull(end, nullptr, 10);
}

void RunQueueMeter::start(uint64_t now_ns) {
  since_ns_ = now_ns;
  wait_at_start_ = wait_ns();
}

double RunQueueMeter::share(uint64_t now_ns) {
  uint64_t wait = wait_ns();
  uint64_t span = now_ns - since_ns_;
  double s = span == 0 || wait < wait_at_start_
                 ? 0.0
                 : static_cast<double>(wait - wait_at_start_) / static_cast<double>(span);
  since_ns_ = now_ns;
  wait_at_start_ = wait;
  return s;
}

}  // namespace ringproxy
