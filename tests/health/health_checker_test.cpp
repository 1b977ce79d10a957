// HealthChecker against a tiny fake Redis on the test's own libuv loop: it
// answers PING with +PONG, FLUSHDB with +OK and INFO with its run_id (or an
// error when it has none), or accepts and never answers (a SIGSTOPped
// server), or is not listening at all (connection refused).
#include "ringproxy/health/health_checker.hpp"

#include <gtest/gtest.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ringproxy {

// Readable failure messages.
void PrintTo(BackendState s, std::ostream* os) {
  *os << backend_state_name(s);
}

namespace {

using Clock = std::chrono::steady_clock;

class FakeRedis {
 public:
  enum class Mode { kAnswer, kSilent };

  explicit FakeRedis(uv_loop_t* loop) : loop_(loop) { listen(); }
  ~FakeRedis() { close(); }

  uint16_t port() const { return port_; }
  void set_mode(Mode m) { mode_ = m; }
  // What INFO reports as run_id; empty: INFO is an unknown command.
  void set_run_id(std::string id) { run_id_ = std::move(id); }
  // Stops listening and drops every connection: connects are refused.
  void close() {
    for (auto* c : conns_) close_conn(c);
    conns_.clear();
    if (server_ != nullptr) {
      uv_close(reinterpret_cast<uv_handle_t*>(server_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
      server_ = nullptr;
    }
  }
  // Listens again on the same port.
  void reopen() {
    if (server_ == nullptr) listen();
  }
  // Refuses new connections; open ones stay.
  void stop_listening() {
    if (server_ == nullptr) return;
    uv_close(reinterpret_cast<uv_handle_t*>(server_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    server_ = nullptr;
  }
  // Answers the PINGs held while silent.
  void answer_held() {
    for (auto* c : conns_) {
      std::string reply;
      for (int i = 0; i < held_[c]; ++i) reply += "+PONG\r\n";
      held_[c] = 0;
      if (!reply.empty()) write(c, std::move(reply));
    }
  }
  int held() const {
    int n = 0;
    for (const auto& [c, k] : held_) n += k;
    return n;
  }
  int pings = 0;
  int flushes = 0;
  int infos = 0;
  std::vector<std::string> log;  // "PING", "FLUSHDB" in arrival order

 private:
  void listen() {
    server_ = new uv_tcp_t;
    uv_tcp_init(loop_, server_);
    server_->data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", port_, &addr);
    ASSERT_EQ(uv_tcp_bind(server_, reinterpret_cast<const sockaddr*>(&addr), 0), 0);
    ASSERT_EQ(uv_listen(reinterpret_cast<uv_stream_t*>(server_), 64,
                        [](uv_stream_t* s, int status) {
                          if (status == 0) static_cast<FakeRedis*>(s->data)->accept();
                        }),
              0);
    sockaddr_storage bound{};
    int len = sizeof(bound);
    uv_tcp_getsockname(server_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  void accept() {
    auto* c = new uv_tcp_t;
    uv_tcp_init(loop_, c);
    c->data = this;
    if (uv_accept(reinterpret_cast<uv_stream_t*>(server_), reinterpret_cast<uv_stream_t*>(c)) !=
        0) {
      close_conn(c);
      return;
    }
    conns_.push_back(c);
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(c),
        [](uv_handle_t*, size_t, uv_buf_t* buf) {
          static char storage[4096];
          *buf = uv_buf_init(storage, sizeof(storage));
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
          auto* self = static_cast<FakeRedis*>(s->data);
          if (n < 0) {
            self->forget(reinterpret_cast<uv_tcp_t*>(s));
            return;
          }
          self->on_data(reinterpret_cast<uv_tcp_t*>(s), std::string(buf->base, size_t(n)));
        });
  }
  void on_data(uv_tcp_t* c, const std::string& bytes) {
    if (mode_ == Mode::kSilent) {
      for (size_t pos = bytes.find("PING"); pos != std::string::npos;
           pos = bytes.find("PING", pos + 4)) {
        held_[c]++;
      }
      return;
    }
    std::string reply;
    // Commands arrive whole in practice (a few bytes each); answer in order.
    for (size_t pos = 0;;) {
      size_t ping = bytes.find("PING", pos);
      size_t flush = bytes.find("FLUSHDB", pos);
      size_t info = bytes.find("INFO", pos);
      size_t first = std::min({ping, flush, info});
      if (first == std::string::npos) break;
      if (first == ping) {
        pings++;
        log.push_back("PING");
        reply += "+PONG\r\n";
        pos = ping + 4;
      } else if (first == flush) {
        flushes++;
        log.push_back("FLUSHDB");
        reply += "+OK\r\n";
        pos = flush + 7;
      } else {
        infos++;
        if (run_id_.empty()) {
          reply += "-ERR unknown command 'INFO'\r\n";
        } else {
          std::string text = "# Server\r\nredis_version:7.0.15\r\nrun_id:" + run_id_ +
                             "\r\ntcp_port:" + std::to_string(port_) + "\r\n";
          reply += "$" + std::to_string(text.size()) + "\r\n" + text + "\r\n";
        }
        pos = info + 4;
      }
    }
    if (!reply.empty()) write(c, std::move(reply));
  }
  void write(uv_tcp_t* c, std::string reply) {
    auto* req = new uv_write_t;
    auto* data = new std::string(std::move(reply));
    req->data = data;
    uv_buf_t buf = uv_buf_init(data->data(), static_cast<unsigned>(data->size()));
    uv_write(req, reinterpret_cast<uv_stream_t*>(c), &buf, 1, [](uv_write_t* w, int) {
      delete static_cast<std::string*>(w->data);
      delete w;
    });
  }
  void forget(uv_tcp_t* c) {
    held_.erase(c);
    for (auto& x : conns_) {
      if (x == c) {
        x = conns_.back();
        conns_.pop_back();
        break;
      }
    }
    close_conn(c);
  }
  static void close_conn(uv_tcp_t* c) {
    if (uv_is_closing(reinterpret_cast<uv_handle_t*>(c))) return;
    uv_close(reinterpret_cast<uv_handle_t*>(c),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  }

  uv_loop_t* loop_;
  uv_tcp_t* server_ = nullptr;
  uint16_t port_ = 0;
  Mode mode_ = Mode::kAnswer;
  std::string run_id_ = "run-1";
  std::vector<uv_tcp_t*> conns_;
  std::map<uv_tcp_t*, int> held_;  // PINGs received while silent
};

struct Change {
  BackendState from, to;
  std::string reason;
};

class HealthCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &tick_);
  }
  void TearDown() override {
    checker_.reset();
    fake_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) {
    }
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles leaked";
  }

  void make(uint16_t port, HealthOptions o) {
    checker_ = std::make_unique<HealthChecker>(
        &loop_, std::vector<HealthTarget>{{"127.0.0.1", port, "fake"}}, o,
        [this](uint32_t, BackendState from, BackendState to, std::string_view reason) {
          changes_.push_back({from, to, std::string(reason)});
          if (on_change_) on_change_(from, to);
        });
    checker_->set_restarted([this](uint32_t, std::string_view old_id, std::string_view new_id) {
      restarts_.push_back(std::string(old_id) + " => " + std::string(new_id));
    });
    checker_->start();
  }
  // Runs the loop until `pred` or `timeout`; true if `pred` became true.
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    uv_timer_start(
        &tick_, [](uv_timer_t*) {}, 5, 5);
    while (!pred()) {
      if (Clock::now() > deadline) {
        uv_timer_stop(&tick_);
        return false;
      }
      uv_run(&loop_, UV_RUN_ONCE);
    }
    uv_timer_stop(&tick_);
    return true;
  }
  BackendState state() const { return checker_->state(0); }
  std::string path() const {
    std::string s = "up";
    for (const Change& c : changes_) s += std::string(" ") + std::string(backend_state_name(c.to));
    return s;
  }
  static uint16_t closed_port() {
    // Bind an ephemeral port, then close it: nothing listens there.
    uv_loop_t l;
    uv_loop_init(&l);
    uv_tcp_t t;
    uv_tcp_init(&l, &t);
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_bind(&t, reinterpret_cast<const sockaddr*>(&addr), 0);
    sockaddr_storage bound{};
    int len = sizeof(bound);
    uv_tcp_getsockname(&t, reinterpret_cast<sockaddr*>(&bound), &len);
    uint16_t port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
    uv_run(&l, UV_RUN_DEFAULT);
    uv_loop_close(&l);
    return port;
  }

  uv_loop_t loop_{};
  uv_timer_t tick_{};
  std::unique_ptr<FakeRedis> fake_;
  std::unique_ptr<HealthChecker> checker_;
  std::vector<Change> changes_;
  std::vector<std::string> restarts_;  // "old => new" run_ids, as reported
  std::function<void(BackendState, BackendState)> on_change_;
};

HealthOptions fast(int failure_limit = 3, int rise = 2) {
  HealthOptions o;
  o.interval_ms = 20;
  o.timeout_ms = 2000;  // long: refused connects must not wait for it
  o.failure_limit = failure_limit;
  o.rise = rise;
  return o;
}

TEST_F(HealthCheckerTest, RefusedConnectIsAFailureAtOnceNotATimeout) {
  make(closed_port(), fast());
  auto t0 = Clock::now();
  ASSERT_TRUE(run_until([&] { return state() == BackendState::kDown; }, std::chrono::seconds(10)))
      << path();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  // Three refused probes, 20 ms apart; far below the 2 s probe timeout.
  EXPECT_LT(took, 1500) << "refused connects were only noticed by the probe timeout";
  EXPECT_NE(checker_->last_error(0).find("refused"), std::string::npos) << checker_->last_error(0);
  EXPECT_EQ(path(), "up failing down");
}

TEST_F(HealthCheckerTest, SilentServerTimesOutThenRisesWithOneFlush) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  HealthOptions o = fast(2, 3);
  o.timeout_ms = 50;
  make(fake_->port(), o);
  ASSERT_TRUE(run_until([&] { return fake_->pings >= 3; }, std::chrono::seconds(10)));
  EXPECT_EQ(state(), BackendState::kUp);
  EXPECT_TRUE(changes_.empty());

  fake_->set_mode(FakeRedis::Mode::kSilent);
  ASSERT_TRUE(run_until([&] { return state() == BackendState::kDown; }, std::chrono::seconds(10)))
      << path();
  EXPECT_EQ(checker_->last_error(0), "probe timed out");
  EXPECT_EQ(path(), "up failing down");

  fake_->set_mode(FakeRedis::Mode::kAnswer);
  size_t log_before = fake_->log.size();
  ASSERT_TRUE(run_until([&] { return state() == BackendState::kUp; }, std::chrono::seconds(10)))
      << path();
  EXPECT_EQ(path(), "up failing down probing up");
  // Rise 3: three answered PINGs, then exactly one FLUSHDB, then up.
  EXPECT_EQ(fake_->flushes, 1);
  size_t pings_first = 0;
  for (size_t i = log_before; i < fake_->log.size() && fake_->log[i] == "PING"; ++i) ++pings_first;
  EXPECT_GE(pings_first, 3u);
  ASSERT_LT(log_before + pings_first, fake_->log.size());
  EXPECT_EQ(fake_->log[log_before + pings_first], "FLUSHDB");
  EXPECT_EQ(changes_.back().reason, "rejoined after flush");
}

TEST_F(HealthCheckerTest, KeepPolicyRejoinsWithoutFlush) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  HealthOptions o = fast(1, 2);
  o.flush_on_rejoin = false;
  make(fake_->port(), o);
  fake_->close();
  ASSERT_TRUE(run_until([&] { return state() == BackendState::kDown; }, std::chrono::seconds(10)));
  fake_->reopen();
  ASSERT_TRUE(run_until([&] { return state() == BackendState::kUp; }, std::chrono::seconds(10)))
      << path();
  EXPECT_EQ(fake_->flushes, 0);
  EXPECT_EQ(path(), "up down probing up");
}

TEST_F(HealthCheckerTest, StartDownRisesOnlyAfterAnsweredProbes) {
  // A target that never answered is not up: it starts down and needs `rise`
  // good probes (what ringproxy register relies on before it announces one).
  HealthOptions o = fast(1, 2);
  o.flush_on_rejoin = false;
  o.start_down = true;
  make(closed_port(), o);
  EXPECT_EQ(state(), BackendState::kDown);
  // Ten refused probes later it is still down, and nothing was reported.
  auto until = Clock::now() + std::chrono::milliseconds(200);
  run_until([&] { return Clock::now() > until; }, std::chrono::seconds(10));
  EXPECT_EQ(state(), BackendState::kDown) << path();
  EXPECT_TRUE(changes_.empty()) << path();

  fake_ = std::make_unique<FakeRedis>(&loop_);
  make(fake_->port(), o);
  EXPECT_EQ(state(), BackendState::kDown);
  ASSERT_TRUE(run_until([&] { return state() == BackendState::kUp; }, std::chrono::seconds(10)));
  ASSERT_EQ(changes_.size(), 2u) << path();
  EXPECT_EQ(changes_[0].from, BackendState::kDown);
  EXPECT_EQ(changes_[0].to, BackendState::kProbing);
  EXPECT_EQ(changes_[1].to, BackendState::kUp);
  EXPECT_GE(fake_->pings, 2);
  EXPECT_EQ(fake_->flushes, 0);
}

TEST_F(HealthCheckerTest, FailuresReportedWhileNotifyingAreNotCounted) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  make(fake_->port(), fast(3, 2));
  // What the proxy does on a state change: close the backend's other
  // connections, each of which reports a failure.
  on_change_ = [this](BackendState, BackendState to) {
    if (to == BackendState::kFailing) {
      for (int i = 0; i < 5; ++i) checker_->report_failure(0, "failing");
    }
  };
  checker_->report_failure(0, "connection reset by peer");
  EXPECT_EQ(state(), BackendState::kFailing);
  // The immediate re-probe answers: back up, never down.
  ASSERT_TRUE(run_until([&] { return state() == BackendState::kUp; }, std::chrono::seconds(10)))
      << path();
  EXPECT_EQ(path(), "up failing up");
  EXPECT_EQ(checker_->last_error(0), "connection reset by peer");
}

TEST_F(HealthCheckerTest, APongInFlightBeforeAPassiveFailureDoesNotClearIt) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  HealthOptions o = fast(100, 2);  // stays failing: only "up" matters here
  o.timeout_ms = 60000;
  make(fake_->port(), o);
  // A PING is in flight and the server (about to die) holds its answer.
  fake_->set_mode(FakeRedis::Mode::kSilent);
  ASSERT_TRUE(run_until([&] { return fake_->held() >= 1; }, std::chrono::seconds(10)));
  fake_->stop_listening();
  checker_->report_failure(0, "connection reset by peer");
  EXPECT_EQ(state(), BackendState::kFailing);
  // The answer to the old PING arrives after the failure: it proves nothing.
  fake_->answer_held();
  run_until([] { return false; }, std::chrono::milliseconds(200));
  EXPECT_EQ(state(), BackendState::kFailing) << path();
  EXPECT_EQ(path(), "up failing");
  EXPECT_NE(checker_->last_error(0).find("refused"), std::string::npos) << checker_->last_error(0);
}

TEST_F(HealthCheckerTest, PassiveFailuresCountAndEjectWithoutWaitingForIntervals) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  HealthOptions o = fast(3, 2);
  o.interval_ms = 60000;  // no periodic probes: only passive signals
  make(fake_->port(), o);
  fake_->close();
  checker_->report_failure(0, "connection reset by peer");
  EXPECT_EQ(state(), BackendState::kFailing);
  // The re-probe is refused (2); one more passive failure (3) ejects.
  ASSERT_TRUE(
      run_until([&] { return checker_->last_error(0).find("refused") != std::string::npos; },
                std::chrono::seconds(10)));
  checker_->report_failure(0, "request timed out");
  ASSERT_TRUE(run_until([&] { return state() == BackendState::kDown; }, std::chrono::seconds(10)))
      << path();
  // Down: passive reports no longer apply.
  checker_->report_failure(0, "whatever");
  EXPECT_EQ(state(), BackendState::kDown);
}

TEST_F(HealthCheckerTest, StopIgnoresLaterReports) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  make(fake_->port(), fast());
  checker_->stop();
  checker_->report_failure(0, "proxy shutting down");
  EXPECT_EQ(state(), BackendState::kUp);
  EXPECT_TRUE(changes_.empty());
}

TEST(InfoRunId, FindsTheFieldOnItsOwnLine) {
  EXPECT_EQ(info_run_id("# Server\r\nredis_version:7.0.15\r\nrun_id:abc123\r\ntcp_port:1\r\n"),
            "abc123");
  EXPECT_EQ(info_run_id("run_id:first\r\n"), "first");
  EXPECT_EQ(info_run_id("run_id:last"), "last");
  EXPECT_EQ(info_run_id("# Server\r\nmaster_run_id:x\r\n"), "");
  EXPECT_EQ(info_run_id("# Server\r\nredis_version:7.0.15\r\n"), "");
  EXPECT_EQ(info_run_id(""), "");
}

// A server restarted between two probes (the interval is a minute: only the
// closed probe connection can notice) comes back with a new run_id: out of
// service at once, and flushed before it is up again, although no write went
// elsewhere and it was never down.
TEST_F(HealthCheckerTest, RestartBetweenProbesIsFlushedBeforeUp) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  HealthOptions o = fast(100, 2);  // never down: the failing path is the one tested
  o.interval_ms = 60000;
  make(fake_->port(), o);
  // The first probe goes out at once and learns the run_id.
  ASSERT_TRUE(run_until([&] { return fake_->pings >= 1; }, std::chrono::seconds(10)));
  EXPECT_EQ(fake_->infos, 1);
  EXPECT_TRUE(changes_.empty()) << "the first run_id seen is no restart: " << path();

  fake_->close();
  fake_->set_run_id("run-2");
  fake_->reopen();
  ASSERT_TRUE(run_until([&] { return fake_->flushes >= 1 && state() == BackendState::kUp; },
                        std::chrono::seconds(10)))
      << path();
  EXPECT_EQ(restarts_, std::vector<std::string>{"run-1 => run-2"});
  EXPECT_EQ(path(), "up failing probing up");
  EXPECT_EQ(changes_[1].reason, "probe ok, restarted: flushing");
  EXPECT_EQ(changes_.back().reason, "rejoined after flush");
  EXPECT_EQ(fake_->flushes, 1);
}

// The same server on a new probe connection is no restart: no flush.
TEST_F(HealthCheckerTest, NewConnectionToTheSameServerIsNoRestart) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  HealthOptions o = fast(100, 2);
  o.interval_ms = 60000;
  make(fake_->port(), o);
  ASSERT_TRUE(run_until([&] { return fake_->pings >= 1; }, std::chrono::seconds(10)));
  fake_->close();
  fake_->reopen();
  ASSERT_TRUE(run_until([&] { return fake_->pings >= 2 && state() == BackendState::kUp; },
                        std::chrono::seconds(10)))
      << path();
  EXPECT_EQ(fake_->infos, 2);
  EXPECT_TRUE(restarts_.empty());
  EXPECT_EQ(path(), "up failing up");
  EXPECT_EQ(fake_->flushes, 0);
}

// A server without INFO (or without a run_id in it) is probed as before, and
// its restarts go unnoticed.
TEST_F(HealthCheckerTest, ServerWithoutInfoKeepsWorkingWithoutRestartDetection) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  fake_->set_run_id("");
  make(fake_->port(), fast(100, 2));
  ASSERT_TRUE(run_until([&] { return fake_->pings >= 3; }, std::chrono::seconds(10)));
  EXPECT_TRUE(changes_.empty()) << path();
  fake_->close();
  fake_->reopen();
  ASSERT_TRUE(run_until([&] { return fake_->pings >= 5 && state() == BackendState::kUp; },
                        std::chrono::seconds(10)))
      << path();
  EXPECT_TRUE(restarts_.empty());
  EXPECT_EQ(fake_->flushes, 0);
  EXPECT_GE(fake_->infos, 2);
}

// rejoin=keep: a restart is reported, and that is all.
TEST_F(HealthCheckerTest, KeepPolicyOnlyReportsARestart) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  HealthOptions o = fast(100, 2);
  o.flush_on_rejoin = false;
  make(fake_->port(), o);
  ASSERT_TRUE(run_until([&] { return fake_->pings >= 1; }, std::chrono::seconds(10)));
  fake_->close();
  fake_->set_run_id("run-2");
  fake_->reopen();
  ASSERT_TRUE(run_until([&] { return !restarts_.empty() && state() == BackendState::kUp; },
                        std::chrono::seconds(10)))
      << path();
  EXPECT_EQ(restarts_, std::vector<std::string>{"run-1 => run-2"});
  EXPECT_EQ(fake_->flushes, 0);
}

// A restart seen while down changes nothing: the rejoin flushes once anyway.
TEST_F(HealthCheckerTest, RestartSeenWhileDownIsFlushedOnce) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  make(fake_->port(), fast(1, 2));
  ASSERT_TRUE(run_until([&] { return fake_->pings >= 1; }, std::chrono::seconds(10)));
  fake_->close();
  ASSERT_TRUE(run_until([&] { return state() == BackendState::kDown; }, std::chrono::seconds(10)));
  fake_->set_run_id("run-2");
  fake_->reopen();
  ASSERT_TRUE(run_until([&] { return state() == BackendState::kUp; }, std::chrono::seconds(10)))
      << path();
  EXPECT_EQ(restarts_, std::vector<std::string>{"run-1 => run-2"});
  EXPECT_EQ(path(), "up down probing up");
  EXPECT_EQ(fake_->flushes, 1);
}

}  // namespace
}  // namespace ringproxy
