// Membership changes of a running proxy: the admin commands (PROXY ADD,
// REMOVE, WEIGHT, RING), configuration reloads and etcd all end here, each
// as a complete member list (apply()).
//
// A change builds the next ring snapshot, on the loop for small pools and on
// libuv's thread pool (RingRebuilder) past --ring-build-inline-max members,
// then swaps it in on the loop in one step: the backend pool opens the new
// members and drains the removed ones (BackendPool::apply), then the ring
// publishes the snapshot (LiveRing::publish, which also records the ranges
// each member lost). Placement after the swap is a fresh start's with the new
// list; members that stay keep their slot, connections and health state.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/cluster/ring_rebuilder.hpp"
#include "ringproxy/commands/ring_admin.hpp"
#include "ringproxy/options/config.hpp"
#include "ringproxy/proxy/backend_pool.hpp"
#include "ringproxy/proxy/live_ring.hpp"

namespace ringproxy {

class RingControl final : public RingAdmin {
 public:
  RingControl(uv_loop_t* loop, LiveRing& ring, BackendPool& pool, const Config& config);
  ~RingControl() override;
  RingControl(const RingControl&) = delete;
  RingControl& operator=(const RingControl&) = delete;

  // Makes `members` (in node order: a fresh start's backend order) the
  // pool's membership; `source` says where it came from. "" when applied (or,
  // for a big pool, scheduled); else why not, and nothing changed.
  std::string apply(std::vector<BackendSpec> members, std::string source);
  // Why apply() would refuse `members` (no member, too many, a duplicate, an
  // address that does not resolve, a weight jump cannot use), or "".
  std::string check(const std::vector<BackendSpec>& members) const;

  // The changes of PROXY ADD, REMOVE and WEIGHT to this proxy's ring: "" when
  // applied (or scheduled), else why not.
  std::string add_member(BackendSpec spec, std::string who);
  std::string remove_member(std::string_view name_or_address, std::string who);
  std::string set_weight(std::string_view name_or_address, uint32_t weight, std::string who);

  // RingAdmin: the changes above, answered at once.
  void add_member(BackendSpec spec, std::string who, Done done) override {
    done(add_member(std::move(spec), std::move(who)));
  }
  void remove_member(std::string_view name_or_address, std::string who, Done done) override {
    done(remove_member(name_or_address, std::move(who)));
  }
  void set_weight(std::string_view name_or_address, uint32_t weight, std::string who,
                  Done done) override {
    done(set_weight(name_or_address, weight, std::move(who)));
  }
  void ring_report(RingReport& out) const override;

  // The members the configuration file(s) gave when last loaded: a reload
  // applies the difference from these, and PROXY RING says whether the ring
  // differs from them.
  const std::vector<BackendSpec>& config_members() const { return config_members_; }
  void set_config_members(std::vector<BackendSpec> members) {
    config_members_ = std::move(members);
  }
  // The membership the ring has, or is being built to (the latest change).
  const std::vector<BackendSpec>& wanted() const { return wanted_; }
  bool rebuild_pending() const { return pending_ > 0; }
  // Swaps done, and how long the last one held the loop (microseconds).
  uint64_t swaps() const { return swaps_; }
  uint64_t last_swap_us() const { return last_swap_us_; }

 private:
  void swap_in(std::shared_ptr<const RingSnapshot> next);
  // Index into wanted_ of the member named `what` (ring name, name or
  // host:port), or -1.
  long find_wanted(std::string_view what) const;

  uv_loop_t* loop_;
  LiveRing& ring_;
  BackendPool& pool_;
  DistributionKind distribution_;
  size_t inline_max_;
  uint64_t window_ms_;  // --migration-window-s
  std::vector<BackendSpec> config_members_;
  std::vector<BackendSpec> wanted_;
  std::unique_ptr<RingRebuilder> rebuilder_;
  uint32_t pending_ = 0;
  uint64_t swaps_ = 0;
  uint64_t last_swap_us_ = 0;
};

}  // namespace ringproxy
