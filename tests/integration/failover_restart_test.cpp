// Failover tests, continued: a backend that restarts (kill -9, then back on the
// same port) quickly enough to be seen only `failing`, with no write redirected
// meanwhile, still passes the rejoin policy: it may have loaded a snapshot older
// than writes the proxy acknowledged (issue 15: the no-stale-read guarantee
// covers every path back to up). The proxy tells a restart by INFO server's
// run_id, asked once per probe connection. Also: the first run_id seen is no
// restart, and a backend without INFO keeps working. Fixtures:
// failover_fixture.hpp (real redis-servers), reliability_test_util.hpp (fakes).
#include "core_test_util.hpp"
#include "exporters_util.hpp"
#include "failover_fixture.hpp"
#include "reliability_test_util.hpp"

namespace ringproxy::testing {
namespace {

constexpr const char* kPassword = "restart-pw";

// How often a backend's commands ran ("cmdstat_ping:calls=N,...").
uint64_t calls(Client& c, const std::string& command) {
  std::string line = info_field(c.command({"INFO", "commandstats"}).str, "cmdstat_" + command);
  if (!line.starts_with("calls=")) return 0;
  return std::stoull(line.substr(6));
}

class RestartTest : public FailoverTest {
 protected:
  // Backends need AUTH and the proxy uses database 1: the probe's AUTH and
  // SELECT then come before its INFO.
  virtual bool auth_db() const { return false; }
  std::vector<std::string> backend_args(size_t) const override {
    if (auth_db()) return {"--requirepass", kPassword};
    return {};
  }
  void start_proxy_for_test(std::map<std::string, std::string> opts) {
    if (auth_db()) {
      opts["--backend-password"] = kPassword;
      opts["--backend-db"] = "1";
    }
    start(opts);
  }
  // A connection to backend `i` as the proxy has one: authenticated, on its database.
  Client session(size_t i) {
    Client c = backend_client(i, Duration(5000));
    if (auth_db()) {
      EXPECT_EQ(c.command({"AUTH", kPassword}), kOk);
      EXPECT_EQ(c.command({"SELECT", "1"}), kOk);
    }
    return c;
  }
  std::string run_id(size_t i) {
    Client c = session(i);
    return info_field(c.command({"INFO", "server"}).str, "run_id");
  }
  // The backend a key lives on while every backend is up (PROXY WHERE's
  // home_name, "cache<i>": see FailoverTest::customize_proxy).
  size_t home_of(const std::string& key) {
    const std::string line = control().command({"PROXY", "WHERE", key}).str;
    const std::string field = "home_name=cache";
    size_t at = line.find(field);
    if (at == std::string::npos) throw HarnessError("PROXY WHERE without a home: " + line);
    return std::stoul(line.substr(at + field.size()));
  }
  // Waits until the proxy's health probe sent two PINGs to backend `i`'s
  // current process. A probe goes out only when the one before it (and the
  // flush it may have started) is over, and a new probe connection asks INFO
  // before its first PING: by the second PING the proxy has judged this
  // process, restart or not.
  void wait_probed_twice(size_t i) {
    Client c = session(i);
    const uint64_t before = calls(c, "ping");  // the harness's readiness PINGs, maybe a probe's
    if (!wait_until([&] { return calls(c, "ping") >= before + 2; }, kRejoinBound, Duration(5))) {
      throw HarnessError("backend " + std::to_string(i) + " was not probed twice");
    }
  }
};

// Parameter: the --rejoin policy, and whether backends need AUTH/SELECT.
struct RestartCase {
  std::string rejoin;
  bool auth_db;
};
void PrintTo(const RestartCase& c, std::ostream* os) {
  *os << "--rejoin " << c.rejoin << (c.auth_db ? ", AUTH and SELECT 1" : "");
}

class BackendRestart : public RestartTest, public ::testing::WithParamInterface<RestartCase> {
 protected:
  bool auth_db() const override { return GetParam().auth_db; }
};

// SET k v1; SAVE; SET k v2 (acknowledged, in memory only); kill -9 and
// restart from the snapshot: the server now holds v1. Nothing is written
// meanwhile and it never goes down (--failure-limit 1000), so only its run_id
// tells it lost a write. GET k may miss, never answer v1 (--rejoin flush);
// --rejoin keep trusts what a backend loads, and only logs the restart. The
// restart is counted in PROXY NODES, INFO, the twemproxy stats document and
// /metrics.
TEST_P(BackendRestart, RestartFromAnOlderSnapshotNeverServesItsValues) {
  const bool flush = GetParam().rejoin == "flush";
  const uint16_t stats_port = free_port();
  const uint16_t metrics_port = free_port();
  start_proxy_for_test({{"--rejoin", GetParam().rejoin},
                        {"--failure-limit", "1000"},
                        {"--stats-port", std::to_string(stats_port)},
                        {"--metrics-port", std::to_string(metrics_port)},
                        {"--stats-interval", "50"}});
  const std::string k = "restart:k";
  Client c = proxy_client(Duration(5000));
  ASSERT_EQ(c.command({"SET", k, "v1"}), kOk);
  const size_t a = home_of(k);
  {
    Client s = session(a);
    ASSERT_EQ(s.command({"GET", k}), Reply::make_string("v1"));
    ASSERT_EQ(s.command({"SAVE"}), kOk);
  }
  ASSERT_EQ(c.command({"SET", k, "v2"}), kOk);
  const std::string old_id = run_id(a);
  ASSERT_FALSE(old_id.empty());

  backend(a).kill9();
  backend(a).restart();  // same port and directory: it loads the snapshot
  const std::string new_id = run_id(a);
  ASSERT_NE(new_id, old_id);
  if (!flush) {
    // Nothing flushes it under keep: the snapshot's value is there to serve.
    ASSERT_EQ(session(a).command({"GET", k}), Reply::make_string("v1"));
  }
  wait_probed_twice(a);
  wait_state(a, "up", kRejoinBound);

  const Reply got = c.command({"GET", k});
  if (flush) {
    EXPECT_NE(got, Reply::make_string("v1")) << "a value older than an acknowledged write";
    EXPECT_EQ(got, Reply::make_nil());
  } else {
    EXPECT_EQ(got, Reply::make_string("v1")) << "keep: the restarted backend serves what it loaded";
  }
  // The path tested: no write went elsewhere, and it was never down.
  EXPECT_EQ(info_number(control(), "failover_writes"), 0u);
  const std::vector<std::string> path = transitions(a);
  std::cout << "[ info     ] backend " << a << ":";
  for (const std::string& t : path) std::cout << " " << t;
  std::cout << std::endl;
  EXPECT_EQ(count_to(path, "down"), 0u);
  EXPECT_EQ(count_to(path, "probing"), flush ? 1u : 0u);
  EXPECT_TRUE(core::contains(proxy().log(), "restarted (run_id " + old_id + ", now " + new_id))
      << proxy().log_tail();
  EXPECT_EQ(nodes().at(a).num("restarts"), 1);
  EXPECT_EQ(info_number(control(), "backend_restarts"), 1u);
  // The exporters: a scalar in the backend's twemproxy server object, a
  // counter per backend in /metrics (servers are named cache<i>).
  const std::string restarted = "cache" + std::to_string(a);
  const nlohmann::json doc = stats_when(stats_port, [&](const nlohmann::json& d) {
    return d.contains("ringproxy") && d["ringproxy"].contains(restarted) &&
           d["ringproxy"][restarted].value("restarts", 0) == 1;
  });
  ASSERT_TRUE(doc.contains("ringproxy")) << doc.dump();
  nlohmann::json families;
  EXPECT_TRUE(wait_until(
      [&] {
        families = scrape(metrics_port);
        return sample_value(families, "ringproxy_backend_restarts",
                            "ringproxy_backend_restarts_total", {{"backend", restarted}}) == 1;
      },
      kDefaultReadyTimeout))
      << (families.contains("ringproxy_backend_restarts")
              ? families["ringproxy_backend_restarts"].dump()
              : "no ringproxy_backend_restarts");
  for (size_t i = 0; i < backends_.size(); ++i) {
    const std::string name = "cache" + std::to_string(i);
    const uint64_t want = i == a ? 1 : 0;
    ASSERT_TRUE(doc["ringproxy"].contains(name)) << doc.dump();
    EXPECT_EQ(doc["ringproxy"][name].value("restarts", uint64_t{99}), want) << name << doc.dump();
    EXPECT_EQ(sample_value(families, "ringproxy_backend_restarts",
                           "ringproxy_backend_restarts_total", {{"backend", name}}),
              static_cast<double>(want))
        << name;
  }

  ASSERT_EQ(c.command({"SET", k, "v3"}), kOk);
  EXPECT_EQ(c.command({"GET", k}), Reply::make_string("v3"));
}

INSTANTIATE_TEST_SUITE_P(Policies, BackendRestart,
                         ::testing::Values(RestartCase{"flush", false}, RestartCase{"keep", false},
                                           RestartCase{"flush", true}),
                         [](const auto& info) {
                           return info.param.rejoin + (info.param.auth_db ? "_auth_db" : "");
                         });

// The run_id the proxy first sees is where it starts from, not a restart: a
// backend already holding data when the proxy starts is not flushed.
class FirstRunId : public RestartTest {};

TEST_F(FirstRunId, BackendsHoldingDataAtStartAreNotFlushed) {
  // Written before the proxy starts, on every backend, so each key's home has it.
  const std::vector<std::string> keys = make_keys("before:", 20);
  for (size_t i = 0; i < backends_.size(); ++i) {
    Client s = session(i);
    for (const std::string& k : keys) ASSERT_EQ(s.command({"SET", k, "old:" + k}), kOk);
  }
  start_proxy_for_test({});
  for (size_t i = 0; i < backends_.size(); ++i) wait_probed_twice(i);
  Client c = proxy_client(Duration(5000));
  for (const std::string& k : keys)
    EXPECT_EQ(c.command({"GET", k}), Reply::make_string("old:" + k));
  for (size_t i = 0; i < backends_.size(); ++i) {
    Client s = session(i);
    EXPECT_EQ(calls(s, "flushdb"), 0u) << "backend " << i;
    EXPECT_EQ(nodes().at(i).state(), "up");
    EXPECT_EQ(nodes().at(i).num("restarts"), 0);
    EXPECT_TRUE(transitions(i).empty());
  }
  EXPECT_EQ(info_number(control(), "backend_restarts"), 0u);
}

// A backend that refuses INFO (FakeBackend answers it with -ERR) is probed and
// served as before, without restart detection; INFO is asked once per probe
// connection, not with every PING.
class NoInfoBackend : public FakeBackendTest {
 protected:
  std::vector<std::string> proxy_args() const override {
    // A long probe timeout: the probe connection must not be replaced.
    return {"--health-interval-ms", "50", "--health-timeout-ms", "5000"};
  }
};

TEST_F(NoInfoBackend, KeepsWorkingWithoutRestartDetection) {
  FakeBackend* self = nullptr;
  FakeBackend fake([&](FakeBackend::Session& s, const std::vector<std::string>& argv) {
    s.send(self->basic_reply(argv));
  });
  self = &fake;
  fakes_ = {&fake};
  start_proxy();
  ASSERT_TRUE(wait_until([&] { return fake.requests_named("PING") >= 4; }, Duration(10000)));
  Client c = proxy_client();
  EXPECT_EQ(c.command({"SET", "k", "v"}), Reply::make_status("OK"));
  EXPECT_EQ(c.command({"GET", "k"}), Reply::make_string("v"));
  EXPECT_EQ(backend_field(c, 0, "state"), "up");
  EXPECT_EQ(fake.requests_named("INFO"), 1u);
  EXPECT_EQ(fake.requests_named("FLUSHDB"), 0u);
  EXPECT_EQ(info_number(c, "backend_restarts"), 0u);
}

}  // namespace
}  // namespace ringproxy::testing
