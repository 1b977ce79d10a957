// Redis INFO lines; see info_format.hpp.
#include "ringproxy/stats/info_format.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace ringproxy::stats {

namespace {

// Redis prints a percentile with "%f" and trims trailing zeros (and the dot).
std::string percentile_name(double p) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%f", p);
  std::string s(buf);
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

}  // namespace

std::string commandstats_line(std::string_view command, const CommandCounters& c) {
  uint64_t usec = c.duration_ns / 1000;
  double per_call = c.calls == 0 ? 0.0 : static_cast<double>(usec) / static_cast<double>(c.calls);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                ":calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu",
                static_cast<unsigned long long>(c.calls), static_cast<unsigned long long>(usec),
                per_call, static_cast<unsigned long long>(c.rejected_calls),
                static_cast<unsigned long long>(c.failed_calls));
  return "cmdstat_" + std::string(command) + buf;
}

std::string latencystats_line(std::string_view command, const LatencyHistogram& latency,
                              std::span<const double> percentiles) {
  std::array<uint64_t, 16> values{};
  size_t n = std::min(percentiles.size(), values.size());
  latency.percentiles_ns(percentiles.first(n), std::span<uint64_t>(values.data(), n));
  std::string out = "latency_percentiles_usec_" + std::string(command) + ":";
  for (size_t i = 0; i < n; ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(values[i]) / 1000.0);
    if (i > 0) out += ',';
    out += "p" + percentile_name(percentiles[i]) + "=" + buf;
  }
  return out;
}

}  // namespace ringproxy::stats
