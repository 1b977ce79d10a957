// A libuv loop for tests whose client side blocks: handles are created on the
// test's thread before start(), the loop runs on a thread of its own until
// stop(), then the handles are destroyed on the test's thread again and the
// destructor drains their close callbacks, checking that nothing was leaked.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <thread>

namespace ringproxy::stats {

class LoopThread {
 public:
  LoopThread() {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &stop_, [](uv_async_t* a) { uv_stop(a->loop); });
  }
  ~LoopThread() {
    stop();
    uv_close(reinterpret_cast<uv_handle_t*>(&stop_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);  // close callbacks of everything destroyed meanwhile
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  uv_loop_t* loop() { return &loop_; }
  void start() {
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  // Returns once the loop has stopped; the test's thread owns it again.
  void stop() {
    if (!thread_.joinable()) return;
    uv_async_send(&stop_);
    thread_.join();
  }

 private:
  uv_loop_t loop_{};
  uv_async_t stop_{};
  std::thread thread_;
};

}  // namespace ringproxy::stats
