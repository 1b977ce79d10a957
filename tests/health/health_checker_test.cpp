// HealthChecker's state machine, probes and restart detection, against the
// fake Redis of health_fixture.hpp.
#include "ringproxy/health/health_checker.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "health_fixture.hpp"

namespace ringproxy::health_test {
namespace {

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

// A PONG that arrived in time but sat unread because the loop was held (a
// descheduled proxy on a busy machine) is not a timeout: the deadline is
// judged after the loop has read its sockets once more.
TEST_F(HealthCheckerTest, AnswerLeftUnreadWhileTheLoopWasHeldIsNotATimeout) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  HealthOptions o = fast(2, 3);
  o.timeout_ms = 50;
  make(fake_->port(), o);
  ASSERT_TRUE(run_until([&] { return fake_->pings >= 3; }, std::chrono::seconds(10)));
  EXPECT_EQ(state(), BackendState::kUp);
  fake_->hold_loop_once_ms = 300;
  const int before = fake_->pings;
  ASSERT_TRUE(run_until([&] { return fake_->pings >= before + 3; }, std::chrono::seconds(10)));
  EXPECT_EQ(fake_->hold_loop_once_ms, 0) << "the loop was never held";
  EXPECT_EQ(state(), BackendState::kUp);
  EXPECT_TRUE(changes_.empty()) << path();
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
  ASSERT_EQ(path(), "up failing probing up");
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
}  // namespace ringproxy::health_test
