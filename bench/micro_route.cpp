// Micro benchmark of the route step as the proxy runs it per key: command
// lookup in the command table, then hash tag, hash and ring lookup
// (Router::backend_for_key). Keys are realistic ("user:<n>:profile",
// "{user<n>}:cart") and cycle through 65,536 of them so no cache learns them.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ringproxy/commands/command_table.hpp"
#include "ringproxy/placement/router.hpp"

namespace ringproxy {
namespace {

std::vector<std::string> make_keys(bool tagged) {
  std::vector<std::string> keys;
  keys.reserve(65536);
  for (int i = 0; i < 65536; ++i) {
    keys.push_back(tagged ? "{user" + std::to_string(i) + "}:cart"
                          : "user:" + std::to_string(i) + ":profile");
  }
  return keys;
}

Router make_router(HashKind hash, int nodes) {
  std::vector<RingNode> ring;
  for (int i = 0; i < nodes; ++i) ring.push_back({"10.0.0." + std::to_string(i) + ":6379", 1});
  return Router(hash, "{}", DistributionKind::kKetama, ring);
}

void BM_RouteKey(benchmark::State& state, HashKind hash, bool tagged) {
  Router router = make_router(hash, static_cast<int>(state.range(0)));
  std::vector<std::string> keys = make_keys(tagged);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.backend_for_key(keys[i++ & 65535]));
  }
}
BENCHMARK_CAPTURE(BM_RouteKey, murmur, HashKind::kMurmur, false)->Arg(3)->Arg(10)->Arg(100);
BENCHMARK_CAPTURE(BM_RouteKey, murmur_tagged, HashKind::kMurmur, true)->Arg(3)->Arg(10)->Arg(100);
BENCHMARK_CAPTURE(BM_RouteKey, fnv1a_64, HashKind::kFnv1a_64, false)->Arg(3)->Arg(10)->Arg(100);

void BM_CommandLookup(benchmark::State& state) {
  const std::vector<std::string> names = {"GET", "set", "MGet", "hgetall", "zadd", "EXPIRE"};
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(lookup_command(names[i++ % names.size()]));
  }
}
BENCHMARK(BM_CommandLookup);

}  // namespace
}  // namespace ringproxy
