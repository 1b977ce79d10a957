// A client request in flight, from parse to the reply written back in order.
//
// A request has one fragment (part) per backend it was sent to: one for a
// single-key command, several for split (MGET/MSET/DEL/...) and fan-out
// (DBSIZE/KEYS/...) commands. The handler that sent it answers its parts'
// failures and, for a merged request, merges the parts' replies
// (CommandHandler). A reply that passes through (one part, no merge) is
// copied straight to the client's output when the request is next in line;
// only replies that must wait or be merged are stored.
//
// Requests come from a free list (RequestPool) and keep their vectors' capacity
// when recycled, so the steady state allocates nothing per request.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ringproxy/commands/command_table.hpp"
#include "ringproxy/commands/ring_view.hpp"
#include "ringproxy/common/buffer.hpp"
#include "ringproxy/resp/reply_type.hpp"

namespace ringproxy {

class CommandHandler;
class Session;

struct Fragment {
  BackendId backend = kNoBackend;
  bool done = false;
  std::string reply;  // stored reply bytes (merged requests only)
};

struct Request {
  static constexpr size_t kKeepReplyCapacity = 16 * 1024;
  Session* session = nullptr;               // null once the client has gone
  const CommandHandler* handler = nullptr;  // answers failed parts, merges
  uint32_t pending = 0;                     // fragments still waiting for a reply
  bool ready = false;                       // reply complete (in `reply`)
  bool merge = false;                       // parts are stored and merged by `handler`
  MissReply miss = MissReply::kNone;        // the command's miss answer (--on-unavailable miss)
  bool write = false;                       // may modify data (its outcome is unknown if lost)
  bool fast = false;                        // Redis answers it promptly (@fast): stall detection
  uint32_t command = 0;                     // its command (CommandContext::command_id)
  uint64_t start_ns = 0;                    // clock of the read that parsed it (latency)
  uint32_t miss_count = 0;                  // nils in an array-of-nils miss answer
  std::vector<Fragment> fragments;
  std::vector<uint32_t> key_fragment;         // MGET: fragment index of each key, in key order
  Buffer reply;                               // the reply when it must wait for its turn
  resp::ReplyTypes expect = resp::kAnyReply;  // kinds of reply its command can produce
  // Migration window: the key's previous home, asked when the new home
  // answers the miss (then kNoBackend), with the request's bytes kept for it.
  BackendId window_from = kNoBackend;
  bool window_asked = false;  // the reply now being waited for is the previous home's
  uint64_t window_lane = 0;   // RingView::key_lane of the key
  std::string window_request;
  // Of the reply bytes stored here, how many its client counts in its output
  // (ClientConnection::account), so the count can be taken back exactly.
  size_t counted_bytes = 0;

  // Reply bytes held for the client: the reply, or the parts still to merge.
  size_t stored_bytes() const {
    size_t n = reply.size();
    for (const Fragment& f : fragments) n += f.reply.size();
    return n;
  }

  void reset() {
    session = nullptr;
    handler = nullptr;
    pending = 0;
    ready = false;
    merge = false;
    miss = MissReply::kNone;
    write = false;
    fast = false;
    miss_count = 0;
    expect = resp::kAnyReply;
    counted_bytes = 0;
    window_from = kNoBackend;
    window_asked = false;
    window_request.clear();
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
