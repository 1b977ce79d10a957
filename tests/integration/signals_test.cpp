// Signals as an operator sends them (issue 18): every common one leaves the
// proxy serving and is logged by name; SIGUSR1 and SIGHUP reopen --log-file
// after a rotation renamed it; SIGTTIN/SIGTTOU move the log level;
// SIGTERM/SIGINT drain clients' requests in flight (bounded by
// --shutdown-timeout-ms) and exit 0, a second one exits at once.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

bool log_has(const std::filesystem::path& path, const std::string& text) {
  return read_file(path).find(text) != std::string::npos;
}

bool wait_log(const std::filesystem::path& path, const std::string& text,
              Duration timeout = Duration(5000)) {
  return wait_until([&] { return log_has(path, text); }, timeout);
}

class Signals : public ClusterTest {
 protected:
  size_t backend_count() const override { return 1; }
  std::vector<std::string> proxy_args() const override { return {"--log-level", "debug"}; }
};

TEST_F(Signals, CommonSignalsLeaveTheProxyServingAndAreLoggedByName) {
  Client c = proxy_client();
  // (signal, what the log says; "" for SIGPIPE, which is ignored outright)
  const std::vector<std::pair<int, std::string>> cases = {
      {SIGHUP, "SIGHUP received: reopening the log file"},
      {SIGUSR1, "SIGUSR1 received: reopening the log file"},
      {SIGUSR2, "SIGUSR2 received: ignored"},
      {SIGWINCH, "SIGWINCH received: ignored"},
      {SIGTTOU, "SIGTTOU received: log level debug -> info"},
      {SIGTTIN, "SIGTTIN received: log level info -> debug"},
      {SIGPIPE, ""},
  };
  for (const auto& [sig, line] : cases) {
    proxy().signal(sig);
    if (!line.empty()) {
      EXPECT_TRUE(wait_log(proxy().log_path(), line)) << line << "\n" << proxy().log_tail();
    }
    ASSERT_TRUE(proxy().running()) << "killed by " << sig << "\n" << proxy().log_tail();
    EXPECT_EQ(c.command({"SET", "k", std::to_string(sig)}), Reply::make_status("OK"));
    EXPECT_EQ(c.command({"GET", "k"}), Reply::make_string(std::to_string(sig)));
  }
}

// Standard signals do not queue (two SIGTTOUs pending are one), so each is
// sent once the line of the one before is in the log.
class LogLevelSignals : public ClusterTest {
 protected:
  size_t backend_count() const override { return 1; }
};

TEST_F(LogLevelSignals, TtinAndTtouStopAtTheEnds) {
  for (const char* step : {"info -> warn", "warn -> error", "error -> error"}) {
    proxy().signal(SIGTTOU);
    ASSERT_TRUE(wait_log(proxy().log_path(), std::string("SIGTTOU received: log level ") + step))
        << step << "\n"
        << proxy().log_tail();
  }
  // At error, SIGUSR1's info line is held back. Sent before SIGTTIN, it is
  // handled first (pending together, the lower number is delivered first).
  proxy().signal(SIGUSR1);
  for (const char* step : {"error -> warn", "warn -> info", "info -> debug", "debug -> debug"}) {
    proxy().signal(SIGTTIN);
    ASSERT_TRUE(wait_log(proxy().log_path(), std::string("SIGTTIN received: log level ") + step))
        << step << "\n"
        << proxy().log_tail();
  }
  EXPECT_FALSE(log_has(proxy().log_path(), "SIGUSR1")) << proxy().log_tail();
  EXPECT_EQ(proxy_client().command({"PING"}), Reply::make_status("PONG"));
}

class LogFile : public ClusterTest {
 protected:
  size_t backend_count() const override { return 1; }
  std::vector<std::string> proxy_args() const override {
    return {"--log-file", log_file_.string()};
  }
  TempDir dir_{"logfile"};
  std::filesystem::path log_file_ = dir_.path() / "ringproxy.log";
};

TEST_F(LogFile, Usr1AndHupReopenItAfterARotation) {
  ASSERT_TRUE(wait_log(log_file_, "listening on")) << read_file(log_file_);
  // stderr is the file: nothing but the harness's own lines in its capture.
  EXPECT_FALSE(log_has(proxy().log_path(), "listening on")) << proxy().log();
  for (int sig : {SIGUSR1, SIGHUP}) {
    const std::string name = sig == SIGUSR1 ? "SIGUSR1" : "SIGHUP";
    const auto rotated = dir_.path() / ("ringproxy.log." + name);
    std::filesystem::rename(log_file_, rotated);
    proxy().signal(sig);
    ASSERT_TRUE(wait_log(log_file_, "reopened")) << name << ": " << read_file(rotated);
    // The line about the signal went to the old file, before the reopen.
    EXPECT_TRUE(log_has(rotated, name + " received: reopening the log file")) << read_file(rotated);
    EXPECT_FALSE(log_has(log_file_, name + " received")) << read_file(log_file_);
  }
  EXPECT_EQ(proxy_client().command({"PING"}), Reply::make_status("PONG"));
}

TEST(LogFileStartup, AnUnwritableLogFileIsAStartupError) {
  TempDir dir("logfile");
  const CommandResult r = run_command({proxy_binary(), "-b", "127.0.0.1:7001", "--log-file",
                                       (dir.path() / "missing-dir" / "x.log").string()});
  EXPECT_EQ(r.exit_code(), 2) << r.describe();
  EXPECT_NE(r.err.find("cannot open log file"), std::string::npos) << r.err;
}

// Requests in flight at SIGTERM: the backend is SIGSTOPped so a GET waits.
class GracefulShutdown : public ClusterTest {
 protected:
  size_t backend_count() const override { return 1; }
  std::vector<std::string> proxy_args() const override {
    return {"--timeout-ms",       "0", "--health-interval-ms", "600000", "--shutdown-timeout-ms",
            shutdown_timeout_ms()};
  }
  virtual std::string shutdown_timeout_ms() const { return "60000"; }
  bool check_proxy_exit() const override { return false; }

  // A client with a GET in flight to the stopped backend.
  RawConnection get_in_flight() {
    EXPECT_EQ(proxy_client().command({"SET", "k", "v"}), Reply::make_status("OK"));
    backend(0).sigstop();
    RawConnection raw = proxy_raw();
    raw.send(encode_command({"GET", "k"}));
    EXPECT_EQ(raw.read_available(Duration(100)), "");
    return raw;
  }

  bool accepts_connections() {
    try {
      Client c(proxy().port(), Duration(500));
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }
};

TEST_F(GracefulShutdown, TermLetsRequestsInFlightFinishThenExits0) {
  RawConnection raw = get_in_flight();
  Client idle = proxy_client();
  proxy().signal(SIGTERM);
  ASSERT_TRUE(wait_log(proxy().log_path(), "SIGTERM received: shutting down"))
      << proxy().log_tail();
  EXPECT_FALSE(accepts_connections());
  // The idle client is closed; the proxy waits for the one with a request.
  EXPECT_FALSE(proxy().wait_exit(Duration(300)).has_value()) << proxy().log_tail();
  backend(0).sigcont();
  EXPECT_EQ(raw.read_reply(), Reply::make_string("v"));
  EXPECT_TRUE(raw.wait_closed(Duration(5000)));
  const auto status = proxy().wait_exit(Duration(5000));
  ASSERT_TRUE(status.has_value()) << proxy().log_tail();
  EXPECT_TRUE(status->clean()) << *status << "\n" << proxy().log_tail();
  EXPECT_TRUE(log_has(proxy().log_path(), "every client is done: exiting")) << proxy().log_tail();
  proxy_.reset();  // it exited as it should
}

TEST_F(GracefulShutdown, ASecondSignalExitsAtOnce) {
  RawConnection raw = get_in_flight();
  proxy().signal(SIGINT);
  ASSERT_TRUE(wait_log(proxy().log_path(), "SIGINT received: shutting down")) << proxy().log_tail();
  EXPECT_FALSE(proxy().wait_exit(Duration(300)).has_value());
  proxy().signal(SIGTERM);
  const auto status = proxy().wait_exit(Duration(5000));
  ASSERT_TRUE(status.has_value()) << proxy().log_tail();
  EXPECT_TRUE(status->clean()) << *status;
  EXPECT_TRUE(log_has(proxy().log_path(), "SIGTERM received again: exiting now"));
  backend(0).sigcont();
  proxy_.reset();
}

class ShutdownTimeout : public GracefulShutdown {
 protected:
  std::string shutdown_timeout_ms() const override { return "200"; }
};

TEST_F(ShutdownTimeout, BoundsTheWaitForRequestsInFlight) {
  RawConnection raw = get_in_flight();
  proxy().signal(SIGTERM);
  const auto status = proxy().wait_exit(Duration(5000));
  ASSERT_TRUE(status.has_value()) << proxy().log_tail();
  EXPECT_TRUE(status->clean()) << *status;
  EXPECT_TRUE(log_has(proxy().log_path(),
                      "--shutdown-timeout-ms (200) passed: closing 1 clients with 1 requests"))
      << proxy().log_tail();
  EXPECT_TRUE(raw.wait_closed(Duration(1000)));
  backend(0).sigcont();
  proxy_.reset();
}

}  // namespace
}  // namespace ringproxy::testing
