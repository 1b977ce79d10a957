// SocketPoller on a bare libuv loop with socketpairs: events reach their
// watcher through the loop, a watcher closed during a batch gets none of that
// batch's remaining events, retired watchers outlive the callback that
// retired them, and the loop runs only while sockets are registered.
#include "ringproxy/net/socket_poller.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <functional>
#include <memory>

#include "ringproxy/common/unique_fd.hpp"

namespace ringproxy {
namespace {

struct Counters {
  int calls = 0;
  int deleted = 0;
};

class TestWatcher final : public SocketPoller::Watcher {
 public:
  TestWatcher(Counters& counters, UniqueFd fd) : counters_(counters), fd_(std::move(fd)) {}
  ~TestWatcher() override { counters_.deleted++; }
  void on_socket_events(uint32_t events) override {
    counters_.calls++;
    last_events = events;
    if (on_event) on_event();
  }
  int fd() const { return fd_.get(); }

  std::function<void()> on_event;
  uint32_t last_events = 0;

 private:
  Counters& counters_;
  UniqueFd fd_;
};

class SocketPollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    poller_ = std::make_unique<SocketPoller>(&loop_);
  }
  void TearDown() override {
    poller_.reset();  // closes its handles
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  // A watcher on one end of a socketpair; `peer` gets the other end.
  std::unique_ptr<TestWatcher> make(UniqueFd& peer) {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    peer.reset(sv[1]);
    return std::make_unique<TestWatcher>(counters_, UniqueFd(sv[0]));
  }

  uv_loop_t loop_{};
  std::unique_ptr<SocketPoller> poller_;
  Counters counters_;
};

TEST_F(SocketPollerTest, ReadinessReachesTheWatcherThroughTheLoop) {
  UniqueFd peer;
  auto w = make(peer);
  ASSERT_EQ(poller_->add(w->fd(), w.get(), EPOLLIN), 0);
  EXPECT_EQ(poller_->registered(), 1u);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(counters_.calls, 0);  // nothing to read yet

  ASSERT_EQ(::write(peer.get(), "x", 1), 1);
  w->on_event = [&] { poller_->remove(w->fd(), w.get()); };
  // Registered sockets keep the loop running; the last one removed ends it.
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(counters_.calls, 1);
  EXPECT_TRUE(w->last_events & EPOLLIN);
  EXPECT_EQ(poller_->registered(), 0u);
}

TEST_F(SocketPollerTest, ModifyChangesWhatIsAskedFor) {
  UniqueFd peer;
  auto w = make(peer);
  ASSERT_EQ(poller_->add(w->fd(), w.get(), 0), 0);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(counters_.calls, 0);  // writable, but not asked
  ASSERT_EQ(poller_->modify(w->fd(), w.get(), EPOLLOUT), 0);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(counters_.calls, 1);
  EXPECT_TRUE(w->last_events & EPOLLOUT);
  poller_->remove(w->fd(), w.get());
}

TEST_F(SocketPollerTest, AWatcherClosedDuringABatchGetsNoMoreOfItsEvents) {
  UniqueFd peer_a, peer_b;
  TestWatcher* a = make(peer_a).release();
  TestWatcher* b = make(peer_b).release();
  ASSERT_EQ(poller_->add(a->fd(), a, EPOLLIN), 0);
  ASSERT_EQ(poller_->add(b->fd(), b, EPOLLIN), 0);
  ASSERT_EQ(::write(peer_a.get(), "x", 1), 1);
  ASSERT_EQ(::write(peer_b.get(), "x", 1), 1);
  // Whichever runs first closes both (as a client failure can close another
  // client's request chain); the other's event is in the same batch.
  auto close_both = [&] {
    for (TestWatcher* w : {a, b}) {
      poller_->remove(w->fd(), w);
      poller_->retire(std::unique_ptr<SocketPoller::Watcher>(w));
    }
    EXPECT_EQ(counters_.deleted, 0);  // still alive: the caller may touch itself
  };
  a->on_event = close_both;
  b->on_event = close_both;
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(counters_.calls, 1);
  EXPECT_EQ(counters_.deleted, 2);  // in the check phase of the same pass
}

TEST_F(SocketPollerTest, RetiredWatchersAreDeletedWithThePoller) {
  UniqueFd peer;
  poller_->retire(make(peer));
  EXPECT_EQ(counters_.deleted, 0);
  poller_.reset();
  EXPECT_EQ(counters_.deleted, 1);
}

}  // namespace
}  // namespace ringproxy
