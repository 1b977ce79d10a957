// The front door of command handling: a parsed request from a client goes
// through the AUTH and MULTI gates, the command table (name, arity) and on to
// the handler its table row points at. The reply path (backend replies and
// failures) goes to the same CommandContext the handlers use.
//
//   Session (client) --dispatch--> handler --BackendPort--> backend
//   backend reply --part_replied/part_failed--> handler's merge --> Session
//
// Nothing here touches a socket: the client is a Session, the backends a
// BackendPort, placement a RingView, the rest of the proxy a
// ProxyIntrospection, all implemented by the proxy (and by fakes in tests).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/expected_reply.hpp"
#include "ringproxy/resp/request_parser.hpp"

namespace ringproxy {

class Session;

class Dispatcher {
 public:
  Dispatcher(RingView& ring, BackendPort& backends, ProxyIntrospection& proxy,
             CommandOptions options);

  // Handles one complete request (argc > 0). Returns its command's table row
  // (CLIENT LIST's cmd), nullptr for an unknown command.
  const CommandInfo* dispatch(Session& session, const RequestParser& parsed);

  CommandContext& context() { return ctx_; }
  const CommandContext& context() const { return ctx_; }
  RequestPool& requests() { return ctx_.requests; }
  const RequestCounters& counters() const { return ctx_.counters; }

  // Dense command ids for per-command figures (CommandContext::command_id):
  // a command's row in all_commands(), and proxy_command_id() for PROXY;
  // command_names()[id] is its lower-case name.
  static uint32_t proxy_command_id();
  // The proxy's own requests (stale-range scans): counted apart, never shown
  // (its name is empty).
  static uint32_t internal_command_id();
  static std::vector<std::string> command_names();

 private:
  // What every request of a command table row carries whatever its
  // arguments, found once per row rather than per request.
  struct RowFacts {
    ReplyExpectation expect;
    bool fast = false;  // command_is_fast()
  };

  CommandContext ctx_;
  std::vector<std::string_view> argv_;
  std::vector<RowFacts> rows_;  // by CommandInfo::row
};

}  // namespace ringproxy
