// Placement: maps a 32-bit key hash to a backend index.
//
// A Distribution is an immutable table built from the backend list plus a
// liveness mask. Failover never rebuilds the table: a backend marked down keeps
// its points, and lookups skip them, so each of its ranges falls to the next
// live point clockwise and keys owned by live backends never move. Lookups are
// O(log n) (binary search) or better and allocate nothing.
//
// That is the ketama contract. The other kinds differ where their algorithm
// forces it; each file's header comment states its failure behaviour:
// - ketama (src/placement/distribution_ketama.cpp): twemproxy 0.5 continuum bit for bit
//   while all nodes are live; down nodes' arcs go to the next live point.
// - modula (src/placement/distribution_modula.cpp): twemproxy's slots while all are live;
//   a down node's keys are spread over the live nodes, others stay put.
// - rendezvous (src/placement/distribution_rendezvous.cpp): weighted HRW; survivors never
//   move; O(live nodes) per lookup.
// - jump (src/placement/distribution_jump.cpp): over the live list; unweighted; removing
//   any node but the last moves more than its own keys.
// - maglev (src/placement/distribution_maglev.cpp): lookup table rebuilt over live nodes
//   on set_live (a small fraction of survivors' keys move too).
//
// Every kind places keys by the set of (ring_name, weight) only: the order of
// the `nodes` vector changes the returned indexes, never which node is chosen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringproxy {

enum class DistributionKind : uint8_t { kKetama, kModula, kRendezvous, kJump, kMaglev };

// Names: "ketama", "modula", "rendezvous", "jump", "maglev" (exact, lower case).
std::optional<DistributionKind> parse_distribution_name(std::string_view name);
std::string_view distribution_name(DistributionKind kind);

struct RingNode {
  std::string ring_name;  // identity hashed onto the ring (BackendSpec::ring_name)
  uint32_t weight = 1;
};

inline constexpr uint32_t kNoNode = UINT32_MAX;

class Distribution {
 public:
  virtual ~Distribution() = default;
  // Backend index (position in the `nodes` vector given to make_distribution)
  // for a key hash, skipping backends marked down. kNoNode when all are down
  // (or the pool is empty).
  virtual uint32_t locate(uint32_t key_hash) const = 0;
  // Marks backends up (true) or down (false); `live.size()` equals the node
  // count (std::invalid_argument otherwise). Recomputes whatever lookup tables
  // depend on liveness.
  virtual void set_live(const std::vector<bool>& live) = 0;
  // Number of ring points (virtual nodes) owned by each backend; for INFO.
  // ketama: continuum points (static: a down node keeps them); modula: slots
  // (= weight); rendezvous: weight; jump: 1 if live else 0; maglev: table
  // entries (0 when down).
  virtual std::vector<uint32_t> points_per_node() const = 0;
  virtual DistributionKind kind() const = 0;
  // Number of nodes (live or not): the size of set_live's mask.
  virtual size_t node_count() const = 0;
  // An independent copy (same nodes, same liveness), so liveness can be
  // applied to a copy while the original stays shared and immutable. Tables
  // that never depend on liveness are shared with the original, not copied.
  virtual std::unique_ptr<Distribution> clone() const = 0;
  // Which nodes of `before` lose keys here: entry i is true when some key
  // hash that `before` places on its node i goes to any other node here, where
  // the same backend is node `same[i]` (kNoNode: not a node here; indexes
  // differ after a membership change). Never false when a hash moves; exact
  // where an exact answer is cheap (ketama: one walk over both continua;
  // rendezvous and maglev: slot by slot when the tables have the same size;
  // jump: its bucket rule; modula: over the same slot list), true when unsure
  // (another kind, modula across a change of its slot list). A snapshot swap
  // gives the losers a dirty entry; one call covers every node, so the work
  // does not grow with nodes x table size.
  virtual std::vector<bool> losers(const Distribution& before,
                                   std::span<const uint32_t> same) const = 0;
};

// Throws std::invalid_argument on an empty node list, duplicate ring names
// (any kind: a ring name is a node's identity), a zero weight, a total weight
// above UINT32_MAX, or a weight other than 1 for jump (it has no weights).
std::unique_ptr<Distribution> make_distribution(DistributionKind kind,
                                                const std::vector<RingNode>& nodes);

// Indexes into `nodes` in twemproxy pool order: ring names sorted by length,
// then bytes (see twemproxy_name_less in backend_spec.hpp).
std::vector<size_t> twemproxy_pool_order(const std::vector<RingNode>& nodes);

// twemproxy's float32 point count for one live server: floorf((float)(
// ((float)w / (float)W * 160 / 4 * (float)nlive) + 1e-10)) * 4. Usually 160
// for equal weights, 156 for some pool sizes (25, 47, 50, ...).
uint32_t ketama_point_count(uint32_t weight, uint64_t total_weight, uint32_t nlive);

namespace detail {
// Per-kind factories (one .cpp each); make_distribution validates first.
std::unique_ptr<Distribution> make_ketama(const std::vector<RingNode>& nodes);
std::unique_ptr<Distribution> make_modula(const std::vector<RingNode>& nodes);
std::unique_ptr<Distribution> make_rendezvous(const std::vector<RingNode>& nodes);
std::unique_ptr<Distribution> make_jump(const std::vector<RingNode>& nodes);
std::unique_ptr<Distribution> make_maglev(const std::vector<RingNode>& nodes);

// A strong 64-bit finalizer (splitmix64's), for the non-twemproxy kinds whose
// inputs may be low-entropy key hashes (fnv1a_64 of "user:1".."user:9").
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
// Two independent 64-bit seeds of a ring name (md5 digest words).
void name_seeds(std::string_view ring_name, uint64_t& seed1, uint64_t& seed2);
// Position of each node in twemproxy pool order (inverse of the order).
std::vector<uint32_t> pool_ranks(const std::vector<RingNode>& nodes);
void check_live_size(const std::vector<bool>& live, size_t nodes);
// losers(): `same` has one entry per node of `before`.
void check_same_size(std::span<const uint32_t> same, const Distribution& before);
}  // namespace detail

}  // namespace ringproxy
