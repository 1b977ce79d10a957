// Issue 4: health checks, failover, rejoin and their visibility, against real
// redis-server processes with a client load running throughout.
//
// Every test runs the proxy with fast health settings (probe every 100 ms,
// 100 ms probe timeout, 500 ms request timeout, eject after 3 failures, rejoin
// after 2 good probes) and a load thread that SETs then GETs a fixed key set
// through the proxy, recording every error with the time its SET was sent.
// Owners of keys are found by asking every backend directly (EXISTS), never by
// re-implementing the ring in the test.
//
// Timing: nothing asserts a tight bound. Measured failover/rejoin times are
// printed (and recorded as test properties); the asserted bounds are 3x the
// theoretical value + 1 s so that a loaded 2-core CI machine cannot miss them.
// Errors are attributed by *observation*: once a test has seen (through PROXY
// NODES) that the proxy ejected or readmitted a backend, any request sent
// after that point is routed with the new state, because the proxy is one
// event loop. So "no error after the observed ejection" is exact, not timed.
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
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;

constexpr int kIntervalMs = 100;
constexpr int kHealthTimeoutMs = 100;
constexpr int kTimeoutMs = 500;
constexpr int kFailureLimit = 3;
constexpr int kRise = 2;

// Theoretical worst case from the first failure to ejection: every failed
// probe can take an interval plus its timeout, and a request may have to time
// out before anything is noticed.
constexpr int kEjectTheoryMs = kFailureLimit * (kIntervalMs + kHealthTimeoutMs) + kTimeoutMs;
constexpr Duration kEjectBound{3 * kEjectTheoryMs + 1000};
// Rejoin: `rise` good probes plus the flush round trip.
constexpr int kRejoinTheoryMs = (kRise + 1) * (kIntervalMs + kHealthTimeoutMs);
constexpr Duration kRejoinBound{3 * kRejoinTheoryMs + 1000};
// No client request may take longer than the request timeout (plus slack).
constexpr Duration kLatencyBound{3 * kTimeoutMs + 1000};

const Reply kOk = Reply::make_status("OK");

double ms(Clock::duration d) {
  return duration_cast<std::chrono::microseconds>(d).count() / 1e3;
}

void report(const std::string& name, double value_ms) {
  std::cout << "[ measured ] " << name << " = " << value_ms << " ms" << std::endl;
  ::testing::Test::RecordProperty(name, std::to_string(static_cast<long long>(value_ms)));
}

std::vector<std::string> make_keys(std::string_view prefix, size_t n) {
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
Node parse_node(const std::string& line) {
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

std::vector<Node> parse_nodes(const Reply& r) {
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
    auto us = duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
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

// ---------------------------------------------------------------------------
// kill -9, ejection, keys of healthy backends stay put, restart, rejoin

TEST_F(FailoverTest, Kill9EjectsWithinBoundHealthyKeysNeverMoveAndRestartRejoins) {
  start();
  constexpr size_t victim = 1;
  std::vector<std::string> stat = make_keys("static:", 2000);
  std::vector<size_t> stat_owner = fill(stat);
  std::vector<std::string> load_keys = make_keys("load:", 300);
  std::vector<size_t> load_owner = fill(load_keys);
  ASSERT_GT(std::count(stat_owner.begin(), stat_owner.end(), victim), 200);

  Load load(proxy().port(), load_keys);
  load.wait_passes(2);
  ASSERT_TRUE(load.errors().empty()) << describe(load.errors());

  Clock::time_point t_kill = Clock::now();
  backend(victim).kill9();
  Clock::time_point t_down = wait_state(victim, "down", kEjectBound);
  report("kill9_to_ejection_ms", ms(t_down - t_kill));
  std::vector<Load::Error> before = errors_between(load, load_owner, victim, t_kill, t_down);
  if (!before.empty()) report("kill9_to_first_error_ms", ms(before.front().start - t_kill));
  load.wait_passes(2);

  // Every key whose owner is alive is still read from the same backend.
  {
    Client c = proxy_client();
    std::vector<std::vector<std::string>> gets;
    for (const auto& k : stat) gets.push_back({"GET", k});
    std::vector<Reply> rs = c.pipeline(gets);
    size_t moved = 0;
    size_t victim_keys_answered = 0;
    for (size_t k = 0; k < stat.size(); ++k) {
      if (stat_owner[k] == victim) {
        // Now served by the successor, which never had it: a clean miss.
        EXPECT_EQ(rs[k], Reply::make_nil()) << stat[k];
        victim_keys_answered += rs[k].is_nil();
      } else if (rs[k] != Reply::make_string("val:" + stat[k])) {
        if (moved++ < 5) ADD_FAILURE() << stat[k] << " -> " << rs[k];
      }
    }
    EXPECT_EQ(moved, 0u) << "keys of live backends moved or failed after the ejection";
    EXPECT_GT(victim_keys_answered, 0u);
  }
  Node n = nodes().at(victim);
  EXPECT_EQ(n.num("ejections"), 1);
  EXPECT_NE(n.get("last_error"), "-");
  EXPECT_EQ(n.num("points"), nodes().at(0).num("points")) << "a down backend keeps its points";

  Clock::time_point t_restart = Clock::now();
  backend(victim).restart();
  Clock::time_point t_up = wait_state(victim, "up", kRejoinBound);
  report("restart_to_rejoin_ms", ms(t_up - t_restart));
  load.wait_passes(2);
  load.stop();

  expect_no_errors_outside(load, load_owner, {victim});
  std::vector<Load::Error> ejected = errors_between(load, load_owner, victim, t_down, t_restart);
  EXPECT_TRUE(ejected.empty()) << "the victim's keys failed after its ejection was visible:"
                               << describe(ejected);
  std::vector<Load::Error> after = errors_between(load, load_owner, victim, t_up, Clock::now());
  EXPECT_TRUE(after.empty()) << "errors after the rejoin was visible:" << describe(after);
  EXPECT_LT(load.max_latency_ms(), kLatencyBound.count());
  report("max_request_latency_ms", load.max_latency_ms());

  // After the rejoin the victim's keys live on the victim again, and only
  // there: the failover-era copies on the successors were deleted.
  std::vector<std::string> victim_keys;
  for (size_t k = 0; k < load_keys.size(); ++k) {
    if (load_owner[k] == victim) victim_keys.push_back(load_keys[k]);
  }
  std::vector<size_t> now_owner = owners(victim_keys);
  for (size_t k = 0; k < victim_keys.size(); ++k) {
    EXPECT_EQ(now_owner[k], victim) << victim_keys[k];
  }

  std::vector<std::string> t = transitions(victim);
  EXPECT_EQ(count_to(t, "down"), 1u);
  EXPECT_EQ(count_to(t, "up"), 1u);
  EXPECT_EQ(nodes().at(victim).num("ejections"), 1);
}

// ---------------------------------------------------------------------------
// SIGSTOP: requests are bounded by --timeout-ms, the backend is ejected; on
// SIGCONT it rejoins, flushed (--rejoin flush is the default).

TEST_F(FailoverTest, SigstopIsBoundedByTimeoutEjectedAndFlushedOnRejoin) {
  start();
  constexpr size_t victim = 0;
  std::vector<std::string> stat = make_keys("static:", 300);
  std::vector<size_t> stat_owner = fill(stat);
  std::vector<std::string> load_keys = make_keys("load:", 300);
  std::vector<size_t> load_owner = fill(load_keys);

  Load load(proxy().port(), load_keys);
  load.wait_passes(1);

  Clock::time_point t_stop = Clock::now();
  backend(victim).sigstop();
  Clock::time_point t_down = wait_state(victim, "down", kEjectBound);
  report("sigstop_to_ejection_ms", ms(t_down - t_stop));
  load.wait_passes(2);
  EXPECT_LT(load.max_latency_ms(), kLatencyBound.count())
      << "a request to the stopped backend was not bounded by --timeout-ms";
  report("max_request_latency_ms", load.max_latency_ms());

  Clock::time_point t_cont = Clock::now();
  backend(victim).sigcont();
  Clock::time_point t_up = wait_state(victim, "up", kRejoinBound);
  report("sigcont_to_rejoin_ms", ms(t_up - t_cont));
  load.wait_passes(2);
  load.stop();

  expect_no_errors_outside(load, load_owner, {victim});
  EXPECT_TRUE(errors_between(load, load_owner, victim, t_down, t_cont).empty());
  EXPECT_TRUE(errors_between(load, load_owner, victim, t_up, Clock::now()).empty());

  // Flushed before taking traffic: the victim's pre-outage data is gone.
  Client a = backend_client(victim);
  for (size_t k = 0; k < stat.size(); ++k) {
    if (stat_owner[k] != victim) continue;
    EXPECT_EQ(a.command({"EXISTS", stat[k]}), Reply::make_integer(0)) << stat[k];
  }
  std::vector<std::string> t = transitions(victim);
  EXPECT_EQ(count_to(t, "up"), 1u);
}

// ---------------------------------------------------------------------------
// A quick restart in place (SIGTERM, start again on the same port).

TEST_F(FailoverTest, RestartInPlaceRecoversWithoutErrorsOnHealthyKeys) {
  start();
  constexpr size_t victim = 2;
  std::vector<std::string> load_keys = make_keys("load:", 300);
  std::vector<size_t> load_owner = fill(load_keys);
  Load load(proxy().port(), load_keys);
  load.wait_passes(1);

  Clock::time_point t0 = Clock::now();
  backend(victim).restart();
  // The load keeps its connection busy, so the proxy sees the restart (at
  // least up -> failing); whether or not the outage was long enough to eject
  // it, it ends up up.
  ASSERT_TRUE(wait_until([&] { return !transitions(victim).empty(); }, kEjectBound))
      << proxy().log_tail();
  Clock::time_point t_up = wait_state(victim, "up", kEjectBound + kRejoinBound);
  load.wait_passes(2);
  load.stop();
  report("restart_to_up_ms", ms(t_up - t0));
  expect_no_errors_outside(load, load_owner, {victim});
  std::vector<Load::Error> victim_errors = errors_between(load, load_owner, victim, t0, t_up);
  if (!victim_errors.empty()) {
    report("restart_victim_error_window_ms",
           ms(victim_errors.back().start - victim_errors.front().start));
  }
  EXPECT_TRUE(errors_between(load, load_owner, victim, t_up, Clock::now()).empty());
  std::vector<std::string> victim_keys;
  for (size_t k = 0; k < load_keys.size(); ++k) {
    if (load_owner[k] == victim) victim_keys.push_back(load_keys[k]);
  }
  std::vector<size_t> now_owner = owners(victim_keys);
  for (size_t k = 0; k < victim_keys.size(); ++k) EXPECT_EQ(now_owner[k], victim);
}

// ---------------------------------------------------------------------------
// Flapping: up windows shorter than rise x interval never readmit a backend.

TEST_F(FailoverTest, FlappingBackendDoesNotBounceTheRing) {
  constexpr int rise = 5;  // rejoin needs ~(rise - 1) x interval = 400 ms of uptime
  start({{"--rise", std::to_string(rise)}});
  constexpr size_t victim = 2;
  std::vector<std::string> load_keys = make_keys("load:", 300);
  std::vector<size_t> load_owner = fill(load_keys);
  Load load(proxy().port(), load_keys);
  load.wait_passes(1);

  backend(victim).kill9();
  wait_state(victim, "down", kEjectBound);

  const Duration up_for(120);
  const Duration down_for(150);
  const double long_window_ms = (rise - 1) * kIntervalMs;
  int long_windows = 0;
  std::vector<double> windows;
  for (int cycle = 0; cycle < 4; ++cycle) {
    Clock::time_point t0 = Clock::now();
    backend(victim).restart();
    std::this_thread::sleep_for(up_for);  // flapping: a deliberate, fixed up time
    backend(victim).kill9();
    double w = ms(Clock::now() - t0);
    windows.push_back(w);
    if (w >= long_window_ms) ++long_windows;
    std::this_thread::sleep_for(down_for);
  }
  std::string ws;
  for (double w : windows) ws += std::to_string(static_cast<int>(w)) + " ";
  std::cout << "[ measured ] flap up windows (ms): " << ws
            << "(long enough to rejoin: " << long_windows << ")" << std::endl;

  std::vector<std::string> t = transitions(victim);
  size_t rejoins = count_to(t, "up");
  std::cout << "[ measured ] state changes while flapping: " << t.size() << ", rejoins: " << rejoins
            << std::endl;
  EXPECT_LE(rejoins, static_cast<size_t>(long_windows))
      << "a backend whose up windows were shorter than rise x interval rejoined the ring";
  EXPECT_LE(nodes().at(victim).num("ejections"), 1 + long_windows);
  if (long_windows == 0) {
    EXPECT_NE(nodes().at(victim).state(), "up");
  }

  // Once it stays up, it rejoins.
  Clock::time_point t_restart = Clock::now();
  backend(victim).restart();
  Clock::time_point t_up =
      wait_state(victim, "up", Duration(3 * (rise + 1) * (kIntervalMs + kHealthTimeoutMs) + 1000));
  report("flap_final_restart_to_rejoin_ms", ms(t_up - t_restart));
  load.wait_passes(2);
  load.stop();
  expect_no_errors_outside(load, load_owner, {victim});
  EXPECT_TRUE(errors_between(load, load_owner, victim, t_up, Clock::now()).empty());
}

// ---------------------------------------------------------------------------
// All backends down: clean errors, the proxy stays up, and recovers.

TEST_F(FailoverTest, AllBackendsDownGiveCleanErrorsAndTheProxyStaysUp) {
  start();
  std::vector<std::string> load_keys = make_keys("load:", 100);
  std::vector<size_t> load_owner = fill(load_keys);
  Load load(proxy().port(), load_keys);
  load.wait_passes(1);

  Clock::time_point t_kill = Clock::now();
  for (size_t i = 0; i < backends_.size(); ++i) backend(i).kill9();
  Clock::time_point t_down = t_kill;
  for (size_t i = 0; i < backends_.size(); ++i) t_down = wait_state(i, "down", kEjectBound);
  report("kill_all_to_all_ejected_ms", ms(t_down - t_kill));
  load.wait_passes(2);

  Client c = proxy_client(Duration(5000));
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"GET", "x"},
                                             {"SET", "x", "1"},
                                             {"MGET", "a", "b", "c"},
                                             {"MSET", "a", "1", "b", "2"},
                                             {"DEL", "a", "b"},
                                             {"DBSIZE"},
                                             {"KEYS", "*"}}) {
    Reply r = c.command(cmd);
    EXPECT_TRUE(r.is_error()) << cmd[0] << " -> " << r;
  }
  EXPECT_EQ(c.command({"PING"}), Reply::make_status("PONG"));
  Reply info = c.command({"INFO", "ringproxy"});
  ASSERT_TRUE(info.is_string()) << info;
  EXPECT_NE(info.str.find("live_backends:0"), std::string::npos) << info.str;
  for (const Node& n : nodes()) EXPECT_EQ(n.state(), "down");
  EXPECT_TRUE(proxy().running());

  // Every load request got an error reply (no hang, no dropped connection).
  for (const Load::Error& e : load.errors()) {
    EXPECT_EQ(e.what.find("transport"), std::string::npos) << e.what;
  }
  EXPECT_LT(load.max_latency_ms(), kLatencyBound.count());

  Clock::time_point t_restart = Clock::now();
  for (size_t i = 0; i < backends_.size(); ++i) backend(i).restart();
  Clock::time_point t_up = t_restart;
  for (size_t i = 0; i < backends_.size(); ++i) t_up = wait_state(i, "up", kRejoinBound);
  report("restart_all_to_all_up_ms", ms(t_up - t_restart));
  load.wait_passes(2);
  load.stop();
  std::vector<Load::Error> late;
  for (const Load::Error& e : load.errors()) {
    if (e.start >= t_up) late.push_back(e);
  }
  EXPECT_TRUE(late.empty()) << describe(late);
  EXPECT_EQ(c.command({"SET", "x", "1"}), kOk);
}

// ---------------------------------------------------------------------------
// Rejoin without stale reads:
//   SET k v1 (home A); A fails, ejected; SET k v2 (successor B); A rejoins;
//   GET k must not be v1; SET k v3; A fails again; GET k must not be v2.
// A fails by SIGSTOP so that it still has v1 when it comes back (a restarted
// redis-server without persistence would be empty and prove nothing).
//
// --rejoin flush (default): safe. --rejoin keep: UNSAFE by design, documented
// here: the returning backend serves what it had before its outage, so the
// first GET returns the stale v1. (The failover-era copy of v2 on B is deleted
// under both policies, so the second check holds for keep too.)

class StaleReadTest : public FailoverTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(StaleReadTest, RejoinNeverServesStaleValues) {
  const std::string policy = GetParam();
  start({{"--rejoin", policy}});
  constexpr size_t a = 0;
  std::vector<std::string> load_keys = make_keys("load:", 200);
  std::vector<size_t> load_owner = fill(load_keys);
  Load load(proxy().port(), load_keys);

  const std::string k = keys_homed_at(a, 1, "stale:")[0];
  Client c = proxy_client(Duration(5000));
  ASSERT_EQ(c.command({"SET", k, "v1"}), kOk);
  ASSERT_EQ(owners({k}), std::vector<size_t>{a});

  backend(a).sigstop();
  wait_state(a, "down", kEjectBound);
  ASSERT_EQ(c.command({"SET", k, "v2"}), kOk);
  std::vector<size_t> b = owners({k}, {1, 2});
  ASSERT_NE(b[0], SIZE_MAX) << "v2 should have landed on a successor";
  std::cout << "[ info     ] " << k << ": home " << a << ", successor " << b[0] << std::endl;

  backend(a).sigcont();
  wait_state(a, "up", kRejoinBound);
  Reply first = c.command({"GET", k});
  if (policy == "flush") {
    EXPECT_EQ(first, Reply::make_nil()) << "after a flushed rejoin the key is simply missing";
  } else {
    // Documented unsafe behaviour of --rejoin keep.
    EXPECT_EQ(first, Reply::make_string("v1")) << "keep: the returning backend serves old data";
  }
  // The failover-era copy on the successor is gone (both policies).
  EXPECT_EQ(backend_client(b[0]).command({"EXISTS", k}), Reply::make_integer(0));

  ASSERT_EQ(c.command({"SET", k, "v3"}), kOk);
  backend(a).sigstop();
  wait_state(a, "down", kEjectBound);
  Reply second = c.command({"GET", k});
  EXPECT_NE(second, Reply::make_string("v2")) << "stale failover-era copy served";
  EXPECT_EQ(second, Reply::make_nil());
  backend(a).sigcont();
  wait_state(a, "up", kRejoinBound);

  load.wait_passes(1);
  load.stop();
  expect_no_errors_outside(load, load_owner, {a});
}

INSTANTIATE_TEST_SUITE_P(Policies, StaleReadTest, ::testing::Values("flush", "keep"),
                         [](const auto& info) { return info.param; });

// ---------------------------------------------------------------------------
// Past the --failover-key-log bound. Documented behaviour: only the first
// `failover-key-log` keys written for a down backend are remembered; their
// copies are deleted on rejoin. Copies of keys past the bound stay on the
// successor and ARE served (stale) if the home backend fails again before they
// are overwritten or expire. The proxy logs how many were untracked and INFO
// counts them (failover_keys_untracked, cumulative).

TEST_F(FailoverTest, FailoverKeyLogBoundIsReportedAndKeysPastItMayBeStale) {
  constexpr size_t bound = 5;
  constexpr size_t n = 40;
  start({{"--failover-key-log", std::to_string(bound)}});
  constexpr size_t a = 0;
  std::vector<std::string> keys = keys_homed_at(a, n, "bounded:");
  Client c = proxy_client(Duration(5000));

  backend(a).sigstop();
  wait_state(a, "down", kEjectBound);
  for (const auto& k : keys) ASSERT_EQ(c.command({"SET", k, "v2"}), kOk);
  EXPECT_EQ(nodes().at(a).num("failover_keys"), static_cast<long long>(bound));
  Reply info = c.command({"INFO", "ringproxy"});
  EXPECT_NE(info.str.find("failover_keys_untracked:" + std::to_string(n - bound)),
            std::string::npos)
      << info.str;

  backend(a).sigcont();
  wait_state(a, "up", kRejoinBound);
  EXPECT_TRUE(wait_until(
      [&] {
        return proxy().log().find("untracked beyond failover-key-log: " +
                                  std::to_string(n - bound)) != std::string::npos;
      },
      Duration(2000)))
      << proxy().log_tail();
  info = c.command({"INFO", "ringproxy"});
  EXPECT_NE(info.str.find("failover_keys_untracked:" + std::to_string(n - bound)),
            std::string::npos)
      << "the counter is cumulative, it survives the rejoin\n"
      << info.str;

  backend(a).sigstop();
  wait_state(a, "down", kEjectBound);
  size_t missing = 0;
  size_t stale = 0;
  for (const auto& k : keys) {
    Reply r = c.command({"GET", k});
    missing += r.is_nil();
    stale += r == Reply::make_string("v2");
  }
  std::cout << "[ info     ] past the failover-key-log bound of " << bound << ": " << missing
            << " copies deleted, " << stale << " stale copies served" << std::endl;
  EXPECT_EQ(missing, bound);
  EXPECT_EQ(stale, n - bound) << "documented: copies past the bound stay on the successor";
  backend(a).sigcont();
}

// ---------------------------------------------------------------------------
// Between the first failure and the ejection, a failing backend is out of
// placement: its keys, writes included, are served by a successor at once
// (reads of what it held are misses). With --auto-eject false it keeps its
// keys and its requests fail fast: errors, or misses for reads with
// --on-unavailable miss. The backend is SIGSTOPped (it would hang every
// request) with a 5 s request timeout, and --failure-limit is huge so it stays
// "failing" for the whole test: only the fast path answers in time.

TEST_F(FailoverTest, FailingBackendIsSkippedOrAnswersFastErrorsOrMisses) {
  constexpr size_t a = 1;
  for (const std::string mode : {"skip", "error", "miss"}) {
    SCOPED_TRACE(mode);
    std::map<std::string, std::string> opts = {{"--failure-limit", "1000"},
                                               {"--timeout-ms", "5000"}};
    if (mode != "skip") {
      opts["--auto-eject"] = "false";
      opts["--on-unavailable"] = mode;
    }
    start(opts);
    std::vector<std::string> keys = keys_homed_at(a, 3, "failing:");
    std::vector<std::string> other = make_keys("other:", 30);
    std::vector<size_t> other_owner = fill(other);
    backend(a).sigstop();
    wait_state(a, "failing", kEjectBound);

    Client c = proxy_client(Duration(5000));
    auto t0 = Clock::now();
    Reply get = c.command({"GET", keys[0]});
    Reply set = c.command({"SET", keys[0], "x"});
    Reply exists = c.command({"EXISTS", keys[1]});
    Reply smembers = c.command({"SMEMBERS", keys[2]});
    double took = ms(Clock::now() - t0);
    report("failing_four_requests_ms_" + mode, took);
    EXPECT_LT(took, 2500) << "requests to a failing backend must fail fast, not wait 5 s";
    if (mode == "skip") {
      EXPECT_EQ(set, kOk) << "the write goes to the successor";
      EXPECT_EQ(c.command({"GET", keys[0]}), Reply::make_string("x"));
    } else {
      EXPECT_TRUE(set.is_error()) << set;
    }
    if (mode == "error") {
      EXPECT_TRUE(get.is_error()) << get;
      EXPECT_NE(get.str.find("unavailable"), std::string::npos) << get;
      EXPECT_TRUE(exists.is_error()) << exists;
      EXPECT_TRUE(smembers.is_error()) << smembers;
    } else {
      EXPECT_EQ(get, Reply::make_nil());
      EXPECT_EQ(exists, Reply::make_integer(0));
      EXPECT_EQ(smembers, Reply::make_array({}));
    }
    for (size_t k = 0; k < other.size(); ++k) {
      if (other_owner[k] == a) continue;
      EXPECT_EQ(c.command({"GET", other[k]}), Reply::make_string("val:" + other[k]));
    }
    EXPECT_EQ(nodes().at(a).state(), "failing");
    EXPECT_EQ(nodes().at(a).num("ejections"), 0);
    backend(a).sigcont();
    // Back up (and the successor's copy of the write deleted) before the next
    // mode's proxy looks for keys homed at `a`.
    wait_state(a, "up", kEjectBound + kRejoinBound);
  }
}

// ---------------------------------------------------------------------------
// Requests in flight on a connection that breaks are answered, never lost.
// Health probes and request timeouts are out of the picture (60 s interval, no
// timeout, huge failure limit): only the connection reset can answer them.

TEST_F(FailoverTest, InFlightRequestsOnABrokenConnectionAreAnswered) {
  start({{"--health-interval-ms", "60000"},
         {"--health-timeout-ms", "60000"},
         {"--timeout-ms", "0"},
         {"--failure-limit", "1000"}});
  constexpr size_t a = 0;
  std::vector<std::string> keys = keys_homed_at(a, 50, "inflight:");
  backend(a).sigstop();
  RawConnection raw = proxy_raw(Duration(5000));
  std::string bytes;
  for (const auto& k : keys) bytes += encode_command({"GET", k});
  raw.send(bytes);
  EXPECT_EQ(raw.read_available(Duration(300)), "") << "a stopped backend cannot answer";
  auto t0 = Clock::now();
  backend(a).kill9();
  for (size_t i = 0; i < keys.size(); ++i) {
    // A read in flight at the failure answers as a miss (the default
    // --on-unavailable miss).
    Reply r = raw.read_reply();
    EXPECT_EQ(r, Reply::make_nil()) << keys[i];
  }
  report("reset_to_all_inflight_answered_ms", ms(Clock::now() - t0));
  raw.send(encode_command({"PING"}));
  EXPECT_EQ(raw.read_reply(), Reply::make_status("PONG"));
}

// ---------------------------------------------------------------------------
// One broken connection (of several to a healthy backend) is one failure: it
// must not eject the backend by itself.

TEST_F(FailoverTest, OneConnectionResetDoesNotEjectAHealthyBackend) {
  start({{"--backend-connections", "4"}});
  constexpr size_t a = 0;
  std::vector<std::string> keys = keys_homed_at(a, 20, "reset:");
  {
    // Use all four connections (a client's connection is chosen by its id).
    std::vector<Client> clients;
    for (int i = 0; i < 4; ++i) {
      clients.push_back(proxy_client());
      EXPECT_EQ(clients.back().command({"GET", keys[0]}), Reply::make_nil());
    }
  }
  Client direct = backend_client(a);
  Reply list = direct.command({"CLIENT", "LIST"});
  ASSERT_TRUE(list.is_string()) << list;
  long long me = direct.command({"CLIENT", "ID"}).integer;
  // Lines look like "id=7 addr=... cmd=get user=default ...".
  std::string victim_id;
  std::istringstream in(list.str);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("id=", 0) != 0 || line.find(" cmd=get ") == std::string::npos) continue;
    std::string id = line.substr(3, line.find(' ') - 3);
    if (std::stoll(id) == me) continue;
    victim_id = id;
    break;
  }
  ASSERT_FALSE(victim_id.empty()) << list.str;
  ASSERT_EQ(direct.command({"CLIENT", "KILL", "ID", victim_id}), Reply::make_integer(1));
  // The proxy notices at once (EOF); wait for its log line, then for it to be up.
  ASSERT_TRUE(wait_until([&] { return proxy().log().find("up -> failing") != std::string::npos; },
                         Duration(3000)))
      << proxy().log_tail();
  wait_state(a, "up", kEjectBound);
  EXPECT_EQ(nodes().at(a).num("ejections"), 0);
  std::vector<std::string> t = transitions(a);
  EXPECT_EQ(count_to(t, "down"), 0u) << "one connection reset ejected the backend";
  Client c = proxy_client();
  EXPECT_EQ(c.command({"SET", keys[1], "x"}), kOk);
  EXPECT_EQ(owners({keys[1]}), std::vector<size_t>{a});
}

// ---------------------------------------------------------------------------
// Visibility: PROXY NODES and INFO, and one log line per state change.

TEST_F(FailoverTest, ProxyNodesAndInfoShowEachBackend) {
  start();
  Client c = proxy_client();
  std::vector<Node> ns = nodes();
  ASSERT_EQ(ns.size(), 3u);
  for (size_t i = 0; i < ns.size(); ++i) {
    EXPECT_EQ(ns[i].get("addr"), backend(i).address());
    EXPECT_EQ(ns[i].get("name"), "cache" + std::to_string(i));
    EXPECT_EQ(ns[i].state(), "up");
    EXPECT_GT(ns[i].num("points"), 0);
    EXPECT_EQ(ns[i].num("ejections"), 0);
    EXPECT_EQ(ns[i].get("last_error"), "-");
    for (const char* f : {"weight", "connections", "requests", "errors", "timeouts", "out_of_step",
                          "inflight", "failover_keys", "last_change_ms"}) {
      EXPECT_NO_THROW(ns[i].num(f)) << f;
    }
  }
  // Lower case works too; bad subcommands are errors.
  EXPECT_EQ(parse_nodes(c.command({"proxy", "nodes"})).size(), 3u);
  EXPECT_TRUE(c.command({"PROXY"}).is_error());
  EXPECT_TRUE(c.command({"PROXY", "NOPE"}).is_error());
  EXPECT_TRUE(c.command({"PROXY", "NODES", "extra"}).is_error());
  EXPECT_TRUE(c.command({"PROXY", "HELP"}).is_array());

  std::vector<std::string> keys = make_keys("vis:", 60);
  fill(keys);
  std::vector<Node> after = nodes();
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_GT(after[i].num("requests"), ns[i].num("requests")) << i;
  }

  constexpr size_t victim = 2;
  backend(victim).kill9();
  wait_state(victim, "down", kEjectBound);
  Node n = nodes().at(victim);
  EXPECT_EQ(n.num("ejections"), 1);
  EXPECT_NE(n.get("last_error"), "-");
  EXPECT_EQ(n.num("connections"), 0);
  EXPECT_LT(n.num("last_change_ms"), 60000);
  Reply info = c.command({"INFO"});
  ASSERT_TRUE(info.is_string());
  std::string head = "backend" + std::to_string(victim) + ":addr=" + backend(victim).address() +
                     ",name=cache" + std::to_string(victim) + ",";
  size_t at = info.str.find(head);
  ASSERT_NE(at, std::string::npos) << info.str;
  std::string line = info.str.substr(at, info.str.find("\r\n", at) - at);
  for (const char* field : {",state=down,", ",points=", ",requests=", ",errors=", ",ejections=1,",
                            ",last_change_ms=", ",last_error="}) {
    EXPECT_NE(line.find(field), std::string::npos) << field << " in " << line;
  }
  EXPECT_EQ(line.find(",last_error=\r"), std::string::npos);
  EXPECT_LT(line.find(",last_error="), line.size() - 12) << "no last error: " << line;
  // INFO and PROXY NODES show the same fields in the same order.
  auto keys_of = [](std::string_view text, char sep) {
    std::vector<std::string> keys;
    for (size_t pos = 0; pos < text.size();) {
      size_t eq = text.find('=', pos);
      if (eq == std::string_view::npos) break;
      keys.emplace_back(text.substr(pos, eq - pos));
      if (keys.back() == "last_error") break;  // runs to the end of the line
      size_t next = text.find(sep, eq);
      pos = next == std::string_view::npos ? text.size() : next + 1;
    }
    return keys;
  };
  Reply raw_nodes = c.command({"PROXY", "NODES"});
  ASSERT_TRUE(raw_nodes.is_array());
  ASSERT_GT(raw_nodes.elements.size(), victim);
  std::vector<std::string> node_keys = keys_of(raw_nodes.elements[victim].str, ' ');
  EXPECT_EQ(node_keys.size(), 15u);
  EXPECT_EQ(keys_of(std::string_view(line).substr(line.find(':') + 1), ','), node_keys);

  backend(victim).restart();
  wait_state(victim, "up", kRejoinBound);
  // One log line per change, forming a chain: up -> failing -> down ->
  // probing -> up (failing may be skipped if probes alone eject it).
  std::vector<std::string> t = transitions(victim);
  EXPECT_GE(t.size(), 3u);
  EXPECT_EQ(count_to(t, "down"), 1u);
  EXPECT_EQ(count(t, "down->probing"), 1u);
  EXPECT_EQ(count(t, "probing->up"), 1u);
}

}  // namespace
}  // namespace ringproxy::testing
