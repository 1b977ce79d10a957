// Watches against a real etcd: order, resumption after etcd was killed and
// came back elsewhere meanwhile (every change once), compaction during the
// disconnect (reported; PrefixMirror reads again), progress notifications,
// token renewal and the silence timeout.
#include <gtest/gtest.h>

#include "etcd_fixture.hpp"
#include "ringproxy/cluster/etcd_json.hpp"

namespace ringproxy::testing {
namespace {

class EtcdWatchTest : public EtcdFixture {
 protected:
  // Starts a watch of `prefix` from the store's next revision and waits
  // until it is up.
  void watch_prefix(const std::string& prefix, EventLog& log,
                    std::function<void(int64_t)> on_compacted = {}) {
    auto r = get_prefix(prefix);
    ASSERT_TRUE(r.ok()) << r.error->message;
    watch_ = client_->watch(prefix, prefix_range_end(prefix), r.value.revision + 1,
                            log.handler(std::move(on_compacted)));
    ASSERT_TRUE(run_until([&] { return watch_->up(); }));
  }
  // Takes etcd away from the client (killed, then serving on a port the
  // client does not know), runs `meanwhile` there with etcdctl, and brings it
  // back on the client's port.
  void while_disconnected(const std::function<void()>& meanwhile) {
    uint16_t port = etcd_->client_port();
    etcd_->kill9();
    ASSERT_TRUE(run_until([&] { return !watch_->up(); }));
    etcd_->start_on(free_port());
    meanwhile();
    etcd_->stop();
    etcd_->start_on(port);
  }
};

TEST_F(EtcdWatchTest, SeesPutsAndDeletesInOrder) {
  etcd_ = std::make_unique<EtcdServer>();
  make_client(options());
  EventLog log;
  watch_prefix("/w/", log);
  etcd_->etcdctl_ok({"put", "/w/a", "1"});
  etcd_->etcdctl_ok({"put", "/w/b", "2"});
  etcd_->etcdctl_ok({"put", "/other", "not watched"});
  etcd_->etcdctl_ok({"del", "/w/a"});
  etcd_->etcdctl_ok({"put", "/w/a", "3"});
  etcd_->etcdctl_ok({"del", "--prefix", "/w/"});
  std::vector<std::string> expected = {"PUT /w/a=1", "PUT /w/b=2",  "DELETE /w/a",
                                       "PUT /w/a=3", "DELETE /w/a", "DELETE /w/b"};
  ASSERT_TRUE(run_until([&] { return log.lines.size() >= expected.size(); })) << log.lines.size();
  EXPECT_EQ(log.lines, expected);
  for (size_t i = 1; i < log.revisions.size(); ++i)
    EXPECT_GE(log.revisions[i], log.revisions[i - 1]);
  EXPECT_EQ(log.revisions[4], log.revisions[5]);  // one delete of two keys: one revision
  EXPECT_EQ(watch_->next_revision(), log.revisions.back() + 1);
  EXPECT_EQ(watch_->reconnects(), 0u);
}

TEST_F(EtcdWatchTest, ResumesAfterEtcdComesBackAndDeliversEachChangeOnce) {
  etcd_ = std::make_unique<EtcdServer>();
  make_client(options());
  EventLog log;
  std::vector<std::string> states;
  watch_prefix("/r/", log);
  etcd_->etcdctl_ok({"put", "/r/a", "1"});
  ASSERT_TRUE(run_until([&] { return log.lines.size() == 1; }));

  while_disconnected([&] {
    etcd_->etcdctl_ok({"put", "/r/b", "2"});
    etcd_->etcdctl_ok({"del", "/r/a"});
    etcd_->etcdctl_ok({"put", "/r/c", "3"});
  });
  ASSERT_TRUE(run_until([&] { return watch_->up() && log.lines.size() >= 4; }));
  etcd_->etcdctl_ok({"put", "/r/d", "4"});
  ASSERT_TRUE(run_until([&] { return log.lines.size() >= 5; }));
  EXPECT_EQ(log.lines, (std::vector<std::string>{"PUT /r/a=1", "PUT /r/b=2", "DELETE /r/a",
                                                 "PUT /r/c=3", "PUT /r/d=4"}));
  EXPECT_GE(watch_->reconnects(), 1u);
  EXPECT_GE(client_->state().retries, 1u);
  EXPECT_TRUE(client_->state().connected);
}

TEST_F(EtcdWatchTest, CompactionDuringTheDisconnectIsReported) {
  etcd_ = std::make_unique<EtcdServer>();
  make_client(options());
  EventLog log;
  int64_t compacted_at = 0;
  watch_prefix("/c/", log, [&](int64_t rev) { compacted_at = rev; });
  etcd_->etcdctl_ok({"put", "/c/a", "1"});
  ASSERT_TRUE(run_until([&] { return log.lines.size() == 1; }));
  int64_t resume = watch_->next_revision();

  int64_t compact_to = 0;
  while_disconnected([&] {
    etcd_->etcdctl_ok({"put", "/c/b", "2"});
    etcd_->etcdctl_ok({"put", "/c/b", "3"});
    compact_to = etcd_revision();
    etcd_->etcdctl_ok({"compact", std::to_string(compact_to)});
  });
  ASSERT_GT(compact_to, resume);
  ASSERT_TRUE(run_until([&] { return compacted_at != 0; }));
  EXPECT_EQ(compacted_at, compact_to);
  EXPECT_TRUE(watch_->compacted());
  EXPECT_FALSE(watch_->up());
  EXPECT_EQ(log.lines.size(), 1u) << "nothing after the gap may be delivered as if complete";

  // What the caller does: read again, restart from there.
  auto r = get_prefix("/c/");
  ASSERT_EQ(r.value.kvs.size(), 2u);
  watch_->restart(r.value.revision + 1);
  ASSERT_TRUE(run_until([&] { return watch_->up(); }));
  etcd_->etcdctl_ok({"put", "/c/z", "9"});
  ASSERT_TRUE(run_until([&] { return log.lines.size() == 2; }));
  EXPECT_EQ(log.lines.back(), "PUT /c/z=9");
}

TEST_F(EtcdWatchTest, PrefixMirrorFollowsAndReadsAgainAfterCompaction) {
  etcd_ = std::make_unique<EtcdServer>();
  make_client(options());
  etcd_->etcdctl_ok({"put", "/m/backends/a", "127.0.0.1:7001:1"});
  etcd_->etcdctl_ok({"put", "/m/backends/b", "127.0.0.1:7002:1"});
  int changes = 0;
  int64_t last_revision = 0;
  mirror_ = std::make_unique<PrefixMirror>(*client_, "/m/backends/",
                                           [&](const PrefixMirror::Snapshot&, int64_t revision) {
                                             ++changes;
                                             last_revision = revision;
                                           });
  mirror_->start();
  ASSERT_TRUE(run_until([&] { return mirror_->synced() && mirror_->watching(); }));
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(mirror_->kvs().size(), 2u);

  etcd_->etcdctl_ok({"put", "/m/backends/c", "127.0.0.1:7003:1"});
  ASSERT_TRUE(run_until([&] { return mirror_->kvs().size() == 3; }));
  EXPECT_EQ(changes, 2);

  // Disconnected: a key added, one removed, one changed, history compacted.
  uint16_t port = etcd_->client_port();
  etcd_->kill9();
  ASSERT_TRUE(run_until([&] { return !mirror_->watching(); }));
  etcd_->start_on(free_port());
  etcd_->etcdctl_ok({"put", "/m/backends/d", "127.0.0.1:7004:1"});
  etcd_->etcdctl_ok({"del", "/m/backends/a"});
  etcd_->etcdctl_ok({"put", "/m/backends/b", "127.0.0.1:7002:5"});
  etcd_->etcdctl_ok({"compact", std::to_string(etcd_revision())});
  std::map<std::string, std::string> truth = etcdctl_prefix("/m/backends/");
  etcd_->stop();
  etcd_->start_on(port);

  ASSERT_TRUE(run_until([&] { return mirror_->rereads() == 1 && mirror_->watching(); }));
  std::map<std::string, std::string> mirrored;
  for (const auto& [k, kv] : mirror_->kvs()) mirrored[k] = kv.value;
  EXPECT_EQ(mirrored, truth);
  EXPECT_EQ(changes, 3);
  EXPECT_EQ(last_revision, mirror_->revision());

  etcd_->etcdctl_ok({"del", "/m/backends/c"});  // and it keeps following
  ASSERT_TRUE(run_until([&] { return mirror_->kvs().size() == truth.size() - 1; }));
}

TEST_F(EtcdWatchTest, ProgressNotificationsMoveTheResumePointPastOtherKeys) {
  // With progress notifications the watch knows everything up to the store
  // revision was seen, even when only other keys changed; a compaction of
  // that unrelated history then does not force a re-read on reconnect.
  etcd_ = std::make_unique<EtcdServer>(
      EtcdServerOptions{{"--experimental-watch-progress-notify-interval=100ms"}});
  make_client(options());
  EventLog log;
  bool compacted = false;
  watch_prefix("/p/", log, [&](int64_t) { compacted = true; });
  for (int i = 0; i < 5; ++i) etcd_->etcdctl_ok({"put", "/unrelated", std::to_string(i)});
  int64_t now = etcd_revision();
  ASSERT_TRUE(run_until([&] { return watch_->next_revision() > now; }));
  etcd_->etcdctl_ok({"compact", std::to_string(now)});

  uint16_t port = etcd_->client_port();
  etcd_->kill9();
  ASSERT_TRUE(run_until([&] { return !watch_->up(); }));
  etcd_->start_on(port);
  ASSERT_TRUE(run_until([&] { return watch_->up(); }));
  etcd_->etcdctl_ok({"put", "/p/x", "1"});
  ASSERT_TRUE(run_until([&] { return !log.lines.empty(); }));
  EXPECT_FALSE(compacted);
  EXPECT_EQ(log.lines, std::vector<std::string>{"PUT /p/x=1"});
}

TEST_F(EtcdWatchTest, WatchRenewsARefusedTokenAfterARestart) {
  etcd_ = std::make_unique<EtcdServer>();
  etcd_->etcdctl_ok({"user", "add", "root:rootpw", "--interactive=false"});
  etcd_->etcdctl_ok({"auth", "enable"});
  etcd_->use_etcdctl_user("root:rootpw");
  EtcdOptions o = options();
  o.user = "root";
  o.password = "rootpw";
  make_client(o);
  EventLog log;
  watch_prefix("/auth/", log);
  // The restarted etcd refuses the old token when the watch comes back.
  uint16_t port = etcd_->client_port();
  etcd_->kill9();
  ASSERT_TRUE(run_until([&] { return !watch_->up(); }));
  etcd_->start_on(port);
  ASSERT_TRUE(run_until([&] { return watch_->up(); }));
  etcd_->etcdctl_ok({"put", "/auth/k", "v"});
  ASSERT_TRUE(run_until([&] { return !log.lines.empty(); }));
  EXPECT_EQ(log.lines, std::vector<std::string>{"PUT /auth/k=v"});
}

TEST_F(EtcdWatchTest, ASilentStreamIsReopened) {
  etcd_ = std::make_unique<EtcdServer>(
      EtcdServerOptions{{"--experimental-watch-progress-notify-interval=100ms"}});
  EtcdOptions o = options();
  o.watch_silence_timeout_ms = 1000;  // well above the 100 ms progress interval
  o.request_timeout_ms = 1000;
  make_client(o);
  EventLog log;
  std::vector<std::string> downs;
  watch_prefix("/s/", log);
  uint64_t before = watch_->reconnects();
  etcd_->sigstop();  // the connection stays open, nothing arrives
  bool went_down = run_until([&] { return !watch_->up(); });
  etcd_->sigcont();
  ASSERT_TRUE(went_down);
  EXPECT_NE(client_->state().last_error.find("no message from etcd"), std::string::npos)
      << client_->state().last_error;
  ASSERT_TRUE(run_until([&] { return watch_->up(); }));
  EXPECT_GT(watch_->reconnects(), before);
  etcd_->etcdctl_ok({"put", "/s/k", "v"});
  ASSERT_TRUE(run_until([&] { return !log.lines.empty(); }));
  EXPECT_EQ(log.lines, std::vector<std::string>{"PUT /s/k=v"});
}

}  // namespace
}  // namespace ringproxy::testing
