// Reading the proxy's exporters in integration tests: the twemproxy stats
// document (--stats-port) and /metrics (--metrics-port, parsed by
// python3-prometheus-client's reference parser, tests/stats/parse_metrics.py).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "harness.hpp"

namespace ringproxy::testing {

// Keys of a stats document's object, split into scalars and objects (at the
// top the pools, in a pool its servers): what exporters tell apart.
struct JsonKeys {
  std::set<std::string> scalars;
  std::set<std::string> objects;
};
inline JsonKeys keys_of(const nlohmann::json& j) {
  JsonKeys k;
  for (auto& [name, v] : j.items()) (v.is_object() ? k.objects : k.scalars).insert(name);
  return k;
}

// What a stats port sends until it closes.
inline std::string read_stats(uint16_t port) {
  return RawConnection(port).read_until_closed();
}

// A stats document read once it parses and `ready` holds (the proxy publishes
// every --stats-interval); the last one read when that never happens.
inline nlohmann::json stats_when(uint16_t port,
                                 const std::function<bool(const nlohmann::json&)>& ready) {
  nlohmann::json doc;
  wait_until(
      [&] {
        try {
          doc = nlohmann::json::parse(read_stats(port));
          return ready(doc);
        } catch (const std::exception&) {
          return false;
        }
      },
      kDefaultReadyTimeout);
  return doc;
}

// The families of a /metrics endpoint as parse_metrics.py prints them:
// {"<family>": {"type": ..., "samples": [[name, {labels}, value], ...]}}.
inline nlohmann::json scrape(uint16_t port) {
  const std::string script = (source_dir() / "tests/stats/parse_metrics.py").string();
  CommandResult r = run_command(
      {python3_binary(), script, "http://127.0.0.1:" + std::to_string(port) + "/metrics"});
  if (!r.ok()) throw HarnessError("parse_metrics.py failed: " + r.describe());
  return nlohmann::json::parse(r.out)["families"];
}

// The value of the first sample `sample` of `family` with `labels`; -1 when none.
inline double sample_value(const nlohmann::json& families, const std::string& family,
                           const std::string& sample,
                           const std::map<std::string, std::string>& labels) {
  if (!families.contains(family)) return -1;
  for (const nlohmann::json& s : families[family]["samples"]) {
    if (s[0] != sample) continue;
    bool match = true;
    for (const auto& [k, v] : labels) match = match && s[1].contains(k) && s[1][k] == v;
    if (match) return s[2].get<double>();
  }
  return -1;
}

}  // namespace ringproxy::testing
