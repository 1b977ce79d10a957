// --etcd: the pool's members come from etcd (cluster/etcd_membership.hpp).
// The first read happens before the ring is built, so a proxy starts with
// etcd's members; if etcd cannot be read then, the configured backends (if
// any) serve until it can, else the proxy refuses to start. Every later
// change goes to the proxy's apply_membership, as PROXY ADD and SIGHUP do
// without --etcd; with it, those write to etcd (etcd_ring_admin.hpp) and a
// SIGHUP leaves the membership alone (config_reload.hpp).
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "ringproxy/cluster/etcd_membership.hpp"
#include "ringproxy/options/config.hpp"

namespace ringproxy {

struct EtcdStart {
  std::unique_ptr<EtcdMembership> membership;  // watching the prefix from then on
  std::string source;                          // the first ring's source text
};

// Reads the members under the pool's prefix (--etcd-prefix, or the default
// for its pool name): config.backends becomes etcd's list when it has one.
// `on_change` gets every later list. Throws std::runtime_error when the proxy
// cannot start (etcd unreadable and no configured backends, a refused list).
EtcdStart start_etcd_membership(uv_loop_t* loop, Config& config, EtcdMembership::Apply on_change);

}  // namespace ringproxy
