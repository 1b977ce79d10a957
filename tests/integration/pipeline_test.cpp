// Issue 2, acceptance points 10 to 13: deep pipelines, many concurrent
// clients, a killed backend that must not stall the others, and
// redis-benchmark through the proxy.
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "core_test_util.hpp"

namespace ringproxy::testing::core {
namespace {

using Clock = std::chrono::steady_clock;

// A one-shot gate threads wait on until it opens.
class Gate {
 public:
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  void open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// ---------------------------------------------------------------------------
// Point 10: 10,000 pipelined mixed commands on one connection

class CorePipeline : public CoreClusterTest {};

TEST_F(CorePipeline, TenThousandMixedCommandsInOrder) {
  std::mt19937 rng(12345);
  std::map<std::string, std::string> model;  // what the keyspace holds
  std::vector<Cmd> cmds;
  std::vector<Reply> expected;
  auto key = [&] { return "p:" + std::to_string(rng() % 60); };
  auto counter = [&] { return "pc:" + std::to_string(rng() % 10); };
  auto get = [&](const std::string& k) {
    auto it = model.find(k);
    return it == model.end() ? nil() : str(it->second);
  };
  for (int i = 0; i < 10000; ++i) {
    switch (rng() % 8) {
      case 0: {
        std::string k = key(), v = "v" + std::to_string(i);
        cmds.push_back({"SET", k, v});
        expected.push_back(ok());
        model[k] = v;
        break;
      }
      case 1: {
        std::string k = key();
        cmds.push_back({"GET", k});
        expected.push_back(get(k));
        break;
      }
      case 2: {
        std::string k = counter();
        long long n = model.count(k) ? std::stoll(model[k]) + 1 : 1;
        model[k] = std::to_string(n);
        cmds.push_back({"INCR", k});
        expected.push_back(num(n));
        break;
      }
      case 3: {
        Cmd mget = {"MGET"};
        std::vector<Reply> values;
        for (int j = 0, n = 1 + static_cast<int>(rng() % 6); j < n; ++j) {
          std::string k = j % 3 == 2 ? counter() : key();
          mget.push_back(k);
          values.push_back(get(k));
        }
        cmds.push_back(mget);
        expected.push_back(arr(values));
        break;
      }
      case 4: {
        Cmd del = {"DEL"};
        std::set<std::string> distinct;
        for (int j = 0, n = 1 + static_cast<int>(rng() % 3); j < n; ++j) {
          std::string k = key();
          del.push_back(k);
          distinct.insert(k);
        }
        long long removed = 0;
        for (const auto& k : distinct) removed += static_cast<long long>(model.erase(k));
        cmds.push_back(del);
        expected.push_back(num(removed));
        break;
      }
      case 5:
        cmds.push_back({"PING"});
        expected.push_back(status("PONG"));
        break;
      case 6:
        cmds.push_back({"NOPE", std::to_string(i)});
        expected.push_back(Reply::make_error(
            "ERR unknown command 'NOPE', with args beginning with: '" + std::to_string(i) + "' "));
        break;
      default: {
        std::string msg = "echo-" + std::to_string(i);
        cmds.push_back({"PING", msg});
        expected.push_back(str(msg));
      }
    }
  }
  Client c = proxy_client(Duration(30000));
  std::vector<Reply> replies = c.pipeline(cmds);
  ASSERT_EQ(replies.size(), expected.size());
  int bad = 0;
  for (size_t i = 0; i < replies.size() && bad < 10; ++i) {
    if (replies[i] != expected[i]) {
      ++bad;
      ADD_FAILURE() << "reply " << i << " to " << join(cmds[i]) << ": " << replies[i]
                    << ", expected " << expected[i];
    }
  }
  // The final state, checked on the backends themselves.
  std::vector<std::string> names;
  for (const auto& [k, v] : model) names.push_back(k);
  std::set<size_t> used;
  for (const auto& k : names) {
    std::vector<size_t> h = backends_holding(k);
    ASSERT_EQ(h.size(), 1u) << k;
    EXPECT_EQ(backend_client(h[0]).command({"GET", k}), str(model[k])) << k;
    used.insert(h[0]);
  }
  EXPECT_EQ(used.size(), 3u);
}

// The same kind of deep pipeline with tiny backpressure limits, so that the
// proxy pauses and resumes reading from the client many times.
TEST_F(CorePipeline, DeepPipelineWithSmallBackpressureLimits) {
  start_proxy({"--max-pipeline", "16", "--client-output-limit", "65536"});
  Client c = proxy_client(Duration(30000));
  const std::string value(1000, 'p');
  std::vector<Cmd> setup;
  for (int i = 0; i < 40; ++i) setup.push_back({"SET", "bp:" + std::to_string(i), value});
  for (const Reply& r : c.pipeline(setup)) ASSERT_EQ(r, ok());
  std::vector<Cmd> cmds;
  std::vector<Reply> expected;
  for (int i = 0; i < 20000; ++i) {
    switch (i % 5) {
      case 0:
        cmds.push_back({"MGET", "bp:" + std::to_string(i % 40), "none",
                        "bp:" + std::to_string((i + 17) % 40)});
        expected.push_back(arr({str(value), nil(), str(value)}));
        break;
      case 1:
        cmds.push_back({"INCR", "bp:n"});
        expected.push_back(num(i / 5 + 1));
        break;
      case 2:
        cmds.push_back({"PING"});
        expected.push_back(status("PONG"));
        break;
      default:
        cmds.push_back({"GET", "bp:" + std::to_string(i % 40)});
        expected.push_back(str(value));
    }
  }
  std::vector<Reply> replies = c.pipeline(cmds);
  ASSERT_EQ(replies.size(), expected.size());
  for (size_t i = 0; i < replies.size(); ++i) {
    ASSERT_EQ(replies[i], expected[i]) << "reply " << i << " to " << join(cmds[i]);
  }
}

// ---------------------------------------------------------------------------
// Point 11: 200 concurrent clients

TEST_F(CorePipeline, TwoHundredConcurrentClients) {
  constexpr int kClients = 200;
  constexpr int kRounds = 60;  // 5 ops per round: 300 ops per client
  const uint16_t port = proxy().port();
  std::mutex mu;
  std::vector<std::string> problems;
  std::atomic<long long> ops{0};
  auto problem = [&](std::string s) {
    std::lock_guard<std::mutex> lock(mu);
    if (problems.size() < 20) problems.push_back(std::move(s));
  };
  std::atomic<int> ready{0};
  std::atomic<int> finished{0};
  Gate go, release;
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      try {
        Client c(port, Duration(20000));
        ready++;
        go.wait();
        const std::string id = std::to_string(t);
        const std::string counter = "cc:" + id;
        for (int i = 0; i < kRounds; ++i) {
          const std::string k1 = "ck:" + id + ":" + std::to_string(i % 7);
          const std::string k2 = "ck:" + id + ":" + std::to_string((i + 3) % 7);
          const std::string v = id + "/" + std::to_string(i);
          Reply r = c.command({"SET", k1, v});
          if (r != ok()) problem("SET -> " + r.to_string());
          r = c.command({"GET", k1});
          if (r != str(v)) problem("GET " + k1 + " -> " + r.to_string() + ", expected " + v);
          r = c.command({"INCR", counter});
          if (r != num(i + 1)) problem("INCR -> " + r.to_string());
          // Every other round pipelined, the others one by one.
          if (i % 2 == 0) {
            std::vector<Reply> rs = c.pipeline({{"MGET", k1, counter, "nope"}, {"PING", v}});
            if (rs[0] != arr({str(v), str(std::to_string(i + 1)), nil()}))
              problem("MGET -> " + rs[0].to_string());
            if (rs[1] != str(v)) problem("PING -> " + rs[1].to_string());
          } else {
            r = c.command({"MGET", k1, counter, "nope"});
            if (r != arr({str(v), str(std::to_string(i + 1)), nil()}))
              problem("MGET -> " + r.to_string());
            r = c.command({"EXISTS", k1, k2, counter});
            if (!r.is_integer() || r.integer < 2) problem("EXISTS -> " + r.to_string());
          }
          ops += 5;
        }
        // Stay connected until the backends' connections were counted.
        finished++;
        release.wait();
      } catch (const std::exception& e) {
        problem("client " + std::to_string(t) + ": " + e.what());
        ready++;
        finished++;
      }
    });
  }
  bool all_connected = wait_until([&] { return ready.load() >= kClients; }, Duration(30000));
  go.open();
  bool all_finished = wait_until([&] { return finished.load() >= kClients; }, Duration(120000));
  // 200 clients, yet each backend sees only the proxy's few persistent
  // connections (data + health probe), plus this one.
  for (size_t b = 0; b < backends_.size(); ++b) {
    Reply info = backend_client(b).command({"INFO", "clients"});
    size_t at = info.str.find("connected_clients:");
    ASSERT_NE(at, std::string::npos) << info;
    int n = std::stoi(info.str.substr(at + 18));
    EXPECT_LE(n, 5) << "backend " << b << " has " << n << " connections";
  }
  release.open();
  for (auto& th : threads) th.join();
  EXPECT_TRUE(all_connected);
  EXPECT_TRUE(all_finished);
  for (const auto& p : problems) ADD_FAILURE() << p;
  EXPECT_EQ(ops.load(), kClients * kRounds * 5);
  Client c = proxy_client();
  EXPECT_EQ(c.command({"GET", "cc:199"}), str(std::to_string(kRounds)));
}

// ---------------------------------------------------------------------------
// Point 12: a killed backend does not stall the others

class CoreBackendFailure : public CoreClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override {
    return {"--auto-eject",        "false", "--health-interval-ms", "100",
            "--health-timeout-ms", "500",   "--connect-timeout-ms", "500",
            "--on-unavailable",    "error"};
  }

  // Runs `cmd` on a fresh 2 s client; fails the test if that takes longer.
  Reply bounded(const Cmd& cmd) {
    auto start = Clock::now();
    Client c = proxy_client(Duration(2000));
    Reply r = c.command(cmd);
    auto took = std::chrono::duration_cast<Duration>(Clock::now() - start);
    EXPECT_LT(took.count(), 2000) << join(cmd);
    return r;
  }
};

TEST_F(CoreBackendFailure, KilledBackendFailsFastAndComesBack) {
  auto per = names_per_backend("bf", 4);
  Client c = proxy_client(Duration(2000));
  for (const auto& names : per) {
    for (const auto& k : names) ASSERT_EQ(c.command({"SET", k, "v-" + k}), ok());
  }
  backend(1).kill9();

  for (int round = 0; round < 3; ++round) {
    for (size_t b : {0u, 2u}) {
      for (const auto& k : per[b]) {
        EXPECT_EQ(bounded({"GET", k}), str("v-" + k)) << k;
        EXPECT_EQ(bounded({"SET", k, "v-" + k}), ok()) << k;
      }
    }
    for (const auto& k : per[1]) {
      Reply r = bounded({"GET", k});
      EXPECT_TRUE(r.is_error() && r.str.starts_with("ERR")) << k << " -> " << r;
    }
    // One pipeline mixing live and dead keys: answered in order, nothing waits.
    std::vector<Reply> rs = c.pipeline({{"GET", per[0][0]},
                                        {"GET", per[1][0]},
                                        {"GET", per[2][0]},
                                        {"MGET", per[0][1], per[1][1]},
                                        {"MGET", per[0][1], per[2][1]},
                                        {"PING"}});
    EXPECT_EQ(rs[0], str("v-" + per[0][0]));
    EXPECT_TRUE(rs[1].is_error()) << rs[1];
    EXPECT_EQ(rs[2], str("v-" + per[2][0]));
    EXPECT_TRUE(rs[3].is_error()) << "never a silently partial MGET: " << rs[3];
    EXPECT_EQ(rs[4], arr({str("v-" + per[0][1]), str("v-" + per[2][1])}));
    EXPECT_EQ(rs[5], status("PONG"));
  }

  backend(1).restart();
  const std::string& back = per[1][0];
  bool recovered = wait_until(
      [&] {
        Client x = proxy_client(Duration(2000));
        return !x.command({"GET", back}).is_error();
      },
      Duration(15000), Duration(50));
  ASSERT_TRUE(recovered) << "keys of the restarted backend still fail";
  for (const auto& k : per[1]) {
    EXPECT_EQ(bounded({"SET", k, "again"}), ok());
    EXPECT_EQ(bounded({"GET", k}), str("again"));
    EXPECT_EQ(backends_holding(k), std::vector<size_t>{1});
  }
  for (size_t b : {0u, 2u}) {
    for (const auto& k : per[b]) EXPECT_EQ(bounded({"GET", k}), str("v-" + k));
  }
}

// The default configuration (auto-eject on): live keys never stall or move,
// the dead backend's keys answer at once (an error, or a miss once ejected).
class CoreBackendFailureDefault : public CoreClusterTest {};

TEST_F(CoreBackendFailureDefault, KilledBackendDoesNotStallTheOthers) {
  auto per = names_per_backend("bd", 3);
  Client c = proxy_client(Duration(2000));
  for (const auto& names : per) {
    for (const auto& k : names) ASSERT_EQ(c.command({"SET", k, "v-" + k}), ok());
  }
  backend(2).kill9();
  auto deadline = Clock::now() + std::chrono::milliseconds(1500);
  int rounds = 0;
  while (Clock::now() < deadline || rounds < 3) {
    ++rounds;
    for (size_t b : {0u, 1u}) {
      for (const auto& k : per[b]) {
        auto start = Clock::now();
        Client x = proxy_client(Duration(2000));
        EXPECT_EQ(x.command({"GET", k}), str("v-" + k));
        EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2000));
      }
    }
    for (const auto& k : per[2]) {
      Client x = proxy_client(Duration(2000));
      Reply r = x.command({"GET", k});
      EXPECT_TRUE(r.is_error() || r.is_nil()) << k << " -> " << r;
    }
  }
  backend(2).restart();
  bool recovered = wait_until(
      [&] {
        Client x = proxy_client(Duration(2000));
        if (x.command({"SET", per[2][0], "back"}) != ok()) return false;
        std::vector<size_t> h = backends_holding(per[2][0]);
        return h == std::vector<size_t>{2};
      },
      Duration(20000), Duration(100));
  EXPECT_TRUE(recovered) << "the restarted backend never got its keys back";
  for (size_t b : {0u, 1u}) {
    for (const auto& k : per[b]) EXPECT_EQ(c.command({"GET", k}), str("v-" + k));
  }
}

// ---------------------------------------------------------------------------
// Point 13: redis-benchmark

class CoreBenchmark : public CoreClusterTest {
 protected:
  void run_benchmark(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {
        "redis-benchmark", "-h", kLoopback, "-p",   std::to_string(proxy().port()), "-q", "-n",
        "20000",           "-r", "10000",   "--csv"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    CommandResult r = run_command(argv, {.timeout = Duration(150000)});
    // redis-benchmark 7 exits non-zero at the first error reply.
    ASSERT_TRUE(r.ok()) << r.describe();
    const std::vector<std::string> tests = {"PING_INLINE",
                                            "PING_MBULK",
                                            "SET",
                                            "GET",
                                            "INCR",
                                            "LPUSH",
                                            "RPUSH",
                                            "LPOP",
                                            "RPOP",
                                            "SADD",
                                            "HSET",
                                            "SPOP",
                                            "ZADD",
                                            "ZPOPMIN",
                                            "LPUSH (needed to benchmark LRANGE)",
                                            "LRANGE_100 (first 100 elements)",
                                            "LRANGE_300 (first 300 elements)",
                                            "LRANGE_500 (first 500 elements)",
                                            "LRANGE_600 (first 600 elements)",
                                            "MSET (10 keys)"};
    std::map<std::string, double> rps;
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty() || line.starts_with("\"test\"")) continue;
      // "NAME","rps",...
      if (line.size() < 2 || line[0] != '"') {
        ADD_FAILURE() << "unexpected output line: " << line;
        continue;
      }
      size_t end = line.find("\",\"", 1);
      if (end == std::string::npos) {
        ADD_FAILURE() << "unexpected output line: " << line;
        continue;
      }
      std::string name = line.substr(1, end - 1);
      rps[name] = std::stod(line.substr(end + 3));
    }
    for (const auto& t : tests) {
      ASSERT_TRUE(rps.count(t)) << "missing test " << t << "\n" << r.out;
      EXPECT_GT(rps[t], 0) << t;
    }
    EXPECT_FALSE(contains(r.out, "rror")) << r.out;
    EXPECT_FALSE(contains(r.out, "ERR")) << r.out;
    EXPECT_FALSE(contains(r.err, "rror")) << r.err;
    EXPECT_FALSE(contains(r.err, "ERR")) << r.err;
    // The data really went through to the backends.
    long long total = 0;
    for (size_t b = 0; b < backends_.size(); ++b) {
      long long n = backend_client(b).command({"DBSIZE"}).integer;
      EXPECT_GT(n, 0) << "backend " << b;
      total += n;
    }
    EXPECT_EQ(proxy_client().command({"DBSIZE"}), num(total));
  }
};

TEST_F(CoreBenchmark, DefaultTests) {
  run_benchmark({});
}

TEST_F(CoreBenchmark, DefaultTestsPipelined16) {
  run_benchmark({"-P", "16"});
}

}  // namespace
}  // namespace ringproxy::testing::core
