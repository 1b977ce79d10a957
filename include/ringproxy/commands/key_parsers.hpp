// Key extraction for the commands whose keys depend on their arguments, not
// only on positions (extract_keys in command_table.cpp calls these for the
// rows that need them). Each appends the argv indexes of the keys, in
// argument order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ringproxy/commands/command_table.hpp"

namespace ringproxy::key_parsers {

using Argv = std::span<const std::string_view>;
using Keys = std::vector<uint32_t>;

// SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dst].
void sort(Argv argv, Keys& keys);
// GEORADIUS* ... [STORE dst] [STOREDIST dst], options from `options_from`.
void georadius(Argv argv, size_t options_from, Keys& keys);
// XREAD / XREADGROUP (`group`) ... STREAMS k... id...; false with Redis's
// error when the stream list does not parse.
bool xread(Argv argv, bool group, Keys& keys, std::string_view& error);
// MIGRATE host port key|"" db timeout ... [KEYS k...].
void migrate(Argv argv, Keys& keys);
// OBJECT / MEMORY / XINFO / XGROUP: the key at argv[2] for the subcommands
// that take one.
void subcommand(const CommandInfo& cmd, Argv argv, Keys& keys);

}  // namespace ringproxy::key_parsers
