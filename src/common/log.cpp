// Log lines look like "2026-11-22T00:44:07.123Z info  message": UTC time with
// milliseconds, level, text. Written with one write(2) so lines never interleave.
#include "ringproxy/common/log.hpp"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <string>

namespace ringproxy {
namespace {
LogLevel g_level = LogLevel::kInfo;  // set once at startup
constexpr const char* kNames[] = {"error", "warn ", "info ", "debug"};
}  // namespace

void set_log_level(LogLevel level) {
  g_level = level;
}

LogLevel log_level() {
  return g_level;
}

std::string_view log_level_name(LogLevel level) {
  constexpr std::string_view kPlain[] = {"error", "warn", "info", "debug"};
  return kPlain[static_cast<int>(level)];
}

int open_log_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  // dup2 replaces stderr atomically: a line written meanwhile lands in the
  // old file or the new one, never nowhere.
  const int rc = ::dup2(fd, STDERR_FILENO) < 0 ? -errno : 0;
  ::close(fd);
  return rc;
}

bool parse_log_level(std::string_view name, LogLevel& out) {
  if (name == "error")
    out = LogLevel::kError;
  else if (name == "warn")
    out = LogLevel::kWarn;
  else if (name == "info")
    out = LogLevel::kInfo;
  else if (name == "debug")
    out = LogLevel::kDebug;
  else
    return false;
  return true;
}

bool log_enabled(LogLevel level) {
  return level <= g_level;
}

void log_line(LogLevel level, std::string_view msg) {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm utc{};
  gmtime_r(&tv.tv_sec, &utc);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(tv.tv_usec / 1000), kNames[static_cast<int>(level)]);
  std::string line(stamp);
  line.append(msg);
  line.push_back('\n');
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace ringproxy
