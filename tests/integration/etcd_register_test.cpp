// `ringproxy register` (issue 17): the agent beside a redis-server keeps
// <prefix>/backends/<name> in a real etcd under a lease while the server
// answers PING. etcdctl is the oracle for what etcd holds.
//
// Which mechanism removed a key is told apart by the TTL, not by timing: a
// key under a 30 s lease that is gone within 15 s was revoked; a key whose
// agent was killed is seen with its lease still running and then gone.
#include <gtest/gtest.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "etcd_server.hpp"
#include "harness.hpp"

namespace ringproxy::testing {
namespace {

constexpr const char* kKey = "/ringproxy/itest/backends/r1";

class RegisterAgentTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "--- agent log ---\n" << tail_lines(read_file(agent_log()), 40);
      if (etcd_) std::cerr << "--- etcd log ---\n" << tail_lines(etcd_->log(), 20);
    }
  }

  std::filesystem::path agent_log() const { return dir_.path() / "agent.log"; }

  void start_agent(const std::string& ttl, std::vector<std::string> extra = {},
                   std::vector<std::string> env = {}) {
    std::vector<std::string> argv = {proxy_binary(),
                                     "register",
                                     "--etcd",
                                     etcd_->url(),
                                     "--pool-name",
                                     "itest",
                                     "--backend",
                                     redis_->address() + ":2",
                                     "--name",
                                     "r1",
                                     "--ttl",
                                     ttl,
                                     "--check-interval-ms",
                                     "50",
                                     "--check-timeout-ms",
                                     "500",
                                     "--failure-limit",
                                     "2",
                                     "--rise",
                                     "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    agent_ = ChildProcess(argv, agent_log(), env);
  }

  // The key's value and lease (hex, as etcdctl prints it); "" when absent.
  std::pair<std::string, std::string> key() {
    CommandResult r = etcd_->etcdctl({"get", kKey, "-w", "json"});
    if (!r.ok()) return {"", ""};
    auto field = [&](const std::string& name) -> std::string {
      auto at = r.out.find("\"" + name + "\":");
      if (at == std::string::npos) return "";
      at += name.size() + 3;
      auto end = r.out.find_first_of(",}", at);
      std::string v = r.out.substr(at, end - at);
      if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    };
    std::string value = field("value");
    if (value.empty()) return {"", ""};
    // etcdctl's JSON has the value in base64 and the lease in decimal.
    CommandResult decoded = run_command({"base64", "-d"}, RunOptions{Duration(5000), value});
    char hex[32];
    std::snprintf(hex, sizeof hex, "%llx", std::stoull(field("lease")));
    return {decoded.out, hex};
  }
  bool key_present() { return !key().first.empty(); }
  bool wait_for_key(bool present, Duration timeout = Duration(15000)) {
    return wait_until([&] { return key_present() == present; }, timeout, Duration(50));
  }

  TempDir dir_{"ringproxy-register"};
  std::unique_ptr<EtcdServer> etcd_;
  std::unique_ptr<RedisServer> redis_;
  ChildProcess agent_;
};

TEST_F(RegisterAgentTest, HoldsTheKeyWhileRunningAndTheLeaseExpiresAfterKill9) {
  etcd_ = std::make_unique<EtcdServer>();
  redis_ = std::make_unique<RedisServer>();
  start_agent("2");
  ASSERT_TRUE(wait_for_key(true));
  auto [value, lease] = key();
  EXPECT_EQ(value, redis_->address() + ":2");
  ASSERT_FALSE(lease.empty());
  // Renewed every ttl/3: several TTLs later it is still the same lease.
  std::string ttl = etcd_->etcdctl_ok({"lease", "timetolive", lease});
  EXPECT_NE(ttl.find("granted with TTL(2s)"), std::string::npos) << ttl;
  ASSERT_TRUE(wait_until(
      [&] { return read_file(agent_log()).find("holding") != std::string::npos; }, Duration(5000)));

  agent_.kill9();
  // Nobody revoked it: the lease is still running, then expires with the key.
  std::string after = etcd_->etcdctl_ok({"lease", "timetolive", lease});
  EXPECT_NE(after.find("remaining("), std::string::npos) << after;
  EXPECT_TRUE(key_present());
  ASSERT_TRUE(wait_for_key(false));
  EXPECT_NE(etcd_->etcdctl_ok({"lease", "timetolive", lease}).find("already expired"),
            std::string::npos);
}

TEST_F(RegisterAgentTest, RemovesTheKeyWhileRedisIsDownAndRegistersAgain) {
  etcd_ = std::make_unique<EtcdServer>();
  redis_ = std::make_unique<RedisServer>();
  start_agent("30");  // a long lease: only a revoke removes the key in time
  ASSERT_TRUE(wait_for_key(true));
  std::string first_lease = key().second;
  redis_->kill9();
  ASSERT_TRUE(wait_for_key(false)) << "the key outlived its server";
  EXPECT_NE(read_file(agent_log()).find("is down"), std::string::npos);
  redis_->restart();
  ASSERT_TRUE(wait_for_key(true));
  EXPECT_NE(key().second, first_lease);
  EXPECT_TRUE(agent_.running());
}

TEST_F(RegisterAgentTest, SigtermRevokesTheLeaseBeforeExiting) {
  etcd_ = std::make_unique<EtcdServer>();
  redis_ = std::make_unique<RedisServer>();
  start_agent("30");
  ASSERT_TRUE(wait_for_key(true));
  ExitStatus status = agent_.stop();
  EXPECT_TRUE(status.clean()) << status;
  EXPECT_FALSE(key_present()) << "revoked before exit, not left to expire";
}

TEST_F(RegisterAgentTest, StartedWhileEtcdIsDownItRegistersOnceEtcdIsUp) {
  etcd_ = std::make_unique<EtcdServer>();
  redis_ = std::make_unique<RedisServer>();
  etcd_->stop();
  start_agent("5");
  ASSERT_TRUE(wait_until(
      [&] { return read_file(agent_log()).find("answers; registering") != std::string::npos; },
      Duration(10000)));
  etcd_->start();
  ASSERT_TRUE(wait_for_key(true, Duration(20000)));
}

TEST_F(RegisterAgentTest, AuthenticatesWithAPasswordFromTheEnvironment) {
  etcd_ = std::make_unique<EtcdServer>();
  etcd_->etcdctl_ok({"user", "add", "root:rootpw", "--interactive=false"});
  etcd_->etcdctl_ok({"auth", "enable"});
  etcd_->use_etcdctl_user("root:rootpw");
  redis_ = std::make_unique<RedisServer>(std::vector<std::string>{"--requirepass", "redispw"});
  start_agent("5", {"--etcd-user", "root"},
              {"RINGPROXY_ETCD_PASSWORD=rootpw", "RINGPROXY_BACKEND_PASSWORD=redispw"});
  ASSERT_TRUE(wait_for_key(true));
  // Neither password is on the command line.
  std::string cmdline = read_file("/proc/" + std::to_string(agent_.pid()) + "/cmdline");
  EXPECT_EQ(cmdline.find("rootpw"), std::string::npos);
}

TEST_F(RegisterAgentTest, BadOptionsExitWithStatus2AndOneLine) {
  CommandResult r = run_command({proxy_binary(), "register", "--backend", "127.0.0.1:1"});
  EXPECT_EQ(r.exit_code(), 2) << r.describe();
  EXPECT_EQ(r.err, "ringproxy register: missing option '--etcd'\n");
  CommandResult help = run_command({proxy_binary(), "register", "--help"});
  EXPECT_EQ(help.exit_code(), 0);
  EXPECT_NE(help.out.find("--ttl"), std::string::npos);
}

}  // namespace
}  // namespace ringproxy::testing
