// The nutcracker stats document; see twemproxy_stats.hpp.
#include "ringproxy/stats/twemproxy_stats.hpp"

#include <nlohmann/json.hpp>

namespace ringproxy::stats {

namespace {

using Json = nlohmann::ordered_json;  // keeps nutcracker's key order

Json server_object(const BackendSnapshot& b) {
  Json s = Json::object();
  s["server_eof"] = b.counters.server_eof;
  s["server_err"] = b.counters.server_err;
  s["server_timedout"] = b.counters.server_timedout;
  s["server_connections"] = b.gauges.server_connections;
  s["server_ejected_at"] = b.gauges.server_ejected_at_us;
  s["requests"] = b.counters.requests;
  s["request_bytes"] = b.counters.request_bytes;
  s["responses"] = b.counters.responses;
  s["response_bytes"] = b.counters.response_bytes;
  s["in_queue"] = b.gauges.in_queue;
  s["in_queue_bytes"] = b.gauges.in_queue_bytes;
  s["out_queue"] = b.gauges.out_queue;
  s["out_queue_bytes"] = b.gauges.out_queue_bytes;
  // ringproxy's own, after nutcracker's: a scalar, which tools read as one
  // more figure of the server (an object would be taken for a server).
  s["restarts"] = b.restarts;
  return s;
}

Json pool_object(const PoolSnapshot& p) {
  Json o = Json::object();
  o["client_eof"] = p.counters.client_eof;
  o["client_err"] = p.counters.client_err;
  o["client_connections"] = p.client_connections;
  o["server_ejects"] = p.counters.server_ejects;
  o["forward_error"] = p.counters.forward_error;
  o["fragments"] = p.counters.fragments;
  for (const BackendSnapshot& b : p.backends) o[b.name] = server_object(b);
  return o;
}

}  // namespace

std::string render_twemproxy_stats(const StatsSnapshot& s) {
  Json doc = Json::object();
  doc["service"] = s.service;
  doc["source"] = s.source;
  doc["version"] = s.version;
  doc["uptime"] = s.taken_at_ms >= s.start_time_ms ? (s.taken_at_ms - s.start_time_ms) / 1000 : 0;
  doc["timestamp"] = s.taken_at_ms / 1000;
  doc["total_connections"] = s.proxy.total_connections;
  doc["curr_connections"] = s.curr_connections;
  for (const PoolSnapshot& p : s.pools) doc[p.name] = pool_object(p);
  // Names come from configuration files and may hold any byte: replace what
  // is not UTF-8 rather than fail.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::shared_ptr<const std::string> TwemproxyDocument::current() {
  std::shared_ptr<const StatsSnapshot> latest = slot_->latest();
  if (!text_ || latest != rendered_from_) {
    text_ = std::make_shared<const std::string>(
        render_twemproxy_stats(latest ? *latest : StatsSnapshot{}));
    rendered_from_ = std::move(latest);
  }
  return text_;
}

}  // namespace ringproxy::stats
