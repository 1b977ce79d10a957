// Tests for the command table: invariants over every entry, spot checks of
// Redis 7.0 facts, lookup, and key extraction including the special cases.
#include "ringproxy/commands/command_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "ringproxy/commands/handlers.hpp"

namespace ringproxy {
namespace {

using Keys = std::vector<uint32_t>;

const CommandInfo& must_find(std::string_view name) {
  const CommandInfo* cmd = lookup_command(name);
  if (cmd == nullptr) throw std::runtime_error("missing command " + std::string(name));
  return *cmd;
}

struct Extracted {
  bool ok = false;
  Keys keys;
  std::string error;
};

Extracted extract(std::initializer_list<std::string_view> args) {
  std::vector<std::string_view> argv(args);
  Extracted out;
  std::string_view error;
  out.ok = extract_keys(must_find(argv.front()), argv, out.keys, error);
  out.error = std::string(error);
  return out;
}

Keys keys_of(std::initializer_list<std::string_view> args) {
  Extracted e = extract(args);
  EXPECT_TRUE(e.ok) << e.error;
  return e.keys;
}

std::string error_of(std::initializer_list<std::string_view> args) {
  Extracted e = extract(args);
  EXPECT_FALSE(e.ok);
  return e.error;
}

bool takes_keys(const CommandInfo& c) {
  return c.handler->traits().keyed;
}

// ---------------------------------------------------------------------------
// The table as a whole.

TEST(CommandTable, HasTheWholeRedis70CommandSet) {
  // redis-server 7.0.15 answers COMMAND COUNT with 240.
  EXPECT_EQ(all_commands().size(), 240u);
}

TEST(CommandTable, SortedUniqueLowerCaseAndLookupReturnsTheEntry) {
  const auto cmds = all_commands();
  for (size_t i = 0; i < cmds.size(); ++i) {
    const CommandInfo& c = cmds[i];
    SCOPED_TRACE(std::string(c.name));
    if (i > 0) {
      EXPECT_LT(cmds[i - 1].name, c.name);
    }
    for (char ch : c.name) EXPECT_FALSE(ch >= 'A' && ch <= 'Z');
    EXPECT_EQ(lookup_command(c.name), &c);
    std::string upper(c.name);
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    EXPECT_EQ(lookup_command(upper), &c);
  }
}

TEST(CommandTable, EntryInvariants) {
  for (const CommandInfo& c : all_commands()) {
    SCOPED_TRACE(std::string(c.name));
    EXPECT_NE(c.arity, 0);
    EXPECT_GE(c.first_key, 0);
    EXPECT_GE(c.numkeys_index, 0);
    if (c.first_key == 0) {
      EXPECT_EQ(c.last_key, 0);
      EXPECT_EQ(c.step, 0);
    } else {
      EXPECT_GE(c.step, 1);
      EXPECT_TRUE(c.last_key < 0 || c.last_key >= c.first_key);
    }
    // The numkeys argument itself always fits in the minimal arity.
    EXPECT_LT(c.numkeys_index, std::abs(c.arity));
    // Writes are never faked.
    if (c.write) {
      EXPECT_EQ(c.miss, MissReply::kNone);
    }
    if (takes_keys(c)) {
      EXPECT_TRUE(c.first_key > 0 || c.numkeys_index > 0) << "forwarded without a key spec";
    } else if (c.handler != &handlers::unsupported) {
      EXPECT_EQ(c.first_key, 0);
      EXPECT_EQ(c.numkeys_index, 0);
    }
  }
}

// A plausible argv of minimal length for every command; commands whose keys
// depend on the arguments get real ones.
std::vector<std::string> minimal_argv(const CommandInfo& c) {
  const std::string name(c.name);
  if (name == "xread") return {"xread", "streams", "s", "0"};
  if (name == "xreadgroup") return {"xreadgroup", "group", "g", "c", "streams", "s", ">"};
  if (name == "object") return {"object", "encoding", "k"};
  if (name == "memory") return {"memory", "usage", "k"};
  if (name == "xinfo") return {"xinfo", "stream", "k"};
  if (name == "xgroup") return {"xgroup", "destroy", "k", "g"};
  size_t argc = static_cast<size_t>(std::abs(c.arity));
  if (c.numkeys_index > 0) argc = std::max(argc, static_cast<size_t>(c.numkeys_index) + 2);
  std::vector<std::string> argv(argc, "x");
  argv[0] = name;
  if (c.numkeys_index > 0) argv[static_cast<size_t>(c.numkeys_index)] = "1";
  return argv;
}

TEST(CommandTable, EveryCommandExtractsKeysInRangeFromMinimalArgv) {
  Keys keys;
  for (const CommandInfo& c : all_commands()) {
    SCOPED_TRACE(std::string(c.name));
    const std::vector<std::string> owned = minimal_argv(c);
    const std::vector<std::string_view> argv(owned.begin(), owned.end());
    EXPECT_TRUE(arity_ok(c, argv.size()));
    if (c.arity > 0) {
      EXPECT_FALSE(arity_ok(c, argv.size() + 1));
    }
    if (static_cast<int>(argv.size()) == std::abs(c.arity)) {
      EXPECT_FALSE(arity_ok(c, argv.size() - 1));
    }
    std::string_view error;
    ASSERT_TRUE(extract_keys(c, argv, keys, error)) << error;
    for (size_t i = 0; i < keys.size(); ++i) {
      EXPECT_GE(keys[i], 1u);
      EXPECT_LT(keys[i], argv.size());
      if (i > 0) {
        EXPECT_LT(keys[i - 1], keys[i]) << "keys must come in argument order";
      }
    }
    if (takes_keys(c)) {
      EXPECT_FALSE(keys.empty());
    }
    if (c.first_key > 0 && c.first_key < static_cast<int>(argv.size())) {
      ASSERT_FALSE(keys.empty());
      EXPECT_EQ(keys.front(), static_cast<uint32_t>(c.first_key));
    }
  }
}

// ---------------------------------------------------------------------------
// Spot checks against Redis 7.0 (COMMAND INFO) and the proxy's choices.

struct Expected {
  std::string_view name;
  int arity, first, last, step, numkeys;
  const CommandHandler* handler;
  bool write;
  MissReply miss;
};

TEST(CommandTable, SpotChecks) {
  namespace H = handlers;
  using M = MissReply;
  const Expected expected[] = {
      {"get", 2, 1, 1, 1, 0, &H::single_key, false, M::kNil},
      {"set", -3, 1, 1, 1, 0, &H::single_key, true, M::kNone},
      {"getrange", 4, 1, 1, 1, 0, &H::single_key, false, M::kEmptyBulk},
      {"strlen", 2, 1, 1, 1, 0, &H::single_key, false, M::kZero},
      {"mget", -2, 1, -1, 1, 0, &H::mget, false, M::kNil},
      {"mset", -3, 1, -1, 2, 0, &H::mset, true, M::kNone},
      {"msetnx", -3, 1, -1, 2, 0, &H::single_key, true, M::kNone},
      {"del", -2, 1, -1, 1, 0, &H::sum_keys, true, M::kNone},
      {"exists", -2, 1, -1, 1, 0, &H::sum_keys, false, M::kZero},
      {"touch", -2, 1, -1, 1, 0, &H::sum_keys, false, M::kZero},
      {"hget", 3, 1, 1, 1, 0, &H::single_key, false, M::kNil},
      {"hmget", -3, 1, 1, 1, 0, &H::single_key, false, M::kNilPerField},
      {"hgetall", 2, 1, 1, 1, 0, &H::single_key, false, M::kEmptyArray},
      {"hset", -4, 1, 1, 1, 0, &H::single_key, true, M::kNone},
      {"lpop", -2, 1, 1, 1, 0, &H::single_key, true, M::kNone},
      {"lrange", 4, 1, 1, 1, 0, &H::single_key, false, M::kEmptyArray},
      {"lmove", 5, 1, 2, 1, 0, &H::single_key, true, M::kNone},
      {"rpoplpush", 3, 1, 2, 1, 0, &H::single_key, true, M::kNone},
      {"lmpop", -4, 0, 0, 0, 1, &H::single_key, true, M::kNone},
      {"smove", 4, 1, 2, 1, 0, &H::single_key, true, M::kNone},
      {"sinterstore", -3, 1, -1, 1, 0, &H::single_key, true, M::kNone},
      {"sintercard", -3, 0, 0, 0, 1, &H::single_key, false, M::kZero},
      {"zscore", 3, 1, 1, 1, 0, &H::single_key, false, M::kNil},
      {"zunionstore", -4, 1, 1, 1, 2, &H::single_key, true, M::kNone},
      {"zunion", -3, 0, 0, 0, 1, &H::single_key, false, M::kEmptyArray},
      {"zrangestore", -5, 1, 2, 1, 0, &H::single_key, true, M::kNone},
      {"pfcount", -2, 1, -1, 1, 0, &H::single_key, false, M::kZero},
      {"pfmerge", -2, 1, -1, 1, 0, &H::single_key, true, M::kNone},
      {"bitop", -4, 2, -1, 1, 0, &H::single_key, true, M::kNone},
      {"bitfield_ro", -2, 1, 1, 1, 0, &H::single_key, false, M::kNone},
      {"geopos", -2, 1, 1, 1, 0, &H::single_key, false, M::kNilPerField},
      {"georadius", -6, 1, 1, 1, 0, &H::single_key, true, M::kNone},
      {"geosearchstore", -8, 1, 2, 1, 0, &H::single_key, true, M::kNone},
      {"xadd", -5, 1, 1, 1, 0, &H::single_key, true, M::kNone},
      {"xlen", 2, 1, 1, 1, 0, &H::single_key, false, M::kZero},
      {"xgroup", -2, 2, 2, 1, 0, &H::single_key, true, M::kNone},
      {"xinfo", -2, 2, 2, 1, 0, &H::single_key, false, M::kNone},
      {"object", -2, 2, 2, 1, 0, &H::single_key, false, M::kNil},
      {"memory", -2, 2, 2, 1, 0, &H::single_key, false, M::kNil},
      {"ttl", 2, 1, 1, 1, 0, &H::single_key, false, M::kMinusTwo},
      {"pttl", 2, 1, 1, 1, 0, &H::single_key, false, M::kMinusTwo},
      {"type", 2, 1, 1, 1, 0, &H::single_key, false, M::kNoneType},
      {"sort", -2, 1, 1, 1, 0, &H::single_key, true, M::kNone},
      {"restore", -4, 1, 1, 1, 0, &H::single_key, true, M::kNone},
      {"copy", -3, 1, 2, 1, 0, &H::single_key, true, M::kNone},
      {"lcs", -3, 1, 2, 1, 0, &H::single_key, false, M::kNone},
      {"eval", -3, 0, 0, 0, 2, &H::single_key, true, M::kNone},
      {"evalsha_ro", -3, 0, 0, 0, 2, &H::single_key, false, M::kNone},
      {"fcall", -3, 0, 0, 0, 2, &H::single_key, true, M::kNone},
      {"dbsize", 1, 0, 0, 0, 0, &H::fanout_sum, false, M::kZero},
      {"keys", 2, 0, 0, 0, 0, &H::fanout_concat, false, M::kEmptyArray},
      {"flushall", -1, 0, 0, 0, 0, &H::fanout_all_ok, true, M::kNone},
      {"script", -2, 0, 0, 0, 0, &H::script, false, M::kNone},
      {"scan", -2, 0, 0, 0, 0, &H::scan, false, M::kNone},
      {"randomkey", 1, 0, 0, 0, 0, &H::random_key, false, M::kNil},
      {"ping", -1, 0, 0, 0, 0, &H::ping, false, M::kNone},
      {"hello", -1, 0, 0, 0, 0, &H::hello, false, M::kNone},
      {"client", -2, 0, 0, 0, 0, &H::client, false, M::kNone},
      {"select", 2, 0, 0, 0, 0, &H::select, false, M::kNone},
      {"multi", 1, 0, 0, 0, 0, &H::multi, false, M::kNone},
      {"exec", 1, 0, 0, 0, 0, &H::exec, false, M::kNone},
      {"discard", 1, 0, 0, 0, 0, &H::discard, false, M::kNone},
      {"watch", -2, 1, -1, 1, 0, &H::unsupported, false, M::kNone},
      {"blpop", -3, 1, -2, 1, 0, &H::unsupported, true, M::kNone},
      {"blmpop", -5, 0, 0, 0, 2, &H::unsupported, true, M::kNone},
      {"xread", -4, 0, 0, 0, 0, &H::unsupported, false, M::kNone},
      {"migrate", -6, 3, 3, 1, 0, &H::unsupported, true, M::kNone},
      {"subscribe", -2, 0, 0, 0, 0, &H::unsupported, false, M::kNone},
      {"lolwut", -1, 0, 0, 0, 0, &H::unsupported, false, M::kNone},
      {"reset", 1, 0, 0, 0, 0, &H::unsupported, false, M::kNone},
      {"restore-asking", -4, 1, 1, 1, 0, &H::unsupported, true, M::kNone},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(std::string(e.name));
    const CommandInfo* c = lookup_command(e.name);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->name, e.name);
    EXPECT_EQ(c->arity, e.arity);
    EXPECT_EQ(c->first_key, e.first);
    EXPECT_EQ(c->last_key, e.last);
    EXPECT_EQ(c->step, e.step);
    EXPECT_EQ(c->numkeys_index, e.numkeys);
    EXPECT_EQ(c->handler, e.handler);
    EXPECT_EQ(c->write, e.write);
    EXPECT_EQ(c->miss, e.miss);
  }
}

// ---------------------------------------------------------------------------
// Lookup.

TEST(CommandLookup, EveryCaseVariant) {
  const CommandInfo* get = lookup_command("get");
  ASSERT_NE(get, nullptr);
  for (std::string_view v : {"get", "geT", "gEt", "gET", "Get", "GeT", "GEt", "GET"}) {
    EXPECT_EQ(lookup_command(v), get) << v;
  }
  EXPECT_EQ(lookup_command("GeoRadiusByMember_RO"), lookup_command("georadiusbymember_ro"));
  EXPECT_EQ(lookup_command("RESTORE-ASKING"), lookup_command("restore-asking"));
  EXPECT_NE(lookup_command("SORT_RO"), nullptr);
}

TEST(CommandLookup, UnknownNames) {
  const std::string long_name(1000, 'g');
  const std::string_view with_nul("get\0", 4);
  for (std::string_view v :
       {std::string_view(), std::string_view("g"), std::string_view("ge"), std::string_view("gett"),
        std::string_view("getx"), std::string_view(" get"), std::string_view("get "),
        std::string_view("xyz"), std::string_view("georadiusbymember_rox"),
        std::string_view("restore_asking"), std::string_view("g\xc5t"), std::string_view("G\x05T"),
        with_nul, std::string_view(long_name)}) {
    EXPECT_EQ(lookup_command(v), nullptr) << v;
  }
  // Only ASCII letters fold: '@' | 0x20 is '`', '[' | 0x20 is '{'.
  EXPECT_EQ(lookup_command("@"), nullptr);
  EXPECT_EQ(lookup_command("S[AN"), nullptr);
}

TEST(CommandLookup, IsFast) {
  // Loose bound: this runs under sanitizers on a shared machine. An optimized
  // build measures a few ns per lookup.
  const std::string_view names[] = {"GET", "set", "HGETALL", "zrangebyscore", "nosuchcmd"};
  constexpr int kRounds = 200000;
  size_t found = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) {
    for (std::string_view n : names) found += lookup_command(n) != nullptr;
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double ns = std::chrono::duration<double, std::nano>(elapsed).count() /
                    (kRounds * static_cast<double>(std::size(names)));
  EXPECT_EQ(found, static_cast<size_t>(kRounds) * 4);
  EXPECT_LT(ns, 1000.0);
  RecordProperty("ns_per_lookup", std::to_string(ns));
}

// ---------------------------------------------------------------------------
// arity_ok.

TEST(CommandArity, RedisConvention) {
  const CommandInfo& get = must_find("get");
  EXPECT_FALSE(arity_ok(get, 1));
  EXPECT_TRUE(arity_ok(get, 2));
  EXPECT_FALSE(arity_ok(get, 3));
  const CommandInfo& set = must_find("set");
  EXPECT_FALSE(arity_ok(set, 2));
  EXPECT_TRUE(arity_ok(set, 3));
  EXPECT_TRUE(arity_ok(set, 9));
  const CommandInfo& ping = must_find("ping");
  EXPECT_TRUE(arity_ok(ping, 1));
  EXPECT_TRUE(arity_ok(ping, 2));
  EXPECT_FALSE(arity_ok(ping, 0));
}

// ---------------------------------------------------------------------------
// Key ranges.

TEST(ExtractKeys, Ranges) {
  EXPECT_EQ(keys_of({"get", "k"}), (Keys{1}));
  EXPECT_EQ(keys_of({"del", "a", "b", "c"}), (Keys{1, 2, 3}));
  EXPECT_EQ(keys_of({"mset", "a", "1", "b", "2"}), (Keys{1, 3}));
  EXPECT_EQ(keys_of({"msetnx", "a", "1", "b", "2", "c", "3"}), (Keys{1, 3, 5}));
  EXPECT_EQ(keys_of({"bitop", "and", "d", "a", "b"}), (Keys{2, 3, 4}));
  EXPECT_EQ(keys_of({"blpop", "a", "b", "0"}), (Keys{1, 2}));
  EXPECT_EQ(keys_of({"lmove", "a", "b", "left", "right"}), (Keys{1, 2}));
  EXPECT_EQ(keys_of({"copy", "a", "b", "db", "1", "replace"}), (Keys{1, 2}));
  EXPECT_EQ(keys_of({"geosearchstore", "d", "s", "frommember", "m", "byradius", "1", "km"}),
            (Keys{1, 2}));
  EXPECT_EQ(keys_of({"pfdebug", "getreg", "k"}), (Keys{2}));
  EXPECT_EQ(keys_of({"hset", "h", "f", "v", "f2", "v2"}), (Keys{1}));
  EXPECT_EQ(keys_of({"ping"}), Keys{});
}

TEST(ExtractKeys, ClearsOutputAndReusesCapacity) {
  Keys keys(64, 7);
  const uint32_t* data = keys.data();
  const std::vector<std::string_view> argv{"get", "k"};
  std::string_view error;
  ASSERT_TRUE(extract_keys(must_find("get"), argv, keys, error));
  EXPECT_EQ(keys, (Keys{1}));
  EXPECT_EQ(keys.data(), data);
}

TEST(ExtractKeys, WorksOnACopyOfAnEntry) {
  const CommandInfo copy = must_find("sort");
  const std::vector<std::string_view> argv{"sort", "k", "store", "d"};
  Keys keys;
  std::string_view error;
  ASSERT_TRUE(extract_keys(copy, argv, keys, error));
  EXPECT_EQ(keys, (Keys{1, 3}));
}

// ---------------------------------------------------------------------------
// numkeys.

TEST(ExtractKeys, EvalNumkeys) {
  EXPECT_EQ(keys_of({"eval", "s", "0"}), Keys{});
  EXPECT_EQ(keys_of({"eval", "s", "0", "arg"}), Keys{});
  EXPECT_EQ(keys_of({"eval", "s", "2", "a", "b", "arg"}), (Keys{3, 4}));
  EXPECT_EQ(keys_of({"EVALSHA", "sha", "1", "a"}), (Keys{3}));
  EXPECT_EQ(keys_of({"fcall_ro", "f", "2", "a", "b"}), (Keys{3, 4}));

  const std::string not_int = "ERR value is not an integer or out of range";
  for (std::string_view bad :
       {"abc", "", "1.0", "+1", " 1", "01", "-0", "99999999999999999999", "1x"}) {
    EXPECT_EQ(error_of({"eval", "s", bad, "a"}), not_int) << bad;
  }
  EXPECT_EQ(error_of({"eval", "s", "-1", "a"}), "ERR Number of keys can't be negative");
  EXPECT_EQ(error_of({"eval", "s", "-9223372036854775808"}),
            "ERR Number of keys can't be negative");
  EXPECT_EQ(error_of({"eval", "s", "2", "a"}),
            "ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(error_of({"fcall", "f", "9223372036854775807", "a"}),
            "ERR Number of keys can't be greater than number of args");
}

TEST(ExtractKeys, ListAndSetNumkeys) {
  EXPECT_EQ(keys_of({"lmpop", "2", "a", "b", "left", "count", "3"}), (Keys{2, 3}));
  EXPECT_EQ(keys_of({"zmpop", "1", "z", "min"}), (Keys{2}));
  EXPECT_EQ(keys_of({"sintercard", "2", "a", "b", "limit", "5"}), (Keys{2, 3}));
  EXPECT_EQ(keys_of({"blmpop", "0", "2", "a", "b", "left"}), (Keys{3, 4}));
  EXPECT_EQ(keys_of({"bzmpop", "1.5", "1", "z", "max"}), (Keys{3}));
  // Redis says this for zero and negative counts of these commands.
  EXPECT_EQ(error_of({"lmpop", "0", "a", "left"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(error_of({"sintercard", "-1", "a"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(error_of({"lmpop", "x", "a", "left"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(error_of({"sintercard", "3", "a"}),
            "ERR Number of keys can't be greater than number of args");
}

TEST(ExtractKeys, SortedSetNumkeys) {
  EXPECT_EQ(keys_of({"zunionstore", "d", "2", "a", "b", "weights", "1", "2"}), (Keys{1, 3, 4}));
  EXPECT_EQ(keys_of({"ZINTERSTORE", "d", "1", "a"}), (Keys{1, 3}));
  EXPECT_EQ(keys_of({"zdiffstore", "d", "2", "a", "b"}), (Keys{1, 3, 4}));
  EXPECT_EQ(keys_of({"zunion", "2", "a", "b", "withscores"}), (Keys{2, 3}));
  EXPECT_EQ(keys_of({"zintercard", "2", "a", "b"}), (Keys{2, 3}));
  EXPECT_EQ(error_of({"zunionstore", "d", "0", "a"}),
            "ERR at least 1 input key is needed for 'zunionstore' command");
  EXPECT_EQ(error_of({"zinter", "-1", "a"}),
            "ERR at least 1 input key is needed for 'zinter' command");
  EXPECT_EQ(error_of({"zintercard", "0", "a"}),
            "ERR at least 1 input key is needed for 'zintercard' command");
  EXPECT_EQ(error_of({"zunionstore", "d", "x", "a"}),
            "ERR value is not an integer or out of range");
  EXPECT_EQ(error_of({"zdiffstore", "d", "5", "a"}),
            "ERR Number of keys can't be greater than number of args");
}

// ---------------------------------------------------------------------------
// Special cases.

TEST(ExtractKeys, SortStore) {
  EXPECT_EQ(keys_of({"sort", "k"}), (Keys{1}));
  EXPECT_EQ(keys_of({"sort", "k", "store", "d"}), (Keys{1, 3}));
  EXPECT_EQ(keys_of({"SORT", "k", "STORE", "d"}), (Keys{1, 3}));
  EXPECT_EQ(keys_of({"sort", "k", "by", "w_*", "limit", "0", "10", "get", "#", "get", "o_*", "desc",
                     "alpha", "store", "d"}),
            (Keys{1, 14}));
  // As in Redis, the last STORE is the destination.
  EXPECT_EQ(keys_of({"sort", "k", "store", "d", "store", "e"}), (Keys{1, 5}));
  // "store" as an option value is not the STORE option.
  EXPECT_EQ(keys_of({"sort", "k", "by", "store"}), (Keys{1}));
  EXPECT_EQ(keys_of({"sort", "k", "get", "store", "desc"}), (Keys{1}));
  EXPECT_EQ(keys_of({"sort", "k", "limit", "0", "store"}), (Keys{1}));
  EXPECT_EQ(keys_of({"sort", "k", "store"}), (Keys{1}));
  // SORT_RO has no STORE (Redis rejects it at execution, and reports only the key).
  EXPECT_EQ(keys_of({"sort_ro", "k", "store", "d"}), (Keys{1}));
}

TEST(ExtractKeys, GeoRadiusStore) {
  EXPECT_EQ(keys_of({"georadius", "k", "15", "37", "200", "km"}), (Keys{1}));
  EXPECT_EQ(keys_of({"georadius", "k", "15", "37", "200", "km", "store", "d"}), (Keys{1, 7}));
  EXPECT_EQ(keys_of({"GEORADIUS", "k", "15", "37", "200", "km", "COUNT", "3", "STOREDIST", "d"}),
            (Keys{1, 9}));
  // Both destinations are keys (Redis's own key specs report both).
  EXPECT_EQ(keys_of({"georadius", "k", "15", "37", "200", "km", "store", "d", "storedist", "e"}),
            (Keys{1, 7, 9}));
  EXPECT_EQ(keys_of({"georadius", "k", "15", "37", "200", "km", "withdist", "asc"}), (Keys{1}));
  EXPECT_EQ(keys_of({"georadius", "k", "15", "37", "200", "km", "store"}), (Keys{1}));
  EXPECT_EQ(keys_of({"georadiusbymember", "k", "m", "100", "km", "store", "d"}), (Keys{1, 6}));
  EXPECT_EQ(keys_of({"georadiusbymember", "k", "m", "100", "km", "any", "storedist", "d"}),
            (Keys{1, 7}));
  // The read-only variants take no destination.
  EXPECT_EQ(keys_of({"georadius_ro", "k", "15", "37", "200", "km", "store", "d"}), (Keys{1}));
}

TEST(ExtractKeys, XReadStreams) {
  EXPECT_EQ(keys_of({"xread", "streams", "a", "0"}), (Keys{2}));
  EXPECT_EQ(keys_of({"xread", "count", "2", "block", "0", "streams", "a", "b", "0", "$"}),
            (Keys{6, 7}));
  EXPECT_EQ(keys_of({"xreadgroup", "group", "g", "c", "count", "1", "noack", "streams", "s", ">"}),
            (Keys{8}));
  // A group called "streams" is not the STREAMS keyword.
  EXPECT_EQ(keys_of({"xreadgroup", "group", "streams", "c", "streams", "s", ">"}), (Keys{5}));
  EXPECT_EQ(error_of({"xread", "streams", "a", "b", "0"}),
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
  EXPECT_EQ(error_of({"xread", "count", "2", "a", "0"}), "ERR syntax error");
}

TEST(ExtractKeys, Migrate) {
  EXPECT_EQ(keys_of({"migrate", "h", "6379", "k", "0", "5000"}), (Keys{3}));
  EXPECT_EQ(keys_of({"migrate", "h", "6379", "", "0", "5000", "copy", "auth2", "u", "keys", "keys",
                     "a", "b"}),
            (Keys{11, 12}));
  EXPECT_EQ(keys_of({"migrate", "h", "6379", "", "0", "5000", "auth", "keys", "replace"}), Keys{});
}

TEST(ExtractKeys, ContainerSubcommands) {
  EXPECT_EQ(keys_of({"object", "encoding", "k"}), (Keys{2}));
  EXPECT_EQ(keys_of({"OBJECT", "FREQ", "k"}), (Keys{2}));
  EXPECT_EQ(keys_of({"object", "help"}), Keys{});
  EXPECT_EQ(keys_of({"object", "nosuch", "k"}), Keys{});
  EXPECT_EQ(keys_of({"memory", "usage", "k", "samples", "5"}), (Keys{2}));
  EXPECT_EQ(keys_of({"memory", "stats"}), Keys{});
  EXPECT_EQ(keys_of({"memory", "doctor"}), Keys{});
  EXPECT_EQ(keys_of({"xinfo", "stream", "k", "full"}), (Keys{2}));
  EXPECT_EQ(keys_of({"xinfo", "consumers", "k", "g"}), (Keys{2}));
  EXPECT_EQ(keys_of({"xinfo", "help"}), Keys{});
  EXPECT_EQ(keys_of({"xgroup", "create", "k", "g", "$", "mkstream"}), (Keys{2}));
  EXPECT_EQ(keys_of({"xgroup", "CreateConsumer", "k", "g", "c"}), (Keys{2}));
  EXPECT_EQ(keys_of({"xgroup", "help"}), Keys{});
}

}  // namespace
}  // namespace ringproxy
