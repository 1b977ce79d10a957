// Defaults of CommandHandler. See handler.hpp.
#include "ringproxy/commands/handler.hpp"

#include "ringproxy/commands/request.hpp"

namespace ringproxy {

bool CommandHandler::miss_answer(const Request&, uint32_t, Buffer&) const {
  return false;
}

void CommandHandler::merge(CommandContext&, Request& req) const {
  // Only kinds that split a request merge it; one part is its own reply.
  req.reply.append(req.fragments.front().reply);
}

}  // namespace ringproxy
