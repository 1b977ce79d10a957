// The Redis 7 command table as the proxy sees it: for every command, its arity
// (Redis convention), where its keys are, and how the proxy handles it.
//
// Lookup is case-insensitive on the raw argument bytes and allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace ringproxy {

enum class CommandKind : uint8_t {
  kForward,       // keys (0, 1 or more) must all live on one backend; forwarded as is.
                  // Commands with no key at all (e.g. none left here) are rejected by the router.
  kMGet,          // MGET: split per backend, values merged back in key order
  kMSet,          // MSET: split per backend by key/value pairs, +OK when all parts are +OK
  kSumKeys,       // DEL, UNLINK, EXISTS, TOUCH: split per backend, integers summed
  kFanoutSum,     // DBSIZE: sent to every live backend, integers summed
  kFanoutConcat,  // KEYS: sent to every live backend, arrays concatenated
  kFanoutOk,      // FLUSHDB, FLUSHALL, SCRIPT FLUSH: every backend, +OK when all are
  kFanoutSame,    // SCRIPT LOAD: every backend, the first reply (all are identical)
  kScan,          // SCAN: walks backends one after another, cursor encodes the backend
  kRandomKey,     // RANDOMKEY
  kLocal,         // answered by the proxy (PING, ECHO, INFO, CLIENT, COMMAND, ...)
  kMulti,         // MULTI
  kExec,          // EXEC
  kDiscard,       // DISCARD
  kUnsupported,   // known to Redis but not served through the proxy (pub/sub, blocking, WATCH, ...)
};

// How a read command answers when its backend is unavailable and the operator
// asked for cache-miss semantics (--on-unavailable miss). Writes are never
// faked: they always get an error.
enum class MissReply : uint8_t {
  kNone,         // a write (or no sensible miss): always an error
  kNil,          // $-1 (GET, HGET, LINDEX, ...)
  kZero,         // :0 (EXISTS, STRLEN, HLEN, SCARD, TTL is -2 ...)
  kEmptyArray,   // *0 (HGETALL, LRANGE, SMEMBERS, ...)
  kMinusTwo,     // :-2 (TTL/PTTL of a missing key)
  kNilArray,     // *-1
  kNoneType,     // +none (TYPE)
  kEmptyBulk,    // $0 "" (GETRANGE, SUBSTR of a missing key)
  kNilPerField,  // array of one nil per argument after the key (HMGET fields;
                 // ZMSCORE, GEOPOS, GEOHASH members): *N of $-1, N = argc - 2
};

struct CommandInfo {
  std::string_view name;  // lower case
  int arity;              // > 0: exactly arity args (name included); < 0: at least -arity
  CommandKind kind;
  // Key positions, Redis style: first key index, last key index (negative: from
  // the end, -1 = last argument), step. first == 0 means no key by position.
  int first_key;
  int last_key;
  int step;
  // For commands whose key count is an argument (EVAL, ZUNIONSTORE, ...): the
  // index of the numkeys argument, keys follow it; 0 when not used. A command
  // may have both (ZUNIONSTORE dest numkeys key...: first_key = 1 for dest).
  int numkeys_index;
  bool write;      // modifies data
  MissReply miss;  // see MissReply
};

// nullptr if the name is not a known command.
const CommandInfo* lookup_command(std::string_view name);

// Every command in the table (for COMMAND, COMMAND COUNT and tests).
std::span<const CommandInfo> all_commands();

// Checks arity for `argc` (name included).
bool arity_ok(const CommandInfo& cmd, size_t argc);

// Fills `key_indexes` with the argv indexes of the keys of a command whose
// arity already checked out, in argument order. Handles the position range,
// numkeys, and the special cases (SORT ... STORE dst, GEORADIUS ... STORE dst,
// XREAD/XREADGROUP STREAMS, MIGRATE, ...). Returns false with a Redis-style
// error text in `error` if the arguments make no sense (e.g. numkeys larger than
// the argument count: "ERR Number of keys can't be greater than number of args").
// `key_indexes` is cleared first; its capacity is reused.
bool extract_keys(const CommandInfo& cmd, std::span<const std::string_view> argv,
                  std::vector<uint32_t>& key_indexes, std::string_view& error);

}  // namespace ringproxy
