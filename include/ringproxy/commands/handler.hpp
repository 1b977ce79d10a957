// One handler per command kind. Each row of the command table points at the
// handler of its kind, which owns the kind's routing (which backends, what is
// sent to each), its answer when a backend is unavailable, and its merge of
// the parts' replies:
//
//   single_key.hpp   one backend for all keys (GET, SET, RENAME, EVAL, ...)
//   split.hpp        one sub-request per backend, merged (MGET, MSET, DEL, ...)
//   fanout.hpp       every live backend, merged (DBSIZE, KEYS, FLUSHDB, ...)
//   scan.hpp         SCAN walking the backends one after another
//   transaction.hpp  MULTI, EXEC, DISCARD
//   local.hpp        answered by the proxy (PING, CLIENT, INFO, ...)
//   unsupported.hpp  refused with an error
//
// Handlers are immutable objects shared by every request (their state is the
// request's and the CommandContext's), so a kind is one file with one class
// and the table rows that point at its objects.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "ringproxy/common/buffer.hpp"

namespace ringproxy {

class CommandContext;
class Session;
struct CommandInfo;
struct Request;

// One request as a handler sees it.
struct Call {
  Session& session;
  const CommandInfo& cmd;
  std::span<const std::string_view> argv;  // argv[0] is the name as the client sent it
  std::string_view raw;                    // the request's bytes as the client sent them
};

struct HandlerTraits {
  bool keyed = false;         // routed by its keys (the table row's key spec)
  bool queueable = false;     // may be queued between MULTI and EXEC
  bool before_auth = false;   // answered before the client has authenticated
  bool during_multi = false;  // runs at once inside MULTI instead of being queued
};

class CommandHandler {
 public:
  constexpr explicit CommandHandler(HandlerTraits traits) : traits_(traits) {}
  CommandHandler(const CommandHandler&) = delete;
  CommandHandler& operator=(const CommandHandler&) = delete;

  const HandlerTraits& traits() const { return traits_; }

  // Routes and sends the request, or answers it. Arity was checked.
  virtual void handle(CommandContext& ctx, const Call& call) const = 0;
  // The answer for part `fragment` of `req` when its backend is unavailable
  // or failed, under --on-unavailable miss, for a read with a natural miss
  // answer (req.miss): appends it to `out` and returns true; false answers
  // the part with the error.
  virtual bool miss_answer(const Request& req, uint32_t fragment, Buffer& out) const;
  // Every part of a merged request (req.merge) has answered: writes the reply
  // into req.reply (empty on entry).
  virtual void merge(CommandContext& ctx, Request& req) const;

 protected:
  ~CommandHandler() = default;

 private:
  HandlerTraits traits_;
};

}  // namespace ringproxy
