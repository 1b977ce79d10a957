// The option sources, each read against an option table: the command line,
// the config file (`name = value` lines, errors with file and line), the
// environment; and what is built from the table for people (help, README's
// table, conf/ringproxy.conf, --check-config).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/options/config.hpp"
#include "ringproxy/options/option_table.hpp"

namespace ringproxy {

// A `name = value` line of a config file.
struct ConfigLine {
  std::string name;
  std::string value;
  size_t line = 0;  // 1-based
};

// Splits config file text into its settings: blank lines and lines starting
// with '#' are skipped; `name = value` with spaces around either side; an
// inline comment starts at a '#' after a space; a value in double quotes is
// taken as written (\" and \\ escaped), for leading or trailing spaces or
// " #". Throws ConfigError "PATH:LINE: ..." for a line that is none of these,
// and says to use --twemproxy-config for what looks like twemproxy YAML.
std::vector<ConfigLine> parse_config_text(std::string_view text, std::string_view path);
// Reads the file (refusing .yml/.yaml with the same hint) and parses it.
std::vector<ConfigLine> read_config_file(const std::string& path);

// Looks up an environment variable (std::getenv unless a test gives its own).
using Environment = std::function<std::optional<std::string>(std::string_view name)>;
Environment process_environment();

// parse_command_line (config.hpp) with a given environment and table.
CommandLine parse_command_line(int argc, const char* const* argv, const Environment& env,
                               std::span<const OptionSpec> table);

// Overwrites the values of secret options (passwords) in argv with '*', so
// that `ps` and /proc/PID/cmdline stop showing them once parsing is done.
void redact_secrets(int argc, char** argv, std::span<const OptionSpec> table);

// A cross-option problem of a configuration (no backends, a duplicate
// backend, weights with jump ...). `index` is the value of a repeatable
// option it is about, or npos.
struct ConfigProblem {
  std::string option;  // "" when the message stands alone
  std::string value;
  std::string why;
  size_t index = std::string::npos;
};
std::optional<ConfigProblem> find_problem(const Config& config);

// Texts made from the table.
std::string help_text(std::span<const OptionSpec> table);
std::string markdown_table(std::span<const OptionSpec> table);  // README's option table
std::string sample_config(std::span<const OptionSpec> table);   // conf/ringproxy.conf
// The configuration as a config file would give it, passwords hidden.
std::string resolved_config(const Config& config, std::span<const OptionSpec> table);

}  // namespace ringproxy
