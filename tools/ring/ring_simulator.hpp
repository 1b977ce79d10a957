// The placement simulator behind `ringproxy-ring`: for a pool (the same
// backends, hash and hash tag ringproxy would run), it measures how evenly
// each distribution spreads a key set, and how many keys move when a backend
// is added, removed (the pool reconfigured without it) or fails (marked down
// with set_live, as the health checker does). Everything is computed with the
// proxy's own code (hash.hpp, hash_tag.hpp, hash_ring.hpp), so what the
// simulator predicts is what the proxy does.
//
// Pipeline: load_pool() -> keys (read_keys / generate_keys) -> simulate() ->
// write_table / write_csv / write_moves / write_plot. Nothing here touches the
// network; write_plot() runs gnuplot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/placement/backend_spec.hpp"
#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"

namespace ringproxy::sim {

// ---------------------------------------------------------------------------
// The pool

// Where the pool comes from: the same options and files as ringproxy's.
struct PoolSource {
  std::string config_path;            // --config FILE (`name = value` lines)
  std::string twemproxy_config_path;  // --twemproxy-config FILE
  std::string pool;                   // --pool NAME (with --twemproxy-config)
  std::vector<std::string> backends;  // --backend SPEC...: replace the files' list
  std::optional<std::string> hash;    // --hash NAME: overrides the files'
  std::optional<std::string> hash_tag;
};

// The placement part of a ringproxy Config.
struct Pool {
  std::vector<BackendSpec> backends;
  HashKind hash = HashKind::kMurmur;
  std::string hash_tag;
  DistributionKind distribution = DistributionKind::kKetama;  // the configured one
};

// Resolves `source` through parse_command_line(), so a file is read exactly as
// ringproxy reads it (precedence, twemproxy defaults, validation). Throws
// ConfigError.
Pool load_pool(const PoolSource& source);

// How reports name a backend: its name if it has one, else "host:port".
std::string backend_label(const BackendSpec& backend);

// Index of the backend `what` designates: its name, its ring name or its
// "host:port" address. Throws std::invalid_argument when none or several match.
size_t find_backend(const std::vector<BackendSpec>& backends, std::string_view what);

// ---------------------------------------------------------------------------
// Keys

inline constexpr std::string_view kDefaultPattern = "user:{i}";
inline constexpr std::string_view kRandomPattern = "random";

// `count` keys from `pattern`, each "{i}" replaced by first, first+1, ...; or,
// with the pattern "random", random keys of 8 to 24 characters [a-z0-9]
// from `seed` (the same keys on every platform). Throws std::invalid_argument
// for a pattern without "{i}".
std::vector<std::string> generate_keys(size_t count, std::string_view pattern, uint64_t first = 1,
                                       uint64_t seed = 1);

// One key per line; a trailing '\r' is dropped and empty lines are skipped.
std::vector<std::string> read_keys(std::istream& in);

// The 32-bit hash the router computes for `key`: hash tag first, then the hash
// function; the empty (tag-reduced) key hashes to 0, as in twemproxy.
uint32_t placement_hash(HashKind hash, std::string_view hash_tag, std::string_view key);

// ---------------------------------------------------------------------------
// Changes

enum class ChangeKind : uint8_t {
  kAdd,       // a new backend joins: every distribution rebuilt over N + 1
  kRemove,    // the pool reconfigured without the backend: rebuilt over N - 1
  kFail,      // the backend is marked down (set_live): what failover does
  kReweight,  // the backend's weight changes: every distribution rebuilt
};

struct Change {
  ChangeKind kind = ChangeKind::kAdd;
  // add: a server string; remove/fail: a name or host:port; reweight: the
  // name or host:port, a blank, and the new weight ("cache-1 3").
  std::string argument;
};

std::string_view change_kind_name(ChangeKind kind);  // "add", "remove", "fail", "reweight"
std::string describe(const Change& change);          // "fail cache-2"

// ---------------------------------------------------------------------------
// Simulation

struct Request {
  Pool pool;
  std::vector<HashKind> hashes;                 // empty: pool.hash
  std::vector<DistributionKind> distributions;  // empty: all five
  std::vector<std::string> keys;
  std::string key_source;  // for the report header, e.g. `generated from "user:{i}"`
  std::vector<Change> changes;
  bool record_moves = false;  // keep every moved key (for write_moves)
};

// How one distribution spreads the keys, with one hash.
struct Balance {
  HashKind hash = HashKind::kMurmur;
  DistributionKind distribution = DistributionKind::kKetama;
  std::string unavailable;                 // non-empty: why the distribution cannot place this pool
  std::vector<uint64_t> keys_per_backend;  // indexed like pool.backends
  // Each backend's load relative to its fair share (keys * weight / total
  // weight); with equal weights these are the plain count statistics.
  double max_over_mean = 0;  // the hottest backend; 1.0 is perfect
  double min_over_mean = 0;
  double cv = 0;  // coefficient of variation (population std dev / mean)
  size_t hottest = 0;
};

struct Move {
  std::string key;
  std::string from;  // backend labels; "(none)" when no backend is live
  std::string to;
};

// What one change does to one distribution, with one hash.
struct Movement {
  size_t change = 0;  // index into Request::changes
  HashKind hash = HashKind::kMurmur;
  DistributionKind distribution = DistributionKind::kKetama;
  std::string unavailable;  // non-empty: why it cannot be simulated
  uint64_t keys = 0;
  uint64_t moved = 0;
  // Moved keys that neither come from the removed / failed backend nor go to
  // the added one (reweight: neither come from nor go to the reweighted one):
  // moves between backends that both stay, which a perfect scheme would not
  // make.
  uint64_t extra = 0;
  // The changed backend's share of the total weight (1/N with equal weights;
  // reweight: how much its share changes): the fraction a perfect scheme
  // moves.
  double ideal = 0;
  // add: backends the new one takes keys from; remove/fail: backends that take
  // the lost one's keys; reweight: backends it trades keys with. top_peer:
  // the largest one's share of those keys.
  uint32_t peers = 0;
  double top_peer = 0;
  std::vector<Move> moves;  // only with Request::record_moves

  double moved_fraction() const { return keys ? static_cast<double>(moved) / keys : 0; }
  double extra_fraction() const { return keys ? static_cast<double>(extra) / keys : 0; }
};

struct Report {
  Pool pool;
  std::vector<std::string> labels;  // backend_label of each pool backend
  std::vector<Change> changes;
  std::vector<HashKind> hashes;
  std::vector<DistributionKind> distributions;
  uint64_t key_count = 0;
  std::string key_source;
  std::vector<Balance> balance;     // hashes x distributions
  std::vector<Movement> movements;  // hashes x distributions x changes
};

// Throws std::invalid_argument for a change that names no backend, adds a
// duplicate, or a bad server string.
Report simulate(const Request& request);

// Aligned, readable tables: the pool, load balance, and (with changes) moves.
void write_table(const Report& report, std::ostream& out);
// The same as CSV: a balance section and, with changes, a moves section,
// separated by one empty line; each section starts with its header row.
void write_csv(const Report& report, std::ostream& out);
// Every recorded move: "key old_backend -> new_backend" lines, each group
// introduced by a '#' comment line; with csv, rows of
// change,hash,distribution,key,from,to.
void write_moves(const Report& report, std::ostream& out, bool csv);
// A PNG with two panels: load spread per distribution, and moved fraction per
// distribution against the ideal (only with changes). Writes a data file and a
// gnuplot script to a temporary directory and runs `gnuplot` (PATH). Throws
// std::runtime_error when gnuplot is missing or fails.
void write_plot(const Report& report, const std::string& png_path);

// Comma-separated lists for --hash and --distribution; "all" is every kind.
// Throw std::invalid_argument naming the bad entry.
std::vector<HashKind> parse_hash_list(std::string_view text);
std::vector<DistributionKind> parse_distribution_list(std::string_view text);

}  // namespace ringproxy::sim
