// The process side of running as a service: --daemonize, --pid-file,
// --log-file paths. Used by main() only.
#pragma once

#include <string>

namespace ringproxy {

// `path` made absolute against the current directory (a daemon runs in /,
// and reopening the log file must find the same file).
std::string absolute_path(const std::string& path);

// Detaches from the terminal: fork, setsid, fork. The starting process stays
// in daemonize() until the daemon calls DaemonReady::done() or exits, then
// exits itself with 0 (ready) or 1, so a start script sees start-up errors.
// The daemon returns from daemonize() with its stdin and stdout on /dev/null
// and stderr unchanged until done(). Throws std::runtime_error.
class DaemonReady {
 public:
  DaemonReady() = default;
  explicit DaemonReady(int fd) : fd_(fd) {}
  DaemonReady(DaemonReady&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DaemonReady& operator=(DaemonReady&& other) noexcept;
  ~DaemonReady();
  // The daemon listens: the starting process exits 0. Unless the log goes to
  // a file, stderr moves to /dev/null (the terminal may be gone).
  void done(bool stderr_to_null);

 private:
  int fd_ = -1;
};
DaemonReady daemonize();

// --pid-file: written with our pid by create(), removed by the destructor if
// it still holds our pid.
class PidFile {
 public:
  PidFile() = default;
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  ~PidFile();
  // Throws std::runtime_error if the file names a running process, or cannot
  // be written.
  void create(const std::string& path);

 private:
  std::string path_;
};

}  // namespace ringproxy
