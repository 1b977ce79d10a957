// MULTI / EXEC / DISCARD. See transaction.hpp.
#include "ringproxy/commands/transaction.hpp"

#include <algorithm>
#include <string>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace handlers {
constinit const TransactionHandler multi(TransactionHandler::Op::kMulti);
constinit const TransactionHandler exec(TransactionHandler::Op::kExec);
constinit const TransactionHandler discard(TransactionHandler::Op::kDiscard);
}  // namespace handlers

void TransactionHandler::handle(CommandContext& ctx, const Call& call) const {
  Session& session = call.session;
  const bool active = session.transaction() != nullptr;
  switch (op_) {
    case Op::kMulti:
      if (active) {
        ctx.reply_error(session, "ERR MULTI calls can not be nested");
        return;
      }
      session.begin_transaction();
      resp::ok(session.begin_reply());
      session.end_reply();
      ctx.answered_locally();
      return;
    case Op::kDiscard:
      if (!active) {
        ctx.reply_error(session, "ERR DISCARD without MULTI");
        return;
      }
      session.end_transaction();
      resp::ok(session.begin_reply());
      session.end_reply();
      ctx.answered_locally();
      return;
    case Op::kExec:
      if (!active) {
        ctx.reply_error(session, "ERR EXEC without MULTI");
        return;
      }
      exec(ctx, session);
      return;
  }
}

void TransactionHandler::queue(CommandContext& ctx, Session& session, const CommandInfo* cmd,
                               std::span<const std::string_view> argv, std::string_view raw) {
  Transaction& tx = *session.transaction();
  if (cmd == nullptr) {
    tx.dirty = true;
    ctx.reject(session, unknown_command_error(argv));
    return;
  }
  if (!arity_ok(*cmd, argv.size())) {
    tx.dirty = true;
    ctx.reject(session, wrong_arity_error(*cmd));
    return;
  }
  const HandlerTraits& traits = cmd->handler->traits();
  if (!traits.queueable) {
    tx.dirty = true;
    ctx.reject(session, "ERR ringproxy: '" + lower(argv[0]) + "' cannot be used inside MULTI");
    return;
  }
  if (traits.keyed) {
    // Only checked now: the keys are routed when EXEC runs the command.
    std::string_view error;
    if (!extract_keys(*cmd, argv, ctx.key_indexes, error)) {
      tx.dirty = true;
      ctx.reject(session, error);
      return;
    }
  }
  if (tx.commands.size() + raw.size() > ctx.options.max_transaction_bytes) {
    tx.dirty = true;
    ctx.reject(session, "ERR ringproxy: transaction too large (query-buffer-limit)");
    return;
  }
  tx.commands.append(raw);
  tx.count++;
  if (traits.keyed) {
    for (uint32_t k : ctx.key_indexes) {
      tx.keys.push_back({tx.key_bytes.size(), argv[k].size(), cmd->write});
      tx.key_bytes.append(argv[k]);
    }
  }
  resp::simple(session.begin_reply(), "QUEUED");
  session.end_reply();
}

void TransactionHandler::exec(CommandContext& ctx, Session& session) const {
  Transaction tx = std::move(*session.transaction());
  session.end_transaction();
  if (tx.dirty) {
    ctx.reply_error(session, "EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  if (tx.count == 0) {
    resp::array_header(session.begin_reply(), 0);
    session.end_reply();
    ctx.answered_locally();
    return;
  }
  // Routed now, against the ring as it is when the commands run.
  BackendId backend = kNoBackend;
  for (const Transaction::Key& k : tx.keys) {
    const BackendId owner = ctx.ring.owner(tx.key(k));
    if (owner == kNoBackend) {
      ctx.reply_error(session, "ERR ringproxy: no backend is available");
      return;
    }
    if (backend != kNoBackend && owner != backend) {
      ctx.counters.cross_backend_rejected++;
      ctx.reply_error(session,
                      "EXECABORT Transaction discarded because its keys live on different "
                      "backends; give them a common hash tag (e.g. {user1}:a and {user1}:b) so "
                      "they share one backend");
      return;
    }
    backend = owner;
  }
  if (backend == kNoBackend) {  // only keyless commands (PING, ECHO)
    for (BackendId b : ctx.ring.members()) {
      if (ctx.ring.live(b)) {
        backend = b;
        break;
      }
    }
    if (backend == kNoBackend) {
      ctx.reply_error(session, "ERR ringproxy: no backend is available");
      return;
    }
  }
  if (ctx.ring.any_down()) {
    for (const Transaction::Key& k : tx.keys) {
      if (k.write) ctx.note_write(tx.key(k), backend);
    }
  }
  if (ctx.ring.window_open()) {
    for (const Transaction::Key& k : tx.keys) {
      if (k.write) ctx.window_invalidate(tx.key(k), backend);
    }
  }
  // One uninterrupted block on the shared connection: nothing of another
  // client can land between MULTI and EXEC.
  Request* req = ctx.open_request(session, *this);
  req->write = std::any_of(tx.keys.begin(), tx.keys.end(),
                           [](const Transaction::Key& k) { return k.write; });
  ctx.counters.forwarded++;
  req->fragments.emplace_back().backend = backend;
  req->pending = 1;
  Buffer* out = ctx.backends.begin(backend, session.id());
  if (out == nullptr) {
    ctx.fail_unavailable(req, 0);
    return;
  }
  out->append("*1\r\n$5\r\nMULTI\r\n");
  out->append(tx.commands.view());
  out->append("*1\r\n$4\r\nEXEC\r\n");
  // The +OK of MULTI and each +QUEUED are swallowed: EXEC's reply answers.
  ctx.backends.commit(req, 0, tx.count + 1);
}

}  // namespace ringproxy
