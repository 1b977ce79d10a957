// The Redis 7 command table as the proxy sees it: for every command, its arity
// (Redis convention), where its keys are, and the handler of its kind
// (handler.hpp), which routes it, answers it when a backend is unavailable
// and merges its replies.
//
// Lookup is case-insensitive on the raw argument bytes and allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringproxy {

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

class CommandHandler;

struct CommandInfo {
  std::string_view name;          // lower case
  int arity;                      // > 0: exactly arity args (name included); < 0: at least -arity
  const CommandHandler* handler;  // its kind: routes it, answers it, merges its replies
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
  // Its index in all_commands() (per-command figures are indexed by it); set
  // by the table itself.
  uint16_t row = 0;
};

// nullptr if the name is not a known command.
const CommandInfo* lookup_command(std::string_view name);

// Every command in the table (for COMMAND, COMMAND COUNT and tests).
std::span<const CommandInfo> all_commands();

// Whether Redis answers the command promptly unless the server is blocked or
// stopped: Redis's @fast ACL category (O(1) or O(log N) work), generated from
// a live redis-server's COMMAND INFO (scripts/update-fast-commands.sh), plus
// the plain string writes SET, MSET, ... (also_fast_command_names()), which
// Redis puts in @slow only because a value may be big. Containers (CLIENT,
// OBJECT, ...) are not fast. Stall detection trusts only these
// (BackendOptions::stall_timeout_ms).
bool command_is_fast(const CommandInfo& cmd);
// The committed @fast list, sorted (for the test against a live Redis).
std::span<const std::string_view> fast_command_names();
// Whether `name` (lower case) is in either list.
bool is_fast_command_name(std::string_view name);
// The additions to it, sorted.
std::span<const std::string_view> also_fast_command_names();

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

// Redis's error texts for a wrong argument count and an unknown command.
std::string wrong_arity_error(const CommandInfo& cmd);
std::string unknown_command_error(std::span<const std::string_view> argv);

}  // namespace ringproxy
