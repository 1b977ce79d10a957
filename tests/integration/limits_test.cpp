// The proxy's protocol limits (--max-bulk-len, --max-args, --max-inline-len,
// --query-buffer-limit) and a proxy out of file descriptors.
#include <sys/resource.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core_test_util.hpp"

namespace ringproxy::testing::core {
namespace {

using namespace std::string_literals;

// Each test starts its proxy with its own limits.
class CoreLimits : public CoreClusterTest {
 protected:
  bool start_proxy_in_setup() const override { return false; }
};

TEST_F(CoreLimits, BulkArgsAndInlineLimits) {
  start_proxy({"--max-bulk-len", "1000", "--max-args", "10", "--max-inline-len", "100"});
  {  // At the limits: fine.
    Client c = proxy_client();
    EXPECT_EQ(c.command({"SET", "k", std::string(1000, 'v')}), ok());
    EXPECT_EQ(c.command({"DEL", "a", "b", "c", "d", "e", "f", "g", "h", "k"}), num(1));
    RawConnection raw = proxy_raw(Duration(5000));
    // At most max-inline-len bytes before the '\n', the '\r' included.
    raw.send("ECHO " + std::string(94, 'i') + "\r\n");
    EXPECT_EQ(raw.read_reply(), str(std::string(94, 'i')));
  }
  struct Case {
    std::string bytes;
    std::string error;
  };
  const std::vector<Case> cases = {
      {encode_command({"SET", "k", std::string(1001, 'v')}),
       "-ERR Protocol error: invalid bulk length\r\n"},
      {encode_command({"DEL", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}),
       "-ERR Protocol error: invalid multibulk length\r\n"},
      {"ECHO " + std::string(200, 'i') + "\r\n", "-ERR Protocol error: too big inline request\r\n"},
      {std::string(300, 'i'), "-ERR Protocol error: too big inline request\r\n"},
  };
  for (const Case& k : cases) {
    RawConnection raw = proxy_raw(Duration(5000));
    raw.send("PING\r\n" + k.bytes);
    EXPECT_EQ(raw.read_until_closed(), "+PONG\r\n" + k.error)
        << ::testing::PrintToString(k.bytes.substr(0, 40));
  }
  EXPECT_EQ(proxy_client().command({"EXISTS", "k"}), num(0));
}

TEST_F(CoreLimits, QueryBufferLimit) {
  start_proxy({"--query-buffer-limit", "65536"});
  RawConnection raw = proxy_raw(Duration(5000));
  raw.send("PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1000000\r\n");
  EXPECT_EQ(raw.read_reply_bytes(), "+PONG\r\n");
  // Unparsed input beyond the limit: error, close. The proxy may close
  // while we still write, so send errors are fine.
  try {
    std::string chunk(16384, 'q');
    for (int i = 0; i < 16 && !raw.wait_closed(Duration(0)); ++i) raw.send(chunk);
  } catch (const IoError&) {
  }
  std::string rest = raw.wait_closed(Duration(5000)) ? raw.buffered() : "(still open)";
  EXPECT_TRUE(contains(rest, "-ERR Protocol error:")) << ::testing::PrintToString(rest);
  EXPECT_TRUE(contains(rest, "query buffer")) << ::testing::PrintToString(rest);
  EXPECT_EQ(proxy_client().command({"EXISTS", "q"}), num(0));
}

// Lowers this process's soft descriptor limit while in scope; children
// started meanwhile keep the lower one.
class ScopedFdLimit {
 public:
  explicit ScopedFdLimit(rlim_t soft) {
    if (::getrlimit(RLIMIT_NOFILE, &saved_) != 0) throw HarnessError("getrlimit failed");
    rlimit lower = saved_;
    lower.rlim_cur = soft;
    if (::setrlimit(RLIMIT_NOFILE, &lower) != 0) throw HarnessError("setrlimit failed");
  }
  ~ScopedFdLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  ScopedFdLimit(const ScopedFdLimit&) = delete;
  ScopedFdLimit& operator=(const ScopedFdLimit&) = delete;

 private:
  rlimit saved_{};
};

// Past its descriptor limit the proxy closes each connection it cannot take
// (the client sees a close, never a hang, and the listener does not spin),
// counts it in INFO, and serves new clients again once others leave.
TEST_F(CoreLimits, OutOfDescriptorsClosesNewClientsAndRecovers) {
  {
    ScopedFdLimit limit(64);  // the proxy's own sockets and files take about 20
    start_proxy();
  }
  constexpr int kClients = 100;
  std::vector<RawConnection> served;
  int dropped = 0;
  for (int i = 0; i < kClients; ++i) {
    RawConnection raw = proxy_raw(Duration(5000));
    raw.send("PING\r\n");
    try {
      EXPECT_EQ(raw.read_reply_bytes(), "+PONG\r\n");
      served.push_back(std::move(raw));
    } catch (const TimeoutError& e) {
      FAIL() << "client " << i << " neither served nor closed: " << e.what();
    } catch (const IoError&) {
      dropped++;  // closed (or reset) by the proxy
    }
  }
  EXPECT_GE(served.size(), 20u);
  EXPECT_GE(dropped, 1);
  EXPECT_EQ(static_cast<int>(served.size()) + dropped, kClients);

  // Once the served clients leave, new ones are served again.
  served.clear();
  std::string info;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);;) {
    try {
      info = proxy_client(Duration(2000)).command({"INFO"}).str;
      break;
    } catch (const IoError&) {
      // The proxy had not seen every close yet, so it dropped this one too.
      dropped++;
      if (std::chrono::steady_clock::now() > deadline) FAIL() << "not serving after clients left";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_EQ(info_field(info, "rejected_connections"), std::to_string(dropped));
  EXPECT_TRUE(contains(proxy_->log(), "client connection dropped")) << proxy_->log_tail();
}

}  // namespace
}  // namespace ringproxy::testing::core
