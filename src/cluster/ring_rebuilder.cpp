// See ring_rebuilder.hpp.
#include "ringproxy/cluster/ring_rebuilder.hpp"

#include <exception>
#include <stdexcept>
#include <utility>

namespace ringproxy {

// One build: what the thread pool reads and writes. libuv owns it from
// uv_queue_work until after_work_cb, which frees it.
struct RingRebuilder::Job {
  uv_work_t work{};
  RingRebuilder* owner = nullptr;  // null once the rebuilder is gone
  Request request;
  DistributionKind kind = DistributionKind::kKetama;
  std::vector<bool> expected_live;
  // Written on the thread pool, read on the loop after it is done.
  MembershipBuild build;
  bool failed = false;
  std::string error;
};

RingRebuilder::RingRebuilder(uv_loop_t* loop, Hooks hooks) : loop_(loop), hooks_(std::move(hooks)) {
  if (loop_ == nullptr || !hooks_.current) {
    throw std::invalid_argument("ring rebuilder: needs a loop and a current-snapshot hook");
  }
}

RingRebuilder::~RingRebuilder() {
  if (running_ == nullptr) return;
  running_->owner = nullptr;
  // Fails when the build is already running: after_work_cb then frees the
  // job when it is done.
  uv_cancel(reinterpret_cast<uv_req_t*>(&running_->work));
}

void RingRebuilder::request(std::vector<BackendSpec> members, MembershipOptions options,
                            Done done) {
  Request req{std::move(members), std::move(options), std::move(done)};
  if (running_ == nullptr) {
    start(std::move(req));
    return;
  }
  std::unique_ptr<Request> replaced = std::move(pending_);
  pending_ = std::make_unique<Request>(std::move(req));
  if (replaced && replaced->done) replaced->done({Status::kSuperseded, nullptr, ""});
}

void RingRebuilder::start(Request req) {
  const std::shared_ptr<const RingSnapshot> current = hooks_.current();
  auto job = std::make_unique<Job>();
  job->owner = this;
  job->kind = current->params().distribution;
  job->expected_live = live_mask(carried_liveness(*current, req.members, req.options.joining));
  job->request = std::move(req);
  job->work.data = job.get();
  const int rc = uv_queue_work(loop_, &job->work, work_cb, after_work_cb);
  if (rc != 0) {
    if (job->request.done) {
      job->request.done(
          {Status::kFailed, nullptr, std::string("uv_queue_work: ") + uv_strerror(rc)});
    }
    return;
  }
  running_ = job.release();
  ++builds_started_;
}

void RingRebuilder::work_cb(uv_work_t* work) {
  Job& job = *static_cast<Job*>(work->data);
  try {
    job.build =
        build_membership(job.kind, std::move(job.request.members), std::move(job.expected_live));
  } catch (const std::exception& e) {
    job.failed = true;
    job.error = e.what();
  }
}

void RingRebuilder::after_work_cb(uv_work_t* work, int status) {
  std::unique_ptr<Job> job(static_cast<Job*>(work->data));
  if (job->owner != nullptr) job->owner->finished(*job, status);
}

void RingRebuilder::finished(Job& job, int status) {
  running_ = nullptr;
  Done done = std::move(job.request.done);
  Result result;
  if (pending_) {
    // Superseded: start the newest first, so a callback that asks again
    // queues behind it.
    std::unique_ptr<Request> next = std::move(pending_);
    start(std::move(*next));
    result.status = Status::kSuperseded;
  } else if (status != 0) {
    result.status = Status::kFailed;
    result.error = std::string("ring build: ") + uv_strerror(status);
  } else if (job.failed) {
    result.status = Status::kFailed;
    result.error = std::move(job.error);
  } else {
    try {
      MembershipOptions options = std::move(job.request.options);
      options.now_ms = uv_now(loop_);
      if (hooks_.draining_slots) options.draining_slots = hooks_.draining_slots();
      result.ring = finish_membership(*hooks_.current(), std::move(job.build), options);
    } catch (const std::exception& e) {
      result.status = Status::kFailed;
      result.error = e.what();
    }
  }
  if (done) done(std::move(result));
}

}  // namespace ringproxy
