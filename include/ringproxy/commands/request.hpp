// A client request in flight, from parse to the reply written back in order.
//
// A request has one fragment per backend it was sent to: one for a single-key
// command, several for split (MGET/MSET/DEL/...) and fan-out (DBSIZE/KEYS/...)
// commands. A reply that completes the request at the head of its client's
// queue is copied straight to the client's output; only replies that must wait
// (an earlier request is still pending) or must be merged are stored.
//
// Requests come from a free list (RequestPool) and keep their vectors' capacity
// when recycled, so the steady state allocates nothing per request.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ringproxy/commands/command_table.hpp"
#include "ringproxy/common/buffer.hpp"

namespace ringproxy {

class ClientConnection;

// SCAN cursors through the proxy carry the backend index in their low bits:
// cursor = backend_cursor << kScanBackendBits | backend index.
inline constexpr unsigned kScanBackendBits = 10;
inline constexpr uint64_t kScanBackendMask = (1u << kScanBackendBits) - 1;

enum class MergeKind : uint8_t {
  kNone,        // single fragment: its reply is the reply
  kMGet,        // arrays merged back in key order
  kAllOk,       // +OK when every fragment said +OK (MSET, FLUSHDB, ...)
  kSum,         // integers summed (DEL, EXISTS, DBSIZE, ...)
  kConcat,      // arrays concatenated (KEYS)
  kFirst,       // first fragment's reply when none failed (SCRIPT LOAD)
  kRandomKey,   // a random non-nil reply
  kScan,        // cursor rewritten to encode the backend
  kMissOnError  // a read whose backend is unavailable answers as a miss
};

struct Fragment {
  uint32_t backend = 0;
  bool done = false;
  std::string reply;  // stored reply bytes (merged requests only)
};

struct Request {
  static constexpr size_t kKeepReplyCapacity = 16 * 1024;
  ClientConnection* client = nullptr;  // null once the client has gone
  uint32_t pending = 0;                // fragments still waiting for a reply
  bool ready = false;                  // reply complete (in `reply`, or to be merged)
  MergeKind merge = MergeKind::kNone;
  MissReply miss = MissReply::kNone;  // for --on-unavailable miss
  uint32_t scan_backend = 0;          // SCAN: which backend was asked
  uint32_t miss_fields = 0;           // MissReply::kNilPerField: nils in the miss reply
  std::vector<Fragment> fragments;
  std::vector<uint32_t> key_fragment;  // MGET: fragment index of each key, in key order
  Buffer reply;                        // the reply when it must wait for its turn

  void reset() {
    client = nullptr;
    pending = 0;
    ready = false;
    merge = MergeKind::kNone;
    miss = MissReply::kNone;
    fragments.clear();
    key_fragment.clear();
    reply.clear();
    // Pooled requests keep a small reply buffer: replies that arrive before
    // their turn are common under pipelining.
    if (reply.capacity() > kKeepReplyCapacity) reply.release_if_empty();
  }
};

class RequestPool {
 public:
  Request* acquire() {
    if (free_.empty()) {
      all_.push_back(std::make_unique<Request>());
      return all_.back().get();
    }
    Request* r = free_.back();
    free_.pop_back();
    return r;
  }
  void release(Request* r) {
    r->reset();
    free_.push_back(r);
  }
  size_t in_use() const { return all_.size() - free_.size(); }

 private:
  std::vector<std::unique_ptr<Request>> all_;
  std::vector<Request*> free_;
};

}  // namespace ringproxy
