// Log lines look like "2026-11-22T00:44:07.123Z info  message": UTC time with
// milliseconds, level, text. Written with one write(2) so lines never interleave.
#include "ringproxy/common/log.hpp"

#include <sys/time.h>
#include <unistd.h>

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
