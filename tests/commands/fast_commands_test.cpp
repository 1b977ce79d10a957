// The command table's fast column (Redis's @fast ACL category), which stall
// detection trusts: known members, and the committed list against a live
// redis-server's COMMAND INFO when one can be started.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "harness.hpp"
#include "ringproxy/commands/command_table.hpp"

namespace ringproxy {
namespace {

bool fast(std::string_view name) {
  const CommandInfo* cmd = lookup_command(name);
  EXPECT_NE(cmd, nullptr) << name;
  return cmd != nullptr && command_is_fast(*cmd);
}

TEST(FastCommands, KnownFastAndSlowCommands) {
  for (const char* name :
       {"get", "mget", "incr", "exists", "hget", "ttl", "ping", "expire", "set", "mset"}) {
    EXPECT_TRUE(fast(name)) << name;
  }
  // Work proportional to data, or unbounded: only --timeout-ms bounds them.
  for (const char* name : {"keys", "eval", "evalsha", "sort", "hgetall", "lrange", "smembers",
                           "del", "exec", "scan", "sunionstore", "flushdb", "client", "object"}) {
    EXPECT_FALSE(fast(name)) << name;
  }
}

// Skipped where no redis-server can be started.
TEST(FastCommands, CommittedListMatchesALiveRedis) {
  std::optional<testing::RedisServer> redis;
  try {
    redis.emplace();
  } catch (const testing::HarnessError& e) {
    GTEST_SKIP() << "no redis-server: " << e.what();
  }
  testing::Client c = redis->client();
  testing::Reply all = c.command({"COMMAND"});
  ASSERT_TRUE(all.is_array()) << all;
  std::map<std::string, bool> live;  // name -> in @fast
  for (const testing::Reply& e : all.elements) {
    ASSERT_TRUE(e.is_array() && e.elements.size() >= 7) << e;
    bool is_fast = false;
    for (const testing::Reply& cat : e.elements[6].elements) is_fast |= cat.str == "@fast";
    live[e.elements[0].str] = is_fast;
  }
  std::set<std::string> committed;
  for (std::string_view n : fast_command_names()) committed.emplace(n);
  for (const auto& [name, is_fast] : live) {
    EXPECT_EQ(committed.count(name) > 0, is_fast)
        << name << ": run scripts/update-fast-commands.sh";
  }
  for (const CommandInfo& cmd : all_commands()) {
    auto it = live.find(std::string(cmd.name));
    if (it == live.end()) continue;  // not in this Redis version
    bool added = false;
    for (std::string_view n : also_fast_command_names()) added |= n == cmd.name;
    EXPECT_EQ(command_is_fast(cmd), it->second || added) << cmd.name;
    if (added) {
      EXPECT_FALSE(it->second) << cmd.name << " is @fast now: drop it from kAlsoFast";
    }
  }
}

}  // namespace
}  // namespace ringproxy
