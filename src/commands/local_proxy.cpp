// PROXY: the proxy's own command (not in Redis's table), one row per
// subcommand. PROXY HELP prints every row's help, so a subcommand added to
// the table is listed without more work:
//
//   PROXY NODES       one line per backend (local_info.cpp)
//   PROXY WHERE key   where the key goes: its ring point, home and owner
//   PROXY HELP        the list
#include <string>
#include <vector>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/local.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/placement/hash_tag.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {

using SubFn = void (*)(CommandContext& ctx, const Call& call, Buffer& out);

struct ProxySubcommand {
  std::string_view name;
  int arity;  // the whole argv: > 0 exactly, < 0 at least -arity
  SubFn fn;
  std::string_view usage;  // "WHERE <key>"
  std::string_view help;   // what it answers, one line
};

// PROXY WHERE key: one line of key=value fields, e.g.
//   point=3284719212 hashed=user1 owner=127.0.0.1:7002 owner_name=b
//   owner_state=up home=127.0.0.1:7002 home_name=b home_state=up
// `point` is the key's position on the ring (the hash of `hashed`, the part
// of the key inside the hash tag, or all of it); `home` is the backend that
// owns it when every backend is up, `owner` the one that serves it now (its
// home, or the successor standing in while the home is down); "-" when there
// is none (every backend is down).
void where(CommandContext& ctx, const Call& call, Buffer& out) {
  const std::string_view key = call.argv[2];
  KeyPlacement p;
  ctx.proxy.place(key, p);
  ProxyFacts facts;
  ctx.proxy.facts(facts);
  std::vector<BackendReport> backends;
  ctx.proxy.backends(backends);
  std::string line = "point=" + std::to_string(p.point) +
                     " hashed=" + std::string(apply_hash_tag(key, facts.hash_tag));
  auto describe = [&](std::string_view role, BackendId id) {
    const BackendReport* b = nullptr;
    for (const BackendReport& r : backends) {
      if (r.id == id) b = &r;
    }
    line.append(" ").append(role).append("=").append(b ? b->address : "-");
    line.append(" ").append(role).append("_name=");
    line.append(b && !b->name.empty() ? b->name : "-");
    line.append(" ").append(role).append("_state=").append(b ? b->state : "-");
  };
  describe("owner", p.owner);
  describe("home", p.home);
  resp::bulk(out, line);
}

void help(CommandContext& ctx, const Call& call, Buffer& out);

// local_ring_admin.cpp checks its own arguments.
void ring_admin(CommandContext& ctx, const Call& call, Buffer& out) {
  ring_admin_command(ctx, call, out);
}

constexpr ProxySubcommand kSubcommands[] = {
    {"nodes", 2, &proxy_nodes, "NODES",
     "One line per backend: addr name state weight points connections requests errors "
     "timeouts out_of_step ejections restarts inflight failover_keys last_change_ms keys "
     "expires used_memory figures_age_ms last_error."},
    {"where", 3, &where, "WHERE <key>",
     "Where <key> goes: point (its hash on the ring), hashed (the part hashed), owner (the "
     "backend serving it now) and home (its backend when all are up), each with name and "
     "state."},
    {"add", -2, &ring_admin, "ADD host:port[:weight] [name]",
     "Add a backend to the ring while serving (admin: --admin-password or loopback)."},
    {"remove", -2, &ring_admin, "REMOVE name|host:port",
     "Remove a backend; its connections close once their replies are in (admin)."},
    {"weight", -2, &ring_admin, "WEIGHT name|host:port <weight>",
     "Change a backend's weight (admin)."},
    {"ring", -2, &ring_admin, "RING",
     "The ring: version, source, members, points, liveness, stale-range cleanup progress."},
    {"slowlog", -2, &proxy_slowlog, "SLOWLOG [<count>]",
     "SLOWLOG GET's entries (newest first, default 10, -1 all) with a 7th field: the "
     "backends that answered."},
    {"hotkeys", -2, &proxy_hotkeys, "HOTKEYS [<count>]",
     "The sampled hottest keys of the last window (default 10): key, backend, estimated "
     "requests, possible overestimate."},
    {"help", 2, &help, "HELP", "Print this help."},
};

void help(CommandContext&, const Call&, Buffer& out) {
  resp::array_header(out, 1 + 2 * static_cast<int64_t>(std::size(kSubcommands)));
  resp::simple(out, "PROXY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (const ProxySubcommand& s : kSubcommands) {
    resp::simple(out, s.usage);
    resp::simple(out, "    " + std::string(s.help));
  }
}

void proxy_command(CommandContext& ctx, const Call& call, Buffer& out) {
  const std::string_view sub = call.argv.size() > 1 ? call.argv[1] : std::string_view();
  const size_t argc = call.argv.size();
  for (const ProxySubcommand& s : kSubcommands) {
    if (!iequals(sub, s.name)) continue;
    if (s.arity > 0 ? argc == static_cast<size_t>(s.arity)
                    : argc >= static_cast<size_t>(-s.arity)) {
      s.fn(ctx, call, out);
      return;
    }
    break;
  }
  local_error(ctx, out,
              "ERR unknown subcommand or wrong number of arguments for 'proxy|" + lower(sub) +
                  "'. Try PROXY HELP.");
}

}  // namespace

namespace handlers {
constinit const LocalCommand proxy(&proxy_command, {}, false, &ring_admin_change);
}  // namespace handlers

}  // namespace ringproxy
