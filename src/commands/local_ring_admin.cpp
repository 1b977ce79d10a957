// PROXY ADD, REMOVE, WEIGHT and RING: changing the proxy's ring while it
// serves. The proxy does the change (RingAdmin); this file parses the
// commands, decides who may use them and formats PROXY RING.
//
// Who may: with --admin-password set, only clients that AUTHed with it;
// without it, only clients connected over loopback, unless
// --admin-allow-remote. PROXY RING only reads, like PROXY NODES: anyone.
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/handler.hpp"
#include "ringproxy/commands/local.hpp"
#include "ringproxy/commands/ring_admin.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {

bool admin_allowed(const CommandContext& ctx, const Session& session, std::string& why) {
  if (!ctx.options.admin_password.empty()) {
    if (session.admin()) return true;
    why = "NOPERM ringproxy: ring administration needs AUTH with the admin password";
    return false;
  }
  if (ctx.options.admin_allow_remote || session.loopback()) return true;
  why =
      "NOPERM ringproxy: ring administration is only allowed from loopback clients (set "
      "--admin-password, or --admin-allow-remote)";
  return false;
}

// The command as the ring's source text: "PROXY ADD 10.0.0.4:6379:1 cache-d".
std::string source_text(std::span<const std::string_view> argv) {
  std::string s = "PROXY";
  for (size_t i = 1; i < argv.size(); ++i) {
    s.push_back(' ');
    for (char ch : argv[i]) {
      s.push_back(i == 1 && ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 'a' + 'A') : ch);
    }
  }
  return s;
}

// PROXY RING: one bulk string of `key:value` lines like INFO's, then one
// `memberN:` line per member with comma-separated key=value fields.
void ring_command(CommandContext& ctx, Buffer& out) {
  RingReport r;
  ctx.admin->ring_report(r);
  std::string text;
  auto kv = [&](std::string_view k, std::string_view v) {
    text.append(k).append(":").append(v).append("\r\n");
  };
  kv("ring_version", std::to_string(r.version));
  kv("membership_version", std::to_string(r.membership_version));
  kv("source", r.source);
  kv("membership_from", r.membership_from);
  if (r.etcd_revision >= 0) kv("etcd_revision", std::to_string(r.etcd_revision));
  kv("distribution", r.distribution);
  kv("hash", r.hash);
  kv("members", std::to_string(r.members.size()));
  kv("differs_from_config", r.differs_from_config ? "1" : "0");
  kv("draining", std::to_string(r.draining));
  kv("rebuild_pending", r.rebuild_pending ? "1" : "0");
  kv("migration_window_remaining_ms", std::to_string(r.window_remaining_ms));
  uint64_t dirty = 0;
  for (const RingMemberReport& m : r.members) dirty += m.dirty_entries;
  kv("dirty_entries", std::to_string(dirty));
  for (const RingMemberReport& m : r.members) {
    std::string line;
    auto field = [&](std::string_view k, std::string_view v) {
      if (!line.empty()) line.push_back(',');
      line.append(k).append("=").append(v.empty() ? std::string_view("-") : v);
    };
    field("slot", std::to_string(m.slot));
    field("addr", m.address);
    field("name", m.name);
    field("weight", std::to_string(m.weight));
    field("points", std::to_string(m.points));
    field("liveness", m.liveness);
    field("dirty_entries", std::to_string(m.dirty_entries));
    field("cleanup_scanned", std::to_string(m.cleanup_keys_scanned));
    field("cleanup_deleted", std::to_string(m.cleanup_keys_deleted));
    field("cleanup_passes", std::to_string(m.cleanup_passes));
    kv("member" + std::to_string(m.slot), line);
  }
  resp::bulk(out, text);
}

}  // namespace

bool ring_admin_command(CommandContext& ctx, const Call& call, Buffer& out) {
  const std::span<const std::string_view> argv = call.argv;
  if (argv.size() < 2) return false;
  const std::string_view sub = argv[1];
  if (!iequals(sub, "add") && !iequals(sub, "remove") && !iequals(sub, "weight") &&
      !iequals(sub, "ring")) {
    return false;
  }
  if (ctx.admin == nullptr) {
    local_error(ctx, out, "ERR ringproxy: this proxy's ring cannot be changed");
  } else if (argv.size() != 2 || !iequals(sub, "ring")) {
    local_error(ctx, out, "ERR wrong number of arguments for 'proxy|" + lower(sub) + "' command");
  } else {
    ring_command(ctx, out);
  }
  return true;
}

bool ring_admin_change(CommandContext& ctx, const Call& call, const CommandHandler& handler) {
  const std::span<const std::string_view> argv = call.argv;
  if (argv.size() < 2 || ctx.admin == nullptr) return false;
  const std::string_view sub = argv[1];
  const bool add = iequals(sub, "add"), remove = iequals(sub, "remove"),
             weight = iequals(sub, "weight");
  if (!add && !remove && !weight) return false;
  std::string why;
  if (!admin_allowed(ctx, call.session, why)) {
    ctx.reply_error(call.session, why);
    return true;
  }
  BackendSpec spec;
  uint64_t w = 0;
  if (add) {
    if (argv.size() != 3 && argv.size() != 4) {
      ctx.reply_error(call.session,
                      "ERR wrong number of arguments for 'proxy|add' command: PROXY ADD "
                      "host:port[:weight] [name]");
      return true;
    }
    try {
      std::string text(argv[2]);
      if (argv.size() == 4) text.append(" ").append(argv[3]);
      spec = parse_backend_spec(text);
    } catch (const std::exception& e) {
      ctx.reply_error(call.session, std::string("ERR ringproxy: bad backend: ") + e.what());
      return true;
    }
  } else if (remove && argv.size() != 3) {
    ctx.reply_error(call.session,
                    "ERR wrong number of arguments for 'proxy|remove' command: PROXY REMOVE "
                    "name|host:port");
    return true;
  } else if (weight && argv.size() != 4) {
    ctx.reply_error(call.session,
                    "ERR wrong number of arguments for 'proxy|weight' command: PROXY WEIGHT "
                    "name|host:port weight");
    return true;
  } else if (weight && (!parse_u64(argv[3], w) || w == 0 || w > 2147483647)) {
    ctx.reply_error(call.session,
                    "ERR ringproxy: weight must be a whole number from 1 to 2147483647");
    return true;
  }
  // The reply has a slot of its own in the client's reply order, answered
  // when the change is done; a client gone by then leaves the request to be
  // released by that answer (pending > 0, as for a backend's reply).
  Request* req = ctx.open_request(call.session, handler);
  req->pending = 1;
  RingAdmin::Done done = [&ctx, req](std::string error) {
    std::string reply = "+OK\r\n";
    if (!error.empty()) {
      ctx.counters.errors++;
      for (char& ch : error) {
        if (ch == '\r' || ch == '\n') ch = ' ';
      }
      reply = "-" + error + "\r\n";
    }
    ctx.part_replied(req, 0, reply);
  };
  if (add) {
    ctx.admin->add_member(std::move(spec), source_text(argv), std::move(done));
  } else if (remove) {
    ctx.admin->remove_member(argv[2], source_text(argv), std::move(done));
  } else {
    ctx.admin->set_weight(argv[2], static_cast<uint32_t>(w), source_text(argv), std::move(done));
  }
  return true;
}

}  // namespace ringproxy
