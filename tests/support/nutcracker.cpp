// See nutcracker.hpp.
#include "nutcracker.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>

namespace ringproxy::testing {

namespace fs = std::filesystem;

std::string nutcracker_binary() {
  if (const char* env = std::getenv("NUTCRACKER"); env && *env) return find_executable(env);
  std::string bin = find_executable("nutcracker");
  if (bin.empty()) bin = find_executable("/usr/sbin/nutcracker");
  return bin;
}

// A key or value made printable for failure messages.
std::string show(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out + "\"";
}

namespace {

// Any reply counts: -NOAUTH from a pool with redis_auth means it is serving.
bool answers_ping(uint16_t port) {
  try {
    Client c(port, Duration(500));
    const Reply r = c.command({"PING"});
    return r == Reply::make_status("PONG") || r.is_error();
  } catch (const HarnessError&) {
    return false;
  }
}

}  // namespace

Nutcracker::Nutcracker(const fs::path& dir, const std::function<std::string(uint16_t)>& make_yaml,
                       const std::vector<std::string>& extra_args)
    : yaml_path_(dir / "nutcracker.yml"), log_path_(dir / "nutcracker.log") {
  const std::string bin = nutcracker_binary();
  if (bin.empty()) throw HarnessError("nutcracker not found");
  std::string last_log;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    stats_port_ = free_port();
    std::ofstream(yaml_path_, std::ios::trunc) << make_yaml(port_);
    std::vector<std::string> argv = {
        bin,       "-c", yaml_path_.string(), "-s", std::to_string(stats_port_), "-a",
        kLoopback, "-o", log_path_.string()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    process_ = ChildProcess(argv, dir / "nutcracker.out");
    const bool ready = wait_until([&] { return !process_.running() || answers_ping(port_); },
                                  kDefaultReadyTimeout);
    if (ready && process_.running()) return;
    process_.stop();
    last_log = read_file(log_path_) + read_file(dir / "nutcracker.out");
    // Another process may have taken one of the ports: try new ones.
    if (last_log.find("already in use") == std::string::npos) break;
  }
  throw HarnessError("nutcracker did not start:\n" + tail_lines(last_log, 20));
}

std::vector<std::string> make_keys(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  auto rand_bytes = [&](size_t len, int lo, int hi) {
    std::uniform_int_distribution<int> byte(lo, hi);
    std::string s;
    for (size_t i = 0; i < len; ++i) s.push_back(static_cast<char>(byte(rng)));
    return s;
  };
  std::uniform_int_distribution<size_t> short_len(1, 40);
  std::uniform_int_distribution<size_t> long_len(100, 300);
  std::set<std::string> seen;
  std::vector<std::string> keys;
  auto add = [&](std::string k) {
    if (keys.size() < count && seen.insert(k).second) keys.push_back(std::move(k));
  };
  add("");
  for (const char* k :
       {"foo", "bar", "x{}y", "{a", "a{b}c{d}", "\xc3\xa9t\xc3\xa9", "placeholder"}) {
    add(k);
  }
  const size_t quarter = count / 4;
  for (size_t i = 1; keys.size() < quarter; ++i) {
    add("user:" + std::to_string(i));
    add("k" + std::to_string(i));
    add(rand_bytes(short_len(rng), 0x20, 0x7e));
  }
  while (keys.size() < 2 * quarter) add(rand_bytes(short_len(rng), 0, 255));
  for (size_t i = 0; keys.size() < 3 * quarter; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 6) {
      case 0:
        add("{user" + n + "}:a");
        break;
      case 1:
        add("{user" + n + "}:b");
        break;
      case 2:
        add("{" + rand_bytes(short_len(rng), 0x80, 0xff) + "}" + n);
        break;
      case 3:
        add("pre{" + n + "}post{x}");
        break;
      case 4:
        add("{}" + n);
        break;
      default:
        add(n + "{");
        break;
    }
  }
  while (keys.size() < count) add(rand_bytes(long_len(rng), 0, 255));
  return keys;
}

}  // namespace ringproxy::testing
