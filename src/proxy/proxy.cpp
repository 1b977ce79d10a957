// The route step of the data path, plus the proxy's lifecycle (listener,
// timers, signals, shutdown). See proxy.hpp.
#include "ringproxy/proxy/proxy.hpp"

#include <malloc.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "ringproxy/common/log.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/net/uv_handle.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {

constexpr size_t kTrimThreshold = 1024 * 1024;

// Redis's text (processCommand): the name cut at 128 bytes, then the quoted
// arguments while the list is under 128 bytes, each cut to fit; printf's %s
// semantics, so a NUL byte ends a name or an argument.
std::string unknown_command_error(const std::vector<std::string_view>& argv) {
  auto cut = [](std::string_view s, size_t max) {
    return s.substr(0, std::min(max, s.find('\0')));
  };
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
    const size_t room = 128 - args.size();
    args.append("'").append(cut(argv[i], room)).append("' ");
  }
  std::string msg = "ERR unknown command '";
  msg.append(cut(argv[0], 128)).append("', with args beginning with: ").append(args);
  return msg;
}

std::vector<RingNode> ring_nodes(const Config& c) {
  std::vector<RingNode> nodes;
  for (const BackendSpec& b : c.backends) nodes.push_back({b.ring_name, b.weight});
  return nodes;
}

}  // namespace

Proxy::Proxy(Config config)
    : config_(std::move(config)),
      loop_storage_(std::make_unique<uv_loop_t>()),
      loop_(loop_storage_.get()),
      failover_(config_.backends.size(), config_.failover_key_log),
      output_pool_(config_.output_buffer_pool),
      rng_(std::random_device{}()),
      parser_limits_{config_.max_bulk_len, config_.max_args, config_.max_inline_len},
      shared_parser_(parser_limits_) {
  uv_loop_init(loop_);
  flusher_ = std::make_unique<FlushScheduler>(loop_);
  sockets_ = std::make_unique<SocketPoller>(loop_);
  flusher_->set_yield(config_.yield_after_flush);
  flusher_->set_busy_poll_us(static_cast<uint64_t>(config_.busy_poll_us));
  flusher_->set_coalescing(static_cast<uint64_t>(config_.coalesce_us),
                           static_cast<uint32_t>(config_.coalesce_min_clients),
                           [this] { return stats_.commands; });
  flusher_->set_before_flush([this] {
    if (to_resume_.empty()) return;
    std::vector<ClientConnection*> batch;
    batch.swap(to_resume_);
    for (ClientConnection* c : batch) {
      if (c != nullptr) c->resume();
    }
  });
  router_ = std::make_unique<Router>(config_.hash, config_.hash_tag, config_.distribution,
                                     ring_nodes(config_));
  BackendOptions options;
  options.connect_timeout_ms = config_.connect_timeout_ms;
  options.timeout_ms = config_.timeout_ms;
  options.password = config_.backend_password;
  options.db = config_.backend_db;
  for (size_t i = 0; i < config_.backends.size(); ++i) {
    backends_.push_back(std::make_unique<Backend>(static_cast<uint32_t>(i), config_.backends[i],
                                                  options, config_.backend_connections, loop_,
                                                  *flusher_, *this));
    backends_.back()->resolve();
  }
  live_.assign(backends_.size(), true);
  std::vector<HealthTarget> targets;
  for (const auto& b : backends_) targets.push_back({b->spec().host, b->spec().port, b->address()});
  HealthOptions ho;
  ho.interval_ms = config_.health_interval_ms;
  ho.timeout_ms = config_.health_timeout_ms;
  ho.failure_limit = config_.failure_limit;
  ho.rise = config_.rise;
  ho.auto_eject = config_.auto_eject;
  ho.flush_on_rejoin = config_.rejoin == RejoinPolicy::kFlush;
  ho.password = config_.backend_password;
  ho.db = config_.backend_db;
  health_ = std::make_unique<HealthChecker>(
      loop_, std::move(targets), ho,
      [this](uint32_t b, BackendState from, BackendState to, std::string_view reason) {
        on_backend_state(b, from, to, reason);
      });
}

Proxy::~Proxy() {
  shutdown();
}

// ---------------------------------------------------------------------------
// Lifecycle

void Proxy::listen() {
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
      sweep_timer_.get(), [](uv_timer_t* t) { static_cast<Proxy*>(t->data)->sweep(); }, 50, 50);
  auto on_signal = [](uv_signal_t* s, int signum) {
    log(LogLevel::kInfo, "signal ", signum, " received, shutting down");
    static_cast<Proxy*>(s->data)->stop();
  };
  sigint_ = std::make_unique<uv_signal_t>();
  sigterm_ = std::make_unique<uv_signal_t>();
  uv_signal_init(loop_, sigint_.get());
  uv_signal_init(loop_, sigterm_.get());
  sigint_->data = sigterm_->data = this;
  uv_signal_start(sigint_.get(), on_signal, SIGINT);
  uv_signal_start(sigterm_.get(), on_signal, SIGTERM);
  health_->start();
  if (config_.preconnect) {
    for (auto& b : backends_) b->connect_all(uv_now(loop_));
  }
  log(LogLevel::kInfo, "ringproxy ", RINGPROXY_VERSION, " listening on ", config_.listen_host, ":",
      config_.listen_port, " with ", backends_.size(), " backends (",
      distribution_name(config_.distribution), ", ", hash_name(config_.hash), ")");
  uv_run(loop_, UV_RUN_DEFAULT);
  shutdown();
}

void Proxy::stop() {
  if (stopping_) return;
  stopping_ = true;
  listener_.reset();
  close_handle(sweep_timer_);
  close_handle(sigint_);
  close_handle(sigterm_);
  if (health_) health_->stop();
  // Clients first, so backend failures below find orphaned requests only.
  std::vector<ClientConnection*> clients = clients_;
  for (ClientConnection* c : clients) c->close();
  for (auto& b : backends_) b->fail_all("proxy shutting down");
}

void Proxy::shutdown() {
  if (loop_ == nullptr) return;
  stop();
  uv_run(loop_, UV_RUN_DEFAULT);
  health_.reset();
  // Closed clients are deleted with the poller; their destructors still see
  // the flush scheduler.
  sockets_.reset();
  flusher_.reset();
  uv_run(loop_, UV_RUN_DEFAULT);
  backends_.clear();
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
  std::replace(to_resume_.begin(), to_resume_.end(), &c, static_cast<ClientConnection*>(nullptr));
}

void Proxy::sweep() {
  uint64_t now = uv_now(loop_);
  for (auto& b : backends_) b->check_timeouts(now);
  if (now - last_buffer_sweep_ms_ >= 1000) {
    last_buffer_sweep_ms_ = now;
    size_t freed = 0;
    for (ClientConnection* c : clients_) freed += c->release_idle_buffers();
    freed += output_pool_.sweep();
    // Give a burst's worth of freed buffers back to the kernel, not only to
    // malloc's free lists.
    if (freed >= kTrimThreshold) malloc_trim(0);
  }
}

std::vector<uint32_t> Proxy::live_backends() const {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < live_.size(); ++i) {
    if (live_[i]) out.push_back(i);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Route

Request* Proxy::new_request(ClientConnection& client) {
  Request* req = pool_.acquire();
  req->client = &client;
  client.push_request(req);
  return req;
}

void Proxy::reply_error(ClientConnection& c, std::string_view msg) {
  stats_.errors++;
  Request* req = nullptr;
  resp::error(c.local_reply_buffer(req), msg);
  c.finish_local(req);
}

void Proxy::dispatch(ClientConnection& c, const RequestParser& p) {
  stats_.commands++;
  std::vector<std::string_view>& argv = c.argv();
  argv.clear();
  for (size_t i = 0; i < p.argc(); ++i) argv.push_back(p.arg(i));
  const CommandInfo* cmd = lookup_command(argv[0]);
  const bool in_tx = c.in_transaction();

  if (!c.authenticated() &&
      !(cmd && (cmd->name == "auth" || cmd->name == "quit" || cmd->name == "hello"))) {
    reply_error(c, "NOAUTH Authentication required.");
    return;
  }
  if (in_tx && !(cmd && (cmd->kind == CommandKind::kExec || cmd->kind == CommandKind::kDiscard ||
                         cmd->kind == CommandKind::kMulti || cmd->name == "quit"))) {
    queue_in_transaction(c, cmd, p);
    return;
  }
  if (cmd == nullptr) {
    if (lower(argv[0]) == "proxy") {  // PROXY NODES (local_commands.cpp)
      stats_.local++;
      proxy_command(c);
      return;
    }
    reply_error(c, unknown_command_error(argv));
    return;
  }
  if (!arity_ok(*cmd, argv.size())) {
    reply_error(c, "ERR wrong number of arguments for '" + std::string(cmd->name) + "' command");
    return;
  }
  switch (cmd->kind) {
    case CommandKind::kForward:
      route_keys(c, *cmd, p);
      return;
    case CommandKind::kMGet:
    case CommandKind::kMSet:
    case CommandKind::kSumKeys:
      route_split(c, *cmd, p);
      return;
    case CommandKind::kFanoutSum:
    case CommandKind::kFanoutConcat:
    case CommandKind::kFanoutOk:
    case CommandKind::kFanoutSame:
    case CommandKind::kRandomKey:
      route_fanout(c, *cmd, p);
      return;
    case CommandKind::kScan:
      route_scan(c, p);
      return;
    case CommandKind::kLocal:
      stats_.local++;
      local_command(c, *cmd);
      return;
    case CommandKind::kMulti: {
      if (in_tx) {
        reply_error(c, "ERR MULTI calls can not be nested");
        return;
      }
      c.transaction().active = true;
      Request* req = nullptr;
      resp::ok(c.local_reply_buffer(req));
      c.finish_local(req);
      return;
    }
    case CommandKind::kExec:
      if (!in_tx) {
        reply_error(c, "ERR EXEC without MULTI");
        return;
      }
      exec_transaction(c);
      return;
    case CommandKind::kDiscard: {
      if (!in_tx) {
        reply_error(c, "ERR DISCARD without MULTI");
        return;
      }
      c.end_transaction();
      Request* req = nullptr;
      resp::ok(c.local_reply_buffer(req));
      c.finish_local(req);
      return;
    }
    case CommandKind::kUnsupported:
      reply_error(c, "ERR ringproxy does not support '" + lower(argv[0]) +
                         "' (pub/sub, blocking, WATCH and server administration commands are not "
                         "proxied)");
      return;
  }
}

void Proxy::route_keys(ClientConnection& c, const CommandInfo& cmd, const RequestParser& p) {
  const std::vector<std::string_view>& argv = c.argv();
  std::string_view error;
  if (!extract_keys(cmd, argv, key_indexes_, error)) {
    reply_error(c, error);
    return;
  }
  if (key_indexes_.empty()) {
    reply_error(c, "ERR ringproxy: '" + lower(argv[0]) + "' without keys cannot be routed");
    return;
  }
  uint32_t backend = router_->backend_for_key(argv[key_indexes_[0]]);
  for (size_t i = 1; i < key_indexes_.size(); ++i) {
    if (router_->backend_for_key(argv[key_indexes_[i]]) != backend) {
      stats_.cross_backend_rejected++;
      reply_error(c, "ERR ringproxy: the keys of this '" + lower(argv[0]) +
                         "' live on different backends; give them a common hash tag (e.g. "
                         "{user1}:a and {user1}:b) so they share one backend");
      return;
    }
  }
  if (backend == kNoNode) {
    reply_error(c, "ERR ringproxy: no backend is available");
    return;
  }
  if (down_count_ > 0 && cmd.write) {
    for (uint32_t k : key_indexes_) note_failover_write(argv[k], backend);
  }
  Request* req = new_request(c);
  req->miss = cmd.miss;
  req->miss_fields = static_cast<uint32_t>(argv.size() - 2);
  stats_.forwarded++;
  forward(c, req, backend, p.raw());
}

void Proxy::forward(ClientConnection& c, Request* req, uint32_t backend, std::string_view bytes,
                    uint32_t swallow) {
  req->fragments.resize(1);
  req->fragments[0].backend = backend;
  req->pending = 1;
  BackendConnection* conn = connection(backend, c);
  if (conn == nullptr) {
    reply_unavailable(c, req, 0, backend);
    return;
  }
  conn->out().append(bytes);
  conn->expect_reply(req, 0, swallow, uv_now(loop_));
  backends_[backend]->stats().requests++;
}

void Proxy::reply_unavailable(ClientConnection&, Request* req, uint32_t fragment,
                              uint32_t backend) {
  Backend& b = *backends_[backend];
  b.stats().errors++;
  std::string msg = "ERR ringproxy: backend " + b.address() + " is unavailable";
  if (!b.stats().last_error.empty()) msg += " (" + b.stats().last_error + ")";
  Buffer line;
  resp::error(line, msg);
  on_failure(req, fragment, line.view());
}

void Proxy::route_split(ClientConnection& c, const CommandInfo& cmd, const RequestParser& p) {
  const std::vector<std::string_view>& argv = c.argv();
  const bool pairs = cmd.kind == CommandKind::kMSet;
  const size_t step = pairs ? 2 : 1;
  if (pairs && (argv.size() - 1) % 2 != 0) {
    reply_error(c, "ERR wrong number of arguments for '" + std::string(cmd.name) + "' command");
    return;
  }
  key_backends_.clear();
  bool same = true;
  for (size_t i = 1; i < argv.size(); i += step) {
    uint32_t b = router_->backend_for_key(argv[i]);
    if (b == kNoNode) {
      reply_error(c, "ERR ringproxy: no backend is available");
      return;
    }
    if (!key_backends_.empty() && b != key_backends_[0]) same = false;
    key_backends_.push_back(b);
    if (down_count_ > 0 && cmd.write) note_failover_write(argv[i], b);
  }
  Request* req = new_request(c);
  req->miss = cmd.miss;
  if (same) {
    // Every key on one backend: the request goes as it came.
    stats_.forwarded++;
    forward(c, req, key_backends_[0], p.raw());
    return;
  }
  stats_.split++;
  req->merge = cmd.kind == CommandKind::kMGet   ? MergeKind::kMGet
               : cmd.kind == CommandKind::kMSet ? MergeKind::kAllOk
                                                : MergeKind::kSum;
  fragment_of_backend_.assign(backends_.size(), UINT32_MAX);
  std::vector<uint32_t>& keys_in_fragment = key_indexes_;  // reused as a counter per fragment
  keys_in_fragment.clear();
  for (uint32_t b : key_backends_) {
    if (fragment_of_backend_[b] == UINT32_MAX) {
      fragment_of_backend_[b] = static_cast<uint32_t>(req->fragments.size());
      req->fragments.emplace_back();
      req->fragments.back().backend = b;
      keys_in_fragment.push_back(0);
    }
    uint32_t f = fragment_of_backend_[b];
    keys_in_fragment[f]++;
    if (req->merge == MergeKind::kMGet) req->key_fragment.push_back(f);
  }
  const uint32_t nfrag = static_cast<uint32_t>(req->fragments.size());
  req->pending = nfrag;
  uint64_t now = uv_now(loop_);
  std::vector<uint32_t> failed;
  for (uint32_t f = 0; f < nfrag; ++f) {
    uint32_t b = req->fragments[f].backend;
    BackendConnection* conn = connection(b, c);
    if (conn == nullptr) {
      failed.push_back(f);
      continue;
    }
    Buffer& out = conn->out();
    resp::array_header(out, 1 + static_cast<int64_t>(keys_in_fragment[f] * step));
    resp::bulk(out, argv[0]);
    for (size_t k = 0, i = 1; i < argv.size(); i += step, ++k) {
      if (key_backends_[k] != b) continue;
      resp::bulk(out, argv[i]);
      if (pairs) resp::bulk(out, argv[i + 1]);
    }
    conn->expect_reply(req, f, 0, now);
    backends_[b]->stats().requests++;
  }
  for (uint32_t f : failed) reply_unavailable(c, req, f, req->fragments[f].backend);
}

void Proxy::route_fanout(ClientConnection& c, const CommandInfo& cmd, const RequestParser& p) {
  std::vector<uint32_t> targets = live_backends();
  if (targets.empty()) {
    reply_error(c, "ERR ringproxy: no backend is available");
    return;
  }
  Request* req = new_request(c);
  switch (cmd.kind) {
    case CommandKind::kFanoutSum:
      req->merge = MergeKind::kSum;
      break;
    case CommandKind::kFanoutConcat:
      req->merge = MergeKind::kConcat;
      break;
    case CommandKind::kFanoutOk:
      req->merge = MergeKind::kAllOk;
      break;
    case CommandKind::kRandomKey:
      req->merge = MergeKind::kRandomKey;
      break;
    default: {
      // SCRIPT: FLUSH must succeed everywhere; LOAD/EXISTS answer the same on all.
      std::string sub = c.argv().size() > 1 ? lower(c.argv()[1]) : std::string();
      req->merge = sub == "flush" ? MergeKind::kAllOk : MergeKind::kFirst;
    }
  }
  stats_.fanout++;
  const uint32_t nfrag = static_cast<uint32_t>(targets.size());
  req->fragments.resize(nfrag);
  req->pending = nfrag;
  uint64_t now = uv_now(loop_);
  std::vector<uint32_t> failed;
  for (uint32_t f = 0; f < nfrag; ++f) {
    uint32_t b = targets[f];
    req->fragments[f].backend = b;
    BackendConnection* conn = connection(b, c);
    if (conn == nullptr) {
      failed.push_back(f);
      continue;
    }
    conn->out().append(p.raw());
    conn->expect_reply(req, f, 0, now);
    backends_[b]->stats().requests++;
  }
  for (uint32_t f : failed) reply_unavailable(c, req, f, req->fragments[f].backend);
}

void Proxy::route_scan(ClientConnection& c, const RequestParser&) {
  const std::vector<std::string_view>& argv = c.argv();
  uint64_t cursor = 0;
  if (!parse_u64(argv[1], cursor)) {
    reply_error(c, "ERR invalid cursor");
    return;
  }
  uint32_t idx = static_cast<uint32_t>(cursor & kScanBackendMask);
  uint64_t backend_cursor = cursor >> kScanBackendBits;
  if (idx >= backends_.size()) {
    reply_error(c, "ERR invalid cursor");
    return;
  }
  while (idx < backends_.size() && !live_[idx]) {
    ++idx;
    backend_cursor = 0;
  }
  if (idx >= backends_.size()) {
    Request* req = nullptr;
    Buffer& out = c.local_reply_buffer(req);
    out.append("*2\r\n$1\r\n0\r\n*0\r\n");
    c.finish_local(req);
    return;
  }
  stats_.fanout++;
  Request* req = new_request(c);
  req->merge = MergeKind::kScan;
  req->scan_backend = idx;
  req->fragments.resize(1);
  req->fragments[0].backend = idx;
  req->pending = 1;
  BackendConnection* conn = connection(idx, c);
  if (conn == nullptr) {
    reply_unavailable(c, req, 0, idx);
    return;
  }
  char num[24];
  auto r = std::to_chars(num, num + sizeof(num), backend_cursor);
  Buffer& out = conn->out();
  resp::array_header(out, static_cast<int64_t>(argv.size()));
  resp::bulk(out, argv[0]);
  resp::bulk(out, std::string_view(num, static_cast<size_t>(r.ptr - num)));
  for (size_t i = 2; i < argv.size(); ++i) resp::bulk(out, argv[i]);
  conn->expect_reply(req, 0, 0, uv_now(loop_));
  backends_[idx]->stats().requests++;
}

// ---------------------------------------------------------------------------
// MULTI / EXEC

void Proxy::queue_in_transaction(ClientConnection& c, const CommandInfo* cmd,
                                 const RequestParser& p) {
  Transaction& tx = c.transaction();
  const std::vector<std::string_view>& argv = c.argv();
  if (cmd == nullptr) {
    tx.dirty = true;
    reply_error(c, unknown_command_error(argv));
    return;
  }
  if (!arity_ok(*cmd, argv.size())) {
    tx.dirty = true;
    reply_error(c, "ERR wrong number of arguments for '" + std::string(cmd->name) + "' command");
    return;
  }
  bool keyed = cmd->kind == CommandKind::kForward || cmd->kind == CommandKind::kMGet ||
               cmd->kind == CommandKind::kMSet || cmd->kind == CommandKind::kSumKeys;
  bool keyless_ok =
      cmd->kind == CommandKind::kLocal && (cmd->name == "ping" || cmd->name == "echo");
  if (!keyed && !keyless_ok) {
    tx.dirty = true;
    reply_error(c, "ERR ringproxy: '" + lower(argv[0]) + "' cannot be used inside MULTI");
    return;
  }
  if (keyed) {
    std::string_view error;
    if (!extract_keys(*cmd, argv, key_indexes_, error)) {
      tx.dirty = true;
      reply_error(c, error);
      return;
    }
    for (uint32_t k : key_indexes_) {
      uint32_t b = router_->backend_for_key(argv[k]);
      if (tx.backend == kNoNode) tx.backend = b;
      if (b != tx.backend) tx.cross = true;
      if (down_count_ > 0 && cmd->write && b != kNoNode) note_failover_write(argv[k], b);
    }
  }
  if (tx.commands.size() + p.raw().size() > config_.query_buffer_limit) {
    tx.dirty = true;
    reply_error(c, "ERR ringproxy: transaction too large (query-buffer-limit)");
    return;
  }
  tx.commands.append(p.raw());
  tx.count++;
  Request* req = nullptr;
  resp::simple(c.local_reply_buffer(req), "QUEUED");
  c.finish_local(req);
}

void Proxy::exec_transaction(ClientConnection& c) {
  Transaction tx = std::move(c.transaction());
  c.end_transaction();
  if (tx.dirty) {
    reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  if (tx.cross) {
    stats_.cross_backend_rejected++;
    reply_error(c,
                "EXECABORT Transaction discarded because its keys live on different backends; "
                "give them a common hash tag (e.g. {user1}:a and {user1}:b) so they share one "
                "backend");
    return;
  }
  if (tx.count == 0) {
    Request* req = nullptr;
    resp::array_header(c.local_reply_buffer(req), 0);
    c.finish_local(req);
    return;
  }
  uint32_t backend = tx.backend;
  if (backend == kNoNode) {
    std::vector<uint32_t> live = live_backends();
    if (live.empty()) {
      reply_error(c, "ERR ringproxy: no backend is available");
      return;
    }
    backend = live[0];
  }
  // One uninterrupted block on the shared connection: nothing of another
  // client can land between MULTI and EXEC.
  Buffer block;
  block.append("*1\r\n$5\r\nMULTI\r\n");
  block.append(tx.commands.view());
  block.append("*1\r\n$4\r\nEXEC\r\n");
  Request* req = new_request(c);
  stats_.forwarded++;
  forward(c, req, backend, block.view(), tx.count + 1);
}

// ---------------------------------------------------------------------------
// Replies

namespace {
std::string_view miss_bytes(MissReply m) {
  switch (m) {
    case MissReply::kNil:
      return "$-1\r\n";
    case MissReply::kZero:
      return ":0\r\n";
    case MissReply::kEmptyArray:
      return "*0\r\n";
    case MissReply::kMinusTwo:
      return ":-2\r\n";
    case MissReply::kNilArray:
      return "*-1\r\n";
    case MissReply::kNoneType:
      return "+none\r\n";
    case MissReply::kEmptyBulk:
      return "$0\r\n\r\n";
    default:
      return {};
  }
}
}  // namespace

void Proxy::on_reply(Request* req, uint32_t fragment, std::string_view reply) {
  if (req->merge == MergeKind::kNone) {
    req->pending = 0;
    ClientConnection* c = req->client;
    if (c == nullptr) {
      pool_.release(req);
    } else if (c->is_head(req)) {
      c->write_head_reply(reply);
    } else {
      req->reply.append(reply);
      req->ready = true;
    }
    return;
  }
  Fragment& f = req->fragments[fragment];
  f.reply.assign(reply);
  f.done = true;
  if (--req->pending == 0) complete(req);
}

Buffer* Proxy::reply_sink(Request* req, uint32_t) {
  // Only a reply forwarded as it came (no merge) into a buffer holding nothing
  // else: the client's output if the request is next in line and nothing is
  // waiting to be written, else the request's own reply buffer.
  if (req->merge != MergeKind::kNone || req->client == nullptr) return nullptr;
  ClientConnection* c = req->client;
  if (c->is_head(req)) return c->out().empty() ? &c->out() : nullptr;
  return req->reply.empty() ? &req->reply : nullptr;
}

void Proxy::on_reply_moved(Request* req, uint32_t) {
  stats_.replies_moved++;
  req->pending = 0;
  ClientConnection* c = req->client;
  if (c->is_head(req)) {
    c->finish_head();
  } else {
    req->ready = true;
  }
}

void Proxy::on_failure(Request* req, uint32_t fragment, std::string_view error) {
  stats_.errors++;
  if (config_.on_unavailable == OnUnavailable::kMiss && req->miss != MissReply::kNone) {
    // A read of an unreachable backend answers as a cache miss; for a split
    // read, only that backend's part does.
    Buffer miss;
    switch (req->merge) {
      case MergeKind::kNone:
        if (req->miss == MissReply::kNilPerField) {
          resp::array_header(miss, req->miss_fields);
          for (uint32_t i = 0; i < req->miss_fields; ++i) resp::nil(miss);
        } else {
          miss.append(miss_bytes(req->miss));
        }
        break;
      case MergeKind::kMGet: {
        int64_t keys = std::count(req->key_fragment.begin(), req->key_fragment.end(), fragment);
        resp::array_header(miss, keys);
        for (int64_t i = 0; i < keys; ++i) resp::nil(miss);
        break;
      }
      case MergeKind::kSum:
        resp::integer(miss, 0);
        break;
      case MergeKind::kConcat:
        resp::array_header(miss, 0);
        break;
      case MergeKind::kRandomKey:
        resp::nil(miss);
        break;
      default:
        break;
    }
    if (!miss.empty()) {
      on_reply(req, fragment, miss.view());
      return;
    }
  }
  on_reply(req, fragment, error);
}

void Proxy::complete(Request* req) {
  ClientConnection* c = req->client;
  if (c == nullptr) {
    pool_.release(req);
    return;
  }
  merge(req);
  req->ready = true;
  if (c->is_head(req)) c->drain_ready();
}

void Proxy::on_backend_error(Backend& backend, std::string_view reason) {
  log(LogLevel::kDebug, "backend ", backend.address(), ": ", reason);
  // While shutting down, fail_all() is not a health signal: a report would
  // start a new probe connection that keeps the loop (and the process) alive.
  if (stopping_) return;
  health_->report_failure(backend.index(), reason);
}

void Proxy::on_backend_connected(Backend& backend) {
  log(LogLevel::kDebug, "backend ", backend.address(), ": connected");
}

// ---------------------------------------------------------------------------
// Health

BackendConnection* Proxy::connection(uint32_t backend, ClientConnection& c) {
  if (health_->state(backend) != BackendState::kUp) return nullptr;
  return backends_[backend]->connection_for(c.id(), uv_now(loop_));
}

void Proxy::on_backend_state(uint32_t b, BackendState from, BackendState to,
                             std::string_view reason) {
  Backend& backend = *backends_[b];
  LogLevel level = to == BackendState::kUp ? LogLevel::kInfo : LogLevel::kWarn;
  log(level, "backend ", backend.address(), ": ", backend_state_name(from), " -> ",
      backend_state_name(to), reason.empty() ? "" : " (", reason, reason.empty() ? "" : ")");
  bool was_live = live_[b];
  bool now_live = to == BackendState::kUp || to == BackendState::kFailing;
  if (to == BackendState::kDown && from != BackendState::kProbing) {
    backend.stats().ejections++;
  }
  if (to == BackendState::kFailing || to == BackendState::kDown) {
    // In-flight requests get their error now, not after a timeout.
    backend.fail_all(to == BackendState::kDown ? "ejected" : "failing");
  }
  // Probes just saw it answer: connect at once, not after the back-off of
  // the connection that failed before (requests would get fast errors).
  if (to == BackendState::kUp) backend.reset_backoff();
  if (was_live == now_live) return;
  if (now_live) delete_failover_copies(b);
  live_[b] = now_live;
  down_count_ += now_live ? -1 : 1;
  router_->set_live(live_);
}

void Proxy::note_failover_write(std::string_view key, uint32_t backend) {
  uint32_t home = router_->home_for_key(key);
  if (home == backend || home == kNoNode) return;
  stats_.failover_writes++;
  failover_.record(home, backend, key);
}

void Proxy::delete_failover_copies(uint32_t home) {
  uint64_t untracked = failover_.untracked(home);
  std::vector<FailoverLog::Copy> copies = failover_.take(home);
  if (copies.empty() && untracked == 0) return;
  // One DEL per successor and batch of keys, in order with client traffic.
  constexpr size_t kBatch = 512;
  std::sort(copies.begin(), copies.end(),
            [](const auto& x, const auto& y) { return x.successor < y.successor; });
  size_t lost = 0;
  Buffer cmd;
  for (size_t i = 0; i < copies.size();) {
    uint32_t succ = copies[i].successor;
    size_t j = i;
    while (j < copies.size() && copies[j].successor == succ && j - i < kBatch) ++j;
    cmd.clear();
    resp::array_header(cmd, static_cast<int64_t>(j - i + 1));
    resp::bulk(cmd, "DEL");
    for (size_t k = i; k < j; ++k) resp::bulk(cmd, copies[k].key);
    if (live_[succ] && backends_[succ]->send_internal(cmd.view(), uv_now(loop_))) {
      stats_.failover_copies_deleted += j - i;
    } else {
      lost += j - i;
    }
    i = j;
  }
  log(LogLevel::kInfo, "backend ", backends_[home]->address(), ": deleting ", copies.size() - lost,
      " failover-era copies from successors", lost ? " (" : "", lost ? std::to_string(lost) : "",
      lost ? " could not be deleted: successor unavailable)" : "",
      untracked ? "; untracked beyond failover-key-log: " : "",
      untracked ? std::to_string(untracked) : "");
}

}  // namespace ringproxy
