// Health probes over hiredis async contexts on the proxy's libuv loop, and the
// up/failing/down/probing state machine. See health_checker.hpp.
//
// hiredis 0.14 (Debian 12) has no async timeouts, so each probe arms a libuv
// timer; a probe that does not answer in time counts as a failure and its
// context is freed (a SIGSTOPped backend accepts TCP connections but never
// answers, so only a timeout catches it).
//
// The probes' contexts run on the loop through hiredis_uv.hpp's adapter, not
// hiredis's own (see there why).
#include "ringproxy/health/health_checker.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <utility>

#include "ringproxy/common/log.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/health/hiredis_uv.hpp"
#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy {

std::string_view backend_state_name(BackendState s) {
  switch (s) {
    case BackendState::kUp:
      return "up";
    case BackendState::kFailing:
      return "failing";
    case BackendState::kDown:
      return "down";
    case BackendState::kProbing:
      return "probing";
  }
  return "?";
}

namespace {
// What a reply callback answers (hiredis privdata).
enum Tag : intptr_t {
  kAuth = 1,
  kPing = 2,
  kFlush = 3,
  kSelect = 4,
  kInfo = 5,
  kInfoMemory = 6,
  kInfoKeyspace = 7
};

}  // namespace

std::string_view info_run_id(std::string_view info) {
  return info_value(info, "run_id");
}

// One backend's probe: a lazily (re)connected hiredis context, the interval
// timer and the per-probe deadline.
class HealthChecker::Probe {
 public:
  Probe(HealthChecker& owner, uint32_t index, HealthTarget target, bool start_down = false)
      : owner_(owner), index_(index), target_(std::move(target)) {
    interval_ = std::make_unique<uv_timer_t>();
    deadline_ = std::make_unique<uv_timer_t>();
    uv_timer_init(owner_.loop_, interval_.get());
    uv_timer_init(owner_.loop_, deadline_.get());
    interval_->data = deadline_->data = this;
    last_change_ms = uv_now(owner_.loop_);
    if (owner_.options_.start_down || start_down) state = BackendState::kDown;
  }
  ~Probe() {
    drop_context();
    close_handle(interval_);
    close_handle(deadline_);
  }

  // The first probe goes out at once: it also learns the run_id that later
  // ones compare with, so a restart soon after start-up is not taken for it.
  void start() {
    uint64_t every = static_cast<uint64_t>(owner_.options_.interval_ms);
    uv_timer_start(
        interval_.get(),
        [](uv_timer_t* t) {
          auto* self = static_cast<Probe*>(t->data);
          self->send(kPing);
          self->ask_figures();
        },
        0, every);
  }
  void stop() {
    uv_timer_stop(interval_.get());
    uv_timer_stop(deadline_.get());
    drop_context();
    in_flight_ = 0;
    flushing = false;
  }

  // Sends PING (or the rejoin flush) unless something is already in flight.
  // Every send ends in exactly one finish(): reply, error or deadline.
  void send(Tag what) {
    if (in_flight_ != 0 || owner_.stopped_) return;
    in_flight_ = what;
    std::string why;
    if (!ensure_context(why)) {
      finish(false, why);
      return;
    }
    int rc;
    if (what == kFlush) {
      rc = redisAsyncCommand(ctx_, &Probe::on_reply, reinterpret_cast<void*>(kFlush),
                             "FLUSHDB ASYNC");
    } else {
      rc = redisAsyncCommand(ctx_, &Probe::on_reply, reinterpret_cast<void*>(kPing), "PING");
    }
    if (rc != REDIS_OK) {
      drop_context();
      finish(false, "cannot send probe");
      return;
    }
    deadline_grace_ = false;
    uv_timer_start(deadline_.get(), &Probe::on_deadline,
                   static_cast<uint64_t>(owner_.options_.timeout_ms), 0);
  }

  // The probe's answer did not come in time.
  static void on_deadline(uv_timer_t* t) {
    auto* self = static_cast<Probe*>(t->data);
    // Timers run before the loop reads its sockets: after the proxy
    // was held up (descheduled on a busy machine, or a long callback)
    // the answer may be sitting unread. One more millisecond lets the
    // next poll read it (libuv runs a 0 ms timer started here at once).
    if (!self->deadline_grace_) {
      self->deadline_grace_ = true;
      uv_timer_start(t, &Probe::on_deadline, 1, 0);
      return;
    }
    // Drop the hung context first: a probe sent from inside finish()
    // must go out on a fresh connection.
    self->drop_context();
    if (self->in_flight_ == kPing && self->owner_.busy_ && self->owner_.busy_(self->index_)) {
      self->in_flight_ = 0;  // behind a slow command: no verdict
      return;
    }
    self->finish(false, "probe timed out");
  }

  // Every figures interval, INFO memory and INFO keyspace go right behind the
  // PING just sent, on a connection whose INFO server came back as text, to a
  // backend that is up. A PING queued behind them later still has its own
  // deadline, so a server that hangs on them is caught like any other hang;
  // their replies never decide anything (on_figures).
  void ask_figures() {
    const int every = owner_.options_.figures_interval_ms;
    if (every <= 0 || !owner_.figures_ || owner_.stopped_) return;
    if (ctx_ == nullptr || in_flight_ != kPing || !info_works_ || figures_pending_ != 0) return;
    if (state != BackendState::kUp) return;
    const uint64_t now = uv_now(owner_.loop_);
    if (figures_asked_ && now - figures_asked_ms_ < static_cast<uint64_t>(every)) return;
    figures_asked_ = true;
    figures_asked_ms_ = now;
    for (Tag tag : {kInfoMemory, kInfoKeyspace}) {
      if (redisAsyncCommand(ctx_, &Probe::on_reply, reinterpret_cast<void*>(tag),
                            tag == kInfoMemory ? "INFO memory" : "INFO keyspace") != REDIS_OK) {
        return;
      }
      ++figures_pending_;
    }
  }

  // Re-probes now on a fresh connection. A PING already in flight is
  // abandoned: it may have been answered before the failure that prompted
  // this, and must not clear it.
  void reprobe() {
    if (in_flight_ == kPing) {
      uv_timer_stop(deadline_.get());
      drop_context();
      in_flight_ = 0;
    }
    send(kPing);
  }

  BackendState state = BackendState::kUp;
  int failures = 0;
  int successes = 0;
  uint64_t last_change_ms = 0;
  std::string last_error;
  bool flushing = false;
  // The last run_id INFO reported (empty until one did), and whether a
  // restart seen since must be flushed before the backend is up again.
  std::string run_id;
  bool restart_pending = false;
  // Set while the state-change callback runs: the proxy then closes this
  // backend's connections, and those closures are not new failures.
  bool notifying = false;

 private:
  bool ensure_context(std::string& why) {
    if (ctx_ != nullptr) return true;
    redisAsyncContext* ac = redisAsyncConnect(target_.host.c_str(), target_.port);
    if (ac == nullptr) {
      why = "out of memory";
      return false;
    }
    if (ac->err) {
      why = ac->errstr;
      redisAsyncFree(ac);
      return false;
    }
    if (!attach_to_loop(ac, owner_.loop_)) {
      redisAsyncFree(ac);
      why = "cannot attach probe to the loop";
      return false;
    }
    ac->data = this;
    last_auth_error_.clear();
    info_works_ = false;
    figures_pending_ = 0;
    redisAsyncSetConnectCallback(ac, &Probe::on_connect);
    redisAsyncSetDisconnectCallback(ac, &Probe::on_disconnect);
    ctx_ = ac;
    if (!owner_.options_.password.empty()) {
      redisAsyncCommand(ctx_, &Probe::on_reply, reinterpret_cast<void*>(kAuth), "AUTH %b",
                        owner_.options_.password.data(), owner_.options_.password.size());
    }
    if (owner_.options_.db != 0) {
      redisAsyncCommand(ctx_, &Probe::on_reply, reinterpret_cast<void*>(kSelect), "SELECT %d",
                        owner_.options_.db);
    }
    // Once per connection: a restart always breaks the connection, so every
    // new server instance is asked before it answers a probe.
    redisAsyncCommand(ctx_, &Probe::on_reply, reinterpret_cast<void*>(kInfo), "INFO server");
    return true;
  }

  // Frees the context now; its pending callbacks see no owner and do nothing.
  void drop_context() {
    if (ctx_ == nullptr) return;
    redisAsyncContext* ac = ctx_;
    ctx_ = nullptr;
    figures_pending_ = 0;  // their callbacks see no owner now
    ac->data = nullptr;
    redisAsyncFree(ac);
  }

  void finish(bool ok, std::string_view reason) {
    if (in_flight_ == 0) return;
    Tag what = static_cast<Tag>(in_flight_);
    in_flight_ = 0;
    uv_timer_stop(deadline_.get());
    if (what == kFlush) {
      owner_.on_flush_result(index_, ok, reason);
    } else {
      owner_.on_probe_result(index_, ok, reason);
    }
  }

  // The probe owning `ac`, or nullptr when `ac` is not the current context
  // (a dropped or replaced one whose leftover callbacks must not touch the
  // probe in flight on its successor).
  static Probe* owner_of(const redisAsyncContext* ac) {
    auto* self = static_cast<Probe*>(ac->data);
    return self != nullptr && self->ctx_ == ac ? self : nullptr;
  }

  // `ac` is being freed by hiredis (connect failed, connection lost): forget
  // it before anything else runs, so that a probe sent from inside finish()
  // opens a fresh context instead of queueing on this dying one, and so that
  // the callbacks hiredis still runs for it are ignored.
  void detach(const redisAsyncContext* ac) {
    ctx_ = nullptr;
    figures_pending_ = 0;
    const_cast<redisAsyncContext*>(ac)->data = nullptr;
  }

  static void on_connect(const redisAsyncContext* ac, int status) {
    Probe* self = owner_of(ac);
    if (self == nullptr || status == REDIS_OK) return;
    std::string why = ac->errstr[0] ? ac->errstr : "connect failed";
    self->detach(ac);  // hiredis frees the context after this callback
    self->finish(false, why);
  }

  static void on_disconnect(const redisAsyncContext* ac, int) {
    Probe* self = owner_of(ac);
    if (self == nullptr) return;
    std::string why = ac->errstr[0] ? ac->errstr : "connection lost";
    self->detach(ac);
    if (self->in_flight_ != 0) {
      self->finish(false, why);
      return;
    }
    // Closed between probes: the server may have died (and may be back
    // already, restarted), so this is a failure like a broken data
    // connection, and it is probed again at once on a fresh connection.
    self->owner_.report_failure(self->index_, "probe connection closed: " + why);
  }

  static void on_reply(redisAsyncContext* ac, void* r, void* privdata) {
    Probe* self = owner_of(ac);
    if (self == nullptr) return;
    auto tag = static_cast<Tag>(reinterpret_cast<intptr_t>(privdata));
    auto* reply = static_cast<redisReply*>(r);
    if (reply == nullptr) {
      // Only a context being torn down answers NULL.
      std::string why = ac->errstr[0] ? ac->errstr : "connection lost";
      self->detach(ac);
      self->finish(false, why);
      return;
    }
    // More bytes read than replies expected: the backend answered twice.
    // hiredis would abort on the extra reply; freeing the context from this
    // callback stops it from parsing further.
    const redisReader* reader = ac->c.reader;
    bool extra = ac->replies.head == nullptr && reader->pos < reader->len;
    // A PING or FLUSHDB answers with a status or an error; anything else is
    // another request's reply.
    bool wrong_type = (tag == kPing || tag == kFlush) && reply->type != REDIS_REPLY_STATUS &&
                      reply->type != REDIS_REPLY_ERROR;
    if (extra || wrong_type) {
      self->drop_context();
      self->finish(false, "probe connection out of step with its requests");
      return;
    }
    if (tag == kInfo) {
      // An error (no INFO, NOAUTH) or another type: no run_id, no restart
      // detection, no figures; the PING behind it still decides.
      self->info_works_ = reply->type == REDIS_REPLY_STRING;
      if (!self->info_works_) {
        if (self->owner_.figures_) self->owner_.figures_(self->index_, false, {}, {});
        return;
      }
      self->owner_.on_run_id(self->index_, info_run_id(std::string_view(reply->str, reply->len)));
      return;
    }
    if (tag == kInfoMemory || tag == kInfoKeyspace) {
      self->on_figures(tag, *reply);
      return;
    }
    if (tag == kAuth || tag == kSelect) {
      if (reply->type == REDIS_REPLY_ERROR) {
        self->last_auth_error_.assign(tag == kAuth ? "AUTH failed: " : "SELECT failed: ");
        self->last_auth_error_.append(reply->str, reply->len);
      }
      return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      // LOADING, MASTERDOWN, NOAUTH...: not ready to serve.
      std::string why = self->last_auth_error_.empty() ? std::string(reply->str, reply->len)
                                                       : self->last_auth_error_;
      self->finish(false, why);
    } else if (!self->last_auth_error_.empty()) {
      // A PING answers even after a failed SELECT, but the flush (and the data
      // path) would hit the wrong database.
      self->finish(false, self->last_auth_error_);
    } else {
      self->finish(true, {});
    }
  }

  // A reply to INFO memory or INFO keyspace (asked in that order). Not text
  // (an error, or anything else) only means no figures this time.
  void on_figures(Tag tag, const redisReply& reply) {
    if (figures_pending_ > 0) --figures_pending_;
    const bool text = reply.type == REDIS_REPLY_STRING;
    if (tag == kInfoMemory) {
      memory_ok_ = text;
      memory_.assign(text ? std::string_view(reply.str, reply.len) : std::string_view());
      return;
    }
    if (!owner_.figures_) return;
    if (memory_ok_ && text) {
      owner_.figures_(index_, true, memory_, std::string_view(reply.str, reply.len));
    } else {
      owner_.figures_(index_, false, {}, {});
    }
    memory_ok_ = false;
  }

  HealthChecker& owner_;
  uint32_t index_;
  HealthTarget target_;
  redisAsyncContext* ctx_ = nullptr;
  std::unique_ptr<uv_timer_t> interval_;
  std::unique_ptr<uv_timer_t> deadline_;
  intptr_t in_flight_ = 0;
  bool deadline_grace_ = false;  // the deadline passed once: judged on the next iteration
  std::string last_auth_error_;
  // Figures: whether this connection's INFO server came back as text, the
  // replies still due to the last ask, when that was, and the INFO memory
  // text waiting for its INFO keyspace.
  bool info_works_ = false;
  int figures_pending_ = 0;
  bool figures_asked_ = false;
  uint64_t figures_asked_ms_ = 0;
  bool memory_ok_ = false;
  std::string memory_;
};

HealthChecker::HealthChecker(uv_loop_t* loop, std::vector<HealthTarget> targets,
                             HealthOptions options, StateCallback on_change)
    : loop_(loop), options_(std::move(options)), on_change_(std::move(on_change)) {
  for (size_t i = 0; i < targets.size(); ++i) {
    probes_.push_back(std::make_unique<Probe>(*this, static_cast<uint32_t>(i), targets[i]));
  }
}

HealthChecker::~HealthChecker() = default;

void HealthChecker::start() {
  stopped_ = false;
  started_ = true;
  for (auto& p : probes_) {
    if (p) p->start();
  }
}

void HealthChecker::stop() {
  stopped_ = true;
  for (auto& p : probes_) {
    if (p) p->stop();
  }
}

void HealthChecker::add(uint32_t slot, HealthTarget target, bool start_down) {
  if (slot >= probes_.size()) probes_.resize(slot + 1);
  probes_[slot] = std::make_unique<Probe>(*this, slot, std::move(target), start_down);
  if (started_ && !stopped_) {
    probes_[slot]->start();
    // A backend that must prove itself is probed at once, not after an interval.
    if (start_down) probes_[slot]->send(kPing);
  }
}

void HealthChecker::remove(uint32_t slot) {
  if (slot < probes_.size()) probes_[slot].reset();
}

BackendState HealthChecker::state(uint32_t backend) const {
  if (!has(backend)) return BackendState::kDown;
  return probes_[backend]->state;
}

uint64_t HealthChecker::last_change_ms(uint32_t backend) const {
  return probes_[backend]->last_change_ms;
}

const std::string& HealthChecker::last_error(uint32_t backend) const {
  return probes_[backend]->last_error;
}

void HealthChecker::report_failure(uint32_t backend, std::string_view reason) {
  if (!has(backend)) return;
  Probe& p = *probes_[backend];
  // After stop() the proxy is closing everything; while notifying, these are
  // the connections our own state change is closing. Neither is a new signal:
  // counting them would let one broken connection (of several) eject a
  // backend by itself.
  if (stopped_ || p.notifying) return;
  if (p.state != BackendState::kUp && p.state != BackendState::kFailing) return;
  on_probe_result(backend, false, reason);
  // Confirm (or clear) at once instead of waiting for the next interval.
  if (p.state == BackendState::kFailing) p.reprobe();
}

void HealthChecker::on_probe_result(uint32_t backend, bool ok, std::string_view reason) {
  Probe& p = *probes_[backend];
  if (!ok) p.last_error.assign(reason);
  switch (p.state) {
    case BackendState::kUp:
    case BackendState::kFailing:
      if (ok) {
        p.failures = 0;
        if (p.state != BackendState::kFailing) return;
        if (options_.flush_on_rejoin &&
            (p.restart_pending || (missed_writes_ && missed_writes_(backend)))) {
          // Not up until flushed: it may hold values older than writes that
          // went to its successors or that it lost in a restart, or apply lost
          // writes late.
          set_state(backend, BackendState::kProbing,
                    p.restart_pending ? "probe ok, restarted: flushing"
                                      : "probe ok, missed writes: flushing");
          p.successes = 0;
          p.flushing = true;
          p.send(kFlush);
        } else {
          set_state(backend, BackendState::kUp, "probe ok");
        }
      } else if (++p.failures >= options_.failure_limit && options_.auto_eject) {
        set_state(backend, BackendState::kDown, reason);
      } else if (p.state == BackendState::kUp) {
        set_state(backend, BackendState::kFailing, reason);
      }
      return;
    case BackendState::kDown:
    case BackendState::kProbing:
      if (p.flushing) return;
      if (!ok) {
        p.successes = 0;
        if (p.state == BackendState::kProbing) set_state(backend, BackendState::kDown, reason);
        return;
      }
      if (++p.successes < options_.rise) {
        if (p.state == BackendState::kDown) set_state(backend, BackendState::kProbing, "probe ok");
        return;
      }
      if (options_.flush_on_rejoin) {
        if (p.state == BackendState::kDown) set_state(backend, BackendState::kProbing, "probe ok");
        p.flushing = true;
        p.send(kFlush);
      } else {
        set_state(backend, BackendState::kUp, "rejoined");
      }
      return;
  }
}

void HealthChecker::on_flush_result(uint32_t backend, bool ok, std::string_view reason) {
  Probe& p = *probes_[backend];
  p.flushing = false;
  p.successes = 0;
  if (ok) {
    p.failures = 0;
    set_state(backend, BackendState::kUp, "rejoined after flush");
  } else {
    p.last_error.assign(reason);
    set_state(backend, BackendState::kDown, std::string("rejoin flush failed: ") += reason);
  }
}

void HealthChecker::on_run_id(uint32_t backend, std::string_view run_id) {
  Probe& p = *probes_[backend];
  if (run_id.empty() || run_id == p.run_id) return;
  std::string old = std::exchange(p.run_id, std::string(run_id));
  if (old.empty()) return;  // the first one seen is where we start from
  if (restarted_) restarted_(backend, old, p.run_id);
  // rejoin=keep trusts whatever a backend holds when it returns, restarted or not.
  if (!options_.flush_on_rejoin) return;
  p.restart_pending = true;
  // Out of service now, not after the PING behind this INFO: it may have
  // loaded values older than writes acknowledged before the restart.
  if (p.state == BackendState::kUp) set_state(backend, BackendState::kFailing, "restarted");
}

void HealthChecker::set_state(uint32_t backend, BackendState to, std::string_view reason) {
  Probe& p = *probes_[backend];
  BackendState from = p.state;
  if (from == to) return;
  p.state = to;
  p.last_change_ms = uv_now(loop_);
  if (to == BackendState::kDown) p.successes = 0;
  if (to == BackendState::kUp) {
    // Every way to up passes the flush when one is due (rejoin=flush).
    p.failures = 0;
    p.restart_pending = false;
  }
  bool was_notifying = p.notifying;
  p.notifying = true;
  on_change_(backend, from, to, reason);
  p.notifying = was_notifying;
}

}  // namespace ringproxy
