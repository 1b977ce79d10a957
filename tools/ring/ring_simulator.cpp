// The placement simulator (see ring_simulator.hpp).
//
// A simulation runs every (hash, distribution) pair over the key set once for
// the pool as configured, then once per change:
// - add / remove: a new Distribution over the changed node list, exactly what
//   a restart with the edited config builds;
// - fail: the same Distribution with the backend marked down (set_live), as
//   the health checker leaves it.
// Backends are compared by identity (their position in the original pool, the
// added one after them), never by index into a node list, because removing a
// backend shifts the indexes of the ones after it.
#include "ring_simulator.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <map>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ringproxy/options/config.hpp"
#include "ringproxy/placement/hash_tag.hpp"

extern char** environ;

namespace ringproxy::sim {

// ---------------------------------------------------------------------------
// Pool

Pool load_pool(const PoolSource& source) {
  std::vector<std::string> args = {"ringproxy-ring"};
  auto add = [&args](const char* option, const std::string& value) {
    args.emplace_back(option);
    args.push_back(value);
  };
  if (!source.twemproxy_config_path.empty())
    add("--twemproxy-config", source.twemproxy_config_path);
  if (!source.pool.empty()) add("--pool", source.pool);
  if (!source.config_path.empty()) add("--config", source.config_path);
  for (const std::string& b : source.backends) add("--backend", b);
  if (source.hash) add("--hash", *source.hash);
  if (source.hash_tag) add("--hash-tag", *source.hash_tag);
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  const CommandLine cl = parse_command_line(static_cast<int>(argv.size()), argv.data());
  Pool pool;
  pool.backends = cl.config.backends;
  pool.hash = cl.config.hash;
  pool.hash_tag = cl.config.hash_tag;
  pool.distribution = cl.config.distribution;
  return pool;
}

std::string backend_label(const BackendSpec& backend) {
  return backend.name.empty() ? backend.address() : backend.name;
}

size_t find_backend(const std::vector<BackendSpec>& backends, std::string_view what) {
  std::vector<size_t> hits;
  for (size_t i = 0; i < backends.size(); ++i) {
    const BackendSpec& b = backends[i];
    if (b.name == what || b.ring_name == what || b.address() == what ||
        b.host + ":" + std::to_string(b.port) == what) {
      hits.push_back(i);
    }
  }
  if (hits.size() > 1) {
    // A name beats an address that happens to read the same.
    for (size_t i : hits) {
      if (backends[i].name == what) return i;
    }
    throw std::invalid_argument("'" + std::string(what) + "' matches " +
                                std::to_string(hits.size()) + " backends; use the name");
  }
  if (hits.empty()) {
    std::string known;
    for (const BackendSpec& b : backends) known += (known.empty() ? "" : ", ") + backend_label(b);
    throw std::invalid_argument("no backend named '" + std::string(what) + "' (the pool has " +
                                known + ")");
  }
  return hits.front();
}

// ---------------------------------------------------------------------------
// Keys

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<std::string> generate_keys(size_t count, std::string_view pattern, uint64_t first,
                                       uint64_t seed) {
  std::vector<std::string> keys;
  keys.reserve(count);
  if (pattern == kRandomPattern) {
    static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t state = seed;
    for (size_t k = 0; k < count; ++k) {
      const size_t len = 8 + splitmix64(state) % 17;
      std::string key(len, ' ');
      for (char& c : key) c = kAlphabet[splitmix64(state) % kAlphabet.size()];
      keys.push_back(std::move(key));
    }
    return keys;
  }
  if (pattern.find("{i}") == std::string_view::npos) {
    throw std::invalid_argument("pattern '" + std::string(pattern) +
                                "' has no {i} (give e.g. \"user:{i}\", or \"random\")");
  }
  for (size_t k = 0; k < count; ++k) {
    const std::string number = std::to_string(first + k);
    std::string key;
    size_t from = 0;
    for (size_t at; (at = pattern.find("{i}", from)) != std::string_view::npos; from = at + 3) {
      key.append(pattern.substr(from, at - from)).append(number);
    }
    key.append(pattern.substr(from));
    keys.push_back(std::move(key));
  }
  return keys;
}

std::vector<std::string> read_keys(std::istream& in) {
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) keys.push_back(line);
  }
  return keys;
}

uint32_t placement_hash(HashKind hash, std::string_view hash_tag, std::string_view key) {
  // Router::key_hash, without a Router.
  if (!hash_tag.empty()) key = apply_hash_tag(key, hash_tag);
  return key.empty() ? 0 : hash_key(hash, key);
}

// ---------------------------------------------------------------------------
// Changes and lists

std::string_view change_kind_name(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdd:
      return "add";
    case ChangeKind::kRemove:
      return "remove";
    case ChangeKind::kFail:
      return "fail";
  }
  return "?";
}

std::string describe(const Change& change) {
  return std::string(change_kind_name(change.kind)) + " " + change.argument;
}

namespace {

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t from = 0;
  while (true) {
    const size_t comma = text.find(',', from);
    parts.push_back(text.substr(from, comma == std::string_view::npos ? comma : comma - from));
    if (comma == std::string_view::npos) return parts;
    from = comma + 1;
  }
}

constexpr DistributionKind kAllDistributions[] = {
    DistributionKind::kKetama, DistributionKind::kModula, DistributionKind::kRendezvous,
    DistributionKind::kJump, DistributionKind::kMaglev};

}  // namespace

std::vector<HashKind> parse_hash_list(std::string_view text) {
  std::vector<HashKind> out;
  for (std::string_view part : split_commas(text)) {
    if (part == "all") {
      for (std::string_view name : hash_names()) out.push_back(*parse_hash_name(name));
      continue;
    }
    const auto h = parse_hash_name(part);
    if (!h) {
      std::string names;
      for (std::string_view n : hash_names()) names.append(names.empty() ? "" : " ").append(n);
      throw std::invalid_argument("unknown hash '" + std::string(part) + "' (one of: " + names +
                                  ", or all)");
    }
    if (std::find(out.begin(), out.end(), *h) == out.end()) out.push_back(*h);
  }
  return out;
}

std::vector<DistributionKind> parse_distribution_list(std::string_view text) {
  std::vector<DistributionKind> out;
  for (std::string_view part : split_commas(text)) {
    if (part == "all") {
      out.assign(std::begin(kAllDistributions), std::end(kAllDistributions));
      continue;
    }
    const auto d = parse_distribution_name(part);
    if (!d) {
      throw std::invalid_argument("unknown distribution '" + std::string(part) +
                                  "' (one of: ketama modula rendezvous jump maglev, or all)");
    }
    if (std::find(out.begin(), out.end(), *d) == out.end()) out.push_back(*d);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Simulation

namespace {

constexpr uint32_t kNone = UINT32_MAX;  // identity of "no live backend"
constexpr std::string_view kNoneLabel = "(none)";

// One change, resolved against the pool: the node list after it and how its
// indexes map back to backend identities (0..N-1 the pool, N the added one).
struct Scenario {
  ChangeKind kind = ChangeKind::kAdd;
  std::vector<RingNode> nodes;  // after the change
  std::vector<bool> live;       // fail: the backend marked down
  std::vector<uint32_t> id_of;  // node index after -> identity
  uint32_t changed = 0;         // identity of the added / removed / failed backend
  double ideal = 0;
  std::vector<std::string> labels;  // identity -> label
};

std::vector<RingNode> ring_nodes(const std::vector<BackendSpec>& backends) {
  std::vector<RingNode> nodes;
  for (const BackendSpec& b : backends) nodes.push_back({b.ring_name, b.weight});
  return nodes;
}

Scenario resolve(const Change& change, const std::vector<BackendSpec>& backends,
                 const std::vector<std::string>& labels) {
  Scenario s;
  s.kind = change.kind;
  s.labels = labels;
  const std::vector<RingNode> before = ring_nodes(backends);
  uint64_t total = 0;
  for (const RingNode& n : before) total += n.weight;
  const auto n = static_cast<uint32_t>(before.size());
  if (change.kind == ChangeKind::kAdd) {
    BackendSpec added;
    try {
      added = parse_backend_spec(change.argument);
    } catch (const std::exception& e) {
      throw std::invalid_argument("--add '" + change.argument + "': " + e.what());
    }
    for (const BackendSpec& b : backends) {
      if (b.ring_name == added.ring_name) {
        throw std::invalid_argument("--add '" + change.argument + "': the pool already has " +
                                    backend_label(b));
      }
    }
    s.nodes = before;
    s.nodes.push_back({added.ring_name, added.weight});
    for (uint32_t i = 0; i <= n; ++i) s.id_of.push_back(i);
    s.changed = n;
    s.ideal = static_cast<double>(added.weight) / static_cast<double>(total + added.weight);
    s.labels.push_back(backend_label(added));
  } else {
    size_t index = 0;
    try {
      index = find_backend(backends, change.argument);
    } catch (const std::exception& e) {
      throw std::invalid_argument("--" + std::string(change_kind_name(change.kind)) + ": " +
                                  e.what());
    }
    s.changed = static_cast<uint32_t>(index);
    s.ideal = static_cast<double>(before[index].weight) / static_cast<double>(total);
    if (change.kind == ChangeKind::kRemove) {
      for (uint32_t i = 0; i < n; ++i) {
        if (i == index) continue;
        s.nodes.push_back(before[i]);
        s.id_of.push_back(i);
      }
    } else {
      s.nodes = before;
      for (uint32_t i = 0; i < n; ++i) s.id_of.push_back(i);
      s.live.assign(n, true);
      s.live[index] = false;
    }
  }
  return s;
}

Balance measure_balance(HashKind hash, DistributionKind kind, const Distribution& d,
                        const std::vector<uint32_t>& hashes,
                        const std::vector<BackendSpec>& backends) {
  Balance b{hash, kind, {}, std::vector<uint64_t>(backends.size(), 0)};
  for (uint32_t h : hashes) {
    const uint32_t node = d.locate(h);
    if (node != kNoNode) ++b.keys_per_backend[node];
  }
  uint64_t total_weight = 0;
  for (const BackendSpec& s : backends) total_weight += s.weight;
  std::vector<double> ratio(backends.size(), 0);
  for (size_t i = 0; i < backends.size(); ++i) {
    const double fair =
        static_cast<double>(hashes.size()) * backends[i].weight / static_cast<double>(total_weight);
    ratio[i] = fair > 0 ? static_cast<double>(b.keys_per_backend[i]) / fair : 0;
  }
  if (hashes.empty()) return b;
  double sum = 0;
  for (double r : ratio) sum += r;
  const double mean = sum / static_cast<double>(ratio.size());
  double var = 0;
  for (double r : ratio) var += (r - mean) * (r - mean);
  var /= static_cast<double>(ratio.size());
  const auto hottest = std::max_element(ratio.begin(), ratio.end());
  b.hottest = static_cast<size_t>(hottest - ratio.begin());
  b.max_over_mean = mean > 0 ? *hottest / mean : 0;
  b.min_over_mean = mean > 0 ? *std::min_element(ratio.begin(), ratio.end()) / mean : 0;
  b.cv = mean > 0 ? std::sqrt(var) / mean : 0;
  return b;
}

Movement measure_change(const Scenario& s, Distribution& after,
                        const std::vector<uint32_t>& before_owner,
                        const std::vector<uint32_t>& hashes, const std::vector<std::string>& keys,
                        bool record) {
  Movement m;
  m.keys = hashes.size();
  m.ideal = s.ideal;
  if (!s.live.empty()) after.set_live(s.live);
  std::map<uint32_t, uint64_t> per_peer;
  uint64_t necessary = 0;
  for (size_t k = 0; k < hashes.size(); ++k) {
    const uint32_t node = after.locate(hashes[k]);
    const uint32_t to = node == kNoNode ? kNone : s.id_of[node];
    const uint32_t from = before_owner[k];
    if (to == from) continue;
    ++m.moved;
    const bool needed = s.kind == ChangeKind::kAdd ? to == s.changed : from == s.changed;
    if (needed) {
      ++necessary;
      ++per_peer[s.kind == ChangeKind::kAdd ? from : to];
    }
    if (record) {
      m.moves.push_back({keys[k], from == kNone ? std::string(kNoneLabel) : s.labels[from],
                         to == kNone ? std::string(kNoneLabel) : s.labels[to]});
    }
  }
  m.extra = m.moved - necessary;
  m.peers = static_cast<uint32_t>(per_peer.size());
  uint64_t top = 0;
  for (const auto& [peer, count] : per_peer) top = std::max(top, count);
  m.top_peer = necessary ? static_cast<double>(top) / static_cast<double>(necessary) : 0;
  return m;
}

}  // namespace

Report simulate(const Request& request) {
  Report r;
  r.pool = request.pool;
  for (const BackendSpec& b : r.pool.backends) r.labels.push_back(backend_label(b));
  r.changes = request.changes;
  r.hashes = request.hashes.empty() ? std::vector<HashKind>{r.pool.hash} : request.hashes;
  r.distributions = request.distributions.empty()
                        ? std::vector<DistributionKind>(std::begin(kAllDistributions),
                                                        std::end(kAllDistributions))
                        : request.distributions;
  r.key_count = request.keys.size();
  r.key_source = request.key_source;

  std::vector<Scenario> scenarios;
  for (const Change& c : request.changes) {
    scenarios.push_back(resolve(c, r.pool.backends, r.labels));
  }
  const std::vector<RingNode> nodes = ring_nodes(r.pool.backends);

  std::vector<uint32_t> hashes(request.keys.size());
  std::vector<uint32_t> owner(request.keys.size());
  for (HashKind hash : r.hashes) {
    for (size_t k = 0; k < request.keys.size(); ++k) {
      hashes[k] = placement_hash(hash, r.pool.hash_tag, request.keys[k]);
    }
    for (DistributionKind kind : r.distributions) {
      std::unique_ptr<Distribution> base;
      std::string why;
      try {
        base = make_distribution(kind, nodes);
      } catch (const std::exception& e) {
        why = e.what();
      }
      if (!base) {
        Balance b{hash, kind, why, {}};
        r.balance.push_back(std::move(b));
      } else {
        r.balance.push_back(measure_balance(hash, kind, *base, hashes, r.pool.backends));
        for (size_t k = 0; k < hashes.size(); ++k) {
          const uint32_t node = base->locate(hashes[k]);
          owner[k] = node == kNoNode ? kNone : node;
        }
      }
      for (size_t c = 0; c < scenarios.size(); ++c) {
        const Scenario& s = scenarios[c];
        Movement m;
        std::unique_ptr<Distribution> after;
        std::string after_why = why;
        if (base) {
          try {
            after = make_distribution(kind, s.nodes);
          } catch (const std::exception& e) {
            after_why = std::string("after the change: ") + e.what();
          }
        }
        if (after) {
          m = measure_change(s, *after, owner, hashes, request.keys, request.record_moves);
        } else {
          m.unavailable = after_why;
          m.keys = hashes.size();
          m.ideal = s.ideal;
        }
        m.change = c;
        m.hash = hash;
        m.distribution = kind;
        r.movements.push_back(std::move(m));
      }
    }
  }
  // Computed hash by hash (each key hashed once); reported change by change.
  std::stable_sort(r.movements.begin(), r.movements.end(),
                   [](const Movement& a, const Movement& b) { return a.change < b.change; });
  return r;
}

// ---------------------------------------------------------------------------
// Output

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string percent(double fraction) {
  return fixed(fraction * 100.0, 1);
}

// An aligned text table: text columns left-aligned, numeric ones right-aligned.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void write(std::ostream& out) const {
    std::vector<size_t> width(header_.size(), 0);
    std::vector<bool> numeric(header_.size(), true);
    for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
    for (const auto& row : rows_) {
      for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
        width[c] = std::max(width[c], row[c].size());
        if (!looks_numeric(row[c])) numeric[c] = false;
      }
    }
    write_row(out, header_, width, numeric);
    for (const auto& row : rows_) write_row(out, row, width, numeric);
  }

 private:
  static bool looks_numeric(const std::string& s) {
    if (s == "-" || s == "n/a") return true;
    return !s.empty() && s.find_first_not_of("0123456789.-%") == std::string::npos;
  }
  static void write_row(std::ostream& out, const std::vector<std::string>& row,
                        const std::vector<size_t>& width, const std::vector<bool>& numeric) {
    std::string line;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : "";
      const std::string pad(width[c] - std::min(width[c], cell.size()), ' ');
      if (c > 0) line += "  ";
      line += numeric[c] ? pad + cell : cell + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }

  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void csv_row(std::ostream& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << csv_field(fields[i]);
  out << '\n';
}

// A key as one token on a "key from -> to" line: quoted, with escapes, when it
// holds spaces, quotes, backslashes or control bytes.
std::string printable_key(std::string_view key) {
  bool plain = !key.empty();
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\') plain = false;
  }
  if (plain) return std::string(key);
  std::string out = "\"";
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string change_label(const Report& r, size_t change) {
  return describe(r.changes[change]);
}

bool weighted(const Pool& pool) {
  for (const BackendSpec& b : pool.backends) {
    if (b.weight != pool.backends.front().weight) return true;
  }
  return false;
}

constexpr size_t kInlineBackends = 8;  // per-backend columns in the text table up to this

}  // namespace

void write_table(const Report& r, std::ostream& out) {
  const Pool& pool = r.pool;
  out << "pool:  " << pool.backends.size() << " backend" << (pool.backends.size() == 1 ? "" : "s")
      << ", hash tag " << (pool.hash_tag.empty() ? "none" : "\"" + pool.hash_tag + "\"")
      << ", configured hash " << hash_name(pool.hash) << ", configured distribution "
      << distribution_name(pool.distribution) << "\n       ";
  for (size_t i = 0; i < pool.backends.size(); ++i) {
    if (i == 16 && pool.backends.size() > 20) {
      out << " ... (" << pool.backends.size() - 16 << " more)";
      break;
    }
    out << (i ? "  " : "") << r.labels[i];
    if (weighted(pool)) out << ":" << pool.backends[i].weight;
  }
  out << "\nkeys:  " << r.key_count << (r.key_source.empty() ? "" : ", " + r.key_source) << "\n\n";

  const bool inline_counts = pool.backends.size() <= kInlineBackends;
  out << "Load balance: keys per backend"
      << (weighted(pool) ? " (ratios relative to each backend's weight share)" : "")
      << "; max/mean 1.000 is perfectly even\n";
  std::vector<std::string> header = {"hash",     "distribution", "min", "max",
                                     "max/mean", "min/mean",     "CV",  "hottest"};
  if (inline_counts) header.insert(header.end(), r.labels.begin(), r.labels.end());
  TextTable balance(header);
  std::vector<std::string> notes;
  for (const Balance& b : r.balance) {
    std::vector<std::string> row = {std::string(hash_name(b.hash)),
                                    std::string(distribution_name(b.distribution))};
    if (!b.unavailable.empty()) {
      row.insert(row.end(), {"n/a", "n/a", "n/a", "n/a", "n/a", "-"});
      if (inline_counts) row.insert(row.end(), r.labels.size(), "-");
      notes.push_back(std::string(distribution_name(b.distribution)) + ": " + b.unavailable);
    } else {
      const auto [lo, hi] =
          std::minmax_element(b.keys_per_backend.begin(), b.keys_per_backend.end());
      row.insert(row.end(), {std::to_string(*lo), std::to_string(*hi), fixed(b.max_over_mean, 3),
                             fixed(b.min_over_mean, 3), fixed(b.cv, 3), r.labels[b.hottest]});
      if (inline_counts) {
        for (uint64_t n : b.keys_per_backend) row.push_back(std::to_string(n));
      }
    }
    balance.add(std::move(row));
  }
  balance.write(out);
  if (!inline_counts) {
    out << "(keys per backend for each of the " << pool.backends.size()
        << " backends: use --csv)\n";
  }
  std::sort(notes.begin(), notes.end());
  notes.erase(std::unique(notes.begin(), notes.end()), notes.end());
  for (const std::string& n : notes) out << "n/a  " << n << "\n";

  if (r.movements.empty()) return;
  out << "\nMoves: share of all keys whose backend changes; ideal = the changed backend's weight "
         "share\n";
  TextTable moves({"change", "hash", "distribution", "moved", "moved%", "ideal%", "moved/ideal",
                   "extra%", "peers", "top peer%"});
  notes.clear();
  for (const Movement& m : r.movements) {
    std::vector<std::string> row = {change_label(r, m.change), std::string(hash_name(m.hash)),
                                    std::string(distribution_name(m.distribution))};
    if (!m.unavailable.empty()) {
      row.insert(row.end(), {"n/a", "n/a", percent(m.ideal), "-", "-", "-", "-"});
      notes.push_back(std::string(distribution_name(m.distribution)) + ": " + m.unavailable);
    } else {
      row.insert(row.end(), {std::to_string(m.moved), percent(m.moved_fraction()), percent(m.ideal),
                             m.ideal > 0 ? fixed(m.moved_fraction() / m.ideal, 2) : "-",
                             fixed(m.extra_fraction() * 100.0, 2), std::to_string(m.peers),
                             percent(m.top_peer)});
    }
    moves.add(std::move(row));
  }
  moves.write(out);
  out << "extra%: keys moved between backends the change does not touch (a perfect scheme moves "
         "none)\n"
         "peers: add: backends the new one takes keys from; remove/fail: backends that take over "
         "the lost one's keys; top peer%: the largest one's share of them\n";
  std::sort(notes.begin(), notes.end());
  notes.erase(std::unique(notes.begin(), notes.end()), notes.end());
  for (const std::string& n : notes) out << "n/a  " << n << "\n";
}

void write_csv(const Report& r, std::ostream& out) {
  std::vector<std::string> header = {"hash",          "distribution",  "keys", "min",     "max",
                                     "max_over_mean", "min_over_mean", "cv",   "hottest", "note"};
  header.insert(header.end(), r.labels.begin(), r.labels.end());
  csv_row(out, header);
  for (const Balance& b : r.balance) {
    std::vector<std::string> row = {std::string(hash_name(b.hash)),
                                    std::string(distribution_name(b.distribution)),
                                    std::to_string(r.key_count)};
    if (!b.unavailable.empty()) {
      row.insert(row.end(), {"", "", "", "", "", "", b.unavailable});
      row.insert(row.end(), r.labels.size(), "");
    } else {
      const auto [lo, hi] =
          std::minmax_element(b.keys_per_backend.begin(), b.keys_per_backend.end());
      row.insert(row.end(), {std::to_string(*lo), std::to_string(*hi), fixed(b.max_over_mean, 6),
                             fixed(b.min_over_mean, 6), fixed(b.cv, 6), r.labels[b.hottest], ""});
      for (uint64_t n : b.keys_per_backend) row.push_back(std::to_string(n));
    }
    csv_row(out, row);
  }
  if (r.movements.empty()) return;
  out << '\n';
  csv_row(out, {"change", "hash", "distribution", "keys", "moved", "moved_fraction",
                "ideal_fraction", "extra_fraction", "peers", "top_peer_fraction", "note"});
  for (const Movement& m : r.movements) {
    std::vector<std::string> row = {change_label(r, m.change), std::string(hash_name(m.hash)),
                                    std::string(distribution_name(m.distribution)),
                                    std::to_string(m.keys)};
    if (!m.unavailable.empty()) {
      row.insert(row.end(), {"", "", fixed(m.ideal, 6), "", "", "", m.unavailable});
    } else {
      row.insert(row.end(),
                 {std::to_string(m.moved), fixed(m.moved_fraction(), 6), fixed(m.ideal, 6),
                  fixed(m.extra_fraction(), 6), std::to_string(m.peers), fixed(m.top_peer, 6), ""});
    }
    csv_row(out, row);
  }
}

void write_moves(const Report& r, std::ostream& out, bool csv) {
  if (csv) csv_row(out, {"change", "hash", "distribution", "key", "from", "to"});
  for (const Movement& m : r.movements) {
    const std::string change = change_label(r, m.change);
    const std::string hash(hash_name(m.hash));
    const std::string dist(distribution_name(m.distribution));
    if (csv) {
      for (const Move& mv : m.moves) csv_row(out, {change, hash, dist, mv.key, mv.from, mv.to});
      continue;
    }
    out << "# " << change << ", hash " << hash << ", " << dist << ": ";
    if (!m.unavailable.empty()) {
      out << "n/a: " << m.unavailable << "\n";
      continue;
    }
    out << m.moved << " of " << m.keys << " keys move (" << percent(m.moved_fraction()) << "%)\n";
    for (const Move& mv : m.moves) {
      out << printable_key(mv.key) << ' ' << mv.from << " -> " << mv.to << '\n';
    }
  }
}

// ---------------------------------------------------------------------------
// Plot

namespace {

// A string for a gnuplot script: double quotes, with backslash escapes (a
// newline becomes \n, which gnuplot turns back into a line break).
std::string gp_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A label in a gnuplot data file: double quotes, without the characters that
// would end or escape it.
std::string gp_label(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c != '"' && c != '\\' && c != '\n') out += c;
  }
  return out + "\"";
}

class TempDirectory {
 public:
  TempDirectory() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ringproxy-ring-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      throw std::runtime_error("cannot create a temporary directory: " +
                               std::string(std::strerror(errno)));
    }
    path_ = pattern;
  }
  ~TempDirectory() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void run_gnuplot(const std::filesystem::path& script) {
  const std::string program = "gnuplot";
  const std::string script_path = script.string();
  char* const argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>(script_path.c_str()),
                        nullptr};
  pid_t pid;
  const int rc = posix_spawnp(&pid, program.c_str(), nullptr, nullptr, argv, environ);
  if (rc != 0) {
    throw std::runtime_error("cannot run gnuplot: " + std::string(std::strerror(rc)) +
                             " (Debian: apt-get install gnuplot-nox)");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid(gnuplot) failed");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    throw std::runtime_error("gnuplot not found on PATH (Debian: apt-get install gnuplot-nox)");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("gnuplot failed (" +
                             (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                                : "signal " + std::to_string(WTERMSIG(status))) +
                             ")");
  }
}

}  // namespace

void write_plot(const Report& r, const std::string& png_path) {
  const std::filesystem::path parent = std::filesystem::path(png_path).parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent)) {
    throw std::runtime_error("--plot '" + png_path + "': no directory " + parent.string());
  }
  TempDirectory dir;
  const bool many_hashes = r.hashes.size() > 1;
  const bool many_changes = r.changes.size() > 1;

  const std::filesystem::path balance_dat = dir.path() / "balance.dat";
  {
    std::ofstream f(balance_dat);
    f << "# label  max-over-mean-minus-1(%)  cv(%)\n";
    for (const Balance& b : r.balance) {
      std::string label(distribution_name(b.distribution));
      if (many_hashes) label = std::string(hash_name(b.hash)) + " " + label;
      if (!b.unavailable.empty()) {
        f << gp_label(label + " (n/a)") << " NaN NaN\n";
      } else {
        f << gp_label(label) << ' ' << fixed((b.max_over_mean - 1) * 100, 3) << ' '
          << fixed(b.cv * 100, 3) << '\n';
      }
    }
  }
  const std::filesystem::path moves_dat = dir.path() / "moves.dat";
  {
    std::ofstream f(moves_dat);
    f << "# label  moved(%)  ideal(%)  extra(%)\n";
    for (const Movement& m : r.movements) {
      std::string label(distribution_name(m.distribution));
      if (many_hashes) label = std::string(hash_name(m.hash)) + " " + label;
      if (many_changes) label = change_label(r, m.change) + ": " + label;
      if (!m.unavailable.empty()) {
        f << gp_label(label + " (n/a)") << " NaN " << fixed(m.ideal * 100, 3) << " NaN\n";
      } else {
        f << gp_label(label) << ' ' << fixed(m.moved_fraction() * 100, 3) << ' '
          << fixed(m.ideal * 100, 3) << ' ' << fixed(m.extra_fraction() * 100, 3) << '\n';
      }
    }
  }

  std::string pool_title = std::to_string(r.pool.backends.size()) + " backends, " +
                           std::to_string(r.key_count) + " keys";
  if (!many_hashes) pool_title += ", hash " + std::string(hash_name(r.hashes.front()));
  if (!r.pool.hash_tag.empty()) pool_title += ", hash tag " + r.pool.hash_tag;
  std::string moves_title = "Keys moved";
  if (!many_changes && !r.changes.empty()) moves_title += " by: " + describe(r.changes.front());
  const bool has_moves = !r.movements.empty();
  const size_t rows = std::max(r.balance.size(), r.movements.size());
  const bool rotate = rows > 6;
  const int width = std::clamp(static_cast<int>(220 + rows * 80), 1200, 2600);
  const int height = (has_moves ? 1000 : 520) + (rotate ? 120 : 0);
  // Value labels over the bars, while they fit: clustered histograms with S
  // series and gap 1 put bar j of row x at x + (j - (S-1)/2) / (S+1).
  auto value_labels = [rows](int series) {
    std::string clauses;
    if (rows > 24) return clauses;
    const std::string font = rows > 8 ? " font ',8'" : "";
    for (int j = 0; j < series; ++j) {
      const double dx = (j - (series - 1) / 2.0) / (series + 1);
      clauses += ", \\\n     '' using ($0" + std::string(dx < 0 ? "" : "+") + fixed(dx, 4) +
                 "):" + std::to_string(j + 2) + ":(sprintf('%.1f', $" + std::to_string(j + 2) +
                 ")) with labels offset 0,0.7" + font + " notitle";
    }
    return clauses;
  };

  const std::filesystem::path script = dir.path() / "plot.gp";
  {
    std::ofstream f(script);
    f << "set terminal pngcairo size " << width << "," << height
      << " font 'DejaVu Sans,11' noenhanced\n"
      << "set output " << gp_quote(png_path) << "\n"
      << "set datafile missing 'NaN'\n"
      << "set style data histogram\n"
      << "set style histogram clustered gap 1\n"
      << "set style fill solid 0.85 border rgb '#333333'\n"
      << "set boxwidth 0.9\n"
      << "set grid ytics\n"
      << "set key outside top center horizontal\n"
      << "set yrange [0:*]\n"
      << "set offsets 0, 0, graph 0.08, 0\n"
      << (rotate ? "set xtics rotate by 30 right nomirror\n" : "set xtics nomirror\n");
    f << "set multiplot layout " << (has_moves ? 2 : 1) << ",1 title "
      << gp_quote("ringproxy-ring: " + pool_title) << " font ',13'\n";
    // Panel 1: load spread.
    f << "set title 'Load spread per distribution (lower is better)'\n"
      << "set ylabel '%'\n"
      << "plot " << gp_quote(balance_dat.string())
      << " using 2:xtic(1) title 'hottest backend above the mean (max/mean - 1)' lc rgb "
         "'#d62728', \\\n"
      << "     '' using 3 title 'coefficient of variation' lc rgb '#1f77b4'" << value_labels(2)
      << "\n";
    if (has_moves) {
      // Panel 2: moved share against the ideal.
      f << "set title "
        << gp_quote(moves_title +
                    " (share of all keys; ideal = the changed "
                    "backend's weight share)")
        << "\n"
        << "set ylabel '% of keys'\n"
        << "plot " << gp_quote(moves_dat.string())
        << " using 2:xtic(1) title 'moved' lc rgb '#ff7f0e', \\\n"
        << "     '' using 3 title 'ideal' lc rgb '#7f7f7f', \\\n"
        << "     '' using 4 title 'moved between untouched backends' lc rgb '#9467bd'"
        << value_labels(3) << "\n";
    }
    f << "unset multiplot\n";
  }
  run_gnuplot(script);
  if (!std::filesystem::exists(png_path)) {
    throw std::runtime_error("gnuplot did not write " + png_path);
  }
}

}  // namespace ringproxy::sim
