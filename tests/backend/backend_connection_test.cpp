// BackendConnection against an in-process TCP peer that answers whatever the
// test writes: replies are matched to requests in order, a connection whose
// replies cannot be its requests' (one too many, or of a kind the command
// cannot produce) is closed before the reply reaches anyone, and a request
// times out after --timeout-ms without any byte moving, not after
// --timeout-ms in all.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "ringproxy/backend/backend.hpp"
#include "ringproxy/net/connection.hpp"

namespace ringproxy {
namespace {

using namespace resp;  // NOLINT: the kind bits read best unqualified here

struct Delivered {
  int request;
  std::string bytes;
  bool failed;
};

class RecordingEvents : public BackendEvents {
 public:
  void on_reply(Request* req, uint32_t, std::string_view reply) override {
    delivered.push_back({id(req), std::string(reply), false});
  }
  void on_failure(Request* req, uint32_t, std::string_view error) override {
    delivered.push_back({id(req), std::string(error), true});
  }
  void on_backend_error(Backend&, std::string_view reason) override { errors.emplace_back(reason); }
  void on_backend_connected(Backend&) override { connected = true; }

  std::vector<Delivered> delivered;
  std::vector<std::string> errors;
  bool connected = false;

 private:
  static int id(Request* req) { return static_cast<int>(reinterpret_cast<intptr_t>(req)); }
};

// Requests are opaque to the backend: small integers stand for them.
Request* request(int n) {
  return reinterpret_cast<Request*>(static_cast<intptr_t>(n));
}

class BackendConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    flusher_ = std::make_unique<FlushScheduler>(&loop_);
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener_, 4), 0);
    socklen_t len = sizeof addr;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    spec_.host = "127.0.0.1";
    spec_.port = ntohs(addr.sin_port);
    spec_.ring_name = "127.0.0.1:" + std::to_string(spec_.port);
  }
  void TearDown() override {
    backend_.reset();                // fails what is left and closes its connection
    uv_run(&loop_, UV_RUN_DEFAULT);  // the connection is deleted in its close callback
    flusher_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
    if (peer_ >= 0) ::close(peer_);
    ::close(listener_);
  }

  // A connected BackendConnection, and the peer's end of it.
  BackendConnection* connect(int timeout_ms = 0) {
    BackendOptions options;
    options.timeout_ms = timeout_ms;
    backend_ = std::make_unique<Backend>(0, spec_, options, 1, &loop_, *flusher_, events_);
    backend_->resolve();
    BackendConnection* c = backend_->connection_for(0, uv_now(&loop_));
    run_until([&] { return events_.connected; });
    peer_ = ::accept(listener_, nullptr, nullptr);
    return c;
  }
  // Sends a request and expects a reply of `kinds`.
  void send(BackendConnection* c, int req, ReplyTypes kinds, uint32_t swallow = 0) {
    c->out().append("*1\r\n$4\r\nPING\r\n");
    c->expect_reply(request(req), 0, swallow, uv_now(&loop_), kinds);
    flusher_->flush_all();
  }
  void peer_writes(std::string_view bytes) {
    ASSERT_EQ(::send(peer_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  void run_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) uv_run(&loop_, UV_RUN_NOWAIT);
    ASSERT_TRUE(done());
  }

  uv_loop_t loop_{};
  std::unique_ptr<FlushScheduler> flusher_;
  RecordingEvents events_;
  std::unique_ptr<Backend> backend_;
  BackendSpec spec_;
  int listener_ = -1;
  int peer_ = -1;
};

TEST_F(BackendConnectionTest, RepliesGoToTheirRequestsInOrder) {
  BackendConnection* c = connect();
  send(c, 1, kBulk | kNilBulk);
  send(c, 2, kInteger);
  send(c, 3, kStatus);
  peer_writes("$1\r\nx\r\n:5\r\n-ERR no\r\n");  // an error answers anything
  run_until([&] { return events_.delivered.size() == 3; });
  EXPECT_EQ(events_.delivered[0].bytes, "$1\r\nx\r\n");
  EXPECT_EQ(events_.delivered[1].bytes, ":5\r\n");
  EXPECT_EQ(events_.delivered[2].bytes, "-ERR no\r\n");
  EXPECT_EQ(backend_->stats().out_of_step, 0u);
}

// Issue 15, defect 7: a backend that answers twice shifted its second answer
// onto the next request, which may be another client's.
TEST_F(BackendConnectionTest, AReplyOfAKindItsCommandCannotProduceClosesTheConnection) {
  BackendConnection* c = connect();
  send(c, 1, kBulk | kNilBulk);                        // GET
  send(c, 2, kInteger);                                // INCR
  send(c, 3, kStatus);                                 // SET
  peer_writes("$1\r\nx\r\n$1\r\nx\r\n:1\r\n+OK\r\n");  // GET answered twice
  run_until([&] { return events_.delivered.size() == 3; });
  EXPECT_EQ(events_.delivered[0].bytes, "$1\r\nx\r\n");
  EXPECT_FALSE(events_.delivered[0].failed);
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(events_.delivered[i].request, i + 1);
    EXPECT_TRUE(events_.delivered[i].failed);  // never the shifted reply
    EXPECT_NE(events_.delivered[i].bytes.find("out of step"), std::string::npos);
  }
  EXPECT_EQ(backend_->stats().out_of_step, 1u);
  EXPECT_EQ(events_.errors.size(), 1u);
  EXPECT_EQ(backend_->open_connections(), 0u);
}

TEST_F(BackendConnectionTest, AReplyWithNoRequestOutstandingClosesTheConnection) {
  BackendConnection* c = connect();
  send(c, 1, kInteger);
  peer_writes(":1\r\n:1\r\n");
  run_until([&] { return backend_->stats().out_of_step == 1; });
  ASSERT_EQ(events_.delivered.size(), 1u);
  EXPECT_EQ(events_.delivered[0].bytes, ":1\r\n");
  EXPECT_EQ(backend_->open_connections(), 0u);
}

TEST_F(BackendConnectionTest, SwallowedRepliesMustBeStatuses) {
  BackendConnection* c = connect();
  send(c, 1, kArray | kNilArray, 2);  // MULTI, one command, EXEC
  peer_writes("+OK\r\n+QUEUED\r\n*1\r\n:1\r\n");
  run_until([&] { return events_.delivered.size() == 1; });
  EXPECT_EQ(events_.delivered[0].bytes, "*1\r\n:1\r\n");
  send(c, 2, kArray | kNilArray, 2);
  peer_writes("+OK\r\n:1\r\n");  // a command's own reply where +QUEUED belongs
  run_until([&] { return events_.delivered.size() == 2; });
  EXPECT_TRUE(events_.delivered[1].failed);
  EXPECT_EQ(backend_->stats().out_of_step, 1u);
}

// Issue 15, defect 3: a 500 MB reply that kept arriving timed out after 5 s.
TEST_F(BackendConnectionTest, TimeoutsMeasureSilenceNotDuration) {
  BackendConnection* c = connect(100);
  send(c, 1, kBulk | kNilBulk);
  const uint64_t sent = c->progress_ms();
  backend_->check_timeouts(sent + 99);
  EXPECT_TRUE(events_.delivered.empty());
  // Part of the reply arrives later: the clock restarts.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  peer_writes("$6\r\nabc");
  run_until([&] { return c->progress_ms() > sent; });
  const uint64_t heard = c->progress_ms();
  backend_->check_timeouts(sent + 100);  // 100 ms after the send, but not silent that long
  EXPECT_TRUE(events_.delivered.empty());
  EXPECT_EQ(backend_->stats().timeouts, 0u);
  backend_->check_timeouts(heard + 100);  // silent for --timeout-ms: timed out
  ASSERT_EQ(events_.delivered.size(), 1u);
  EXPECT_TRUE(events_.delivered[0].failed);
  EXPECT_NE(events_.delivered[0].bytes.find("timed out"), std::string::npos);
  EXPECT_EQ(backend_->stats().timeouts, 1u);
}

TEST_F(BackendConnectionTest, ABigRequestTheBackendKeepsTakingIsProgress) {
  BackendConnection* c = connect(100);
  // More than the socket buffers hold: the rest waits in a uv_write.
  c->out().append(std::string(32 * 1024 * 1024, 'x'));
  c->expect_reply(request(1), 0, 0, uv_now(&loop_), kStatus);
  flusher_->flush_all();
  const uint64_t sent = c->progress_ms();
  ASSERT_GT(c->pending_output(), 0u);
  // The peer reads some of it: the check that sees more sent counts it.
  std::vector<char> sink(1 << 20);
  size_t taken = 0;
  while (taken < 8u * 1024 * 1024) {
    ssize_t n = ::recv(peer_, sink.data(), sink.size(), 0);
    ASSERT_GT(n, 0);
    taken += static_cast<size_t>(n);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  run_until([&] { return c->bytes_written() >= 8u * 1024 * 1024; });
  backend_->check_timeouts(sent + 50);
  EXPECT_EQ(c->progress_ms(), sent + 50);
  backend_->check_timeouts(sent + 149);  // 149 ms since the send, 99 since progress
  EXPECT_TRUE(events_.delivered.empty());
  backend_->check_timeouts(sent + 150);  // the peer stopped taking: silent for 100 ms
  ASSERT_EQ(events_.delivered.size(), 1u);
  EXPECT_NE(events_.delivered[0].bytes.find("timed out"), std::string::npos);
}

}  // namespace
}  // namespace ringproxy
