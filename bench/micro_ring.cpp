// Live ring micro benchmarks: what a ring change costs and what routing
// through a snapshot costs.
// - membership build (build_membership + finish_membership: what the thread
//   pool and then the loop do for PROXY ADD), and the loop's part alone;
// - a liveness change (with_liveness: clone + set_live), on the loop;
// - the dirty entries of a swap (lost_ranges), on the loop;
// - DirtySet::matches per read, empty and with entries;
// - a reader's refresh (nothing published / something published) and the
//   handle's load (a mutex-guarded shared_ptr) against std::atomic<std::shared_ptr>;
// - owner_slot through a snapshot, next to BM_Locate_* (micro_placement.cpp).
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "ringproxy/placement/dirty_set.hpp"
#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/ring_builder.hpp"
#include "ringproxy/placement/ring_handle.hpp"

namespace ringproxy {
namespace {

std::vector<BackendSpec> members(size_t n) {
  std::vector<BackendSpec> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(parse_backend_spec("10.0." + std::to_string(i / 256) + "." +
                                     std::to_string(i % 256) + ":6379"));
  }
  return out;
}

std::shared_ptr<const RingSnapshot> ring_of(DistributionKind kind, size_t n) {
  return make_ring({HashKind::kMurmur, "", kind}, members(n), "config");
}

MembershipOptions add_options() {
  MembershipOptions o;
  o.source = "PROXY ADD";
  o.joining = Liveness::kUp;
  return o;
}

DistributionKind kind_of(const benchmark::State& state) {
  return static_cast<DistributionKind>(state.range(0));
}

// Args: {kind, backends} for every kind at 10, 100, 1000.
void kinds_and_sizes(benchmark::internal::Benchmark* b) {
  for (int kind = 0; kind < 5; ++kind) {
    for (int n : {10, 100, 1000}) b->Args({kind, n});
  }
  b->ArgNames({"kind", "n"});
}

void label(benchmark::State& state) {
  state.SetLabel(std::string(distribution_name(kind_of(state))));
}

// PROXY ADD of the n-th backend: the whole build, as the thread pool and the
// loop run it one after the other.
void BM_RingMembershipBuild(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(1));
  const auto current = ring_of(kind_of(state), n - 1);
  const std::vector<BackendSpec> next = members(n);
  for (auto _ : state) benchmark::DoNotOptimize(with_members(*current, next, add_options()));
  label(state);
}
BENCHMARK(BM_RingMembershipBuild)->Apply(kinds_and_sizes)->Unit(benchmark::kMillisecond);

// The loop's part of it: finish_membership with the distributions built.
void BM_RingMembershipFinish(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(1));
  const auto current = ring_of(kind_of(state), n - 1);
  const MembershipBuild built = build_membership(kind_of(state), members(n));
  const MembershipOptions options = add_options();
  for (auto _ : state) {
    state.PauseTiming();
    MembershipBuild copy = built;  // finish consumes its build
    state.ResumeTiming();
    benchmark::DoNotOptimize(finish_membership(*current, std::move(copy), options));
  }
  label(state);
}
BENCHMARK(BM_RingMembershipFinish)->Apply(kinds_and_sizes)->Unit(benchmark::kMicrosecond);

// A backend goes down or comes back while another one stays down, so every
// change clones the live distribution and applies the mask (a change back to
// all-up would just reuse the home table).
void BM_RingLivenessChange(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(1));
  auto ring = with_liveness(*ring_of(kind_of(state), n), 0, Liveness::kDown);
  const auto flapping = static_cast<uint32_t>(n / 2);
  bool down = false;
  for (auto _ : state) {
    down = !down;
    ring = with_liveness(*ring, flapping, down ? Liveness::kDown : Liveness::kUp);
  }
  label(state);
}
BENCHMARK(BM_RingLivenessChange)->Apply(kinds_and_sizes)->Unit(benchmark::kMicrosecond);

// Dirty entries of a rejoin (the successors of the returning backend lose
// its ranges: the case with entries) and of an add.
void BM_RingDirtyRejoin(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(1));
  const auto up = ring_of(kind_of(state), n);
  const auto down = with_liveness(*up, static_cast<uint32_t>(n / 2), Liveness::kDown);
  size_t entries = 0;
  for (auto _ : state) {
    const auto out = lost_ranges(*down, *up, 0);
    entries = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["entries"] = static_cast<double>(entries);
  label(state);
}
BENCHMARK(BM_RingDirtyRejoin)->Apply(kinds_and_sizes)->Unit(benchmark::kMicrosecond);

void BM_RingDirtyAdd(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(1));
  const auto before = ring_of(kind_of(state), n - 1);
  const auto after = with_members(*before, members(n), add_options());
  size_t entries = 0;
  for (auto _ : state) {
    const auto out = lost_ranges(*before, *after, 0);
    entries = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["entries"] = static_cast<double>(entries);
  label(state);
}
BENCHMARK(BM_RingDirtyAdd)->Apply(kinds_and_sizes)->Unit(benchmark::kMicrosecond);

std::vector<uint32_t> bench_hashes() {
  std::vector<uint32_t> hashes;
  for (int i = 0; i < 65536; ++i) hashes.push_back(hash_murmur("bench:key:" + std::to_string(i)));
  return hashes;
}

// A read checks its backend's dirty set: Arg entries (ketama, 100 backends).
void BM_DirtySetMatch(benchmark::State& state) {
  const auto ring = ring_of(DistributionKind::kKetama, 100);
  DirtySet set;
  for (int64_t e = 0; e < state.range(0); ++e) {
    const auto down = with_liveness(*ring, static_cast<uint32_t>(e + 1), Liveness::kDown);
    for (auto& [slot, entry] : lost_ranges(*down, *ring, 0)) {
      if (slot == 0) set.add(entry);
    }
  }
  const std::vector<uint32_t> hashes = bench_hashes();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(set.matches(hashes[i]));
    i = (i + 1) & 65535;
  }
  state.counters["entries"] = static_cast<double>(set.size());
}
BENCHMARK(BM_DirtySetMatch)->Arg(0)->Arg(1)->Arg(4);

// Routing through a snapshot (hash given): compare with BM_Locate_*.
void BM_RingOwnerSlot(benchmark::State& state) {
  const auto ring = ring_of(kind_of(state), static_cast<size_t>(state.range(1)));
  const std::vector<uint32_t> hashes = bench_hashes();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ring->owner_slot(hashes[i]));
    i = (i + 1) & 65535;
  }
  label(state);
}
BENCHMARK(BM_RingOwnerSlot)->Apply(kinds_and_sizes);

// A data-path loop's refresh per iteration: nothing published (the common
// case); and a publish, alone and followed by one reader's refresh (the
// difference is what the reader pays after a publish).
void BM_RingReaderRefresh(benchmark::State& state) {
  RingHandle handle(ring_of(DistributionKind::kKetama, 10));
  RingReader reader(handle);
  for (auto _ : state) benchmark::DoNotOptimize(reader.refresh());
}
BENCHMARK(BM_RingReaderRefresh);

void BM_RingPublish(benchmark::State& state) {
  const auto a = ring_of(DistributionKind::kKetama, 10);
  const auto b = ring_of(DistributionKind::kKetama, 10);
  RingHandle handle(a);
  bool flip = false;
  for (auto _ : state) handle.publish((flip = !flip) ? b : a);
}
BENCHMARK(BM_RingPublish);

void BM_RingPublishThenRefresh(benchmark::State& state) {
  const auto a = ring_of(DistributionKind::kKetama, 10);
  const auto b = ring_of(DistributionKind::kKetama, 10);
  RingHandle handle(a);
  RingReader reader(handle);
  bool flip = false;
  for (auto _ : state) {
    handle.publish((flip = !flip) ? b : a);
    benchmark::DoNotOptimize(reader.refresh());
  }
}
BENCHMARK(BM_RingPublishThenRefresh);

// RingHandle keeps its pointer behind a mutex; the alternative it was
// measured against is std::atomic<std::shared_ptr>.
class AtomicHandle {
 public:
  explicit AtomicHandle(std::shared_ptr<const RingSnapshot> s) : current_(std::move(s)) {}
  std::shared_ptr<const RingSnapshot> load() const {
    return current_.load(std::memory_order_acquire);
  }

 private:
  std::atomic<std::shared_ptr<const RingSnapshot>> current_;
};

// load() itself, what a refresh after a publish pays, with 1 and 2 threads
// loading at once (2 threads: every reader refreshing at the same moment).
RingHandle& mutex_handle() {
  static RingHandle handle(ring_of(DistributionKind::kKetama, 10));
  return handle;
}
AtomicHandle& atomic_handle() {
  static AtomicHandle handle(ring_of(DistributionKind::kKetama, 10));
  return handle;
}

void BM_HandleLoadMutex(benchmark::State& state) {
  const RingHandle& handle = mutex_handle();
  for (auto _ : state) benchmark::DoNotOptimize(handle.load());
}
BENCHMARK(BM_HandleLoadMutex)->Threads(1)->Threads(2);

void BM_HandleLoadAtomic(benchmark::State& state) {
  const AtomicHandle& handle = atomic_handle();
  for (auto _ : state) benchmark::DoNotOptimize(handle.load());
}
BENCHMARK(BM_HandleLoadAtomic)->Threads(1)->Threads(2);

}  // namespace
}  // namespace ringproxy
