// The reply kinds of the commands the proxy forwards (Redis 7.0, RESP2); see
// expected_reply.hpp.
//
// One row per forwarded command: the kinds it can answer with, and for the
// commands whose options change the kind, a rule that looks at them. Rows
// are found by the command's position in the command table (an index built
// once), so the check costs an array read per request plus, for the few
// commands with a rule, a look at their arguments. Commands answered by the
// proxy itself and scripts (EVAL, FCALL: any kind) have no row: kAnyReply.
#include "ringproxy/commands/expected_reply.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "ringproxy/common/assert.hpp"
#include "ringproxy/common/text.hpp"

namespace ringproxy {
namespace {

using resp::ReplyTypes;
constexpr ReplyTypes S = resp::kStatus;
constexpr ReplyTypes I = resp::kInteger;
constexpr ReplyTypes B = resp::kBulk;
constexpr ReplyTypes N = resp::kNilBulk;
constexpr ReplyTypes A = resp::kArray;
constexpr ReplyTypes Z = resp::kNilArray;
constexpr ReplyTypes kAny = resp::kAnyReply;

// Commands whose options decide the kind.
enum class Rule : uint8_t {
  kNone,
  kSet,        // GET: bulk|nil; NX/XX: status|nil; else status
  kPopCount,   // LPOP/RPOP key [count]: bulk|nil, with count array|nil-array
  kRandCount,  // SPOP/SRANDMEMBER/HRANDFIELD/ZRANDMEMBER key [count]: bulk|nil, with count array
  kLpos,       // COUNT: array; else integer|nil
  kZadd,       // INCR: bulk|nil; else integer
  kStore,      // SORT/GEORADIUS*: STORE (or STOREDIST): integer; else array
  kLcs,        // LEN: integer; IDX: array; else bulk
  kRank,       // ZRANK/ZREVRANK ... WITHSCORE (7.2): array|nil; else integer|nil
  kScript,     // SCRIPT LOAD: bulk; EXISTS: array; FLUSH/KILL: status; HELP: array
};

// ReplyExpectation keeps a rule as its number, 0 for none.
static_assert(static_cast<uint8_t>(Rule::kNone) == 0);

struct Row {
  std::string_view name;
  ReplyTypes types;  // without options (the rule may change it)
  Rule rule;
};

// clang-format off
constexpr Row kRows[] = {
    {"append", I, Rule::kNone},
    {"bitcount", I, Rule::kNone},
    {"bitfield", A, Rule::kNone},
    {"bitfield_ro", A, Rule::kNone},
    {"bitop", I, Rule::kNone},
    {"bitpos", I, Rule::kNone},
    {"command", A, Rule::kNone},  // DOCS and INFO, passed through from a backend
    {"copy", I, Rule::kNone},
    {"dbsize", I, Rule::kNone},
    {"decr", I, Rule::kNone},
    {"decrby", I, Rule::kNone},
    {"del", I, Rule::kNone},
    {"dump", B | N, Rule::kNone},
    {"eval", kAny, Rule::kNone},
    {"eval_ro", kAny, Rule::kNone},
    {"evalsha", kAny, Rule::kNone},
    {"evalsha_ro", kAny, Rule::kNone},
    {"exec", A | Z, Rule::kNone},
    {"exists", I, Rule::kNone},
    {"expire", I, Rule::kNone},
    {"expireat", I, Rule::kNone},
    {"expiretime", I, Rule::kNone},
    {"fcall", kAny, Rule::kNone},
    {"fcall_ro", kAny, Rule::kNone},
    {"flushall", S, Rule::kNone},
    {"flushdb", S, Rule::kNone},
    {"geoadd", I, Rule::kNone},
    {"geodist", B | N, Rule::kNone},
    {"geohash", A, Rule::kNone},
    {"geopos", A, Rule::kNone},
    {"georadius", A, Rule::kStore},
    {"georadius_ro", A, Rule::kNone},
    {"georadiusbymember", A, Rule::kStore},
    {"georadiusbymember_ro", A, Rule::kNone},
    {"geosearch", A, Rule::kNone},
    {"geosearchstore", I, Rule::kNone},
    {"get", B | N, Rule::kNone},
    {"getbit", I, Rule::kNone},
    {"getdel", B | N, Rule::kNone},
    {"getex", B | N, Rule::kNone},
    {"getrange", B, Rule::kNone},
    {"getset", B | N, Rule::kNone},
    {"hdel", I, Rule::kNone},
    {"hexists", I, Rule::kNone},
    {"hget", B | N, Rule::kNone},
    {"hgetall", A, Rule::kNone},
    {"hincrby", I, Rule::kNone},
    {"hincrbyfloat", B, Rule::kNone},
    {"hkeys", A, Rule::kNone},
    {"hlen", I, Rule::kNone},
    {"hmget", A, Rule::kNone},
    {"hmset", S, Rule::kNone},
    {"hrandfield", B | N, Rule::kRandCount},
    {"hscan", A, Rule::kNone},
    {"hset", I, Rule::kNone},
    {"hsetnx", I, Rule::kNone},
    {"hstrlen", I, Rule::kNone},
    {"hvals", A, Rule::kNone},
    {"incr", I, Rule::kNone},
    {"incrby", I, Rule::kNone},
    {"incrbyfloat", B, Rule::kNone},
    {"keys", A, Rule::kNone},
    {"lcs", B, Rule::kLcs},
    {"lindex", B | N, Rule::kNone},
    {"linsert", I, Rule::kNone},
    {"llen", I, Rule::kNone},
    {"lmove", B | N, Rule::kNone},
    {"lmpop", A | Z, Rule::kNone},
    {"lpop", B | N, Rule::kPopCount},
    {"lpos", I | N, Rule::kLpos},
    {"lpush", I, Rule::kNone},
    {"lpushx", I, Rule::kNone},
    {"lrange", A, Rule::kNone},
    {"lrem", I, Rule::kNone},
    {"lset", S, Rule::kNone},
    {"ltrim", S, Rule::kNone},
    {"memory", kAny, Rule::kNone},  // USAGE: integer|nil; the container's other subcommands vary
    {"mget", A, Rule::kNone},
    {"mset", S, Rule::kNone},
    {"msetnx", I, Rule::kNone},
    {"object", B | N | I | A, Rule::kNone},  // ENCODING bulk|nil, FREQ/IDLETIME/REFCOUNT integer|nil
    {"persist", I, Rule::kNone},
    {"pexpire", I, Rule::kNone},
    {"pexpireat", I, Rule::kNone},
    {"pexpiretime", I, Rule::kNone},
    {"pfadd", I, Rule::kNone},
    {"pfcount", I, Rule::kNone},
    {"pfmerge", S, Rule::kNone},
    {"psetex", S, Rule::kNone},
    {"pttl", I, Rule::kNone},
    {"randomkey", B | N, Rule::kNone},
    {"rename", S, Rule::kNone},
    {"renamenx", I, Rule::kNone},
    {"restore", S, Rule::kNone},
    {"rpop", B | N, Rule::kPopCount},
    {"rpoplpush", B | N, Rule::kNone},
    {"rpush", I, Rule::kNone},
    {"rpushx", I, Rule::kNone},
    {"sadd", I, Rule::kNone},
    {"scan", A, Rule::kNone},
    {"scard", I, Rule::kNone},
    {"script", A, Rule::kScript},
    {"sdiff", A, Rule::kNone},
    {"sdiffstore", I, Rule::kNone},
    {"set", S, Rule::kSet},
    {"setbit", I, Rule::kNone},
    {"setex", S, Rule::kNone},
    {"setnx", I, Rule::kNone},
    {"setrange", I, Rule::kNone},
    {"sinter", A, Rule::kNone},
    {"sintercard", I, Rule::kNone},
    {"sinterstore", I, Rule::kNone},
    {"sismember", I, Rule::kNone},
    {"smembers", A, Rule::kNone},
    {"smismember", A, Rule::kNone},
    {"smove", I, Rule::kNone},
    {"sort", A, Rule::kStore},
    {"sort_ro", A, Rule::kNone},
    {"spop", B | N, Rule::kRandCount},
    {"srandmember", B | N, Rule::kRandCount},
    {"srem", I, Rule::kNone},
    {"sscan", A, Rule::kNone},
    {"strlen", I, Rule::kNone},
    {"substr", B, Rule::kNone},
    {"sunion", A, Rule::kNone},
    {"sunionstore", I, Rule::kNone},
    {"touch", I, Rule::kNone},
    {"ttl", I, Rule::kNone},
    {"type", S, Rule::kNone},
    {"unlink", I, Rule::kNone},
    {"xack", I, Rule::kNone},
    {"xadd", B | N, Rule::kNone},  // nil with NOMKSTREAM
    {"xautoclaim", A, Rule::kNone},
    {"xclaim", A, Rule::kNone},
    {"xdel", I, Rule::kNone},
    {"xgroup", S | I | A, Rule::kNone},  // CREATE/SETID status, DESTROY/*CONSUMER integer, HELP array
    {"xinfo", A, Rule::kNone},
    {"xlen", I, Rule::kNone},
    {"xpending", A, Rule::kNone},
    {"xrange", A, Rule::kNone},
    {"xrevrange", A, Rule::kNone},
    {"xsetid", S, Rule::kNone},
    {"xtrim", I, Rule::kNone},
    {"zadd", I, Rule::kZadd},
    {"zcard", I, Rule::kNone},
    {"zcount", I, Rule::kNone},
    {"zdiff", A, Rule::kNone},
    {"zdiffstore", I, Rule::kNone},
    {"zincrby", B, Rule::kNone},
    {"zinter", A, Rule::kNone},
    {"zintercard", I, Rule::kNone},
    {"zinterstore", I, Rule::kNone},
    {"zlexcount", I, Rule::kNone},
    {"zmpop", A | Z, Rule::kNone},
    {"zmscore", A, Rule::kNone},
    {"zpopmax", A, Rule::kNone},
    {"zpopmin", A, Rule::kNone},
    {"zrandmember", B | N, Rule::kRandCount},
    {"zrange", A, Rule::kNone},
    {"zrangebylex", A, Rule::kNone},
    {"zrangebyscore", A, Rule::kNone},
    {"zrangestore", I, Rule::kNone},
    {"zrank", I | N, Rule::kRank},
    {"zrem", I, Rule::kNone},
    {"zremrangebylex", I, Rule::kNone},
    {"zremrangebyrank", I, Rule::kNone},
    {"zremrangebyscore", I, Rule::kNone},
    {"zrevrange", A, Rule::kNone},
    {"zrevrangebylex", A, Rule::kNone},
    {"zrevrangebyscore", A, Rule::kNone},
    {"zrevrank", I | N, Rule::kRank},
    {"zscan", A, Rule::kNone},
    {"zscore", B | N, Rule::kNone},
    {"zunion", A, Rule::kNone},
    {"zunionstore", I, Rule::kNone},
};
// clang-format on

constexpr bool rows_sorted() {
  for (size_t i = 1; i < std::size(kRows); ++i) {
    if (!(kRows[i - 1].name < kRows[i].name)) return false;
  }
  return true;
}
static_assert(rows_sorted(), "kRows must be sorted by name (binary search)");

const Row* find_row(std::string_view name) {
  const Row* end = std::end(kRows);
  const Row* it = std::lower_bound(std::begin(kRows), end, name,
                                   [](const Row& r, std::string_view n) { return r.name < n; });
  return it != end && it->name == name ? it : nullptr;
}

// Row of each command table entry, by position (nullptr: no row).
const std::vector<const Row*>& rows_by_command() {
  static const std::vector<const Row*> index = [] {
    std::vector<const Row*> v;
    for (const CommandInfo& c : all_commands()) v.push_back(find_row(c.name));
    return v;
  }();
  return index;
}

bool has_option(std::span<const std::string_view> argv, size_t from, std::string_view opt) {
  for (size_t i = from; i < argv.size(); ++i) {
    if (iequals(argv[i], opt)) return true;
  }
  return false;
}

ReplyTypes apply_rule(const Row& row, std::span<const std::string_view> argv) {
  switch (row.rule) {
    case Rule::kNone:
      return row.types;
    case Rule::kSet:
      if (has_option(argv, 3, "get")) return B | N;
      return has_option(argv, 3, "nx") || has_option(argv, 3, "xx") ? S | N : S;
    case Rule::kPopCount:
      return argv.size() > 2 ? A | Z : B | N;
    case Rule::kRandCount:
      return argv.size() > 2 ? A : B | N;
    case Rule::kLpos:
      return has_option(argv, 3, "count") ? A : I | N;
    case Rule::kZadd:
      return has_option(argv, 2, "incr") ? B | N : I;
    case Rule::kStore:
      return has_option(argv, 2, "store") || has_option(argv, 2, "storedist") ? I : A;
    case Rule::kLcs:
      if (has_option(argv, 3, "len")) return I;
      return has_option(argv, 3, "idx") ? A : B;
    case Rule::kRank:
      return has_option(argv, 3, "withscore") ? A | N : I | N;
    case Rule::kScript:
      if (argv.size() < 2) return row.types;
      if (iequals(argv[1], "load")) return B;
      if (iequals(argv[1], "flush") || iequals(argv[1], "kill")) return S;
      return A;  // EXISTS, HELP
  }
  return kAny;
}

// The first argument each rule reads: a request with no argument there is
// answered with the row's kinds (apply_rule() returns them for it).
size_t options_from(Rule rule) {
  switch (rule) {
    case Rule::kScript:
      return 1;
    case Rule::kPopCount:
    case Rule::kRandCount:
    case Rule::kZadd:
    case Rule::kStore:
      return 2;
    case Rule::kSet:
    case Rule::kLpos:
    case Rule::kLcs:
    case Rule::kRank:
      return 3;
    case Rule::kNone:
      break;
  }
  return SIZE_MAX;
}

const Row* row_of(const CommandInfo& cmd) {
  std::span<const CommandInfo> table = all_commands();
  if (&cmd >= table.data() && &cmd < table.data() + table.size()) {
    return rows_by_command()[static_cast<size_t>(&cmd - table.data())];
  }
  return find_row(cmd.name);  // a CommandInfo from elsewhere (tests)
}

}  // namespace

ReplyTypes expected_reply_types(const CommandInfo& cmd, std::span<const std::string_view> argv) {
  const Row* row = row_of(cmd);
  return row == nullptr ? kAny : apply_rule(*row, argv);
}

ReplyExpectation::ReplyExpectation(const CommandInfo& cmd) {
  if (const Row* row = row_of(cmd)) {
    types_ = row->types;
    rule_ = static_cast<uint8_t>(row->rule);
    if (row->rule != Rule::kNone) options_from_ = options_from(row->rule);
  }
}

ReplyTypes ReplyExpectation::by_options(std::span<const std::string_view> argv) const {
  return apply_rule({{}, types_, static_cast<Rule>(rule_)}, argv);
}

bool has_expected_reply_entry(std::string_view name) {
  return find_row(name) != nullptr;
}

}  // namespace ringproxy
