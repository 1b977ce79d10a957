// CLIENT KILL, with Redis's two forms and error texts:
//
//   CLIENT KILL ip:port                      +OK, or -ERR No such client
//   CLIENT KILL <filter> <value> [...]       the number of clients closed
//
// Filters (all must match): ID id, ADDR ip:port, LADDR ip:port, USER name
// (only `default` exists here), TYPE normal|master|replica|slave|pubsub (every
// proxy client is normal), MAXAGE seconds (connected at least that long),
// SKIPME yes|no (default yes: the caller is spared). The caller's own
// connection, when killed, closes once this reply is out; others close at
// the next flush pass.
#include <charconv>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/local.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {

struct KillFilter {
  std::optional<uint64_t> id;
  std::optional<std::string_view> addr;
  std::optional<std::string_view> laddr;
  std::optional<uint64_t> max_age_s;
  bool normal_type = true;  // TYPE names a kind no proxy client is
  bool skip_me = true;
};

bool parse_int(std::string_view text, int64_t& out) {
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && p == end && !text.empty();
}

// Reads the filters of argv[2..]; writes the error and returns false on a
// bad one.
bool parse_filters(CommandContext& ctx, std::span<const std::string_view> argv, KillFilter& f,
                   Buffer& out) {
  if (argv.size() % 2 != 0) {
    local_error(ctx, out, "ERR syntax error");
    return false;
  }
  for (size_t i = 2; i + 1 < argv.size(); i += 2) {
    const std::string_view name = argv[i];
    const std::string_view value = argv[i + 1];
    int64_t n = 0;
    if (iequals(name, "id")) {
      if (!parse_int(value, n)) {
        local_error(ctx, out, "ERR value is not an integer or out of range");
        return false;
      }
      if (n <= 0) {
        local_error(ctx, out, "ERR client-id should be greater than 0");
        return false;
      }
      f.id = static_cast<uint64_t>(n);
    } else if (iequals(name, "addr")) {
      f.addr = value;
    } else if (iequals(name, "laddr")) {
      f.laddr = value;
    } else if (iequals(name, "type")) {
      if (iequals(value, "normal")) {
        f.normal_type = true;
      } else if (iequals(value, "master") || iequals(value, "replica") || iequals(value, "slave") ||
                 iequals(value, "pubsub")) {
        f.normal_type = false;
      } else {
        local_error(ctx, out, "ERR Unknown client type '" + std::string(value) + "'");
        return false;
      }
    } else if (iequals(name, "user")) {
      if (value != "default") {
        local_error(ctx, out, "ERR No such user '" + std::string(value) + "'");
        return false;
      }
    } else if (iequals(name, "skipme")) {
      if (iequals(value, "yes")) {
        f.skip_me = true;
      } else if (iequals(value, "no")) {
        f.skip_me = false;
      } else {
        local_error(ctx, out, "ERR syntax error");
        return false;
      }
    } else if (iequals(name, "maxage")) {
      if (!parse_int(value, n) || n < 0) {
        local_error(ctx, out, "ERR value is not an integer or out of range");
        return false;
      }
      f.max_age_s = static_cast<uint64_t>(n);
    } else {
      local_error(ctx, out, "ERR syntax error");
      return false;
    }
  }
  return true;
}

bool matches(const KillFilter& f, const ClientInfo& c, uint64_t now_ms) {
  return f.normal_type && (!f.id || *f.id == c.id) && (!f.addr || *f.addr == c.addr) &&
         (!f.laddr || *f.laddr == c.laddr) &&
         (!f.max_age_s || (now_ms - c.created_ms) / 1000 >= *f.max_age_s);
}

// Closes the clients of `ids`; the caller's own closes after this reply.
void kill_all(CommandContext& ctx, const Call& call, const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) {
    if (id == call.session.id()) {
      ctx.close_after_reply = true;
    } else {
      ctx.proxy.kill_client(id);
    }
  }
}

}  // namespace

void client_kill(CommandContext& ctx, const Call& call, Buffer& out) {
  const std::span<const std::string_view> argv = call.argv;
  const uint64_t now = ctx.proxy.now_ms();
  std::vector<uint64_t> ids;
  if (argv.size() == 3) {
    // The old form: one address; the caller may name itself.
    ctx.proxy.for_each_session([&](const Session& s) {
      ClientInfo c;
      s.describe(c);
      if (c.addr == argv[2]) ids.push_back(c.id);
    });
    if (ids.empty()) {
      local_error(ctx, out, "ERR No such client");
      return;
    }
    kill_all(ctx, call, ids);
    resp::ok(out);
    return;
  }
  KillFilter f;
  if (!parse_filters(ctx, argv, f, out)) return;
  ctx.proxy.for_each_session([&](const Session& s) {
    if (f.skip_me && s.id() == call.session.id()) return;
    ClientInfo c;
    s.describe(c);
    if (matches(f, c, now)) ids.push_back(c.id);
  });
  kill_all(ctx, call, ids);
  resp::integer(out, static_cast<int64_t>(ids.size()));
}

}  // namespace ringproxy
