// Commands refused through the proxy. See unsupported.hpp.
#include "ringproxy/commands/unsupported.hpp"

#include "ringproxy/commands/context.hpp"
#include "ringproxy/common/text.hpp"

namespace ringproxy {

namespace handlers {
constinit const UnsupportedHandler unsupported;
}

void UnsupportedHandler::handle(CommandContext& ctx, const Call& call) const {
  ctx.reject(call.session, "ERR ringproxy does not support '" + lower(call.argv[0]) +
                               "' (pub/sub, blocking, WATCH and server administration "
                               "commands are not proxied)");
}

}  // namespace ringproxy
