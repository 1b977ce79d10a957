// PROXY ADD/REMOVE/WEIGHT/RING: parsing, who may change the ring, and the
// PROXY RING text, against a fake RingAdmin.
#include "ringproxy/commands/ring_admin.hpp"

#include "command_fakes.hpp"

namespace ringproxy::fakes {
namespace {

class FakeAdmin final : public RingAdmin {
 public:
  void add_member(BackendSpec spec, std::string who, Done done) override {
    calls.push_back("add " + spec.address() + " w" + std::to_string(spec.weight) +
                    " n=" + spec.name + " | " + who);
    finish(std::move(done));
  }
  void remove_member(std::string_view what, std::string who, Done done) override {
    calls.push_back("remove " + std::string(what) + " | " + who);
    finish(std::move(done));
  }
  void set_weight(std::string_view what, uint32_t weight, std::string who, Done done) override {
    calls.push_back("weight " + std::string(what) + " " + std::to_string(weight) + " | " + who);
    finish(std::move(done));
  }
  // Answers at once, or (later) keeps the answer for the test to give.
  void finish(Done done) {
    if (later) {
      waiting.push_back(std::move(done));
    } else {
      done(result);
    }
  }
  void ring_report(RingReport& out) const override {
    out.version = 7;
    out.membership_version = 5;
    out.source = "PROXY ADD 127.0.0.1:7004";
    out.distribution = "ketama";
    out.hash = "fnv1a_64";
    out.differs_from_config = true;
    RingMemberReport m;
    m.slot = 3;
    m.address = "127.0.0.1:7004";
    m.weight = 1;
    m.points = 160;
    m.liveness = "up";
    m.dirty_entries = 2;
    out.members.push_back(m);
  }
  std::vector<std::string> calls;
  std::string result;
  bool later = false;
  std::vector<Done> waiting;
};

class RingAdminTest : public CommandsTest {
 protected:
  RingAdminTest() { ctx().admin = &admin; }
  FakeAdmin admin;
};

TEST_F(RingAdminTest, LoopbackClientsMayChangeTheRing) {
  EXPECT_EQ(call({"PROXY", "ADD", "127.0.0.1:7004:2", "cache-d"}), status("OK"));
  EXPECT_EQ(call({"proxy", "remove", "cache-a"}), status("OK"));
  EXPECT_EQ(call({"PROXY", "WEIGHT", "127.0.0.1:7001", "5"}), status("OK"));
  EXPECT_EQ(admin.calls, (std::vector<std::string>{
                             "add 127.0.0.1:7004 w2 n=cache-d | PROXY ADD 127.0.0.1:7004:2 cache-d",
                             "remove cache-a | PROXY REMOVE cache-a",
                             "weight 127.0.0.1:7001 5 | PROXY WEIGHT 127.0.0.1:7001 5"}));
}

TEST_F(RingAdminTest, RemoteClientsNeedAnOption) {
  client.is_loopback = false;
  const std::string r = call({"PROXY", "ADD", "127.0.0.1:7004"});
  EXPECT_TRUE(r.starts_with("-NOPERM")) << r;
  EXPECT_TRUE(admin.calls.empty());
  // Reading the ring is open to all.
  EXPECT_TRUE(call({"PROXY", "RING"}).starts_with("$"));
}

class RemoteAllowedTest : public CommandsTest {
 protected:
  RemoteAllowedTest() : CommandsTest(options()) { ctx().admin = &admin; }
  static CommandOptions options() {
    CommandOptions o = defaults();
    o.admin_allow_remote = true;
    return o;
  }
  FakeAdmin admin;
};

TEST_F(RemoteAllowedTest, AllowRemoteLetsAnyClientIn) {
  client.is_loopback = false;
  EXPECT_EQ(call({"PROXY", "ADD", "127.0.0.1:7004"}), status("OK"));
}

class AdminPasswordTest : public CommandsTest {
 protected:
  AdminPasswordTest() : CommandsTest(options()) { ctx().admin = &admin; }
  static CommandOptions options() {
    CommandOptions o = defaults();
    o.admin_password = "adm";
    o.client_password = "cli";
    return o;
  }
  FakeAdmin admin;
};

TEST_F(AdminPasswordTest, OnlyClientsThatAuthedWithItMay) {
  FakeSession s(dispatcher.requests(), 9, false);
  send(s, {"AUTH", "cli"});
  EXPECT_EQ(s.reply(), status("OK"));
  send(s, {"PROXY", "ADD", "127.0.0.1:7004"});
  EXPECT_TRUE(s.reply().starts_with("-NOPERM"));  // loopback is not enough
  send(s, {"AUTH", "adm"});
  EXPECT_EQ(s.reply(), status("OK"));
  send(s, {"PROXY", "ADD", "127.0.0.1:7004"});
  EXPECT_EQ(s.reply(), status("OK"));
  // The admin password authenticates as a client too.
  FakeSession t(dispatcher.requests(), 10, false);
  send(t, {"AUTH", "adm"});
  EXPECT_EQ(t.reply(), status("OK"));
  EXPECT_TRUE(t.authenticated());
}

TEST_F(AdminPasswordTest, HelloAuthWithItGrantsAdminToo) {
  FakeSession s(dispatcher.requests(), 11, false);
  send(s, {"HELLO", "2", "AUTH", "default", "cli"});
  EXPECT_TRUE(s.reply().starts_with("*14"));
  send(s, {"PROXY", "ADD", "127.0.0.1:7004"});
  EXPECT_TRUE(s.reply().starts_with("-NOPERM"));
  FakeSession t(dispatcher.requests(), 12, false);
  send(t, {"HELLO", "2", "AUTH", "default", "adm"});
  EXPECT_TRUE(t.reply().starts_with("*14"));
  send(t, {"PROXY", "ADD", "127.0.0.1:7004"});
  EXPECT_EQ(t.reply(), status("OK"));
  FakeSession u(dispatcher.requests(), 13, false);
  send(u, {"HELLO", "2", "AUTH", "default", "wrong"});
  EXPECT_TRUE(u.reply().starts_with("-WRONGPASS"));
  EXPECT_FALSE(u.authenticated());
}

TEST_F(RingAdminTest, BadArgumentsAndFailuresAreErrors) {
  EXPECT_TRUE(call({"PROXY", "ADD"}).starts_with("-ERR wrong number"));
  EXPECT_TRUE(call({"PROXY", "ADD", "nohostport"}).starts_with("-ERR ringproxy: bad backend"));
  EXPECT_TRUE(call({"PROXY", "WEIGHT", "a", "0"}).starts_with("-ERR ringproxy: weight"));
  EXPECT_TRUE(call({"PROXY", "WEIGHT", "a", "x"}).starts_with("-ERR ringproxy: weight"));
  EXPECT_TRUE(call({"PROXY", "REMOVE"}).starts_with("-ERR wrong number"));
  EXPECT_TRUE(call({"PROXY", "RING", "x"}).starts_with("-ERR wrong number"));
  admin.result = "ERR ringproxy: no backend named z";
  EXPECT_EQ(call({"PROXY", "REMOVE", "z"}), error("ERR ringproxy: no backend named z"));
  EXPECT_EQ(admin.calls.size(), 1u);
}

// With --etcd the change is answered once etcd has it: the reply keeps its
// place in the client's reply order, and an error (etcd down) is one line.
TEST_F(RingAdminTest, AChangeAnsweredLaterKeepsItsPlaceInTheReplyOrder) {
  admin.later = true;
  send({"PROXY", "ADD", "127.0.0.1:7004"});
  send({"PING"});
  send({"PROXY", "REMOVE", "a"});
  EXPECT_TRUE(client.replies().empty());
  ASSERT_EQ(admin.waiting.size(), 2u);
  admin.waiting[0]("");
  EXPECT_EQ(client.replies(), (std::vector<std::string>{status("OK"), status("PONG")}));
  admin.waiting[1]("ERR ringproxy: etcd: unavailable: connection refused\r\nx");
  EXPECT_EQ(client.replies(),
            (std::vector<std::string>{error("ERR ringproxy: etcd: unavailable: connection "
                                            "refused  x")}));
  EXPECT_EQ(client.waiting(), 0u);
  // A client gone before the answer: the answer releases its request.
  const size_t in_use = dispatcher.requests().in_use();
  send({"PROXY", "ADD", "127.0.0.1:7005"});
  client.gone();
  admin.waiting[2]("");
  EXPECT_EQ(dispatcher.requests().in_use(), in_use);
}

TEST_F(RingAdminTest, RingDescribesMembersAndProgress) {
  const std::string r = call({"PROXY", "RING"});
  EXPECT_NE(r.find("ring_version:7\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("source:PROXY ADD 127.0.0.1:7004\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("differs_from_config:1\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("membership_from:config\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("etcd_revision:"), std::string::npos) << r;
  EXPECT_NE(r.find("dirty_entries:2\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("member3:slot=3,addr=127.0.0.1:7004,name=-,weight=1,points=160,liveness=up,"
                   "dirty_entries=2"),
            std::string::npos)
      << r;
}

TEST_F(CommandsTest, WithoutAnAdminTheRingCannotChange) {
  EXPECT_EQ(call({"PROXY", "RING"}), error("ERR ringproxy: this proxy's ring cannot be changed"));
}

}  // namespace
}  // namespace ringproxy::fakes

namespace ringproxy::fakes {
namespace {

// Reads of a key its backend may hold a stale copy of answer as misses
// without asking the backend; writes go through.
TEST_F(CommandsTest, StaleKeysReadAsMisses) {
  ring.stale_keys.insert({1, "1:old"});
  EXPECT_EQ(call({"GET", "1:old"}), nil());
  EXPECT_EQ(call({"HMGET", "1:old", "a", "b"}), array({nil(), nil()}));
  EXPECT_EQ(call({"MGET", "0:a", "1:old"}), array({nil(), nil()}));
  EXPECT_EQ(call({"EXISTS", "0:a", "1:old"}), integer(0));
  EXPECT_TRUE(port.sent.empty());
  EXPECT_EQ(ctx().counters.stale_reads, 4u);
  send({"SET", "1:old", "v"});
  ASSERT_EQ(port.sent.size(), 1u);
  send({"GET", "1:fresh"});
  EXPECT_EQ(port.sent.size(), 2u);
}

}  // namespace
}  // namespace ringproxy::fakes
