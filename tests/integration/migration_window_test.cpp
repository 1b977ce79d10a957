// Issue 17: the migration window (--migration-window-s). After PROXY ADD
// moves keys to a new backend, a read that misses there is answered by the
// key's previous backend until the window ends; a write or delete of a moved
// key removes the previous backend's copy, so nothing changed or deleted
// during the window is read back stale, during it or after it.
//
// Where a key lives is read from the backends directly (EXISTS) and from
// PROXY WHERE, never re-computed in the test.
#include <iostream>
#include <map>

#include "harness.hpp"
#include "reliability_test_util.hpp"

namespace ringproxy::testing {
namespace {

const Reply kOk = Reply::make_status("OK");

std::string reply_field(const Reply& r, const std::string& field) {
  if (!r.is_string()) return "";
  return info_field("\r\n" + r.str, field);
}

// Four redis-servers; the proxy starts over the first three.
class MigrationWindowTest : public ClusterTest {
 protected:
  size_t backend_count() const override { return 4; }
  std::vector<std::string> proxy_args() const override {
    return {"--distribution", "ketama", "--migration-window-s", window_s()};
  }
  virtual std::string window_s() const { return "3"; }
  void customize_proxy(ProxyOptions& options) const override { options.backends.resize(3); }

  // The backend (index) PROXY WHERE names as the key's owner now.
  size_t owner_now(Client& c, const std::string& key) {
    const Reply r = c.command({"PROXY", "WHERE", key});
    std::string owner;
    if (r.is_string()) {
      const size_t at = r.str.find("owner=");
      if (at != std::string::npos) owner = r.str.substr(at + 6, r.str.find(' ', at) - at - 6);
    }
    for (size_t i = 0; i < backends_.size(); ++i) {
      if (backend(i).address() == owner) return i;
    }
    ADD_FAILURE() << "PROXY WHERE " << key << ": " << r;
    return SIZE_MAX;
  }
  uint64_t window_left_ms(Client& c) {
    const std::string v =
        reply_field(c.command({"PROXY", "RING"}), "migration_window_remaining_ms");
    return v.empty() ? 0 : std::stoull(v);
  }

  // Writes `n` keys through the proxy, adds the fourth backend, and returns
  // the keys that moved with the backend each was on before.
  std::map<std::string, size_t> add_and_find_moved(Client& c, size_t n) {
    std::vector<std::vector<std::string>> sets;
    for (size_t i = 0; i < n; ++i) sets.push_back({"SET", "mw:" + std::to_string(i), "v1"});
    for (const Reply& r : c.pipeline(sets)) EXPECT_EQ(r, kOk);
    std::map<std::string, size_t> before;
    for (const auto& s : sets) {
      const std::vector<size_t> holders = backends_holding(s[1]);
      EXPECT_EQ(holders.size(), 1u) << s[1];
      if (!holders.empty()) before[s[1]] = holders[0];
    }
    EXPECT_EQ(c.command({"PROXY", "ADD", backend(3).backend().to_string()}), kOk);
    std::map<std::string, size_t> moved;
    for (const auto& [key, was] : before) {
      const size_t now = owner_now(c, key);
      if (now == was) continue;
      EXPECT_EQ(now, 3u) << key << " moved between two backends that both stayed";
      moved[key] = was;
    }
    return moved;
  }
};

TEST_F(MigrationWindowTest, MovedKeysAreReadFromTheirPreviousBackend) {
  Client c = proxy_client();
  const std::map<std::string, size_t> moved = add_and_find_moved(c, 400);
  ASSERT_GT(moved.size(), 40u);
  std::vector<std::vector<std::string>> gets;
  for (const auto& entry : moved) gets.push_back({"GET", entry.first});
  const std::vector<Reply> replies = c.pipeline(gets);
  ASSERT_GT(window_left_ms(c), 0u) << "the reads must fall inside the window";
  size_t hits = 0;
  for (const Reply& r : replies) hits += r == Reply::make_string("v1");
  std::cout << "[ measured ] moved keys read during the window: " << hits << " of " << moved.size()
            << " hits" << std::endl;
  EXPECT_EQ(hits, moved.size());
  EXPECT_GE(info_number(c, "window_hits"), moved.size());
  // The new backend was not written: values are never copied.
  for (const auto& entry : moved) {
    EXPECT_EQ(backend_client(3).command({"EXISTS", entry.first}), Reply::make_integer(0));
  }
  // After the window the moved keys miss (and the cleaner removes the old
  // copies).
  ASSERT_TRUE(wait_until([&] { return window_left_ms(c) == 0; }, Duration(20000)));
  const std::vector<Reply> after = c.pipeline(gets);
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(after[i].is_nil()) << gets[i][1];
  ASSERT_TRUE(wait_until(
      [&] {
        return reply_field(c.command({"PROXY", "RING"}), "dirty_entries") == "0";
      },
      Duration(20000)));
  for (const auto& [key, was] : moved) {
    EXPECT_EQ(backend_client(was).command({"EXISTS", key}), Reply::make_integer(0)) << key;
  }
}

// The stale-read sequence: write during the window, delete during the window,
// read during and after the window. Each kind of write path takes part: a
// single-key command, a split one (MSET, DEL of keys on several backends) and
// a transaction.
TEST_F(MigrationWindowTest, WritesAndDeletesDuringTheWindowAreNeverReadBackStale) {
  Client c = proxy_client();
  const std::map<std::string, size_t> moved = add_and_find_moved(c, 400);
  ASSERT_GE(moved.size(), 8u);
  std::vector<std::string> k;
  for (const auto& entry : moved) k.push_back(entry.first);

  // Writes.
  EXPECT_EQ(c.command({"SET", k[0], "v2"}), kOk);
  EXPECT_EQ(c.command({"MSET", k[1], "v2", k[2], "v2", "mw:other", "x"}), kOk);
  EXPECT_EQ(c.command({"MULTI"}), kOk);
  EXPECT_EQ(c.command({"SET", k[3], "v2"}), Reply::make_status("QUEUED"));
  EXPECT_TRUE(c.command({"EXEC"}).is_array());
  // Deletes.
  EXPECT_EQ(c.command({"DEL", k[4]}), Reply::make_integer(0));  // only the old copy existed
  EXPECT_EQ(c.command({"DEL", k[5], k[6], "mw:other"}), Reply::make_integer(1));
  EXPECT_EQ(c.command({"UNLINK", k[7]}), Reply::make_integer(0));

  auto check = [&](const char* when) {
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(c.command({"GET", k[i]}), Reply::make_string("v2")) << when << " " << k[i];
    }
    for (size_t i = 4; i < 8; ++i) {
      EXPECT_TRUE(c.command({"GET", k[i]}).is_nil()) << when << " " << k[i];
    }
    // Untouched moved keys still read from the previous backend, or miss
    // after the window; never anything but v1 or nil.
    const Reply r = c.command({"GET", k[8 % k.size()]});
    EXPECT_TRUE(r.is_nil() || r == Reply::make_string("v1")) << when << " " << r;
  };
  check("during the window:");
  ASSERT_GT(window_left_ms(c), 0u) << "the writes and reads must fall inside the window";
  // Every written or deleted key's old copy is gone from its previous backend.
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(backend_client(moved.at(k[i])).command({"EXISTS", k[i]}), Reply::make_integer(0))
        << k[i];
  }
  EXPECT_GE(info_number(c, "window_invalidations"), 8u);
  ASSERT_TRUE(wait_until([&] { return window_left_ms(c) == 0; }, Duration(20000)));
  check("after the window:");
}

// Without the option no previous backend is asked: moved keys miss at once.
class NoMigrationWindowTest : public MigrationWindowTest {
 protected:
  std::string window_s() const override { return "0"; }
};

TEST_F(NoMigrationWindowTest, MovedKeysMissAtOnce) {
  Client c = proxy_client();
  const std::map<std::string, size_t> moved = add_and_find_moved(c, 200);
  ASSERT_GT(moved.size(), 10u);
  for (const auto& entry : moved) EXPECT_TRUE(c.command({"GET", entry.first}).is_nil());
  EXPECT_EQ(window_left_ms(c), 0u);
  EXPECT_EQ(info_number(c, "window_reads"), 0u);
}

}  // namespace
}  // namespace ringproxy::testing
