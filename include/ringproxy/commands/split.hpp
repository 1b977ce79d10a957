// Commands split by key into one sub-request per backend and merged back:
//
//   MGET                       values merged back in key order
//   MSET                       key/value pairs; +OK when every part is +OK
//   DEL, UNLINK, EXISTS, TOUCH the parts' integers summed
//
// A request whose keys share one backend is forwarded as it came. Any part
// that fails makes the whole reply that error (never a silently partial
// answer), except under --on-unavailable miss, where an unavailable part of a
// read answers as missing keys (nils for MGET, 0 for EXISTS and TOUCH).
#pragma once

#include "ringproxy/commands/handler.hpp"

namespace ringproxy {

class SplitHandler final : public CommandHandler {
 public:
  enum class Shape : uint8_t { kValues, kPairs, kCount };  // MGET, MSET, DEL...
  constexpr explicit SplitHandler(Shape shape)
      : CommandHandler({.keyed = true, .queueable = true}), shape_(shape) {}
  void handle(CommandContext& ctx, const Call& call) const override;
  bool miss_answer(const Request& req, uint32_t fragment, Buffer& out) const override;
  void merge(CommandContext& ctx, Request& req) const override;

 private:
  Shape shape_;
};

namespace handlers {
extern const SplitHandler mget;
extern const SplitHandler mset;
extern const SplitHandler sum_keys;
}  // namespace handlers

}  // namespace ringproxy
