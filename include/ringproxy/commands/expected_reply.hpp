// Which kinds of reply each command can answer with, keyed on the command and
// its options (SET answers +OK, SET ... NX may answer nil, SET ... GET a
// bulk or nil; LPOP answers a bulk or nil, LPOP key 3 an array; an error is
// always possible and never listed).
//
// A pipelined backend connection matches replies to requests by position
// only, so a backend that answers twice or skips an answer shifts every later
// reply onto the wrong request. The backend connection checks each reply's
// kind against this set: a reply the command cannot produce shows the stream
// is out of step before it reaches a client (backend.hpp).
#pragma once

#include <span>
#include <string_view>

#include "ringproxy/commands/command_table.hpp"
#include "ringproxy/resp/reply_type.hpp"

namespace ringproxy {

// The kinds `argv` (argv[0] is the command) can be answered with; kAnyReply
// for commands the proxy answers itself or that have no entry (scripts).
resp::ReplyTypes expected_reply_types(const CommandInfo& cmd,
                                      std::span<const std::string_view> argv);

// Whether `name` has an entry of its own (commands forwarded to backends
// should; a test checks that they all do).
bool has_expected_reply_entry(std::string_view name);

}  // namespace ringproxy
