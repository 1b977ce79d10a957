// Issue 2, acceptance point 1: every data type through the proxy
// gives the same replies as a plain redis-server (the reference, a 4th server
// outside the pool).
//
// Each test sends one list of commands to the proxy and to the reference and
// compares reply by reply; only things that legitimately differ are
// normalised (TTL countdowns, the order of hash-table sets, idle times).
// Stream IDs are fixed. Multi-key commands use a common hash tag (the proxy
// runs with --hash-tag {}), since their keys must share a backend.
#include "core_commands_fixture.hpp"

namespace ringproxy::testing::core {
namespace {

TEST_F(CoreCommands, Strings) {
  const std::string big(100, 'x');
  std::vector<Step> steps = exact({
      {"SET", "s1", "hello"},
      {"GET", "s1"},
      {"GET", "missing"},
      {"SET", "s1", "world", "NX"},
      {"SET", "s1", "w", "XX", "GET"},
      {"SET", "s1", "x", "EX", "0"},
      {"SET", "s1", "x", "NX", "XX"},
      {"SET", "s4", "v", "EXAT", "4102444800"},
      {"EXPIRETIME", "s4"},
      {"GETSET", "s1", "new"},
      {"GETDEL", "s1"},
      {"GET", "s1"},
      {"SETNX", "s5", "a"},
      {"SETNX", "s5", "b"},
      {"GET", "s5"},
      {"APPEND", "s8", "abc"},
      {"APPEND", "s8", "def"},
      {"STRLEN", "s8"},
      {"STRLEN", "missing"},
      {"GETRANGE", "s8", "1", "3"},
      {"GETRANGE", "s8", "-2", "-1"},
      {"SUBSTR", "s8", "0", "1"},
      {"SETRANGE", "s8", "10", "xyz"},
      {"GET", "s8"},
      {"SET", "big", big},
      {"GET", "big"},
      {"INCR", "c"},
      {"INCRBY", "c", "10"},
      {"DECR", "c"},
      {"DECRBY", "c", "5"},
      {"INCRBY", "c", "abc"},
      {"INCR", "s8"},
      {"SET", "max", "9223372036854775807"},
      {"INCR", "max"},
      {"INCRBYFLOAT", "f", "1.5"},
      {"INCRBYFLOAT", "f", "2.0e2"},
      {"INCRBYFLOAT", "f", "abc"},
      {"SET", "{l}a", "ohmytext"},
      {"SET", "{l}b", "mynewtext"},
      {"LCS", "{l}a", "{l}b"},
      {"LCS", "{l}a", "{l}b", "LEN"},
      {"LCS", "{l}a", "{l}b", "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN"},
      {"MSETNX", "{m}a", "1", "{m}b", "2"},
      {"MSETNX", "{m}b", "3", "{m}c", "4"},
      {"MGET", "{m}a", "{m}b", "{m}c"},
      {"RPUSH", "alist", "x"},
      {"GET", "alist"},
      {"APPEND", "alist", "x"},
  });
  steps.push_back({{"SET", "s2", "v", "EX", "100"}});
  steps.push_back({{"TTL", "s2"}, Norm::kTtl});
  steps.push_back({{"SET", "s2", "v2", "KEEPTTL"}});
  steps.push_back({{"TTL", "s2"}, Norm::kTtl});
  steps.push_back({{"SET", "s3", "v", "PX", "100000"}});
  steps.push_back({{"PTTL", "s3"}, Norm::kTtl});
  steps.push_back({{"GETEX", "s3", "PERSIST"}});
  steps.push_back({{"TTL", "s3"}});
  steps.push_back({{"GETEX", "s3", "EX", "50"}});
  steps.push_back({{"TTL", "s3"}, Norm::kTtl});
  steps.push_back({{"SETEX", "s6", "100", "v"}});
  steps.push_back({{"TTL", "s6"}, Norm::kTtl});
  steps.push_back({{"PSETEX", "s7", "100000", "v"}});
  steps.push_back({{"PTTL", "s7"}, Norm::kTtl});
  steps.push_back({{"SETEX", "s6", "-1", "v"}});
  run(steps);
}

TEST_F(CoreCommands, Bitmaps) {
  run(exact({
      {"SETBIT", "b", "7", "1"},
      {"SETBIT", "b", "100", "1"},
      {"SETBIT", "b", "7", "0"},
      {"SETBIT", "b", "7", "1"},
      {"GETBIT", "b", "7"},
      {"GETBIT", "b", "8"},
      {"GETBIT", "b", "1000000"},
      {"GETBIT", "missing", "3"},
      {"SETBIT", "b", "-1", "1"},
      {"SETBIT", "b", "1", "2"},
      {"BITCOUNT", "b"},
      {"BITCOUNT", "b", "0", "0"},
      {"BITCOUNT", "b", "0", "7", "BIT"},
      {"BITCOUNT", "missing"},
      {"BITPOS", "b", "1"},
      {"BITPOS", "b", "0"},
      {"BITPOS", "b", "1", "1", "-1"},
      {"BITPOS", "b", "1", "8", "200", "BIT"},
      {"GET", "b"},
      {"BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0", "INCRBY", "u4", "4", "3",
       "OVERFLOW", "SAT", "INCRBY", "u8", "0", "10"},
      {"BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i8", "8", "200"},
      {"BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i4", "4"},
      {"BITFIELD", "bf", "GET", "u99", "0"},
      {"SET", "{b}x", "abc"},
      {"SET", "{b}y", "ab"},
      {"BITOP", "AND", "{b}d", "{b}x", "{b}y"},
      {"GET", "{b}d"},
      {"BITOP", "OR", "{b}d", "{b}x", "{b}y"},
      {"GET", "{b}d"},
      {"BITOP", "XOR", "{b}d", "{b}x", "{b}y"},
      {"GET", "{b}d"},
      {"BITOP", "NOT", "{b}n", "{b}x"},
      {"GET", "{b}n"},
      {"BITOP", "NOT", "{b}n", "{b}x", "{b}y"},
  }));
}

TEST_F(CoreCommands, Hashes) {
  std::vector<Step> steps = exact({
      {"HSET", "h", "f1", "v1", "f2", "v2"},
      {"HSET", "h", "f1", "v1b"},
      {"HSET", "h", "odd"},
      {"HGET", "h", "f1"},
      {"HGET", "h", "nof"},
      {"HGET", "missing", "f"},
      {"HMGET", "h", "f1", "nof", "f2"},
      {"HMSET", "h", "f3", "v3"},
      {"HGETALL", "h"},
      {"HGETALL", "missing"},
      {"HKEYS", "h"},
      {"HVALS", "h"},
      {"HLEN", "h"},
      {"HEXISTS", "h", "f3"},
      {"HEXISTS", "h", "nof"},
      {"HDEL", "h", "f3", "nof"},
      {"HSETNX", "h", "f1", "x"},
      {"HSETNX", "h", "f9", "x"},
      {"HINCRBY", "h", "n", "5"},
      {"HINCRBY", "h", "n", "-2"},
      {"HINCRBY", "h", "f1", "1"},
      {"HINCRBYFLOAT", "h", "fl", "1.25"},
      {"HSTRLEN", "h", "f1"},
      {"HSCAN", "h", "0"},
      {"HSCAN", "h", "0", "MATCH", "f*", "COUNT", "100"},
      {"OBJECT", "ENCODING", "h"},
      {"GET", "h"},
  });
  steps.push_back({{"HRANDFIELD", "h", "100"}, Norm::kSorted});
  steps.push_back({{"HRANDFIELD", "h", "100", "WITHVALUES"}, Norm::kSorted});
  steps.push_back({{"HRANDFIELD", "h"}, Norm::kSameType});
  // A hash big enough to be a hash table.
  Cmd big = {"HSET", "hbig"};
  for (int i = 0; i < 200; ++i) {
    big.push_back("field" + std::to_string(i));
    big.push_back("value" + std::to_string(i));
  }
  steps.push_back({big});
  steps.push_back({{"HLEN", "hbig"}});
  steps.push_back({{"HGET", "hbig", "field123"}});
  steps.push_back({{"HGETALL", "hbig"}, Norm::kSorted});
  steps.push_back({{"OBJECT", "ENCODING", "hbig"}});
  run(steps);
}

TEST_F(CoreCommands, Lists) {
  run(exact({
      {"RPUSH", "l", "a", "b", "c"},
      {"LPUSH", "l", "z"},
      {"LPUSHX", "nol", "x"},
      {"RPUSHX", "l", "d"},
      {"LRANGE", "l", "0", "-1"},
      {"LRANGE", "l", "1", "2"},
      {"LRANGE", "missing", "0", "-1"},
      {"LLEN", "l"},
      {"LINDEX", "l", "1"},
      {"LINDEX", "l", "100"},
      {"LSET", "l", "0", "Z"},
      {"LSET", "l", "100", "x"},
      {"LINSERT", "l", "BEFORE", "b", "bb"},
      {"LINSERT", "l", "AFTER", "nosuch", "x"},
      {"LREM", "l", "1", "bb"},
      {"RPUSH", "l", "a", "a"},
      {"LREM", "l", "-1", "a"},
      {"LPOS", "l", "a"},
      {"LPOS", "l", "a", "RANK", "-1"},
      {"LPOS", "l", "a", "COUNT", "0"},
      {"LPOS", "l", "nosuch"},
      {"LTRIM", "l", "0", "3"},
      {"LRANGE", "l", "0", "-1"},
      {"OBJECT", "ENCODING", "l"},
      {"LPOP", "l"},
      {"LPOP", "l", "2"},
      {"RPOP", "l"},
      {"RPOP", "l", "5"},
      {"LPOP", "l"},
      {"EXISTS", "l"},
      {"RPUSH", "{q}src", "1", "2", "3", "4"},
      {"LMOVE", "{q}src", "{q}dst", "LEFT", "RIGHT"},
      {"LMOVE", "{q}src", "{q}src", "RIGHT", "LEFT"},
      {"RPOPLPUSH", "{q}src", "{q}dst"},
      {"LRANGE", "{q}src", "0", "-1"},
      {"LRANGE", "{q}dst", "0", "-1"},
      {"LMPOP", "2", "{q}src", "{q}dst", "LEFT", "COUNT", "2"},
      {"LMPOP", "1", "nolist", "LEFT"},
      {"LMOVE", "{q}src", "{q}dst", "UP", "DOWN"},
      {"SET", "str", "v"},
      {"LPUSH", "str", "x"},
  }));
}

TEST_F(CoreCommands, Sets) {
  std::vector<Step> steps = exact({
      {"SADD", "st", "a", "b", "c", "d"},
      {"SADD", "st", "a"},
      {"SCARD", "st"},
      {"SISMEMBER", "st", "a"},
      {"SISMEMBER", "st", "x"},
      {"SMISMEMBER", "st", "a", "x"},
      {"SREM", "st", "d", "x"},
      {"SPOP", "st", "0"},
      {"SADD", "si", "3", "1", "2"},
      {"SMEMBERS", "si"},
      {"OBJECT", "ENCODING", "si"},
      {"OBJECT", "ENCODING", "st"},
      {"SADD", "{t}x", "a", "b", "c"},
      {"SADD", "{t}y", "b", "c", "d"},
      {"SINTERCARD", "2", "{t}x", "{t}y"},
      {"SINTERCARD", "2", "{t}x", "{t}y", "LIMIT", "1"},
      {"SINTERSTORE", "{t}z", "{t}x", "{t}y"},
      {"SCARD", "{t}z"},
      {"SUNIONSTORE", "{t}u", "{t}x", "{t}y"},
      {"SDIFFSTORE", "{t}d", "{t}x", "{t}y"},
      {"SMEMBERS", "{t}d"},
      {"SMOVE", "{t}x", "{t}y", "a"},
      {"SMOVE", "{t}x", "{t}y", "nosuch"},
      {"SISMEMBER", "{t}y", "a"},
      {"SPOP", "missing"},
      {"SET", "str", "v"},
      {"SADD", "str", "x"},
  });
  for (Cmd c : std::vector<Cmd>{{"SMEMBERS", "st"},
                                {"SRANDMEMBER", "st", "100"},
                                {"SINTER", "{t}x", "{t}y"},
                                {"SUNION", "{t}x", "{t}y"},
                                {"SDIFF", "{t}y", "{t}x"},
                                {"SMEMBERS", "{t}z"},
                                {"SMEMBERS", "{t}u"},
                                {"SMEMBERS", "{t}y"},
                                {"SPOP", "si", "10"}}) {
    steps.push_back({c, Norm::kSorted});
  }
  steps.push_back({{"SSCAN", "st", "0"}, Norm::kScanSorted});
  steps.push_back({{"SRANDMEMBER", "st", "-5"}, Norm::kSameType});
  steps.push_back({{"SPOP", "st"}, Norm::kSameType});
  steps.push_back({{"SCARD", "st"}});
  run(steps);
}

TEST_F(CoreCommands, SortedSets) {
  std::vector<Step> steps = exact({
      {"ZADD", "z", "1", "a", "2", "b", "3", "c"},
      {"ZADD", "z", "NX", "10", "a"},
      {"ZADD", "z", "XX", "CH", "5", "a"},
      {"ZADD", "z", "GT", "4", "a"},
      {"ZADD", "z", "LT", "CH", "0.5", "a"},
      {"ZADD", "z", "INCR", "2", "b"},
      {"ZADD", "z", "x", "a"},
      {"ZADD", "z", "NX", "XX", "1", "a"},
      {"ZSCORE", "z", "a"},
      {"ZSCORE", "z", "nope"},
      {"ZMSCORE", "z", "a", "nope"},
      {"ZINCRBY", "z", "1.5", "c"},
      {"ZCARD", "z"},
      {"ZCOUNT", "z", "1", "4"},
      {"ZCOUNT", "z", "(1", "+inf"},
      {"ZRANGE", "z", "0", "-1", "WITHSCORES"},
      {"ZRANGE", "z", "0", "1", "REV"},
      {"ZRANGE", "z", "1", "5", "BYSCORE", "LIMIT", "0", "2"},
      {"ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"},
      {"ZREVRANGEBYSCORE", "z", "+inf", "0"},
      {"ZREVRANGE", "z", "0", "0"},
      {"ZRANK", "z", "b"},
      {"ZREVRANK", "z", "b"},
      {"ZRANK", "z", "nope"},
      {"ZADD", "zl", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"},
      {"ZRANGEBYLEX", "zl", "[b", "(d"},
      {"ZREVRANGEBYLEX", "zl", "+", "-"},
      {"ZLEXCOUNT", "zl", "-", "+"},
      {"ZRANGE", "zl", "[a", "[c", "BYLEX"},
      {"ZREMRANGEBYLEX", "zl", "[a", "[a"},
      {"ZSCAN", "zl", "0"},
      {"ZREM", "z", "a", "nope"},
      {"ZREMRANGEBYRANK", "z", "0", "0"},
      {"ZREMRANGEBYSCORE", "z", "0", "1"},
      {"ZRANGE", "z", "0", "-1", "WITHSCORES"},
      {"ZPOPMIN", "zl"},
      {"ZPOPMAX", "zl", "2"},
      {"ZADD", "{u}a", "1", "x", "2", "y"},
      {"ZADD", "{u}b", "10", "y", "20", "z"},
      {"ZUNIONSTORE", "{u}c", "2", "{u}a", "{u}b", "WEIGHTS", "1", "2", "AGGREGATE", "MAX"},
      {"ZRANGE", "{u}c", "0", "-1", "WITHSCORES"},
      {"ZINTERSTORE", "{u}d", "2", "{u}a", "{u}b"},
      {"ZRANGE", "{u}d", "0", "-1", "WITHSCORES"},
      {"ZDIFFSTORE", "{u}e", "2", "{u}a", "{u}b"},
      {"ZRANGE", "{u}e", "0", "-1", "WITHSCORES"},
      {"ZUNION", "2", "{u}a", "{u}b", "WITHSCORES"},
      {"ZINTER", "2", "{u}a", "{u}b"},
      {"ZDIFF", "2", "{u}a", "{u}b"},
      {"ZINTERCARD", "2", "{u}a", "{u}b"},
      {"ZRANGESTORE", "{u}f", "{u}a", "0", "-1"},
      {"ZRANGE", "{u}f", "0", "-1", "WITHSCORES"},
      {"ZMPOP", "2", "{u}a", "{u}b", "MIN", "COUNT", "1"},
      {"ZMPOP", "1", "nozset", "MAX"},
      {"OBJECT", "ENCODING", "zl"},
  });
  steps.push_back({{"ZRANDMEMBER", "zl", "10"}, Norm::kSorted});
  steps.push_back({{"ZRANDMEMBER", "zl", "10", "WITHSCORES"}, Norm::kSorted});
  steps.push_back({{"ZRANDMEMBER", "zl"}, Norm::kSameType});
  Cmd big = {"ZADD", "zbig"};
  for (int i = 0; i < 200; ++i) {
    big.push_back(std::to_string(i * 0.5));
    big.push_back("m" + std::to_string(i));
  }
  steps.push_back({big});
  steps.push_back({{"OBJECT", "ENCODING", "zbig"}});
  steps.push_back({{"ZRANGE", "zbig", "10", "20", "WITHSCORES"}});
  steps.push_back({{"ZRANK", "zbig", "m150"}});
  run(steps);
}

TEST_F(CoreCommands, HyperLogLog) {
  run(exact({
      {"PFADD", "hll", "a", "b", "c"},
      {"PFADD", "hll", "a"},
      {"PFCOUNT", "hll"},
      {"GET", "hll"},
      {"PFADD", "{p}x", "1", "2", "3"},
      {"PFADD", "{p}y", "3", "4", "5"},
      {"PFCOUNT", "{p}x", "{p}y"},
      {"PFMERGE", "{p}z", "{p}x", "{p}y"},
      {"PFCOUNT", "{p}z"},
      {"GET", "{p}z"},
      {"PFADD", "empty"},
      {"PFCOUNT", "nokey"},
      {"SET", "notahll", "x"},
      {"PFADD", "notahll", "a"},
      {"PFCOUNT", "notahll"},
  }));
}

TEST_F(CoreCommands, Geo) {
  run(exact({
      {"GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
      {"GEOADD", "g", "NX", "13.361389", "38.115556", "Palermo"},
      {"GEOADD", "g", "200", "100", "bad"},
      {"GEOPOS", "g", "Palermo", "nope"},
      {"GEODIST", "g", "Palermo", "Catania", "km"},
      {"GEODIST", "g", "Palermo", "nope"},
      {"GEOHASH", "g", "Palermo", "Catania"},
      {"GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHCOORD",
       "WITHDIST", "WITHHASH"},
      {"GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "DESC", "COUNT",
       "1"},
      {"GEORADIUS", "g", "15", "37", "200", "km", "WITHDIST", "ASC"},
      {"GEORADIUS_RO", "g", "15", "37", "200", "km"},
      {"GEORADIUSBYMEMBER", "g", "Palermo", "300", "km", "WITHCOORD"},
      {"GEOADD", "{g}src", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
       "Catania"},
      {"GEOSEARCHSTORE", "{g}dst", "{g}src", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
       "STOREDIST"},
      {"ZRANGE", "{g}dst", "0", "-1", "WITHSCORES"},
      {"GEORADIUS", "{g}src", "15", "37", "200", "km", "STORE", "{g}dst2"},
      {"ZRANGE", "{g}dst2", "0", "-1", "WITHSCORES"},
      {"TYPE", "g"},
  }));
}

TEST_F(CoreCommands, Streams) {
  std::vector<Step> steps = exact({
      {"XADD", "s", "1-1", "a", "1"},
      {"XADD", "s", "1-2", "b", "2", "c", "3"},
      {"XADD", "s", "2-0", "d", "4"},
      {"XADD", "s", "1-5", "x", "y"},
      {"XADD", "s", "MAXLEN", "10", "3-0", "e", "5"},
      {"XADD", "nos", "NOMKSTREAM", "1-1", "a", "b"},
      {"XLEN", "s"},
      {"XLEN", "missing"},
      {"XRANGE", "s", "-", "+"},
      {"XRANGE", "s", "1-2", "+", "COUNT", "2"},
      {"XRANGE", "s", "(1-1", "+"},
      {"XREVRANGE", "s", "+", "-", "COUNT", "2"},
      {"XDEL", "s", "1-2", "9-9"},
      {"XINFO", "STREAM", "s"},
      {"XTRIM", "s", "MAXLEN", "3"},
      {"XTRIM", "s", "MINID", "2-0"},
      {"XRANGE", "s", "-", "+"},
      {"XSETID", "s", "10-0"},
      {"XADD", "s", "10-1", "f", "v"},
      {"XINFO", "STREAM", "s"},
      {"XINFO", "STREAM", "s", "FULL"},
      {"XGROUP", "CREATE", "s", "g1", "0"},
      {"XGROUP", "CREATE", "s", "g2", "$"},
      {"XGROUP", "CREATE", "s", "g1", "0"},
      {"XGROUP", "CREATE", "new", "g", "0", "MKSTREAM"},
      {"XGROUP", "CREATE", "nostream", "g", "0"},
      {"XGROUP", "CREATECONSUMER", "s", "g1", "alice"},
      {"XGROUP", "SETID", "s", "g2", "0", "ENTRIESREAD", "0"},
      {"XINFO", "GROUPS", "s"},
      {"XPENDING", "s", "g1"},
      {"XPENDING", "s", "g1", "-", "+", "10"},
      {"XACK", "s", "g1", "1-1"},
      {"XCLAIM", "s", "g1", "alice", "0", "1-1"},
      {"XAUTOCLAIM", "s", "g1", "alice", "0", "0-0"},
      {"XGROUP", "DELCONSUMER", "s", "g1", "alice"},
      {"XGROUP", "DESTROY", "s", "g2"},
      {"TYPE", "s"},
      {"OBJECT", "ENCODING", "s"},
  });
  steps.push_back({{"XINFO", "CONSUMERS", "s", "g1"}, Norm::kSameType});
  run(steps);
}

}  // namespace
}  // namespace ringproxy::testing::core
