// The front door of command handling. See dispatcher.hpp.
#include "ringproxy/commands/dispatcher.hpp"

#include "ringproxy/commands/expected_reply.hpp"
#include "ringproxy/commands/handler.hpp"
#include "ringproxy/commands/local.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/commands/transaction.hpp"
#include "ringproxy/common/assert.hpp"
#include "ringproxy/common/text.hpp"

namespace ringproxy {

namespace {

// PROXY NODES / PROXY HELP: the proxy's own command, outside the Redis table
// (COMMAND COUNT stays Redis's), answered when no table row matches.
constexpr CommandInfo kProxyCommand{"proxy", -1,    &handlers::proxy, 0, 0, 0,
                                    0,       false, MissReply::kNone};

constexpr size_t kBigRequestBytes = 1024 * 1024;

}  // namespace

Dispatcher::Dispatcher(RingView& ring, BackendPort& backends, ProxyIntrospection& proxy,
                       CommandOptions options)
    : ctx_(ring, backends, proxy, std::move(options)) {
  for (const CommandInfo& c : all_commands()) {
    RP_ASSERT(c.row == rows_.size());
    rows_.push_back({ReplyExpectation(c), command_is_fast(c)});
  }
}

const CommandInfo* Dispatcher::dispatch(Session& session, const RequestParser& parsed) {
  ctx_.counters.commands++;
  argv_.clear();
  for (size_t i = 0; i < parsed.argc(); ++i) argv_.push_back(parsed.arg(i));
  const std::string_view raw = parsed.raw();
  const CommandInfo* cmd = lookup_command(argv_[0]);
  if (cmd != nullptr) [[likely]] {
    const RowFacts& row = rows_[cmd->row];
    ctx_.command_id = cmd->row;
    ctx_.expect = row.expect(argv_);
    ctx_.write = cmd->write;
    // Redis's work on a request also grows with its bytes (a big value is
    // copied, the one it replaces freed), so a big request is not judged by
    // the stall timeout whatever its command.
    ctx_.fast = row.fast && raw.size() < kBigRequestBytes;
  } else {
    ctx_.command_id = CommandContext::kNoCommandId;
    ctx_.expect = resp::kAnyReply;
    ctx_.write = false;
    ctx_.fast = false;
  }

  if (!session.authenticated() && !(cmd && cmd->handler->traits().before_auth)) {
    ctx_.reject(session, "NOAUTH Authentication required.");
    return cmd;
  }
  if (session.transaction() != nullptr && !(cmd && cmd->handler->traits().during_multi)) {
    TransactionHandler::queue(ctx_, session, cmd, argv_, raw);
    return cmd;
  }
  if (cmd == nullptr) {
    if (iequals(argv_[0], "proxy")) {
      cmd = &kProxyCommand;
      ctx_.command_id = proxy_command_id();
    } else {
      ctx_.reply_error(session, unknown_command_error(argv_));
      return nullptr;
    }
  }
  if (!arity_ok(*cmd, argv_.size())) {
    ctx_.reject(session, wrong_arity_error(*cmd));
    return cmd;
  }
  cmd->handler->handle(ctx_, Call{session, *cmd, argv_, raw});
  return cmd;
}

uint32_t Dispatcher::proxy_command_id() {
  return static_cast<uint32_t>(all_commands().size());
}

uint32_t Dispatcher::internal_command_id() {
  return proxy_command_id() + 1;
}

std::vector<std::string> Dispatcher::command_names() {
  std::vector<std::string> names;
  for (const CommandInfo& c : all_commands()) names.emplace_back(c.name);
  names.emplace_back(kProxyCommand.name);
  names.emplace_back();  // internal_command_id(): not shown
  return names;
}

}  // namespace ringproxy
