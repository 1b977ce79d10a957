// A live copy of every key under an etcd prefix: a range read, then a watch
// from the read's revision + 1, with the events applied in order. If etcd
// compacted the history the watch needs (a long disconnect), the prefix is
// read again and the watch restarts after that read, so the copy never misses
// a change. A failed read is retried with backoff; meanwhile the copy keeps
// its last state (a proxy keeps serving with the last ring).
//
// This is what a proxy watching its pool's membership needs: on every change
// it gets the whole prefix as of a revision (decode it with
// decode_membership and apply the difference to the ring).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "ringproxy/cluster/backoff.hpp"
#include "ringproxy/cluster/etcd_client.hpp"
#include "ringproxy/cluster/etcd_types.hpp"

namespace ringproxy {

class EtcdWatch;

class PrefixMirror {
 public:
  using Snapshot = std::map<std::string, KeyValue>;
  // After the first read, after each batch of events, and after a re-read
  // that found a difference: the whole prefix as of `revision`.
  using ChangeCallback = std::function<void(const Snapshot& kvs, int64_t revision)>;

  PrefixMirror(EtcdClient& client, std::string prefix, ChangeCallback on_change);
  ~PrefixMirror();
  PrefixMirror(const PrefixMirror&) = delete;
  PrefixMirror& operator=(const PrefixMirror&) = delete;

  // Reads the prefix (retrying until it succeeds), then follows it.
  void start();

  bool synced() const { return synced_; }  // read at least once
  // The last read failed (every endpoint tried) and a retry is pending.
  bool read_failing() const { return read_failing_; }
  const Snapshot& kvs() const { return kvs_; }
  int64_t revision() const { return revision_; }
  uint64_t rereads() const { return rereads_; }  // reads after a compaction
  bool watching() const;

 private:
  void read();
  void on_read(EtcdResult<RangeResult> result);
  void on_events(const std::vector<WatchEvent>& events);

  EtcdClient& client_;
  std::string prefix_;
  ChangeCallback on_change_;
  Backoff backoff_;
  std::unique_ptr<uv_timer_t> retry_timer_;
  std::unique_ptr<EtcdWatch> watch_;
  EtcdClient::CallId read_call_ = 0;
  Snapshot kvs_;
  int64_t revision_ = 0;
  bool synced_ = false;
  bool read_failing_ = false;
  uint64_t rereads_ = 0;
};

}  // namespace ringproxy
