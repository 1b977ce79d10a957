// Deferred work on the flush pass (resume_soon, close_soon): each queued
// connection's work runs once, at the start of the next pass, and a closed or
// destroyed connection is never reached, whatever order things happen in.
#include <gtest/gtest.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ringproxy/net/connection.hpp"

namespace ringproxy {
namespace {

// Records its deferred work and its close; no socket.
class Conn : public Connection {
 public:
  Conn(FlushScheduler& flusher, std::string name, std::vector<std::string>& log)
      : Connection(flusher), name_(std::move(name)), log_(log) {}

  std::function<void()> on_resume_do;

  void flush() override {}
  void start_reading() override { reading_ = true; }
  void stop_reading() override { reading_ = false; }
  void close() override {
    if (begin_close()) log_.push_back(name_ + " closed");
  }

 protected:
  void on_resume() override {
    log_.push_back(name_ + " resumed");
    if (on_resume_do) on_resume_do();
  }
  void alloc_buffer(size_t, uv_buf_t*) override {}
  void on_read(ssize_t, const uv_buf_t*) override {}
  void on_write_error(int) override {}

 private:
  std::string name_;
  std::vector<std::string>& log_;
};

using Log = std::vector<std::string>;

class DeferredWorkTest : public ::testing::Test {
 protected:
  DeferredWorkTest() {
    uv_loop_init(&loop_);
    flusher_ = std::make_unique<FlushScheduler>(&loop_);
  }
  ~DeferredWorkTest() override {
    flusher_.reset();
    uv_run(&loop_, UV_RUN_NOWAIT);  // lets the scheduler's check handle close
    uv_loop_close(&loop_);
  }

  uv_loop_t loop_{};
  std::unique_ptr<FlushScheduler> flusher_;
  Log log_;
};

TEST_F(DeferredWorkTest, ResumesOnceAtTheNextPass) {
  Conn a(*flusher_, "a", log_);
  a.resume_soon();
  a.resume_soon();
  EXPECT_TRUE(log_.empty());
  flusher_->flush_all();
  EXPECT_EQ(log_, Log{"a resumed"});
  flusher_->flush_all();
  EXPECT_EQ(log_, Log{"a resumed"});
  EXPECT_TRUE(flusher_->deferred_empty());
}

// Issue 15, defect 1: a paused client was closed once its replies were out
// and then queued for resuming; the pass read it after it was freed.
TEST_F(DeferredWorkTest, AClosedConnectionIsNeverResumed) {
  Conn closed_after(*flusher_, "queued then closed", log_);
  closed_after.resume_soon();
  closed_after.close();
  Conn closed_before(*flusher_, "closed then queued", log_);
  closed_before.close();
  closed_before.resume_soon();
  closed_before.close_soon();
  EXPECT_TRUE(flusher_->deferred_empty());
  flusher_->flush_all();
  EXPECT_EQ(log_, (Log{"queued then closed closed", "closed then queued closed"}));
}

TEST_F(DeferredWorkTest, ADestroyedConnectionLeavesTheQueue) {
  Conn b(*flusher_, "b", log_);
  {
    Conn a(*flusher_, "a", log_);
    a.resume_soon();
    b.resume_soon();
  }
  flusher_->flush_all();
  EXPECT_EQ(log_, Log{"b resumed"});
}

TEST_F(DeferredWorkTest, AConnectionClosedByAnothersWorkIsSkipped) {
  Conn a(*flusher_, "a", log_);
  Conn b(*flusher_, "b", log_);
  Conn c(*flusher_, "c", log_);
  a.on_resume_do = [&] { b.close(); };
  a.resume_soon();
  b.resume_soon();
  c.resume_soon();
  flusher_->flush_all();
  EXPECT_EQ(log_, (Log{"a resumed", "b closed", "c resumed"}));
}

TEST_F(DeferredWorkTest, WorkQueuedDuringThePassWaitsForTheNext) {
  Conn a(*flusher_, "a", log_);
  Conn b(*flusher_, "b", log_);
  a.on_resume_do = [&] {
    a.on_resume_do = nullptr;
    b.resume_soon();
    a.resume_soon();
  };
  a.resume_soon();
  flusher_->flush_all();
  EXPECT_EQ(log_, Log{"a resumed"});
  flusher_->flush_all();
  EXPECT_EQ(log_, (Log{"a resumed", "b resumed", "a resumed"}));
}

TEST_F(DeferredWorkTest, CloseSoonStopsWorkNowAndClosesAtThePass) {
  Conn a(*flusher_, "a", log_);
  a.start_reading();
  a.resume_soon();
  a.close_soon();
  EXPECT_TRUE(a.closing());
  EXPECT_FALSE(a.reading());
  a.resume_soon();  // no effect once closing
  a.out().append("x");
  a.schedule_flush();  // no effect once closing
  EXPECT_TRUE(log_.empty());
  flusher_->flush_all();
  EXPECT_EQ(log_, Log{"a closed"});
  flusher_->flush_all();
  EXPECT_EQ(log_, Log{"a closed"});
}

}  // namespace
}  // namespace ringproxy
