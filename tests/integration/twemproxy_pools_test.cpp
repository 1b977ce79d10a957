// Issue 18: several pools of one twemproxy file in one ringproxy process, one
// listener each, as nutcracker runs them. The file holds two redis pools
// with different distributions, hashes, hash tags and backends, and a
// memcached pool that ringproxy skips with a warning (nutcracker serves it;
// nothing here talks to it). Keys written through nutcracker's listener of a
// pool must read back through ringproxy's listener of the same pool and sit
// on that pool's backends only; the stats port has both pools with
// nutcracker's keys; INFO on each listener describes its pool; SIGHUP
// changing one pool's servers changes only that pool; SIGTERM drains both
// and exits 0.
//
// The placement and stats comparisons skip (not fail) without nutcracker.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "exporters_util.hpp"
#include "harness.hpp"
#include "nutcracker.hpp"

namespace ringproxy::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Backends = std::vector<std::unique_ptr<RedisServer>>;

struct Ports {
  uint16_t alpha = 0;
  uint16_t beta = 0;
  uint16_t cache = 0;  // the memcached pool
};

std::string servers(const Backends& backends, const std::vector<std::string>& names = {}) {
  std::string y = "  servers:\n";
  for (size_t i = 0; i < backends.size(); ++i) {
    y += "   - " + backends[i]->address() + ":1" + (i < names.size() ? " " + names[i] : "") + "\n";
  }
  return y;
}

// alpha: ketama, fnv1a_64 (twemproxy's default), hash tag {}; beta: modula,
// murmur, hash tag $$, named servers; cache: memcached.
std::string pools_yaml(const Ports& p, const Backends& alpha, const Backends& beta) {
  return "alpha:\n  listen: 127.0.0.1:" + std::to_string(p.alpha) +
         "\n  redis: true\n  hash_tag: \"{}\"\n" + servers(alpha) +
         "cache:\n  listen: 127.0.0.1:" + std::to_string(p.cache) +
         "\n  hash: fnv1a_64\n  servers:\n   - 127.0.0.1:" + std::to_string(free_port()) + ":1\n" +
         "beta:\n  listen: 127.0.0.1:" + std::to_string(p.beta) +
         "\n  redis: true\n  distribution: modula\n  hash: murmur\n  hash_tag: \"$$\"\n" +
         servers(beta, {"b-one", "b-two", "b-three"});
}

Backends start_backends(size_t n) {
  Backends out;
  for (size_t i = 0; i < n; ++i) out.push_back(std::make_unique<RedisServer>());
  return out;
}

bool answers_ping(uint16_t port) {
  try {
    return Client(port, Duration(500)).command({"PING"}) == Reply::make_status("PONG");
  } catch (const HarnessError&) {
    return false;
  }
}

// ringproxy running `yaml(ports)` as written (listeners on its own free
// ports), with `extra` options; ready once both redis pools answer.
struct PoolsProxy {
  Ports ports;
  fs::path yaml_path;
  std::unique_ptr<ProxyProcess> process;

  PoolsProxy(const fs::path& dir, const std::function<std::string(const Ports&)>& yaml,
             const std::vector<std::string>& extra = {}) {
    ports = {free_port(), free_port(), free_port()};
    yaml_path = dir / "ringproxy.yml";
    std::ofstream(yaml_path, std::ios::trunc) << yaml(ports);
    ProxyOptions po;
    po.port = ports.alpha;
    po.add_listen_arg = false;
    po.extra_args = {"--twemproxy-config", yaml_path.string()};
    po.extra_args.insert(po.extra_args.end(), extra.begin(), extra.end());
    process = std::make_unique<ProxyProcess>(po);
    if (!wait_until([&] { return answers_ping(ports.beta); }, kDefaultReadyTimeout)) {
      throw HarnessError("pool beta does not answer:\n" + process->log_tail());
    }
  }
};

size_t dbsize(const Backends& backends) {
  size_t total = 0;
  for (const auto& b : backends) total += b->client().command({"DBSIZE"}).integer;
  return total;
}

void flush(const Backends& backends) {
  for (const auto& b : backends) b->client().command({"FLUSHALL"});
}

// Keys SET through `writer` that do not read back through `reader`.
size_t misses(Client& writer, Client& reader, const std::vector<std::string>& keys,
              const std::string& tag, std::string& detail) {
  std::vector<std::vector<std::string>> sets, gets;
  for (size_t i = 0; i < keys.size(); ++i) {
    sets.push_back({"SET", keys[i], tag + std::to_string(i)});
    gets.push_back({"GET", keys[i]});
  }
  for (const Reply& r : writer.pipeline(sets)) {
    if (r != Reply::make_status("OK")) throw HarnessError("SET failed: " + r.to_string());
  }
  const std::vector<Reply> got = reader.pipeline(gets);
  size_t bad = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (got[i] != Reply::make_string(tag + std::to_string(i))) {
      if (++bad <= 5) detail += "  " + show(keys[i]) + " -> " + got[i].to_string() + "\n";
    }
  }
  return bad;
}

std::string info(uint16_t port, const std::string& field) {
  const Reply r = Client(port).command({"INFO", "all"});
  return info_field(r.str, field);
}

TEST(TwemproxyPools, EachPoolPlacesLikeNutcrackerAndHasItsStats) {
  if (nutcracker_binary().empty()) GTEST_SKIP() << "nutcracker (Debian package) not installed";
  const Backends alpha = start_backends(2);
  const Backends beta = start_backends(3);
  TempDir dir("ringproxy-pools");
  Ports nc_ports;
  Nutcracker nc(dir.path(),
                [&](uint16_t port) {
                  nc_ports = {port, free_port(), free_port()};
                  return pools_yaml(nc_ports, alpha, beta);
                },
                {"-i", "100"});
  const uint16_t stats_port = free_port();
  const uint16_t metrics_port = free_port();
  PoolsProxy rp(dir.path(), [&](const Ports& p) { return pools_yaml(p, alpha, beta); },
                {"--stats-port", std::to_string(stats_port), "--metrics-port",
                 std::to_string(metrics_port), "--stats-interval", "50"});

  const std::string log = rp.process->log();
  EXPECT_NE(log.find("pool cache of " + rp.yaml_path.string() + " is a memcached pool"),
            std::string::npos)
      << log;
  EXPECT_FALSE(answers_ping(rp.ports.cache)) << "the memcached pool must not listen";

  const std::vector<std::string> keys = make_keys(1000, 18);
  struct Case {
    const char* name;
    uint16_t nc;
    uint16_t rp;
    const Backends& own;
    const Backends& other;
  };
  for (const Case& c : {Case{"alpha", nc_ports.alpha, rp.ports.alpha, alpha, beta},
                        Case{"beta", nc_ports.beta, rp.ports.beta, beta, alpha}}) {
    flush(alpha);
    flush(beta);
    Client via_nc(c.nc), via_rp(c.rp);
    std::string detail;
    EXPECT_EQ(misses(via_nc, via_rp, keys, "nc->rp:", detail), 0u) << c.name << "\n" << detail;
    std::vector<std::string> subset;
    for (size_t i = 0; i < keys.size(); i += 7) subset.push_back(keys[i]);
    EXPECT_EQ(misses(via_rp, via_nc, subset, "rp->nc:", detail), 0u) << c.name << "\n" << detail;
    EXPECT_EQ(dbsize(c.own), keys.size()) << c.name << ": each key once on the pool's backends";
    EXPECT_EQ(dbsize(c.other), 0u) << c.name << ": nothing on the other pool's backends";
  }

  // INFO on each listener describes its pool.
  EXPECT_EQ(info(rp.ports.alpha, "tcp_port"), std::to_string(rp.ports.alpha));
  EXPECT_EQ(info(rp.ports.beta, "tcp_port"), std::to_string(rp.ports.beta));
  EXPECT_EQ(info(rp.ports.alpha, "distribution"), "ketama");
  EXPECT_EQ(info(rp.ports.beta, "distribution"), "modula");
  EXPECT_EQ(info(rp.ports.alpha, "backends"), "2");
  EXPECT_EQ(info(rp.ports.beta, "backends"), "3");

  // One stats document, one object per redis pool, nutcracker's keys; each
  // pool's servers counted that pool's requests (every GET through ringproxy
  // and every SET of the subset).
  const auto pool_requests = [](const Json& d, const char* pool) {
    uint64_t n = 0;
    if (!d.contains(pool)) return n;
    for (auto& [name, server] : d[pool].items()) {
      if (server.is_object()) n += server["requests"].get<uint64_t>();
    }
    return n;
  };
  const Json ours = stats_when(stats_port, [&](const Json& d) {
    return pool_requests(d, "alpha") >= keys.size() && pool_requests(d, "beta") >= keys.size();
  });
  EXPECT_GE(pool_requests(ours, "alpha"), keys.size()) << ours.dump();
  EXPECT_GE(pool_requests(ours, "beta"), keys.size()) << ours.dump();
  const Json theirs = stats_when(nc.stats_port(), [](const Json& d) { return d.contains("beta"); });
  const JsonKeys our_top = keys_of(ours);
  const JsonKeys their_top = keys_of(theirs);
  EXPECT_EQ(our_top.scalars, their_top.scalars);
  EXPECT_EQ(our_top.objects, (std::set<std::string>{"alpha", "beta"})) << ours.dump();
  EXPECT_EQ(their_top.objects, (std::set<std::string>{"alpha", "beta", "cache"}));
  for (const char* pool : {"alpha", "beta"}) {
    const JsonKeys our_pool = keys_of(ours[pool]);
    const JsonKeys their_pool = keys_of(theirs[pool]);
    EXPECT_EQ(our_pool.scalars, their_pool.scalars) << pool;
    EXPECT_EQ(our_pool.objects, their_pool.objects) << pool << ": server names";
    for (const std::string& s : our_pool.objects) {
      // ringproxy's own figures come as scalars on top of nutcracker's.
      std::set<std::string> expected = keys_of(theirs[pool][s]).scalars;
      expected.insert("restarts");
      EXPECT_EQ(keys_of(ours[pool][s]).scalars, expected) << s;
    }
  }

  // One /metrics: every pool's figures under a `pool` label, commands too.
  Json families;
  const auto set_calls = [&](const char* pool) {
    return sample_value(families, "ringproxy_command_calls", "ringproxy_command_calls_total",
                        {{"pool", pool}, {"cmd", "set"}});
  };
  const double subset_size = static_cast<double>((keys.size() + 6) / 7);
  EXPECT_TRUE(wait_until(
      [&] {
        families = scrape(metrics_port);
        return set_calls("alpha") >= subset_size && set_calls("beta") >= subset_size;
      },
      kDefaultReadyTimeout))
      << families.dump();
  for (const char* pool : {"alpha", "beta"}) {
    EXPECT_EQ(set_calls(pool), subset_size) << pool << ": the SETs sent through ringproxy";
    EXPECT_GE(sample_value(families, "ringproxy_ring_version", "ringproxy_ring_version",
                           {{"pool", pool}}),
              1)
        << pool;
  }
  EXPECT_GE(sample_value(families, "ringproxy_backend_requests", "ringproxy_backend_requests_total",
                         {{"pool", "beta"}, {"backend", "b-three"}}),
            1);

  EXPECT_FALSE(rp.process->unexpected_exit()) << rp.process->log_tail();
}

TEST(TwemproxyPools, SighupReloadsEachPoolFromItsOwnPart) {
  const Backends alpha = start_backends(2);
  const Backends beta = start_backends(3);
  TempDir dir("ringproxy-pools");
  const auto yaml = [&](const Ports& p, size_t beta_servers, bool gamma) {
    std::string y = "alpha:\n  listen: 127.0.0.1:" + std::to_string(p.alpha) + "\n  redis: true\n" +
                    servers(alpha) + "beta:\n  listen: 127.0.0.1:" + std::to_string(p.beta) +
                    "\n  redis: true\n  distribution: modula\n" + "  servers:\n";
    for (size_t i = 0; i < beta_servers; ++i) {
      y += "   - " + beta[i]->address() + ":1 b" + std::to_string(i) + "\n";
    }
    if (gamma) {
      y += "gamma:\n  listen: 127.0.0.1:" + std::to_string(p.cache) + "\n  redis: true\n" +
           servers(alpha);
    }
    return y;
  };
  PoolsProxy rp(dir.path(), [&](const Ports& p) { return yaml(p, 2, false); });
  EXPECT_EQ(info(rp.ports.beta, "backends"), "2");
  const std::string alpha_version = info(rp.ports.alpha, "ring_version");

  // beta gains a server, gamma appears; alpha is unchanged.
  std::ofstream(rp.yaml_path, std::ios::trunc) << yaml(rp.ports, 3, true);
  rp.process->signal(SIGHUP);
  ASSERT_TRUE(
      wait_until([&] { return info(rp.ports.beta, "backends") == "3"; }, kDefaultReadyTimeout))
      << rp.process->log_tail();
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string log = rp.process->log();
        return log.find("pool alpha: reload: backends unchanged") != std::string::npos &&
               log.find("pool beta: reload: backends changed") != std::string::npos;
      },
      kDefaultReadyTimeout))
      << rp.process->log_tail();
  const std::string log = rp.process->log();
  EXPECT_NE(log.find("SIGHUP received: reopening the log file"), std::string::npos);
  EXPECT_NE(log.find("reload: pool gamma is new in"), std::string::npos) << log;
  EXPECT_EQ(info(rp.ports.alpha, "backends"), "2");
  EXPECT_EQ(info(rp.ports.alpha, "ring_version"), alpha_version) << "alpha's ring was not rebuilt";
  EXPECT_FALSE(answers_ping(rp.ports.cache)) << "a pool added on reload is not started";
  // Every key through beta still lands on beta's (now three) backends.
  Client c(rp.ports.beta);
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(c.command({"SET", "k" + std::to_string(i), "v"}), Reply::make_status("OK"));
  }
  EXPECT_EQ(dbsize(beta), 300u);
  EXPECT_EQ(dbsize(alpha), 0u);
  EXPECT_GT(beta[2]->client().command({"DBSIZE"}).integer, 0) << "the new server takes keys";

  // SIGTERM: both pools drain (their idle clients are closed), exit 0.
  Client idle_alpha(rp.ports.alpha), idle_beta(rp.ports.beta);
  ASSERT_EQ(idle_alpha.command({"PING"}), Reply::make_status("PONG"));
  ASSERT_EQ(idle_beta.command({"PING"}), Reply::make_status("PONG"));
  rp.process->signal(SIGTERM);
  const std::optional<ExitStatus> st = rp.process->wait_exit(Duration(10000));
  ASSERT_TRUE(st.has_value()) << rp.process->log_tail();
  EXPECT_TRUE(st->clean()) << *st << "\n" << rp.process->log_tail();
  const std::string end = rp.process->log();
  EXPECT_NE(end.find("pool alpha: SIGTERM received: shutting down"), std::string::npos) << end;
  EXPECT_NE(end.find("pool beta: SIGTERM received: shutting down"), std::string::npos) << end;
  rp.process->stop();
}

TEST(TwemproxyPools, CheckConfigPrintsEveryPoolAndUnsharableOptionsAreRefused) {
  const Backends alpha = start_backends(2);
  const Backends beta = start_backends(3);
  TempDir dir("ringproxy-pools");
  const fs::path yaml = dir.path() / "pools.yml";
  const Ports ports{free_port(), free_port(), free_port()};
  std::ofstream(yaml) << pools_yaml(ports, alpha, beta);
  const std::string bin = proxy_binary();

  CommandResult r = run_command({bin, "--twemproxy-config", yaml.string(), "--check-config"});
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("# pool alpha"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# pool beta"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("# pool cache"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# ring: ketama, hash fnv1a_64"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# ring: modula, hash murmur"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# member b-three"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("pool cache of"), std::string::npos) << r.err;

  r = run_command({bin, "--twemproxy-config", yaml.string(), "--listen", "127.0.0.1:1"});
  EXPECT_EQ(r.status.code, 2) << r.describe();
  EXPECT_NE(r.err.find("'--listen' cannot be given"), std::string::npos) << r.err;
  r = run_command({bin, "--twemproxy-config", yaml.string(), "--etcd", "http://127.0.0.1:1"});
  EXPECT_EQ(r.status.code, 2) << r.describe();
  EXPECT_NE(r.err.find("'--etcd'"), std::string::npos) << r.err;

  const fs::path memcached = dir.path() / "memcached.yml";
  std::ofstream(memcached) << "a:\n  listen: 127.0.0.1:1\n  servers:\n   - 127.0.0.1:2:1\n"
                           << "b:\n  listen: 127.0.0.1:3\n  redis: false\n  servers:\n"
                           << "   - 127.0.0.1:4:1\n";
  r = run_command({bin, "--twemproxy-config", memcached.string()});
  EXPECT_EQ(r.status.code, 2) << r.describe();
  EXPECT_NE(r.err.find("no redis pool"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ringproxy::testing
