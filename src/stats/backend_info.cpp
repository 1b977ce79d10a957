// Backends' INFO figures; see backend_info.hpp.
#include "ringproxy/stats/backend_info.hpp"

#include <cstdio>

#include "ringproxy/common/text.hpp"

namespace ringproxy::stats {

bool parse_keyspace_value(std::string_view value, KeyspaceFigures& out) {
  out = {};
  bool keys = false;
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view field = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    const size_t eq = field.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view name = field.substr(0, eq);
    const std::string_view number = field.substr(eq + 1);
    uint64_t* target = name == "keys"      ? &out.keys
                       : name == "expires" ? &out.expires
                       : name == "avg_ttl" ? &out.avg_ttl_ms
                                           : nullptr;
    if (target == nullptr) continue;
    if (!parse_u64(number, *target)) return false;
    keys = keys || target == &out.keys;
  }
  return keys;
}

bool parse_backend_info(std::string_view memory, std::string_view keyspace, uint32_t db,
                        uint64_t now_ms, BackendInfo& out) {
  out = {};
  BackendInfo info;
  if (!parse_u64(info_value(memory, "used_memory"), info.used_memory)) return false;
  const std::string_view line = info_value(keyspace, "db" + std::to_string(db));
  if (!line.empty() && !parse_keyspace_value(line, info.keyspace)) return false;
  info.known = true;
  info.at_ms = now_ms;
  out = info;
  return true;
}

KeyspaceFigures sum_keyspace(std::span<const KeyspaceFigures> parts) {
  KeyspaceFigures total;
  // avg_ttl * expires can exceed 64 bits only for absurd figures; a double
  // keeps the mean sensible either way.
  double ttl_weighted = 0;
  uint64_t ttl_weight = 0;
  for (const KeyspaceFigures& p : parts) {
    total.keys += p.keys;
    total.expires += p.expires;
    if (p.avg_ttl_ms > 0 && p.expires > 0) {
      ttl_weighted += static_cast<double>(p.avg_ttl_ms) * static_cast<double>(p.expires);
      ttl_weight += p.expires;
    }
  }
  if (ttl_weight > 0) {
    total.avg_ttl_ms = static_cast<uint64_t>(ttl_weighted / static_cast<double>(ttl_weight));
  }
  return total;
}

std::string keyspace_line(uint32_t db, const KeyspaceFigures& f) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "db%u:keys=%llu,expires=%llu,avg_ttl=%llu", db,
                static_cast<unsigned long long>(f.keys), static_cast<unsigned long long>(f.expires),
                static_cast<unsigned long long>(f.avg_ttl_ms));
  return buf;
}

std::string human_bytes(uint64_t n) {
  // Redis's bytesToHuman.
  char buf[32];
  if (n < 1024) {
    std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(n));
    return buf;
  }
  static constexpr char kUnits[] = "KMGTP";
  double v = static_cast<double>(n) / 1024;
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < sizeof kUnits - 1) {
    v /= 1024;
    ++unit;
  }
  std::snprintf(buf, sizeof buf, "%.2f%c", v, kUnits[unit]);
  return buf;
}

}  // namespace ringproxy::stats
