// The errors Redis gives for a command it cannot run as sent (wrong arity, an
// unknown name), word for word, since clients and tests match on them. See
// command_table.hpp.
#include <algorithm>
#include <string>

#include "ringproxy/commands/command_table.hpp"

namespace ringproxy {

std::string wrong_arity_error(const CommandInfo& cmd) {
  return "ERR wrong number of arguments for '" + std::string(cmd.name) + "' command";
}

// Redis's text (processCommand): the name cut at 128 bytes, then the quoted
// arguments while the list is under 128 bytes, each cut to fit; printf's %s
// semantics, so a NUL byte ends a name or an argument.
std::string unknown_command_error(std::span<const std::string_view> argv) {
  auto cut = [](std::string_view s, size_t max) {
    return s.substr(0, std::min(max, s.find('\0')));
  };
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
    const size_t room = 128 - args.size();
    args.append("'").append(cut(argv[i], room)).append("' ");
  }
  std::string msg = "ERR unknown command '";
  msg.append(cut(argv[0], 128)).append("', with args beginning with: ").append(args);
  return msg;
}

}  // namespace ringproxy
