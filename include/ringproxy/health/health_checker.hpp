// Active and passive health checks, and the backend state machine:
//
//   up --failure--> failing --(failure-limit consecutive failures)--> down
//   up --restart seen (rejoin=flush)--> failing
//   failing --good probe--> up, or, when it missed writes meanwhile (see
//            set_missed_writes) or restarted, and rejoin=flush:
//            probing --[flush]--> up
//   down --good probe--> probing --(rise consecutive good probes)--> [flush] --> up
//   probing --failure--> down
//
// Active: every backend is PINGed every health-interval-ms on the proxy's loop
// through a hiredis async context (libuv adapter); no answer within
// health-timeout-ms is a failure. Passive: a data-path connection that breaks
// (refused, reset, request timeout) is a failure too, and triggers a probe at
// once so a dead backend is noticed in one round trip, not one interval.
// Connections the proxy closes itself because of a state change (it fails a
// failing/ejected backend's connections at once) are not failures: one broken
// connection out of several counts once, it cannot eject a backend alone.
//
// Each probe is a small state machine of its own: one request in flight at a
// time, ended exactly once (reply, error, lost connection or deadline), and
// callbacks of a context that was dropped or replaced are ignored.
//
// What the states mean for placement is the proxy's (BackendPool): only an up
// backend serves. A down backend rejoins only after `rise` good probes in a
// row, and (rejoin=flush) after FLUSHDB ASYNC succeeded on it, so it cannot
// serve values from before its outage; a failing one that missed writes goes
// through the same flush.
//
// Restarts: a server restarted fast enough to be seen only failing (or not
// at all) may have come back from an older snapshot, or empty, without any
// write going elsewhere. Each new probe connection asks INFO server for the
// server's run_id (once per connection, not per PING); a run_id other than
// the last one seen is a restart, which (rejoin=flush) takes the backend out
// of service at once and through the same flush before it is up again. The
// probe connection is persistent, so a restart always breaks it: a probe
// connection closed with no probe waiting is a failure like a broken data
// connection, and the next connection sees the new run_id. The first run_id
// seen is no restart; a server that answers INFO without a run_id (or with an
// error) gets no restart detection.
//
// Figures (HealthOptions::figures_interval_ms): every that many ms, an up
// backend is asked INFO memory and INFO keyspace on the probe connection,
// right behind a PING, and the texts go to the Figures callback (the proxy's
// INFO Keyspace and backends' memory come from them, never from a request per
// client INFO). They are asked only on a connection whose INFO server came
// back as text, so a server that refuses INFO (a renamed command, a
// Redis-compatible server without it) is asked nothing more and reports no
// figures. They take no part in the probe's verdict: their replies are never
// a failure or a success, and a reply that is not text only means "no
// figures". Two single-section requests rather than one INFO with two
// sections: Redis before 7.0 refuses several sections as a syntax error, and
// pipelined they cost the same round trip.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ringproxy {

enum class BackendState : uint8_t { kUp, kFailing, kDown, kProbing };
std::string_view backend_state_name(BackendState s);

struct HealthOptions {
  int interval_ms = 1000;
  int timeout_ms = 1000;
  int failure_limit = 3;
  int rise = 2;
  bool auto_eject = true;
  bool flush_on_rejoin = true;
  std::string password;  // AUTH for probe connections
  int db = 0;            // the database flushed on rejoin
  // Targets start down and must pass `rise` probes to be up: for a watcher
  // that must not vouch for a server it has not heard from yet (ringproxy
  // register).
  bool start_down = false;
  // How often an up backend is asked its figures (INFO memory and keyspace,
  // see set_figures); 0 = never.
  int figures_interval_ms = 0;
};

// The run_id field of an INFO [server] reply; empty when there is none.
std::string_view info_run_id(std::string_view info);

struct HealthTarget {
  std::string host;
  uint16_t port = 0;
  std::string label;  // for logs
};

class HealthChecker {
 public:
  // Called on every state change (after it happened).
  using StateCallback = std::function<void(uint32_t backend, BackendState from, BackendState to,
                                           std::string_view reason)>;

  HealthChecker(uv_loop_t* loop, std::vector<HealthTarget> targets, HealthOptions options,
                StateCallback on_change);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Asked when a failing backend answers a probe again: whether writes for
  // its keys went elsewhere (or were lost in flight and may be applied late)
  // meanwhile, so it must be flushed before it is up again.
  using MissedWrites = std::function<bool(uint32_t backend)>;
  void set_missed_writes(MissedWrites f) { missed_writes_ = std::move(f); }
  // Asked when a probe times out: whether the backend is busy with a slow
  // command of the data path, behind which a PING waits too. Such a timeout
  // is neither a failure nor a success.
  using Busy = std::function<bool(uint32_t backend)>;
  void set_busy(Busy f) { busy_ = std::move(f); }
  // Told when a probe connection finds a run_id other than the last one seen
  // (before any state change the restart causes).
  using Restarted = std::function<void(uint32_t backend, std::string_view old_run_id,
                                       std::string_view new_run_id)>;
  void set_restarted(Restarted f) { restarted_ = std::move(f); }
  // Told what an up backend says of itself: the texts of its INFO memory and
  // INFO keyspace (`answered`), or that it refused INFO (not `answered`: it
  // has no figures). Called from a reply callback: it may read the checker's
  // state, not add, remove or stop probes.
  using Figures = std::function<void(uint32_t backend, bool answered, std::string_view memory,
                                     std::string_view keyspace)>;
  void set_figures(Figures f) { figures_ = std::move(f); }

  void start();
  // Stops probing; passive reports are ignored from then on (shutdown).
  void stop();
  // Passive signal from the data path. Ignored for a backend that is down or
  // probing, and while its own state-change callback runs.
  void report_failure(uint32_t backend, std::string_view reason);
  // Membership changes (a live ring): backends are indexed by a stable slot.
  // add() probes a new target at `slot` (free: past the end, or vacated by
  // remove()); with `start_down` it must pass `rise` probes (and the rejoin
  // flush) before it is up, else it starts up like a target given at
  // construction. remove() stops and forgets the slot's probe.
  void add(uint32_t slot, HealthTarget target, bool start_down);
  void remove(uint32_t slot);
  bool has(uint32_t slot) const { return slot < probes_.size() && probes_[slot] != nullptr; }
  BackendState state(uint32_t backend) const;
  uint64_t last_change_ms(uint32_t backend) const;
  const std::string& last_error(uint32_t backend) const;

 private:
  class Probe;
  void on_probe_result(uint32_t backend, bool ok, std::string_view reason);
  void on_flush_result(uint32_t backend, bool ok, std::string_view reason);
  void on_run_id(uint32_t backend, std::string_view run_id);
  void set_state(uint32_t backend, BackendState to, std::string_view reason);

  uv_loop_t* loop_;
  HealthOptions options_;
  StateCallback on_change_;
  MissedWrites missed_writes_;
  Busy busy_;
  Restarted restarted_;
  Figures figures_;
  std::vector<std::unique_ptr<Probe>> probes_;
  bool stopped_ = false;
  bool started_ = false;
};

}  // namespace ringproxy
