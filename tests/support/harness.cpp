// Utilities of the process harness: ports, files, binaries, temporary
// directories.
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

}  // namespace ringproxy::testing
