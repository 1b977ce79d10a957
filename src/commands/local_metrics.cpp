// SLOWLOG, LATENCY, PROXY SLOWLOG and PROXY HOTKEYS: the proxy's own view of
// slow requests and hot keys. The figures are the proxy's
// (ProxyIntrospection); a request's duration is measured through the proxy,
// from the read that parsed it to its reply, not a backend's execution time.
#include <string>
#include <vector>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/local.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {

// A count argument: a number >= -1 (-1: all), as Redis's SLOWLOG GET takes it.
bool parse_count(std::string_view arg, int64_t& out) {
  int64_t v = 0;
  if (!parse_int64(arg.data(), arg.size(), &v) || v < -1) return false;
  out = v;
  return true;
}

void write_entries(CommandContext& ctx, Buffer& out, int64_t count, bool with_backend) {
  std::vector<SlowlogEntry> entries;
  ctx.proxy.slowlog(count, entries);
  resp::array_header(out, static_cast<int64_t>(entries.size()));
  for (const SlowlogEntry& e : entries) {
    resp::array_header(out, with_backend ? 7 : 6);
    resp::integer(out, static_cast<int64_t>(e.id));
    resp::integer(out, static_cast<int64_t>(e.unix_s));
    resp::integer(out, static_cast<int64_t>(e.duration_us));
    resp::array_header(out, static_cast<int64_t>(e.args.size()));
    for (const std::string& a : e.args) resp::bulk(out, a);
    resp::bulk(out, e.client_addr);
    resp::bulk(out, e.client_name);
    if (with_backend) resp::bulk(out, e.backend);
  }
}

void wrong_subcommand(CommandContext& ctx, Buffer& out, std::string_view command,
                      std::string_view sub) {
  local_error(ctx, out,
              "ERR unknown subcommand or wrong number of arguments for '" + lower(sub) + "'. Try " +
                  std::string(command) + " HELP.");
}

void slowlog_command(CommandContext& ctx, const Call& call, Buffer& out) {
  const std::span<const std::string_view> argv = call.argv;
  const std::string_view sub = argv[1];
  if (iequals(sub, "get") && argv.size() <= 3) {
    int64_t count = 10;
    if (argv.size() == 3 && !parse_count(argv[2], count)) {
      local_error(ctx, out, "ERR count should be greater than or equal to -1");
      return;
    }
    write_entries(ctx, out, count, false);
  } else if (iequals(sub, "len") && argv.size() == 2) {
    resp::integer(out, static_cast<int64_t>(ctx.proxy.slowlog_len()));
  } else if (iequals(sub, "reset") && argv.size() == 2) {
    ctx.proxy.slowlog_reset();
    resp::ok(out);
  } else if (iequals(sub, "help") && argv.size() == 2) {
    resp::array_header(out, 4);
    resp::bulk(out,
               "SLOWLOG GET [<count>] -- the newest <count> entries (default 10, -1 all): "
               "id, unix time, microseconds through the proxy, arguments, client, name");
    resp::bulk(out, "SLOWLOG LEN -- entries kept");
    resp::bulk(out, "SLOWLOG RESET -- forget every entry");
    resp::bulk(out, "SLOWLOG HELP -- this text");
  } else {
    wrong_subcommand(ctx, out, "SLOWLOG", sub);
  }
}

// LATENCY: Redis's latency monitor records events of its own event loop
// (fork, AOF fsync, expire cycles), none of which a proxy has; it reports
// none, as Redis does with latency-monitor-threshold 0. Per-command
// latencies are in INFO latencystats.
void latency_command(CommandContext& ctx, const Call& call, Buffer& out) {
  const std::span<const std::string_view> argv = call.argv;
  const std::string_view sub = argv[1];
  if (iequals(sub, "latest") && argv.size() == 2) {
    resp::array_header(out, 0);
  } else if (iequals(sub, "history") && argv.size() == 3) {
    resp::array_header(out, 0);
  } else if (iequals(sub, "reset")) {
    resp::integer(out, 0);
  } else if (iequals(sub, "help") && argv.size() == 2) {
    resp::array_header(out, 4);
    resp::bulk(out, "LATENCY LATEST -- no events: the proxy has none of Redis's latency events");
    resp::bulk(out, "LATENCY HISTORY <event> -- empty, as LATEST");
    resp::bulk(out, "LATENCY RESET [<event> ...] -- 0 (nothing to reset)");
    resp::bulk(out, "LATENCY HELP -- this text; per-command latency is in INFO latencystats");
  } else {
    wrong_subcommand(ctx, out, "LATENCY", sub);
  }
}

}  // namespace

void proxy_slowlog(CommandContext& ctx, const Call& call, Buffer& out) {
  int64_t count = 10;
  if (call.argv.size() > 3 || (call.argv.size() == 3 && !parse_count(call.argv[2], count))) {
    local_error(ctx, out, "ERR usage: PROXY SLOWLOG [count]");
    return;
  }
  write_entries(ctx, out, count, true);
}

void proxy_hotkeys(CommandContext& ctx, const Call& call, Buffer& out) {
  int64_t count = 10;
  if (call.argv.size() > 3 ||
      (call.argv.size() == 3 &&
       (!parse_int64(call.argv[2].data(), call.argv[2].size(), &count) || count < 1))) {
    local_error(ctx, out, "ERR usage: PROXY HOTKEYS [count]");
    return;
  }
  std::vector<HotKeyEntry> keys;
  ctx.proxy.hot_keys(static_cast<size_t>(count), keys);
  resp::array_header(out, static_cast<int64_t>(keys.size()));
  for (const HotKeyEntry& k : keys) {
    resp::array_header(out, 4);
    resp::bulk(out, k.key);
    resp::bulk(out, k.backend);
    resp::integer(out, static_cast<int64_t>(k.requests));
    resp::integer(out, static_cast<int64_t>(k.error));
  }
}

namespace handlers {
constinit const LocalCommand slowlog(&slowlog_command);
constinit const LocalCommand latency(&latency_command);
}  // namespace handlers

}  // namespace ringproxy
