// The process harness's internal helpers (harness_internal.hpp), shared by its
// source files.
#include "harness_internal.hpp"

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

extern char** environ;

namespace ringproxy::testing::internal {

namespace fs = std::filesystem;

// Writes to a peer that has gone away must fail with EPIPE, not kill the test
// binary. Children get the default disposition back before exec.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

std::string errno_text(int err) {
  return std::strerror(err);
}

[[noreturn]] void throw_errno(const std::string& what, int err) {
  throw HarnessError(what + ": " + errno_text(err));
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

timeval to_timeval(Duration d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

// Printable form of protocol bytes for failure messages.
std::string escape(std::string_view bytes, size_t limit) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < limit; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  if (bytes.size() > limit) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += ' ';
    out += p.empty() || p.find(' ') != std::string::npos ? "'" + p + "'" : p;
  }
  return out;
}

ExitStatus decode_wait_status(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.exited = true;
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

ExecSpec::ExecSpec(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                   const fs::path& dir)
    : args(argv), cwd(dir.string()) {
  if (argv.empty()) throw HarnessError("empty command line");
  path = find_executable(argv[0]);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    bool overridden = std::any_of(extra_env.begin(), extra_env.end(), [&](const std::string& x) {
      return std::string_view(x).substr(0, x.find('=')) == name;
    });
    if (!overridden) env.emplace_back(entry);
  }
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  for (auto& a : args) argv_ptrs.push_back(a.data());
  argv_ptrs.push_back(nullptr);
  for (auto& e : env) env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);
}

namespace {

void close_fds_from(int first) {
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, first, ~0U, 0) == 0) return;
#endif
  for (int fd = first; fd < 65536; ++fd) ::close(fd);
}

void write_str(int fd, const char* s) {
  ssize_t ignored = ::write(fd, s, std::strlen(s));
  (void)ignored;
}

// Child side of fork(): async-signal-safe calls only.
[[noreturn]] void exec_child(const ExecSpec& spec, pid_t parent, int in, int out, int err) {
  ::setpgid(0, 0);                     // own group: run_command kills it whole; no terminal Ctrl-C
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // die with the test binary, even on a crash
  if (::getppid() != parent) ::_exit(127);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(127);
  close_fds_from(3);  // hiredis sockets are not CLOEXEC; a leaked copy keeps connections open
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
    write_str(2, "harness: chdir failed\n");
    ::_exit(127);
  }
  ::execve(spec.path.c_str(), spec.argv_ptrs.data(), spec.env_ptrs.data());
  write_str(2, "harness: execve failed: ");
  write_str(2, spec.path.c_str());
  write_str(2, "\n");
  ::_exit(127);
}

}  // namespace

pid_t fork_exec(const ExecSpec& spec, int in, int out, int err) {
  if (spec.path.empty()) throw HarnessError("program not found on PATH: " + spec.args[0]);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) exec_child(spec, parent, in, out, err);
  return pid;
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("fcntl");
}

// /proc/<pid>/stat state letter ('R', 'S', 'T' ...), 0 when unreadable.
char process_state(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return 0;
  return stat[close_paren + 2];
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::string_view(v) == "1";
}

std::optional<Reply> ping_once(uint16_t port, Duration timeout) {
  try {
    RawConnection conn(port, timeout);
    conn.send("*1\r\n$4\r\nPING\r\n");
    return conn.read_reply();
  } catch (const IoError&) {
    return std::nullopt;
  }
}

}  // namespace ringproxy::testing::internal
