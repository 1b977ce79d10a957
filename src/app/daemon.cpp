// See daemon.hpp.
#include "ringproxy/app/daemon.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace ringproxy {

namespace {

std::runtime_error errno_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

void to_dev_null(int target) {
  const int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0) throw errno_error("cannot open /dev/null");
  ::dup2(fd, target);
  ::close(fd);
}

}  // namespace

std::string absolute_path(const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) throw errno_error("getcwd");
  return std::string(cwd) + "/" + path;
}

DaemonReady& DaemonReady::operator=(DaemonReady&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DaemonReady::~DaemonReady() {
  if (fd_ >= 0) ::close(fd_);
}

void DaemonReady::done(bool stderr_to_null) {
  if (fd_ < 0) return;
  if (stderr_to_null) to_dev_null(STDERR_FILENO);
  const char ok = 0;
  ssize_t ignored = ::write(fd_, &ok, 1);
  (void)ignored;
  ::close(fd_);
  fd_ = -1;
}

DaemonReady daemonize() {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) throw errno_error("pipe");
  const pid_t first = ::fork();
  if (first < 0) throw errno_error("fork");
  if (first > 0) {
    // The starting process: wait for the daemon's word, or its end.
    ::close(pipe_fds[1]);
    char status = 1;
    ssize_t n;
    do {
      n = ::read(pipe_fds[0], &status, 1);
    } while (n < 0 && errno == EINTR);
    std::_Exit(n == 1 && status == 0 ? 0 : 1);
  }
  ::close(pipe_fds[0]);
  // A session of its own, without a controlling terminal; the second fork
  // makes sure it can never acquire one.
  if (::setsid() < 0) throw errno_error("setsid");
  std::signal(SIGHUP, SIG_IGN);  // sent to the session when its leader exits
  const pid_t second = ::fork();
  if (second < 0) throw errno_error("fork");
  if (second > 0) std::_Exit(0);
  std::signal(SIGHUP, SIG_DFL);  // the proxy watches it again
  if (::chdir("/") < 0) throw errno_error("chdir /");
  ::umask(022);
  to_dev_null(STDIN_FILENO);
  to_dev_null(STDOUT_FILENO);
  return DaemonReady(pipe_fds[1]);
}

PidFile::~PidFile() {
  if (path_.empty()) return;
  std::ifstream in(path_);
  long pid = 0;
  // Another instance may have taken the file over since: leave it.
  if (in >> pid && pid == static_cast<long>(::getpid())) ::unlink(path_.c_str());
}

void PidFile::create(const std::string& path) {
  {
    std::ifstream in(path);
    long pid = 0;
    if (in >> pid && pid > 0 && pid != static_cast<long>(::getpid()) &&
        (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) {
      throw std::runtime_error("pid file " + path + " names process " + std::to_string(pid) +
                               ", which is running: is another ringproxy using it?");
    }
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << ::getpid() << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write pid file " + tmp);
  }
  // Renamed into place: a reader never sees a half-written file.
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    ::unlink(tmp.c_str());
    throw errno_error("cannot write pid file " + path);
  }
  path_ = path;
}

}  // namespace ringproxy
