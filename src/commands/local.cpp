// What every local command shares. See local.hpp.
#include "ringproxy/commands/local.hpp"

#include <algorithm>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

void LocalCommand::handle(CommandContext& ctx, const Call& call) const {
  ctx.counters.local++;
  if (later_ != nullptr && later_(ctx, call, *this)) return;
  const uint64_t errors = ctx.counters.errors;
  fn_(ctx, call, call.session.begin_reply());
  call.session.end_reply();
  ctx.answered_locally(ctx.counters.errors != errors);
  if (close_after_ || ctx.close_after_reply) {
    ctx.close_after_reply = false;
    call.session.close_after_replies();
  }
}

void local_error(CommandContext& ctx, Buffer& out, std::string_view message) {
  ctx.write_error(out, message);
}

bool set_client_name(CommandContext& ctx, Session& session, std::string_view name, Buffer& out) {
  const bool printable =
      std::all_of(name.begin(), name.end(), [](char ch) { return ch > ' ' && ch <= '~'; });
  if (!printable) {
    local_error(ctx, out, kInvalidClientName);
    return false;
  }
  session.set_name(name);
  return true;
}

}  // namespace ringproxy
