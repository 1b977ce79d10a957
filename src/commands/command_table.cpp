// The Redis 7.0 command table.
//
// Design:
// - kCommands is one constexpr array sorted by name. Arity and first/last/step
//   are Redis 7.0's own COMMAND INFO values (cross-checked against a live
//   7.0.15), except OBJECT, MEMORY, XINFO and XGROUP: Redis reports 0/0/0 for
//   those containers, we put 2/2/1 because their key-taking subcommands have
//   the key at argv[2] (extract_keys checks the subcommand).
// - Lookup is an open-addressing hash index over the table built at compile
//   time. The name is case-folded into a stack buffer while hashing, so a
//   lookup is one pass over the name, usually one probe and one memcmp, and
//   never allocates.
// - Each row points at the handler of its kind (handler.hpp), as Redis's
//   command table rows point at their proc: routing, the answer when a
//   backend is unavailable and the merge are the handler's.
// - Key extraction is the Redis range (first/last/step) plus an optional
//   numkeys argument, and a few per-command parsers (key_parsers.cpp: SORT,
//   GEORADIUS*, XREAD*, MIGRATE, the containers). Which parser applies is kept
//   in a compile-time side array indexed like kCommands, so CommandInfo stays
//   plain data.
//
// Judgement calls on kind:
// - Blocking commands, WATCH, pub/sub, replication/persistence/admin commands,
//   MOVE/SWAPDB (other databases), MIGRATE, RESTORE-ASKING, PFDEBUG, ACL,
//   FUNCTION and LOLWUT are unsupported. FCALL stays single_key: it works once
//   the functions are loaded on the backends directly.
// - RESET is unsupported: undoing per-connection proxy state is not wired.
//
// Judgement calls on write / miss:
// - EVAL, EVALSHA and FCALL carry write=true (Redis 7 leaves the flag to the
//   script's own flags; a proxy must assume a script can write). XGROUP and
//   FUNCTION are write=true because their data subcommands are.
// - Replies that depend on optional arguments (SRANDMEMBER/HRANDFIELD/
//   ZRANDMEMBER with or without count, LPOS, BITPOS, LCS, SMISMEMBER, *SCAN)
//   get kNone: a static nil would be the wrong type half the time.
// - For split and fan-out kinds the miss reply describes one unavailable
//   part: nil per MGET key, 0 for the EXISTS/TOUCH/DBSIZE partial sums, no
//   keys for KEYS.
#include "ringproxy/commands/command_table.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

#include "ringproxy/commands/handlers.hpp"
#include "ringproxy/commands/key_parsers.hpp"
#include "ringproxy/common/text.hpp"

namespace ringproxy {
namespace {

namespace h = handlers;
using M = MissReply;
constexpr bool kRead = false;
constexpr bool kWrite = true;

// clang-format off
constexpr CommandInfo kCommandRows[] = {
    // name, arity, handler, first, last, step, numkeys_index, write, miss
    {"acl", -2, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"append", 3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"asking", 1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"auth", -2, &h::auth, 0, 0, 0, 0, kRead, M::kNone},
    {"bgrewriteaof", 1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"bgsave", -1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"bitcount", -2, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"bitfield", -2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"bitfield_ro", -2, &h::single_key, 1, 1, 1, 0, kRead, M::kNone},
    {"bitop", -4, &h::single_key, 2, -1, 1, 0, kWrite, M::kNone},
    {"bitpos", -3, &h::single_key, 1, 1, 1, 0, kRead, M::kNone},
    {"blmove", 6, &h::unsupported, 1, 2, 1, 0, kWrite, M::kNone},
    {"blmpop", -5, &h::unsupported, 0, 0, 0, 2, kWrite, M::kNone},
    {"blpop", -3, &h::unsupported, 1, -2, 1, 0, kWrite, M::kNone},
    {"brpop", -3, &h::unsupported, 1, -2, 1, 0, kWrite, M::kNone},
    {"brpoplpush", 4, &h::unsupported, 1, 2, 1, 0, kWrite, M::kNone},
    {"bzmpop", -5, &h::unsupported, 0, 0, 0, 2, kWrite, M::kNone},
    {"bzpopmax", -3, &h::unsupported, 1, -2, 1, 0, kWrite, M::kNone},
    {"bzpopmin", -3, &h::unsupported, 1, -2, 1, 0, kWrite, M::kNone},
    {"client", -2, &h::client, 0, 0, 0, 0, kRead, M::kNone},
    {"cluster", -2, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"command", -1, &h::command_docs, 0, 0, 0, 0, kRead, M::kNone},
    {"config", -2, &h::config, 0, 0, 0, 0, kRead, M::kNone},
    {"copy", -3, &h::single_key, 1, 2, 1, 0, kWrite, M::kNone},
    {"dbsize", 1, &h::fanout_sum, 0, 0, 0, 0, kRead, M::kZero},
    {"debug", -2, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"decr", 2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"decrby", 3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"del", -2, &h::sum_keys, 1, -1, 1, 0, kWrite, M::kNone},
    {"discard", 1, &h::discard, 0, 0, 0, 0, kRead, M::kNone},
    {"dump", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kNil},
    {"echo", 2, &h::echo, 0, 0, 0, 0, kRead, M::kNone},
    {"eval", -3, &h::single_key, 0, 0, 0, 2, kWrite, M::kNone},
    {"eval_ro", -3, &h::single_key, 0, 0, 0, 2, kRead, M::kNone},
    {"evalsha", -3, &h::single_key, 0, 0, 0, 2, kWrite, M::kNone},
    {"evalsha_ro", -3, &h::single_key, 0, 0, 0, 2, kRead, M::kNone},
    {"exec", 1, &h::exec, 0, 0, 0, 0, kRead, M::kNone},
    {"exists", -2, &h::sum_keys, 1, -1, 1, 0, kRead, M::kZero},
    {"expire", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"expireat", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"expiretime", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kMinusTwo},
    {"failover", -1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"fcall", -3, &h::single_key, 0, 0, 0, 2, kWrite, M::kNone},
    {"fcall_ro", -3, &h::single_key, 0, 0, 0, 2, kRead, M::kNone},
    {"flushall", -1, &h::fanout_all_ok, 0, 0, 0, 0, kWrite, M::kNone},
    {"flushdb", -1, &h::fanout_all_ok, 0, 0, 0, 0, kWrite, M::kNone},
    {"function", -2, &h::unsupported, 0, 0, 0, 0, kWrite, M::kNone},
    {"geoadd", -5, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"geodist", -4, &h::single_key, 1, 1, 1, 0, kRead, M::kNil},
    {"geohash", -2, &h::single_key, 1, 1, 1, 0, kRead, M::kNilPerField},
    {"geopos", -2, &h::single_key, 1, 1, 1, 0, kRead, M::kNilPerField},
    {"georadius", -6, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"georadius_ro", -6, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"georadiusbymember", -5, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"georadiusbymember_ro", -5, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"geosearch", -7, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"geosearchstore", -8, &h::single_key, 1, 2, 1, 0, kWrite, M::kNone},
    {"get", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kNil},
    {"getbit", 3, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"getdel", 2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"getex", -2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"getrange", 4, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyBulk},
    {"getset", 3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"hdel", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"hello", -1, &h::hello, 0, 0, 0, 0, kRead, M::kNone},
    {"hexists", 3, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"hget", 3, &h::single_key, 1, 1, 1, 0, kRead, M::kNil},
    {"hgetall", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"hincrby", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"hincrbyfloat", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"hkeys", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"hlen", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"hmget", -3, &h::single_key, 1, 1, 1, 0, kRead, M::kNilPerField},
    {"hmset", -4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"hrandfield", -2, &h::single_key, 1, 1, 1, 0, kRead, M::kNone},
    {"hscan", -3, &h::single_key, 1, 1, 1, 0, kRead, M::kNone},
    {"hset", -4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"hsetnx", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"hstrlen", 3, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"hvals", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"incr", 2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"incrby", 3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"incrbyfloat", 3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"info", -1, &h::info, 0, 0, 0, 0, kRead, M::kNone},
    {"keys", 2, &h::fanout_concat, 0, 0, 0, 0, kRead, M::kEmptyArray},
    {"lastsave", 1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"latency", -2, &h::latency, 0, 0, 0, 0, kRead, M::kNone},
    {"lcs", -3, &h::single_key, 1, 2, 1, 0, kRead, M::kNone},
    {"lindex", 3, &h::single_key, 1, 1, 1, 0, kRead, M::kNil},
    {"linsert", 5, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"llen", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"lmove", 5, &h::single_key, 1, 2, 1, 0, kWrite, M::kNone},
    {"lmpop", -4, &h::single_key, 0, 0, 0, 1, kWrite, M::kNone},
    {"lolwut", -1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"lpop", -2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"lpos", -3, &h::single_key, 1, 1, 1, 0, kRead, M::kNone},
    {"lpush", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"lpushx", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"lrange", 4, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"lrem", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"lset", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"ltrim", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"memory", -2, &h::single_key, 2, 2, 1, 0, kRead, M::kNil},
    {"mget", -2, &h::mget, 1, -1, 1, 0, kRead, M::kNil},
    {"migrate", -6, &h::unsupported, 3, 3, 1, 0, kWrite, M::kNone},
    {"module", -2, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"monitor", 1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"move", 3, &h::unsupported, 1, 1, 1, 0, kWrite, M::kNone},
    {"mset", -3, &h::mset, 1, -1, 2, 0, kWrite, M::kNone},
    {"msetnx", -3, &h::single_key, 1, -1, 2, 0, kWrite, M::kNone},
    {"multi", 1, &h::multi, 0, 0, 0, 0, kRead, M::kNone},
    {"object", -2, &h::single_key, 2, 2, 1, 0, kRead, M::kNil},
    {"persist", 2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"pexpire", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"pexpireat", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"pexpiretime", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kMinusTwo},
    {"pfadd", -2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"pfcount", -2, &h::single_key, 1, -1, 1, 0, kRead, M::kZero},
    {"pfdebug", 3, &h::unsupported, 2, 2, 1, 0, kWrite, M::kNone},
    {"pfmerge", -2, &h::single_key, 1, -1, 1, 0, kWrite, M::kNone},
    {"pfselftest", 1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"ping", -1, &h::ping, 0, 0, 0, 0, kRead, M::kNone},
    {"psetex", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"psubscribe", -2, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"psync", -3, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"pttl", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kMinusTwo},
    {"publish", 3, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"pubsub", -2, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"punsubscribe", -1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"quit", -1, &h::quit, 0, 0, 0, 0, kRead, M::kNone},
    {"randomkey", 1, &h::random_key, 0, 0, 0, 0, kRead, M::kNil},
    {"readonly", 1, &h::readonly, 0, 0, 0, 0, kRead, M::kNone},
    {"readwrite", 1, &h::readwrite, 0, 0, 0, 0, kRead, M::kNone},
    {"rename", 3, &h::single_key, 1, 2, 1, 0, kWrite, M::kNone},
    {"renamenx", 3, &h::single_key, 1, 2, 1, 0, kWrite, M::kNone},
    {"replconf", -1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"replicaof", 3, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"reset", 1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"restore", -4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"restore-asking", -4, &h::unsupported, 1, 1, 1, 0, kWrite, M::kNone},
    {"role", 1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"rpop", -2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"rpoplpush", 3, &h::single_key, 1, 2, 1, 0, kWrite, M::kNone},
    {"rpush", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"rpushx", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"sadd", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"save", 1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"scan", -2, &h::scan, 0, 0, 0, 0, kRead, M::kNone},
    {"scard", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"script", -2, &h::script, 0, 0, 0, 0, kRead, M::kNone},
    {"sdiff", -2, &h::single_key, 1, -1, 1, 0, kRead, M::kEmptyArray},
    {"sdiffstore", -3, &h::single_key, 1, -1, 1, 0, kWrite, M::kNone},
    {"select", 2, &h::select, 0, 0, 0, 0, kRead, M::kNone},
    {"set", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"setbit", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"setex", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"setnx", 3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"setrange", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"shutdown", -1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"sinter", -2, &h::single_key, 1, -1, 1, 0, kRead, M::kEmptyArray},
    {"sintercard", -3, &h::single_key, 0, 0, 0, 1, kRead, M::kZero},
    {"sinterstore", -3, &h::single_key, 1, -1, 1, 0, kWrite, M::kNone},
    {"sismember", 3, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"slaveof", 3, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"slowlog", -2, &h::slowlog, 0, 0, 0, 0, kRead, M::kNone},
    {"smembers", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"smismember", -3, &h::single_key, 1, 1, 1, 0, kRead, M::kNone},
    {"smove", 4, &h::single_key, 1, 2, 1, 0, kWrite, M::kNone},
    {"sort", -2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"sort_ro", -2, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"spop", -2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"spublish", 3, &h::unsupported, 1, 1, 1, 0, kRead, M::kNone},
    {"srandmember", -2, &h::single_key, 1, 1, 1, 0, kRead, M::kNone},
    {"srem", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"sscan", -3, &h::single_key, 1, 1, 1, 0, kRead, M::kNone},
    {"ssubscribe", -2, &h::unsupported, 1, -1, 1, 0, kRead, M::kNone},
    {"strlen", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"subscribe", -2, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"substr", 4, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyBulk},
    {"sunion", -2, &h::single_key, 1, -1, 1, 0, kRead, M::kEmptyArray},
    {"sunionstore", -3, &h::single_key, 1, -1, 1, 0, kWrite, M::kNone},
    {"sunsubscribe", -1, &h::unsupported, 1, -1, 1, 0, kRead, M::kNone},
    {"swapdb", 3, &h::unsupported, 0, 0, 0, 0, kWrite, M::kNone},
    {"sync", 1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"time", 1, &h::time, 0, 0, 0, 0, kRead, M::kNone},
    {"touch", -2, &h::sum_keys, 1, -1, 1, 0, kRead, M::kZero},
    {"ttl", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kMinusTwo},
    {"type", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kNoneType},
    {"unlink", -2, &h::sum_keys, 1, -1, 1, 0, kWrite, M::kNone},
    {"unsubscribe", -1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"unwatch", 1, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"wait", 3, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"watch", -2, &h::unsupported, 1, -1, 1, 0, kRead, M::kNone},
    {"xack", -4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"xadd", -5, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"xautoclaim", -6, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"xclaim", -6, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"xdel", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"xgroup", -2, &h::single_key, 2, 2, 1, 0, kWrite, M::kNone},
    {"xinfo", -2, &h::single_key, 2, 2, 1, 0, kRead, M::kNone},
    {"xlen", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"xpending", -3, &h::single_key, 1, 1, 1, 0, kRead, M::kNone},
    {"xrange", -4, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"xread", -4, &h::unsupported, 0, 0, 0, 0, kRead, M::kNone},
    {"xreadgroup", -7, &h::unsupported, 0, 0, 0, 0, kWrite, M::kNone},
    {"xrevrange", -4, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"xsetid", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"xtrim", -4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"zadd", -4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"zcard", 2, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"zcount", 4, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"zdiff", -3, &h::single_key, 0, 0, 0, 1, kRead, M::kEmptyArray},
    {"zdiffstore", -4, &h::single_key, 1, 1, 1, 2, kWrite, M::kNone},
    {"zincrby", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"zinter", -3, &h::single_key, 0, 0, 0, 1, kRead, M::kEmptyArray},
    {"zintercard", -3, &h::single_key, 0, 0, 0, 1, kRead, M::kZero},
    {"zinterstore", -4, &h::single_key, 1, 1, 1, 2, kWrite, M::kNone},
    {"zlexcount", 4, &h::single_key, 1, 1, 1, 0, kRead, M::kZero},
    {"zmpop", -4, &h::single_key, 0, 0, 0, 1, kWrite, M::kNone},
    {"zmscore", -3, &h::single_key, 1, 1, 1, 0, kRead, M::kNilPerField},
    {"zpopmax", -2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"zpopmin", -2, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"zrandmember", -2, &h::single_key, 1, 1, 1, 0, kRead, M::kNone},
    {"zrange", -4, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"zrangebylex", -4, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"zrangebyscore", -4, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"zrangestore", -5, &h::single_key, 1, 2, 1, 0, kWrite, M::kNone},
    {"zrank", 3, &h::single_key, 1, 1, 1, 0, kRead, M::kNil},
    {"zrem", -3, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"zremrangebylex", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"zremrangebyrank", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"zremrangebyscore", 4, &h::single_key, 1, 1, 1, 0, kWrite, M::kNone},
    {"zrevrange", -4, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"zrevrangebylex", -4, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"zrevrangebyscore", -4, &h::single_key, 1, 1, 1, 0, kRead, M::kEmptyArray},
    {"zrevrank", 3, &h::single_key, 1, 1, 1, 0, kRead, M::kNil},
    {"zscan", -3, &h::single_key, 1, 1, 1, 0, kRead, M::kNone},
    {"zscore", 3, &h::single_key, 1, 1, 1, 0, kRead, M::kNil},
    {"zunion", -3, &h::single_key, 0, 0, 0, 1, kRead, M::kEmptyArray},
    {"zunionstore", -4, &h::single_key, 1, 1, 1, 2, kWrite, M::kNone},
};
// clang-format on

// The table with each row's index in it (CommandInfo::row).
constexpr auto kCommands = [] {
  std::array<CommandInfo, std::size(kCommandRows)> table{};
  for (size_t i = 0; i < table.size(); ++i) {
    table[i] = kCommandRows[i];
    table[i].row = static_cast<uint16_t>(i);
  }
  return table;
}();
constexpr size_t kCommandCount = kCommands.size();

constexpr bool table_is_sorted_and_lower() {
  for (size_t i = 0; i < kCommandCount; ++i) {
    for (char c : kCommands[i].name) {
      if (c >= 'A' && c <= 'Z') return false;
    }
    if (i > 0 && !(kCommands[i - 1].name < kCommands[i].name)) return false;
  }
  return true;
}
static_assert(table_is_sorted_and_lower(), "kCommands must be sorted, unique and lower case");

constexpr size_t max_name_length() {
  size_t n = 0;
  for (const auto& c : kCommands) n = std::max(n, c.name.size());
  return n;
}
constexpr size_t kMaxNameLen = max_name_length();

// ---------------------------------------------------------------------------
// Lookup index.

constexpr unsigned char fold(unsigned char c) {
  return static_cast<unsigned char>(c - 'A') < 26u ? static_cast<unsigned char>(c | 0x20) : c;
}

// FNV-1a over the folded bytes: cheap, and with a quarter-full index the
// probe sequences stay at one or two slots.
constexpr uint32_t kFnvBasis = 2166136261u;
constexpr uint32_t kFnvPrime = 16777619u;
constexpr uint32_t hash_lower(std::string_view s) {
  uint32_t h = kFnvBasis;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
  return h;
}

constexpr size_t kSlots = 1024;  // power of two, > 4x the command count
static_assert(kSlots >= 4 * kCommandCount);
constexpr size_t kSlotMask = kSlots - 1;

// Slot -> table index + 1; 0 marks an empty slot.
constexpr std::array<uint16_t, kSlots> build_index() {
  std::array<uint16_t, kSlots> index{};
  for (size_t i = 0; i < kCommandCount; ++i) {
    size_t slot = hash_lower(kCommands[i].name) & kSlotMask;
    while (index[slot] != 0) slot = (slot + 1) & kSlotMask;
    index[slot] = static_cast<uint16_t>(i + 1);
  }
  return index;
}
constexpr std::array<uint16_t, kSlots> kIndex = build_index();

// ---------------------------------------------------------------------------
// Per-command key extraction details that are not part of CommandInfo.

enum class Special : uint8_t {
  kNone,
  kSort,               // key at 1, plus the last STORE destination
  kGeoRadius,          // key at 1, plus STORE / STOREDIST destinations (options from 6)
  kGeoRadiusByMember,  // same, options from 5
  kXRead,              // keys between STREAMS and the IDs
  kXReadGroup,         // same, with GROUP g c and NOACK before STREAMS
  kMigrate,            // key at 3, or KEYS k... when argv[3] is ""
  kSubcommandKey,      // OBJECT / MEMORY / XINFO / XGROUP: key at 2 for some subcommands
};

struct Extra {
  Special special = Special::kNone;
  // Error for numkeys <= 0 on commands that need at least one input key;
  // empty when zero keys are fine (the EVAL family).
  std::string_view nonpositive_numkeys_error;
};

constexpr Extra extra_for(std::string_view name) {
  constexpr std::string_view kGreaterThanZero = "ERR numkeys should be greater than 0";
  if (name == "sort") return {Special::kSort, {}};
  if (name == "georadius") return {Special::kGeoRadius, {}};
  if (name == "georadiusbymember") return {Special::kGeoRadiusByMember, {}};
  if (name == "xread") return {Special::kXRead, {}};
  if (name == "xreadgroup") return {Special::kXReadGroup, {}};
  if (name == "migrate") return {Special::kMigrate, {}};
  if (name == "object" || name == "memory" || name == "xinfo" || name == "xgroup") {
    return {Special::kSubcommandKey, {}};
  }
  if (name == "lmpop" || name == "blmpop" || name == "zmpop" || name == "bzmpop" ||
      name == "sintercard") {
    return {Special::kNone, kGreaterThanZero};
  }
  // The sorted-set family names the command in its message.
  if (name == "zunion") {
    return {Special::kNone, "ERR at least 1 input key is needed for 'zunion' command"};
  }
  if (name == "zinter") {
    return {Special::kNone, "ERR at least 1 input key is needed for 'zinter' command"};
  }
  if (name == "zdiff") {
    return {Special::kNone, "ERR at least 1 input key is needed for 'zdiff' command"};
  }
  if (name == "zintercard") {
    return {Special::kNone, "ERR at least 1 input key is needed for 'zintercard' command"};
  }
  if (name == "zunionstore") {
    return {Special::kNone, "ERR at least 1 input key is needed for 'zunionstore' command"};
  }
  if (name == "zinterstore") {
    return {Special::kNone, "ERR at least 1 input key is needed for 'zinterstore' command"};
  }
  if (name == "zdiffstore") {
    return {Special::kNone, "ERR at least 1 input key is needed for 'zdiffstore' command"};
  }
  return {};
}

constexpr std::array<Extra, kCommandCount> build_extras() {
  std::array<Extra, kCommandCount> extras{};
  for (size_t i = 0; i < kCommandCount; ++i) extras[i] = extra_for(kCommands[i].name);
  return extras;
}
constexpr std::array<Extra, kCommandCount> kExtras = build_extras();

// Every numkeys command must have an entry above (or be an EVAL-family one).
constexpr bool numkeys_commands_known() {
  for (size_t i = 0; i < kCommandCount; ++i) {
    const auto& c = kCommands[i];
    if (c.numkeys_index == 0) continue;
    const bool eval_family = c.name.starts_with("eval") || c.name.starts_with("fcall");
    if (eval_family != kExtras[i].nonpositive_numkeys_error.empty()) return false;
  }
  return true;
}
static_assert(numkeys_commands_known());

// Redis's @fast category (fast_commands.cpp), a side array indexed like kCommands.
std::array<bool, kCommandCount> build_fast() {
  std::array<bool, kCommandCount> fast{};
  for (size_t i = 0; i < kCommandCount; ++i) {
    fast[i] = is_fast_command_name(kCommands[i].name);
  }
  return fast;
}
// Dynamic initialization: the name lists it reads are constant-initialized.
const std::array<bool, kCommandCount> kFast = build_fast();

// The row of `cmd` in kCommands, or nullopt for a copy made elsewhere.
std::optional<size_t> row_of(const CommandInfo& cmd) {
  const CommandInfo* p = &cmd;
  std::less<const CommandInfo*> before;
  if (!before(p, std::begin(kCommands)) && before(p, std::end(kCommands))) {
    return static_cast<size_t>(p - std::begin(kCommands));
  }
  return std::nullopt;
}

const Extra& extra_of(const CommandInfo& cmd) {
  // Entries handed out by lookup_command() / all_commands() live in kCommands;
  // a copy made elsewhere is resolved by name.
  if (const std::optional<size_t> row = row_of(cmd)) return kExtras[*row];
  static constexpr Extra kNoExtra{};
  const CommandInfo* found = lookup_command(cmd.name);
  return found ? kExtras[static_cast<size_t>(found - std::begin(kCommands))] : kNoExtra;
}

constexpr std::string_view kErrNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kErrNegativeKeys = "ERR Number of keys can't be negative";
constexpr std::string_view kErrTooManyKeys =
    "ERR Number of keys can't be greater than number of args";
constexpr std::string_view kErrSyntax = "ERR syntax error";

using Argv = std::span<const std::string_view>;
using Keys = std::vector<uint32_t>;

void push_range(const CommandInfo& cmd, size_t argc, Keys& keys) {
  if (cmd.first_key <= 0 || cmd.step <= 0) return;
  const int64_t n = static_cast<int64_t>(argc);
  int64_t last = cmd.last_key < 0 ? n + cmd.last_key : cmd.last_key;
  last = std::min(last, n - 1);
  for (int64_t i = cmd.first_key; i <= last; i += cmd.step)
    keys.push_back(static_cast<uint32_t>(i));
}

bool push_numkeys(const CommandInfo& cmd, const Extra& extra, Argv argv, Keys& keys,
                  std::string_view& error) {
  const size_t at = static_cast<size_t>(cmd.numkeys_index);
  if (at >= argv.size()) {  // arity rules this out; be safe anyway
    error = kErrSyntax;
    return false;
  }
  int64_t numkeys = 0;
  if (!parse_int64(argv[at].data(), argv[at].size(), &numkeys)) {
    error = kErrNotInteger;
    return false;
  }
  if (numkeys <= 0 && !extra.nonpositive_numkeys_error.empty()) {
    error = extra.nonpositive_numkeys_error;
    return false;
  }
  if (numkeys < 0) {
    error = kErrNegativeKeys;
    return false;
  }
  if (static_cast<uint64_t>(numkeys) > argv.size() - at - 1) {
    error = kErrTooManyKeys;
    return false;
  }
  for (size_t i = at + 1; i <= at + static_cast<size_t>(numkeys); ++i) {
    keys.push_back(static_cast<uint32_t>(i));
  }
  return true;
}

}  // namespace

const CommandInfo* lookup_command(std::string_view name) {
  const size_t n = name.size();
  if (n == 0 || n > kMaxNameLen) return nullptr;
  char folded[kMaxNameLen];
  uint32_t h = kFnvBasis;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = fold(static_cast<unsigned char>(name[i]));
    folded[i] = static_cast<char>(c);
    h = (h ^ c) * kFnvPrime;
  }
  for (size_t slot = h & kSlotMask;; slot = (slot + 1) & kSlotMask) {
    const uint16_t entry = kIndex[slot];
    if (entry == 0) return nullptr;
    const CommandInfo& cmd = kCommands[entry - 1];
    if (cmd.name.size() == n && std::memcmp(cmd.name.data(), folded, n) == 0) return &cmd;
  }
}

std::span<const CommandInfo> all_commands() {
  return kCommands;
}

bool command_is_fast(const CommandInfo& cmd) {
  const std::optional<size_t> row = row_of(cmd);
  return row ? kFast[*row] : is_fast_command_name(cmd.name);
}

bool arity_ok(const CommandInfo& cmd, size_t argc) {
  if (cmd.arity >= 0) return argc == static_cast<size_t>(cmd.arity);
  return argc >= static_cast<size_t>(-static_cast<int64_t>(cmd.arity));
}

bool extract_keys(const CommandInfo& cmd, std::span<const std::string_view> argv,
                  std::vector<uint32_t>& key_indexes, std::string_view& error) {
  key_indexes.clear();
  if (argv.empty()) return true;
  const Extra& extra = extra_of(cmd);
  switch (extra.special) {
    case Special::kSort:
      key_parsers::sort(argv, key_indexes);
      return true;
    case Special::kGeoRadius:
      key_parsers::georadius(argv, 6, key_indexes);
      return true;
    case Special::kGeoRadiusByMember:
      key_parsers::georadius(argv, 5, key_indexes);
      return true;
    case Special::kXRead:
      return key_parsers::xread(argv, false, key_indexes, error);
    case Special::kXReadGroup:
      return key_parsers::xread(argv, true, key_indexes, error);
    case Special::kMigrate:
      key_parsers::migrate(argv, key_indexes);
      return true;
    case Special::kSubcommandKey:
      key_parsers::subcommand(cmd, argv, key_indexes);
      return true;
    case Special::kNone:
      break;
  }
  push_range(cmd, argv.size(), key_indexes);
  if (cmd.numkeys_index > 0) return push_numkeys(cmd, extra, argv, key_indexes, error);
  return true;
}

}  // namespace ringproxy
