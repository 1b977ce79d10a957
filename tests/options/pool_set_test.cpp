// A twemproxy file of several pools without --pool: the redis pools are
// listed (memcached ones skipped with a warning), each pool's configuration
// is what --pool NAME gives (so the command line overrides every pool), and
// what several pools cannot share is refused.
#include "ringproxy/options/pool_set.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parse_args.hpp"
#include "ringproxy/options/config.hpp"
#include "temp_file.hpp"

namespace ringproxy {
namespace {

std::string redis_pool(const std::string& name, int port, const std::string& extra = "") {
  return name + ":\n  listen: 127.0.0.1:" + std::to_string(port) + "\n  redis: true\n" + extra +
         "  servers:\n   - 127.0.0.1:7001:1\n   - 127.0.0.1:7002:1\n";
}

const std::string kMemcached =
    "cache:\n  listen: 127.0.0.1:22125\n  servers:\n   - 127.0.0.1:11211:1\n";

const std::string kTwoRedisOneMemcached =
    redis_pool("alpha", 22121, "  hash: md5\n") + kMemcached +
    redis_pool("beta", 22122, "  distribution: modula\n  hash: crc32a\n");

std::vector<std::string> with_program(std::vector<std::string> args) {
  args.insert(args.begin(), "ringproxy");
  return args;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PoolSet, ListsPoolsInFileOrderWithTheirKind) {
  TempFile f(kTwoRedisOneMemcached, ".yml");
  const std::vector<TwemproxyPool> pools = list_twemproxy_pools(f.path());
  ASSERT_EQ(pools.size(), 3u);
  EXPECT_EQ(pools[0].name, "alpha");
  EXPECT_TRUE(pools[0].redis);
  EXPECT_EQ(pools[1].name, "cache");
  EXPECT_FALSE(pools[1].redis);
  EXPECT_EQ(pools[2].name, "beta");
  EXPECT_TRUE(pools[2].redis);
}

TEST(PoolSet, WithoutPoolEveryRedisPoolRunsAndMemcachedOnesAreSkipped) {
  TempFile f(kTwoRedisOneMemcached, ".yml");
  const CommandLine cl = parse_args({"--twemproxy-config", f.path()});
  EXPECT_EQ(cl.pools, (std::vector<std::string>{"alpha", "beta"}));
  size_t skipped = 0;
  for (const std::string& w : cl.warnings) {
    if (w.find("memcached") != std::string::npos) {
      ++skipped;
      EXPECT_NE(w.find("pool cache"), std::string::npos) << w;
    }
  }
  EXPECT_EQ(skipped, 1u);
  EXPECT_EQ(cl.config.twemproxy_pool, "alpha");  // the first pool's
  // --pool still runs that pool alone, without a warning.
  const CommandLine one = parse_args({"--twemproxy-config", f.path(), "--pool", "beta"});
  EXPECT_TRUE(one.pools.empty());
  EXPECT_TRUE(one.warnings.empty());
  EXPECT_EQ(one.config.listen_port, 22122);
}

TEST(PoolSet, OneRedisPoolLeftRunsAsAPoolOfItsOwn) {
  TempFile f(kMemcached + redis_pool("alpha", 22121), ".yml");
  const CommandLine cl = parse_args({"--twemproxy-config", f.path()});
  EXPECT_EQ(cl.pools, (std::vector<std::string>{"alpha"}));
  EXPECT_EQ(cl.config.listen_port, 22121);
  EXPECT_EQ(cl.warnings.size(), 1u);
}

TEST(PoolSet, NoRedisPoolIsAnError) {
  TempFile f(kMemcached +
                 "other:\n  listen: 127.0.0.1:22126\n  redis: false\n  servers:\n"
                 "   - 127.0.0.1:11212:1\n",
             ".yml");
  const std::string e = parse_error({"--twemproxy-config", f.path()});
  EXPECT_NE(e.find("no redis pool"), std::string::npos) << e;
  EXPECT_NE(e.find("cache, other"), std::string::npos) << e;
}

TEST(PoolSet, EachPoolHasItsOwnKeysAndTheCommandLineOverridesAll) {
  TempFile f(kTwoRedisOneMemcached, ".yml");
  const std::vector<std::string> args =
      with_program({"--twemproxy-config", f.path(), "--timeout-ms", "250"});
  const std::vector<PoolCommandLine> pools = pool_command_lines(args, {"alpha", "beta"});
  ASSERT_EQ(pools.size(), 2u);
  EXPECT_EQ(pools[0].name, "alpha");
  EXPECT_EQ(pools[0].config.listen_port, 22121);
  EXPECT_EQ(pools[0].config.hash, HashKind::kMd5);
  EXPECT_EQ(pools[0].config.distribution, DistributionKind::kKetama);
  EXPECT_EQ(pools[1].config.listen_port, 22122);
  EXPECT_EQ(pools[1].config.hash, HashKind::kCrc32a);
  EXPECT_EQ(pools[1].config.distribution, DistributionKind::kModula);
  for (const PoolCommandLine& p : pools) {
    EXPECT_EQ(p.config.timeout_ms, 250) << p.name;
    EXPECT_EQ(p.config.twemproxy_pool, p.name);
    ASSERT_GE(p.args.size(), 2u);
    EXPECT_EQ(p.args[p.args.size() - 2], "--pool");
    EXPECT_EQ(p.args.back(), p.name);
  }
  // A command-line key overrides every pool's.
  const std::vector<PoolCommandLine> murmur = pool_command_lines(
      with_program({"--twemproxy-config", f.path(), "--hash", "murmur"}), {"alpha", "beta"});
  EXPECT_EQ(murmur[0].config.hash, HashKind::kMurmur);
  EXPECT_EQ(murmur[1].config.hash, HashKind::kMurmur);
}

TEST(PoolSet, WhatPoolsCannotShareIsRefused) {
  TempFile f(kTwoRedisOneMemcached, ".yml");
  const std::vector<std::string> names = {"alpha", "beta"};
  std::string e = error_of([&] {
    pool_command_lines(with_program({"--twemproxy-config", f.path(), "--listen", "127.0.0.1:7000"}),
                       names);
  });
  EXPECT_NE(e.find("'--listen' cannot be given"), std::string::npos) << e;
  EXPECT_NE(e.find("--pool NAME"), std::string::npos) << e;
  e = error_of([&] {
    pool_command_lines(
        with_program({"--twemproxy-config", f.path(), "--etcd", "http://127.0.0.1:2379"}), names);
  });
  EXPECT_NE(e.find("'--etcd'"), std::string::npos) << e;

  TempFile same(redis_pool("a", 22121) + redis_pool("b", 22121), ".yml");
  e = error_of([&] {
    pool_command_lines(with_program({"--twemproxy-config", same.path()}), {"a", "b"});
  });
  EXPECT_NE(e.find("pools a and b both listen on 127.0.0.1:22121"), std::string::npos) << e;
}

}  // namespace
}  // namespace ringproxy
