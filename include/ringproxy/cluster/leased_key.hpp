// One key held in etcd under a lease for as long as its holder wants it and
// is alive: grant a lease of `ttl` seconds, put the key with it, and renew the
// lease every ttl/3 (one /v3/lease/keepalive POST per renewal). If the holder
// dies, renewals stop and etcd deletes the key when the lease expires; if it
// lets go (release), it revokes the lease and the key goes at once.
//
// A lease that expired anyway (etcd unreachable for longer than the TTL, or
// revoked by someone else) is noticed at the next renewal (etcd answers TTL 0)
// and the key is put again under a new lease. Failed calls are retried with
// backoff; failed renewals sooner than ttl/3 so that a short outage does not
// cost the lease.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ringproxy/cluster/backoff.hpp"
#include "ringproxy/cluster/etcd_client.hpp"

namespace ringproxy {

class LeasedKey {
 public:
  // Called when the key becomes held (true: put under a live lease) or stops
  // being held (false), with the reason.
  using StateCallback = std::function<void(bool held, std::string_view reason)>;

  LeasedKey(EtcdClient& client, std::string key, std::string value, int64_t ttl_s,
            StateCallback on_state);
  // Stops renewing without revoking (the key lives until the lease expires);
  // call release() first to remove it at once.
  ~LeasedKey();
  LeasedKey(const LeasedKey&) = delete;
  LeasedKey& operator=(const LeasedKey&) = delete;

  // Puts the key under a lease and keeps it there.
  void hold();
  // Stops renewing and revokes the lease; `done` runs when etcd answered the
  // revoke (or it failed: the lease then expires by itself), or at once when
  // no lease was held.
  void release(std::function<void()> done = {});

  bool held() const { return phase_ == Phase::kHeld; }
  int64_t lease_id() const { return lease_; }
  uint64_t renewals() const { return renewals_; }

 private:
  enum class Phase : uint8_t { kReleased, kGranting, kPutting, kHeld, kRetrying };

  void grant();
  void put();
  void renew();
  void retry_grant(std::string_view why);
  void lost(std::string_view why);
  void schedule(uint64_t delay_ms, void (LeasedKey::*what)());
  uint64_t renew_period_ms() const;

  EtcdClient& client_;
  std::string key_;
  std::string value_;
  int64_t ttl_s_;
  int64_t granted_ttl_s_ = 0;  // etcd may raise a short TTL to its minimum
  StateCallback on_state_;
  Backoff backoff_;
  std::unique_ptr<uv_timer_t> timer_;
  void (LeasedKey::*timer_action_)() = nullptr;
  EtcdClient::CallId call_ = 0;
  EtcdClient::CallId revoke_call_ = 0;
  Phase phase_ = Phase::kReleased;
  int64_t lease_ = 0;
  uint64_t renewals_ = 0;
  bool renew_failing_ = false;
};

}  // namespace ringproxy
