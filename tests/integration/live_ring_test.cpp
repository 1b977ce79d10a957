// Issue 17: the live ring of one proxy. PROXY ADD/REMOVE/WEIGHT and SIGHUP
// while serving, against real redis-servers: what moves (placement after a
// change equals a fresh start's with the new list; 3 -> 4 with ketama moves
// about a quarter of the keys, none between survivors), that a pipelined load
// loses no reply and no connection through changes, who may change the ring,
// and that no stale value is read after an expansion whose new node fails.
//
// Owners of keys are found by asking the backends directly (EXISTS), never by
// re-implementing the ring in the test.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

const Reply kOk = Reply::make_status("OK");

std::string ring_field(Client& c, const std::string& field) {
  const Reply r = c.command({"PROXY", "RING"});
  if (!r.is_string()) return "";
  return info_field("\r\n" + r.str, field);
}

uint64_t ring_version(Client& c) {
  const std::string v = ring_field(c, "ring_version");
  return v.empty() ? 0 : std::stoull(v);
}

std::vector<std::string> make_keys(std::string_view prefix, size_t n) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; ++i) keys.push_back(std::string(prefix) + std::to_string(i));
  return keys;
}

// A client sending pipelined SET/GET pairs until stopped, checking every
// reply: SETs answer OK; a GET answers its pair's value or nil (the key may
// have moved between the two); nothing else, and the connection never closes.
class PipelinedLoad {
 public:
  explicit PipelinedLoad(uint16_t port) : port_(port) {
    thread_ = std::thread([this] { run(); });
  }
  ~PipelinedLoad() { finish(); }
  void finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t rounds() const { return rounds_; }
  uint64_t replies() const { return replies_; }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void run() {
    try {
      Client c(port_, Duration(5000));
      uint64_t n = 0;
      while (!stop_) {
        std::vector<std::vector<std::string>> cmds;
        for (int i = 0; i < 32; ++i, ++n) {
          const std::string key = "load:" + std::to_string(n % 500);
          const std::string value = "v" + std::to_string(n);
          cmds.push_back({"SET", key, value});
          cmds.push_back({"GET", key});
        }
        const std::vector<Reply> replies = c.pipeline(cmds);
        replies_ += replies.size();
        if (replies.size() != cmds.size()) problems_.push_back("missing replies");
        for (size_t i = 0; i + 1 < replies.size(); i += 2) {
          if (replies[i] != kOk) problems_.push_back("SET: " + replies[i].to_string());
          const Reply& g = replies[i + 1];
          if (!g.is_nil() && g != Reply::make_string(cmds[i][2])) {
            problems_.push_back("GET " + cmds[i][1] + ": " + g.to_string());
          }
        }
        ++rounds_;
      }
    } catch (const std::exception& e) {
      problems_.push_back(std::string("connection: ") + e.what());
    }
  }

  uint16_t port_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> rounds_{0};
  std::atomic<uint64_t> replies_{0};
  std::vector<std::string> problems_;
  std::thread thread_;
};

// Four redis-servers; the proxy starts over the first three.
class LiveRingTest : public ClusterTest {
 protected:
  size_t backend_count() const override { return 4; }
  std::vector<std::string> proxy_args() const override {
    return {"--distribution",
            "ketama",
            "--health-interval-ms",
            "100",
            "--health-timeout-ms",
            "200",
            "--failure-limit",
            "2",
            "--rise",
            "2"};
  }
  void customize_proxy(ProxyOptions& options) const override { options.backends.resize(3); }

  void flush_backends() {
    for (size_t i = 0; i < backends_.size(); ++i) {
      ASSERT_EQ(backend_client(i).command({"FLUSHALL"}), kOk);
    }
  }
  // Writes `keys` through `port` and returns each key's owner (backend index).
  std::map<std::string, size_t> place(uint16_t port, const std::vector<std::string>& keys) {
    Client c(port);
    std::vector<std::vector<std::string>> cmds;
    for (const std::string& k : keys) cmds.push_back({"SET", k, "x"});
    for (const Reply& r : c.pipeline(cmds)) EXPECT_EQ(r, kOk);
    std::map<std::string, size_t> owner;
    for (const std::string& k : keys) {
      const std::vector<size_t> holders = backends_holding(k);
      EXPECT_EQ(holders.size(), 1u) << k;
      if (!holders.empty()) owner[k] = holders[0];
    }
    return owner;
  }
  // Until the stale-range cleaner is done: it deletes the copies a member
  // holds of keys in ranges it lost, even if a later change gave a range
  // back and a key there was written again (a miss, never a stale value).
  void wait_clean() {
    Client c = proxy_client();
    ASSERT_TRUE(wait_until([&] { return ring_field(c, "dirty_entries") == "0"; }, Duration(20000)));
  }
  void wait_version_above(uint64_t v) {
    Client c = proxy_client();
    ASSERT_TRUE(wait_until([&] { return ring_version(c) > v; }, Duration(10000)))
        << "ring version stayed at " << v;
  }
};

TEST_F(LiveRingTest, AddMovesAQuarterToTheNewNodeAndMatchesAFreshStart) {
  const std::vector<std::string> keys = make_keys("placement:", 2000);
  const std::map<std::string, size_t> before = place(proxy().port(), keys);
  flush_backends();

  Client admin = proxy_client();
  ASSERT_EQ(admin.command({"PROXY", "ADD", backend(3).backend().to_string()}), kOk);
  EXPECT_EQ(ring_field(admin, "members"), "4");
  EXPECT_EQ(ring_field(admin, "differs_from_config"), "1");
  EXPECT_EQ(ring_field(admin, "source").substr(0, 9), "PROXY ADD");
  wait_clean();
  const std::map<std::string, size_t> after = place(proxy().port(), keys);
  flush_backends();

  size_t moved = 0;
  for (const std::string& k : keys) {
    if (before.at(k) == after.at(k)) continue;
    ++moved;
    EXPECT_EQ(after.at(k), 3u) << k << " moved between two backends that both stayed";
  }
  const double share = static_cast<double>(moved) / keys.size();
  std::cout << "[ measured ] keys moved by 3 -> 4: " << share * 100 << "%" << std::endl;
  EXPECT_GT(share, 0.15);
  EXPECT_LT(share, 0.35);

  // A proxy started fresh with the four backends places every key the same.
  ProxyOptions fresh;
  fresh.backends = backend_addresses();
  fresh.extra_args = proxy_args();
  ProxyProcess reference(fresh);
  const std::map<std::string, size_t> fresh_owner = place(reference.port(), keys);
  EXPECT_EQ(after, fresh_owner);
}

TEST_F(LiveRingTest, RemoveAndWeightMatchAFreshStart) {
  const std::vector<std::string> keys = make_keys("rw:", 2000);
  Client admin = proxy_client();
  ASSERT_EQ(admin.command({"PROXY", "WEIGHT", backend(0).address(), "3"}), kOk);
  ASSERT_EQ(admin.command({"PROXY", "REMOVE", backend(1).address()}), kOk);
  EXPECT_EQ(ring_field(admin, "members"), "2");
  wait_clean();
  const std::map<std::string, size_t> live = place(proxy().port(), keys);
  flush_backends();
  ProxyOptions fresh;
  fresh.backends = {backend(0).backend(3), backend(2).backend()};
  fresh.extra_args = proxy_args();
  ProxyProcess reference(fresh);
  EXPECT_EQ(live, place(reference.port(), keys));

  // Errors: unknown member, last member, bad weight, duplicate.
  EXPECT_TRUE(admin.command({"PROXY", "REMOVE", "nosuch:1"}).is_error());
  EXPECT_TRUE(admin.command({"PROXY", "WEIGHT", backend(0).address(), "0"}).is_error());
  EXPECT_TRUE(admin.command({"PROXY", "ADD", backend(0).backend().to_string()}).is_error());
  ASSERT_EQ(admin.command({"PROXY", "REMOVE", backend(0).address()}), kOk);
  EXPECT_TRUE(admin.command({"PROXY", "REMOVE", backend(2).address()}).is_error());
}

TEST_F(LiveRingTest, ChangesUnderPipelinedLoadLoseNoReplyAndCloseNoClient) {
  PipelinedLoad load(proxy().port());
  Client admin = proxy_client();
  auto settle = [&] {
    const uint64_t r = load.rounds();
    ASSERT_TRUE(wait_until([&] { return load.rounds() >= r + 20; }, Duration(20000)));
  };
  settle();
  ASSERT_EQ(admin.command({"PROXY", "ADD", backend(3).backend().to_string()}), kOk);
  settle();
  ASSERT_EQ(admin.command({"PROXY", "WEIGHT", backend(3).address(), "2"}), kOk);
  settle();
  ASSERT_EQ(admin.command({"PROXY", "REMOVE", backend(0).address()}), kOk);
  settle();
  ASSERT_EQ(admin.command({"PROXY", "ADD", backend(0).backend().to_string()}), kOk);
  settle();
  load.finish();
  EXPECT_TRUE(load.problems().empty())
      << load.problems().size() << " problems, first: " << load.problems().front();
  EXPECT_GT(load.replies(), 0u);
  // The load's connection is still there, and so is the admin's.
  EXPECT_EQ(admin.command({"PING"}), Reply::make_status("PONG"));
  EXPECT_EQ(ring_field(admin, "members"), "4");
  // The removed backend's connections were closed once drained.
  EXPECT_TRUE(wait_until([&] { return ring_field(admin, "draining") == "0"; }, Duration(5000)));
}

// Expand 3 -> 4, write, fail the new node, read: the survivors hold copies
// from before the expansion of the keys that moved to the new node; none may
// be served. With the cleaner slowed to a crawl, the reads answer as misses.
TEST_F(LiveRingTest, NoStaleValueAfterTheNewNodeFails) {
  // Restart with a crawling cleaner so the stale copies are still there.
  start_proxy({"--cleanup-rate", "1", "--cleanup-batch", "1"});
  const std::vector<std::string> keys = make_keys("stale:", 1000);
  Client c = proxy_client();
  std::vector<std::vector<std::string>> v1, v2;
  for (const std::string& k : keys) {
    v1.push_back({"SET", k, "old"});
    v2.push_back({"SET", k, "new"});
  }
  for (const Reply& r : c.pipeline(v1)) ASSERT_EQ(r, kOk);
  ASSERT_EQ(c.command({"PROXY", "ADD", backend(3).backend().to_string()}), kOk);
  for (const Reply& r : c.pipeline(v2)) ASSERT_EQ(r, kOk);
  // Keys now on the new node, with their old copies still on a survivor.
  std::vector<std::string> moved;
  for (const std::string& k : keys) {
    if (backend_client(3).command({"EXISTS", k}) == Reply::make_integer(1)) moved.push_back(k);
  }
  ASSERT_GT(moved.size(), 100u);
  size_t old_copies = 0;
  for (const std::string& k : moved) {
    for (size_t b = 0; b < 3; ++b) {
      if (backend_client(b).command({"GET", k}) == Reply::make_string("old")) ++old_copies;
    }
  }
  ASSERT_GT(old_copies, 0u) << "the test needs stale copies on the survivors";

  backend(3).stop();
  ASSERT_TRUE(wait_until(
      [&] {
        const Reply r = c.command({"PROXY", "RING"});
        return r.is_string() && r.str.find("liveness=down") != std::string::npos;
      },
      Duration(10000)));
  std::vector<std::vector<std::string>> gets;
  for (const std::string& k : keys) gets.push_back({"GET", k});
  const std::vector<Reply> got = c.pipeline(gets);
  size_t misses = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_NE(got[i], Reply::make_string("old")) << keys[i] << " served stale";
    if (got[i].is_nil()) ++misses;
  }
  EXPECT_GE(misses, moved.size());
  const Reply info = c.command({"INFO", "ringproxy"});
  EXPECT_NE(info_field(info.str, "stale_reads"), "0");
}

// With the cleaner at its default rate, the survivors' copies of the keys
// they lost are deleted and the dirty entries dropped.
TEST_F(LiveRingTest, CleanerDeletesCopiesOfLostKeys) {
  const std::vector<std::string> keys = make_keys("clean:", 1000);
  Client c = proxy_client();
  std::vector<std::vector<std::string>> sets;
  for (const std::string& k : keys) sets.push_back({"SET", k, "x"});
  for (const Reply& r : c.pipeline(sets)) ASSERT_EQ(r, kOk);
  ASSERT_EQ(c.command({"PROXY", "ADD", backend(3).backend().to_string()}), kOk);
  EXPECT_NE(ring_field(c, "dirty_entries"), "0");
  ASSERT_TRUE(wait_until([&] { return ring_field(c, "dirty_entries") == "0"; }, Duration(20000)));
  // Each key is now either on the survivor that owns it, or (moved to the
  // new node, which was never written to) nowhere: writing every key again
  // lands the first kind where it is and the second on the new node.
  std::map<std::string, std::vector<size_t>> held;
  for (const std::string& k : keys) held[k] = backends_holding(k);
  for (const Reply& r : c.pipeline(sets)) ASSERT_EQ(r, kOk);
  size_t cleaned = 0;
  for (const std::string& k : keys) {
    const std::vector<size_t> now = backends_holding(k);
    ASSERT_EQ(now.size(), 1u) << k;
    if (held[k].empty()) {
      ++cleaned;
      EXPECT_EQ(now[0], 3u) << k << ": deleted from a survivor that still owns it";
    } else {
      EXPECT_EQ(held[k], now) << k << ": a copy left on a survivor that lost it";
    }
  }
  EXPECT_GT(cleaned, keys.size() / 10);
  const std::string text = c.command({"PROXY", "RING"}).str;
  EXPECT_NE(text.find("cleanup_deleted="), std::string::npos);
}

TEST_F(LiveRingTest, AdminNeedsThePasswordWhenOneIsSet) {
  start_proxy({"--admin-password", "s3cret"});
  Client c = proxy_client();
  const Reply refused = c.command({"PROXY", "ADD", backend(3).backend().to_string()});
  ASSERT_TRUE(refused.is_error());
  EXPECT_EQ(refused.str.substr(0, 6), "NOPERM");
  EXPECT_TRUE(c.command({"PROXY", "RING"}).is_string());  // reading is open
  EXPECT_TRUE(c.command({"AUTH", "wrong"}).is_error());
  ASSERT_EQ(c.command({"AUTH", "s3cret"}), kOk);
  EXPECT_EQ(c.command({"PROXY", "ADD", backend(3).backend().to_string()}), kOk);
  EXPECT_EQ(ring_field(c, "members"), "4");
}

// SIGHUP re-reads --config: the difference from the file as last loaded is
// applied; an unchanged file changes nothing (PROXY ADD stays); a bad file
// changes nothing and logs its file and line.
class ReloadTest : public LiveRingTest {
 protected:
  bool start_proxy_in_setup() const override { return false; }
  void write_config(const std::vector<size_t>& members, const std::string& extra = "") {
    std::ofstream f(conf_path());
    f << "distribution = ketama\nhealth-interval-ms = 100\n";
    for (size_t i : members) f << "backend = " << backend(i).backend().to_string() << "\n";
    f << extra;
  }
  std::string conf_path() const { return dir_.path() / "ringproxy.conf"; }
  void start() {
    ProxyOptions o;
    o.extra_args = {"--config", conf_path()};
    proxy_ = std::make_unique<ProxyProcess>(o);
  }
  void hup_and_wait_log(const std::string& needle) {
    const size_t seen = count(needle);
    proxy().signal(SIGHUP);
    ASSERT_TRUE(wait_until([&] { return count(needle) > seen; }, Duration(10000)))
        << proxy().log_tail();
  }
  size_t count(const std::string& needle) {
    const std::string log = proxy().log();
    size_t n = 0;
    for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }
  TempDir dir_;
};

TEST_F(ReloadTest, SighupAppliesTheFilesDifference) {
  write_config({0, 1, 2});
  start();
  PipelinedLoad load(proxy().port());
  Client c = proxy_client();
  EXPECT_EQ(ring_field(c, "differs_from_config"), "0");
  // An unchanged file: nothing changes.
  const uint64_t v0 = ring_version(c);
  hup_and_wait_log("reload: backends unchanged");
  EXPECT_EQ(ring_version(c), v0);
  // A runtime ADD survives a reload of the unchanged file.
  ASSERT_EQ(c.command({"PROXY", "ADD", backend(3).backend().to_string()}), kOk);
  EXPECT_EQ(ring_field(c, "differs_from_config"), "1");
  hup_and_wait_log("reload: backends unchanged");
  EXPECT_EQ(ring_field(c, "members"), "4");
  // The file drops backend 1 and changes an option that needs a restart.
  write_config({0, 2}, "max-clients = 77\n");
  hup_and_wait_log("reload: backends changed");
  EXPECT_EQ(ring_field(c, "members"), "3");
  EXPECT_EQ(ring_field(c, "source"), "SIGHUP");
  EXPECT_NE(proxy().log().find("max-clients"), std::string::npos);
  // A bad file changes nothing and names the file and line.
  write_config({0}, "max-clients = lots\n");
  hup_and_wait_log("reload failed");
  EXPECT_NE(proxy().log().find(conf_path() + ":"), std::string::npos) << proxy().log_tail();
  EXPECT_EQ(ring_field(c, "members"), "3");
  load.finish();
  EXPECT_TRUE(load.problems().empty()) << load.problems().front();
}

TEST_F(ReloadTest, PlacementAfterAReloadEqualsAFreshStart) {
  write_config({0, 1, 2});
  start();
  write_config({0, 1, 2, 3});
  hup_and_wait_log("reload: backends changed");
  wait_clean();
  const std::vector<std::string> keys = make_keys("hup:", 2000);
  const auto live = place(proxy().port(), keys);
  flush_backends();
  ProxyOptions fresh;
  fresh.extra_args = {"--config", conf_path()};
  ProxyProcess reference(fresh);
  EXPECT_EQ(live, place(reference.port(), keys));
}

}  // namespace
}  // namespace ringproxy::testing
