// Commands whose keys all live on one backend: forwarded byte for byte to the
// owner of their keys, the reply passed back byte for byte. Covers single-key
// commands (GET, SET, HGETALL, ...) and multi-key ones that must share a
// backend (RENAME, SMOVE, SINTERSTORE, EVAL with keys, ...): keys on different
// backends get an error naming the fix (a common hash tag), never a partial
// answer.
//
// Unavailable backend: an error, or under --on-unavailable miss the
// command's natural miss answer (nil, 0, empty array, ...) for reads.
#pragma once

#include "ringproxy/commands/command_table.hpp"
#include "ringproxy/commands/handler.hpp"

namespace ringproxy {

class SingleKeyHandler final : public CommandHandler {
 public:
  constexpr SingleKeyHandler() : CommandHandler({.keyed = true, .queueable = true}) {}
  void handle(CommandContext& ctx, const Call& call) const override;
  bool miss_answer(const Request& req, uint32_t fragment, Buffer& out) const override;
};

namespace handlers {
extern const SingleKeyHandler single_key;
}

// The natural miss answer of a read (MissReply), `count` nils for the
// array-of-nils answers; false when the command has none.
bool write_miss_answer(MissReply miss, uint32_t count, Buffer& out);

}  // namespace ringproxy
