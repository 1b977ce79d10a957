// What each backend says of itself (its INFO memory and INFO keyspace
// sections), and the sums the proxy's INFO reports from them.
//
// The health checker asks every up backend for these two sections on its
// probe connection every --stats-interval, never per client INFO (clients
// send INFO on connect); the proxy keeps each backend's last answer with the
// time it came (BackendInfo). INFO's Keyspace and Memory sections, PROXY
// NODES and /metrics read those.
//
// Only one database of a backend is reachable through the proxy: the one it
// SELECTs on every backend connection (--backend-db), which clients see as
// db0. So only that database's line is kept, and the proxy reports the sum as
// its db0; the backends' other databases are not reported.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ringproxy::stats {

// One database line of Redis's INFO keyspace: db0:keys=N,expires=M,avg_ttl=T.
struct KeyspaceFigures {
  uint64_t keys = 0;
  uint64_t expires = 0;  // keys with an expiry
  // Redis's estimate of the mean remaining time to live of the keys with an
  // expiry, in ms; 0 when it has none or has not estimated it yet.
  uint64_t avg_ttl_ms = 0;
};

// One backend's last answer.
struct BackendInfo {
  bool known = false;  // false: no answer yet, INFO refused, or not up
  uint64_t at_ms = 0;  // the proxy's loop clock when it answered
  uint64_t used_memory = 0;
  KeyspaceFigures keyspace;  // its --backend-db (zeros when that database is empty)
};


// Both sections of one answer into `out` (known, at `now_ms`). False, and
// `out` unknown, when the memory section has no used_memory or the keyspace
// section's line for `db` does not parse. Redis omits the line of an empty
// database: no line is zeros.
bool parse_backend_info(std::string_view memory, std::string_view keyspace, uint32_t db,
                        uint64_t now_ms, BackendInfo& out);
// The fields of one keyspace value ("keys=1,expires=0,avg_ttl=0"); fields it
// does not know (later Redis versions add some) are skipped.
bool parse_keyspace_value(std::string_view value, KeyspaceFigures& out);

// The backends' figures added up: keys and expires are sums; avg_ttl is the
// mean of the backends' avg_ttl weighted by their expires (the keys each one
// averages over), over those that report one (Redis reports 0 until it has an
// estimate), and 0 when none does.
KeyspaceFigures sum_keyspace(std::span<const KeyspaceFigures> parts);

// Redis 7's line for database `db`, without "\r\n":
// "db0:keys=N,expires=M,avg_ttl=T". Redis prints none for an empty database.
std::string keyspace_line(uint32_t db, const KeyspaceFigures& f);

// Redis's *_human figures: 1023B, 1.50K, 4.56M, ...
std::string human_bytes(uint64_t n);

}  // namespace ringproxy::stats
