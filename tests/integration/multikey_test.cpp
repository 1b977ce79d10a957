// Issue 2, acceptance points 2, 3 and 4: commands whose keys must share a
// backend (go through with a common hash tag, are refused with an error naming
// hash tags otherwise, without touching anything), split-and-merge commands
// (MGET/MSET/DEL/UNLINK/EXISTS/TOUCH) over keys on all three backends, and the
// whole-keyspace commands (DBSIZE, KEYS, SCAN, FLUSHDB/FLUSHALL, RANDOMKEY).
#include <functional>

#include "core_test_util.hpp"

namespace ringproxy::testing::core {
namespace {

class CoreMultiKey : public CoreClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override { return {"--hash-tag", "{}"}; }

  // MSET through the proxy in chunks.
  void fill(Client& c, const std::vector<std::string>& keys, const std::string& value_prefix) {
    std::vector<Cmd> cmds;
    for (size_t i = 0; i < keys.size(); i += 500) {
      Cmd mset = {"MSET"};
      for (size_t j = i; j < std::min(keys.size(), i + 500); ++j) {
        mset.push_back(keys[j]);
        mset.push_back(value_prefix + keys[j]);
      }
      cmds.push_back(mset);
    }
    for (const Reply& r : c.pipeline(cmds)) ASSERT_EQ(r, ok());
  }

  std::vector<long long> backend_sizes() {
    std::vector<long long> out;
    for (size_t b = 0; b < backends_.size(); ++b) {
      out.push_back(backend_client(b).command({"DBSIZE"}).integer);
    }
    return out;
  }
};

// ---------------------------------------------------------------------------
// Point 2: co-location

TEST_F(CoreMultiKey, ColocatedCommandsWorkWithACommonHashTag) {
  Client c = proxy_client();
  const std::vector<Step> setup = exact({
      {"SET", "{t}str", "v"},
      {"SADD", "{t}set1", "a", "b"},
      {"SADD", "{t}set2", "b", "c"},
      {"RPUSH", "{t}list", "1", "2", "3"},
      {"ZADD", "{t}z1", "1", "a"},
      {"ZADD", "{t}z2", "2", "a", "3", "b"},
      {"PFADD", "{t}h1", "x", "y"},
      {"PFADD", "{t}h2", "y", "z"},
      {"SET", "{t}bits1", "ab"},
      {"SET", "{t}bits2", "a"},
  });
  for (const Step& s : setup) ASSERT_FALSE(c.command(s.cmd).is_error()) << join(s.cmd);

  EXPECT_EQ(c.command({"RENAME", "{t}str", "{t}str2"}), ok());
  EXPECT_EQ(c.command({"GET", "{t}str2"}), str("v"));
  EXPECT_EQ(c.command({"SMOVE", "{t}set1", "{t}set2", "a"}), num(1));
  EXPECT_EQ(c.command({"SISMEMBER", "{t}set2", "a"}), num(1));
  EXPECT_EQ(c.command({"LMOVE", "{t}list", "{t}list2", "LEFT", "RIGHT"}), str("1"));
  EXPECT_EQ(c.command({"RPOPLPUSH", "{t}list", "{t}list2"}), str("3"));
  EXPECT_EQ(c.command({"LRANGE", "{t}list2", "0", "-1"}), arr({str("3"), str("1")}));
  EXPECT_EQ(c.command({"SINTERSTORE", "{t}inter", "{t}set1", "{t}set2"}), num(1));
  EXPECT_EQ(c.command({"SMEMBERS", "{t}inter"}), arr({str("b")}));
  EXPECT_EQ(c.command({"ZUNIONSTORE", "{t}zu", "2", "{t}z1", "{t}z2"}), num(2));
  EXPECT_EQ(c.command({"ZSCORE", "{t}zu", "a"}), str("3"));
  EXPECT_EQ(c.command({"PFMERGE", "{t}hm", "{t}h1", "{t}h2"}), ok());
  EXPECT_EQ(c.command({"PFCOUNT", "{t}hm"}), num(3));
  EXPECT_EQ(c.command({"BITOP", "AND", "{t}band", "{t}bits1", "{t}bits2"}), num(2));
  EXPECT_EQ(c.command({"GET", "{t}band"}), str(std::string("a\0", 2)));
  EXPECT_EQ(
      c.command({"EVAL", "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[2])",
                 "2", "{t}e1", "{t}str2", "set-by-eval"}),
      str("v"));
  EXPECT_EQ(c.command({"GET", "{t}e1"}), str("set-by-eval"));
  Reply sha = c.command({"SCRIPT", "LOAD", "return redis.call('INCRBY', KEYS[1], ARGV[1])"});
  ASSERT_TRUE(sha.is_string()) << sha;
  EXPECT_EQ(c.command({"EVALSHA", sha.str, "1", "{t}counter", "5"}), num(5));
  EXPECT_EQ(c.command({"MSETNX", "{t}n1", "1", "{t}n2", "2"}), num(1));
  EXPECT_EQ(c.command({"MSETNX", "{t}n2", "x", "{t}n3", "3"}), num(0));
  EXPECT_EQ(c.command({"MGET", "{t}n1", "{t}n2", "{t}n3"}), arr({str("1"), str("2"), nil()}));

  // Every one of them really is on a single backend.
  std::set<size_t> holders;
  for (const std::string k : {"{t}str2", "{t}set2", "{t}list2", "{t}inter", "{t}zu", "{t}hm",
                              "{t}band", "{t}e1", "{t}counter", "{t}n1"}) {
    std::vector<size_t> h = backends_holding(k);
    ASSERT_EQ(h.size(), 1u) << k;
    holders.insert(h[0]);
  }
  EXPECT_EQ(holders.size(), 1u);
}

TEST_F(CoreMultiKey, EvalShaWorksOnEveryBackendAfterScriptLoad) {
  // SCRIPT LOAD goes to every backend, so EVALSHA works wherever its keys are.
  Client c = proxy_client();
  Reply sha = c.command({"SCRIPT", "LOAD", "return redis.call('SET', KEYS[1], ARGV[1])"});
  ASSERT_TRUE(sha.is_string()) << sha;
  auto per = names_per_backend("tag");
  for (size_t b = 0; b < per.size(); ++b) {
    std::string key = "{" + per[b][0] + "}k";
    EXPECT_EQ(c.command({"EVALSHA", sha.str, "1", key, "v"}), ok()) << "backend " << b;
    EXPECT_EQ(backends_holding(key), std::vector<size_t>{b});
  }
  Reply exists = c.command({"SCRIPT", "EXISTS", sha.str});
  EXPECT_EQ(exists, arr({num(1)}));
}

TEST_F(CoreMultiKey, CrossBackendCommandsAreRefusedAndChangeNothing) {
  // Names without a hash tag, two per backend.
  auto per = names_per_backend("x", 2);
  const std::string a = per[0][0], a2 = per[0][1], b = per[1][0], b2 = per[1][1];
  Client c = proxy_client();
  // Each key holds something of the type its commands need; "dest" keys are
  // filled too, so that an overwrite would show.
  auto setup = [&](const std::vector<Cmd>& cmds) {
    ASSERT_EQ(c.command({"FLUSHALL"}), ok());
    for (const Cmd& cmd : cmds) ASSERT_FALSE(c.command(cmd).is_error()) << join(cmd);
  };
  struct Case {
    std::vector<Cmd> setup;
    Cmd cmd;
  };
  Reply sha = c.command({"SCRIPT", "LOAD",
                         "redis.call('SET', KEYS[1], 'x'); "
                         "redis.call('SET', KEYS[2], 'y'); return 1"});
  ASSERT_TRUE(sha.is_string()) << sha;
  const std::vector<Case> cases = {
      {{{"SET", a, "1"}, {"SET", b, "2"}}, {"RENAME", a, b}},
      {{{"SET", a, "1"}}, {"RENAME", a, b}},
      {{{"SET", a, "1"}}, {"RENAMENX", a, b}},
      {{{"SET", a, "1"}}, {"COPY", a, b}},
      {{{"SADD", a, "m"}, {"SADD", b, "n"}}, {"SMOVE", a, b, "m"}},
      {{{"RPUSH", a, "1", "2"}}, {"LMOVE", a, b, "LEFT", "RIGHT"}},
      {{{"RPUSH", a, "1", "2"}, {"RPUSH", b, "3"}}, {"RPOPLPUSH", a, b}},
      {{{"SADD", a, "m"}, {"SADD", a2, "m"}, {"SADD", b, "m"}}, {"SINTERSTORE", a, a2, b}},
      {{{"SADD", a, "m"}, {"SADD", b, "m"}}, {"SINTERSTORE", b2, b, a}},
      {{{"ZADD", a, "1", "m"}, {"ZADD", b, "2", "m"}}, {"ZUNIONSTORE", a2, "2", a, b}},
      {{{"ZADD", a, "1", "m"}, {"ZADD", a2, "2", "m"}}, {"ZUNIONSTORE", b, "2", a, a2}},
      {{{"PFADD", a, "1"}, {"PFADD", b, "2"}}, {"PFMERGE", a, b}},
      {{{"PFADD", a, "1"}, {"PFADD", a2, "2"}}, {"PFMERGE", b, a, a2}},
      {{{"SET", a, "x"}, {"SET", b, "y"}}, {"BITOP", "AND", a2, a, b}},
      {{{"SET", a, "x"}, {"SET", a2, "y"}}, {"BITOP", "OR", b, a, a2}},
      {{{"SET", a, "x"}},
       {"EVAL", "redis.call('SET', KEYS[1], 'x'); redis.call('SET', KEYS[2], 'y'); return 1", "2",
        a, b}},
      {{{"SET", a, "x"}}, {"EVALSHA", sha.str, "2", a, b}},
      {{{"SET", a, "1"}}, {"MSETNX", b, "x", a2, "y"}},
      {{}, {"MSETNX", a, "x", a2, "y", b, "z"}},
      {{{"SET", a, "ab"}, {"SET", b, "ac"}}, {"LCS", a, b}},
  };
  for (const Case& k : cases) {
    setup(k.setup);
    auto before = snapshot_backends();
    Reply r = c.command(k.cmd);
    EXPECT_TRUE(is_error_with(r, "hash tag")) << join(k.cmd) << " -> " << r;
    EXPECT_TRUE(r.is_error() && r.str.starts_with("ERR")) << r;
    EXPECT_EQ(snapshot_backends(), before) << "modified by " << join(k.cmd);
  }
  // Scripts were loaded: the refusal is not a NOSCRIPT in disguise.
  EXPECT_EQ(c.command({"EVALSHA", sha.str, "2", "{s}1", "{s}2"}), num(1));
  EXPECT_EQ(c.command({"PING"}), status("PONG"));
}

// ---------------------------------------------------------------------------
// Point 3: split and merged commands

TEST_F(CoreMultiKey, SplitCommandsOverAllBackends) {
  Client c = proxy_client();
  std::vector<std::string> keys;
  for (int i = 0; i < 48; ++i) keys.push_back("mk:" + std::to_string(i));
  Cmd mset = {"MSET"};
  for (const auto& k : keys) {
    mset.push_back(k);
    mset.push_back("value-of-" + k);
  }
  ASSERT_EQ(c.command(mset), ok());
  std::set<size_t> used;
  for (const auto& k : keys) {
    std::vector<size_t> h = backends_holding(k);
    ASSERT_EQ(h.size(), 1u) << k;
    used.insert(h[0]);
  }
  ASSERT_EQ(used.size(), 3u) << "the 48 keys must be spread over all 3 backends";

  // MGET: key order kept, missing keys and wrong types as nil, duplicates.
  Cmd mget = {"MGET"};
  std::vector<Reply> expected;
  for (int i = 47; i >= 0; --i) {
    mget.push_back(keys[i]);
    expected.push_back(str("value-of-" + keys[i]));
    if (i % 7 == 0) {
      mget.push_back("missing:" + std::to_string(i));
      expected.push_back(nil());
    }
  }
  ASSERT_EQ(c.command({"RPUSH", "mk:list", "x"}), num(1));
  mget.push_back("mk:list");
  expected.push_back(nil());
  mget.push_back(keys[3]);
  expected.push_back(str("value-of-" + keys[3]));
  EXPECT_EQ(c.command(mget), arr(expected));
  EXPECT_EQ(c.command({"MGET", "nope1", "nope2", "nope3"}), arr({nil(), nil(), nil()}));

  // MSET: the last value of a repeated key wins, as in Redis.
  EXPECT_EQ(c.command({"MSET", keys[0], "first", keys[1], "x", keys[0], "second"}), ok());
  EXPECT_EQ(c.command({"GET", keys[0]}), str("second"));

  // EXISTS and TOUCH count repeats and ignore missing keys.
  Cmd exists = {"EXISTS"};
  for (const auto& k : keys) exists.push_back(k);
  exists.push_back(keys[5]);
  exists.push_back("missing");
  EXPECT_EQ(c.command(exists), num(49));
  Cmd touch = exists;
  touch[0] = "TOUCH";
  EXPECT_EQ(c.command(touch), num(49));

  // DEL and UNLINK: counts summed over the backends.
  Cmd del = {"DEL"};
  for (int i = 0; i < 24; ++i) del.push_back(keys[i]);
  del.push_back("missing");
  EXPECT_EQ(c.command(del), num(24));
  EXPECT_EQ(c.command(del), num(0));
  Cmd unlink = {"UNLINK"};
  for (int i = 16; i < 48; ++i) unlink.push_back(keys[i]);
  EXPECT_EQ(c.command(unlink), num(24));
  Cmd all = {"EXISTS"};
  for (const auto& k : keys) all.push_back(k);
  EXPECT_EQ(c.command(all), num(0));
  std::vector<long long> sizes = backend_sizes();
  EXPECT_EQ(sizes[0] + sizes[1] + sizes[2], 1) << "only mk:list is left";
}

// ---------------------------------------------------------------------------
// Point 4: the whole keyspace

TEST_F(CoreMultiKey, DbsizeKeysAndRandomKey) {
  Client c = proxy_client();
  EXPECT_EQ(c.command({"DBSIZE"}), num(0));
  EXPECT_EQ(c.command({"KEYS", "*"}), arr({}));
  EXPECT_EQ(c.command({"RANDOMKEY"}), nil());

  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("dk:" + std::to_string(i));
  fill(c, keys, "v");
  std::vector<long long> sizes = backend_sizes();
  for (long long n : sizes) EXPECT_GT(n, 0) << "keys not on all backends";
  EXPECT_EQ(sizes[0] + sizes[1] + sizes[2], 300);
  EXPECT_EQ(c.command({"DBSIZE"}), num(300));

  Reply all = c.command({"KEYS", "*"});
  ASSERT_TRUE(all.is_array());
  std::multiset<std::string> got;
  for (const Reply& r : all.elements) got.insert(r.str);
  EXPECT_EQ(got, std::multiset<std::string>(keys.begin(), keys.end()));
  Reply some = normalise(c.command({"KEYS", "dk:1?"}), Norm::kSorted);
  std::vector<Reply> want;
  for (int i = 10; i < 20; ++i) want.push_back(str("dk:" + std::to_string(i)));
  EXPECT_EQ(some, arr(want));

  std::set<size_t> from;
  std::set<std::string> key_set(keys.begin(), keys.end());
  for (int i = 0; i < 60; ++i) {
    Reply r = c.command({"RANDOMKEY"});
    ASSERT_TRUE(r.is_string()) << r;
    ASSERT_TRUE(key_set.count(r.str)) << r;
    if (from.size() < 3 && i % 4 == 0) from.insert(backends_holding(r.str).at(0));
  }
  EXPECT_GE(from.size(), 2u) << "RANDOMKEY always came from one backend";
}

TEST_F(CoreMultiKey, ScanReturnsEveryKeyExactlyOnce) {
  Client c = proxy_client();
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back("key:" + std::to_string(i));
  fill(c, keys, "v");
  ASSERT_EQ(c.command({"DBSIZE"}), num(5000));

  auto scan_all = [&](const Cmd& extra, size_t* calls) {
    std::multiset<std::string> seen;
    std::string cursor = "0";
    *calls = 0;
    do {
      Cmd cmd = {"SCAN", cursor};
      cmd.insert(cmd.end(), extra.begin(), extra.end());
      Reply r = c.command(cmd);
      if (!r.is_array() || r.elements.size() != 2 || !r.elements[0].is_string()) {
        ADD_FAILURE() << "SCAN " << cursor << " -> " << r;
        break;
      }
      cursor = r.elements[0].str;
      for (const Reply& k : r.elements[1].elements) seen.insert(k.str);
      if (++*calls > 10000) {
        ADD_FAILURE() << "SCAN does not end";
        break;
      }
    } while (cursor != "0");
    return seen;
  };
  size_t calls = 0;
  std::multiset<std::string> seen = scan_all({"COUNT", "100"}, &calls);
  EXPECT_EQ(seen.size(), 5000u);
  EXPECT_EQ(seen, std::multiset<std::string>(keys.begin(), keys.end()));
  EXPECT_GE(calls, 30u) << "COUNT 100 should take many calls";

  std::multiset<std::string> want;
  for (const auto& k : keys) {
    if (k.starts_with("key:12")) want.insert(k);
  }
  EXPECT_EQ(scan_all({"MATCH", "key:12*", "COUNT", "100"}, &calls), want);
  EXPECT_EQ(scan_all({"MATCH", "nothing*"}, &calls), std::multiset<std::string>{});
  EXPECT_TRUE(c.command({"SCAN", "notanumber"}).is_error());

  // redis-cli --scan through the proxy.
  CommandResult cli = run_command({"redis-cli", "-h", kLoopback, "-p",
                                   std::to_string(proxy().port()), "--scan", "--pattern", "key:*"},
                                  {.timeout = Duration(60000)});
  ASSERT_TRUE(cli.ok()) << cli.describe();
  std::multiset<std::string> lines;
  size_t start = 0;
  while (start < cli.out.size()) {
    size_t nl = cli.out.find('\n', start);
    if (nl == std::string::npos) nl = cli.out.size();
    lines.insert(cli.out.substr(start, nl - start));
    start = nl + 1;
  }
  EXPECT_EQ(lines, std::multiset<std::string>(keys.begin(), keys.end()));
}

TEST_F(CoreMultiKey, FlushdbAndFlushallFanOut) {
  Client c = proxy_client();
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back("fk:" + std::to_string(i));
  fill(c, keys, "v");
  for (long long n : backend_sizes()) ASSERT_GT(n, 0);
  EXPECT_EQ(c.command({"FLUSHDB"}), ok());
  EXPECT_EQ(backend_sizes(), (std::vector<long long>{0, 0, 0}));
  EXPECT_EQ(c.command({"DBSIZE"}), num(0));

  fill(c, keys, "v");
  for (long long n : backend_sizes()) ASSERT_GT(n, 0);
  EXPECT_EQ(c.command({"FLUSHALL"}), ok());
  EXPECT_EQ(backend_sizes(), (std::vector<long long>{0, 0, 0}));

  fill(c, keys, "v");
  EXPECT_EQ(c.command({"FLUSHALL", "ASYNC"}), ok());
  EXPECT_TRUE(wait_until(
      [&] {
        return backend_sizes() == std::vector<long long>{0, 0, 0};
      },
      Duration(5000)));
  EXPECT_EQ(c.command({"FLUSHDB", "SYNC"}), ok());
  EXPECT_TRUE(c.command({"FLUSHDB", "BOGUS"}).is_error());
}

}  // namespace
}  // namespace ringproxy::testing::core
