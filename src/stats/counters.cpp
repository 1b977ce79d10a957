// Adding the loops' counters; see counters.hpp.
#include "ringproxy/stats/counters.hpp"

#include <algorithm>

namespace ringproxy::stats {

// A field added to a struct must be added to its sum too: these fail to
// compile until the size below is updated along with the function.
static_assert(sizeof(ProxyCounters) == 1 * sizeof(uint64_t));
static_assert(sizeof(PoolCounters) == 5 * sizeof(uint64_t));
static_assert(sizeof(BackendCounters) == 7 * sizeof(uint64_t));
static_assert(sizeof(BackendGauges) == 6 * sizeof(uint64_t));
static_assert(sizeof(CommandCounters) == 4 * sizeof(uint64_t));

ProxyCounters& operator+=(ProxyCounters& a, const ProxyCounters& b) {
  a.total_connections += b.total_connections;
  return a;
}

PoolCounters& operator+=(PoolCounters& a, const PoolCounters& b) {
  a.client_eof += b.client_eof;
  a.client_err += b.client_err;
  a.server_ejects += b.server_ejects;
  a.forward_error += b.forward_error;
  a.fragments += b.fragments;
  return a;
}

BackendCounters& operator+=(BackendCounters& a, const BackendCounters& b) {
  a.server_eof += b.server_eof;
  a.server_err += b.server_err;
  a.server_timedout += b.server_timedout;
  a.requests += b.requests;
  a.request_bytes += b.request_bytes;
  a.responses += b.responses;
  a.response_bytes += b.response_bytes;
  return a;
}

BackendGauges& operator+=(BackendGauges& a, const BackendGauges& b) {
  a.server_connections += b.server_connections;
  a.in_queue += b.in_queue;
  a.in_queue_bytes += b.in_queue_bytes;
  a.out_queue += b.out_queue;
  a.out_queue_bytes += b.out_queue_bytes;
  // An ejection is one event seen by every loop: the latest one, not a sum.
  a.server_ejected_at_us = std::max(a.server_ejected_at_us, b.server_ejected_at_us);
  return a;
}

CommandCounters& operator+=(CommandCounters& a, const CommandCounters& b) {
  a.calls += b.calls;
  a.duration_ns += b.duration_ns;
  a.failed_calls += b.failed_calls;
  a.rejected_calls += b.rejected_calls;
  return a;
}

}  // namespace ringproxy::stats
