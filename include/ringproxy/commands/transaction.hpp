// MULTI / EXEC / DISCARD. Between MULTI and EXEC the proxy queues the
// client's commands (+QUEUED) as the bytes it sent, with their keys. EXEC
// routes them against the ring as it is then (a backend may have left or
// rejoined since they were queued): if all their keys live on one backend,
// they go to it as one uninterrupted MULTI ... EXEC block on the shared
// connection (nothing of another client can land inside it), and their
// writes on a successor are in the failover log like any other write; else
// EXEC answers -EXECABORT and nothing runs. Commands that cannot run inside a
// transaction through the proxy (fan-out, SCAN, most local ones) are refused
// when queued, which makes EXEC abort as in Redis.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/commands/handler.hpp"
#include "ringproxy/common/buffer.hpp"

namespace ringproxy {

// One client's MULTI state (Session::transaction()).
struct Transaction {
  struct Key {
    size_t offset;  // in key_bytes
    size_t size;
    bool write;  // of a command that writes
  };
  bool dirty = false;  // a queued command was refused: EXEC aborts
  uint32_t count = 0;
  Buffer commands;  // the queued requests as the client sent them
  // The queued commands' keys, routed at EXEC: their bytes back to back.
  std::string key_bytes;
  std::vector<Key> keys;

  std::string_view key(const Key& k) const {
    return std::string_view(key_bytes).substr(k.offset, k.size);
  }
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
