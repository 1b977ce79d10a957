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

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ringproxy/commands/command_table.hpp"
#include "ringproxy/resp/reply_type.hpp"

namespace ringproxy {

// The kinds `argv` (argv[0] is the command) can be answered with; kAnyReply
// for commands the proxy answers itself or that have no entry (scripts).
resp::ReplyTypes expected_reply_types(const CommandInfo& cmd,
                                      std::span<const std::string_view> argv);

// The same for one command, with its row looked up once (the dispatcher keeps
// one per command): the kinds, or the rule that reads them off the options
// for the few commands whose options decide.
class ReplyExpectation {
 public:
  ReplyExpectation() = default;  // kAnyReply
  explicit ReplyExpectation(const CommandInfo& cmd);

  resp::ReplyTypes operator()(std::span<const std::string_view> argv) const {
    // A request with no options (SET k v) gets the kinds without options.
    return argv.size() <= options_from_ ? types_ : by_options(argv);
  }

 private:
  resp::ReplyTypes by_options(std::span<const std::string_view> argv) const;

  resp::ReplyTypes types_ = resp::kAnyReply;  // without options
  uint8_t rule_ = 0;                          // 0: none
  // Where the options the rule reads begin; SIZE_MAX without a rule.
  size_t options_from_ = SIZE_MAX;
};

// Whether `name` has an entry of its own (commands forwarded to backends
// should; a test checks that they all do).
bool has_expected_reply_entry(std::string_view name);

}  // namespace ringproxy
