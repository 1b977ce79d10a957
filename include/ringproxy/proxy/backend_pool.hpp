// The backends as the command handlers reach them (BackendPort), over the
// pipelined Backend connections, their health checker, the failover log, and
// the liveness the ring routes by:
//
//   - only an up backend is live: from its first failure on (failing) its
//     keys, writes included, go to their successors (with --auto-eject false
//     a failing backend keeps its keys and its requests fail fast);
//   - a health state change fails the in-flight requests of a backend that
//     stops being up, and takes it out of placement or back in (LiveRing);
//   - a backend that missed writes (they went to successors, or were lost in
//     flight) passes the rejoin policy before it is up again, and then gets
//     the failover-era copies of its keys deleted from the successors that
//     took its writes (FailoverLog);
//   - what each up backend last said of itself (its keys and memory, asked by
//     the health checker every --stats-interval) is kept with its age, and
//     dropped when it stops being up (stats/backend_info.hpp).
//
// Backends are indexed by their ring slot (RingSnapshot), which stays the
// same while a backend is a member: apply() follows a membership change,
// opening the new members, keeping the connections and health state of the
// ones that stay, and letting a removed member's connections finish their
// replies before they close (draining).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "ringproxy/backend/backend.hpp"
#include "ringproxy/commands/backend_port.hpp"
#include "ringproxy/commands/introspection.hpp"
#include "ringproxy/health/failover_log.hpp"
#include "ringproxy/health/health_checker.hpp"
#include "ringproxy/options/config.hpp"
#include "ringproxy/placement/ring_snapshot.hpp"
#include "ringproxy/proxy/live_ring.hpp"
#include "ringproxy/stats/backend_info.hpp"

namespace ringproxy {

class BackendPool final : public BackendPort {
 public:
  // Backend replies and failures are reported to `events`.
  BackendPool(const Config& config, uv_loop_t* loop, FlushScheduler& flusher, LiveRing& ring,
              BackendEvents& events);
  ~BackendPool() override;
  BackendPool(const BackendPool&) = delete;
  BackendPool& operator=(const BackendPool&) = delete;

  // Starts health checks, and connects at once with `preconnect`.
  void start(bool preconnect);
  // Stops health checks and fails every request in flight (shutdown).
  void stop();
  // Releases the health checker's handles (after stop(), before the loop closes).
  void close_health() { health_.reset(); }

  // BackendPort.
  bool send(BackendId backend, uint64_t client_id, Request* req, uint32_t fragment,
            std::string_view bytes, uint32_t swallow) override;
  Buffer* begin(BackendId backend, uint64_t client_id) override;
  void commit(Request* req, uint32_t fragment, uint32_t swallow) override;
  void unavailable_error(BackendId backend, Buffer& out) override;
  void failover_write(std::string_view key, BackendId home, BackendId successor) override;
  void write_lost(BackendId backend) override;

  // A request of the proxy's own (UNLINK of stale copies), in order with
  // client traffic; its reply is dropped. False when the backend cannot take
  // it now.
  bool send_internal(uint32_t slot, std::string_view bytes) {
    if (slot >= backends_.size() || backends_[slot] == nullptr) return false;
    if (health_->state(slot) != BackendState::kUp) return false;
    return backends_[slot]->send_internal(bytes, now());
  }
  // A connection of `backend` broke: a passive health signal.
  void report_failure(Backend& backend, std::string_view reason);
  // Fails requests and connects that took too long, and connections of
  // stalled backends; called every `sweep_interval_ms`.
  void check_timeouts(uint64_t sweep_interval_ms);

  // A membership change from `before` to `after` (not yet published): opens
  // the added members (`rejoining` ones start down and go through the rejoin
  // policy), drains the removed ones. Call it just before the ring publishes
  // `after`.
  void apply(const RingSnapshot& before, const RingSnapshot& after,
             const std::vector<uint32_t>& rejoining);
  // The added members of a change that were members of this pool before
  // (REMOVE then ADD): they may hold stale copies, so they rejoin.
  std::vector<uint32_t> rejoining(const RingSnapshot& before, const RingSnapshot& after) const;
  // Closes drained backends; slots of those still draining.
  void sweep_draining();
  std::vector<uint32_t> draining_slots() const;
  size_t draining() const { return draining_.size(); }
  BackendState state(uint32_t slot) const { return health_->state(slot); }
  const Backend* backend(uint32_t slot) const {
    return slot < backends_.size() ? backends_[slot].get() : nullptr;
  }

  size_t size() const { return ring_.members().size(); }
  // host:port of the backend in `slot` (also while it drains).
  std::string address_of(BackendId slot) const;
  void reports(std::vector<BackendReport>& out) const;
  uint64_t failover_copies_deleted() const { return failover_copies_deleted_; }
  uint64_t failover_keys_untracked() const { return failover_.untracked_total(); }

 private:
  // The connection a request of `client_id` to `backend` goes on; nullptr
  // when the backend cannot take it now.
  BackendConnection* connection(BackendId backend, uint64_t client_id, uint64_t now_ms) {
    // A slot no longer in the pool (a MULTI block pinned before a removal).
    if (backend >= backends_.size() || backends_[backend] == nullptr) return nullptr;
    if (health_->state(backend) != BackendState::kUp) return nullptr;
    return backends_[backend]->connection_for(client_id, now_ms);
  }
  void on_state(BackendId b, BackendState from, BackendState to, std::string_view reason);
  void delete_failover_copies(BackendId home);
  uint64_t now() const { return uv_now(loop_); }

  std::unique_ptr<Backend> open_backend(uint32_t slot, const BackendSpec& spec);

  uv_loop_t* loop_;
  LiveRing& ring_;
  FlushScheduler& flusher_;
  BackendEvents& events_;
  BackendOptions options_;
  uint32_t connections_per_backend_;
  bool flush_on_rejoin_;
  std::vector<std::unique_ptr<Backend>> backends_;  // by slot; null for free slots
  std::vector<std::unique_ptr<Backend>> draining_;  // removed, replies still due
  std::vector<std::string> ever_members_;           // addresses that were members
  std::vector<stats::BackendInfo> info_;            // by slot: its last figures
  std::unique_ptr<HealthChecker> health_;
  FailoverLog failover_;
  bool auto_eject_;
  uint64_t last_sweep_ms_ = 0;
  uint64_t failover_copies_deleted_ = 0;
  // Between begin() and commit(): the connection the request is written to.
  BackendConnection* open_ = nullptr;
  Backend* open_backend_ = nullptr;
};

}  // namespace ringproxy
