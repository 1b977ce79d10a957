// The proxy: the wiring of one libuv loop. It owns the loop, the listener,
// signals and timers, the registry of clients, and the pieces the data path
// runs through:
//
//   accept -> ClientConnection (read, parse; a Session)
//          -> Dispatcher (commands/: command table, one handler per kind)
//          -> BackendPool (a BackendPort: pipelined backend connections,
//             health, failover log) and LiveRing (a RingView)
//          -> backend reply -> the handler's merge -> ClientConnection
//             (in-order write)
//
// Command handling itself is commands/'s; what its local commands need to
// know of the whole proxy comes through ProxyReport (a ProxyIntrospection).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/backend/backend.hpp"
#include "ringproxy/commands/dispatcher.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/net/buffer_pool.hpp"
#include "ringproxy/net/listener.hpp"
#include "ringproxy/net/signal_watcher.hpp"
#include "ringproxy/net/socket_poller.hpp"
#include "ringproxy/options/config.hpp"
#include "ringproxy/proxy/backend_pool.hpp"
#include "ringproxy/proxy/client_connection.hpp"
#include "ringproxy/proxy/live_ring.hpp"
#include "ringproxy/proxy/proxy_metrics.hpp"
#include "ringproxy/proxy/proxy_report.hpp"
#include "ringproxy/proxy/ring_control.hpp"
#include "ringproxy/proxy/stale_cleanup.hpp"
#include "ringproxy/resp/request_parser.hpp"

namespace ringproxy {

class EtcdMembership;
class EtcdRingAdmin;

// Counters of the proxy's own (the command counters are RequestCounters).
struct ProxyStats {
  uint64_t connections_received = 0;
  uint64_t connections_rejected = 0;
  uint64_t protocol_errors = 0;
  uint64_t output_limit_disconnections = 0;  // clients closed at the output hard limit
};

class Proxy final : public BackendEvents {
 public:
  // With `shared_loop` nullptr the proxy owns its loop, its signals and its
  // exporters (--stats-port, --metrics-port): a process of one pool. Given a
  // loop, it is one pool of several (ProxyGroup, proxy_group.hpp): the group
  // owns the loop, the signals and the exporters, and drives start(), the
  // shutdown steps (stop(), then release_handles(), each followed by a run
  // of the loop) and the reloads.
  explicit Proxy(Config config, uv_loop_t* shared_loop = nullptr);
  ~Proxy() override;
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // Binds and runs the loop until SIGINT/SIGTERM or stop(). Throws
  // std::runtime_error if the listener cannot be set up.
  void run();
  void stop();
  // Binds the listener (run() does it if not done yet), so that a caller can
  // write a pid file or report readiness once clients can connect. Throws
  // std::runtime_error.
  void listen();
  // Everything run() does before running the loop: listener, timers,
  // backends, metrics (and, owning its loop, signals and exporters).
  void start();
  // A pool of a group: called at the end of stop(), when the pool has
  // closed its listener and clients (the group then stops what it shares).
  void set_stop_hook(std::function<void()> hook) { stop_hook_ = std::move(hook); }
  bool stopping() const { return stopping_; }
  // A pool of a group, after stop() and a run of the loop: closes the
  // health checker's and the sockets' handles (the group runs the loop again
  // before destroying the proxy).
  void release_handles();

  // Signals (the table at the top of proxy.cpp).
  void on_signal(int signum);
  // Watches every signal of that table on `loop` (a process watches them once).
  static std::unique_ptr<SignalWatcher> watch_operator_signals(uv_loop_t* loop,
                                                               SignalWatcher::Callback on_signal);
  // SIGHUP: reopens the log file; the configuration reload follows it.
  void on_hangup();
  // Reopens --log-file (after a rotation moved it); logs what happened.
  void reopen_log();
  // SIGTERM/SIGINT: stops accepting, lets every client's requests in flight
  // finish (each client closes once its replies are out), and stops when no
  // client is left or --shutdown-timeout-ms has passed. `why` names the cause.
  void begin_shutdown(std::string_view why);
  bool draining() const { return draining_; }

  // Makes `members` the pool's membership while serving (a live ring change:
  // see ring_control.hpp); `source` names where it came from in PROXY RING
  // and the log ("etcd /ringproxy/cache revision 12"). A list that cannot be
  // applied (no member, a duplicate, an address that does not resolve)
  // changes nothing and is logged.
  void apply_membership(std::vector<BackendSpec> members, std::string source);
  RingControl& ring_control() { return *ring_control_; }
  // The command line the proxy was started with (before passwords are hidden
  // from ps): a reload parses it again, re-reading the files it names.
  void set_command_line(std::vector<std::string> args) { args_ = std::move(args); }
  // SIGHUP: re-reads the configuration files and applies what changed in
  // them since they were last loaded (config_reload.hpp).
  void reload_config();
  const StaleCleanup& stale_cleanup() const { return *stale_cleanup_; }
  // With --etcd, where the membership comes from (etcd_startup.hpp): its
  // changes go through apply_membership, the admin commands write through to
  // it. nullptr without --etcd.
  const EtcdMembership* etcd() const { return etcd_.get(); }

  // For ClientConnection.
  Dispatcher& dispatcher() { return *dispatcher_; }
  const Dispatcher& dispatcher() const { return *dispatcher_; }
  ProxyMetrics& metrics() { return *metrics_; }
  const ProxyMetrics& metrics() const { return *metrics_; }
  // Changes whenever the ring is rebuilt.
  uint64_t ring_version() const { return ring_->snapshot().version(); }
  RequestPool& requests() { return dispatcher_->requests(); }
  void client_closed(ClientConnection& client);
  BufferPool& output_pool() { return output_pool_; }
  const Config& config() const { return config_; }
  uint64_t now_ms() const { return uv_now(loop_); }
  ProxyStats& stats() { return stats_; }
  LogThrottle& output_limit_log() { return output_limit_log_; }
  // The parser shared by clients without a partial request (one request is
  // parsed at a time).
  RequestParser& shared_parser() { return shared_parser_; }
  const ParserLimits& parser_limits() const { return parser_limits_; }
  // The loop-wide read buffer for clients without a partial request.
  char* scratch() { return scratch_.get(); }
  size_t scratch_size() const { return kScratchSize; }

  // BackendEvents: replies and failures go to the commands' reply path.
  void on_reply(Request* req, uint32_t fragment, std::string_view reply) override {
    metrics_->backend_replied(*req, fragment, reply);
    dispatcher_->context().part_replied(req, fragment, reply);
  }
  Buffer* reply_sink(Request* req, uint32_t fragment) override {
    return dispatcher_->context().reply_sink(req, fragment);
  }
  void on_reply_moved(Request* req, uint32_t fragment) override {
    metrics_->backend_replied_moved(*req, fragment);
    dispatcher_->context().reply_moved(req, fragment);
  }
  void on_failure(Request* req, uint32_t fragment, std::string_view error) override {
    dispatcher_->context().part_lost(req, fragment, error);
  }
  void on_backend_error(Backend& backend, std::string_view reason) override;
  void on_backend_connected(Backend& backend) override;

  // For ProxyReport.
  const std::vector<ClientConnection*>& clients() const { return clients_; }
  const ProxyStats& stats() const { return stats_; }
  const BackendPool& backends() const { return *pool_; }
  const LiveRing& ring() const { return *ring_; }
  const FlushScheduler& flusher() const { return *flusher_; }
  const BufferPool& output_pool() const { return output_pool_; }
  uint64_t start_ms() const { return start_ms_; }

 private:
  // An accepted client socket, or -errno for one dropped (out of descriptors).
  void on_accept(int fd_or_error);
  void sweep();
  void shutdown();
  void watch_signals();
  // While draining: stop() once no client is left or at the deadline.
  void check_drained();

  Config config_;
  std::unique_ptr<uv_loop_t> loop_storage_;  // null for a pool of a group
  uv_loop_t* loop_;
  std::function<void()> stop_hook_;
  // "" for a process of one pool; "pool NAME: " for a pool of a group, at
  // the start of the log lines that concern one pool.
  std::string log_prefix_;
  std::unique_ptr<FlushScheduler> flusher_;
  std::unique_ptr<SocketPoller> sockets_;
  std::unique_ptr<LiveRing> ring_;
  std::unique_ptr<BackendPool> pool_;
  std::unique_ptr<RingControl> ring_control_;
  std::unique_ptr<EtcdMembership> etcd_;
  std::unique_ptr<EtcdRingAdmin> etcd_admin_;
  ProxyReport report_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<StaleCleanup> stale_cleanup_;
  std::unique_ptr<ProxyMetrics> metrics_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<uv_timer_t> sweep_timer_;
  std::unique_ptr<SignalWatcher> signals_;
  std::vector<std::string> args_;
  std::unique_ptr<Config> loaded_;  // the configuration as last loaded (reload diffs)
  std::vector<ClientConnection*> clients_;
  BufferPool output_pool_;
  ProxyStats stats_;
  LogThrottle output_limit_log_;
  uint64_t next_client_id_ = 1;
  uint64_t start_ms_ = 0;
  uint64_t last_buffer_sweep_ms_ = 0;
  uint64_t last_shed_log_ms_ = 0;
  bool stopping_ = false;
  bool draining_ = false;  // begin_shutdown() was called
  uint64_t drain_deadline_ms_ = 0;

  static constexpr size_t kScratchSize = 64 * 1024;
  std::unique_ptr<char[]> scratch_ = std::make_unique_for_overwrite<char[]>(kScratchSize);

  ParserLimits parser_limits_;
  RequestParser shared_parser_;
};

}  // namespace ringproxy
