#include "harness.hpp"

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

namespace ringproxy::testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Writes to a peer that has gone away must fail with EPIPE, not kill the test
// binary. Children get the default disposition back before exec.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

std::string errno_text(int err) {
  return std::strerror(err);
}

[[noreturn]] void throw_errno(const std::string& what, int err = errno) {
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
std::string escape(std::string_view bytes, size_t limit = 400) {
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

// argv/envp prepared before fork(): the child may only call async-signal-safe
// functions, so no allocation happens after the fork.
struct ExecSpec {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  std::vector<char*> argv_ptrs;
  std::vector<char*> env_ptrs;

  ExecSpec(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
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
};

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

}  // namespace

// ---------------------------------------------------------------------------
// Utilities

bool port_is_free(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  // No SO_REUSEADDR: a port with TIME_WAIT leftovers counts as busy, which
  // keeps this check conservative.
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

uint16_t free_port() {
  static std::mutex mutex;
  static std::set<uint16_t> handed_out;
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()) << 16);
  std::lock_guard lock(mutex);

  int ephemeral_low = 32768;
  std::istringstream range(read_file("/proc/sys/net/ipv4/ip_local_port_range"));
  range >> ephemeral_low;
  constexpr int kLowest = 10000;
  if (ephemeral_low - 1 - kLowest >= 1000) {
    std::uniform_int_distribution<int> pick(kLowest, ephemeral_low - 1);
    for (int attempt = 0; attempt < 2000; ++attempt) {
      auto port = static_cast<uint16_t>(pick(rng));
      if (!handed_out.contains(port) && port_is_free(port)) {
        handed_out.insert(port);
        return port;
      }
    }
  }
  // Fallback: let the kernel choose.
  for (int attempt = 0; attempt < 100; ++attempt) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw_errno("bind 127.0.0.1:0");
    }
    auto port = ntohs(addr.sin_port);
    if (handed_out.insert(port).second) return port;
  }
  throw HarnessError("no free loopback port found");
}

bool wait_until(const std::function<bool()>& condition, Duration timeout, Duration interval) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail_lines(std::string_view text, size_t max_lines) {
  if (max_lines == 0) return {};
  size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  size_t pos = end;
  size_t lines = 0;
  while (pos > 0) {
    if (text[pos - 1] == '\n' && ++lines == max_lines) break;
    --pos;
  }
  return std::string(text.substr(pos));
}

std::string info_field(const std::string& info, const std::string& field) {
  size_t at = info.find("\r\n" + field + ":");
  if (at == std::string::npos) return "";
  at += field.size() + 3;
  return info.substr(at, info.find("\r\n", at) - at);
}

std::string find_executable(const std::string& name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
    if (colon == std::string_view::npos) return {};
    dirs.remove_prefix(colon + 1);
  }
}

std::string redis_server_binary() {
  const char* env = std::getenv("REDIS_SERVER");
  std::string name = env != nullptr && *env != '\0' ? env : "redis-server";
  std::string path = find_executable(name);
  if (path.empty()) {
    throw HarnessError("redis-server not found (" + name +
                       "); run scripts/install-deps.sh or set REDIS_SERVER");
  }
  return path;
}

std::string proxy_binary() {
  const char* env = std::getenv("RINGPROXY_BIN");
  fs::path path;
  if (env != nullptr && *env != '\0') {
    path = env;
  } else {
    std::error_code ec;
    path = (fs::read_symlink("/proc/self/exe", ec).parent_path() / ".." / "ringproxy")
               .lexically_normal();
  }
  if (::access(path.c_str(), X_OK) != 0) {
    throw HarnessError("ringproxy binary not found at " + path.string() +
                       " (set RINGPROXY_BIN or build the ringproxy target)");
  }
  return path.string();
}

std::string python3_binary() {
  const char* env = std::getenv("PYTHON3");
  if (env != nullptr && *env != '\0') return env;
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

fs::path source_dir() {
  const char* env = std::getenv("RINGPROXY_SOURCE_DIR");
  if (env != nullptr && *env != '\0') return env;
  std::error_code ec;
  for (fs::path start :
       {fs::read_symlink("/proc/self/exe", ec).parent_path(), fs::current_path()}) {
    for (fs::path p = start; !p.empty(); p = p.parent_path()) {
      if (fs::exists(p / "include/ringproxy/options/config.hpp")) return p;
      if (p == p.parent_path()) break;
    }
  }
  throw HarnessError("source dir not found; set RINGPROXY_SOURCE_DIR");
}

TempDir::TempDir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" +
                        std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  if (path_.empty() || env_flag("RINGPROXY_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    TempDir old(std::move(*this));
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int UniqueFd::release() {
  return std::exchange(fd_, -1);
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

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

// ---------------------------------------------------------------------------
// RESP

std::string_view type_name(Reply::Type type) {
  switch (type) {
    case Reply::Type::kNil:
      return "nil";
    case Reply::Type::kStatus:
      return "status";
    case Reply::Type::kError:
      return "error";
    case Reply::Type::kInteger:
      return "integer";
    case Reply::Type::kString:
      return "string";
    case Reply::Type::kArray:
      return "array";
  }
  return "?";
}

Reply Reply::from_hiredis(const redisReply& r) {
  Reply out;
  auto elements = [&] {
    for (size_t i = 0; i < r.elements; ++i) out.elements.push_back(from_hiredis(*r.element[i]));
  };
  switch (r.type) {
    case REDIS_REPLY_STATUS:
      out.type = Type::kStatus;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Type::kError;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Type::kArray;
      elements();
      break;
#ifdef REDIS_REPLY_DOUBLE  // hiredis >= 1.0 (RESP3)
    case REDIS_REPLY_DOUBLE:
    case REDIS_REPLY_VERB:
    case REDIS_REPLY_BIGNUM:
      out.type = Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_BOOL:
      out.type = Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_MAP:
    case REDIS_REPLY_SET:
    case REDIS_REPLY_PUSH:
    case REDIS_REPLY_ATTR:
      out.type = Type::kArray;
      elements();
      break;
#endif
    default:  // REDIS_REPLY_NIL
      break;
  }
  return out;
}

std::string Reply::to_string() const {
  switch (type) {
    case Type::kNil:
      return "(nil)";
    case Type::kStatus:
      return str;
    case Type::kError:
      return "(error) " + str;
    case Type::kInteger:
      return "(integer) " + std::to_string(integer);
    case Type::kString:
      return "\"" + escape(str) + "\"";
    case Type::kArray: {
      std::string s = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) s += ", ";
        if (i == 50) {
          s += "... " + std::to_string(elements.size()) + " elements";
          break;
        }
        s += elements[i].to_string();
      }
      return s + "]";
    }
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, const Reply& reply) {
  return os << reply.to_string();
}

std::string encode_command(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

namespace {

constexpr size_t kIncomplete = std::string_view::npos;

// Parses the reply starting at `pos` into `out` (when not null) and returns its
// end offset, or kIncomplete. RESP3 types map onto the nearest RESP2 type so
// tests can also talk to redis-server directly after HELLO 3.
size_t parse_frame(std::string_view b, size_t pos, int depth, Reply* out) {
  if (depth > 64) throw HarnessError("RESP nesting too deep");
  if (pos >= b.size()) return kIncomplete;
  size_t eol = b.find("\r\n", pos + 1);
  if (eol == std::string_view::npos) return kIncomplete;
  size_t after_line = eol + 2;
  char type = b[pos];
  std::string_view line = b.substr(pos + 1, eol - pos - 1);
  auto number = [&] {
    long long n = 0;
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
    if (ec != std::errc() || ptr != line.data() + line.size()) {
      throw HarnessError("malformed RESP number: \"" + escape(b.substr(pos, eol - pos)) + "\"");
    }
    return n;
  };
  auto set = [&](Reply::Type t, std::string_view text = {}) {
    if (out != nullptr) {
      out->type = t;
      out->str = text;
    }
  };
  switch (type) {
    case '+':
      set(Reply::Type::kStatus, line);
      return after_line;
    case '-':
      set(Reply::Type::kError, line);
      return after_line;
    case ',':  // double
    case '(':
      set(Reply::Type::kString, line);
      return after_line;  // big number
    case '_':
      set(Reply::Type::kNil);
      return after_line;
    case ':':
      set(Reply::Type::kInteger);
      if (out != nullptr) out->integer = number();
      return after_line;
    case '#':  // boolean
      if (line != "t" && line != "f") throw HarnessError("malformed RESP boolean");
      set(Reply::Type::kInteger);
      if (out != nullptr) out->integer = line == "t" ? 1 : 0;
      return after_line;
    case '$':
    case '=':
    case '!': {  // bulk string, verbatim string, bulk error
      long long len = number();
      if (len < 0) {
        set(Reply::Type::kNil);
        return after_line;
      }
      size_t end = after_line + static_cast<size_t>(len) + 2;
      if (end > b.size()) return kIncomplete;
      std::string_view text = b.substr(after_line, static_cast<size_t>(len));
      if (type == '=' && text.size() >= 4) text.remove_prefix(4);  // "txt:"
      set(type == '!' ? Reply::Type::kError : Reply::Type::kString, text);
      return end;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {  // array, set, push, map (flattened), attribute (skipped)
      long long n = number();
      if (n < 0) {
        set(Reply::Type::kNil);
        return after_line;
      }
      if (type == '%' || type == '|') n *= 2;
      Reply* sink = type == '|' ? nullptr : out;
      if (sink != nullptr) {
        sink->type = Reply::Type::kArray;
        sink->elements.clear();
      }
      size_t p = after_line;
      for (long long i = 0; i < n; ++i) {
        Reply element;
        p = parse_frame(b, p, depth + 1, sink != nullptr ? &element : nullptr);
        if (p == kIncomplete) return kIncomplete;
        if (sink != nullptr) sink->elements.push_back(std::move(element));
      }
      return type == '|' ? parse_frame(b, p, depth + 1, out) : p;  // the attributed value
    }
    default:
      throw HarnessError("malformed RESP type byte in \"" + escape(b.substr(pos, 80)) + "\"");
  }
}

struct ReplyFree {
  void operator()(void* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

}  // namespace

size_t resp_frame_length(std::string_view bytes) {
  size_t end = parse_frame(bytes, 0, 0, nullptr);
  return end == kIncomplete ? 0 : end;
}

Reply parse_reply(std::string_view bytes) {
  Reply reply;
  size_t end = parse_frame(bytes, 0, 0, &reply);
  if (end == kIncomplete) throw HarnessError("incomplete reply \"" + escape(bytes) + "\"");
  if (end != bytes.size()) {
    throw HarnessError("trailing bytes after the reply in \"" + escape(bytes) + "\"");
  }
  return reply;
}

// ---------------------------------------------------------------------------
// Client

Client::Client(uint16_t port, Duration timeout, const std::string& host)
    : host_(host), port_(port), timeout_(timeout) {
  ignore_sigpipe();
  connect();
}

void Client::connect() {
  pending_ = 0;
  ctx_.reset(redisConnectWithTimeout(host_.c_str(), port_, to_timeval(timeout_)));
  if (!ctx_) throw IoError("redisConnectWithTimeout: out of memory");
  if (ctx_->err != 0) {
    throw IoError("connect to " + host_ + ":" + std::to_string(port_) + ": " + ctx_->errstr);
  }
  redisSetTimeout(ctx_.get(), to_timeval(timeout_));
  ::fcntl(ctx_->fd, F_SETFD, FD_CLOEXEC);
}

void Client::reconnect() {
  connect();
}

bool Client::usable() const {
  return ctx_ && ctx_->err == 0;
}

int Client::fd() const {
  return ctx_ ? ctx_->fd : -1;
}

void Client::set_timeout(Duration timeout) {
  timeout_ = timeout;
  if (usable()) redisSetTimeout(ctx_.get(), to_timeval(timeout_));
}

void Client::fail(std::string_view what) {
  int err = errno;
  std::string where = std::string(what) + " on " + host_ + ":" + std::to_string(port_) + ": ";
  if (!ctx_) throw IoError(where + "not connected");
  std::string text = ctx_->errstr[0] != '\0' ? ctx_->errstr : "unknown error";
  bool timeout = ctx_->err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK);
#ifdef REDIS_ERR_TIMEOUT
  timeout = timeout || ctx_->err == REDIS_ERR_TIMEOUT;
#endif
  if (timeout)
    throw TimeoutError(where + "no reply within " + std::to_string(timeout_.count()) + " ms");
  throw IoError(where + text);
}

Reply Client::command(const std::vector<std::string>& args) {
  if (!usable())
    throw IoError("client to port " + std::to_string(port_) + " is broken; reconnect()");
  if (pending_ != 0) throw HarnessError("command() while appended replies are pending");
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  errno = 0;
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data())));
  if (!reply) fail(args.empty() ? "command" : args[0]);
  return Reply::from_hiredis(*reply);
}

void Client::append(const std::vector<std::string>& args) {
  if (!usable())
    throw IoError("client to port " + std::to_string(port_) + " is broken; reconnect()");
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data()) !=
      REDIS_OK) {
    fail("append");
  }
  ++pending_;
}

Reply Client::get_reply() {
  if (!usable())
    throw IoError("client to port " + std::to_string(port_) + " is broken; reconnect()");
  if (pending_ == 0) throw HarnessError("get_reply() without a pending command");
  void* raw = nullptr;
  errno = 0;
  if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) fail("get_reply");
  ReplyPtr reply(static_cast<redisReply*>(raw));
  --pending_;
  return Reply::from_hiredis(*reply);
}

std::vector<Reply> Client::pipeline(const std::vector<std::vector<std::string>>& commands) {
  if (!usable())
    throw IoError("client to port " + std::to_string(port_) + " is broken; reconnect()");
  if (pending_ != 0) throw HarnessError("pipeline() while appended replies are pending");
  std::string out;
  for (const auto& c : commands) out += encode_command(c);
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  // Uses the context's own fd and reader (both idle between synchronous calls),
  // so the client stays usable afterwards.
  int fd = ctx_->fd;
  redisReader* reader = ctx_->reader;
  size_t written = 0;
  auto deadline = Clock::now() + timeout_;
  auto broken = [&](const std::string& why) -> IoError {
    std::string msg = "pipeline on port " + std::to_string(port_) + ": " + why + " after " +
                      std::to_string(replies.size()) + " of " + std::to_string(commands.size()) +
                      " replies";
    ctx_.reset();  // state unknown: force reconnect()
    return IoError(msg);
  };
  char buf[65536];
  while (replies.size() < commands.size()) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader, &raw) != REDIS_OK) throw broken("protocol error");
    if (raw != nullptr) {
      ReplyPtr reply(static_cast<redisReply*>(raw));
      replies.push_back(Reply::from_hiredis(*reply));
      continue;
    }
    int wait_ms = remaining_ms(deadline);
    if (wait_ms == 0) {
      std::string msg = "no progress within " + std::to_string(timeout_.count()) + " ms after " +
                        std::to_string(replies.size()) + " of " + std::to_string(commands.size()) +
                        " replies";
      ctx_.reset();
      throw TimeoutError("pipeline on port " + std::to_string(port_) + ": " + msg);
    }
    pollfd p{fd, static_cast<short>(POLLIN | (written < out.size() ? POLLOUT : 0)), 0};
    int n = ::poll(&p, 1, wait_ms);
    if (n < 0 && errno != EINTR) throw broken("poll: " + errno_text(errno));
    if (n <= 0) continue;
    if ((p.revents & POLLOUT) != 0 && written < out.size()) {
      size_t chunk = std::min<size_t>(out.size() - written, 1 << 16);
      ssize_t w = ::send(fd, out.data() + written, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w > 0) {
        written += static_cast<size_t>(w);
        deadline = Clock::now() + timeout_;
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        // The peer may have closed after replying; read what is left first.
        written = out.size();
      }
    }
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t r = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r > 0) {
        redisReaderFeed(reader, buf, static_cast<size_t>(r));
        deadline = Clock::now() + timeout_;
      } else if (r == 0) {
        throw broken("connection closed");
      } else if (errno != EAGAIN && errno != EINTR) {
        throw broken(errno_text(errno));
      }
    }
  }
  return replies;
}

// ---------------------------------------------------------------------------
// RawConnection

RawConnection::RawConnection(uint16_t port, Duration timeout, const std::string& host)
    : timeout_(timeout) {
  ignore_sigpipe();
  fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd_) throw_errno("socket");
  // Every send() leaves as its own segment, so split-frame tests really split.
  int one = 1;
  ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    throw HarnessError("bad IPv4 address " + host);
  }
  std::string where = host + ":" + std::to_string(port);
  if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) throw IoError("connect to " + where + ": " + errno_text(errno));
    pollfd p{fd_.get(), POLLOUT, 0};
    int n;
    do {
      n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (n < 0 && errno == EINTR);
    if (n == 0) throw TimeoutError("connect to " + where + " timed out");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) throw IoError("connect to " + where + ": " + errno_text(err));
  }
}

void RawConnection::send(std::string_view bytes) {
  auto deadline = Clock::now() + timeout_;
  while (!bytes.empty()) {
    ssize_t w = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (w > 0) {
      bytes.remove_prefix(static_cast<size_t>(w));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) throw IoError("send: " + errno_text(errno));
    pollfd p{fd_.get(), POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) == 0) {
      throw TimeoutError("send: peer not reading; " + std::to_string(bytes.size()) +
                         " bytes unsent after " + std::to_string(timeout_.count()) + " ms");
    }
  }
}

bool RawConnection::fill(Clock::time_point deadline) {
  if (closed_) return false;
  char buf[65536];
  while (true) {
    ssize_t r = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (r > 0) {
      buffer_.append(buf, static_cast<size_t>(r));
      return true;
    }
    if (r == 0 || (errno != EAGAIN && errno != EINTR)) {  // EOF or reset
      closed_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) == 0) {
      throw TimeoutError("no data within " + std::to_string(timeout_.count()) +
                         " ms; buffered: \"" + escape(buffer_) + "\"");
    }
  }
}

std::string RawConnection::read_reply_bytes() {
  auto deadline = Clock::now() + timeout_;
  while (true) {
    if (size_t n = resp_frame_length(buffer_); n > 0) {
      std::string reply = buffer_.substr(0, n);
      buffer_.erase(0, n);
      return reply;
    }
    if (!fill(deadline)) {
      throw IoError("connection closed before a complete reply; buffered: \"" + escape(buffer_) +
                    "\"");
    }
  }
}

std::string RawConnection::read_replies_bytes(size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += read_reply_bytes();
  return out;
}

Reply RawConnection::read_reply() {
  return parse_reply(read_reply_bytes());
}

std::string RawConnection::read_until_closed() {
  auto deadline = Clock::now() + timeout_;
  while (fill(deadline)) {
  }
  return std::exchange(buffer_, {});
}

bool RawConnection::wait_closed(Duration timeout) {
  auto deadline = Clock::now() + timeout;
  try {
    while (fill(deadline)) {
    }
    return true;
  } catch (const TimeoutError&) {
    return false;
  }
}

std::string RawConnection::read_available(Duration timeout) {
  auto deadline = Clock::now() + timeout;
  try {
    while (fill(deadline)) {
    }
  } catch (const TimeoutError&) {
  }
  return std::exchange(buffer_, {});
}

void RawConnection::shutdown_write() {
  ::shutdown(fd_.get(), SHUT_WR);
}

// ---------------------------------------------------------------------------
// RedisServer

std::string BackendAddress::to_string() const {
  std::string s = host + ":" + std::to_string(port) + ":" + std::to_string(weight);
  if (!name.empty()) s += " " + name;
  return s;
}

RedisServer::RedisServer(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)), dir_("ringproxy-redis") {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    try {
      start(free_port());
      return;
    } catch (const HarnessError&) {
      // Another process took the port between free_port() and bind().
      bool in_use = log().find("Address already in use", log_start_) != std::string::npos;
      if (!in_use || attempt == kAttempts) throw;
    }
  }
}

std::string RedisServer::address() const {
  return std::string(kLoopback) + ":" + std::to_string(port_);
}

BackendAddress RedisServer::backend(uint32_t weight, std::string name) const {
  return BackendAddress{port_, weight, std::move(name), kLoopback};
}

fs::path RedisServer::log_path() const {
  return dir_.path() / "redis.log";
}

void RedisServer::start(uint16_t port) {
  port_ = port;
  std::vector<std::string> argv = {redis_server_binary(),
                                   "--port",
                                   std::to_string(port),
                                   "--bind",
                                   kLoopback,
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir_.path().string(),
                                   "--daemonize",
                                   "no"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  {
    // Restarts append to the same log; a marker separates the runs.
    std::error_code ec;
    auto size = fs::file_size(log_path(), ec);
    log_start_ = ec ? 0 : static_cast<size_t>(size);
    std::ofstream log(log_path(), std::ios::app);
    log << "=== harness: starting " << join(argv) << "\n";
  }
  process_ = ChildProcess(argv, log_path());
  auto deadline = Clock::now() + kDefaultReadyTimeout;
  while (true) {
    if (!process_.running()) {
      throw HarnessError("redis-server on port " + std::to_string(port) + " " +
                         process_.exit_status()->describe() + " before it was ready:\n" +
                         tail_lines(std::string_view(log()).substr(log_start_), 30));
    }
    // PONG (or NOAUTH with --requirepass) from our own live child means ready;
    // -LOADING does not.
    auto reply = ping_once(port, Duration(500));
    bool ready = reply && (*reply == Reply::make_status("PONG") ||
                           (reply->is_error() && reply->str.starts_with("NOAUTH")));
    if (ready && process_.running()) return;
    if (Clock::now() >= deadline) {
      process_.kill9();
      throw HarnessError("redis-server on port " + std::to_string(port) + " not ready within " +
                         std::to_string(kDefaultReadyTimeout.count()) + " ms:\n" +
                         tail_lines(log(), 30));
    }
    std::this_thread::sleep_for(Duration(10));
  }
}

void RedisServer::sigstop() {
  process_.signal(SIGSTOP);
  // Wait until the kernel reports it stopped, so the test's next step is not racing it.
  if (!wait_until([this] { return process_state(pid()) == 'T'; }, Duration(2000), Duration(1))) {
    throw HarnessError("redis-server " + address() + " did not stop on SIGSTOP");
  }
}

void RedisServer::sigcont() {
  process_.signal(SIGCONT);
  if (!wait_until([this] { return process_state(pid()) != 'T'; }, Duration(2000), Duration(1))) {
    throw HarnessError("redis-server " + address() + " did not continue on SIGCONT");
  }
}

void RedisServer::restart() {
  process_.stop();
  try {
    start(port_);
  } catch (const HarnessError& e) {
    throw HarnessError(std::string("restart on the same port failed: ") + e.what());
  }
}

// ---------------------------------------------------------------------------
// ProxyProcess

ProxyProcess::ProxyProcess(ProxyOptions options)
    : options_(std::move(options)), dir_("ringproxy-proxy") {
  ignore_sigpipe();
  if (options_.binary.empty()) options_.binary = proxy_binary();
  bool pick_port = options_.port == 0 && options_.add_listen_arg;
  if (!pick_port && options_.port == 0) {
    throw HarnessError("ProxyOptions: add_listen_arg=false needs an explicit port");
  }
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    port_ = pick_port ? free_port() : options_.port;
    spawn();
    if (!options_.wait_ready) return;
    try {
      wait_ready(options_.ready_timeout);
      return;
    } catch (const HarnessError&) {
      // Retry only when it died because someone else took the port.
      bool died = !process_.running();
      std::string text = log();
      bool in_use = text.find("in use") != std::string::npos ||
                    text.find("EADDRINUSE") != std::string::npos || !port_is_free(port_);
      if (!pick_port || !died || !in_use || attempt == kAttempts) throw;
    }
  }
}

ProxyProcess::ProxyProcess(const std::vector<BackendAddress>& backends,
                           std::vector<std::string> extra_args)
    : ProxyProcess(ProxyOptions{.backends = backends, .extra_args = std::move(extra_args)}) {}

fs::path ProxyProcess::log_path() const {
  return dir_.path() / "proxy.log";
}

void ProxyProcess::spawn() {
  argv_ = {options_.binary};
  argv_.insert(argv_.end(), options_.extra_args.begin(), options_.extra_args.end());
  if (options_.add_listen_arg) {
    argv_.push_back("--listen");
    argv_.push_back(std::string(kLoopback) + ":" + std::to_string(port_));
  }
  for (const auto& b : options_.backends) {
    argv_.push_back("--backend");
    argv_.push_back(b.to_string());
  }
  {
    std::ofstream log(log_path(), std::ios::app);
    log << "=== harness: starting " << join(argv_) << "\n";
  }
  stopped_on_purpose_ = false;
  process_ = ChildProcess(argv_, log_path(), options_.env);
}

std::string ProxyProcess::failure_message(std::string_view what) const {
  return "ringproxy (" + join(argv_) + ") " + std::string(what) + "\n--- " + log_path().string() +
         " (tail) ---\n" + log_tail();
}

void ProxyProcess::wait_ready(Duration timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (!process_.running()) {
      const auto& status = process_.exit_status();
      throw HarnessError(failure_message((status ? status->describe() : std::string("exited")) +
                                         " before accepting connections"));
    }
    // Any complete reply means it is serving (e.g. -NOAUTH with client auth).
    if (ping_once(port_, Duration(500))) return;
    if (Clock::now() >= deadline) {
      throw HarnessError(
          failure_message("did not answer PING within " + std::to_string(timeout.count()) + " ms"));
    }
    std::this_thread::sleep_for(Duration(10));
  }
}

ExitStatus ProxyProcess::stop(Duration grace) {
  stopped_on_purpose_ = true;
  return process_.stop(grace);
}

ExitStatus ProxyProcess::kill9() {
  stopped_on_purpose_ = true;
  return process_.kill9();
}

void ProxyProcess::restart() {
  stop();
  spawn();
  wait_ready(options_.ready_timeout);
}

std::optional<ExitStatus> ProxyProcess::unexpected_exit() {
  if (stopped_on_purpose_ || !process_.started() || process_.running()) return std::nullopt;
  return process_.exit_status();
}

// ---------------------------------------------------------------------------
// ClusterTest

void ClusterTest::SetUp() {
  for (size_t i = 0; i < backend_count(); ++i) {
    backends_.push_back(std::make_unique<RedisServer>(backend_args(i)));
  }
  if (start_proxy_in_setup()) start_proxy();
}

void ClusterTest::TearDown() {
  if (HasFailure() && proxy_) {
    std::cerr << "--- ringproxy log " << proxy_->log_path().string() << " (tail) ---\n"
              << proxy_->log_tail() << "\n--- end of ringproxy log ---\n";
  }
  stop_proxy();
  backends_.clear();
}

RedisServer& ClusterTest::backend(size_t index) {
  return *backends_.at(index);
}

std::vector<BackendAddress> ClusterTest::backend_addresses() const {
  std::vector<BackendAddress> out;
  for (size_t i = 0; i < backends_.size(); ++i)
    out.push_back(backends_[i]->backend(backend_weight(i)));
  return out;
}

Client ClusterTest::backend_client(size_t index, Duration timeout) {
  return backend(index).client(timeout);
}

std::vector<size_t> ClusterTest::backends_holding(const std::string& key) {
  std::vector<size_t> out;
  for (size_t i = 0; i < backends_.size(); ++i) {
    if (!backends_[i]->running()) continue;
    if (backend_client(i, Duration(2000)).command({"EXISTS", key}) == Reply::make_integer(1)) {
      out.push_back(i);
    }
  }
  return out;
}

ProxyProcess& ClusterTest::proxy() {
  if (!proxy_) throw HarnessError("no proxy running; call start_proxy()");
  return *proxy_;
}

Client ClusterTest::proxy_client(Duration timeout) {
  return proxy().client(timeout);
}

RawConnection ClusterTest::proxy_raw(Duration timeout) {
  return proxy().raw(timeout);
}

void ClusterTest::start_proxy(const std::vector<std::string>& more_args) {
  stop_proxy();
  ProxyOptions options;
  options.backends = backend_addresses();
  options.extra_args = proxy_args();
  options.extra_args.insert(options.extra_args.end(), more_args.begin(), more_args.end());
  customize_proxy(options);
  proxy_ = std::make_unique<ProxyProcess>(std::move(options));
}

void ClusterTest::stop_proxy() {
  if (!proxy_) return;
  if (auto status = proxy_->unexpected_exit()) {
    ADD_FAILURE() << "ringproxy died during the test: " << *status << "\n--- "
                  << proxy_->log_path().string() << " (tail) ---\n"
                  << proxy_->log_tail();
  } else if (proxy_->running()) {
    ExitStatus status = proxy_->stop();
    bool ok = status.clean() || (!status.exited && status.signal == SIGTERM && !status.forced);
    if (check_proxy_exit() && !ok) {
      ADD_FAILURE() << "ringproxy did not exit cleanly on SIGTERM: " << status << "\n--- "
                    << proxy_->log_path().string() << " (tail) ---\n"
                    << proxy_->log_tail();
    }
  }
  proxy_.reset();
}

}  // namespace ringproxy::testing
