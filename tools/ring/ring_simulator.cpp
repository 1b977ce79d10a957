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

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <istream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "ringproxy/options/config.hpp"
#include "ringproxy/placement/hash_tag.hpp"

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
    case ChangeKind::kReweight:
      return "reweight";
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
  } else if (change.kind == ChangeKind::kReweight) {
    const size_t blank = change.argument.find_last_of(" \t");
    const std::string who =
        blank == std::string::npos ? std::string() : change.argument.substr(0, blank);
    const std::string weight_text =
        blank == std::string::npos ? std::string() : change.argument.substr(blank + 1);
    size_t index = 0;
    uint32_t weight = 0;
    try {
      if (weight_text.empty() || weight_text.find_first_not_of("0123456789") != std::string::npos ||
          weight_text.size() > 10 || std::stoull(weight_text) == 0 ||
          std::stoull(weight_text) > 2147483647) {
        throw std::invalid_argument("expected \"NAME WEIGHT\" with a weight of 1..2147483647");
      }
      weight = static_cast<uint32_t>(std::stoull(weight_text));
      index = find_backend(backends, who);
    } catch (const std::exception& e) {
      throw std::invalid_argument("--reweight '" + change.argument + "': " + e.what());
    }
    s.nodes = before;
    s.nodes[index].weight = weight;
    for (uint32_t i = 0; i < n; ++i) s.id_of.push_back(i);
    s.changed = static_cast<uint32_t>(index);
    const double old_share = static_cast<double>(before[index].weight) / static_cast<double>(total);
    const double new_share =
        static_cast<double>(weight) / static_cast<double>(total - before[index].weight + weight);
    s.ideal = std::abs(new_share - old_share);
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
    bool needed = false;
    uint32_t peer = kNone;
    switch (s.kind) {
      case ChangeKind::kAdd:
        needed = to == s.changed;
        peer = from;
        break;
      case ChangeKind::kRemove:
      case ChangeKind::kFail:
        needed = from == s.changed;
        peer = to;
        break;
      case ChangeKind::kReweight:
        needed = to == s.changed || from == s.changed;
        peer = to == s.changed ? from : to;
        break;
    }
    if (needed) {
      ++necessary;
      ++per_peer[peer];
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

}  // namespace ringproxy::sim
