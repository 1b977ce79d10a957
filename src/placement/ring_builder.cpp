// See ring_builder.hpp.
#include "ringproxy/placement/ring_builder.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ringproxy/common/assert.hpp"

namespace ringproxy {
namespace {

std::vector<RingNode> ring_nodes(const std::vector<BackendSpec>& members) {
  std::vector<RingNode> nodes;
  nodes.reserve(members.size());
  for (const BackendSpec& b : members) nodes.push_back({b.ring_name, b.weight});
  return nodes;
}

bool same_address(const BackendSpec& a, const BackendSpec& b) {
  return a.host == b.host && a.port == b.port;
}

bool all_true(const std::vector<bool>& mask) {
  return std::find(mask.begin(), mask.end(), false) == mask.end();
}

std::vector<bool> mask_of(std::span<const Liveness> liveness) {
  std::vector<bool> mask(liveness.size());
  for (size_t i = 0; i < liveness.size(); ++i) mask[i] = is_live(liveness[i]);
  return mask;
}

std::shared_ptr<const Distribution> apply_mask(const Distribution& from,
                                               const std::vector<bool>& mask) {
  std::unique_ptr<Distribution> copy = from.clone();
  copy->set_live(mask);
  return copy;
}

}  // namespace

std::shared_ptr<const RingSnapshot> make_ring(RingParams params, std::vector<BackendSpec> members,
                                              std::string source) {
  RingSnapshot::Parts parts;
  parts.params = std::move(params);
  parts.source = std::move(source);
  parts.home = make_distribution(parts.params.distribution, ring_nodes(members));
  parts.live = parts.home;
  std::vector<RingMember> list;
  list.reserve(members.size());
  for (uint32_t i = 0; i < members.size(); ++i) list.push_back({i, std::move(members[i])});
  parts.liveness.assign(list.size(), Liveness::kUp);
  parts.membership = std::make_shared<const RingMembership>(std::move(list));
  return std::make_shared<const RingSnapshot>(std::move(parts));
}

// ---------------------------------------------------------------- liveness

std::shared_ptr<const RingSnapshot> with_liveness(
    const RingSnapshot& current, std::span<const std::pair<uint32_t, Liveness>> changes) {
  RingSnapshot::Parts parts;
  parts.version = current.version() + 1;
  parts.membership_version = current.membership_version();
  parts.source = current.source();
  parts.params = current.params();
  parts.membership = current.membership();
  parts.liveness.assign(current.node_liveness().begin(), current.node_liveness().end());
  parts.home = current.home_ptr();
  parts.previous = current.previous();
  for (const auto& [slot, liveness] : changes) {
    const uint32_t node = current.node_of(slot);
    if (node != kNoNode) parts.liveness[node] = liveness;
  }
  const std::vector<bool> before = mask_of(current.node_liveness());
  const std::vector<bool> after = mask_of(parts.liveness);
  if (after == before) {
    parts.live = current.live_ptr();
  } else if (all_true(after)) {
    parts.live = current.home_ptr();
  } else {
    // From the current live copy: rendezvous then rescores only the slots of
    // the members whose bit changed.
    parts.live = apply_mask(current.live(), after);
  }
  return std::make_shared<const RingSnapshot>(std::move(parts));
}

std::shared_ptr<const RingSnapshot> with_liveness(const RingSnapshot& current, uint32_t slot,
                                                  Liveness liveness) {
  const std::pair<uint32_t, Liveness> change{slot, liveness};
  return with_liveness(current, std::span(&change, 1));
}

// ---------------------------------------------------------------- membership

MembershipBuild build_membership(DistributionKind distribution, std::vector<BackendSpec> members,
                                 std::vector<bool> expected_live) {
  MembershipBuild b;
  b.distribution = distribution;
  b.home = make_distribution(distribution, ring_nodes(members));
  b.members = std::move(members);
  if (!expected_live.empty() && !all_true(expected_live)) {
    b.live = apply_mask(*b.home, expected_live);  // throws on a size mismatch
    b.live_mask = std::move(expected_live);
  }
  return b;
}

std::vector<Liveness> carried_liveness(const RingSnapshot& current,
                                       const std::vector<BackendSpec>& members, Liveness joining) {
  std::vector<Liveness> out;
  out.reserve(members.size());
  for (const BackendSpec& b : members) {
    const RingMember* m = current.find(b.ring_name);
    out.push_back(m != nullptr && same_address(m->spec, b) ? current.liveness(m->slot) : joining);
  }
  return out;
}

std::vector<bool> live_mask(const std::vector<Liveness>& liveness) {
  return mask_of(liveness);
}

std::shared_ptr<const RingSnapshot> finish_membership(const RingSnapshot& current,
                                                      MembershipBuild build,
                                                      const MembershipOptions& options) {
  if (build.distribution != current.params().distribution) {
    throw std::invalid_argument("ring build: distribution " +
                                std::string(distribution_name(build.distribution)) +
                                " does not match the ring's " +
                                std::string(distribution_name(current.params().distribution)));
  }
  RP_ASSERT(build.home != nullptr);
  RingSnapshot::Parts parts;
  parts.liveness = carried_liveness(current, build.members, options.joining);

  // Slots: stayers keep theirs; new members take the lowest slots neither in
  // use nor draining.
  std::vector<bool> taken(current.slot_limit(), false);
  for (const RingMember& m : current.members()) taken[m.slot] = true;
  for (uint32_t s : options.draining_slots) {
    if (s >= taken.size()) taken.resize(s + 1, false);
    taken[s] = true;
  }
  uint32_t next_free = 0;
  auto allocate = [&]() {
    while (next_free < taken.size() && taken[next_free]) ++next_free;
    if (next_free == taken.size()) taken.push_back(false);
    taken[next_free] = true;
    return next_free;
  };
  std::vector<RingMember> list;
  list.reserve(build.members.size());
  for (BackendSpec& spec : build.members) {
    const RingMember* old = current.find(spec.ring_name);
    const uint32_t slot = old != nullptr ? old->slot : allocate();
    list.push_back({slot, std::move(spec)});
  }

  parts.version = current.version() + 1;
  parts.membership_version = parts.version;
  parts.source = options.source;
  parts.params = current.params();
  parts.membership = std::make_shared<const RingMembership>(std::move(list));
  const std::vector<bool> mask = mask_of(parts.liveness);
  parts.home = std::move(build.home);
  if (all_true(mask)) {
    parts.live = parts.home;
  } else if (build.live != nullptr && build.live_mask == mask) {
    parts.live = std::move(build.live);
  } else {
    parts.live = apply_mask(*parts.home, mask);
  }

  if (options.window_ms > 0) {
    auto prev = std::make_shared<PreviousRing>();
    prev->home = current.home_ptr();
    prev->node_slot = current.membership()->node_slots();
    prev->window_end_ms = options.now_ms + options.window_ms;
    parts.previous = std::move(prev);
  }
  return std::make_shared<const RingSnapshot>(std::move(parts));
}

std::shared_ptr<const RingSnapshot> with_members(const RingSnapshot& current,
                                                 std::vector<BackendSpec> members,
                                                 const MembershipOptions& options) {
  std::vector<bool> expected = live_mask(carried_liveness(current, members, options.joining));
  MembershipBuild build =
      build_membership(current.params().distribution, std::move(members), std::move(expected));
  return finish_membership(current, std::move(build), options);
}

bool same_membership(const RingSnapshot& current, const std::vector<BackendSpec>& members) {
  if (members.size() != current.size()) return false;
  std::vector<bool> seen(current.slot_limit(), false);
  for (const BackendSpec& b : members) {
    const RingMember* m = current.find(b.ring_name);
    if (m == nullptr || seen[m->slot] || !same_address(m->spec, b) || m->spec.weight != b.weight) {
      return false;
    }
    seen[m->slot] = true;
  }
  return true;
}

RingDiff diff(const RingSnapshot& before, const RingSnapshot& after) {
  RingDiff d;
  for (const RingMember& m : after.members()) {
    const RingMember* old = before.member(m.slot);
    if (old == nullptr || old->spec.ring_name != m.spec.ring_name) {
      d.added.push_back(m.slot);
      continue;
    }
    if (!same_address(old->spec, m.spec)) d.readdressed.push_back(m.slot);
    if (old->spec.weight != m.spec.weight) d.reweighted.push_back(m.slot);
  }
  for (const RingMember& m : before.members()) {
    const RingMember* now = after.member(m.slot);
    if (now == nullptr || now->spec.ring_name != m.spec.ring_name) d.removed.push_back(m.slot);
  }
  std::sort(d.added.begin(), d.added.end());
  std::sort(d.removed.begin(), d.removed.end());
  std::sort(d.readdressed.begin(), d.readdressed.end());
  std::sort(d.reweighted.begin(), d.reweighted.end());
  return d;
}

}  // namespace ringproxy
