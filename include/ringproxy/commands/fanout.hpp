// Commands sent as they came to every live backend, the replies merged:
//
//   DBSIZE              integers summed
//   KEYS                arrays concatenated
//   FLUSHDB, FLUSHALL   +OK when every backend says +OK
//   SCRIPT              LOAD/EXISTS: the first reply (every backend answers
//                       the same); FLUSH: +OK when every backend says +OK
//   RANDOMKEY           a random non-nil reply
//
// Any part that fails makes the whole reply that error, except under
// --on-unavailable miss, where an unavailable part of a read counts as an
// empty backend (0 keys, no keys, no random key).
#pragma once

#include "ringproxy/commands/handler.hpp"

namespace ringproxy {

class FanoutHandler final : public CommandHandler {
 public:
  enum class Merge : uint8_t { kSum, kConcat, kAllOk, kFirst, kRandomKey, kScript };
  constexpr explicit FanoutHandler(Merge merge) : CommandHandler({}), merge_(merge) {}
  void handle(CommandContext& ctx, const Call& call) const override;
  bool miss_answer(const Request& req, uint32_t fragment, Buffer& out) const override;
  void merge(CommandContext& ctx, Request& req) const override;

 private:
  Merge merge_;
};

namespace handlers {
extern const FanoutHandler fanout_sum;
extern const FanoutHandler fanout_concat;
extern const FanoutHandler fanout_all_ok;
extern const FanoutHandler script;
extern const FanoutHandler random_key;
}  // namespace handlers

}  // namespace ringproxy
