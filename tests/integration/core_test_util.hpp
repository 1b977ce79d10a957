// Helpers shared by the core proxy integration tests (issue 2): the
// commands_, multikey_, protocol_, transaction_ and pipeline_ test files.
// Built on harness.hpp (which is not edited here).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing::core {

using Cmd = std::vector<std::string>;

// Every byte value once, 0 to 255.
inline std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

inline Reply ok() {
  return Reply::make_status("OK");
}
inline Reply status(std::string s) {
  return Reply::make_status(std::move(s));
}
inline Reply str(std::string s) {
  return Reply::make_string(std::move(s));
}
inline Reply num(long long n) {
  return Reply::make_integer(n);
}
inline Reply nil() {
  return Reply::make_nil();
}
inline Reply arr(std::vector<Reply> e) {
  return Reply::make_array(std::move(e));
}

inline std::string join(const Cmd& cmd) {
  std::string s;
  for (const auto& a : cmd) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

inline bool is_error_with(const Reply& r, std::string_view text) {
  return r.is_error() && contains(r.str, text);
}

// How a reply of the proxy is compared with the reference redis-server's.
enum class Norm {
  kExact,
  kSorted,      // array: same elements, any order (hash-table sets, random order)
  kScanSorted,  // *SCAN reply: same cursor, same elements in any order
  kTtl,         // integer within a tolerance (TTL/PTTL): both >= 0 and |a-b| <= 2 s
  kSameType,    // only the reply type must agree (idle times, ...)
};

struct Step {
  Cmd cmd;
  Norm norm = Norm::kExact;
};

inline Reply normalise(Reply r, Norm norm) {
  auto sort_elements = [](std::vector<Reply>& e) {
    std::sort(e.begin(), e.end(),
              [](const Reply& a, const Reply& b) { return a.to_string() < b.to_string(); });
  };
  if (norm == Norm::kSorted && r.is_array()) sort_elements(r.elements);
  if (norm == Norm::kScanSorted && r.is_array() && r.elements.size() == 2 &&
      r.elements[1].is_array()) {
    sort_elements(r.elements[1].elements);
  }
  return r;
}

// Sends every step to the proxy and to the reference, one at a time, and
// expects equal replies. Returns the number of mismatches.
inline int compare_steps(Client& proxy, Client& reference, const std::vector<Step>& steps) {
  int mismatches = 0;
  for (const Step& step : steps) {
    Reply p = normalise(proxy.command(step.cmd), step.norm);
    Reply r = normalise(reference.command(step.cmd), step.norm);
    bool same = false;
    switch (step.norm) {
      case Norm::kSameType:
        same = p.type == r.type;
        break;
      case Norm::kTtl: {
        // Seconds or milliseconds (PTTL values are large): 2 s either way.
        long long tolerance = std::abs(r.integer) > 10000 ? 2000 : 2;
        same = p.is_integer() && r.is_integer() &&
               ((p.integer < 0 || r.integer < 0) ? p.integer == r.integer
                                                 : std::abs(p.integer - r.integer) <= tolerance);
        break;
      }
      default:
        same = p == r;
    }
    if (!same) {
      ++mismatches;
      ADD_FAILURE() << "command: " << join(step.cmd) << "\n  proxy:     " << p
                    << "\n  reference: " << r;
    }
  }
  return mismatches;
}

inline std::vector<Step> exact(const std::vector<Cmd>& cmds) {
  std::vector<Step> steps;
  for (const auto& c : cmds) steps.push_back({c, Norm::kExact});
  return steps;
}

// A cluster fixture with helpers to learn where keys live.
class CoreClusterTest : public ClusterTest {
 protected:
  // For each name, the index of the backend the proxy puts it on: each name
  // is SET through the proxy, looked up on every backend, then deleted again.
  // The names must not exist yet.
  std::vector<size_t> placement(const std::vector<std::string>& names) {
    Client c = proxy_client();
    std::vector<Cmd> sets;
    for (const auto& n : names) sets.push_back({"SET", n, "placement-probe"});
    std::vector<Reply> r = c.pipeline(sets);
    for (size_t i = 0; i < r.size(); ++i) {
      if (r[i] != ok()) throw HarnessError("placement: SET " + names[i] + ": " + r[i].to_string());
    }
    std::vector<size_t> where(names.size(), SIZE_MAX);
    for (size_t b = 0; b < backends_.size(); ++b) {
      if (!backends_[b]->running()) continue;
      Client bc = backend_client(b);
      std::vector<Cmd> exists;
      for (const auto& n : names) exists.push_back({"EXISTS", n});
      std::vector<Reply> e = bc.pipeline(exists);
      for (size_t i = 0; i < e.size(); ++i) {
        if (e[i] != num(1)) continue;
        if (where[i] != SIZE_MAX) throw HarnessError("placement: " + names[i] + " on two backends");
        where[i] = b;
      }
    }
    std::vector<Cmd> dels;
    for (const auto& n : names) dels.push_back({"DEL", n});
    c.pipeline(dels);
    for (size_t i = 0; i < names.size(); ++i) {
      if (where[i] == SIZE_MAX) throw HarnessError("placement: " + names[i] + " on no backend");
    }
    return where;
  }

  // `count` names "<prefix><n>" (n = 0, 1, ...) for each backend, so that
  // result[b] are names the proxy places on backend b.
  std::vector<std::vector<std::string>> names_per_backend(const std::string& prefix,
                                                          size_t count = 1) {
    std::vector<std::vector<std::string>> out(backends_.size());
    for (size_t base = 0; base < 100000; base += 64) {
      std::vector<std::string> names;
      for (size_t i = 0; i < 64; ++i) names.push_back(prefix + std::to_string(base + i));
      std::vector<size_t> where = placement(names);
      for (size_t i = 0; i < names.size(); ++i) {
        if (out[where[i]].size() < count) out[where[i]].push_back(names[i]);
      }
      bool done =
          std::all_of(out.begin(), out.end(), [&](const auto& v) { return v.size() >= count; });
      if (done) return out;
    }
    throw HarnessError("names_per_backend: no spread found for prefix " + prefix);
  }

  // Two names (built from `prefix`) on different backends.
  std::pair<std::string, std::string> names_on_two_backends(const std::string& prefix) {
    auto per = names_per_backend(prefix);
    return {per[0][0], per[1][0]};
  }

  // Everything every backend holds: per backend, KEYS * sorted, with each
  // key's DUMP and PTTL. For "nothing was modified" checks.
  std::vector<std::map<std::string, std::pair<Reply, Reply>>> snapshot_backends() {
    std::vector<std::map<std::string, std::pair<Reply, Reply>>> out;
    for (size_t b = 0; b < backends_.size(); ++b) {
      auto& m = out.emplace_back();
      if (!backends_[b]->running()) continue;
      Client bc = backend_client(b);
      Reply keys = bc.command({"KEYS", "*"});
      if (!keys.is_array()) throw HarnessError("snapshot: KEYS: " + keys.to_string());
      for (const Reply& k : keys.elements) {
        Reply dump = bc.command({"DUMP", k.str});
        Reply pttl = bc.command({"PTTL", k.str});
        // PTTL counts down: keep only whether there is one.
        m[k.str] = {dump, num(pttl.integer >= 0 ? 1 : pttl.integer)};
      }
    }
    return out;
  }
};

}  // namespace ringproxy::testing::core
