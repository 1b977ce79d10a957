// The data path's counters: plain structs of uint64_t, one set per loop.
//
// Field names are twemproxy's (nutcracker's stats JSON) so the exporters map
// them one to one. Every loop owns its structs and increments them with plain
// additions: no atomics, no locks, so the owning loop's thread is the only
// writer and the only reader. To report, the owner copies them into a
// snapshot (stats_snapshot.hpp); figures of several loops are added with
// operator+= or sum(). Counters only grow; gauges (BackendGauges, client
// connections) are not counted on the data path but read from the live state
// when a snapshot is built.
//
// A counter costs one add to memory the loop touches anyway; none of these
// functions allocates.
#pragma once

#include <cstdint>
#include <span>

#include "ringproxy/stats/latency_histogram.hpp"
#include "ringproxy/stats/octave_histogram.hpp"

namespace ringproxy::stats {

// Proxy-wide (the top level of twemproxy's document).
struct ProxyCounters {
  uint64_t total_connections = 0;  // client connections accepted since start
};

// Per pool (twemproxy's pool object).
struct PoolCounters {
  uint64_t client_eof = 0;     // clients that closed their connection
  uint64_t client_err = 0;     // client connections closed on an error (reset, protocol error)
  uint64_t server_ejects = 0;  // times a backend of the pool was ejected
  uint64_t forward_error = 0;  // requests failed because their backend could not take them
  uint64_t fragments = 0;      // sub-requests made by splitting multi-key requests
};

// Per backend (twemproxy's server object), monotonic.
struct BackendCounters {
  uint64_t server_eof = 0;       // the backend closed a connection
  uint64_t server_err = 0;       // connection errors (refused, reset, ...)
  uint64_t server_timedout = 0;  // requests that timed out
  uint64_t requests = 0;         // requests (fragments) sent
  uint64_t request_bytes = 0;
  uint64_t responses = 0;  // replies received
  uint64_t response_bytes = 0;
};

// Per backend, read from the live connections when a snapshot is built.
// Across loops they add up, except server_ejected_at_us (the latest).
struct BackendGauges {
  uint64_t server_connections = 0;
  uint64_t in_queue = 0;  // requests accepted for the backend, not yet written to it
  uint64_t in_queue_bytes = 0;
  uint64_t out_queue = 0;  // requests written, waiting for their reply
  uint64_t out_queue_bytes = 0;
  uint64_t server_ejected_at_us = 0;  // last ejection, µs since the epoch; 0: never
};

// Per command, as Redis's INFO commandstats reports it.
struct CommandCounters {
  uint64_t calls = 0;           // executed (answered), failed ones included
  uint64_t duration_ns = 0;     // summed over the calls (Redis's usec, in ns)
  uint64_t failed_calls = 0;    // executed but answered with an error
  uint64_t rejected_calls = 0;  // refused before execution (arity, unsupported, ...); not calls
};

ProxyCounters& operator+=(ProxyCounters& a, const ProxyCounters& b);
PoolCounters& operator+=(PoolCounters& a, const PoolCounters& b);
BackendCounters& operator+=(BackendCounters& a, const BackendCounters& b);
BackendGauges& operator+=(BackendGauges& a, const BackendGauges& b);
CommandCounters& operator+=(CommandCounters& a, const CommandCounters& b);

// The figures of several loops added up.
template <typename T>
T sum(std::span<const T> parts) {
  T total{};
  for (const T& p : parts) total += p;
  return total;
}

// One backend's figures in one loop that the proxy keeps itself: the latency
// of its replies, from the read that parsed the request to the read of the
// reply. An octave histogram: it is updated on every reply, and Prometheus's
// buckets are all it needs. Its count is the backend's responses. Requests
// and bytes are counted by the backend's connections (BackendStats), where
// they cost the least.
struct BackendMetrics {
  OctaveHistogram latency;
  // The proxy indexes a vector of them by backend: a power of two is a shift.
  static_assert(sizeof(OctaveHistogram) == 512);

  void on_response(uint64_t latency_ns) { latency.record_ns(latency_ns); }
};

}  // namespace ringproxy::stats
