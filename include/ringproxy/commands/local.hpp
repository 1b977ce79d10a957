// Commands the proxy answers itself, one small function each: connection
// handshakes (PING, ECHO, HELLO, AUTH, SELECT 0, QUIT, CLIENT), what clients
// and tools ask on connect (INFO, COMMAND, CONFIG GET), TIME, and PROXY NODES.
// Each command table row of a local command points at its LocalCommand.
#pragma once

#include <string_view>

#include "ringproxy/commands/handler.hpp"

namespace ringproxy {

// Writes the reply of one local command into `out` (between the session's
// begin_reply() and end_reply()).
using LocalFn = void (*)(CommandContext& ctx, const Call& call, Buffer& out);
// A local command whose answer may come later (PROXY ADD with --etcd answers
// once etcd has stored the change): true when it took the call, answering it
// itself, in a request of its own opened for `handler`; false leaves the call
// to the LocalFn.
using LaterFn = bool (*)(CommandContext& ctx, const Call& call, const CommandHandler& handler);

class LocalCommand final : public CommandHandler {
 public:
  constexpr LocalCommand(LocalFn fn, HandlerTraits traits = {}, bool close_after = false,
                         LaterFn later = nullptr)
      : CommandHandler(traits), fn_(fn), later_(later), close_after_(close_after) {}
  void handle(CommandContext& ctx, const Call& call) const override;

 private:
  LocalFn fn_;
  LaterFn later_;
  bool close_after_;  // QUIT: the connection closes once its replies are out
};

// An error reply of a local command, counted.
void local_error(CommandContext& ctx, Buffer& out, std::string_view message);
// Sets the client's name for CLIENT SETNAME and HELLO SETNAME alike, if it
// is printable ASCII without spaces (as Redis checks it: a name shows in
// CLIENT LIST lines, and a newline would forge one); else writes Redis's
// error to `out` and returns false. An empty name clears it.
bool set_client_name(CommandContext& ctx, Session& session, std::string_view name, Buffer& out);
// CLIENT KILL (local_client_kill.cpp): by address, or by filters.
void client_kill(CommandContext& ctx, const Call& call, Buffer& out);
// PROXY NODES (local_info.cpp): one line per backend.
void proxy_nodes(CommandContext& ctx, const Call& call, Buffer& out);
inline constexpr std::string_view kInvalidClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";
// PROXY ADD/REMOVE/WEIGHT/RING (local_ring_admin.cpp): true when `call` is
// one of them and its reply was written to `out`.
bool ring_admin_command(CommandContext& ctx, const Call& call, Buffer& out);
// PROXY ADD/REMOVE/WEIGHT as a LaterFn: the change's reply comes when the
// RingAdmin says it is done (at once for this proxy's own ring, once etcd
// acknowledged with --etcd).
bool ring_admin_change(CommandContext& ctx, const Call& call, const CommandHandler& handler);
// The server version INFO and HELLO report: clients gate features on it, and
// the backends are expected to be Redis 7.
inline constexpr std::string_view kCompatVersion = "7.0.15";

namespace handlers {
// local_connection.cpp
extern const LocalCommand ping, echo, quit, select, auth, hello, readonly, readwrite;
// local_client.cpp
extern const LocalCommand client;
// local_server.cpp
extern const LocalCommand command, config, time;
// local_info.cpp: INFO, and PROXY (not in the Redis table: the dispatcher
// answers an unknown command named PROXY with it).
extern const LocalCommand info, proxy;
// local_metrics.cpp
extern const LocalCommand slowlog, latency;
}  // namespace handlers

// PROXY SLOWLOG [count] and PROXY HOTKEYS [count] (local_metrics.cpp).
void proxy_slowlog(CommandContext& ctx, const Call& call, Buffer& out);
void proxy_hotkeys(CommandContext& ctx, const Call& call, Buffer& out);

}  // namespace ringproxy
