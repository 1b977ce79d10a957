// The lines of Redis 7's INFO commandstats and latencystats sections, so that
// tools that parse Redis's INFO read the proxy's figures the same way.
//
//   cmdstat_get:calls=200,usec=282,usec_per_call=1.41,rejected_calls=0,failed_calls=0
//   latency_percentiles_usec_get:p50=1.003,p99=26.111,p99.9=36.095
//
// Lines come without the trailing "\r\n". Pure functions; they walk the
// histogram (off the data path: INFO time).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "ringproxy/stats/counters.hpp"
#include "ringproxy/stats/latency_histogram.hpp"

namespace ringproxy::stats {

std::string commandstats_line(std::string_view command, const CommandCounters& counters);

// Redis's default latency-tracking-info-percentiles.
inline constexpr double kRedisPercentiles[] = {50.0, 99.0, 99.9};

// Percentiles in microseconds with three decimals, named as Redis names them
// ("p50", "p99.9"). At most 16 percentiles.
std::string latencystats_line(std::string_view command, const LatencyHistogram& latency,
                              std::span<const double> percentiles = kRedisPercentiles);

}  // namespace ringproxy::stats
