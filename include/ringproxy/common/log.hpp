// Minimal leveled logging to stderr: one line per event, never on the per-request
// path (state changes, errors, lifecycle only). With --log-file, stderr is the
// log file (open_log_file), so a reopen after logrotate moved it is one dup2.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

namespace ringproxy {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// The level is set once at startup from the config; it is the only
// process-wide setting besides the loop.
void set_log_level(LogLevel level);
LogLevel log_level();
bool parse_log_level(std::string_view name, LogLevel& out);
std::string_view log_level_name(LogLevel level);  // "error", "warn", "info", "debug"
// Opens `path` for appending (created 0644 if missing) and makes it the
// process's stderr, where every log line goes: 0, or -errno with stderr left
// as it was. Called at startup and again to reopen the file after a log
// rotation renamed it (SIGHUP, SIGUSR1).
int open_log_file(const std::string& path);
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

// At most one log line a second for an event that can recur at any rate (a
// misbehaving backend, clients closed for their output), with a count of the
// lines held back since the last one.
class LogThrottle {
 public:
  // True when a line may be logged at `now_ms`; then *suppressed is how many
  // were held back since the last one.
  bool allow(uint64_t now_ms, uint64_t* suppressed) {
    if (logged_ && now_ms - last_ms_ < kIntervalMs) {
      held_back_++;
      return false;
    }
    logged_ = true;
    last_ms_ = now_ms;
    *suppressed = held_back_;
    held_back_ = 0;
    return true;
  }

 private:
  static constexpr uint64_t kIntervalMs = 1000;
  uint64_t last_ms_ = 0;
  uint64_t held_back_ = 0;
  bool logged_ = false;
};

}  // namespace ringproxy
