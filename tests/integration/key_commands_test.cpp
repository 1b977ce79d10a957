// Issue 2, acceptance points 1 and 8: the key commands (DEL, EXISTS, EXPIRE,
// RENAME, SCAN, ...) through the proxy give the same replies as a plain
// redis-server, and wrong arity / unknown commands get Redis's own texts.
#include "core_commands_fixture.hpp"

namespace ringproxy::testing::core {
namespace {

TEST_F(CoreCommands, KeyCommands) {
  std::vector<Step> steps = exact({
      {"SET", "k1", "v"},
      {"EXPIRE", "k1", "100"},
      {"EXPIRE", "k1", "200", "NX"},
      {"EXPIRE", "k1", "300", "GT"},
      {"EXPIRE", "k1", "50", "LT"},
      {"EXPIRE", "k1", "abc"},
      {"EXPIRE", "missing", "10"},
      {"PERSIST", "k1"},
      {"PERSIST", "k1"},
      {"TTL", "k1"},
      {"TTL", "missing"},
      {"PTTL", "missing"},
      {"EXPIREAT", "k1", "4102444800"},
      {"EXPIRETIME", "k1"},
      {"PEXPIRETIME", "k1"},
      {"PEXPIREAT", "k1", "4102444800123"},
      {"PEXPIRETIME", "k1"},
      {"EXPIRETIME", "missing"},
      {"SET", "k2", "v"},
      {"EXPIRE", "k2", "-1"},
      {"EXISTS", "k2"},
      {"SET", "int", "12345"},
      {"SET", "emb", "short"},
      {"SET", "raw", std::string(100, 'r')},
      {"RPUSH", "list", "a"},
      {"SADD", "set", "a"},
      {"SADD", "iset", "1"},
      {"ZADD", "zset", "1", "a"},
      {"HSET", "hash", "f", "v"},
      {"XADD", "stream", "1-1", "f", "v"},
      {"TYPE", "int"},
      {"TYPE", "list"},
      {"TYPE", "set"},
      {"TYPE", "zset"},
      {"TYPE", "hash"},
      {"TYPE", "stream"},
      {"TYPE", "missing"},
      {"OBJECT", "ENCODING", "int"},
      {"OBJECT", "ENCODING", "emb"},
      {"OBJECT", "ENCODING", "raw"},
      {"OBJECT", "ENCODING", "list"},
      {"OBJECT", "ENCODING", "set"},
      {"OBJECT", "ENCODING", "iset"},
      {"OBJECT", "ENCODING", "zset"},
      {"OBJECT", "ENCODING", "hash"},
      {"OBJECT", "ENCODING", "missing"},
      {"OBJECT", "REFCOUNT", "emb"},
      {"OBJECT", "FREQ", "emb"},
      {"DUMP", "emb"},
      {"DUMP", "list"},
      {"DUMP", "hash"},
      {"DUMP", "missing"},
      {"RESTORE", "restored", "0", "garbage"},
      {"SET", "{c}src", "one"},
      {"COPY", "{c}src", "{c}dst"},
      {"COPY", "{c}src", "{c}dst"},
      {"SET", "{c}src", "two"},
      {"COPY", "{c}src", "{c}dst", "REPLACE"},
      {"GET", "{c}dst"},
      {"RENAME", "{c}src", "{c}moved"},
      {"RENAME", "{c}src", "{c}moved"},
      {"GET", "{c}moved"},
      {"RENAMENX", "{c}moved", "{c}dst"},
      {"RENAMENX", "{c}moved", "{c}fresh"},
      {"RPUSH", "{s}l", "3", "1", "2", "10"},
      {"SORT", "{s}l"},
      {"SORT", "{s}l", "DESC"},
      {"SORT", "{s}l", "LIMIT", "1", "2"},
      {"SORT", "{s}l", "ALPHA"},
      {"SORT", "{s}l", "BY", "nosort"},
      {"SORT", "{s}l", "GET", "#"},
      {"SORT", "{s}l", "STORE", "{s}out"},
      {"LRANGE", "{s}out", "0", "-1"},
      {"SORT_RO", "{s}l", "DESC"},
      {"RPUSH", "{s}words", "b", "a", "c"},
      {"SORT", "{s}words"},
      {"SORT", "{s}words", "ALPHA", "DESC"},
      {"SORT", "missing"},
      {"TOUCH", "emb"},
      {"EXISTS", "emb"},
      {"DEL", "emb"},
      {"UNLINK", "raw"},
      {"EXISTS", "emb"},
  });
  steps.push_back({{"SET", "t1", "v", "EX", "100"}});
  steps.push_back({{"TTL", "t1"}, Norm::kTtl});
  steps.push_back({{"PEXPIRE", "t1", "50000"}});
  steps.push_back({{"PTTL", "t1"}, Norm::kTtl});
  steps.push_back({{"TTL", "t1"}, Norm::kTtl});
  steps.push_back({{"OBJECT", "IDLETIME", "int"}, Norm::kSameType});
  run(steps);

  // DUMP through the proxy restores through the proxy, on both sides.
  Client p = proxy_client();
  Client r = reference_->client();
  for (const std::string key : {"list", "hash", "zset", "int", "stream"}) {
    Reply dp = p.command({"DUMP", key});
    Reply dr = r.command({"DUMP", key});
    ASSERT_TRUE(dp.is_string()) << key << ": " << dp;
    EXPECT_EQ(dp, dr) << key;
    compare_steps(p, r,
                  exact({{"RESTORE", key, "0", dp.str},
                         {"RESTORE", key, "0", dp.str, "REPLACE"},
                         {"RESTORE", key + ":copy", "0", dp.str},
                         {"TYPE", key + ":copy"},
                         {"DUMP", key + ":copy"},
                         {"RESTORE", key + ":abs", "4102444800000", dp.str, "ABSTTL"},
                         {"PEXPIRETIME", key + ":abs"}}));
  }
  EXPECT_EQ(p.command({"LRANGE", "list:copy", "0", "-1"}), arr({str("a")}));
}

// Point 8: wrong arity gets Redis's own text, unknown commands too.
TEST_F(CoreCommands, WrongArityAndUnknownCommandsLikeRedis) {
  std::vector<Cmd> cmds = {
      {"GET"},
      {"GET", "a", "b"},
      {"SET", "k"},
      {"HSET", "h", "f"},
      {"MGET"},
      {"MSET", "a"},
      {"MSET", "a", "b", "c"},
      {"MSETNX", "a"},
      {"DEL"},
      {"UNLINK"},
      {"EXISTS"},
      {"TOUCH"},
      {"LPUSH", "l"},
      {"ZADD", "z", "1"},
      {"EXPIRE", "k"},
      {"RENAME", "a"},
      {"PING", "a", "b"},
      {"ECHO"},
      {"ECHO", "a", "b"},
      {"SELECT"},
      {"DBSIZE", "x"},
      {"KEYS"},
      {"SCAN"},
      {"RANDOMKEY", "x"},
      {"TIME", "x"},
      {"EVAL", "return 1"},
      {"XADD", "s", "1-1", "f"},
      {"GETEX"},
      {"SETEX", "k", "10"},
      {"BITOP", "AND", "d"},
      {"SUBSCRIBE"},
      {"BLPOP", "l"},
      {"NOSUCHCOMMAND"},
      {"nosuchcommand", "a", "b"},
      {"FOO", std::string(200, 'a'), "b"},
      {"FOO", "x", std::string(200, 'b'), "c"},
      {"FOO", "with\r\nnewline"},
      {"FOO", std::string("nul\0byte", 8), "x"},
      {std::string(200, 'Z')},
  };
  Client p = proxy_client();
  Client r = reference_->client();
  for (const Cmd& c : cmds) {
    Reply pr = p.command(c);
    Reply rr = r.command(c);
    ASSERT_TRUE(rr.is_error()) << join(c) << ": reference said " << rr;
    EXPECT_EQ(pr, rr) << join(c);
  }
  // The connection is still fine after all these errors.
  EXPECT_EQ(p.command({"PING"}), status("PONG"));
}

}  // namespace
}  // namespace ringproxy::testing::core
