// See router.hpp.
#include "ringproxy/placement/router.hpp"

#include <stdexcept>
#include <utility>

#include "ringproxy/placement/ring_builder.hpp"

namespace ringproxy {

Router::Router(HashKind hash, std::string hash_tag, DistributionKind distribution,
               const std::vector<RingNode>& nodes) {
  std::vector<BackendSpec> members;
  members.reserve(nodes.size());
  for (const RingNode& n : nodes) {
    BackendSpec spec;
    spec.ring_name = n.ring_name;
    spec.weight = n.weight;
    members.push_back(std::move(spec));
  }
  ring_ = make_ring({hash, std::move(hash_tag), distribution}, std::move(members), "config");
}

void Router::set_live(const std::vector<bool>& live) {
  if (live.size() != ring_->size()) {
    throw std::invalid_argument("set_live: mask has " + std::to_string(live.size()) +
                                " entries for " + std::to_string(ring_->size()) + " backends");
  }
  std::vector<std::pair<uint32_t, Liveness>> changes;
  changes.reserve(live.size());
  for (uint32_t slot = 0; slot < live.size(); ++slot) {
    changes.emplace_back(slot, live[slot] ? Liveness::kUp : Liveness::kDown);
  }
  ring_ = with_liveness(*ring_, changes);
}

}  // namespace ringproxy
