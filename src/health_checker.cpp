// Health probes over hiredis async contexts on the proxy's libuv loop, and the
// up/failing/down/probing state machine. See health_checker.hpp.
//
// hiredis 0.14 (Debian 12) has no async timeouts, so each probe arms a libuv
// timer; a probe that does not answer in time counts as a failure and its
// context is freed (a SIGSTOPped backend accepts TCP connections but never
// answers, so only a timeout catches it).
#include "ringproxy/health_checker.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-function-type"
#include <hiredis/adapters/libuv.h>
#pragma GCC diagnostic pop

#include <cstring>

#include "ringproxy/log.hpp"

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
enum Tag : intptr_t { kAuth = 1, kPing = 2, kFlush = 3, kSelect = 4 };

template <typename T>
void close_handle(std::unique_ptr<T>& h) {
  if (!h) return;
  uv_close(reinterpret_cast<uv_handle_t*>(h.release()),
           [](uv_handle_t* x) { std::unique_ptr<T> own(reinterpret_cast<T*>(x)); });
}
}  // namespace

// One backend's probe: a lazily (re)connected hiredis context, the interval
// timer and the per-probe deadline.
class HealthChecker::Probe {
 public:
  Probe(HealthChecker& owner, uint32_t index, HealthTarget target)
      : owner_(owner), index_(index), target_(std::move(target)) {
    interval_ = std::make_unique<uv_timer_t>();
    deadline_ = std::make_unique<uv_timer_t>();
    uv_timer_init(owner_.loop_, interval_.get());
    uv_timer_init(owner_.loop_, deadline_.get());
    interval_->data = deadline_->data = this;
    last_change_ms = uv_now(owner_.loop_);
  }
  ~Probe() {
    drop_context();
    close_handle(interval_);
    close_handle(deadline_);
  }

  void start() {
    uint64_t every = static_cast<uint64_t>(owner_.options_.interval_ms);
    uv_timer_start(
        interval_.get(), [](uv_timer_t* t) { static_cast<Probe*>(t->data)->send(kPing); }, every,
        every);
  }
  void stop() {
    uv_timer_stop(interval_.get());
    uv_timer_stop(deadline_.get());
    drop_context();
  }

  // Sends PING (or the rejoin flush) unless something is already in flight.
  void send(Tag what) {
    if (in_flight_ != 0) return;
    if (!ensure_context()) return;
    in_flight_ = what;
    int rc;
    if (what == kFlush) {
      rc = redisAsyncCommand(ctx_, &Probe::on_reply, reinterpret_cast<void*>(kFlush),
                             "FLUSHDB ASYNC");
    } else {
      rc = redisAsyncCommand(ctx_, &Probe::on_reply, reinterpret_cast<void*>(kPing), "PING");
    }
    if (rc != REDIS_OK) {
      finish(false, "cannot send probe");
      drop_context();
      return;
    }
    uv_timer_start(
        deadline_.get(),
        [](uv_timer_t* t) {
          auto* self = static_cast<Probe*>(t->data);
          self->finish(false, "probe timed out");
          self->drop_context();
        },
        static_cast<uint64_t>(owner_.options_.timeout_ms), 0);
  }

  BackendState state = BackendState::kUp;
  int failures = 0;
  int successes = 0;
  uint64_t last_change_ms = 0;
  std::string last_error;
  bool flushing = false;

 private:
  bool ensure_context() {
    if (ctx_ != nullptr) return true;
    redisAsyncContext* ac = redisAsyncConnect(target_.host.c_str(), target_.port);
    if (ac == nullptr) {
      owner_.on_probe_result(index_, false, "out of memory");
      return false;
    }
    if (ac->err) {
      std::string why = ac->errstr;
      redisAsyncFree(ac);
      owner_.on_probe_result(index_, false, why);
      return false;
    }
    if (redisLibuvAttach(ac, owner_.loop_) != REDIS_OK) {
      redisAsyncFree(ac);
      owner_.on_probe_result(index_, false, "cannot attach probe to the loop");
      return false;
    }
    ac->data = this;
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
    return true;
  }

  // Frees the context now; its pending callbacks see no owner and do nothing.
  void drop_context() {
    if (ctx_ == nullptr) return;
    redisAsyncContext* ac = ctx_;
    ctx_ = nullptr;
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

  static void on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<Probe*>(ac->data);
    if (self == nullptr || status == REDIS_OK) return;
    // hiredis frees the context after this callback.
    self->ctx_ = nullptr;
    self->finish(false, ac->errstr[0] ? ac->errstr : "connect failed");
  }

  static void on_disconnect(const redisAsyncContext* ac, int) {
    auto* self = static_cast<Probe*>(ac->data);
    if (self == nullptr) return;
    self->ctx_ = nullptr;
    self->finish(false, ac->errstr[0] ? ac->errstr : "connection lost");
  }

  static void on_reply(redisAsyncContext* ac, void* r, void* privdata) {
    auto* self = static_cast<Probe*>(ac->data);
    if (self == nullptr) return;
    auto tag = static_cast<Tag>(reinterpret_cast<intptr_t>(privdata));
    auto* reply = static_cast<redisReply*>(r);
    if (reply == nullptr) {
      self->finish(false, ac->errstr[0] ? ac->errstr : "connection lost");
      return;
    }
    if (tag == kAuth || tag == kSelect) {
      if (reply->type == REDIS_REPLY_ERROR) {
        self->last_auth_error_.assign(reply->str, reply->len);
      }
      return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      // LOADING, MASTERDOWN, NOAUTH...: not ready to serve.
      self->finish(false, std::string_view(reply->str, reply->len));
    } else {
      self->finish(true, {});
    }
  }

  HealthChecker& owner_;
  uint32_t index_;
  HealthTarget target_;
  redisAsyncContext* ctx_ = nullptr;
  std::unique_ptr<uv_timer_t> interval_;
  std::unique_ptr<uv_timer_t> deadline_;
  intptr_t in_flight_ = 0;
  std::string last_auth_error_;
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
  for (auto& p : probes_) p->start();
}

void HealthChecker::stop() {
  for (auto& p : probes_) p->stop();
}

BackendState HealthChecker::state(uint32_t backend) const { return probes_[backend]->state; }

uint64_t HealthChecker::last_change_ms(uint32_t backend) const {
  return probes_[backend]->last_change_ms;
}

const std::string& HealthChecker::last_error(uint32_t backend) const {
  return probes_[backend]->last_error;
}

void HealthChecker::report_failure(uint32_t backend, std::string_view reason) {
  Probe& p = *probes_[backend];
  if (p.state != BackendState::kUp && p.state != BackendState::kFailing) return;
  on_probe_result(backend, false, reason);
  // Confirm (or clear) at once instead of waiting for the next interval.
  if (p.state == BackendState::kFailing) p.send(kPing);
}

void HealthChecker::on_probe_result(uint32_t backend, bool ok, std::string_view reason) {
  Probe& p = *probes_[backend];
  if (!ok) p.last_error.assign(reason);
  switch (p.state) {
    case BackendState::kUp:
    case BackendState::kFailing:
      if (ok) {
        p.failures = 0;
        if (p.state == BackendState::kFailing) set_state(backend, BackendState::kUp, "probe ok");
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

void HealthChecker::set_state(uint32_t backend, BackendState to, std::string_view reason) {
  Probe& p = *probes_[backend];
  BackendState from = p.state;
  if (from == to) return;
  p.state = to;
  p.last_change_ms = uv_now(loop_);
  if (to == BackendState::kDown) p.successes = 0;
  if (to == BackendState::kUp) p.failures = 0;
  on_change_(backend, from, to, reason);
}

}  // namespace ringproxy
