// Membership changes built off the event loop. Building the distributions of
// a big pool takes milliseconds (ketama) to a fraction of a second
// (rendezvous at 1000 backends), so the build runs on libuv's thread pool
// (uv_queue_work) and the result is finished on the loop, at that moment, from
// the control side's current snapshot: members keep the liveness they have
// then, not the one they had when the build started.
//
// Builds are serialized and the latest request wins: a request waiting behind
// a running build is replaced by a newer one (its callback gets kSuperseded
// at once), and a running build whose request was superseded is thrown away
// when it finishes (kSuperseded), the newest one starting then. Every request
// is a complete member list, so the newest one includes what the others
// asked for.
//
// Single-threaded like the loop: call everything from the loop's thread.
// Destroying the rebuilder drops pending work without calling callbacks; a
// build already running finishes on its thread and is discarded (the loop
// must run until then before it is closed).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ringproxy/placement/backend_spec.hpp"
#include "ringproxy/placement/ring_builder.hpp"
#include "ringproxy/placement/ring_snapshot.hpp"

namespace ringproxy {

class RingRebuilder {
 public:
  enum class Status : uint8_t { kDone, kFailed, kSuperseded };
  struct Result {
    Status status = Status::kDone;
    std::shared_ptr<const RingSnapshot> ring;  // kDone: the next snapshot, not yet published
    std::string error;                         // kFailed: why (e.g. a duplicate ring name)
  };
  using Done = std::function<void(Result)>;

  struct Hooks {
    // The snapshot the next one is built from: the control side's latest,
    // with the liveness it has now. Required.
    std::function<std::shared_ptr<const RingSnapshot>()> current;
    // Slots of removed members whose connections have not drained yet (not
    // given to new members). Optional.
    std::function<std::vector<uint32_t>()> draining_slots;
  };

  RingRebuilder(uv_loop_t* loop, Hooks hooks);
  ~RingRebuilder();
  RingRebuilder(const RingRebuilder&) = delete;
  RingRebuilder& operator=(const RingRebuilder&) = delete;

  // Asks for a ring with exactly `members`. options.now_ms and
  // options.draining_slots are filled in at swap time (uv_now, the hook).
  // `done` runs on the loop, later; from inside this call only the callback
  // of the request this one replaces runs (kSuperseded), and this one's if
  // libuv refuses the work (kFailed).
  void request(std::vector<BackendSpec> members, MembershipOptions options, Done done);

  bool busy() const { return running_ != nullptr; }
  uint64_t builds_started() const { return builds_started_; }

 private:
  struct Job;
  struct Request {
    std::vector<BackendSpec> members;
    MembershipOptions options;
    Done done;
  };

  void start(Request req);
  void finished(Job& job, int status);
  static void work_cb(uv_work_t* work);
  static void after_work_cb(uv_work_t* work, int status);

  uv_loop_t* loop_;
  Hooks hooks_;
  Job* running_ = nullptr;            // owned by libuv's request until after_work_cb
  std::unique_ptr<Request> pending_;  // the latest request behind the running build
  uint64_t builds_started_ = 0;
};

}  // namespace ringproxy
