// Runs the option parser on an argument list with a given environment (not
// the test process's), and returns its result or its error message.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ringproxy/options/option_parser.hpp"

namespace ringproxy {

using FakeEnvironment = std::map<std::string, std::string, std::less<>>;

inline CommandLine parse_args(std::vector<std::string> args, const FakeEnvironment& env = {},
                              std::span<const OptionSpec> table = option_table()) {
  args.insert(args.begin(), "ringproxy");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  const Environment lookup = [&env](std::string_view name) -> std::optional<std::string> {
    const auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return parse_command_line(static_cast<int>(argv.size()), argv.data(), lookup, table);
}

// The ConfigError message of a failing parse ("" if it did not fail).
inline std::string parse_error(std::vector<std::string> args, const FakeEnvironment& env = {},
                               std::span<const OptionSpec> table = option_table()) {
  try {
    parse_args(std::move(args), env, table);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace ringproxy
