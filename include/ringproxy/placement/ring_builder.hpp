// Building ring snapshots: the first one from a member list, the next one from
// the current snapshot and either new liveness (cheap, on the loop) or a new
// member list (expensive for big pools: split so the distributions can be
// built on another thread and the result finished on the loop).
//
// The rule: placement after a membership change equals placement of a fresh
// start with the new list, bit for bit, for every distribution (the home
// distribution IS a fresh build over the new list; liveness is then applied to
// a copy). What carries over is identity: members that stay (same ring name)
// keep their slot and their liveness.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ringproxy/placement/backend_spec.hpp"
#include "ringproxy/placement/ring_snapshot.hpp"

namespace ringproxy {

// The first snapshot: slots 0..n-1 in list order (a config's backend i gets
// slot i), every member up, version 1. Throws std::invalid_argument for a
// list make_distribution rejects (empty, duplicate ring names, bad weights).
std::shared_ptr<const RingSnapshot> make_ring(RingParams params, std::vector<BackendSpec> members,
                                              std::string source);

// ---------------------------------------------------------------- liveness

// The next snapshot with the given members' liveness changed (slot ->
// liveness; non-members are ignored). The home distribution is shared; when
// no member's live bit changes the live one is shared too; otherwise liveness
// is applied to a clone of the current live distribution (the home itself
// when every member is live again).
std::shared_ptr<const RingSnapshot> with_liveness(
    const RingSnapshot& current, std::span<const std::pair<uint32_t, Liveness>> changes);
std::shared_ptr<const RingSnapshot> with_liveness(const RingSnapshot& current, uint32_t slot,
                                                  Liveness liveness);

// ---------------------------------------------------------------- membership

// The distributions for a new member list, built on any thread.
struct MembershipBuild {
  DistributionKind distribution = DistributionKind::kKetama;
  std::vector<BackendSpec> members;          // node order
  std::shared_ptr<const Distribution> home;  // a fresh build over members
  // Liveness applied to a copy of home with the mask expected when the build
  // started; finish_membership uses it when the mask at swap time is the same.
  std::vector<bool> live_mask;
  std::shared_ptr<const Distribution> live;
};

// Throws std::invalid_argument for a list make_distribution rejects.
// `expected_live` (empty, or one entry per member) prebuilds the live copy.
MembershipBuild build_membership(DistributionKind distribution, std::vector<BackendSpec> members,
                                 std::vector<bool> expected_live = {});

struct MembershipOptions {
  std::string source;
  // Liveness of a member that is not in the current ring (or whose ring name
  // stays but whose address changed): it goes through the rejoin policy.
  Liveness joining = Liveness::kProbing;
  // Slots of removed members whose connections have not drained yet: never
  // given to a new member.
  std::vector<uint32_t> draining_slots;
  uint64_t now_ms = 0;     // the caller's monotonic clock (uv_now)
  uint64_t window_ms = 0;  // migration window; 0 = none (no previous ring kept)
};

// The liveness each member of `members` would have in the next snapshot:
// carried over by ring name, `joining` for new or readdressed members. Its
// is_live bits are build_membership's expected_live.
std::vector<Liveness> carried_liveness(const RingSnapshot& current,
                                       const std::vector<BackendSpec>& members, Liveness joining);
std::vector<bool> live_mask(const std::vector<Liveness>& liveness);

// On the loop, at swap time: the next snapshot from the current one (its
// liveness NOW) and a finished build. Version current + 1; members that stay
// keep slot and liveness, new ones get the lowest free slots; with a window,
// the current home becomes the previous ring. Throws std::invalid_argument
// when the build's distribution kind is not the ring's.
std::shared_ptr<const RingSnapshot> finish_membership(const RingSnapshot& current,
                                                      MembershipBuild build,
                                                      const MembershipOptions& options);

// Both steps at once, for small pools and tests.
std::shared_ptr<const RingSnapshot> with_members(const RingSnapshot& current,
                                                 std::vector<BackendSpec> members,
                                                 const MembershipOptions& options);

// Whether `members` is exactly the current membership (same ring names,
// addresses and weights, in any order): applying it would change nothing.
bool same_membership(const RingSnapshot& current, const std::vector<BackendSpec>& members);

// What a membership swap changed, by slot, for the proxy to open, close or
// reconnect backends.
struct RingDiff {
  std::vector<uint32_t> added;        // slots new in `after`
  std::vector<uint32_t> removed;      // slots of `before` gone in `after`
  std::vector<uint32_t> readdressed;  // same slot and ring name, another host:port
  std::vector<uint32_t> reweighted;   // same slot, another weight
};
RingDiff diff(const RingSnapshot& before, const RingSnapshot& after);

}  // namespace ringproxy
