// The processes integration tests run: RedisServer, ProxyProcess and the
// ClusterTest fixture.
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
