// EtcdMembership against a real etcd, with a recording callback in place of
// the proxy: the first read, puts and deletes, etcd killed and brought back
// with changes made meanwhile (caught up, nothing delivered while it was
// gone), compaction during the gap (read again), start-up with etcd down, an
// empty prefix, and the write-through helpers behind PROXY ADD/REMOVE/WEIGHT.
#include "ringproxy/cluster/etcd_membership.hpp"

#include <gtest/gtest.h>

#include "etcd_fixture.hpp"

namespace ringproxy::testing {
namespace {

constexpr const char* kPrefix = "/ringproxy/pool";

// Every list delivered, as "name=host:port:weight,..." plus its source.
struct Recorder {
  std::vector<std::string> lists;
  std::vector<std::string> sources;
  EtcdMembership::Apply apply() {
    return [this](std::vector<BackendSpec> members, std::string source) {
      lists.push_back(text(members));
      sources.push_back(std::move(source));
    };
  }
  static std::string text(const std::vector<BackendSpec>& members) {
    std::string out;
    for (const BackendSpec& b : members) {
      out.append(out.empty() ? "" : ",").append(b.name).append("=").append(encode_backend_value(b));
    }
    return out;
  }
  std::string last() const { return lists.empty() ? "" : lists.back(); }
};

class EtcdMembershipTest : public EtcdFixture {
 protected:
  void TearDown() override {
    membership_.reset();
    EtcdFixture::TearDown();
  }
  void make_membership(EtcdOptions o) {
    membership_ = std::make_unique<EtcdMembership>(&loop_, std::move(o), kPrefix, rec_.apply());
  }
  void put_member(const std::string& name, const std::string& value) {
    etcd_->etcdctl_ok({"put", std::string(kPrefix) + "/backends/" + name, value});
  }
  bool wait_for(const std::string& list) {
    return run_until([&] { return rec_.last() == list; });
  }
  std::string write(const std::function<void(EtcdMembership::WriteDone)>& start) {
    std::optional<std::string> out;
    start([&](std::string error) { out = std::move(error); });
    EXPECT_TRUE(run_until([&] { return out.has_value(); }));
    return out.value_or("no answer");
  }

  Recorder rec_;
  std::unique_ptr<EtcdMembership> membership_;
};

TEST_F(EtcdMembershipTest, FirstReadThenPutsAndDeletes) {
  etcd_ = std::make_unique<EtcdServer>();
  put_member("a", "127.0.0.1:7001");
  put_member("b", "127.0.0.1:7002:2");
  etcd_->etcdctl_ok({"put", std::string(kPrefix) + "/other", "not a member"});
  make_membership(options());
  membership_->start();
  ASSERT_TRUE(wait_for("a=127.0.0.1:7001:1,b=127.0.0.1:7002:2")) << rec_.last();
  EXPECT_EQ(rec_.sources.back(),
            "etcd /ringproxy/pool revision " + std::to_string(etcd_revision()));
  ASSERT_TRUE(run_until([&] { return membership_->watching(); }));

  put_member("c", "127.0.0.1:7003");
  ASSERT_TRUE(wait_for("a=127.0.0.1:7001:1,b=127.0.0.1:7002:2,c=127.0.0.1:7003:1")) << rec_.last();
  EXPECT_EQ(rec_.sources.back(),
            "etcd /ringproxy/pool revision " + std::to_string(etcd_revision()));
  etcd_->etcdctl_ok({"del", std::string(kPrefix) + "/backends/a"});
  ASSERT_TRUE(wait_for("b=127.0.0.1:7002:2,c=127.0.0.1:7003:1")) << rec_.last();
  put_member("b", "127.0.0.1:7002:5");
  ASSERT_TRUE(wait_for("b=127.0.0.1:7002:5,c=127.0.0.1:7003:1")) << rec_.last();
  // A key that does not decode is skipped; the others stay.
  put_member("bad", "no-port");
  etcd_->etcdctl_ok({"put", "/ringproxy/poolx/backends/z", "127.0.0.1:7009"});
  put_member("d", "127.0.0.1:7004");
  ASSERT_TRUE(wait_for("b=127.0.0.1:7002:5,c=127.0.0.1:7003:1,d=127.0.0.1:7004:1")) << rec_.last();
  EXPECT_EQ(rec_.lists.size(), 5u) << "one delivery per change that alters the list";
}

TEST_F(EtcdMembershipTest, EmptyPrefixIsNotDelivered) {
  etcd_ = std::make_unique<EtcdServer>();
  put_member("a", "127.0.0.1:7001");
  make_membership(options());
  membership_->start();
  ASSERT_TRUE(wait_for("a=127.0.0.1:7001:1"));
  ASSERT_TRUE(run_until([&] { return membership_->watching(); }));
  etcd_->etcdctl_ok({"del", std::string(kPrefix) + "/backends/a"});
  // The delete is seen (the revision moves) but the last list stays.
  const int64_t del_rev = etcd_revision();
  ASSERT_TRUE(run_until([&] { return membership_->revision() == del_rev; }));
  put_member("b", "127.0.0.1:7002");
  ASSERT_TRUE(wait_for("b=127.0.0.1:7002:1"));
  EXPECT_EQ(rec_.lists.size(), 2u);
}

TEST_F(EtcdMembershipTest, KeepsTheLastListWhileEtcdIsDownAndCatchesUp) {
  etcd_ = std::make_unique<EtcdServer>();
  put_member("a", "127.0.0.1:7001");
  put_member("b", "127.0.0.1:7002");
  make_membership(options());
  membership_->start();
  ASSERT_TRUE(wait_for("a=127.0.0.1:7001:1,b=127.0.0.1:7002:1"));
  ASSERT_TRUE(run_until([&] { return membership_->watching(); }));

  const uint16_t port = etcd_->client_port();
  etcd_->kill9();
  ASSERT_TRUE(run_until([&] { return !membership_->watching(); }));
  // Changes made while this client cannot reach etcd (it serves elsewhere).
  etcd_->start_on(free_port());
  put_member("c", "127.0.0.1:7003");
  etcd_->etcdctl_ok({"del", std::string(kPrefix) + "/backends/a"});
  etcd_->stop();
  // Nothing delivered while etcd is away.
  run_until([] { return false; }, Duration(300));
  EXPECT_EQ(rec_.lists.size(), 1u);
  EXPECT_EQ(membership_->members().size(), 2u);
  etcd_->start_on(port);
  ASSERT_TRUE(wait_for("b=127.0.0.1:7002:1,c=127.0.0.1:7003:1")) << rec_.last();
  // Resumed, not re-read: the watch delivered both changes.
  ASSERT_TRUE(run_until([&] { return membership_->watching(); }));
  put_member("d", "127.0.0.1:7004");
  ASSERT_TRUE(wait_for("b=127.0.0.1:7002:1,c=127.0.0.1:7003:1,d=127.0.0.1:7004:1"));
  EXPECT_EQ(rec_.sources.back(),
            "etcd /ringproxy/pool revision " + std::to_string(etcd_revision()));
}

TEST_F(EtcdMembershipTest, ReadsAgainWhenTheGapWasCompacted) {
  etcd_ = std::make_unique<EtcdServer>();
  put_member("a", "127.0.0.1:7001");
  make_membership(options());
  membership_->start();
  ASSERT_TRUE(wait_for("a=127.0.0.1:7001:1"));
  ASSERT_TRUE(run_until([&] { return membership_->watching(); }));

  const uint16_t port = etcd_->client_port();
  etcd_->kill9();
  ASSERT_TRUE(run_until([&] { return !membership_->watching(); }));
  etcd_->start_on(free_port());
  put_member("b", "127.0.0.1:7002");
  put_member("a", "127.0.0.1:7001:3");
  etcd_->etcdctl_ok({"compact", std::to_string(etcd_revision())});
  etcd_->stop();
  etcd_->start_on(port);
  ASSERT_TRUE(wait_for("a=127.0.0.1:7001:3,b=127.0.0.1:7002:1")) << rec_.last();
  EXPECT_EQ(rec_.lists.size(), 2u) << "the re-read delivers one list, not each lost event";
  ASSERT_TRUE(run_until([&] { return membership_->watching(); }));
  put_member("c", "127.0.0.1:7003");
  ASSERT_TRUE(wait_for("a=127.0.0.1:7001:3,b=127.0.0.1:7002:1,c=127.0.0.1:7003:1"));
}

TEST_F(EtcdMembershipTest, FirstReadFailsFastWhenEtcdIsDownThenFollowsOnceItIsUp) {
  etcd_ = std::make_unique<EtcdServer>();
  put_member("a", "127.0.0.1:7001");
  etcd_->stop();
  EtcdOptions o = options();
  o.connect_timeout_ms = 500;
  make_membership(o);
  membership_->start();
  EXPECT_FALSE(membership_->wait_first_read());
  EXPECT_TRUE(membership_->members().empty());
  // The read goes on in the background and delivers once etcd answers.
  etcd_->start();
  ASSERT_TRUE(wait_for("a=127.0.0.1:7001:1"));
}

TEST_F(EtcdMembershipTest, FirstReadAtStartIsReturnedNotDelivered) {
  etcd_ = std::make_unique<EtcdServer>();
  put_member("a", "127.0.0.1:7001");
  make_membership(options());
  membership_->start();
  ASSERT_TRUE(membership_->wait_first_read());
  EXPECT_EQ(Recorder::text(membership_->members()), "a=127.0.0.1:7001:1");
  EXPECT_TRUE(rec_.lists.empty());
  put_member("b", "127.0.0.1:7002");
  ASSERT_TRUE(wait_for("a=127.0.0.1:7001:1,b=127.0.0.1:7002:1"));
}

TEST_F(EtcdMembershipTest, WriteThroughAddRemoveReweight) {
  etcd_ = std::make_unique<EtcdServer>();
  put_member("a", "127.0.0.1:7001");
  make_membership(options());
  membership_->start();
  ASSERT_TRUE(wait_for("a=127.0.0.1:7001:1"));
  const std::string backends = std::string(kPrefix) + "/backends/";

  EXPECT_EQ(write([&](auto done) {
              membership_->add(parse_backend_spec("127.0.0.1:7002:2 cache-b"), done);
            }),
            "");
  EXPECT_EQ(etcdctl_prefix(backends)[backends + "cache-b"], "127.0.0.1:7002:2");
  ASSERT_TRUE(wait_for("a=127.0.0.1:7001:1,cache-b=127.0.0.1:7002:2"));
  // Without a name, the key is named after the address.
  EXPECT_EQ(write([&](auto done) { membership_->add(parse_backend_spec("127.0.0.1:7003"), done); }),
            "");
  ASSERT_TRUE(
      wait_for("127.0.0.1:7003=127.0.0.1:7003:1,a=127.0.0.1:7001:1,cache-b=127.0.0.1:7002:2"))
      << rec_.last();
  // The same address under another name is refused.
  EXPECT_NE(write([&](auto done) {
              membership_->add(parse_backend_spec("127.0.0.1:7002:1 other"), done);
            }),
            "");
  EXPECT_EQ(write([&](auto done) { membership_->reweight("127.0.0.1:7002", 7, done); }), "");
  EXPECT_EQ(etcdctl_prefix(backends)[backends + "cache-b"], "127.0.0.1:7002:7");
  EXPECT_EQ(write([&](auto done) { membership_->remove("a", done); }), "");
  EXPECT_EQ(write([&](auto done) { membership_->remove("127.0.0.1:7003", done); }), "");
  ASSERT_TRUE(wait_for("cache-b=127.0.0.1:7002:7")) << rec_.last();
  EXPECT_EQ(etcdctl_prefix(backends).size(), 1u);
  EXPECT_NE(write([&](auto done) { membership_->remove("nobody", done); }), "");
  EXPECT_NE(write([&](auto done) { membership_->reweight("cache-b", 0, done); }), "");
}

}  // namespace
}  // namespace ringproxy::testing
