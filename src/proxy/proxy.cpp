// The proxy's wiring and lifecycle: listener, timers, signals, shutdown. See
// proxy.hpp.
#include "ringproxy/proxy/proxy.hpp"

#include <malloc.h>

#include <algorithm>
#include <stdexcept>

#include "ringproxy/cluster/etcd_membership.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/net/uv_handle.hpp"
#include "ringproxy/proxy/etcd_ring_admin.hpp"
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

Proxy::Proxy(Config config)
    : config_(std::move(config)),
      loop_storage_(std::make_unique<uv_loop_t>()),
      loop_(loop_storage_.get()),
      report_(*this),
      output_pool_(config_.output_buffer_pool),
      parser_limits_{config_.max_bulk_len, config_.max_args, config_.max_inline_len},
      shared_parser_(parser_limits_) {
  uv_loop_init(loop_);
  flusher_ = std::make_unique<FlushScheduler>(loop_);
  sockets_ = std::make_unique<SocketPoller>(loop_);
  const std::string source = config_.etcd.empty() ? "config" : start_etcd();
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
  start_ms_ = uv_now(loop_);
  listen();
  sweep_timer_ = std::make_unique<uv_timer_t>();
  uv_timer_init(loop_, sweep_timer_.get());
  sweep_timer_->data = this;
  uv_timer_start(
      sweep_timer_.get(), [](uv_timer_t* t) { static_cast<Proxy*>(t->data)->sweep(); },
      kSweepIntervalMs, kSweepIntervalMs);
  watch_signals();
  pool_->start(config_.preconnect);
  log(LogLevel::kInfo, "ringproxy ", RINGPROXY_VERSION, " listening on ", config_.listen_host, ":",
      config_.listen_port, " with ", pool_->size(), " backends (",
      distribution_name(config_.distribution), ", ", hash_name(config_.hash), ")");
  uv_run(loop_, UV_RUN_DEFAULT);
  shutdown();
}

void Proxy::stop() {
  if (stopping_) return;
  stopping_ = true;
  listener_.reset();
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
}

void Proxy::shutdown() {
  if (loop_ == nullptr) return;
  stop();
  uv_run(loop_, UV_RUN_DEFAULT);
  pool_->close_health();
  // Closed clients are deleted with the poller; their destructors still see
  // the flush scheduler.
  sockets_.reset();
  flusher_.reset();
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
  pool_->check_timeouts(kSweepIntervalMs);
  pool_->sweep_draining();
  if (!stopping_) stale_cleanup_->tick();
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

}  // namespace ringproxy
