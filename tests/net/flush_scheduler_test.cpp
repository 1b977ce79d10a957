// FlushScheduler: one flush per dirty connection per pass, client-side
// connections before backend-side ones whatever order they became dirty in,
// and output made during the pass (a flush that dirties another connection)
// still leaves in the same pass.
#include <gtest/gtest.h>
#include <uv.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ringproxy/net/connection.hpp"

namespace ringproxy {
namespace {

// Records its flushes; no socket.
class RecordingConnection : public Connection {
 public:
  RecordingConnection(FlushScheduler& flusher, FlushOrder order, std::string name,
                      std::vector<std::string>& log)
      : Connection(flusher, order), name_(std::move(name)), log_(log) {}

  // Queues output and asks for a flush, as the data path does.
  void send(std::string_view bytes) {
    out().append(bytes.data(), bytes.size());
    schedule_flush();
  }
  std::function<void()> on_flush;

  void flush() override {
    log_.push_back(name_);
    out().consume(out().size());
    if (on_flush) on_flush();
  }
  void start_reading() override {}
  void stop_reading() override {}
  void close() override {}

  using Connection::FlushOrder;

 protected:
  void alloc_buffer(size_t, uv_buf_t*) override {}
  void on_read(ssize_t, const uv_buf_t*) override {}
  void on_write_error(int) override {}

 private:
  std::string name_;
  std::vector<std::string>& log_;
};

using Order = RecordingConnection::FlushOrder;

class FlushSchedulerTest : public ::testing::Test {
 protected:
  FlushSchedulerTest() { uv_loop_init(&loop_); }
  ~FlushSchedulerTest() override {
    uv_run(&loop_, UV_RUN_NOWAIT);  // lets the scheduler's check handle close
    uv_loop_close(&loop_);
  }

  uv_loop_t loop_{};
  std::vector<std::string> log_;
};

TEST_F(FlushSchedulerTest, WritesClientsBeforeBackends) {
  FlushScheduler flusher(&loop_);
  RecordingConnection backend1(flusher, Order::kLast, "backend1", log_);
  RecordingConnection client1(flusher, Order::kFirst, "client1", log_);
  RecordingConnection backend2(flusher, Order::kLast, "backend2", log_);
  RecordingConnection client2(flusher, Order::kFirst, "client2", log_);
  backend1.send("a");
  client1.send("b");
  backend2.send("c");
  client2.send("d");
  client1.send("e");  // already dirty: one flush
  flusher.flush_all();
  EXPECT_EQ(log_, (std::vector<std::string>{"client1", "client2", "backend1", "backend2"}));

  log_.clear();
  flusher.flush_all();  // nothing dirty
  EXPECT_TRUE(log_.empty());
}

TEST_F(FlushSchedulerTest, OutputMadeDuringThePassLeavesInIt) {
  FlushScheduler flusher(&loop_);
  RecordingConnection client(flusher, Order::kFirst, "client", log_);
  RecordingConnection backend(flusher, Order::kLast, "backend", log_);
  // A backend write that fails turns into error replies for clients.
  backend.on_flush = [&] {
    backend.on_flush = nullptr;
    client.send("-ERR\r\n");
  };
  backend.send("x");
  flusher.flush_all();
  EXPECT_EQ(log_, (std::vector<std::string>{"backend", "client"}));
}

TEST_F(FlushSchedulerTest, ARemovedConnectionIsNotFlushed) {
  FlushScheduler flusher(&loop_);
  RecordingConnection client(flusher, Order::kFirst, "client", log_);
  {
    RecordingConnection backend(flusher, Order::kLast, "backend", log_);
    backend.send("x");
  }  // destroyed while dirty
  client.send("y");
  flusher.flush_all();
  EXPECT_EQ(log_, (std::vector<std::string>{"client"}));
}

}  // namespace
}  // namespace ringproxy
