// Issue 15, defect 3: large values stalled the loop, and big replies timed out
// while they were still arriving.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core_test_util.hpp"
#include "reliability_test_util.hpp"

namespace ringproxy::testing {
namespace {

using Clock = std::chrono::steady_clock;
using core::contains;

// Defect 3, timeouts: a backend is stalled when it sends nothing for
// --timeout-ms while requests are in flight, not when a big reply takes longer
// than that to arrive.

class SlowReplies : public FakeBackendTest {
 protected:
  std::vector<std::string> proxy_args() const override {
    return {"--timeout-ms", "200", "--health-interval-ms", "100", "--health-timeout-ms", "1000"};
  }
};

TEST_F(SlowReplies, ReplyThatKeepsArrivingNeverTimesOut) {
  FakeBackend* self = nullptr;
  const size_t kSize = 2 * 1000 * 1000;
  FakeBackend fake([&](FakeBackend::Session& s, const std::vector<std::string>& argv) {
    if (argv[0] == "GET" && argv[1] == "trickle") {
      // 2 MB in 25 pieces, 50 ms apart: 1.2 s in all, never 200 ms silent.
      s.send("$" + std::to_string(kSize) + "\r\n");
      for (size_t sent = 0; sent < kSize; sent += kSize / 25) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        s.send(std::string(std::min(kSize / 25, kSize - sent), 't'));
      }
      s.send("\r\n");
      return;
    }
    if (argv[0] == "GET" && argv[1] == "silent") {
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    }
    s.send(self->basic_reply(argv));
  });
  self = &fake;
  fakes_ = {&fake};
  start_proxy();
  Client c = proxy_client(Duration(20000));
  auto start = Clock::now();
  EXPECT_EQ(c.command({"GET", "trickle"}), Reply::make_string(std::string(kSize, 't')));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(1000));
  EXPECT_EQ(backend_field(c, 0, "timeouts"), "0");
  EXPECT_EQ(backend_field(c, 0, "state"), "up");
  EXPECT_FALSE(contains(proxy().log(), "failing")) << proxy().log_tail();
  // A backend that sends nothing at all still times out: the GET is answered
  // as a miss (the default --on-unavailable miss).
  Reply silent = c.command({"GET", "silent"});
  EXPECT_EQ(silent, Reply::make_nil());
  EXPECT_EQ(backend_field(c, 0, "timeouts"), "1");
}

// ---------------------------------------------------------------------------
// Defect 3, the loop: a 200 MB SET and GET through the proxy must not stop it
// from answering another client (its PINGs are answered by the proxy itself,
// so their latency is the loop's), nor its health checks. The backend is a
// fake that stores values and answers at once, so only the proxy can stall
// (a real redis-server copying a 200 MB reply stalls its own clients).

class LargeValues : public FakeBackendTest {
 protected:
  // Generous timeouts: on a loaded machine the fake (in the test process,
  // beside the client's own copies of the value) may itself be slow.
  std::vector<std::string> proxy_args() const override {
    return {"--health-interval-ms", "100", "--health-timeout-ms", "10000", "--timeout-ms", "60000"};
  }
};

TEST_F(LargeValues, BigTransfersDoNotStallOtherClients) {
  FakeBackend* self = nullptr;
  std::shared_ptr<const std::string> stored;  // the big value, kept by the fake
  FakeBackend fake([&](FakeBackend::Session& s, const std::vector<std::string>& argv) {
    if (argv[0] == "SET" && argv[1] == "big") {
      stored = std::make_shared<const std::string>(argv[2]);
      s.send("+OK\r\n");
    } else if (argv[0] == "GET" && argv[1] == "big" && stored) {
      s.send("$" + std::to_string(stored->size()) + "\r\n");
      s.send(*stored);
      s.send("\r\n");
    } else {
      s.send(self->basic_reply(argv));
    }
  });
  self = &fake;
  fakes_ = {&fake};
  start_proxy();
#ifdef RINGPROXY_SANITIZE_BUILD
  // Under ASan, realloc copies (release builds remap a big block's pages):
  // a smaller value and a looser bound keep the test about the loop.
  const size_t kSize = 50 * 1000 * 1000;
  const int64_t kBoundMs = 2000;
#else
  const size_t kSize = 200 * 1000 * 1000;
  const int64_t kBoundMs = 500;
#endif
  std::string value(kSize, 'x');
  for (size_t i = 0; i < kSize; i += 4096) value[i] = static_cast<char>('a' + (i / 4096) % 26);
  std::atomic<bool> done{false};
  std::atomic<int64_t> worst_us{0};
  std::atomic<uint64_t> pings{0};
  std::thread pinger([&] {
    Client p = proxy_client();
    while (!done) {
      auto t0 = Clock::now();
      Reply r = p.command({"PING"});
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
      if (r != Reply::make_status("PONG")) ADD_FAILURE() << "PING got " << r;
      worst_us = std::max<int64_t>(worst_us, us);
      pings++;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  {
    // Raw bytes: a client library's own buffering of 200 MB (hiredis grows
    // its reader 1 MB at a time) is not what this measures.
    RawConnection big = proxy_raw(Duration(120000));
    const std::string header = "$" + std::to_string(kSize) + "\r\n";
    auto t0 = Clock::now();
    big.send("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n" + header);
    big.send(value);
    big.send("\r\n");
    EXPECT_EQ(big.read_reply_bytes(), "+OK\r\n");
    auto t1 = Clock::now();
    big.send(get_cmd("big"));
    std::string got = big.read_reply_bytes();
    auto t2 = Clock::now();
    EXPECT_TRUE(got.size() == header.size() + kSize + 2 && got.starts_with(header) &&
                std::string_view(got).substr(header.size(), kSize) == value)
        << "GET big: " << got.size() << " bytes " << got.substr(0, 200);
    std::cout << kSize / 1000000 << " MB SET " << std::chrono::duration<double>(t1 - t0).count()
              << " s, GET " << std::chrono::duration<double>(t2 - t1).count() << " s\n";
  }
  done = true;
  pinger.join();
  std::cout << "PINGs meanwhile: " << pings << ", slowest " << worst_us / 1000 << " ms\n";
  // A pass of the loop does at most one read or write per connection, each
  // bounded by the socket buffers (a few MB, milliseconds of copying), and
  // never copies a value whole; the bound leaves room for a loaded CI
  // machine. A loop held for the whole transfer (what it did before) stalls
  // for seconds.
  EXPECT_LT(worst_us, kBoundMs * 1000);
  EXPECT_FALSE(contains(proxy().log(), "failing")) << proxy().log_tail();
  EXPECT_FALSE(contains(proxy().log(), "timed out")) << proxy().log_tail();
}

}  // namespace
}  // namespace ringproxy::testing
