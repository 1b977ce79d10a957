// The proxy's wiring and lifecycle: listener, timers, signals, shutdown. See
// proxy.hpp.
//
// What the proxy does with each signal an operator sends, nutcracker's habits
// where it has them:
//
//   SIGHUP        reopen the log file, then reload the configuration
//   SIGUSR1       reopen the log file only (what conf/logrotate sends)
//   SIGTTIN       one log level more verbose; SIGTTOU one less
//   SIGTERM/INT   stop accepting, let requests in flight finish (at most
//                 --shutdown-timeout-ms), exit 0; a second one exits at once
//   SIGUSR2       logged and ignored
//   SIGWINCH      logged at debug and ignored (a terminal resize)
//   SIGPIPE       ignored (main), so a closed socket is only an EPIPE
//
// Each is logged by name, so no signal an operator commonly sends kills the
// proxy silently.
#include "ringproxy/proxy/proxy.hpp"

#include <malloc.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "ringproxy/cluster/etcd_membership.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/net/uv_handle.hpp"
#include "ringproxy/proxy/config_reload.hpp"
#include "ringproxy/proxy/etcd_ring_admin.hpp"
#include "ringproxy/proxy/etcd_startup.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {

constexpr size_t kTrimThreshold = 1024 * 1024;
// How often backend timeouts and stalls are checked.
constexpr uint64_t kSweepIntervalMs = 50;

CommandOptions command_options(const Config& c) {
  CommandOptions o;
  o.miss_on_unavailable = c.on_unavailable == OnUnavailable::kMiss;
  o.client_password = c.client_password;
  o.max_transaction_bytes = c.query_buffer_limit;
  o.admin_password = c.admin_password;
  o.admin_allow_remote = c.admin_allow_remote;
  return o;
}

}  // namespace

Proxy::Proxy(Config config, uv_loop_t* shared_loop)
    : config_(std::move(config)),
      loop_storage_(shared_loop == nullptr ? std::make_unique<uv_loop_t>() : nullptr),
      loop_(shared_loop == nullptr ? loop_storage_.get() : shared_loop),
      report_(*this),
      output_pool_(config_.output_buffer_pool),
      parser_limits_{config_.max_bulk_len, config_.max_args, config_.max_inline_len},
      shared_parser_(parser_limits_) {
  if (loop_storage_) uv_loop_init(loop_);
  if (!loop_storage_) log_prefix_ = "pool " + config_.twemproxy_pool + ": ";
  flusher_ = std::make_unique<FlushScheduler>(loop_);
  sockets_ = std::make_unique<SocketPoller>(loop_);
  std::string source = "config";
  if (!config_.etcd.empty()) {
    try {
      EtcdStart started = start_etcd_membership(
          loop_, config_, [this](std::vector<BackendSpec> members, std::string from) {
            apply_membership(std::move(members), std::move(from));
          });
      etcd_ = std::move(started.membership);
      source = std::move(started.source);
    } catch (...) {
      // The constructor fails: no destructor will close the loop, so close
      // it here, with the handles opened so far.
      sockets_.reset();
      flusher_.reset();
      if (loop_storage_) {
        uv_run(loop_, UV_RUN_DEFAULT);
        uv_loop_close(loop_);
      }
      loop_ = nullptr;
      throw;
    }
  }
  ring_ = std::make_unique<LiveRing>(
      make_ring({config_.hash, config_.hash_tag, config_.distribution}, config_.backends, source),
      CleanerOptions{config_.cleanup_rate, config_.cleanup_batch},
      [loop = loop_] { return uv_now(loop); });
  pool_ = std::make_unique<BackendPool>(config_, loop_, *flusher_, *ring_, *this);
  ring_control_ = std::make_unique<RingControl>(loop_, *ring_, *pool_, config_);
  dispatcher_ = std::make_unique<Dispatcher>(*ring_, *pool_, report_, command_options(config_));
  dispatcher_->context().admin = ring_control_.get();
  if (etcd_ != nullptr) {
    etcd_admin_ = std::make_unique<EtcdRingAdmin>(*ring_control_, *etcd_);
    dispatcher_->context().admin = etcd_admin_.get();
  }
  loaded_ = std::make_unique<Config>(config_);
  metrics_ = std::make_unique<ProxyMetrics>(config_, ring_->snapshot().slot_limit(), uv_now(loop_),
                                            dispatcher_->context().now_ns);
  dispatcher_->context().observer = metrics_.get();
  stale_cleanup_ = std::make_unique<StaleCleanup>(*ring_, *pool_, dispatcher_->context(),
                                                  [loop = loop_] { return uv_now(loop); });
}

Proxy::~Proxy() {
  shutdown();
}

void Proxy::listen() {
  if (listener_) return;
  listener_ = std::make_unique<Listener>(*sockets_, config_.listen_host, config_.listen_port,
                                         config_.backlog,
                                         [this](int fd_or_error) { on_accept(fd_or_error); });
}

void Proxy::run() {
  start();
  uv_run(loop_, UV_RUN_DEFAULT);
  shutdown();
}

void Proxy::start() {
  start_ms_ = uv_now(loop_);
  listen();
  sweep_timer_ = std::make_unique<uv_timer_t>();
  uv_timer_init(loop_, sweep_timer_.get());
  sweep_timer_->data = this;
  uv_timer_start(
      sweep_timer_.get(), [](uv_timer_t* t) { static_cast<Proxy*>(t->data)->sweep(); },
      kSweepIntervalMs, kSweepIntervalMs);
  const bool whole_process = loop_storage_ != nullptr;
  if (whole_process) watch_signals();
  pool_->start(config_.preconnect);
  metrics_->start(*this, loop_, whole_process);
  log(LogLevel::kInfo, log_prefix_, "ringproxy ", RINGPROXY_VERSION, " listening on ",
      config_.listen_host, ":", config_.listen_port, " with ", pool_->size(), " backends (",
      distribution_name(config_.distribution), ", ", hash_name(config_.hash), ")");
}

void Proxy::stop() {
  if (stopping_) return;
  stopping_ = true;
  listener_.reset();
  metrics_->stop();
  close_handle(sweep_timer_);
  signals_.reset();
  // Clients first, so backend failures below find orphaned requests only.
  std::vector<ClientConnection*> clients = clients_;
  for (ClientConnection* c : clients) c->close();
  pool_->stop();
  // A ring build still running on the thread pool is discarded when done.
  if (dispatcher_) dispatcher_->context().admin = nullptr;
  // Pending etcd writes are dropped unanswered (their clients are closed).
  etcd_admin_.reset();
  etcd_.reset();
  ring_control_.reset();
  if (stop_hook_) stop_hook_();
}

void Proxy::release_handles() {
  if (pool_) pool_->close_health();
  // Closed clients are deleted with the poller; their destructors still see
  // the flush scheduler.
  sockets_.reset();
  flusher_.reset();
}

void Proxy::shutdown() {
  if (loop_ == nullptr) return;
  if (!loop_storage_) {
    // A pool of a group: the group ran the loop after stop() and after
    // release_handles() (both are no-ops when done already).
    stop();
    release_handles();
    pool_.reset();
    loop_ = nullptr;
    return;
  }
  stop();
  uv_run(loop_, UV_RUN_DEFAULT);
  release_handles();
  uv_run(loop_, UV_RUN_DEFAULT);
  pool_.reset();
  uv_loop_close(loop_);
  loop_ = nullptr;
}

void Proxy::on_accept(int fd_or_error) {
  uint64_t now = uv_now(loop_);
  if (fd_or_error < 0) {
    stats_.connections_rejected++;
    if (now - last_shed_log_ms_ >= 1000) {
      last_shed_log_ms_ = now;
      log(LogLevel::kWarn, "client connection dropped: ", uv_strerror(fd_or_error),
          " (raise the descriptor limit, ulimit -n)");
    }
    return;
  }
  auto owned =
      std::make_unique<ClientConnection>(*this, next_client_id_++, now, *sockets_, *flusher_);
  ClientConnection* c = Connection::adopt(std::move(owned));
  if (c->attach(fd_or_error) < 0) {
    c->close();
    return;
  }
  stats_.connections_received++;
  c->registry_index = static_cast<uint32_t>(clients_.size());
  clients_.push_back(c);
  if (clients_.size() > config_.max_clients) {
    stats_.connections_rejected++;
    resp::error(c->out(), "ERR max number of clients reached");
    c->close_after_replies();
    return;
  }
  c->start();
}

void Proxy::client_closed(ClientConnection& c) {
  size_t i = c.registry_index;
  if (i < clients_.size() && clients_[i] == &c) {
    clients_[i] = clients_.back();
    clients_[i]->registry_index = static_cast<uint32_t>(i);
    clients_.pop_back();
  }
}

void Proxy::sweep() {
  uint64_t now = uv_now(loop_);
  // Timers run before the loop's wait: a reading of this iteration, for
  // the requests the timeout check fails and the cleanup's scans.
  metrics_->now_ns();
  pool_->check_timeouts(kSweepIntervalMs);
  pool_->sweep_draining();
  if (!stopping_) stale_cleanup_->tick();
  metrics_->tick(now);
  if (now - last_buffer_sweep_ms_ >= 1000) {
    last_buffer_sweep_ms_ = now;
    size_t freed = 0;
    for (ClientConnection* c : clients_) freed += c->release_idle_buffers();
    freed += output_pool_.sweep();
    // Give a burst's worth of freed buffers back to the kernel, not only to
    // malloc's free lists.
    if (freed >= kTrimThreshold) malloc_trim(0);
  }
  check_drained();
}

void Proxy::on_backend_error(Backend& backend, std::string_view reason) {
  log(LogLevel::kDebug, "backend ", backend.address(), ": ", reason);
  // While shutting down, fail_all() is not a health signal: a report would
  // start a new probe connection that keeps the loop (and the process) alive.
  if (stopping_) return;
  pool_->report_failure(backend, reason);
}

void Proxy::on_backend_connected(Backend& backend) {
  log(LogLevel::kDebug, "backend ", backend.address(), ": connected");
}

void Proxy::apply_membership(std::vector<BackendSpec> members, std::string source) {
  if (ring_control_ == nullptr) return;  // stopping
  std::string what = source;
  const std::string error = ring_control_->apply(std::move(members), std::move(source));
  if (!error.empty()) log(LogLevel::kWarn, "ring change from ", what, " refused: ", error);
}

void Proxy::reload_config() {
  if (ring_control_ == nullptr) return;  // stopping
  reload_configuration(args_, *loaded_, config_, *ring_control_, etcd_ != nullptr, log_prefix_);
}

void Proxy::watch_signals() {
  signals_ = watch_operator_signals(loop_, [this](int signum) { on_signal(signum); });
}

std::unique_ptr<SignalWatcher> Proxy::watch_operator_signals(uv_loop_t* loop,
                                                             SignalWatcher::Callback on_signal) {
  return std::make_unique<SignalWatcher>(
      loop,
      std::initializer_list<int>{SIGHUP, SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU, SIGWINCH, SIGINT,
                                 SIGTERM},
      std::move(on_signal));
}

void Proxy::on_signal(int signum) {
  const std::string name = signal_name(signum);
  switch (signum) {
    case SIGHUP:
      log(LogLevel::kInfo, name, " received: reopening the log file");
      on_hangup();
      break;
    case SIGUSR1:
      log(LogLevel::kInfo, name, " received: reopening the log file");
      reopen_log();
      break;
    case SIGTTIN:
    case SIGTTOU: {
      const int now = static_cast<int>(log_level());
      const int next = signum == SIGTTIN ? std::min(now + 1, static_cast<int>(LogLevel::kDebug))
                                         : std::max(now - 1, static_cast<int>(LogLevel::kError));
      set_log_level(static_cast<LogLevel>(next));
      // Shown at any new level: at info, or at the new level when it is less
      // verbose than info.
      log(static_cast<LogLevel>(std::min(next, static_cast<int>(LogLevel::kInfo))), name,
          " received: log level ", log_level_name(static_cast<LogLevel>(now)), " -> ",
          log_level_name(static_cast<LogLevel>(next)));
      break;
    }
    case SIGINT:
    case SIGTERM:
      if (draining_) {
        log(LogLevel::kWarn, name, " received again: exiting now");
        stop();
      } else {
        begin_shutdown(name);
      }
      break;
    case SIGWINCH:
      log(LogLevel::kDebug, name, " received: ignored");
      break;
    default:
      log(LogLevel::kInfo, name, " received: ignored (SIGUSR1 reopens the log file)");
      break;
  }
}

void Proxy::on_hangup() {
  reopen_log();
  reload_config();  // config_reload.cpp
}

void Proxy::reopen_log() {
  if (config_.log_file.empty()) {
    log(LogLevel::kInfo, "no --log-file: logging to stderr, nothing to reopen");
    return;
  }
  const int rc = open_log_file(config_.log_file);
  if (rc < 0) {
    log(LogLevel::kError, "cannot reopen log file ", config_.log_file, ": ", uv_strerror(rc),
        " (still writing to the old one)");
  } else {
    log(LogLevel::kInfo, "log file ", config_.log_file, " reopened");
  }
}

void Proxy::begin_shutdown(std::string_view why) {
  if (stopping_ || draining_) return;
  draining_ = true;
  drain_deadline_ms_ = uv_now(loop_) + static_cast<uint64_t>(config_.shutdown_timeout_ms);
  listener_.reset();
  log(LogLevel::kInfo, log_prefix_, why, " received: shutting down; no new connections, ",
      clients_.size(), " clients finish their requests in flight (at most ",
      config_.shutdown_timeout_ms, " ms; send it again to exit now)");
  // Each client stops reading and closes once the replies it is owed are out.
  std::vector<ClientConnection*> clients = clients_;
  for (ClientConnection* c : clients) c->close_after_replies();
  check_drained();
}

void Proxy::check_drained() {
  if (!draining_ || stopping_) return;
  if (clients_.empty()) {
    log(LogLevel::kInfo, log_prefix_,
        "every client is done: ", loop_storage_ ? "exiting" : "pool stopped");
    stop();
  } else if (uv_now(loop_) >= drain_deadline_ms_) {
    size_t owed = 0;
    for (const ClientConnection* c : clients_) owed += c->pending_requests();
    log(LogLevel::kWarn, log_prefix_, "--shutdown-timeout-ms (", config_.shutdown_timeout_ms,
        ") passed: closing ", clients_.size(), " clients with ", owed,
        " requests still unanswered");
    stop();
  }
}

}  // namespace ringproxy
