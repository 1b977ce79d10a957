// What the ring administration commands (PROXY ADD, REMOVE, WEIGHT, RING)
// ask of the proxy: change its membership, and describe its ring. The proxy
// implements it (a live ring change builds a new snapshot and swaps it in);
// local_ring_admin.cpp parses the commands, checks who may use them and
// formats the answers, with no socket in sight.
#pragma once

#include <cstdint>
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

  // Each returns "" once the change is applied or scheduled, else the error
  // reply's text ("ERR ..."). `who` says where the change came from (the
  // ring's source text).
  virtual std::string add_member(BackendSpec spec, std::string who) = 0;
  virtual std::string remove_member(std::string_view name_or_address, std::string who) = 0;
  virtual std::string set_weight(std::string_view name_or_address, uint32_t weight,
                                 std::string who) = 0;
  virtual void ring_report(RingReport& out) const = 0;
};

}  // namespace ringproxy
