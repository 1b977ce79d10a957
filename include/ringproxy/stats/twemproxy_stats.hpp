// The twemproxy (nutcracker) stats document, so that tools written for
// nutcracker's stats port (exporters, collectors, dashboards) read ringproxy
// unchanged.
//
// Same keys, order, nesting and types as nutcracker 0.5.0:
//   {"service", "source", "version", "uptime" (s), "timestamp" (epoch s),
//    "total_connections", "curr_connections",
//    "<pool>": {"client_eof", "client_err", "client_connections", "server_ejects",
//               "forward_error", "fragments",
//               "<server ring name>": {"server_eof", "server_err", "server_timedout",
//                  "server_connections", "server_ejected_at" (epoch µs), "requests",
//                  "request_bytes", "responses", "response_bytes", "in_queue",
//                  "in_queue_bytes", "out_queue", "out_queue_bytes",
//                  "restarts"}, ...}, ...}
// Tools take every object at the top level for a pool and every object in a
// pool for a server, so no object is added; ringproxy's own figures are
// scalars after nutcracker's in a server object (kExtraServerFields). A
// process running several pools of one file (proxy_group.hpp) has one object
// per pool, as nutcracker has, and the process-wide scalars (connections)
// summed over them. "service" is the snapshot's (ringproxy), "version"
// ringproxy's. The text is compact JSON (nutcracker puts a space after each
// comma; JSON readers see no difference).
//
// Built with nlohmann-json; runs wherever the snapshot is (any thread).
#pragma once

#include <memory>
#include <string>

#include "ringproxy/stats/stats_snapshot.hpp"

namespace ringproxy::stats {

std::string render_twemproxy_stats(const StatsSnapshot& snapshot);

// The scalars of a server object that nutcracker does not have: the backend's
// restarts seen (a new run_id).
inline constexpr const char* kExtraServerFields[] = {"restarts"};

// Renders the latest snapshot once and hands out the same text until a newer
// snapshot is published. For one thread (the stats listener's loop).
class TwemproxyDocument {
 public:
  explicit TwemproxyDocument(std::shared_ptr<const SnapshotSlot> slot) : slot_(std::move(slot)) {}
  // The document of the latest snapshot ("{}"-like figures of an empty
  // snapshot before the first publication).
  std::shared_ptr<const std::string> current();

 private:
  std::shared_ptr<const SnapshotSlot> slot_;
  std::shared_ptr<const StatsSnapshot> rendered_from_;
  std::shared_ptr<const std::string> text_;
};

}  // namespace ringproxy::stats
