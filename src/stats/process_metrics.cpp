// The process's figures from /proc/self; see process_metrics.hpp.
#include "ringproxy/stats/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace ringproxy::stats {

namespace {

uint64_t page_size() {
  long p = ::sysconf(_SC_PAGESIZE);
  return p > 0 ? static_cast<uint64_t>(p) : 4096;
}

uint64_t to_u64(const std::string& s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);  // 0 when not a number
  return v;
}

std::string slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

uint64_t process_rss_bytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (!(in >> size_pages >> resident_pages)) return 0;
  return resident_pages * page_size();
}

ProcessSample read_process_sample(bool count_fds) {
  ProcessSample s;
  // /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces and
  // parentheses, so fields are counted from the last ')'.
  std::string stat = slurp("/proc/self/stat");
  size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    // Field 3 (state) is the first after ')'; utime is 14, stime 15, vsize 23, rss 24.
    uint64_t utime = 0, stime = 0;
    for (int n = 3; n <= 24 && (fields >> field); ++n) {
      if (n == 14) utime = to_u64(field);
      if (n == 15) stime = to_u64(field);
      if (n == 23) s.virtual_bytes = to_u64(field);
      if (n == 24) s.rss_bytes = to_u64(field) * page_size();
    }
    long ticks = ::sysconf(_SC_CLK_TCK);
    if (ticks > 0) s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
  }
  if (count_fds) {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++s.open_fds;
    }
    if (s.open_fds > 0) --s.open_fds;  // the listing's own descriptor
  }
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    s.max_fds = lim.rlim_cur;
  }
  return s;
}

}  // namespace ringproxy::stats
