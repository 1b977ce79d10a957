// MULTI / EXEC / DISCARD. Between MULTI and EXEC the proxy queues the
// client's commands (+QUEUED) as the bytes it sent; at EXEC, if all their
// keys live on one backend, they go to it as one uninterrupted MULTI ... EXEC
// block on the shared connection (nothing of another client can land inside
// it), else EXEC answers -EXECABORT and nothing runs. Commands that cannot
// run inside a transaction through the proxy (fan-out, SCAN, most local ones)
// are refused when queued, which makes EXEC abort as in Redis.
#pragma once

#include <cstdint>
#include <string_view>

#include "ringproxy/commands/handler.hpp"
#include "ringproxy/commands/ring_view.hpp"
#include "ringproxy/common/buffer.hpp"

namespace ringproxy {

// One client's MULTI state (Session::transaction()).
struct Transaction {
  bool dirty = false;              // a queued command was refused: EXEC aborts
  bool cross = false;              // keys on more than one backend: EXEC aborts
  BackendId backend = kNoBackend;  // until the first key is seen
  uint32_t count = 0;
  Buffer commands;  // the queued requests as the client sent them
};

class TransactionHandler final : public CommandHandler {
 public:
  enum class Op : uint8_t { kMulti, kExec, kDiscard };
  constexpr explicit TransactionHandler(Op op) : CommandHandler({.during_multi = true}), op_(op) {}
  void handle(CommandContext& ctx, const Call& call) const override;

  // A command sent inside MULTI (`cmd` is null for an unknown one): queued,
  // or refused (which makes EXEC abort).
  static void queue(CommandContext& ctx, Session& session, const CommandInfo* cmd,
                    std::span<const std::string_view> argv, std::string_view raw);

 private:
  void exec(CommandContext& ctx, Session& session) const;
  Op op_;
};

namespace handlers {
extern const TransactionHandler multi;
extern const TransactionHandler exec;
extern const TransactionHandler discard;
}  // namespace handlers

}  // namespace ringproxy
