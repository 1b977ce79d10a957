// CLIENT and its subcommands, answered by the proxy for the client's own
// connection to it (a name, an id, the client list, CLIENT KILL). node-redis closes the
// connection if CLIENT SETINFO fails, so SETINFO is accepted and ignored.
#include <algorithm>
#include <string>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/local.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {

using SubFn = void (*)(CommandContext& ctx, const Call& call, Buffer& out);

struct Subcommand {
  std::string_view name;
  int arity;  // Redis convention, the whole argv: > 0 exactly, < 0 at least -arity
  SubFn fn;
};

void not_supported(CommandContext& ctx, const Call& call, Buffer& out) {
  std::string_view sub = call.argv.size() > 1 ? call.argv[1] : std::string_view();
  local_error(ctx, out,
              "ERR ringproxy: CLIENT " + lower(sub) + " is not supported through the proxy");
}

void setname(CommandContext& ctx, const Call& call, Buffer& out) {
  if (set_client_name(ctx, call.session, call.argv[2], out)) resp::ok(out);
}

void getname(CommandContext&, const Call& call, Buffer& out) {
  if (call.session.name().empty()) {
    resp::nil(out);
  } else {
    resp::bulk(out, call.session.name());
  }
}

void id(CommandContext&, const Call& call, Buffer& out) {
  resp::integer(out, static_cast<int64_t>(call.session.id()));
}

void ok(CommandContext&, const Call&, Buffer& out) {
  resp::ok(out);
}

// NO-EVICT and NO-TOUCH: the proxy evicts nothing and touches nothing.
void on_off(CommandContext& ctx, const Call& call, Buffer& out) {
  if (iequals(call.argv[2], "on") || iequals(call.argv[2], "off")) {
    resp::ok(out);
  } else {
    local_error(ctx, out, "ERR syntax error");
  }
}

void reply(CommandContext& ctx, const Call& call, Buffer& out) {
  // Only ON: OFF and SKIP would need replies the proxy drops on purpose.
  if (iequals(call.argv[2], "on")) {
    resp::ok(out);
  } else {
    not_supported(ctx, call, out);
  }
}

// One CLIENT LIST line: the fields Redis 7 prints that the proxy knows, in
// Redis's order, then the proxy's own `pending` (requests waiting for their
// reply). `current` is the name of the command running now for the client
// that asked (Redis shows client|list there), else empty.
void append_line(std::string& text, const Session& s, uint64_t now_ms, std::string_view current) {
  ClientInfo c;
  s.describe(c);
  const std::string_view cmd =
      !current.empty() ? current : (c.cmd.empty() ? std::string_view("NULL") : c.cmd);
  text += "id=" + std::to_string(c.id) + " addr=" + c.addr + " laddr=" + c.laddr +
          " fd=" + std::to_string(c.fd) + " name=" + std::string(c.name) +
          " age=" + std::to_string((now_ms - c.created_ms) / 1000) +
          " idle=" + std::to_string((now_ms - std::min(now_ms, c.last_ms)) / 1000) +
          " flags=" + (c.multi >= 0 ? "x" : "N") +
          " db=0 sub=0 psub=0 multi=" + std::to_string(c.multi) +
          " qbuf=0 obl=" + std::to_string(c.output_bytes) + " events=r cmd=" + std::string(cmd) +
          " user=default pending=" + std::to_string(c.pending) + "\n";
}

void info(CommandContext& ctx, const Call& call, Buffer& out) {
  std::string text;
  append_line(text, call.session, ctx.proxy.now_ms(), "client|info");
  resp::bulk(out, text);
}

void list(CommandContext& ctx, const Call& call, Buffer& out) {
  std::string text;
  const uint64_t now = ctx.proxy.now_ms();
  const uint64_t self = call.session.id();
  ctx.proxy.for_each_session([&](const Session& s) {
    append_line(text, s, now, s.id() == self ? std::string_view("client|list") : "");
  });
  resp::bulk(out, text);
}

constexpr Subcommand kSubcommands[] = {
    {"getname", 2, &getname},   {"id", 2, &id},       {"info", 2, &info},
    {"kill", -3, &client_kill}, {"list", -2, &list},  {"no-evict", 3, &on_off},
    {"no-touch", 3, &on_off},   {"reply", 3, &reply}, {"setinfo", 4, &ok},
    {"setname", 3, &setname},
};

void client_command(CommandContext& ctx, const Call& call, Buffer& out) {
  const std::string_view sub = call.argv[1];
  const size_t argc = call.argv.size();
  for (const Subcommand& s : kSubcommands) {
    if (!iequals(sub, s.name)) continue;
    const bool arity_ok =
        s.arity > 0 ? argc == static_cast<size_t>(s.arity) : argc >= static_cast<size_t>(-s.arity);
    if (arity_ok) {
      s.fn(ctx, call, out);
      return;
    }
    break;
  }
  not_supported(ctx, call, out);
}

}  // namespace

namespace handlers {
constinit const LocalCommand client(&client_command);
}

}  // namespace ringproxy
