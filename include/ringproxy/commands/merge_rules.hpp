// Merge rules shared by the kinds that split a request (split.hpp) or fan it
// out (fanout.hpp). Each writes the one reply the client expects from the
// parts' replies into `out`. Any part that is an error makes the reply that
// error (the first one, in part order): never a silently partial answer.
#pragma once

#include <span>
#include <string_view>

#include "ringproxy/commands/request.hpp"
#include "ringproxy/common/buffer.hpp"

namespace ringproxy::merge_rules {

// The first part that is an error reply, copied to `out`; false if none is.
bool first_error(std::span<const Fragment> parts, Buffer& out);
// +OK when every part is +OK, else the first part that is not.
void all_ok(std::span<const Fragment> parts, Buffer& out);
// The parts' integers summed; an error when the sum does not fit in 64 bits.
void sum(std::span<const Fragment> parts, Buffer& out);
// The proxy's error for a reply it cannot merge.
void unexpected(Buffer& out, std::string_view command);

}  // namespace ringproxy::merge_rules
