// See backend_pool.hpp.
#include "ringproxy/proxy/backend_pool.hpp"

#include <algorithm>
#include <string>

#include "ringproxy/commands/request.hpp"
#include "ringproxy/common/assert.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/placement/ring_builder.hpp"
#include "ringproxy/proxy/client_connection.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

BackendPool::BackendPool(const Config& config, uv_loop_t* loop, FlushScheduler& flusher,
                         LiveRing& ring, BackendEvents& events)
    : loop_(loop),
      ring_(ring),
      flusher_(flusher),
      events_(events),
      connections_per_backend_(config.backend_connections),
      flush_on_rejoin_(config.rejoin == RejoinPolicy::kFlush),
      failover_(config.backends.size(), config.failover_key_log),
      auto_eject_(config.auto_eject) {
  options_.connect_timeout_ms = config.connect_timeout_ms;
  options_.timeout_ms = config.timeout_ms;
  options_.stall_timeout_ms = config.stall_timeout_ms;
  options_.password = config.backend_password;
  options_.db = config.backend_db;
  const RingSnapshot& snap = ring_.snapshot();
  backends_.resize(snap.slot_limit());
  for (const RingMember& m : snap.members()) {
    backends_[m.slot] = open_backend(m.slot, m.spec);
    ever_members_.push_back(m.spec.address());
  }
  std::vector<HealthTarget> targets(backends_.size());
  for (const auto& b : backends_) {
    targets[b->index()] = {b->spec().host, b->spec().port, b->address()};
  }
  HealthOptions ho;
  ho.interval_ms = config.health_interval_ms;
  ho.timeout_ms = config.health_timeout_ms;
  ho.failure_limit = config.failure_limit;
  ho.rise = config.rise;
  ho.auto_eject = config.auto_eject;
  ho.flush_on_rejoin = config.rejoin == RejoinPolicy::kFlush;
  ho.password = config.backend_password;
  ho.db = config.backend_db;
  ho.figures_interval_ms = config.stats_interval_ms;
  health_ = std::make_unique<HealthChecker>(
      loop, std::move(targets), ho,
      [this](uint32_t b, BackendState from, BackendState to, std::string_view reason) {
        on_state(b, from, to, reason);
      });
  health_->set_missed_writes([this](uint32_t b) { return failover_.missed_writes(b); });
  // Not " -> ": that marks the state-change lines.
  health_->set_restarted([this](uint32_t b, std::string_view old_id, std::string_view new_id) {
    if (b >= backends_.size() || backends_[b] == nullptr) return;
    Backend& backend = *backends_[b];
    backend.stats().restarts++;
    log(LogLevel::kWarn, "backend ", backend.address(), ": restarted (run_id ", old_id, ", now ",
        new_id,
        flush_on_rejoin_ ? "): flushing it before it serves again"
                         : "): --rejoin keep, serving what it loaded");
  });
  // What an up backend says of itself (INFO Keyspace, backends_used_memory,
  // PROXY NODES, /metrics); a refusal, or an answer that does not parse,
  // leaves it without figures.
  health_->set_figures(
      [this](uint32_t b, bool answered, std::string_view memory, std::string_view keyspace) {
        if (b >= backends_.size() || backends_[b] == nullptr) return;
        if (b >= info_.size()) info_.resize(size_t{b} + 1);
        stats::BackendInfo& info = info_[b];
        if (!answered || health_->state(b) != BackendState::kUp ||
            !stats::parse_backend_info(memory, keyspace, static_cast<uint32_t>(options_.db), now(),
                                       info)) {
          info = {};
        }
      });
  // A slow command blocks PING as much as anything else: a probe that times
  // out behind one proves nothing (--timeout-ms still bounds the command).
  health_->set_busy([this, window = static_cast<uint64_t>(config.health_timeout_ms)](uint32_t b) {
    return b < backends_.size() && backends_[b] != nullptr &&
           backends_[b]->busy_with_slow(now(), window);
  });
}

std::unique_ptr<Backend> BackendPool::open_backend(uint32_t slot, const BackendSpec& spec) {
  auto b = std::make_unique<Backend>(slot, spec, options_, connections_per_backend_, loop_,
                                     flusher_, events_);
  b->resolve();
  return b;
}

BackendPool::~BackendPool() = default;

void BackendPool::start(bool preconnect) {
  health_->start();
  if (preconnect) {
    for (auto& b : backends_) {
      if (b) b->connect_all(now());
    }
  }
}

void BackendPool::stop() {
  if (health_) health_->stop();
  for (auto& b : backends_) {
    if (b) b->fail_all("proxy shutting down");
  }
  for (auto& b : draining_) b->fail_all("proxy shutting down");
}

bool BackendPool::send(BackendId backend, uint64_t client_id, Request* req, uint32_t fragment,
                       std::string_view bytes, uint32_t swallow) {
  RP_ASSERT(open_ == nullptr);
  const uint64_t t = now();
  BackendConnection* conn = connection(backend, client_id, t);
  if (conn == nullptr) return false;
  // Every session of this proxy is a ClientConnection; a big request moves to
  // the backend with the storage it was read into instead of being copied.
  static_cast<ClientConnection*>(req->session)->write_request(*conn, bytes);
  conn->expect_reply(req, fragment, swallow, t, req->expect, req->fast);
  backends_[backend]->stats().requests++;
  return true;
}

Buffer* BackendPool::begin(BackendId backend, uint64_t client_id) {
  RP_ASSERT(open_ == nullptr);
  open_ = connection(backend, client_id, now());
  if (open_ == nullptr) return nullptr;
  open_backend_ = backends_[backend].get();
  return &open_->out();
}

void BackendPool::commit(Request* req, uint32_t fragment, uint32_t swallow) {
  RP_ASSERT(open_ != nullptr);
  open_->expect_reply(req, fragment, swallow, now(), req->expect, req->fast);
  open_backend_->stats().requests++;
  open_ = nullptr;
  open_backend_ = nullptr;
}

void BackendPool::unavailable_error(BackendId backend, Buffer& out) {
  if (backend >= backends_.size() || backends_[backend] == nullptr) {
    resp::error(out, "ERR ringproxy: backend removed from the ring");
    return;
  }
  Backend& b = *backends_[backend];
  b.stats().errors++;
  std::string msg = "ERR ringproxy: backend " + b.address() + " is unavailable";
  if (!b.stats().last_error.empty()) msg += " (" + b.stats().last_error + ")";
  resp::error(out, msg);
}

void BackendPool::failover_write(std::string_view key, BackendId home, BackendId successor) {
  if (home >= backends_.size() || backends_[home] == nullptr) return;
  failover_.record(home, successor, key);
}

void BackendPool::write_lost(BackendId backend) {
  failover_.record_lost(backend);
}

void BackendPool::report_failure(Backend& backend, std::string_view reason) {
  // A draining (removed) backend's connections are not a health signal.
  const uint32_t slot = backend.index();
  if (slot >= backends_.size() || backends_[slot].get() != &backend) return;
  health_->report_failure(slot, reason);
}

void BackendPool::check_timeouts(uint64_t sweep_interval_ms) {
  const uint64_t t = now();
  // A sweep that comes much later than planned means the loop was busy, and
  // replies may be sitting unread: silence is judged again next time.
  const bool on_time = last_sweep_ms_ == 0 || t - last_sweep_ms_ <= 2 * sweep_interval_ms;
  last_sweep_ms_ = t;
  for (auto& b : backends_) {
    if (b) b->check_timeouts(t, on_time);
  }
  for (auto& b : draining_) b->check_timeouts(t, on_time);
}

std::string BackendPool::address_of(BackendId slot) const {
  const Backend* found = slot < backends_.size() ? backends_[slot].get() : nullptr;
  for (size_t i = 0; found == nullptr && i < draining_.size(); ++i) {
    if (draining_[i]->index() == slot) found = draining_[i].get();
  }
  if (found == nullptr) return "?";
  return found->spec().host + ":" + std::to_string(found->spec().port);
}

void BackendPool::reports(std::vector<BackendReport>& out) const {
  const RingSnapshot& ring = ring_.snapshot();
  const std::vector<uint32_t> points = ring.home().points_per_node();
  const uint64_t t = now();
  out.clear();
  for (uint32_t i = 0; i < backends_.size(); ++i) {
    if (backends_[i] == nullptr) continue;
    const Backend& b = *backends_[i];
    const BackendStats& st = b.stats();
    BackendReport& r = out.emplace_back();
    r.id = i;
    r.address = b.spec().host + ":" + std::to_string(b.spec().port);
    r.name = b.spec().name;
    r.state = backend_state_name(health_->state(i));
    r.weight = b.spec().weight;
    const uint32_t node = ring.node_of(i);
    r.points = node < points.size() ? points[node] : 0;
    r.connections = b.open_connections();
    r.requests = st.requests;
    r.request_bytes = b.request_bytes();
    r.responses = st.responses;
    r.response_bytes = st.response_bytes;
    r.errors = st.errors;
    r.timeouts = st.timeouts;
    r.stalls = st.stalls;
    r.out_of_step = st.out_of_step;
    r.ejections = st.ejections;
    r.restarts = st.restarts;
    r.inflight = b.inflight();
    r.failover_keys = failover_.tracked(i);
    r.since_change_ms = t - health_->last_change_ms(i);
    r.last_error = health_->last_error(i);
    if (i < info_.size() && info_[i].known) {
      const stats::BackendInfo& info = info_[i];
      r.figures_known = true;
      r.keys = info.keyspace.keys;
      r.expires = info.keyspace.expires;
      r.avg_ttl_ms = info.keyspace.avg_ttl_ms;
      r.used_memory = info.used_memory;
      r.figures_age_ms = t - info.at_ms;
    }
  }
}

void BackendPool::on_state(BackendId b, BackendState from, BackendState to,
                           std::string_view reason) {
  Backend& backend = *backends_[b];
  // Only an up backend's figures count: one that is not up is not asked, and
  // one that comes back may have been flushed or restarted meanwhile.
  if (to != BackendState::kUp && b < info_.size()) info_[b] = {};
  LogLevel level = to == BackendState::kUp ? LogLevel::kInfo : LogLevel::kWarn;
  log(level, "backend ", backend.address(), ": ", backend_state_name(from), " -> ",
      backend_state_name(to), reason.empty() ? "" : " (", reason, reason.empty() ? "" : ")");
  const bool now_live = to == BackendState::kUp || (to == BackendState::kFailing && !auto_eject_);
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
  // A flushed rejoin leaves nothing stale on it.
  if (to == BackendState::kUp && from == BackendState::kProbing && flush_on_rejoin_) {
    ring_.clear_dirty(b);
  }
  // Its successors' copies go before it takes its keys back (and whatever it
  // missed while it stayed live is forgotten: up is a clean slate).
  if (to == BackendState::kUp) delete_failover_copies(b);
  if (ring_.live(b) == now_live) return;
  ring_.set_live(b, now_live);
}

void BackendPool::delete_failover_copies(BackendId home) {
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
    if (ring_.live(succ) && backends_[succ] != nullptr &&
        backends_[succ]->send_internal(cmd.view(), now(), resp::kInteger)) {
      failover_copies_deleted_ += j - i;
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

// ---------------------------------------------------------------- membership

std::vector<uint32_t> BackendPool::rejoining(const RingSnapshot& before,
                                             const RingSnapshot& after) const {
  std::vector<uint32_t> out;
  const RingDiff d = diff(before, after);
  auto seen = [&](const BackendSpec& spec) {
    return std::find(ever_members_.begin(), ever_members_.end(), spec.address()) !=
           ever_members_.end();
  };
  for (uint32_t slot : d.added) {
    if (seen(after.member(slot)->spec)) out.push_back(slot);
  }
  for (uint32_t slot : d.readdressed) {
    if (seen(after.member(slot)->spec)) out.push_back(slot);
  }
  return out;
}

void BackendPool::apply(const RingSnapshot& before, const RingSnapshot& after,
                        const std::vector<uint32_t>& rejoining) {
  const RingDiff d = diff(before, after);
  auto retire = [&](uint32_t slot) {
    if (slot >= backends_.size() || backends_[slot] == nullptr) return;
    health_->remove(slot);
    failover_.forget(slot);
    if (slot < info_.size()) info_[slot] = {};
    log(LogLevel::kInfo, "backend ", backends_[slot]->address(),
        ": removed from the ring; its connections close once their replies are in");
    draining_.push_back(std::move(backends_[slot]));
  };
  auto open = [&](uint32_t slot) {
    const BackendSpec& spec = after.member(slot)->spec;
    if (slot >= backends_.size()) backends_.resize(slot + 1);
    backends_[slot] = open_backend(slot, spec);
    failover_.ensure(backends_.size());
    if (slot < info_.size()) info_[slot] = {};
    const bool rejoin = std::find(rejoining.begin(), rejoining.end(), slot) != rejoining.end();
    health_->add(slot, {spec.host, spec.port, backends_[slot]->address()}, rejoin);
    if (std::find(ever_members_.begin(), ever_members_.end(), spec.address()) ==
        ever_members_.end()) {
      ever_members_.push_back(spec.address());
    }
    log(LogLevel::kInfo, "backend ", backends_[slot]->address(), ": added to the ring",
        rejoin ? " (it was a member before: it rejoins through probes and the rejoin policy)" : "");
  };
  for (uint32_t slot : d.removed) retire(slot);
  for (uint32_t slot : d.readdressed) retire(slot);
  for (uint32_t slot : d.added) open(slot);
  for (uint32_t slot : d.readdressed) open(slot);
  sweep_draining();
}

void BackendPool::sweep_draining() {
  std::erase_if(draining_, [](const std::unique_ptr<Backend>& b) {
    if (b->inflight() != 0) return false;
    b->fail_all("removed from the ring");
    return true;
  });
}

std::vector<uint32_t> BackendPool::draining_slots() const {
  std::vector<uint32_t> out;
  for (const auto& b : draining_) out.push_back(b->index());
  return out;
}

}  // namespace ringproxy
