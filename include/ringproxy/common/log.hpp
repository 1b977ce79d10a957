// Minimal leveled logging to stderr: one line per event, never on the per-request
// path (state changes, errors, lifecycle only).
#pragma once

#include <sstream>
#include <string_view>

namespace ringproxy {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// The level is set once at startup from the config; it is the only
// process-wide setting besides the loop.
void set_log_level(LogLevel level);
bool parse_log_level(std::string_view name, LogLevel& out);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view msg);

// log(LogLevel::kInfo, "backend ", name, " is down: ", reason);
template <typename... Args>
void log(LogLevel level, const Args&... args) {
  if (!log_enabled(level)) return;
  std::ostringstream os;
  (os << ... << args);
  log_line(level, os.str());
}

}  // namespace ringproxy
