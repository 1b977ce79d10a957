// Running as a service (issue 18): --daemonize returns once the daemon
// listens (or with its start-up error), --pid-file names the daemon and is
// removed at exit and refused while it names a running process, and
// --check-config prints the ring.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

bool alive(pid_t pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}

// SIGKILLs a daemon the test started if it is still there at the end.
struct DaemonGuard {
  pid_t pid = -1;
  ~DaemonGuard() {
    if (alive(pid)) ::kill(pid, SIGKILL);
  }
};

pid_t read_pid(const std::filesystem::path& path) {
  std::ifstream in(path);
  long pid = -1;
  in >> pid;
  return static_cast<pid_t>(pid);
}

TEST(Daemonize, ReturnsOnceListeningWritesAndRemovesThePidFile) {
  RedisServer backend;
  TempDir dir("daemon");
  const uint16_t port = free_port();
  const auto pid_file = dir.path() / "ringproxy.pid";
  const auto log_file = dir.path() / "ringproxy.log";
  // Relative paths: the daemon runs in / and must still find them.
  RunOptions options;
  options.cwd = dir.path();
  const CommandResult r = run_command(
      {proxy_binary(), "--daemonize", "--pid-file", "ringproxy.pid", "--log-file", "ringproxy.log",
       "--listen", "127.0.0.1:" + std::to_string(port), "-b", backend.backend().to_string()},
      options);
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  DaemonGuard guard{read_pid(pid_file)};
  ASSERT_TRUE(alive(guard.pid)) << read_file(pid_file) << read_file(log_file);
  // Listening when the starter returned: no wait needed.
  Client c(port);
  EXPECT_EQ(c.command({"SET", "k", "v"}), Reply::make_status("OK"));
  EXPECT_EQ(c.command({"GET", "k"}), Reply::make_string("v"));
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(guard.pid) + "/cwd"), "/");
  EXPECT_NE(read_file(log_file).find("listening on"), std::string::npos) << read_file(log_file);

  ::kill(guard.pid, SIGTERM);
  EXPECT_TRUE(wait_until([&] { return !alive(guard.pid); }, Duration(5000)));
  EXPECT_FALSE(std::filesystem::exists(pid_file));
  EXPECT_NE(read_file(log_file).find("SIGTERM received: shutting down"), std::string::npos);
}

TEST(Daemonize, AStartupErrorReachesTheTerminalAndTheExitStatus) {
  TempDir dir("daemon");
  RedisServer holder;  // a port in use
  const CommandResult r =
      run_command({proxy_binary(), "--daemonize", "--pid-file", (dir.path() / "p.pid").string(),
                   "--listen", holder.address(), "-b", "127.0.0.1:7001"});
  EXPECT_EQ(r.exit_code(), 1) << r.describe();
  EXPECT_NE(r.err.find("ringproxy: "), std::string::npos) << r.describe();
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "p.pid"));
}

TEST(PidFile, RefusedWhileItNamesARunningProcess) {
  TempDir dir("pidfile");
  const auto pid_file = dir.path() / "ringproxy.pid";
  std::ofstream(pid_file) << ::getpid() << "\n";  // this test process: running
  const CommandResult r =
      run_command({proxy_binary(), "--pid-file", pid_file.string(), "--listen",
                   "127.0.0.1:" + std::to_string(free_port()), "-b", "127.0.0.1:7001"});
  EXPECT_EQ(r.exit_code(), 1) << r.describe();
  EXPECT_NE(r.err.find("which is running"), std::string::npos) << r.err;
  EXPECT_EQ(read_pid(pid_file), ::getpid()) << "left as it was";
}

class PidFileProxy : public ClusterTest {
 protected:
  size_t backend_count() const override { return 1; }
  std::vector<std::string> proxy_args() const override {
    return {"--pid-file", pid_file_.string()};
  }
  void SetUp() override {
    // A stale file: its pid is not running (the proxy takes it over).
    std::ofstream(pid_file_) << "999999\n";
    ASSERT_FALSE(alive(999999));
    ClusterTest::SetUp();
  }
  TempDir dir_{"pidfile"};
  std::filesystem::path pid_file_ = dir_.path() / "ringproxy.pid";
};

TEST_F(PidFileProxy, HoldsThePidWhileRunningAndGoesAtExit) {
  EXPECT_EQ(read_pid(pid_file_), proxy().pid());
  stop_proxy();
  EXPECT_FALSE(std::filesystem::exists(pid_file_));
}

// conf/logrotate.d/ringproxy as shipped, its paths moved into a temp dir:
// the old file keeps the lines before the rotation, the proxy reopens the new.
TEST(Logrotate, TheShippedConfigRotatesAndTheProxyReopens) {
  std::string logrotate = find_executable("logrotate");
  if (logrotate.empty()) logrotate = find_executable("/usr/sbin/logrotate");
  if (logrotate.empty()) GTEST_SKIP() << "logrotate is not installed";
  RedisServer backend;
  TempDir dir("logrotate");
  const std::string d = dir.path().string();
  std::string conf = read_file(source_dir() / "conf/logrotate.d/ringproxy");
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t at = conf.find(from); at != std::string::npos; at = conf.find(from, at + to.size()))
      conf.replace(at, from.size(), to);
  };
  replace_all("/var/log/ringproxy/", d + "/");
  replace_all("/run/ringproxy.pid", d + "/ringproxy.pid");
  replace_all("create 0644 ringproxy ringproxy", "create 0644");
  std::ofstream(dir.path() / "logrotate.conf") << conf;

  ProxyOptions options;
  options.backends = {backend.backend()};
  options.extra_args = {"--log-file", d + "/ringproxy.log", "--pid-file", d + "/ringproxy.pid"};
  ProxyProcess proxy(options);
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir.path() / "ringproxy.pid"); },
                         Duration(5000)));
  const CommandResult r = run_command({logrotate, "-f", "-s", d + "/state", d + "/logrotate.conf"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(wait_until(
      [&] { return read_file(dir.path() / "ringproxy.log").find("reopened") != std::string::npos; },
      Duration(5000)))
      << read_file(dir.path() / "ringproxy.log");
  EXPECT_NE(read_file(dir.path() / "ringproxy.log.1").find("SIGUSR1 received"), std::string::npos);
  EXPECT_EQ(proxy.client().command({"PING"}), Reply::make_status("PONG"));
}

TEST(CheckConfig, PrintsTheRing) {
  const CommandResult r =
      run_command({proxy_binary(), "--check-config", "-b", "127.0.0.1:7001:1 cache-a", "-b",
                   "127.0.0.1:7002:3", "--hash-tag", "{}"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.out.find("\n# ring: ketama, hash murmur, hash tag \"{}\", 2 members, 320 points\n"
                       "# member cache-a 127.0.0.1:7001 weight=1 points=80\n"
                       "# member 127.0.0.1:7002 127.0.0.1:7002 weight=3 points=240\n"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace ringproxy::testing
