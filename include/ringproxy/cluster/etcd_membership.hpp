// The pool's membership from etcd, for a proxy run with --etcd: the keys under
// <prefix>/backends/ (membership.hpp) are read at start, watched, and every
// complete new member list is handed to a callback (the proxy swaps its ring
// for it), with the source "etcd <prefix> revision N".
//
// etcd unreachable: the last list stays (nothing is delivered), the watch
// retries with backoff and resumes from the last revision it saw; if that
// revision was compacted meanwhile, the prefix is read again and the result,
// if it differs, delivered (PrefixMirror). An empty list is never delivered:
// a ring needs at least one backend, so the proxy keeps its last ring and the
// log says so.
//
// Write-through: with --etcd, PROXY ADD / REMOVE / WEIGHT change the member
// keys in etcd rather than the ring; every proxy watching the prefix
// (this one included) then applies the change from its watch.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ringproxy/cluster/etcd_client.hpp"
#include "ringproxy/cluster/etcd_types.hpp"
#include "ringproxy/cluster/membership.hpp"
#include "ringproxy/cluster/prefix_mirror.hpp"
#include "ringproxy/placement/backend_spec.hpp"

namespace ringproxy {

class EtcdMembership {
 public:
  using Apply = std::function<void(std::vector<BackendSpec> members, std::string source)>;
  // "" on success, else why the write failed (one line).
  using WriteDone = std::function<void(std::string error)>;

  // `prefix` is the pool's prefix (e.g. /ringproxy/<pool>), not the backends
  // folder. Throws std::invalid_argument for bad client options.
  EtcdMembership(uv_loop_t* loop, EtcdOptions options, std::string prefix, Apply apply);
  ~EtcdMembership();
  EtcdMembership(const EtcdMembership&) = delete;
  EtcdMembership& operator=(const EtcdMembership&) = delete;

  // Reads the prefix and follows it; every non-empty list read or changed is
  // delivered (later, from the loop).
  void start();

  // For start-up: runs `loop` until the first read answered (true) or failed
  // on every endpoint (false; the read is retried in the background). Call
  // after start(), before anything else runs on the loop. `apply` is not
  // called for the first read while this runs: its list is members().
  bool wait_first_read();

  // The last list read (empty before the first read).
  const std::vector<BackendSpec>& members() const { return members_; }
  int64_t revision() const { return mirror_->revision(); }
  bool synced() const { return mirror_->synced(); }
  bool watching() const { return mirror_->watching(); }
  const std::string& prefix() const { return prefix_; }
  uint64_t lists_delivered() const { return delivered_; }
  const EtcdClientState& client_state() const { return client_->state(); }
  // The ring source text of the list at `revision`: "etcd <prefix> revision N".
  std::string source(int64_t revision) const;

  // PROXY ADD host:port[:weight] [name]: puts <prefix>/backends/<name> (the
  // name, or "host:port" when it has none). A backend with the same address
  // under another key is an error.
  void add(const BackendSpec& spec, WriteDone done);
  // PROXY REMOVE name|host:port: deletes its key.
  void remove(std::string_view name_or_address, WriteDone done);
  // PROXY WEIGHT name|host:port W: puts its key with the new weight.
  void reweight(std::string_view name_or_address, uint32_t weight, WriteDone done);

  // INFO lines, as (name, value): the client's (etcd_connected, ...) plus
  // etcd_prefix, etcd_watching, etcd_members, etcd_membership_revision.
  std::vector<std::pair<std::string, std::string>> info_fields() const;

 private:
  void on_change(const PrefixMirror::Snapshot& kvs, int64_t revision);
  // The key of a member named `name_or_address` (its name, or its address),
  // from the mirror; nullopt when there is none.
  std::optional<std::pair<std::string, BackendSpec>> find(std::string_view name_or_address) const;

  uv_loop_t* loop_;
  std::string prefix_;
  Apply apply_;
  std::unique_ptr<EtcdClient> client_;
  std::unique_ptr<PrefixMirror> mirror_;
  std::vector<BackendSpec> members_;
  bool deliver_ = true;  // false while wait_first_read() runs
  bool warned_empty_ = false;
  uint64_t delivered_ = 0;
};

}  // namespace ringproxy
