// Issue 15, defect 6: --client-output-limit did not bound memory.
#include <atomic>
#include <future>
#include <string>
#include <vector>

#include "core_test_util.hpp"
#include "reliability_test_util.hpp"

namespace ringproxy::testing {
namespace {

using Clock = std::chrono::steady_clock;
using core::contains;

// Defect 6: --client-output-limit only stopped reading; replies already owed
// kept arriving, and replies stored in requests waiting for their turn were
// not counted at all. The hard limit closes such a client.

class OutputHardLimit : public FakeBackendTest {
 protected:
  std::vector<std::string> proxy_args() const override {
    return {"--client-output-limit", "1mb", "--client-output-hard-limit", "8mb"};
  }
};

TEST_F(OutputHardLimit, ClientThatDoesNotReadIsClosed) {
  const std::string value(100 * 1000, 'v');
  FakeBackend* self = nullptr;
  FakeBackend fake([&](FakeBackend::Session& s, const std::vector<std::string>& argv) {
    // Every GET answers a 100 KB value at once.
    s.send(argv[0] == "GET" ? "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n"
                            : self->basic_reply(argv));
  });
  self = &fake;
  fakes_ = {&fake};
  start_proxy();
  RawConnection raw = proxy_raw(Duration(30000));
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst += get_cmd("big");
  raw.send(burst);
  // 2,000 x 100 KB owed to a client that reads nothing: past what the
  // sockets' buffers hold, closed at the hard limit instead of holding 200 MB
  // for it. (Then everything buffered is read, and the close.)
  EXPECT_TRUE(raw.wait_closed(Duration(30000)));
  Client c = proxy_client();
  EXPECT_EQ(info_number(c, "client_output_buffer_limit_disconnections"), 1u);
  EXPECT_TRUE(contains(proxy().log(), "client-output-hard-limit")) << proxy().log_tail();
  EXPECT_EQ(c.command({"GET", "big"}), Reply::make_string(value));
}

// Replies that arrive before their turn wait in their request; they count
// towards the client's output too. Here the head request is held by a fake
// backend while 100 KB replies for the requests behind it pile up.
class OwedRepliesCount : public FakeBackendTest {
 protected:
  size_t backend_count() const override { return 1; }  // a real redis after the fake
  std::vector<std::string> proxy_args() const override {
    // The fake holds a GET on purpose: no timeout, and no stall detection
    // (under load it could answer the held GET as a miss before the replies
    // behind it reach the limit).
    return {"--client-output-limit", "1mb", "--client-output-hard-limit", "8mb",
            "--timeout-ms",          "0",   "--stall-timeout-ms",         "0"};
  }
};

TEST_F(OwedRepliesCount, StoredRepliesCountTowardsTheHardLimit) {
  std::atomic<bool> hold{false};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  FakeBackend* self = nullptr;
  FakeBackend fake([&](FakeBackend::Session& s, const std::vector<std::string>& argv) {
    if (hold && argv[0] == "GET") released.wait();
    s.send(self->basic_reply(argv));
  });
  self = &fake;
  fakes_ = {&fake};
  struct Release {
    std::promise<void>& p;
    ~Release() { p.set_value(); }
  } release_on_exit{release};
  start_proxy();
  Client c = proxy_client();
  // One key on the fake (backend 0) and one on the real redis (backend 1).
  std::string held, big;
  for (int i = 0; (held.empty() || big.empty()) && i < 1000; ++i) {
    std::string k = "k" + std::to_string(i);
    size_t before = fake.requests_named("get");
    c.command({"GET", k});
    (fake.requests_named("get") > before ? held : big) = k;
  }
  ASSERT_FALSE(held.empty() || big.empty());
  ASSERT_EQ(c.command({"SET", big, std::string(100 * 1000, 'v')}), Reply::make_status("OK"));
  hold = true;
  RawConnection raw = proxy_raw(Duration(30000));
  std::string burst = get_cmd(held);
  for (int i = 0; i < 200; ++i) burst += get_cmd(big);
  raw.send(burst);
  // Nothing can be written (the head waits), 20 MB of replies wait behind it.
  EXPECT_TRUE(raw.wait_closed(Duration(20000)));
  EXPECT_EQ(raw.buffered(), "");
  EXPECT_EQ(info_number(c, "client_output_buffer_limit_disconnections"), 1u);
}

}  // namespace
}  // namespace ringproxy::testing
