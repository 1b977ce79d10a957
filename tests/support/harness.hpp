// Shared harness for the integration tests: real redis-server backends, the real
// ringproxy binary, and clients that talk to them over loopback.
//
// Rules every helper follows so that tests stay reliable on a loaded 2-core CI
// machine: only 127.0.0.1, no fixed ports, readiness is polled (never a blind
// sleep), every blocking call has a timeout, and every process, fd and hiredis
// object is owned RAII-style so a failing test leaks nothing. Child processes
// also get PR_SET_PDEATHSIG so they die with the test binary even if it crashes.
//
// Failures to start or talk to something throw (HarnessError and subclasses);
// GoogleTest reports an exception thrown from a test body or SetUp as a failure
// with its message, which includes the relevant log tail.
#pragma once

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ringproxy::testing {

using Duration = std::chrono::milliseconds;

inline constexpr const char* kLoopback = "127.0.0.1";
inline constexpr Duration kDefaultIoTimeout{10000};    // per client request
inline constexpr Duration kDefaultReadyTimeout{5000};  // process start-up
inline constexpr Duration kDefaultStopGrace{5000};     // SIGTERM -> SIGKILL

// ---------------------------------------------------------------------------
// Errors

// A process did not start, a file is missing, a reply was malformed...
class HarnessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The connection failed or was closed by the peer.
class IoError : public HarnessError {
 public:
  using HarnessError::HarnessError;
};
// Nothing arrived (or could be sent) within the timeout.
class TimeoutError : public IoError {
 public:
  using IoError::IoError;
};

// ---------------------------------------------------------------------------
// Small utilities

// A loopback TCP port that is free right now. Picked at random below the
// kernel's ephemeral range (ip_local_port_range) so that outgoing connections
// (the proxy's health checks, clients) can never take a port a test is about
// to (re)bind, e.g. for RedisServer::restart(); falls back to bind(:0) when no
// such range exists. Never returns the same port twice within one process.
// A race with another process remains possible; the process starters retry on
// EADDRINUSE.
uint16_t free_port();
// True when a listening socket could be bound on 127.0.0.1:port right now.
bool port_is_free(uint16_t port);

// Polls `condition` every `interval` until it is true (returns true) or
// `timeout` passes (returns false). The condition is always tried at least once.
bool wait_until(const std::function<bool()>& condition, Duration timeout,
                Duration interval = Duration(10));

std::string read_file(const std::filesystem::path& path);  // "" when missing
// The last `max_lines` lines of `text`.
std::string tail_lines(std::string_view text, size_t max_lines);
// The value of `field` in an INFO text ("" when absent).
std::string info_field(const std::string& info, const std::string& field);

// Full path of `name` found on PATH (or `name` itself if it contains '/'), ""
// when not found or not executable.
std::string find_executable(const std::string& name);
// $REDIS_SERVER, else redis-server on PATH. Throws HarnessError when missing.
std::string redis_server_binary();
// $RINGPROXY_BIN (set by CTest), else ../ringproxy next to the test binary.
// Throws HarnessError when it does not exist.
std::string proxy_binary();
// $PYTHON3, else Debian's /usr/bin/python3 (which has python3-redis even when
// another python3 comes first on PATH), else python3 on PATH.
std::string python3_binary();
// $RINGPROXY_SOURCE_DIR (set by CTest), else the first parent of the test
// binary or of the working directory that holds include/ringproxy/options/config.hpp.
std::filesystem::path source_dir();

// mkdtemp() directory under $TMPDIR (or /tmp), removed with its contents on
// destruction unless RINGPROXY_KEEP_TEST_DIRS=1.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "ringproxy-test");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// ---------------------------------------------------------------------------
// Processes

// How a child ended, from waitpid().
struct ExitStatus {
  bool exited = false;  // exited normally with `code`
  int code = 0;
  int signal = 0;       // killed by this signal when !exited
  bool forced = false;  // the harness had to SIGKILL it after the grace period

  bool clean() const { return exited && code == 0; }
  std::string describe() const;  // "exit code 0", "killed by SIGKILL (forced)"...
};
std::ostream& operator<<(std::ostream& os, const ExitStatus& status);

// One child process: fork/exec with stdin from /dev/null and stdout+stderr
// appended to `log_path`, in its own process group, all other fds closed, and
// SIGKILLed automatically if the test process dies. The destructor stops it.
class ChildProcess {
 public:
  ChildProcess() = default;
  // argv[0] is looked up on PATH. `extra_env` entries ("NAME=value") are added
  // to, or replace, the inherited environment. Throws HarnessError.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_path,
               const std::vector<std::string>& extra_env = {});
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }
  // Reaps the child if it has exited; false once it has.
  bool running();
  // The exit status once reaped (by running(), wait_exit() or stop()).
  const std::optional<ExitStatus>& exit_status() const { return status_; }

  void signal(int sig) const;  // no-op once reaped
  // Waits up to `timeout` for the child to exit by itself.
  std::optional<ExitStatus> wait_exit(Duration timeout);
  // SIGTERM (plus SIGCONT, in case it is stopped), then SIGKILL after `grace`.
  // Returns the exit status; calling it again returns the same status.
  ExitStatus stop(Duration grace = kDefaultStopGrace);
  ExitStatus kill9();

 private:
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

// Result of run_command().
struct CommandResult {
  ExitStatus status;
  bool timed_out = false;  // killed (with its process group) at the deadline
  std::string out;
  std::string err;

  bool ok() const { return !timed_out && status.clean(); }
  int exit_code() const { return status.exited ? status.code : -1; }
  std::string describe() const;  // status plus the tails of stdout/stderr
};

struct RunOptions {
  Duration timeout{60000};
  std::string stdin_data{};        // written to the child's stdin, then closed
  std::vector<std::string> env{};  // "NAME=value", added to / replacing the environment
  std::filesystem::path cwd{};     // empty: inherit
};

// Runs an external command (redis-cli, redis-benchmark, python3, node ...) to
// completion, capturing stdout and stderr. argv[0] is looked up on PATH; a
// missing program gives exit code 127. Never hangs past `options.timeout`.
CommandResult run_command(const std::vector<std::string>& argv, const RunOptions& options = {});

// ---------------------------------------------------------------------------
// RESP values and clients

struct Reply {
  enum class Type : uint8_t { kNil, kStatus, kError, kInteger, kString, kArray };

  Type type = Type::kNil;
  std::string str;  // kStatus, kError, kString
  long long integer = 0;
  std::vector<Reply> elements;  // kArray

  static Reply make_nil() { return {}; }
  static Reply make_status(std::string s) { return {Type::kStatus, std::move(s), 0, {}}; }
  static Reply make_error(std::string s) { return {Type::kError, std::move(s), 0, {}}; }
  static Reply make_integer(long long n) { return {Type::kInteger, {}, n, {}}; }
  static Reply make_string(std::string s) { return {Type::kString, std::move(s), 0, {}}; }
  static Reply make_array(std::vector<Reply> e) { return {Type::kArray, {}, 0, std::move(e)}; }
  // RESP3 types of newer hiredis versions map onto the closest RESP2 type.
  static Reply from_hiredis(const redisReply& reply);

  bool is_nil() const { return type == Type::kNil; }
  bool is_status() const { return type == Type::kStatus; }
  bool is_error() const { return type == Type::kError; }
  bool is_integer() const { return type == Type::kInteger; }
  bool is_string() const { return type == Type::kString; }
  bool is_array() const { return type == Type::kArray; }

  bool operator==(const Reply&) const = default;
  // redis-cli-like rendering for failure messages.
  std::string to_string() const;
};
std::ostream& operator<<(std::ostream& os, const Reply& reply);
std::string_view type_name(Reply::Type type);

// RESP multi-bulk encoding of a command ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n").
std::string encode_command(const std::vector<std::string>& args);
// Length of the first complete RESP reply at the start of `bytes`, or 0 when
// more bytes are needed. Throws HarnessError on a malformed type byte/length.
size_t resp_frame_length(std::string_view bytes);
// Parses exactly one complete reply (as returned by resp_frame_length); RESP3
// types map onto the nearest RESP2 type (map -> flat array, boolean -> integer,
// double -> string). Throws HarnessError when incomplete or followed by more.
Reply parse_reply(std::string_view bytes);

// Synchronous RESP client on hiredis. Each request has `timeout`; a transport
// failure throws IoError/TimeoutError and leaves the client unusable until
// reconnect(). Redis errors (-ERR ...) are ordinary replies of type kError.
class Client {
 public:
  explicit Client(uint16_t port, Duration timeout = kDefaultIoTimeout,
                  const std::string& host = kLoopback);

  Reply command(const std::vector<std::string>& args);
  // Sends every command before reading, without deadlocking when the server
  // stops reading: writes and reads are interleaved with poll(). `timeout` is
  // the longest allowed time without progress.
  std::vector<Reply> pipeline(const std::vector<std::vector<std::string>>& commands);
  // hiredis-style manual pipelining: append() buffers, get_reply() flushes and
  // reads the next reply.
  void append(const std::vector<std::string>& args);
  Reply get_reply();

  void set_timeout(Duration timeout);
  void reconnect();
  bool usable() const;
  int fd() const;
  uint16_t port() const { return port_; }

 private:
  struct ContextFree {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  void connect();
  [[noreturn]] void fail(std::string_view what);

  std::string host_;
  uint16_t port_;
  Duration timeout_;
  std::unique_ptr<redisContext, ContextFree> ctx_;
  size_t pending_ = 0;  // appended but not yet read
};

// A plain TCP socket for byte-exact protocol tests: send arbitrary bytes, read
// exactly one reply's bytes, or everything until the peer closes.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port, Duration timeout = kDefaultIoTimeout,
                         const std::string& host = kLoopback);

  // Writes all of `bytes` (throws IoError/TimeoutError).
  void send(std::string_view bytes);
  // Bytes of the next complete RESP reply (possibly already buffered).
  std::string read_reply_bytes();
  // Bytes of the next `count` replies, concatenated.
  std::string read_replies_bytes(size_t count);
  Reply read_reply();
  // Everything until EOF or reset (including already buffered bytes). Throws
  // TimeoutError (with the bytes seen) if the peer keeps it open past `timeout`.
  std::string read_until_closed();
  // True when the peer closed within `timeout`; received bytes are kept in
  // buffered().
  bool wait_closed(Duration timeout);
  // Everything that arrives within `timeout` (always waits the whole timeout
  // unless the peer closes); for "expect no reply" checks.
  std::string read_available(Duration timeout);

  void shutdown_write();
  void close() { fd_.reset(); }
  void set_timeout(Duration timeout) { timeout_ = timeout; }
  const std::string& buffered() const { return buffer_; }
  int fd() const { return fd_.get(); }

 private:
  // Reads once into buffer_; false on EOF/reset. Throws TimeoutError at `deadline`.
  bool fill(std::chrono::steady_clock::time_point deadline);

  UniqueFd fd_;
  Duration timeout_;
  std::string buffer_;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------
// Servers

// A backend as passed to the proxy: --backend host:port:weight [name].
struct BackendAddress {
  uint16_t port = 0;
  uint32_t weight = 1;
  std::string name{};  // optional twemproxy-style server name
  std::string host = kLoopback;

  std::string to_string() const;  // "127.0.0.1:7001:1" or "127.0.0.1:7001:1 name"
};

// A redis-server on a free loopback port with no persistence, in its own temp
// dir (log: redis.log there). Ready (answers PING) when the constructor returns.
class RedisServer {
 public:
  // `extra_args` are appended to the command line (e.g. {"--requirepass", "x"}).
  explicit RedisServer(std::vector<std::string> extra_args = {});
  ~RedisServer() = default;  // ChildProcess stops it, TempDir removes the dir
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const;  // "127.0.0.1:port"
  BackendAddress backend(uint32_t weight = 1, std::string name = {}) const;
  pid_t pid() const { return process_.pid(); }
  bool running() { return process_.running(); }
  std::filesystem::path dir() const { return dir_.path(); }
  std::filesystem::path log_path() const;
  std::string log() const { return read_file(log_path()); }

  ExitStatus stop(Duration grace = kDefaultStopGrace) { return process_.stop(grace); }
  ExitStatus kill9() { return process_.kill9(); }
  void sigstop();
  void sigcont();
  // Stops it if still running, then starts a fresh server on the same port and
  // directory (empty unless a SAVE left a dump.rdb there, which it loads) and
  // waits for readiness. Throws if the port was taken meanwhile.
  void restart();

  Client client(Duration timeout = kDefaultIoTimeout) const { return Client(port_, timeout); }

 private:
  void start(uint16_t port);

  std::vector<std::string> extra_args_;
  TempDir dir_;
  uint16_t port_ = 0;
  size_t log_start_ = 0;  // offset of the current run in the log
  ChildProcess process_;
};

struct ProxyOptions {
  std::vector<BackendAddress> backends{};  // each becomes --backend host:port:weight [name]
  std::vector<std::string> extra_args{};   // placed before --listen/--backend
  uint16_t port = 0;                       // 0: a free port (retried on EADDRINUSE)
  bool add_listen_arg = true;  // false: extra_args (e.g. --config) set it; then set `port`
  bool wait_ready = true;      // false: only spawn (for start-up failure tests)
  Duration ready_timeout = kDefaultReadyTimeout;
  std::vector<std::string> env{};  // "NAME=value" for the proxy's environment
  std::string binary{};            // empty: proxy_binary()
};

// The ringproxy binary, logging to proxy.log in its own temp dir. When
// wait_ready, the constructor returns once it answers PING (any reply counts,
// so -NOAUTH is fine); if it exits first, the HarnessError has its log.
class ProxyProcess {
 public:
  explicit ProxyProcess(ProxyOptions options);
  ProxyProcess(const std::vector<BackendAddress>& backends,
               std::vector<std::string> extra_args = {});
  ~ProxyProcess() = default;
  ProxyProcess(const ProxyProcess&) = delete;
  ProxyProcess& operator=(const ProxyProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  bool running() { return process_.running(); }
  const std::vector<std::string>& argv() const { return argv_; }
  std::filesystem::path log_path() const;
  std::string log() const { return read_file(log_path()); }
  std::string log_tail(size_t lines = 60) const { return tail_lines(log(), lines); }

  // Throws HarnessError (with the log) if it exits or stays silent.
  void wait_ready(Duration timeout = kDefaultReadyTimeout);
  std::optional<ExitStatus> wait_exit(Duration timeout) { return process_.wait_exit(timeout); }
  ExitStatus stop(Duration grace = kDefaultStopGrace);
  ExitStatus kill9();
  void signal(int sig) const { process_.signal(sig); }
  // Stops it and starts it again on the same port with the same arguments.
  void restart();
  // The exit status if the proxy died without stop()/kill9() being called.
  std::optional<ExitStatus> unexpected_exit();

  Client client(Duration timeout = kDefaultIoTimeout) const { return Client(port_, timeout); }
  RawConnection raw(Duration timeout = kDefaultIoTimeout) const {
    return RawConnection(port_, timeout);
  }

 private:
  void spawn();
  std::string failure_message(std::string_view what) const;

  ProxyOptions options_;
  TempDir dir_;
  uint16_t port_ = 0;
  std::vector<std::string> argv_;
  ChildProcess process_;
  bool stopped_on_purpose_ = false;
};

// ---------------------------------------------------------------------------
// Fixture

// N redis backends (default 3) and a proxy over them. Customise by overriding
// the virtual hooks; they are read in SetUp(). TearDown() fails the test if
// the proxy crashed or does not exit cleanly on SIGTERM (exit code 0 or death
// by SIGTERM; under ASan this is where leaks are reported), and prints the
// proxy log tail whenever the test failed.
class ClusterTest : public ::testing::Test {
 protected:
  virtual size_t backend_count() const { return 3; }
  virtual uint32_t backend_weight(size_t /*index*/) const { return 1; }
  virtual std::vector<std::string> backend_args(size_t /*index*/) const { return {}; }
  virtual std::vector<std::string> proxy_args() const { return {}; }
  // Last chance to adjust the proxy's options (binary, env, names...).
  virtual void customize_proxy(ProxyOptions& /*options*/) const {}
  virtual bool start_proxy_in_setup() const { return true; }
  virtual bool check_proxy_exit() const { return true; }

  void SetUp() override;
  void TearDown() override;

  RedisServer& backend(size_t index);
  std::vector<BackendAddress> backend_addresses() const;
  Client backend_client(size_t index, Duration timeout = kDefaultIoTimeout);
  // Indices of the backends on which `key` exists (EXISTS on each running one).
  std::vector<size_t> backends_holding(const std::string& key);

  ProxyProcess& proxy();
  Client proxy_client(Duration timeout = kDefaultIoTimeout);
  RawConnection proxy_raw(Duration timeout = kDefaultIoTimeout);
  // (Re)starts the proxy over the current backends with proxy_args() + `more_args`.
  void start_proxy(const std::vector<std::string>& more_args = {});
  // Stops the proxy and checks its exit as TearDown() would.
  void stop_proxy();

  std::vector<std::unique_ptr<RedisServer>> backends_;
  std::unique_ptr<ProxyProcess> proxy_;
};

}  // namespace ringproxy::testing
