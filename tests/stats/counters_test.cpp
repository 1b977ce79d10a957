// Counter structs and their sums, the per-command table, and the Redis INFO
// lines built from them.
#include "ringproxy/stats/counters.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "ringproxy/stats/command_stats.hpp"
#include "ringproxy/stats/info_format.hpp"

namespace ringproxy::stats {
namespace {

TEST(Counters, SumAddsEveryFieldOfEveryLoop) {
  std::vector<BackendCounters> loops(3);
  for (uint64_t i = 0; i < 3; ++i) {
    BackendCounters& c = loops[i];
    c.server_eof = 1 + i;
    c.server_err = 10 + i;
    c.server_timedout = 100 + i;
    c.requests = 1000 + i;
    c.request_bytes = 10000 + i;
    c.responses = 100000 + i;
    c.response_bytes = 1000000 + i;
  }
  BackendCounters total = sum<BackendCounters>(loops);
  EXPECT_EQ(total.server_eof, 6u);
  EXPECT_EQ(total.server_err, 33u);
  EXPECT_EQ(total.server_timedout, 303u);
  EXPECT_EQ(total.requests, 3003u);
  EXPECT_EQ(total.request_bytes, 30003u);
  EXPECT_EQ(total.responses, 300003u);
  EXPECT_EQ(total.response_bytes, 3000003u);

  std::vector<PoolCounters> pools = {{1, 2, 3, 4, 5}, {10, 20, 30, 40, 50}};
  PoolCounters p = sum<PoolCounters>(pools);
  EXPECT_EQ(p.client_eof, 11u);
  EXPECT_EQ(p.client_err, 22u);
  EXPECT_EQ(p.server_ejects, 33u);
  EXPECT_EQ(p.forward_error, 44u);
  EXPECT_EQ(p.fragments, 55u);

  std::vector<ProxyCounters> proxies = {{7}, {8}};
  EXPECT_EQ(sum<ProxyCounters>(proxies).total_connections, 15u);

  std::vector<CommandCounters> commands = {{1, 1000, 0, 2}, {2, 500, 1, 0}};
  CommandCounters c = sum<CommandCounters>(commands);
  EXPECT_EQ(c.calls, 3u);
  EXPECT_EQ(c.duration_ns, 1500u);
  EXPECT_EQ(c.failed_calls, 1u);
  EXPECT_EQ(c.rejected_calls, 2u);
}

TEST(Counters, GaugesAddUpButTheEjectionTimeIsTheLatest) {
  std::vector<BackendGauges> loops = {{1, 2, 20, 3, 30, 5000}, {1, 0, 0, 4, 40, 7000}};
  BackendGauges g = sum<BackendGauges>(loops);
  EXPECT_EQ(g.server_connections, 2u);
  EXPECT_EQ(g.in_queue, 2u);
  EXPECT_EQ(g.in_queue_bytes, 20u);
  EXPECT_EQ(g.out_queue, 7u);
  EXPECT_EQ(g.out_queue_bytes, 70u);
  EXPECT_EQ(g.server_ejected_at_us, 7000u);
}

TEST(Counters, BackendMetricsCountRepliesAndTheirLatency) {
  BackendMetrics m;
  m.on_response(40'000);
  m.on_response(500);
  EXPECT_EQ(m.latency.count(), 2u);
  EXPECT_EQ(m.latency.sum_ns(), 40'500u);
}

TEST(CommandStatsTable, CountsEveryCallAndAllocatesHistogramsWhenSampled) {
  CommandStatsTable t({"get", "set", "mget"});
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.latency(0), nullptr);
  EXPECT_EQ(t.record(0, 2'000), 1u);
  EXPECT_EQ(t.record(0, 4'000), 2u);
  t.fail(0);
  t.reject(2);
  EXPECT_EQ(t.latency(0), nullptr);  // counted, not sampled
  const CommandCounters& get = t.counters(0);
  EXPECT_EQ(get.calls, 2u);
  EXPECT_EQ(get.duration_ns, 6'000u);
  EXPECT_EQ(get.failed_calls, 1u);
  EXPECT_EQ(get.rejected_calls, 0u);
  const CommandCounters& mget = t.counters(2);
  EXPECT_EQ(mget.calls, 0u);  // a rejected call is not a call, as in Redis
  EXPECT_EQ(mget.rejected_calls, 1u);
  std::vector<uint32_t> used;
  t.for_each_used(
      [&](uint32_t id, const CommandCounters&, const LatencyHistogram*) { used.push_back(id); });
  EXPECT_EQ(used, (std::vector<uint32_t>{0, 2}));
  // A sampled call stands for `weight` calls in the histogram only.
  t.record_latency(0, 3'000, 16);
  ASSERT_NE(t.latency(0), nullptr);
  EXPECT_EQ(t.latency(0)->count(), 16u);
  EXPECT_EQ(t.latency(0)->sum_ns(), 48'000u);
  EXPECT_EQ(t.counters(0).calls, 2u);
  EXPECT_EQ(t.latency(1), nullptr);
}

TEST(CommandStatsTable, MergeAddsAnotherLoopsTable) {
  CommandStatsTable a({"get", "set"});
  CommandStatsTable b({"get", "set"});
  a.record(0, 1'000, false);
  b.record(0, 3'000, true);
  b.record(1, 5'000, false);
  b.reject(1);
  a.merge(b);
  EXPECT_EQ(a.counters(0).calls, 2u);
  EXPECT_EQ(a.counters(0).failed_calls, 1u);
  ASSERT_NE(a.latency(0), nullptr);
  EXPECT_EQ(a.latency(0)->sum_ns(), 4'000u);
  EXPECT_EQ(a.counters(1).calls, 1u);
  EXPECT_EQ(a.counters(1).rejected_calls, 1u);
}

TEST(InfoFormat, CommandstatsLineIsRedisSeven) {
  CommandCounters c{200, 282'900, 3, 1};
  EXPECT_EQ(commandstats_line("get", c),
            "cmdstat_get:calls=200,usec=282,usec_per_call=1.41,rejected_calls=1,failed_calls=3");
  EXPECT_EQ(commandstats_line("set", CommandCounters{}),
            "cmdstat_set:calls=0,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0");
}

TEST(InfoFormat, LatencystatsLineIsRedisSeven) {
  LatencyHistogram h;
  for (int i = 0; i < 1000; ++i) h.record_ns(1'200);  // the bucket [1024, 2048) ns
  h.record_ns(26'000);                                // [25600, 26624) ns
  // Each percentile is the upper edge of its bucket.
  EXPECT_EQ(latencystats_line("get", h),
            "latency_percentiles_usec_get:p50=2.048,p99=2.048,p99.9=2.048");
  const double custom[] = {90.0, 100.0};
  EXPECT_EQ(latencystats_line("set", h, custom),
            "latency_percentiles_usec_set:p90=2.048,p100=26.624");
  EXPECT_EQ(latencystats_line("del", LatencyHistogram()),
            "latency_percentiles_usec_del:p50=0.000,p99=0.000,p99.9=0.000");
}

}  // namespace
}  // namespace ringproxy::stats
