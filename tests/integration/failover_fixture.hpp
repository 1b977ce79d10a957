// The fixture shared by the failover tests (failover_test.cpp, failover_rejoin_test.cpp):
// fast health settings, a load thread recording every error, and PROXY NODES parsing.
// See failover_test.cpp for what the timing bounds mean.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace ringproxy::testing {

using Clock = std::chrono::steady_clock;

inline constexpr int kIntervalMs = 100;
inline constexpr int kHealthTimeoutMs = 100;
inline constexpr int kTimeoutMs = 500;
inline constexpr int kFailureLimit = 3;
inline constexpr int kRise = 2;

// Theoretical worst case from the first failure to ejection: every failed
// probe can take an interval plus its timeout, and a request may have to time
// out before anything is noticed.
inline constexpr int kEjectTheoryMs = kFailureLimit * (kIntervalMs + kHealthTimeoutMs) + kTimeoutMs;
inline constexpr Duration kEjectBound{3 * kEjectTheoryMs + 1000};
// Rejoin: `rise` good probes plus the flush round trip.
inline constexpr int kRejoinTheoryMs = (kRise + 1) * (kIntervalMs + kHealthTimeoutMs);
inline constexpr Duration kRejoinBound{3 * kRejoinTheoryMs + 1000};
// No client request may take longer than the request timeout (plus slack).
inline constexpr Duration kLatencyBound{3 * kTimeoutMs + 1000};

inline const Reply kOk = Reply::make_status("OK");

inline double ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 1e3;
}

inline void report(const std::string& name, double value_ms) {
  std::cout << "[ measured ] " << name << " = " << value_ms << " ms" << std::endl;
  ::testing::Test::RecordProperty(name, std::to_string(static_cast<long long>(value_ms)));
}

inline std::vector<std::string> make_keys(std::string_view prefix, size_t n) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; ++i) keys.push_back(std::string(prefix) + std::to_string(i));
  return keys;
}

// ---------------------------------------------------------------------------
// PROXY NODES

struct Node {
  std::map<std::string, std::string> fields;

  const std::string& get(const std::string& key) const {
    auto it = fields.find(key);
    if (it == fields.end()) throw HarnessError("PROXY NODES line without " + key);
    return it->second;
  }
  const std::string& state() const { return get("state"); }
  long long num(const std::string& key) const { return std::stoll(get(key)); }
};

// One PROXY NODES line: key=value fields; last_error runs to the end.
inline Node parse_node(const std::string& line) {
  Node n;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t eq = line.find('=', pos);
    if (eq == std::string::npos) throw HarnessError("bad PROXY NODES line: " + line);
    std::string key = line.substr(pos, eq - pos);
    size_t end = key == "last_error" ? line.size() : line.find(' ', eq);
    if (end == std::string::npos) end = line.size();
    n.fields[key] = line.substr(eq + 1, end - eq - 1);
    pos = end + 1;
  }
  return n;
}

inline std::vector<Node> parse_nodes(const Reply& r) {
  if (!r.is_array()) throw HarnessError("PROXY NODES did not answer an array: " + r.to_string());
  std::vector<Node> out;
  for (const Reply& e : r.elements) {
    if (!e.is_string()) throw HarnessError("PROXY NODES element is not a string: " + r.to_string());
    out.push_back(parse_node(e.str));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Load

// SET key <unique value> then GET key, over a fixed key set, until stopped.
// A pair is an error if either reply is not what a healthy cache gives (OK,
// then the value just written), or the transport fails.
class Load {
 public:
  struct Error {
    size_t key;
    Clock::time_point start;  // when the pair's SET was sent
    std::string what;
  };

  Load(uint16_t port, std::vector<std::string> keys) : port_(port), keys_(std::move(keys)) {
    thread_ = std::thread([this] { run(); });
  }
  ~Load() { stop(); }
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Waits for `n` more complete passes over the key set.
  void wait_passes(int n, Duration timeout = Duration(30000)) {
    uint64_t target = passes_.load() + static_cast<uint64_t>(n);
    if (!wait_until([&] { return passes_.load() >= target; }, timeout)) {
      throw HarnessError("the load made no progress for " + std::to_string(timeout.count()) +
                         " ms");
    }
  }
  std::vector<Error> errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }
  uint64_t pairs() const { return pairs_.load(); }
  double max_latency_ms() const { return max_latency_us_.load() / 1e3; }
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  void run() {
    std::optional<Client> c;
    uint64_t seq = 0;
    while (!stop_) {
      for (size_t i = 0; i < keys_.size() && !stop_; ++i) {
        std::string value = "v" + std::to_string(++seq);
        Clock::time_point start = Clock::now();
        std::string what;
        try {
          if (!c) c.emplace(port_, Duration(5000));
          Reply r = timed([&] { return c->command({"SET", keys_[i], value}); });
          if (r != kOk) {
            what = "SET -> " + r.to_string();
          } else {
            Reply g = timed([&] { return c->command({"GET", keys_[i]}); });
            if (g != Reply::make_string(value)) what = "GET -> " + g.to_string();
          }
        } catch (const HarnessError& e) {
          what = std::string("transport: ") + e.what();
          c.reset();
          std::this_thread::sleep_for(Duration(10));  // do not spin on a refused connect
        }
        pairs_++;
        if (!what.empty()) {
          std::lock_guard<std::mutex> lock(mu_);
          errors_.push_back({i, start, std::move(what)});
        }
      }
      passes_++;
    }
  }
  template <typename F>
  Reply timed(F&& f) {
    auto t0 = Clock::now();
    Reply r = f();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    uint64_t prev = max_latency_us_.load();
    while (static_cast<uint64_t>(us) > prev &&
           !max_latency_us_.compare_exchange_weak(prev, static_cast<uint64_t>(us))) {
    }
    return r;
  }

  uint16_t port_;
  std::vector<std::string> keys_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> passes_{0};
  std::atomic<uint64_t> pairs_{0};
  std::atomic<uint64_t> max_latency_us_{0};
  mutable std::mutex mu_;
  std::vector<Error> errors_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------
// Fixture

class FailoverTest : public ClusterTest {
 protected:
  bool start_proxy_in_setup() const override { return false; }
  void customize_proxy(ProxyOptions& options) const override {
    for (size_t i = 0; i < options.backends.size(); ++i) {
      options.backends[i].name = "cache" + std::to_string(i);
    }
  }

  // Starts the proxy with the fast health settings; `overrides` replace or add
  // options ({"--rise", "5"}).
  void start(const std::map<std::string, std::string>& overrides = {}) {
    std::map<std::string, std::string> opts = {
        {"--health-interval-ms", std::to_string(kIntervalMs)},
        {"--health-timeout-ms", std::to_string(kHealthTimeoutMs)},
        {"--timeout-ms", std::to_string(kTimeoutMs)},
        {"--failure-limit", std::to_string(kFailureLimit)},
        {"--rise", std::to_string(kRise)},
    };
    for (const auto& [k, v] : overrides) opts[k] = v;
    std::vector<std::string> args;
    for (const auto& [k, v] : opts) {
      args.push_back(k);
      args.push_back(v);
    }
    start_proxy(args);
    control_.emplace(proxy().port(), Duration(5000));
  }

  Client& control() { return *control_; }
  std::vector<Node> nodes() { return parse_nodes(control().command({"PROXY", "NODES"})); }

  // Polls PROXY NODES until backend `i` is in `state`; returns when that was
  // first seen. Fails the test (throws) on timeout.
  Clock::time_point wait_state(size_t i, const std::string& state, Duration timeout) {
    std::string last;
    bool ok = wait_until(
        [&] {
          last = nodes().at(i).state();
          return last == state;
        },
        timeout, Duration(5));
    if (!ok) {
      throw HarnessError("backend " + std::to_string(i) + " not " + state + " within " +
                         std::to_string(timeout.count()) + " ms (last state " + last + ")");
    }
    return Clock::now();
  }

  // The backend holding each key, asked of every backend in `among` (EXISTS,
  // pipelined). A key on no backend gets SIZE_MAX; on several, a failure.
  std::vector<size_t> owners(const std::vector<std::string>& keys, std::vector<size_t> among = {}) {
    if (among.empty()) {
      for (size_t i = 0; i < backends_.size(); ++i) among.push_back(i);
    }
    std::vector<size_t> owner(keys.size(), SIZE_MAX);
    for (size_t b : among) {
      Client c = backend_client(b, Duration(5000));
      std::vector<std::vector<std::string>> cmds;
      for (const auto& k : keys) cmds.push_back({"EXISTS", k});
      std::vector<Reply> rs = c.pipeline(cmds);
      for (size_t k = 0; k < keys.size(); ++k) {
        if (rs[k] != Reply::make_integer(1)) continue;
        EXPECT_EQ(owner[k], SIZE_MAX) << keys[k] << " is on backends " << owner[k] << " and " << b;
        owner[k] = b;
      }
    }
    return owner;
  }

  // SETs every key through the proxy (value = "val:" + key) and returns owners.
  std::vector<size_t> fill(const std::vector<std::string>& keys) {
    std::vector<std::vector<std::string>> cmds;
    for (const auto& k : keys) cmds.push_back({"SET", k, "val:" + k});
    Client c = proxy_client();
    for (const Reply& r : c.pipeline(cmds)) EXPECT_EQ(r, kOk);
    std::vector<size_t> o = owners(keys);
    for (size_t k = 0; k < keys.size(); ++k) EXPECT_NE(o[k], SIZE_MAX) << keys[k];
    return o;
  }

  // Keys (from a pool named `prefix`) whose home is backend `b`.
  std::vector<std::string> keys_homed_at(size_t b, size_t count, std::string_view prefix) {
    std::vector<std::string> pool = make_keys(prefix, count * backends_.size() * 4);
    std::vector<size_t> o = fill(pool);
    std::vector<std::string> out;
    for (size_t k = 0; k < pool.size() && out.size() < count; ++k) {
      if (o[k] == b) out.push_back(pool[k]);
    }
    if (out.size() < count) throw HarnessError("not enough keys homed at backend");
    // Remove the pool again so it does not look like failover-era data.
    Client c = proxy_client();
    std::vector<std::vector<std::string>> dels;
    for (const auto& k : pool) dels.push_back({"DEL", k});
    c.pipeline(dels);
    return out;
  }

  // Load errors on keys whose owner is not `victim` (must be none).
  static void expect_no_errors_outside(const Load& load, const std::vector<size_t>& owner,
                                       const std::set<size_t>& victims) {
    size_t shown = 0;
    size_t count = 0;
    for (const Load::Error& e : load.errors()) {
      if (victims.count(owner[e.key])) continue;
      ++count;
      if (shown++ < 5) {
        ADD_FAILURE() << "healthy key " << load.keys()[e.key] << " (backend " << owner[e.key]
                      << ") failed: " << e.what;
      }
    }
    EXPECT_EQ(count, 0u) << "errors on keys of healthy backends";
  }

  // Errors on keys of `victim` whose pair started inside [from, to).
  static std::vector<Load::Error> errors_between(const Load& load, const std::vector<size_t>& owner,
                                                 size_t victim, Clock::time_point from,
                                                 Clock::time_point to) {
    std::vector<Load::Error> out;
    for (const Load::Error& e : load.errors()) {
      if (owner[e.key] == victim && e.start >= from && e.start < to) out.push_back(e);
    }
    return out;
  }

  static std::string describe(const std::vector<Load::Error>& errors, size_t max = 5) {
    std::string s;
    for (size_t i = 0; i < errors.size() && i < max; ++i) s += "\n  " + errors[i].what;
    return s;
  }

  // The state-change log lines of backend `i` as "from->to", in order. Checks
  // that they form a chain starting at "up" (each change logged exactly once,
  // in the order it happened).
  std::vector<std::string> transitions(size_t i) {
    // "... backend 127.0.0.1:PORT (name): from -> to (reason)"
    const std::string prefix =
        "backend " + backend(i).address() + " (cache";  // see customize_proxy
    std::vector<std::string> out;
    std::string current = "up";
    std::istringstream in(proxy().log());
    std::string line;
    while (std::getline(in, line)) {
      size_t at = line.find(prefix);
      if (at == std::string::npos) continue;
      size_t colon = line.find(": ", at + prefix.size());
      size_t arrow = line.find(" -> ", at + prefix.size());
      if (colon == std::string::npos || arrow == std::string::npos || arrow < colon) continue;
      std::string from = line.substr(colon + 2, arrow - colon - 2);
      size_t end = line.find(' ', arrow + 4);
      std::string to = line.substr(arrow + 4, end == std::string::npos ? end : end - arrow - 4);
      EXPECT_EQ(from, current) << "state log out of order: " << line;
      current = to;
      out.push_back(from + "->" + to);
    }
    return out;
  }
  static size_t count(const std::vector<std::string>& v, const std::string& x) {
    return static_cast<size_t>(std::count(v.begin(), v.end(), x));
  }
  static size_t count_to(const std::vector<std::string>& v, const std::string& to) {
    return static_cast<size_t>(std::count_if(v.begin(), v.end(), [&](const std::string& t) {
      return t.size() > to.size() && t.compare(t.size() - to.size(), to.size(), to) == 0 &&
             t[t.size() - to.size() - 1] == '>';
    }));
  }

  std::optional<Client> control_;
};

}  // namespace ringproxy::testing
