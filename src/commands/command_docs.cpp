// See command_docs.hpp.
#include "ringproxy/commands/command_docs.hpp"

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/local.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/common/text.hpp"

namespace ringproxy {

namespace handlers {
constinit const CommandDocsHandler command_docs;
}

void CommandDocsHandler::handle(CommandContext& ctx, const Call& call) const {
  const bool from_backend =
      call.argv.size() >= 2 && (iequals(call.argv[1], "docs") || iequals(call.argv[1], "info"));
  BackendId backend = kNoBackend;
  if (from_backend) {
    // The first live backend: every backend runs the same Redis, and one
    // backend keeps the answers of a session consistent.
    for (BackendId id : ctx.ring.members()) {
      if (ctx.ring.live(id)) {
        backend = id;
        break;
      }
    }
  }
  if (backend == kNoBackend) {
    handlers::command.handle(ctx, call);
    return;
  }
  Request* req = ctx.open_request(call.session, *this);
  ctx.counters.forwarded++;
  ctx.send_whole(req, call.session.id(), backend, call.raw);
}

}  // namespace ringproxy
