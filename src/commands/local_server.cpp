// Local commands that describe the server: COMMAND (the proxy's command
// table), CONFIG GET (what clients and tools ask for on connect: redis-
// benchmark asks for save and appendonly; the values are the proxy's) and
// TIME.
#include <sys/time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/local.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {

void command_entry(Buffer& out, const CommandInfo& c) {
  resp::array_header(out, 10);
  resp::bulk(out, c.name);
  resp::integer(out, c.arity);
  resp::array_header(out, c.write ? 1 : 0);
  if (c.write) resp::simple(out, "write");
  resp::integer(out, c.first_key);
  resp::integer(out, c.last_key);
  resp::integer(out, c.step);
  for (int i = 0; i < 4; ++i) resp::array_header(out, 0);  // acl, tips, key specs, subcommands
}

void command_getkeys(CommandContext& ctx, std::span<const std::string_view> args, Buffer& out) {
  const CommandInfo* ci = lookup_command(args[0]);
  std::string_view err;
  std::vector<uint32_t>& keys = ctx.key_indexes;
  if (ci == nullptr) {
    local_error(ctx, out, "ERR Invalid command specified");
  } else if (!arity_ok(*ci, args.size())) {
    local_error(ctx, out, "ERR Invalid number of arguments specified for command");
  } else if (!extract_keys(*ci, args, keys, err)) {
    local_error(ctx, out, err);
  } else if (keys.empty()) {
    local_error(ctx, out, "ERR The command has no key arguments");
  } else {
    resp::array_header(out, static_cast<int64_t>(keys.size()));
    for (uint32_t k : keys) resp::bulk(out, args[k]);
  }
}

void command_command(CommandContext& ctx, const Call& call, Buffer& out) {
  const std::span<const std::string_view> argv = call.argv;
  const std::string_view sub = argv.size() > 1 ? argv[1] : std::string_view();
  const std::span<const CommandInfo> all = all_commands();
  if (argv.size() == 1) {
    resp::array_header(out, static_cast<int64_t>(all.size()));
    for (const CommandInfo& ci : all) command_entry(out, ci);
  } else if (iequals(sub, "count")) {
    resp::integer(out, static_cast<int64_t>(all.size()));
  } else if (iequals(sub, "info")) {
    resp::array_header(out, static_cast<int64_t>(argv.size() - 2));
    for (size_t i = 2; i < argv.size(); ++i) {
      const CommandInfo* ci = lookup_command(argv[i]);
      if (ci == nullptr) {
        out.append("*-1\r\n");
      } else {
        command_entry(out, *ci);
      }
    }
  } else if (iequals(sub, "list")) {
    resp::array_header(out, static_cast<int64_t>(all.size()));
    for (const CommandInfo& ci : all) resp::bulk(out, ci.name);
  } else if (iequals(sub, "docs")) {
    // Documentation is not kept; redis-cli falls back to its built-in help.
    resp::array_header(out, 0);
  } else if (iequals(sub, "getkeys") && argv.size() >= 3) {
    command_getkeys(ctx, argv.subspan(2), out);
  } else {
    local_error(ctx, out, "ERR unknown subcommand '" + std::string(sub) + "'. Try COMMAND HELP.");
  }
}

// CONFIG GET pattern...: what the proxy answers for them (its options and the
// Redis parameters clients ask for).
void config_command(CommandContext& ctx, const Call& call, Buffer& out) {
  const std::span<const std::string_view> argv = call.argv;
  if (!iequals(argv[1], "get") || argv.size() < 3) {
    local_error(ctx, out,
                "ERR ringproxy: CONFIG " + lower(argv[1]) +
                    " is not supported through the proxy (only CONFIG GET)");
    return;
  }
  std::vector<std::pair<std::string, std::string>> hits;
  ctx.proxy.config_get(argv.subspan(2), hits);
  resp::array_header(out, static_cast<int64_t>(hits.size() * 2));
  for (const auto& [name, value] : hits) {
    resp::bulk(out, name);
    resp::bulk(out, value);
  }
}

void time_command(CommandContext&, const Call&, Buffer& out) {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  resp::array_header(out, 2);
  resp::bulk(out, std::to_string(tv.tv_sec));
  resp::bulk(out, std::to_string(tv.tv_usec));
}

}  // namespace

namespace handlers {
constinit const LocalCommand command(&command_command);
constinit const LocalCommand config(&config_command);
constinit const LocalCommand time(&time_command);
}  // namespace handlers

}  // namespace ringproxy
