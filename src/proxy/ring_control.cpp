// See ring_control.hpp.
#include "ringproxy/proxy/ring_control.hpp"

#include <chrono>
#include <exception>
#include <stdexcept>

#include "ringproxy/common/log.hpp"
#include "ringproxy/net/socket_address.hpp"
#include "ringproxy/placement/ring_builder.hpp"

namespace ringproxy {

namespace {

constexpr size_t kMaxMembers = 1024;  // as a configuration allows

bool same_address(const BackendSpec& a, const BackendSpec& b) {
  return a.host == b.host && a.port == b.port;
}

}  // namespace

RingControl::RingControl(uv_loop_t* loop, LiveRing& ring, BackendPool& pool, const Config& config)
    : loop_(loop),
      ring_(ring),
      pool_(pool),
      distribution_(config.distribution),
      inline_max_(config.ring_build_inline_max),
      window_ms_(uint64_t{config.migration_window_s} * 1000),
      config_members_(config.backends),
      wanted_(config.backends) {
  RingRebuilder::Hooks hooks;
  hooks.current = [this] { return ring_.snapshot_ptr(); };
  hooks.draining_slots = [this] { return pool_.draining_slots(); };
  rebuilder_ = std::make_unique<RingRebuilder>(loop_, std::move(hooks));
}

RingControl::~RingControl() = default;

std::string RingControl::check(const std::vector<BackendSpec>& members) const {
  if (members.empty()) return "ERR ringproxy: a ring needs at least one backend";
  if (members.size() > kMaxMembers) {
    return "ERR ringproxy: at most " + std::to_string(kMaxMembers) + " backends";
  }
  const RingSnapshot& now = ring_.snapshot();
  for (size_t i = 0; i < members.size(); ++i) {
    const BackendSpec& b = members[i];
    for (size_t j = 0; j < i; ++j) {
      if (members[j].ring_name == b.ring_name) {
        return "ERR ringproxy: duplicate backend '" + b.ring_name + "' (same name or host:port)";
      }
    }
    if (distribution_ == DistributionKind::kJump && b.weight != 1) {
      return "ERR ringproxy: jump hashing has no weights, but backend " + b.ring_name +
             " has weight " + std::to_string(b.weight);
    }
    const RingMember* m = now.find(b.ring_name);
    if (m == nullptr || !same_address(m->spec, b)) {
      // New addresses must resolve now: the swap itself cannot fail.
      try {
        resolve_address(b.host, b.port, false, "backend host");
      } catch (const std::exception& e) {
        return std::string("ERR ringproxy: ") + e.what();
      }
    }
  }
  return "";
}

std::string RingControl::apply(std::vector<BackendSpec> members, std::string source) {
  if (std::string error = check(members); !error.empty()) return error;
  if (pending_ == 0 && same_membership(ring_.snapshot(), members)) {
    wanted_ = std::move(members);
    return "";
  }
  wanted_ = members;
  MembershipOptions options;
  options.source = std::move(source);
  options.joining = Liveness::kUp;
  options.window_ms = window_ms_;
  if (members.size() <= inline_max_ && pending_ == 0) {
    options.now_ms = uv_now(loop_);
    options.draining_slots = pool_.draining_slots();
    try {
      swap_in(with_members(ring_.snapshot(), std::move(members), options));
    } catch (const std::exception& e) {
      wanted_ = std::vector<BackendSpec>(ring_.snapshot().members().size());
      for (size_t i = 0; i < wanted_.size(); ++i) wanted_[i] = ring_.snapshot().members()[i].spec;
      return std::string("ERR ringproxy: ") + e.what();
    }
    return "";
  }
  ++pending_;
  rebuilder_->request(std::move(members), std::move(options), [this](RingRebuilder::Result r) {
    --pending_;
    switch (r.status) {
      case RingRebuilder::Status::kDone:
        swap_in(std::move(r.ring));
        break;
      case RingRebuilder::Status::kFailed:
        log(LogLevel::kWarn, "ring change failed, the ring stays as it was: ", r.error);
        if (pending_ == 0) {
          wanted_.clear();
          for (const RingMember& m : ring_.snapshot().members()) wanted_.push_back(m.spec);
        }
        break;
      case RingRebuilder::Status::kSuperseded:
        break;
    }
  });
  return "";
}

void RingControl::swap_in(std::shared_ptr<const RingSnapshot> next) {
  const auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<const RingSnapshot> before = ring_.snapshot_ptr();
  // Members that were in this pool before (REMOVE then ADD) may hold copies
  // from then: they go through the rejoin policy, out of placement until
  // they pass it.
  const std::vector<uint32_t> rejoining = pool_.rejoining(*before, *next);
  if (!rejoining.empty()) {
    std::vector<std::pair<uint32_t, Liveness>> down;
    for (uint32_t slot : rejoining) down.emplace_back(slot, Liveness::kDown);
    next = with_liveness(*next, down);
  }
  pool_.apply(*before, *next, rejoining);
  ring_.publish(next);
  last_swap_us_ = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  ++swaps_;
  log(LogLevel::kInfo, "ring version ", next->version(), " (", next->source(), "): ", next->size(),
      " backends, swapped in ", last_swap_us_, " us");
}

long RingControl::find_wanted(std::string_view what) const {
  for (size_t i = 0; i < wanted_.size(); ++i) {
    const BackendSpec& b = wanted_[i];
    if (b.ring_name == what || (!b.name.empty() && b.name == what) || b.address() == what ||
        b.host + ":" + std::to_string(b.port) == what) {
      return static_cast<long>(i);
    }
  }
  return -1;
}

std::string RingControl::add_member(BackendSpec spec, std::string who) {
  for (const BackendSpec& b : wanted_) {
    if (b.ring_name == spec.ring_name || same_address(b, spec)) {
      return "ERR ringproxy: backend " + b.ring_name + " (" + b.address() + ") is already a member";
    }
  }
  std::vector<BackendSpec> next = wanted_;
  next.push_back(std::move(spec));
  return apply(std::move(next), std::move(who));
}

std::string RingControl::remove_member(std::string_view name_or_address, std::string who) {
  const long i = find_wanted(name_or_address);
  if (i < 0) return "ERR ringproxy: no backend named " + std::string(name_or_address);
  if (wanted_.size() == 1) return "ERR ringproxy: cannot remove the last backend";
  std::vector<BackendSpec> next = wanted_;
  next.erase(next.begin() + i);
  return apply(std::move(next), std::move(who));
}

std::string RingControl::set_weight(std::string_view name_or_address, uint32_t weight,
                                    std::string who) {
  const long i = find_wanted(name_or_address);
  if (i < 0) return "ERR ringproxy: no backend named " + std::string(name_or_address);
  std::vector<BackendSpec> next = wanted_;
  next[static_cast<size_t>(i)].weight = weight;
  return apply(std::move(next), std::move(who));
}

void RingControl::ring_report(RingReport& out) const {
  const RingSnapshot& ring = ring_.snapshot();
  out.version = ring.version();
  out.membership_version = ring.membership_version();
  out.source = ring.source();
  out.distribution = distribution_name(ring.params().distribution);
  out.hash = hash_name(ring.params().hash);
  out.differs_from_config = !same_membership(ring, config_members_);
  out.draining = pool_.draining();
  out.rebuild_pending = pending_ > 0;
  const uint64_t now = uv_now(loop_);
  if (ring.window_open(now)) out.window_remaining_ms = ring.previous()->window_end_ms - now;
  const std::vector<uint32_t> points = ring.home().points_per_node();
  out.members.clear();
  for (BackendId slot : ring_.members()) {
    const RingMember& m = *ring.member(slot);
    RingMemberReport& r = out.members.emplace_back();
    r.slot = slot;
    r.address = m.spec.address();
    r.name = m.spec.name;
    r.ring_name = m.spec.ring_name;
    r.weight = m.spec.weight;
    r.points = points[ring.node_of(slot)];
    r.liveness = backend_state_name(pool_.state(slot));
    if (const DirtyCleaner* c = ring_.cleaner(slot)) {
      r.dirty_entries = c->dirty().size();
      r.cleanup_keys_scanned = c->stats().keys_scanned;
      r.cleanup_keys_deleted = c->stats().keys_selected;
      r.cleanup_passes = c->stats().passes;
    }
  }
}

}  // namespace ringproxy
