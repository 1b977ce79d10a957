// Local commands of the connection handshake: PING, ECHO, QUIT, SELECT, AUTH,
// HELLO, READONLY/READWRITE. What real clients send and what breaks them:
// ioredis and node-redis send HELLO and fall back to RESP2 on NOPROTO,
// redis-cli --pipe waits for the echo of its random marker.
#include <optional>
#include <string>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/local.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {

bool parse_i64(std::string_view s, int64_t& out) {
  return parse_int64(s.data(), s.size(), &out);
}

// Without a password the default user is "nopass": any password works.
bool password_ok(const CommandContext& ctx, std::string_view user, std::string_view given) {
  const std::string& password = ctx.options.client_password;
  return user == "default" && (password.empty() || given == password);
}

// The admin password also authenticates as a client.
bool admin_password_ok(const CommandContext& ctx, std::string_view user, std::string_view given) {
  const std::string& password = ctx.options.admin_password;
  return user == "default" && !password.empty() && given == password;
}

constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

void ping_command(CommandContext& ctx, const Call& call, Buffer& out) {
  if (call.argv.size() > 2) {
    local_error(ctx, out, "ERR wrong number of arguments for 'ping' command");
  } else if (call.argv.size() == 1) {
    resp::simple(out, "PONG");
  } else {
    resp::bulk(out, call.argv[1]);
  }
}

void echo_command(CommandContext&, const Call& call, Buffer& out) {
  resp::bulk(out, call.argv[1]);
}

void quit_command(CommandContext&, const Call&, Buffer& out) {
  resp::ok(out);
}

void select_command(CommandContext& ctx, const Call& call, Buffer& out) {
  int64_t db = 0;
  if (!parse_i64(call.argv[1], db)) {
    local_error(ctx, out, "ERR value is not an integer or out of range");
  } else if (db != 0) {
    local_error(ctx, out, "ERR ringproxy: only database 0 is available through the proxy");
  } else {
    resp::ok(out);
  }
}

void auth_command(CommandContext& ctx, const Call& call, Buffer& out) {
  const size_t argc = call.argv.size();
  std::string_view user = argc == 3 ? call.argv[1] : std::string_view("default");
  if (argc > 3) {
    local_error(ctx, out, "ERR syntax error");
  } else if (admin_password_ok(ctx, user, call.argv[argc - 1])) {
    call.session.set_authenticated();
    call.session.set_admin();
    resp::ok(out);
  } else if (ctx.options.client_password.empty() && argc == 2) {
    local_error(ctx, out,
                "ERR AUTH <password> called without any password configured for the default "
                "user. Are you sure your configuration is correct?");
  } else if (password_ok(ctx, user, call.argv[argc - 1])) {
    call.session.set_authenticated();
    resp::ok(out);
  } else {
    // Like Redis: a failed AUTH leaves an authenticated connection as it was.
    local_error(ctx, out, kWrongPass);
  }
}

// HELLO [protover [AUTH user pass] [SETNAME name]], RESP2 only: HELLO [2]
// works; anything else gets NOPROTO, on which clients fall back to RESP2. As
// in Redis, the name is set last, once the client is authenticated, and
// checked as CLIENT SETNAME checks it.
void hello_command(CommandContext& ctx, const Call& call, Buffer& out) {
  const std::span<const std::string_view> argv = call.argv;
  size_t i = 1;
  if (argv.size() > 1) {
    int64_t proto = 0;
    if (!parse_i64(argv[1], proto)) {
      local_error(ctx, out, "ERR Protocol version is not an integer or out of range");
      return;
    }
    if (proto != 2) {
      local_error(ctx, out, "NOPROTO sorry, this protocol version is not supported.");
      return;
    }
    i = 2;
  }
  Session& session = call.session;
  std::optional<std::string_view> name;
  for (; i < argv.size(); ++i) {
    if (iequals(argv[i], "AUTH") && i + 2 < argv.size()) {
      if (admin_password_ok(ctx, argv[i + 1], argv[i + 2])) {
        session.set_admin();  // as AUTH with the admin password
      } else if (!password_ok(ctx, argv[i + 1], argv[i + 2])) {
        local_error(ctx, out, kWrongPass);
        return;
      }
      session.set_authenticated();
      i += 2;
    } else if (iequals(argv[i], "SETNAME") && i + 1 < argv.size()) {
      name = argv[++i];
    } else {
      local_error(ctx, out, "ERR Syntax error in HELLO option '" + std::string(argv[i]) + "'");
      return;
    }
  }
  if (!session.authenticated()) {
    local_error(ctx, out,
                "NOAUTH HELLO must be called with the client already authenticated, otherwise "
                "the HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                "select the RESP protocol version at the same time");
    return;
  }
  if (name && !set_client_name(ctx, session, *name, out)) return;
  resp::array_header(out, 14);
  resp::bulk(out, "server");
  resp::bulk(out, "redis");
  resp::bulk(out, "version");
  resp::bulk(out, kCompatVersion);
  resp::bulk(out, "proto");
  resp::integer(out, 2);
  resp::bulk(out, "id");
  resp::integer(out, static_cast<int64_t>(session.id()));
  resp::bulk(out, "mode");
  resp::bulk(out, "standalone");
  resp::bulk(out, "role");
  resp::bulk(out, "master");
  resp::bulk(out, "modules");
  resp::array_header(out, 0);
}

void ok_command(CommandContext&, const Call&, Buffer& out) {
  resp::ok(out);
}

}  // namespace

namespace handlers {
constinit const LocalCommand ping(&ping_command, {.queueable = true});
constinit const LocalCommand echo(&echo_command, {.queueable = true});
constinit const LocalCommand quit(&quit_command, {.before_auth = true, .during_multi = true},
                                  /*close_after=*/true);
constinit const LocalCommand select(&select_command);
constinit const LocalCommand auth(&auth_command, {.before_auth = true});
constinit const LocalCommand hello(&hello_command, {.before_auth = true});
constinit const LocalCommand readonly(&ok_command);
constinit const LocalCommand readwrite(&ok_command);
}  // namespace handlers

}  // namespace ringproxy
