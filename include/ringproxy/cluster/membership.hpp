// The pool's membership as stored in etcd: one key per backend,
//
//   <prefix>/backends/<name>  ->  host:port[:weight]
//
// e.g. `etcdctl put /ringproxy/ringproxy/backends/cache-a 10.0.0.5:6379:1`.
// The value is twemproxy's server syntax without the name (the weight defaults
// to 1; an IPv6 host is written [addr]:port[:weight]); the name is the key's
// last path element and is the backend's identity on the ring, exactly as a
// name given with --backend "host:port:weight name". A plain value keeps
// `etcdctl put` usable by hand; nothing the ring needs is missing from it.
//
// <prefix> defaults to /ringproxy/<pool name> (default_etcd_prefix). A key
// that does not decode (bad value, empty or nested name, an address another
// key already has) is skipped and reported; it never takes the ring down.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/cluster/etcd_types.hpp"
#include "ringproxy/placement/backend_spec.hpp"

namespace ringproxy {

// "/ringproxy/<pool>".
std::string default_etcd_prefix(std::string_view pool_name);
// The prefix without trailing '/' ("/" stays "/").
std::string normalize_etcd_prefix(std::string_view prefix);
// "<prefix>/backends/": every membership key starts with it.
std::string backends_key_prefix(std::string_view prefix);
// "<prefix>/backends/<name>".
std::string backend_key(std::string_view prefix, std::string_view name);
// "host:port:weight" ("[v6]:port:weight"): what decode_backend reads back.
std::string encode_backend_value(const BackendSpec& spec);
// Throws std::invalid_argument unless `name` can name a backend: non-empty,
// no '/', no blank or control character.
void check_backend_name(std::string_view name);

// One key-value under backends_key_prefix(prefix) to a BackendSpec named after
// the key. Throws std::invalid_argument with a one-line reason.
BackendSpec decode_backend(std::string_view prefix, const KeyValue& kv);

struct MembershipError {
  std::string key;
  std::string reason;
};

struct Membership {
  std::vector<BackendSpec> backends;  // in key order
  std::vector<MembershipError> errors;
};

// Every decodable backend of `kvs` (any order); of two keys with the same
// address the first in key order wins.
Membership decode_membership(std::string_view prefix, const std::vector<KeyValue>& kvs);
// The same from PrefixMirror's snapshot (key -> KeyValue).
Membership decode_membership(std::string_view prefix, const std::map<std::string, KeyValue>& kvs);
// One warning line per error ("etcd: skipping <key>: <reason>"), bytes that
// are not printable escaped.
void log_membership_errors(const Membership& membership);

}  // namespace ringproxy
