// Failover tests, continued: rejoin never serves stale values (both --rejoin policies), the
// failover key log's bound, a failing backend's modes, requests in flight on a broken
// connection, and what PROXY NODES and INFO show. Fixture: failover_fixture.hpp.
#include "failover_fixture.hpp"

namespace ringproxy::testing {
namespace {

using std::chrono::duration_cast;

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
// successor until its stale-range cleaner removes them; they are never served:
// the rejoin gave the successor a dirty entry for the range it lost, so a read
// of them there (the home backend failed again) answers as a miss. The proxy
// logs how many were untracked and INFO counts them (failover_keys_untracked,
// cumulative).

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
  EXPECT_EQ(missing, n);
  EXPECT_EQ(stale, 0u) << "copies past the bound are in the successor's stale ranges";
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
  EXPECT_EQ(node_keys.size(), 20u);
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
