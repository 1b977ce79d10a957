// A fleet through etcd (issue 17): two proxies started with --etcd and no
// --backend, one etcd, three redis servers. Placement is observed, not
// assumed: route_map() empties the backends, writes keys through one proxy
// and finds each key on the backend that got it; two proxies route alike when
// their maps are equal. Tests: etcdctl put and del reach both proxies; a
// backend registered by `ringproxy register` leaves both when the agent is
// killed (its lease expires); etcd killed, changed and compacted while away
// from the proxies, and brought back: both keep serving (an admin change is
// an error meanwhile) and catch up; start-up with etcd down (configured backends, or a
// clear refusal); PROXY ADD/REMOVE/WEIGHT on one proxy reach the other
// through etcd; SIGHUP leaves the membership to etcd.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "etcd_server.hpp"
#include "harness.hpp"

namespace ringproxy::testing {
namespace {

constexpr const char* kBackends = "/ringproxy/fleet/backends/";
constexpr int kKeys = 300;
constexpr Duration kConverge = Duration(20000);

class EtcdFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = std::make_unique<EtcdServer>();
    for (int i = 0; i < 3; ++i) redis_.push_back(std::make_unique<RedisServer>());
  }
  void TearDown() override {
    agent_.kill9();
    for (auto& p : proxies_) {
      if (HasFailure()) std::cerr << "--- proxy " << p->port() << " ---\n" << p->log_tail(30);
      ExitStatus s = p->stop();
      EXPECT_TRUE(s.clean()) << s;
    }
  }

  std::unique_ptr<ProxyProcess> make_proxy(std::vector<BackendAddress> backends = {},
                                           bool wait_ready = true) {
    ProxyOptions o;
    o.backends = std::move(backends);
    o.extra_args = {"--etcd", etcd_->url(), "--pool-name", "fleet", "--health-interval-ms", "100"};
    o.wait_ready = wait_ready;
    return std::make_unique<ProxyProcess>(o);
  }
  void start_proxies() {
    proxies_.push_back(make_proxy());
    proxies_.push_back(make_proxy());
  }
  void put_backend(int i) {
    etcd_->etcdctl_ok(
        {"put", kBackends + std::string("r") + std::to_string(i), redis_[i]->address()});
  }
  void del_backend(int i) {
    etcd_->etcdctl_ok({"del", kBackends + std::string("r") + std::to_string(i)});
  }

  // Which backend (index into redis_) each key lands on when written through
  // `proxy`; -1 when the write failed or no backend has it.
  std::vector<int> route_map(ProxyProcess& proxy) {
    for (auto& r : redis_) {
      if (r->running()) r->client().command({"FLUSHALL"});
    }
    std::vector<std::vector<std::string>> sets;
    for (int k = 0; k < kKeys; ++k) sets.push_back({"SET", "key:" + std::to_string(k), "v"});
    std::vector<int> owner(kKeys, -1);
    try {
      Client c = proxy.client();
      c.pipeline(sets);
    } catch (const HarnessError&) {
      return owner;
    }
    std::vector<std::vector<std::string>> exists;
    for (int k = 0; k < kKeys; ++k) exists.push_back({"EXISTS", "key:" + std::to_string(k)});
    for (size_t b = 0; b < redis_.size(); ++b) {
      if (!redis_[b]->running()) continue;
      std::vector<Reply> found = redis_[b]->client().pipeline(exists);
      for (int k = 0; k < kKeys; ++k) {
        if (found[k].integer == 1) owner[k] = static_cast<int>(b);
      }
    }
    return owner;
  }
  static std::string proxy_info(ProxyProcess& p) {
    Reply r = p.client().command({"INFO", "ringproxy"});
    return r.str;
  }
  static std::set<int> used(const std::vector<int>& map) { return {map.begin(), map.end()}; }
  // Both proxies write every key to a backend of `members`, using each, and
  // route every key alike.
  bool converged_on(const std::set<int>& members) {
    std::vector<int> a = route_map(*proxies_[0]);
    std::vector<int> b = route_map(*proxies_[1]);
    last_ = "proxy A uses " + text(used(a)) + ", proxy B uses " + text(used(b));
    return a == b && used(a) == members;
  }
  bool wait_converged(const std::set<int>& members) {
    return wait_until([&] { return converged_on(members); }, kConverge, Duration(100));
  }
  static std::string text(const std::set<int>& s) {
    std::string out = "{";
    for (int i : s) out += (out.size() > 1 ? "," : "") + std::to_string(i);
    return out + "}";
  }

  std::unique_ptr<EtcdServer> etcd_;
  std::vector<std::unique_ptr<RedisServer>> redis_;
  std::vector<std::unique_ptr<ProxyProcess>> proxies_;
  ChildProcess agent_;
  std::string last_;
};

TEST_F(EtcdFleetTest, TwoProxiesConvergeAfterEtcdctlPutAndDel) {
  put_backend(0);
  put_backend(1);
  start_proxies();
  ASSERT_TRUE(wait_converged({0, 1})) << last_;
  put_backend(2);
  ASSERT_TRUE(wait_converged({0, 1, 2})) << last_;
  del_backend(0);
  ASSERT_TRUE(wait_converged({1, 2})) << last_;
  // A weight change moves keys too, the same way on both.
  etcd_->etcdctl_ok({"put", kBackends + std::string("r1"), redis_[1]->address() + ":5"});
  ASSERT_TRUE(wait_until(
      [&] {
        std::vector<int> a = route_map(*proxies_[0]);
        std::vector<int> b = route_map(*proxies_[1]);
        size_t on1 = 0;
        for (int o : a) on1 += o == 1;
        return a == b && on1 > kKeys * 3 / 4;  // 5/6 expected
      },
      kConverge, Duration(100)));
  for (auto& p : proxies_)
    EXPECT_NE(p->log().find("(etcd /ringproxy/fleet revision "), std::string::npos);
}

TEST_F(EtcdFleetTest, ARegisteredBackendLeavesBothProxiesWhenItsAgentIsKilled) {
  put_backend(0);
  put_backend(1);
  start_proxies();
  ASSERT_TRUE(wait_converged({0, 1})) << last_;
  agent_ = ChildProcess(
      {proxy_binary(), "register", "--etcd", etcd_->url(), "--pool-name", "fleet", "--backend",
       redis_[2]->address(), "--name", "r2", "--ttl", "2", "--check-interval-ms", "100"},
      redis_[2]->dir() / "agent.log");
  ASSERT_TRUE(wait_converged({0, 1, 2})) << last_;
  agent_.kill9();
  // The lease (2 s) runs out with nobody renewing it.
  ASSERT_TRUE(wait_converged({0, 1})) << last_;
}

TEST_F(EtcdFleetTest, EtcdKilledAndRestartedProxiesKeepServingAndCatchUp) {
  put_backend(0);
  put_backend(1);
  start_proxies();
  ASSERT_TRUE(wait_converged({0, 1})) << last_;
  auto info = [&](ProxyProcess& p) { return proxy_info(p); };
  EXPECT_EQ(info_field(info(*proxies_[0]), "etcd_connected"), "1");
  EXPECT_EQ(
      info_field(info(*proxies_[0]), "ring_source").rfind("etcd /ringproxy/fleet revision ", 0),
      0u);
  const uint16_t port = etcd_->client_port();
  etcd_->kill9();
  // Serving with the last ring, and INFO says etcd is gone.
  EXPECT_TRUE(converged_on({0, 1})) << last_;
  EXPECT_TRUE(wait_until([&] { return info_field(info(*proxies_[1]), "etcd_connected") == "0"; },
                         kConverge, Duration(50)));
  // Changed while the proxies cannot see it (it serves on another port).
  etcd_->start_on(free_port());
  put_backend(2);
  del_backend(0);
  // ... and the history the proxies would resume from is compacted: they
  // read the prefix again.
  const std::string fields = etcd_->etcdctl_ok({"get", "x", "-w", "fields"});
  const size_t at = fields.find("\"Revision\" : ");
  ASSERT_NE(at, std::string::npos) << fields;
  etcd_->etcdctl_ok({"compact", std::to_string(std::stoll(fields.substr(at + 13)))});
  etcd_->stop();
  EXPECT_TRUE(converged_on({0, 1})) << last_;
  // An admin change cannot be stored: a clear error, and nothing changes.
  Reply add = proxies_[0]->client().command({"PROXY", "ADD", redis_[2]->address(), "r9"});
  EXPECT_EQ(add.str.rfind("ERR ringproxy: etcd: ", 0), 0u) << add.str;
  EXPECT_TRUE(converged_on({0, 1})) << last_;
  etcd_->start_on(port);
  ASSERT_TRUE(wait_converged({1, 2})) << last_;
  for (auto& p : proxies_) {
    EXPECT_NE(p->log().find("etcd: lost contact"), std::string::npos) << p->log_tail(20);
    EXPECT_NE(p->log().find("etcd: read /ringproxy/fleet/backends/ again"), std::string::npos)
        << p->log_tail(20);
    const std::string i = info(*p);
    EXPECT_EQ(info_field(i, "etcd_connected"), "1") << i;
    EXPECT_NE(info_field(i, "etcd_retries"), "0") << i;
  }
}

// With --etcd, PROXY ADD/REMOVE/WEIGHT write the member keys in etcd: a
// change made on one proxy reaches the other through its watch.
TEST_F(EtcdFleetTest, AdminChangesOnOneProxyReachTheOtherThroughEtcd) {
  put_backend(0);
  put_backend(1);
  start_proxies();
  ASSERT_TRUE(wait_converged({0, 1})) << last_;
  Client a = proxies_[0]->client();
  Client b = proxies_[1]->client();
  ASSERT_EQ(a.command({"PROXY", "ADD", redis_[2]->address(), "r2"}).str, "OK");
  // Stored in etcd when the reply came.
  EXPECT_EQ(etcd_->etcdctl_ok({"get", "--print-value-only", kBackends + std::string("r2")}),
            redis_[2]->address() + ":1\n");
  ASSERT_TRUE(wait_converged({0, 1, 2})) << last_;
  const std::string ring = b.command({"PROXY", "RING"}).str;
  EXPECT_NE(ring.find("source:etcd /ringproxy/fleet revision "), std::string::npos) << ring;
  EXPECT_NE(ring.find("membership_from:etcd /ringproxy/fleet\r\n"), std::string::npos) << ring;
  EXPECT_NE(ring.find("etcd_revision:"), std::string::npos) << ring;
  EXPECT_NE(ring.find("members:3\r\n"), std::string::npos) << ring;
  ASSERT_EQ(b.command({"PROXY", "REMOVE", "r0"}).str, "OK");
  ASSERT_TRUE(wait_converged({1, 2})) << last_;
  ASSERT_EQ(b.command({"PROXY", "WEIGHT", "r2", "3"}).str, "OK");
  EXPECT_EQ(etcd_->etcdctl_ok({"get", "--print-value-only", kBackends + std::string("r2")}),
            redis_[2]->address() + ":3\n");
  // Refused before anything is written: a duplicate, an unknown member, a
  // host that does not resolve, the last member.
  EXPECT_EQ(a.command({"PROXY", "ADD", redis_[1]->address(), "other"}).str.rfind("ERR", 0), 0u);
  EXPECT_EQ(a.command({"PROXY", "REMOVE", "r7"}).str.rfind("ERR", 0), 0u);
  EXPECT_EQ(a.command({"PROXY", "ADD", "no-such-host.invalid:6379", "r8"}).str.rfind("ERR", 0), 0u);
  EXPECT_EQ(etcd_->etcdctl_ok({"get", "--prefix", "--keys-only", kBackends}),
            std::string(kBackends) + "r1\n\n" + kBackends + "r2\n\n");
  ASSERT_EQ(a.command({"PROXY", "REMOVE", "r1"}).str, "OK");
  ASSERT_TRUE(wait_converged({2})) << last_;
  EXPECT_EQ(a.command({"PROXY", "REMOVE", "r2"}).str,
            "ERR ringproxy: cannot remove the last backend");
}

// SIGHUP re-reads the files but the members stay etcd's.
TEST_F(EtcdFleetTest, SighupLeavesTheMembershipToEtcd) {
  put_backend(1);
  TempDir dir;
  const std::string conf = (dir.path() / "ringproxy.conf").string();
  auto write_conf = [&](const std::vector<int>& members) {
    std::ofstream f(conf);
    for (int i : members) f << "backend = " << redis_[i]->address() << "\n";
  };
  write_conf({0});
  ProxyOptions o;
  o.extra_args = {"--config", conf, "--etcd", etcd_->url(), "--pool-name", "fleet"};
  proxies_.push_back(std::make_unique<ProxyProcess>(o));
  ProxyProcess& p = *proxies_[0];
  EXPECT_EQ(used(route_map(p)), std::set<int>{1});
  write_conf({0, 2});
  p.signal(SIGHUP);
  ASSERT_TRUE(wait_until(
      [&] { return p.log().find("reload: backends come from etcd") != std::string::npos; },
      kConverge))
      << p.log_tail();
  EXPECT_EQ(used(route_map(p)), std::set<int>{1});
  put_backend(2);
  ASSERT_TRUE(wait_until(
      [&] {
        return used(route_map(p)) == std::set<int>{1, 2};
      },
      kConverge, Duration(100)));
}

TEST_F(EtcdFleetTest, StartedWhileEtcdIsDownItUsesConfiguredBackendsOrRefuses) {
  put_backend(1);
  etcd_->stop();
  // No backend to fall back on: a clear start-up error.
  auto refused = make_proxy({}, false);
  auto status = refused->wait_exit(Duration(20000));
  ASSERT_TRUE(status.has_value()) << refused->log_tail();
  EXPECT_EQ(status->code, 1) << *status;
  EXPECT_NE(refused->log().find("no backends: /ringproxy/fleet/backends/ in etcd"),
            std::string::npos)
      << refused->log_tail();
  // With one configured, it serves that one, then etcd's members once etcd is up.
  proxies_.push_back(make_proxy({BackendAddress{redis_[0]->port()}}));
  proxies_.push_back(make_proxy({BackendAddress{redis_[0]->port()}}));
  ASSERT_TRUE(converged_on({0})) << last_;
  etcd_->start();
  ASSERT_TRUE(wait_converged({1})) << last_;
}

}  // namespace
}  // namespace ringproxy::testing
