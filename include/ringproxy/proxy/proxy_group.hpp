// The pools of one process: `--twemproxy-config FILE` without --pool, FILE
// holding several redis pools (options/pool_set.hpp). One Proxy per pool, on
// a loop the group owns, and what a process has once: the signals, the
// stats port and /metrics, the reload of the file and the shutdown drain.
//
// Each pool keeps what a process of one pool has: its listener, ring,
// backends, health checker, counters, slow log, hot keys and INFO (INFO on a
// pool's listener describes that pool). The stats port's document has one
// object per pool, as nutcracker's does with several pools; /metrics labels
// every pool's figures with `pool` (commands too, in a group).
//
// Signals, for the whole process:
//   SIGHUP       reopen the log file once, then each pool re-reads its own
//                part of the file (config_reload.hpp); a pool added to or
//                removed from the file is logged as needing a restart, and
//                nothing changes for it
//   SIGTERM/INT  every pool stops accepting and lets its requests in flight
//                finish; the process exits once every pool is done (a
//                second signal: at once)
//   the others   as for a process of one pool (proxy.cpp): they act on the
//                log file and the log level, which are the process's
// The pid file, --daemonize and the log file are main's, once.
//
// One loop serves every pool for now. A loop per pool (or per worker) later
// changes where each Proxy's loop comes from and how the snapshots are
// gathered; each pool already builds its own snapshot.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "ringproxy/net/signal_watcher.hpp"
#include "ringproxy/options/pool_set.hpp"
#include "ringproxy/proxy/proxy.hpp"
#include "ringproxy/stats/exporters.hpp"

namespace ringproxy {

class ProxyGroup {
 public:
  // Sets up every pool (not listening yet). Throws std::runtime_error.
  explicit ProxyGroup(std::vector<PoolCommandLine> pools);
  ~ProxyGroup();
  ProxyGroup(const ProxyGroup&) = delete;
  ProxyGroup& operator=(const ProxyGroup&) = delete;

  // Binds every pool's listener. Throws std::runtime_error.
  void listen();
  // Runs every pool until each has stopped (signals, or stop()).
  void run();
  void stop();
  // The process's options (every pool has the same: see pool_set.hpp).
  const Config& config() const { return proxies_.front()->config(); }

  void on_signal(int signum);
  // SIGHUP after the log is reopened.
  void reload();

 private:
  void pool_stopped();
  stats::StatsSnapshot build_snapshot() const;
  // Stops the signals and the exporters.
  void stop_shared();
  // Stops every pool and closes the loop (the shutdown steps of proxy.hpp).
  void close();

  std::unique_ptr<uv_loop_t> loop_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Proxy>> proxies_;
  std::unique_ptr<SignalWatcher> signals_;
  std::unique_ptr<stats::Exporters> exporters_;
  uint64_t start_ms_ = 0;
};

}  // namespace ringproxy
