// The figures the health checker asks of up backends on their probe
// connections (INFO memory and INFO keyspace, every figures interval),
// against the fake Redis of health_fixture.hpp: what is asked when, what is
// handed over, and that a server refusing INFO is probed as before.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "health_fixture.hpp"
#include "ringproxy/health/health_checker.hpp"

namespace ringproxy::health_test {
namespace {

// Figures: an up backend is asked INFO memory and INFO keyspace on the probe
// connection every figures interval, and their texts are handed over as they
// came; the probes go on as before.
TEST_F(HealthCheckerTest, FiguresAreAskedOnTheProbeConnectionWhileUp) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  HealthOptions o = fast();
  o.figures_interval_ms = 40;
  make(fake_->port(), o);
  ASSERT_TRUE(run_until([&] { return figures_.size() >= 3; }, std::chrono::seconds(10)));
  EXPECT_EQ(figures_[0], fake_->memory_text + fake_->keyspace_text);
  fake_->keyspace_text = "# Keyspace\r\n";
  const size_t seen = figures_.size();
  ASSERT_TRUE(run_until([&] { return figures_.size() >= seen + 2; }, std::chrono::seconds(10)));
  EXPECT_EQ(figures_.back(), fake_->memory_text + "# Keyspace\r\n");
  EXPECT_TRUE(changes_.empty()) << path();
  EXPECT_EQ(refusals_, 0);
  EXPECT_EQ(fake_->infos, 1) << "INFO server once per connection, as before";
  // Two INFOs per ask, and never more often than one ask per probe.
  EXPECT_EQ(fake_->figure_infos % 2, 0);
  EXPECT_LE(fake_->figure_infos / 2, fake_->pings);
}

// Off by default: nothing but INFO server (the restart detection) is asked.
TEST_F(HealthCheckerTest, NoFiguresAskedWithoutAnInterval) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  make(fake_->port(), fast());
  ASSERT_TRUE(run_until([&] { return fake_->pings >= 5; }, std::chrono::seconds(10)));
  EXPECT_EQ(fake_->figure_infos, 0);
  EXPECT_TRUE(figures_.empty());
}

// A server that refuses INFO (a renamed command, a Redis-compatible server
// without it) is asked nothing more on that connection, reports no figures,
// and is probed and kept up as before: figures never count for or against it.
TEST_F(HealthCheckerTest, ServerRefusingInfoReportsNoFiguresAndStaysUp) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  fake_->set_run_id("");  // every INFO is an unknown command
  HealthOptions o = fast();
  o.figures_interval_ms = 1;
  make(fake_->port(), o);
  ASSERT_TRUE(run_until([&] { return fake_->pings >= 10; }, std::chrono::seconds(10)));
  EXPECT_EQ(state(), BackendState::kUp);
  EXPECT_TRUE(changes_.empty()) << path();
  EXPECT_EQ(fake_->infos, 1) << "only the INFO server of the connection";
  EXPECT_TRUE(figures_.empty());
  EXPECT_GE(refusals_, 1);
}

// A backend that is not up is not asked: one rising from down gets its first
// ask only once it is up.
TEST_F(HealthCheckerTest, FiguresAreNotAskedUntilUp) {
  fake_ = std::make_unique<FakeRedis>(&loop_);
  HealthOptions o = fast(3, 4);
  o.start_down = true;
  o.flush_on_rejoin = false;
  o.figures_interval_ms = 1;
  make(fake_->port(), o);
  int asked_before_up = -1;
  on_change_ = [&](BackendState, BackendState to) {
    if (to == BackendState::kUp) asked_before_up = fake_->figure_infos;
  };
  ASSERT_TRUE(run_until([&] { return !figures_.empty(); }, std::chrono::seconds(10))) << path();
  EXPECT_EQ(path(), "up probing up");  // path() starts from "up"; this one started down
  EXPECT_EQ(asked_before_up, 0);
  for (BackendState s : states_at_figures_) EXPECT_EQ(s, BackendState::kUp);
}

}  // namespace
}  // namespace ringproxy::health_test
