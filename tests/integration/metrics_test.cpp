// Issue 18: the proxy's metrics as the tools read them. The stats port
// (--stats-port) serves the document a real nutcracker serves, key for key;
// /metrics (--metrics-port) parses with python3-prometheus-client's reference
// parser and counts what was sent.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "exporters_util.hpp"
#include "harness.hpp"
#include "nutcracker.hpp"

namespace ringproxy::testing {
namespace {

using Json = nlohmann::json;

std::vector<std::string> proxy_args(uint16_t stats_port) {
  return {"--stats-port", std::to_string(stats_port), "--stats-interval", "50"};
}

TEST(StatsPort, HasNutcrackersKeysAndCountsRequests) {
  RedisServer a, b;
  const uint16_t stats_port = free_port();
  ProxyProcess proxy({a.backend(1, "one"), b.backend(1, "two")}, proxy_args(stats_port));
  Client c(proxy.port());
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(c.command({"SET", "k" + std::to_string(i), "v"}), Reply::make_status("OK"));
  }
  Json ours = stats_when(stats_port, [](const Json& d) {
    uint64_t requests = 0;
    for (auto& [pool, p] : d.items()) {
      if (!p.is_object()) continue;
      for (auto& [server, s] : p.items()) {
        if (s.is_object()) requests += s["requests"].get<uint64_t>();
      }
    }
    return requests >= 50;
  });
  ASSERT_TRUE(ours.is_object()) << ours.dump();
  const JsonKeys top = keys_of(ours);
  ASSERT_EQ(top.objects.size(), 1u) << ours.dump();
  const Json& pool = ours[*top.objects.begin()];
  const JsonKeys pool_keys = keys_of(pool);
  const std::set<std::string>& servers = pool_keys.objects;
  EXPECT_EQ(servers, (std::set<std::string>{"one", "two"})) << ours.dump();
  uint64_t responses = 0, request_bytes = 0;
  for (const std::string& s : servers) {
    responses += pool[s]["responses"].get<uint64_t>();
    request_bytes += pool[s]["request_bytes"].get<uint64_t>();
    EXPECT_GE(pool[s]["server_connections"].get<uint64_t>(), 1u) << s;
  }
  EXPECT_GE(responses, 50u);
  EXPECT_GE(request_bytes, 50u * 25);  // *3 $3 SET $2.. k. $1 v: at least 25 bytes each
  EXPECT_GE(ours["total_connections"].get<uint64_t>(), 1u);
  EXPECT_GE(ours["curr_connections"].get<uint64_t>(), 1u);

  if (nutcracker_binary().empty()) {
    GTEST_SKIP() << "nutcracker not installed (scripts/install-deps.sh installs it)";
  }
  TempDir dir("ringproxy-metrics-test");
  Nutcracker nc(dir.path(),
                [&](uint16_t listen) {
                  return "alpha:\n  listen: 127.0.0.1:" + std::to_string(listen) +
                         "\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n  servers:\n" +
                         "   - " + a.address() + ":1 one\n" + "   - " + b.address() + ":1 two\n";
                },
                {"-i", "100"});
  const Json theirs =
      stats_when(nc.stats_port(), [](const Json& d) { return d.contains("alpha"); });
  ASSERT_TRUE(theirs.contains("alpha")) << "nutcracker did not serve its stats: " << nc.log();
  const JsonKeys their_top = keys_of(theirs);
  EXPECT_EQ(top.scalars, their_top.scalars);
  ASSERT_EQ(their_top.objects.size(), 1u);
  const Json& their_pool = theirs[*their_top.objects.begin()];
  const JsonKeys their_pool_keys = keys_of(their_pool);
  EXPECT_EQ(pool_keys.scalars, their_pool_keys.scalars);
  EXPECT_EQ(their_pool_keys.objects, servers)
      << "server keys are the ring names, as nutcracker names them";
  for (const std::string& s : servers) {
    // ringproxy's own figures come as scalars on top of nutcracker's.
    std::set<std::string> expected = keys_of(their_pool[s]).scalars;
    expected.insert("restarts");
    EXPECT_EQ(keys_of(pool[s]).scalars, expected) << s;
  }
}

TEST(MetricsPort, ParsesAndCountsCommandsAndBackends) {
  RedisServer a, b;
  const uint16_t metrics_port = free_port();
  ProxyProcess proxy({a.backend(1, "one"), b.backend(1, "two")},
                     {"--metrics-port", std::to_string(metrics_port), "--stats-interval", "50"});
  Client c(proxy.port());
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(c.command({"SET", "k" + std::to_string(i), "v"}), Reply::make_status("OK"));
    ASSERT_EQ(c.command({"GET", "k" + std::to_string(i)}), Reply::make_string("v"));
  }
  ASSERT_TRUE(c.command({"LPUSH", "k1", "x"}).is_error());  // WRONGTYPE: a failed call
  ASSERT_TRUE(c.command({"GET"}).is_error());               // wrong arity: a rejected call
  Json families;
  ASSERT_TRUE(wait_until(
      [&] {
        families = scrape(metrics_port);
        return sample_value(families, "ringproxy_command_calls", "ringproxy_command_calls_total",
                            {{"cmd", "get"}}) >= 40;
      },
      kDefaultReadyTimeout))
      << families.dump();
  EXPECT_EQ(sample_value(families, "ringproxy_command_calls", "ringproxy_command_calls_total",
                         {{"cmd", "set"}}),
            40);
  EXPECT_EQ(sample_value(families, "ringproxy_command_failed_calls",
                         "ringproxy_command_failed_calls_total", {{"cmd", "lpush"}}),
            1);
  EXPECT_EQ(sample_value(families, "ringproxy_command_rejected_calls",
                         "ringproxy_command_rejected_calls_total", {{"cmd", "get"}}),
            1);
  EXPECT_EQ(sample_value(families, "ringproxy_command_duration_seconds",
                         "ringproxy_command_duration_seconds_count", {{"cmd", "get"}}),
            40);
  // Every GET and SET went to one of the two backends, and was timed there.
  double backend_requests = 0, backend_timed = 0;
  for (const char* name : {"one", "two"}) {
    const double r = sample_value(families, "ringproxy_backend_requests",
                                  "ringproxy_backend_requests_total", {{"backend", name}});
    const double t =
        sample_value(families, "ringproxy_backend_request_duration_seconds",
                     "ringproxy_backend_request_duration_seconds_count", {{"backend", name}});
    ASSERT_GE(r, 0) << name << families.dump();
    backend_requests += r;
    backend_timed += t;
  }
  EXPECT_EQ(backend_requests, 81);
  EXPECT_EQ(backend_timed, 81);
  EXPECT_EQ(
      sample_value(families, "ringproxy_backend_up", "ringproxy_backend_up", {{"backend", "one"}}),
      1);
  EXPECT_GE(sample_value(families, "ringproxy_ring_version", "ringproxy_ring_version", {}), 1);
  EXPECT_GE(
      sample_value(families, "ringproxy_client_connections", "ringproxy_client_connections", {}),
      1);
  EXPECT_GT(
      sample_value(families, "process_resident_memory_bytes", "process_resident_memory_bytes", {}),
      0);
}

// A Redis exporter (Debian's prometheus-redis-exporter) pointed at the proxy
// as at one Redis: it scrapes INFO, CONFIG GET, SLOWLOG, CLIENT LIST, ... and
// must report the proxy up with no scrape error, and the keys of both
// backends as its db0 (from INFO Keyspace, which sums the figures the
// backends give every --stats-interval).
TEST(RedisExporter, ReportsTheProxyWithoutAScrapeError) {
  std::string bin = find_executable("prometheus-redis-exporter");
  if (bin.empty()) {
    GTEST_SKIP() << "prometheus-redis-exporter not installed (scripts/install-deps.sh installs it)";
  }
  RedisServer a, b;
  ProxyProcess proxy({a.backend(1, "one"), b.backend(1, "two")},
                     {"--stats-interval", "100", "--health-interval-ms", "100"});
  Client c(proxy.port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(c.command({"SET", "k" + std::to_string(i), "v"}), Reply::make_status("OK"));
    ASSERT_EQ(c.command({"GET", "k" + std::to_string(i)}), Reply::make_string("v"));
  }
  TempDir dir("ringproxy-exporter-test");
  const uint16_t web = free_port();
  ChildProcess exporter({bin, "-redis.addr", "redis://127.0.0.1:" + std::to_string(proxy.port()),
                         "-web.listen-address", "127.0.0.1:" + std::to_string(web)},
                        dir.path() / "exporter.log");
  Json families;
  ASSERT_TRUE(wait_until(
      [&] {
        try {
          families = scrape(web);
          // The figures come with the next asks after the writes.
          return sample_value(families, "redis_db_keys", "redis_db_keys", {{"db", "db0"}}) == 20;
        } catch (const HarnessError&) {
          return false;
        }
      },
      kDefaultReadyTimeout))
      << "the exporter did not serve /metrics with db0's 20 keys: "
      << (families.contains("redis_db_keys") ? families["redis_db_keys"].dump() : families.dump());
  EXPECT_EQ(sample_value(families, "redis_up", "redis_up", {}), 1);
  EXPECT_EQ(sample_value(families, "redis_exporter_last_scrape_error",
                         "redis_exporter_last_scrape_error", {{"err", ""}}),
            0)
      << families["redis_exporter_last_scrape_error"].dump();
  EXPECT_GE(sample_value(families, "redis_connected_clients", "redis_connected_clients", {}), 1);
  EXPECT_GE(sample_value(families, "redis_commands", "redis_commands_total", {{"cmd", "get"}}), 20);
  EXPECT_GT(sample_value(families, "redis_memory_used_bytes", "redis_memory_used_bytes", {}), 0);
}

}  // namespace
}  // namespace ringproxy::testing
