// Placement micro benchmarks: ns per lookup for every distribution at 3, 10,
// 100 and 1000 nodes, ns per key for every hash at 10, 32 and 100 bytes, and
// the cost of set_live (what a failover costs the event loop).
//
// Lookups cycle through 65536 precomputed, well-spread key hashes so the
// branch predictor cannot learn the answers and large tables are touched all
// over; at 1000 nodes the ketama ring (160k points, 1.3 MB with its bucket
// index) no longer fits in L2, which is part of the result.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"

namespace ringproxy {
namespace {

constexpr int kHashCount = 65536;  // a power of two

std::vector<RingNode> bench_nodes(size_t n, bool weighted) {
  std::vector<RingNode> nodes;
  for (size_t i = 0; i < n; ++i) {
    nodes.push_back({"10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":6379",
                     weighted ? static_cast<uint32_t>(1 + i % 3) : 1u});
  }
  return nodes;
}

std::vector<uint32_t> bench_hashes() {
  std::vector<uint32_t> hashes;
  for (int i = 0; i < kHashCount; ++i)
    hashes.push_back(hash_murmur("bench:key:" + std::to_string(i)));
  return hashes;
}

void run_locate(benchmark::State& state, DistributionKind kind, bool weighted) {
  const auto d =
      make_distribution(kind, bench_nodes(static_cast<size_t>(state.range(0)), weighted));
  const std::vector<uint32_t> hashes = bench_hashes();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(d->locate(hashes[i]));
    i = (i + 1) & (kHashCount - 1);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Locate_Ketama(benchmark::State& s) {
  run_locate(s, DistributionKind::kKetama, false);
}
void BM_Locate_Modula(benchmark::State& s) {
  run_locate(s, DistributionKind::kModula, false);
}
void BM_Locate_Rendezvous(benchmark::State& s) {
  run_locate(s, DistributionKind::kRendezvous, false);
}
void BM_Locate_RendezvousWeighted(benchmark::State& s) {
  run_locate(s, DistributionKind::kRendezvous, true);
}
void BM_Locate_Jump(benchmark::State& s) {
  run_locate(s, DistributionKind::kJump, false);
}
void BM_Locate_Maglev(benchmark::State& s) {
  run_locate(s, DistributionKind::kMaglev, false);
}

BENCHMARK(BM_Locate_Ketama)->Arg(3)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_Locate_Modula)->Arg(3)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_Locate_Rendezvous)->Arg(3)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_Locate_RendezvousWeighted)->Arg(3)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_Locate_Jump)->Arg(3)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_Locate_Maglev)->Arg(3)->Arg(10)->Arg(100)->Arg(1000);

// A failover: mark one node down (ketama rewrites owners, maglev refills its
// table, the others rebuild small lists).
void run_set_live(benchmark::State& state, DistributionKind kind) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto d = make_distribution(kind, bench_nodes(n, false));
  std::vector<bool> live(n, true);
  for (auto _ : state) {
    live[n / 2] = !live[n / 2];
    d->set_live(live);
  }
}

void BM_SetLive_Ketama(benchmark::State& s) {
  run_set_live(s, DistributionKind::kKetama);
}
void BM_SetLive_Maglev(benchmark::State& s) {
  run_set_live(s, DistributionKind::kMaglev);
}
BENCHMARK(BM_SetLive_Ketama)->Arg(10)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SetLive_Maglev)->Arg(10)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_Build_Ketama(benchmark::State& state) {
  const std::vector<RingNode> nodes = bench_nodes(static_cast<size_t>(state.range(0)), false);
  for (auto _ : state)
    benchmark::DoNotOptimize(make_distribution(DistributionKind::kKetama, nodes));
}
BENCHMARK(BM_Build_Ketama)->Arg(10)->Arg(1000)->Unit(benchmark::kMicrosecond);

// Hashes: 64 keys of the given length, cycled.
void run_hash(benchmark::State& state, HashKind kind) {
  const size_t len = static_cast<size_t>(state.range(0));
  std::vector<std::string> keys;
  for (int i = 0; i < 64; ++i) {
    std::string key = "user:" + std::to_string(i * 7919) + ":";
    while (key.size() < len) key += static_cast<char>('a' + (key.size() * 31 + i) % 26);
    key.resize(len);
    keys.push_back(std::move(key));
  }
  const HashFn fn = hash_function(kind);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(fn(keys[i]));
    i = (i + 1) & 63;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

#define RINGPROXY_HASH_BENCH(fn_name, kind)     \
  void BM_Hash_##fn_name(benchmark::State& s) { \
    run_hash(s, kind);                          \
  }                                             \
  BENCHMARK(BM_Hash_##fn_name)->Arg(10)->Arg(32)->Arg(100)

RINGPROXY_HASH_BENCH(one_at_a_time, HashKind::kOneAtATime);
RINGPROXY_HASH_BENCH(md5, HashKind::kMd5);
RINGPROXY_HASH_BENCH(crc16, HashKind::kCrc16);
RINGPROXY_HASH_BENCH(crc32, HashKind::kCrc32);
RINGPROXY_HASH_BENCH(crc32a, HashKind::kCrc32a);
RINGPROXY_HASH_BENCH(fnv1_64, HashKind::kFnv1_64);
RINGPROXY_HASH_BENCH(fnv1a_64, HashKind::kFnv1a_64);
RINGPROXY_HASH_BENCH(fnv1_32, HashKind::kFnv1_32);
RINGPROXY_HASH_BENCH(fnv1a_32, HashKind::kFnv1a_32);
RINGPROXY_HASH_BENCH(hsieh, HashKind::kHsieh);
RINGPROXY_HASH_BENCH(murmur, HashKind::kMurmur);
RINGPROXY_HASH_BENCH(jenkins, HashKind::kJenkins);

#undef RINGPROXY_HASH_BENCH

}  // namespace
}  // namespace ringproxy
