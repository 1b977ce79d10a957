// Commands Redis knows that the proxy does not serve (pub/sub, blocking
// commands, WATCH, replication and server administration, other databases):
// an error naming the command; the connection stays open.
#pragma once

#include "ringproxy/commands/handler.hpp"

namespace ringproxy {

class UnsupportedHandler final : public CommandHandler {
 public:
  constexpr UnsupportedHandler() : CommandHandler({}) {}
  void handle(CommandContext& ctx, const Call& call) const override;
};

namespace handlers {
extern const UnsupportedHandler unsupported;
}

}  // namespace ringproxy
