// Distribution front door: names, node validation and the helpers every kind
// shares (pool order, ring-name seeds, twemproxy's point-count formula). The
// algorithms live in one src/distribution_<kind>.cpp each.
#include "ringproxy/placement/hash_ring.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <unordered_set>

#include "ringproxy/placement/backend_spec.hpp"
#include "ringproxy/placement/hash.hpp"

namespace ringproxy {
namespace {

constexpr std::array<std::string_view, 5> kDistributionNames = {"ketama", "modula", "rendezvous",
                                                                "jump", "maglev"};

void validate(DistributionKind kind, const std::vector<RingNode>& nodes) {
  if (nodes.empty()) throw std::invalid_argument("distribution: no backends");
  if (nodes.size() >= kNoNode) throw std::invalid_argument("distribution: too many backends");
  std::unordered_set<std::string_view> seen;
  uint64_t total = 0;
  for (const RingNode& node : nodes) {
    if (!seen.insert(node.ring_name).second) {
      throw std::invalid_argument("distribution: duplicate ring name '" + node.ring_name + "'");
    }
    if (node.weight == 0) {
      throw std::invalid_argument("distribution: backend '" + node.ring_name + "' has weight 0");
    }
    if (kind == DistributionKind::kJump && node.weight != 1) {
      throw std::invalid_argument("distribution jump does not support weights (backend '" +
                                  node.ring_name + "' has weight " + std::to_string(node.weight) +
                                  ")");
    }
    total += node.weight;
  }
  if (total > UINT32_MAX) throw std::invalid_argument("distribution: total weight above 2^32-1");
}

}  // namespace

std::optional<DistributionKind> parse_distribution_name(std::string_view name) {
  for (size_t i = 0; i < kDistributionNames.size(); ++i) {
    if (kDistributionNames[i] == name) return static_cast<DistributionKind>(i);
  }
  return std::nullopt;
}

std::string_view distribution_name(DistributionKind kind) {
  const auto i = static_cast<size_t>(kind);
  return i < kDistributionNames.size() ? kDistributionNames[i] : std::string_view("unknown");
}

std::unique_ptr<Distribution> make_distribution(DistributionKind kind,
                                                const std::vector<RingNode>& nodes) {
  validate(kind, nodes);
  switch (kind) {
    case DistributionKind::kKetama:
      return detail::make_ketama(nodes);
    case DistributionKind::kModula:
      return detail::make_modula(nodes);
    case DistributionKind::kRendezvous:
      return detail::make_rendezvous(nodes);
    case DistributionKind::kJump:
      return detail::make_jump(nodes);
    case DistributionKind::kMaglev:
      return detail::make_maglev(nodes);
  }
  throw std::invalid_argument("distribution: unknown kind");
}

std::vector<size_t> twemproxy_pool_order(const std::vector<RingNode>& nodes) {
  std::vector<size_t> order(nodes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return twemproxy_name_less(nodes[a].ring_name, nodes[b].ring_name);
  });
  return order;
}

uint32_t ketama_point_count(uint32_t weight, uint64_t total_weight, uint32_t nlive) {
  // Each step in float32 as twemproxy's C does (SSE, no excess precision); only
  // the 1e-10 nudge is added in double before rounding back to float.
  const float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  float t = pct * 160.0f;
  t = t / 4.0f;
  t = t * static_cast<float>(nlive);
  const auto nudged = static_cast<float>(static_cast<double>(t) + 1e-10);
  return static_cast<uint32_t>(std::floor(nudged) * 4.0f);
}

namespace detail {

void name_seeds(std::string_view ring_name, uint64_t& seed1, uint64_t& seed2) {
  unsigned char d[16];
  md5_digest(ring_name, d);
  seed1 = 0;
  seed2 = 0;
  for (int i = 7; i >= 0; --i) {
    seed1 = (seed1 << 8) | d[i];
    seed2 = (seed2 << 8) | d[8 + i];
  }
}

std::vector<uint32_t> pool_ranks(const std::vector<RingNode>& nodes) {
  const std::vector<size_t> order = twemproxy_pool_order(nodes);
  std::vector<uint32_t> rank(nodes.size());
  for (size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<uint32_t>(r);
  return rank;
}

void check_live_size(const std::vector<bool>& live, size_t nodes) {
  if (live.size() != nodes) {
    throw std::invalid_argument("set_live: mask has " + std::to_string(live.size()) +
                                " entries for " + std::to_string(nodes) + " backends");
  }
}

void check_same_size(std::span<const uint32_t> same, const Distribution& before) {
  if (same.size() != before.node_count()) {
    throw std::invalid_argument("losers: map has " + std::to_string(same.size()) + " entries for " +
                                std::to_string(before.node_count()) + " backends");
  }
}

}  // namespace detail
}  // namespace ringproxy
