// See leased_key.hpp.
#include "ringproxy/cluster/leased_key.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "ringproxy/common/log.hpp"
#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy {
namespace {

// Lease IDs as etcdctl prints them (lease timetolive/revoke take this form).
std::string hex(int64_t id) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace

LeasedKey::LeasedKey(EtcdClient& client, std::string key, std::string value, int64_t ttl_s,
                     StateCallback on_state)
    : client_(client),
      key_(std::move(key)),
      value_(std::move(value)),
      ttl_s_(ttl_s),
      on_state_(std::move(on_state)),
      backoff_(static_cast<uint64_t>(client.options().backoff_initial_ms),
               static_cast<uint64_t>(client.options().backoff_max_ms),
               uv_hrtime() ^ reinterpret_cast<uintptr_t>(this)),
      timer_(std::make_unique<uv_timer_t>()) {
  if (ttl_s_ < 1) throw std::invalid_argument("lease TTL must be at least 1 second");
  uv_timer_init(client_.loop(), timer_.get());
  timer_->data = this;
}

LeasedKey::~LeasedKey() {
  client_.cancel(call_);
  client_.cancel(revoke_call_);
  close_handle(timer_);
}

void LeasedKey::schedule(uint64_t delay_ms, void (LeasedKey::*what)()) {
  timer_action_ = what;
  uv_timer_start(
      timer_.get(),
      [](uv_timer_t* t) {
        auto* self = static_cast<LeasedKey*>(t->data);
        (self->*(self->timer_action_))();
      },
      delay_ms, 0);
}

uint64_t LeasedKey::renew_period_ms() const {
  int64_t ttl = granted_ttl_s_ > 0 ? granted_ttl_s_ : ttl_s_;
  return static_cast<uint64_t>(ttl) * 1000 / 3;
}

void LeasedKey::hold() {
  if (phase_ != Phase::kReleased) return;
  backoff_.reset();
  grant();
}

void LeasedKey::grant() {
  phase_ = Phase::kGranting;
  call_ = client_.lease_grant(ttl_s_, [this](EtcdResult<LeaseGrantResult> r) {
    call_ = 0;
    if (!r.ok()) {
      retry_grant("lease grant failed: " + r.error->message);
      return;
    }
    lease_ = r.value.id;
    granted_ttl_s_ = r.value.ttl > 0 ? r.value.ttl : ttl_s_;
    put();
  });
}

void LeasedKey::put() {
  phase_ = Phase::kPutting;
  call_ = client_.put(key_, value_, lease_, [this](EtcdResult<PutResult> r) {
    call_ = 0;
    if (!r.ok()) {
      // The lease is left to expire: it holds nothing.
      lease_ = 0;
      retry_grant("put failed: " + r.error->message);
      return;
    }
    phase_ = Phase::kHeld;
    backoff_.reset();
    renew_failing_ = false;
    log(LogLevel::kInfo, "etcd: holding ", key_, " = ", value_, " under lease ", hex(lease_),
        " (ttl ", granted_ttl_s_, " s)");
    schedule(renew_period_ms(), &LeasedKey::renew);
    if (on_state_) on_state_(true, "registered");
  });
}

void LeasedKey::renew() {
  call_ = client_.lease_keepalive(lease_, [this](EtcdResult<LeaseKeepAliveResult> r) {
    call_ = 0;
    uint64_t period = renew_period_ms();
    if (!r.ok()) {
      // etcd unreachable: the lease may still be alive there; retry sooner
      // than the period so that a short outage does not cost it.
      if (!renew_failing_) {
        log(LogLevel::kWarn, "etcd: cannot renew lease ", hex(lease_), " of ", key_, ": ",
            r.error->message);
      }
      renew_failing_ = true;
      schedule(std::min(backoff_.next(), period), &LeasedKey::renew);
      return;
    }
    if (r.value.ttl <= 0) {
      lost("lease " + hex(lease_) + " expired");
      return;
    }
    if (renew_failing_)
      log(LogLevel::kInfo, "etcd: lease ", hex(lease_), " of ", key_, " renewed again");
    renew_failing_ = false;
    backoff_.reset();
    ++renewals_;
    schedule(period, &LeasedKey::renew);
  });
}

void LeasedKey::lost(std::string_view why) {
  log(LogLevel::kWarn, "etcd: ", key_, ": ", why, "; registering again");
  lease_ = 0;
  phase_ = Phase::kRetrying;
  backoff_.reset();
  grant();
  if (on_state_) on_state_(false, why);
}

void LeasedKey::retry_grant(std::string_view why) {
  bool was_held = phase_ == Phase::kHeld;
  phase_ = Phase::kRetrying;
  uint64_t delay = backoff_.next();
  if (backoff_.attempts() == 1) log(LogLevel::kWarn, "etcd: ", key_, ": ", why, "; retrying");
  schedule(delay, &LeasedKey::grant);
  if (was_held && on_state_) on_state_(false, why);
}

void LeasedKey::release(std::function<void()> done) {
  uv_timer_stop(timer_.get());
  client_.cancel(call_);
  call_ = 0;
  bool was_held = phase_ == Phase::kHeld;
  phase_ = Phase::kReleased;
  int64_t lease = std::exchange(lease_, 0);
  if (lease == 0) {
    if (done) done();
  } else {
    client_.cancel(revoke_call_);
    revoke_call_ = client_.lease_revoke(
        lease, [this, lease, done = std::move(done)](EtcdResult<LeaseRevokeResult> r) {
          revoke_call_ = 0;
          if (r.ok()) {
            log(LogLevel::kInfo, "etcd: revoked lease ", hex(lease), " of ", key_);
          } else {
            log(LogLevel::kWarn, "etcd: cannot revoke lease ", hex(lease), " of ", key_, " (",
                r.error->message, "); it expires within ", granted_ttl_s_, " s");
          }
          if (done) done();
        });
  }
  if (was_held && on_state_) on_state_(false, "released");
}

}  // namespace ringproxy
