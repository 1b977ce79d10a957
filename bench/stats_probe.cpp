// Instruction counts of the metrics' data-path calls, for callgrind:
//   valgrind --tool=callgrind --toggle-collect=probe_<name> build/bench/stats_probe <name> N
// runs one probe: N calls over the same precomputed latencies and keys as
// micro_stats.cpp. Only the probe function is counted, and every probe shares
// the baseline's loop (load a latency and a key, a compiler barrier), so
// (probe - baseline) / N is the instructions of one call as the data path
// would inline it. bench/stats_callgrind.sh runs them all and prints the table.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/stats/command_stats.hpp"
#include "ringproxy/stats/counters.hpp"
#include "ringproxy/stats/hot_keys.hpp"
#include "ringproxy/stats/latency_histogram.hpp"

namespace {

constexpr size_t kValues = 65536;

struct Inputs {
  std::vector<uint64_t> latencies;
  std::vector<std::string> key_storage;
  std::vector<std::string_view> keys;

  Inputs() : latencies(kValues), key_storage(kValues), keys(kValues) {
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> dist(std::log(40000.0), 1.0);
    for (uint64_t& x : latencies) x = static_cast<uint64_t>(dist(rng));
    std::mt19937 krng(2);
    for (size_t i = 0; i < kValues; ++i) {
      key_storage[i] = krng() % 5 == 0 ? "hot:" + std::to_string(krng() % 100)
                                       : "user:" + std::to_string(krng() % 1'000'000) + ":profile";
      keys[i] = key_storage[i];
    }
  }
};

inline void barrier() {
  asm volatile("" ::: "memory");
}

}  // namespace

using namespace ringproxy::stats;

// Each probe: the same loop, plus one call.
#define PROBE_LOOP(body)                               \
  for (uint64_t i = 0; i < n; ++i) {                   \
    uint64_t ns = in.latencies[i & (kValues - 1)];     \
    std::string_view key = in.keys[i & (kValues - 1)]; \
    asm volatile("" : : "r"(ns), "r"(key.data()));     \
    body;                                              \
    barrier();                                         \
  }

extern "C" {

__attribute__((noinline)) void probe_baseline(const Inputs& in, uint64_t n) {
  PROBE_LOOP((void)0);
}

__attribute__((noinline)) void probe_histogram_record(const Inputs& in, uint64_t n,
                                                      LatencyHistogram& h) {
  PROBE_LOOP(h.record_ns(ns));
}

__attribute__((noinline)) void probe_backend_counters(const Inputs& in, uint64_t n,
                                                      BackendCounters& c) {
  PROBE_LOOP({
    ++c.requests;
    c.request_bytes += 33;
    ++c.responses;
    c.response_bytes += 9;
  });
}

__attribute__((noinline)) void probe_backend_metrics(const Inputs& in, uint64_t n,
                                                     BackendMetrics& m) {
  PROBE_LOOP(m.on_response(ns));
}

__attribute__((noinline)) void probe_command_record(const Inputs& in, uint64_t n,
                                                    CommandStatsTable& t) {
  PROBE_LOOP(t.record(static_cast<uint32_t>(ns & 3), ns));
}

__attribute__((noinline)) void probe_hot_keys(const Inputs& in, uint64_t n, HotKeys& h) {
  PROBE_LOOP(h.record(key, 1));
}

}  // extern "C"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: %s baseline|histogram_record|backend_counters|backend_metrics|"
                 "command_record|hot_keys_<N> CALLS\n",
                 argv[0]);
    return 2;
  }
  std::string probe = argv[1];
  uint64_t n = std::strtoull(argv[2], nullptr, 10);
  Inputs in;
  if (probe == "baseline") {
    probe_baseline(in, n);
  } else if (probe == "histogram_record") {
    LatencyHistogram h;
    probe_histogram_record(in, n, h);
  } else if (probe == "backend_counters") {
    BackendCounters c;
    probe_backend_counters(in, n, c);
  } else if (probe == "backend_metrics") {
    BackendMetrics m;
    probe_backend_metrics(in, n, m);
  } else if (probe == "command_record") {
    CommandStatsTable t(std::vector<std::string>(240, "cmd"));
    probe_command_record(in, n, t);
  } else if (probe.rfind("hot_keys_", 0) == 0) {
    HotKeyOptions o;
    o.sample_every = static_cast<uint32_t>(std::strtoul(probe.c_str() + 9, nullptr, 10));
    HotKeys h(o, 0);
    probe_hot_keys(in, n, h);
  } else {
    std::fprintf(stderr, "unknown probe %s\n", probe.c_str());
    return 2;
  }
  return 0;
}
