// etcd client costs on loopback (bench/etcd_watch.py starts an etcd and runs
// this): the latency from a put to the watch callback that reports it, and
// what the client costs the loop while nothing happens.
//
//   etcd_watch_bench --etcd http://127.0.0.1:PORT [--puts 100] [--idle-s 10]
//
// Latency: N puts, one at a time, each issued through the same client right
// after the previous one's event arrived; for each, the time from issuing the
// put to the watch callback, and the put's own round trip.
// Idle: the watch open (and, second run, a LeasedKey renewing a 9 s lease
// every 3 s) for --idle-s seconds: loop iterations (each one a wakeup from
// epoll_wait) and this process's CPU time.
#include "ringproxy/cluster/etcd_watch.hpp"

#include <sys/resource.h>
#include <uv.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ringproxy/cluster/etcd_client.hpp"
#include "ringproxy/cluster/etcd_json.hpp"
#include "ringproxy/cluster/leased_key.hpp"

namespace {

using namespace ringproxy;

double cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

struct Idle {
  double seconds;
  uint64_t iterations;
  double cpu;
};

// Runs the loop for `seconds`, counting its iterations.
Idle idle(uv_loop_t* loop, double seconds) {
  uv_prepare_t prepare;
  uint64_t iterations = 0;
  uv_prepare_init(loop, &prepare);
  prepare.data = &iterations;
  uv_prepare_start(&prepare, [](uv_prepare_t* p) { ++*static_cast<uint64_t*>(p->data); });
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare));
  uv_timer_t stop;
  uv_timer_init(loop, &stop);
  uv_timer_start(
      &stop, [](uv_timer_t* t) { uv_stop(t->loop); }, static_cast<uint64_t>(seconds * 1000), 0);
  double c0 = cpu_ms();
  uint64_t t0 = uv_hrtime();
  uv_run(loop, UV_RUN_DEFAULT);
  Idle r{(uv_hrtime() - t0) / 1e9, iterations, cpu_ms() - c0};
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return r;
}

void print_idle(const char* what, const Idle& r) {
  std::printf("%s: %.1f s, %llu loop wakeups (%.2f/s), CPU %.2f ms (%.3f ms/s)\n", what, r.seconds,
              static_cast<unsigned long long>(r.iterations), r.iterations / r.seconds, r.cpu,
              r.cpu / r.seconds);
}

}  // namespace

int main(int argc, char** argv) {
  std::string etcd;
  int puts = 100;
  double idle_s = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--etcd")) etcd = argv[i + 1];
    if (!std::strcmp(argv[i], "--puts")) puts = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--idle-s")) idle_s = std::atof(argv[i + 1]);
  }
  if (etcd.empty() || puts < 1) {
    std::fprintf(stderr, "usage: %s --etcd URL [--puts N] [--idle-s S]\n", argv[0]);
    return 2;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    EtcdOptions options;
    options.endpoints = {etcd};
    EtcdClient client(&loop, options);
    const std::string prefix = "/bench/";
    int64_t start = 0;
    client.range_prefix(prefix, [&](EtcdResult<RangeResult> r) {
      start = r.ok() ? r.value.revision + 1 : -1;
      uv_stop(&loop);
    });
    uv_run(&loop, UV_RUN_DEFAULT);
    if (start < 0) {
      std::fprintf(stderr, "cannot read %s: %s\n", etcd.c_str(), client.state().last_error.c_str());
      return 1;
    }

    std::vector<double> to_event, round_trip;
    int sent = 0;
    uint64_t issued = 0;
    auto put_next = [&] {
      issued = uv_hrtime();
      uint64_t at = issued;
      client.put(prefix + "k", std::to_string(sent++), 0, [&, at](EtcdResult<PutResult> r) {
        if (r.ok()) round_trip.push_back((uv_hrtime() - at) / 1e3);
      });
    };
    EtcdWatchHandler handler;
    handler.on_events = [&](const std::vector<WatchEvent>& events) {
      for (const auto& e : events) {
        if (e.kv.value != std::to_string(sent - 1)) continue;
        to_event.push_back((uv_hrtime() - issued) / 1e3);
        if (sent < puts) {
          put_next();
        } else {
          uv_stop(&loop);
        }
      }
    };
    handler.on_compacted = [&](int64_t) { uv_stop(&loop); };
    handler.on_state = [&](bool up, std::string_view) {
      if (up && sent == 0) put_next();
    };
    auto watch = client.watch(prefix, prefix_range_end(prefix), start, handler);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (static_cast<int>(to_event.size()) != puts) {
      std::fprintf(stderr, "only %zu of %d events\n", to_event.size(), puts);
      return 1;
    }
    std::printf("put -> watch callback over %d puts: median %.0f us, p90 %.0f us, max %.0f us\n",
                puts, percentile(to_event, 0.5), percentile(to_event, 0.9),
                percentile(to_event, 1.0));
    std::printf("put round trip: median %.0f us, p90 %.0f us\n", percentile(round_trip, 0.5),
                percentile(round_trip, 0.9));

    print_idle("idle, one watch open", idle(&loop, idle_s));
    LeasedKey leased(client, prefix + "leased", "v", 9, nullptr);
    leased.hold();
    print_idle("idle, watch + a 9 s lease renewed every 3 s", idle(&loop, idle_s));
    std::printf("lease renewals meanwhile: %llu\n",
                static_cast<unsigned long long>(leased.renewals()));
    leased.release();
    watch.reset();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return 0;
}
