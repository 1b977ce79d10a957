// What the ring administration commands (PROXY ADD, REMOVE, WEIGHT, RING)
// ask of the proxy: change its membership, and describe its ring. The proxy
// implements it (a live ring change builds a new snapshot and swaps it in);
// local_ring_admin.cpp parses the commands, checks who may use them and
// formats the answers, with no socket in sight.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/commands/ring_view.hpp"
#include "ringproxy/placement/backend_spec.hpp"

namespace ringproxy {

// One member as PROXY RING shows it.
struct RingMemberReport {
  BackendId slot = kNoBackend;
  std::string address;  // host:port
  std::string name;     // empty when it has none
  std::string ring_name;
  uint32_t weight = 0;
  uint32_t points = 0;
  std::string_view liveness;   // up, failing, down, probing
  uint64_t dirty_entries = 0;  // lost ranges whose stale copies are not cleaned yet
  uint64_t cleanup_keys_scanned = 0;
  uint64_t cleanup_keys_deleted = 0;
  uint64_t cleanup_passes = 0;
};

struct RingReport {
  uint64_t version = 0;
  uint64_t membership_version = 0;
  std::string source;  // what made the current membership ("config", "PROXY ADD ...")
  // Where the membership is kept: "config" (this proxy's own: files, admin
  // commands), or "etcd <prefix>" (shared by every proxy watching it), with
  // the last etcd revision seen (-1 when not from etcd).
  std::string membership_from = "config";
  int64_t etcd_revision = -1;
  std::string_view distribution;
  std::string_view hash;
  // Whether the membership differs from the configuration file(s) as last
  // loaded (runtime changes are not written back).
  bool differs_from_config = false;
  uint64_t draining = 0;                  // removed backends still finishing their replies
  bool rebuild_pending = false;           // a membership change is being built off the loop
  uint64_t window_remaining_ms = 0;       // migration window still open after the last change
  std::vector<RingMemberReport> members;  // ascending slot order
};

class RingAdmin {
 public:
  virtual ~RingAdmin() = default;

  // How a change ends: "" once it is applied or scheduled (or, when the
  // membership lives elsewhere, stored there: etcd), else the error reply's
  // text ("ERR ..."). Called exactly once, before the call returns or later
  // from the loop (a write to etcd); not at all if the proxy stops first.
  using Done = std::function<void(std::string error)>;

  // `who` says where the change came from (the ring's source text).
  virtual void add_member(BackendSpec spec, std::string who, Done done) = 0;
  virtual void remove_member(std::string_view name_or_address, std::string who, Done done) = 0;
  virtual void set_weight(std::string_view name_or_address, uint32_t weight, std::string who,
                          Done done) = 0;
  virtual void ring_report(RingReport& out) const = 0;
};

}  // namespace ringproxy
