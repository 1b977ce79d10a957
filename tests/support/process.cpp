// Child processes: ChildProcess and run_command().
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "harness_internal.hpp"

namespace ringproxy::testing {

namespace fs = std::filesystem;
using namespace internal;

// ---------------------------------------------------------------------------
// Processes

std::string ExitStatus::describe() const {
  std::string s;
  if (exited) {
    s = "exit code " + std::to_string(code);
  } else if (signal != 0) {
    const char* name = ::sigabbrev_np(signal);
    s = "killed by " + (name != nullptr ? "SIG" + std::string(name) : std::to_string(signal));
  } else {
    s = "unknown status";
  }
  if (forced) s += " (forced after the grace period)";
  return s;
}

std::ostream& operator<<(std::ostream& os, const ExitStatus& status) {
  return os << status.describe();
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const fs::path& log_path,
                           const std::vector<std::string>& extra_env) {
  ignore_sigpipe();
  ExecSpec spec(argv, extra_env, {});
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log) throw_errno("open " + log_path.string());
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null) throw_errno("open /dev/null");
  pid_ = fork_exec(spec, null.get(), log.get(), log.get());
}

ChildProcess::~ChildProcess() {
  stop();
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(std::exchange(other.status_, std::nullopt)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  status_ = r == pid_ ? decode_wait_status(status) : ExitStatus{};
  return false;
}

void ChildProcess::signal(int sig) const {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<ExitStatus> ChildProcess::wait_exit(Duration timeout) {
  if (pid_ <= 0) return std::nullopt;
  wait_until([this] { return !running(); }, timeout, Duration(2));
  return status_;
}

ExitStatus ChildProcess::stop(Duration grace) {
  if (pid_ <= 0) return {};
  if (status_ || !running()) return *status_;
  // SIGCONT first: a SIGSTOPped process only acts on SIGTERM once continued,
  // and a SIGCONT arriving after SIGTERM could cancel the stop signals that
  // LeakSanitizer's exit-time scan relies on, hanging the exit.
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGTERM);
  if (wait_exit(grace)) return *status_;
  ::kill(-pid_, SIGKILL);  // the whole group: nothing it forked survives
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = decode_wait_status(status);
  status_->forced = true;
  return *status_;
}

ExitStatus ChildProcess::kill9() {
  if (pid_ <= 0) return {};
  if (status_ || !running()) return *status_;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = decode_wait_status(status);
  return *status_;
}

std::string CommandResult::describe() const {
  std::string s = status.describe();
  if (timed_out) s += " (timed out)";
  s += "\n--- stdout (tail) ---\n" + tail_lines(out, 40);
  s += "\n--- stderr (tail) ---\n" + tail_lines(err, 40);
  return s;
}

CommandResult run_command(const std::vector<std::string>& argv, const RunOptions& options) {
  ignore_sigpipe();
  ExecSpec spec(argv, options.env, options.cwd);
  CommandResult result;
  if (spec.path.empty()) {
    result.status.exited = true;
    result.status.code = 127;
    result.err = "harness: program not found on PATH: " + argv[0] + "\n";
    return result;
  }
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw_errno("pipe2");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) throw_errno("pipe2");
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe2");
  UniqueFd err_r(err[0]), err_w(err[1]);

  pid_t pid = fork_exec(spec, in_r.get(), out_w.get(), err_w.get());
  in_r.reset();
  out_w.reset();
  err_w.reset();
  set_nonblocking(in_w.get());
  set_nonblocking(out_r.get());
  set_nonblocking(err_r.get());
  if (options.stdin_data.empty()) in_w.reset();

  auto deadline = Clock::now() + options.timeout;
  size_t written = 0;
  char buf[65536];
  while (out_r || err_r) {
    int wait_ms = remaining_ms(deadline);
    if (wait_ms == 0 && !result.timed_out) {
      // Kill the whole group, then give the pipes a moment to drain.
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      deadline = Clock::now() + Duration(1000);
      in_w.reset();
      continue;
    }
    if (wait_ms == 0) break;  // a detached grandchild still holds a pipe
    pollfd fds[3] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}, {in_w.get(), POLLOUT, 0}};
    int n = ::poll(fds, in_w ? 3 : 2, wait_ms);
    if (n < 0 && errno != EINTR) throw_errno("poll");
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      UniqueFd& fd = i == 0 ? out_r : err_r;
      std::string& sink = i == 0 ? result.out : result.err;
      ssize_t r = ::read(fd.get(), buf, sizeof buf);
      if (r > 0) {
        sink.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        fd.reset();
      }
    }
    if (in_w && fds[2].revents != 0) {
      ssize_t w = ::write(in_w.get(), options.stdin_data.data() + written,
                          options.stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == options.stdin_data.size()) {
        in_w.reset();  // EOF for the child (or it stopped reading: EPIPE)
      }
    }
  }
  int status = 0;
  if (!result.timed_out) {
    // Pipes are closed but the child may still be running (it closed them):
    // wait until the deadline, then kill.
    while (true) {
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid || (r < 0 && errno != EINTR)) break;
      if (remaining_ms(deadline) == 0) {
        result.timed_out = true;
        ::kill(-pid, SIGKILL);
        break;
      }
      std::this_thread::sleep_for(Duration(2));
    }
    if (!result.timed_out) {
      result.status = decode_wait_status(status);
      return result;
    }
  }
  ::kill(-pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = decode_wait_status(status);
  return result;
}

}  // namespace ringproxy::testing
