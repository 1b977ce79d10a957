// COMMAND: COMMAND DOCS and COMMAND INFO go to one live backend and its reply
// passes through as it came, so clients get Redis's own documentation and
// command metadata (redis-cli builds its hints and `help` from COMMAND DOCS)
// without the proxy carrying those texts. Every other form (COMMAND, COUNT,
// LIST, GETKEYS) is answered from the proxy's command table
// (local_server.cpp), as are DOCS and INFO when no backend is live.
#pragma once

#include "ringproxy/commands/handler.hpp"

namespace ringproxy {

class CommandDocsHandler final : public CommandHandler {
 public:
  constexpr CommandDocsHandler() : CommandHandler({}) {}
  void handle(CommandContext& ctx, const Call& call) const override;
};

namespace handlers {
extern const CommandDocsHandler command_docs;
}

}  // namespace ringproxy
