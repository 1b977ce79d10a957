// Micro benchmarks of the metrics the data path would pay per request
// (src/stats/): a latency histogram update, the backend counters, the
// per-command table, hot-key sampling at several rates, and the clock read a
// latency needs; then what the loop pays once per --stats-interval to build a
// snapshot and what an export costs. bench/stats_probe.cpp counts the same
// data-path calls in instructions under callgrind.
#include <benchmark/benchmark.h>
#include <uv.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ringproxy/stats/command_stats.hpp"
#include "ringproxy/stats/counters.hpp"
#include "ringproxy/stats/hot_keys.hpp"
#include "ringproxy/stats/latency_histogram.hpp"
#include "ringproxy/stats/prometheus_collector.hpp"
#include "ringproxy/stats/stats_snapshot.hpp"
#include "ringproxy/stats/twemproxy_stats.hpp"

namespace ringproxy::stats {
namespace {

constexpr size_t kValues = 65536;

// Latencies as a proxy sees them: log-normal around 40 µs with a long tail,
// so the branch predictor and the cache cannot learn one bucket.
const std::vector<uint64_t>& latencies() {
  static const std::vector<uint64_t> values = [] {
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> dist(std::log(40000.0), 1.0);
    std::vector<uint64_t> v(kValues);
    for (uint64_t& x : v) x = static_cast<uint64_t>(dist(rng));
    return v;
  }();
  return values;
}

// Keys as the route benchmark uses them, 20% of the requests on 100 hot keys.
const std::vector<std::string>& keys() {
  static const std::vector<std::string> values = [] {
    std::mt19937 rng(2);
    std::vector<std::string> v(kValues);
    for (size_t i = 0; i < kValues; ++i) {
      v[i] = rng() % 5 == 0 ? "hot:" + std::to_string(rng() % 100)
                            : "user:" + std::to_string(rng() % 1'000'000) + ":profile";
    }
    return v;
  }();
  return values;
}

void BM_HistogramRecord(benchmark::State& state) {
  LatencyHistogram h;
  benchmark::DoNotOptimize(&h);  // its stores must happen: ClobberMemory covers escaped memory
  const auto& v = latencies();
  size_t i = 0;
  for (auto _ : state) {
    h.record_ns(v[i++ & (kValues - 1)]);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_HistogramRecord);

void BM_BackendResponse(benchmark::State& state) {  // an octave histogram
  BackendMetrics m;
  benchmark::DoNotOptimize(&m);
  const auto& v = latencies();
  size_t i = 0;
  for (auto _ : state) {
    m.on_response(v[i++ & (kValues - 1)]);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_BackendResponse);

void BM_BackendCountersOnly(benchmark::State& state) {
  BackendCounters c;
  benchmark::DoNotOptimize(&c);
  for (auto _ : state) {
    ++c.requests;
    c.request_bytes += 33;
    ++c.responses;
    c.response_bytes += 9;
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_BackendCountersOnly);

void BM_CommandRecord(benchmark::State& state) {
  std::vector<std::string> names(240, "cmd");
  CommandStatsTable t(names);
  benchmark::DoNotOptimize(&t);
  const auto& v = latencies();
  size_t i = 0;
  for (auto _ : state) {
    uint64_t ns = v[i++ & (kValues - 1)];
    t.record(static_cast<uint32_t>(ns & 3), ns);  // what every call pays: its counters
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_CommandRecord);

// record() per request at one sample in N, K = 64 (N = 1: every request takes
// the sampled path, Space-Saving's own cost).
void BM_HotKeysRecord(benchmark::State& state) {
  HotKeyOptions o;
  o.sample_every = static_cast<uint32_t>(state.range(0));
  HotKeys h(o, 0);
  benchmark::DoNotOptimize(&h);
  const auto& k = keys();
  size_t i = 0;
  for (auto _ : state) {
    h.record(k[i++ & (kValues - 1)], 1);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_HotKeysRecord)->Arg(1)->Arg(8)->Arg(32)->Arg(64)->Arg(128)->Arg(1024);

void BM_ClockRead(benchmark::State& state) {  // what a latency measurement costs on top
  for (auto _ : state) benchmark::DoNotOptimize(uv_hrtime());
}
BENCHMARK(BM_ClockRead);

// Off the data path, once per --stats-interval: summarizing a used histogram.
void BM_LatencySummary(benchmark::State& state) {
  LatencyHistogram h;
  for (uint64_t ns : latencies()) h.record_ns(ns);
  for (auto _ : state) benchmark::DoNotOptimize(LatencySummary::of(h));
}
BENCHMARK(BM_LatencySummary);

void BM_MergeHistogram(benchmark::State& state) {  // summing one loop into another
  LatencyHistogram a, b;
  benchmark::DoNotOptimize(&a);
  for (uint64_t ns : latencies()) b.record_ns(ns);
  for (auto _ : state) {
    a.merge(b);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_MergeHistogram);

StatsSnapshot big_snapshot(int backends, int commands) {
  LatencyHistogram h;
  for (uint64_t ns : latencies()) h.record_ns(ns);
  LatencySummary lat = LatencySummary::of(h);
  StatsSnapshot s;
  PoolSnapshot p;
  p.name = "pool";
  for (int i = 0; i < backends; ++i) {
    BackendSnapshot b;
    b.name = "10.0.0." + std::to_string(i) + ":6379";
    b.address = b.name;
    b.latency = lat;
    p.backends.push_back(b);
  }
  s.pools.push_back(p);
  for (int i = 0; i < commands; ++i) s.commands.push_back({"cmd" + std::to_string(i), {}, lat});
  return s;
}

void BM_RenderTwemproxy(benchmark::State& state) {
  StatsSnapshot s = big_snapshot(static_cast<int>(state.range(0)), 30);
  for (auto _ : state) benchmark::DoNotOptimize(render_twemproxy_stats(s));
}
BENCHMARK(BM_RenderTwemproxy)->Arg(10)->Arg(100);

void BM_PrometheusFamilies(benchmark::State& state) {
  StatsSnapshot s = big_snapshot(static_cast<int>(state.range(0)), 30);
  ProcessSample p;
  for (auto _ : state) benchmark::DoNotOptimize(prometheus_families(s, p));
}
BENCHMARK(BM_PrometheusFamilies)->Arg(10)->Arg(100);

}  // namespace
}  // namespace ringproxy::stats
