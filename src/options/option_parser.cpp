// Reads the options from every source against the option table, in order of
// precedence (lowest first): defaults, the twemproxy pool (--twemproxy-config),
// the config file (--config), the environment, the command line. Each error is
// one line naming the option, the value (never a password's) and where it was
// given: "FILE:LINE: ..." for the config file.
#include "ringproxy/options/option_parser.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

namespace ringproxy {

namespace {

enum class From : uint8_t { kCommandLine, kFile, kEnvironment };

// One option as given somewhere.
struct Setting {
  const OptionSpec* spec;
  std::string value;
  From from;
  std::string where;  // "FILE:LINE" or the environment variable's name
};

std::string shown(const OptionSpec& spec, std::string_view value) {
  return spec.secret ? std::string("(hidden)") : printable(value);
}

std::string invalid_value(const OptionSpec& spec, From from, std::string_view where,
                          std::string_view value, std::string_view why) {
  const std::string v = "invalid value '" + shown(spec, value) + "'";
  const std::string name(spec.name);
  switch (from) {
    case From::kFile:
      return std::string(where) + ": " + v + " for option '" + name + "': " + std::string(why);
    case From::kEnvironment:
      return v + " in environment variable " + std::string(where) + " (option '" + name +
             "'): " + std::string(why);
    case From::kCommandLine:
      break;
  }
  return v + " for option '--" + name + "': " + std::string(why);
}

// The closest option name, for "did you mean" (a typo of two letters at most).
std::string suggestion(std::span<const OptionSpec> table, std::string_view name,
                       std::string_view prefix) {
  const OptionSpec* best = nullptr;
  size_t best_distance = 3;
  for (const OptionSpec& spec : table) {
    const size_t d = edit_distance(name, spec.name);
    if (d < best_distance) {
      best = &spec;
      best_distance = d;
    }
  }
  if (!best) return "";
  return " (did you mean '" + std::string(prefix) + std::string(best->name) + "'?)";
}

// The option `--name` stands for: exact, else the one option it is a prefix
// of (getopt_long and Boost both accept unambiguous abbreviations).
const OptionSpec& long_option(std::span<const OptionSpec> table, std::string_view name) {
  if (const OptionSpec* exact = find_option(table, name)) return *exact;
  std::vector<const OptionSpec*> hits;
  for (const OptionSpec& spec : table) {
    if (!name.empty() && spec.name.starts_with(name)) hits.push_back(&spec);
  }
  if (hits.size() == 1) return *hits.front();
  if (hits.empty()) {
    throw ConfigError("unknown option '--" + printable(name) + "'" + suggestion(table, name, "--"));
  }
  std::string names;
  for (const OptionSpec* s : hits)
    names.append(names.empty() ? "" : ", ").append("--").append(s->name);
  throw ConfigError("option '--" + printable(name) + "' is ambiguous: " + names);
}

// Walks argv: `--name value`, `--name=value`, `-x value`, `-xvalue`, switches
// without a value. `visit(spec, value, index)` gets a view into argv.
template <typename Visit>
void walk_argv(int argc, const char* const* argv, std::span<const OptionSpec> table,
               Visit&& visit) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const OptionSpec* spec = nullptr;
    std::optional<std::string_view> value;
    std::string spelled;
    if (arg.starts_with("--") && arg.size() > 2) {
      std::string_view name = arg.substr(2);
      const size_t eq = name.find('=');
      if (eq != std::string_view::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      spec = &long_option(table, name);
      spelled = "--" + std::string(spec->name);
    } else if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
      const auto it = std::find_if(table.begin(), table.end(),
                                   [&](const OptionSpec& s) { return s.short_name == arg[1]; });
      if (it == table.end()) throw ConfigError("unknown option '" + printable(arg) + "'");
      spec = &*it;
      spelled = "-" + std::string(1, arg[1]);
      if (arg.size() > 2) {
        if (!spec->takes_value()) throw ConfigError("unknown option '" + printable(arg) + "'");
        value = arg.substr(2);
      }
    } else {
      throw ConfigError("unexpected argument '" + printable(arg) +
                        "' (options start with --; see --help)");
    }
    if (!spec->takes_value()) {
      if (value) throw ConfigError("option '" + spelled + "' takes no value");
    } else if (!value) {
      // A boolean alone on the command line means true (`--daemonize`, `-d`,
      // as nutcracker's flags are written).
      const bool next_is_option = i + 1 < argc && argv[i + 1][0] == '-' && argv[i + 1][1] != 0;
      if (spec->codec.value_name == "BOOL" && (i + 1 >= argc || next_is_option)) {
        visit(*spec, "true", i);
        continue;
      }
      if (i + 1 >= argc) {
        throw ConfigError("option '" + spelled + "' needs a value (" + spec->codec.value_name +
                          ")");
      }
      value = std::string_view(argv[++i]);
    }
    visit(*spec, value.value_or(std::string_view()), i);
  }
}

// Applies settings source by source and remembers where each value came from,
// so that a problem found after all sources are read can still name its line.
class Applier {
 public:
  Applier(Config& config, std::vector<std::string>& warnings)
      : config_(config), warnings_(warnings) {}

  // Settings of one source, in order. A non-repeatable option given twice in
  // one source is an error; a repeatable one given in this source replaces
  // what earlier sources gave.
  void apply_source(const std::vector<Setting>& settings) {
    std::map<std::string_view, const Setting*> seen;
    for (const Setting& s : settings) {
      const OptionSpec& spec = *s.spec;
      const auto [it, first] = seen.emplace(spec.name, &s);
      if (!first && !spec.repeatable()) throw twice(spec, *it->second, s);
      if (!spec.removed.empty()) {
        warnings_.push_back(place(s) + "option '" + std::string(spec.name) +
                            "' does nothing and will be removed: " + std::string(spec.removed));
        continue;
      }
      if (!spec.codec.set) continue;
      if (spec.repeatable() && first) {
        spec.codec.clear(config_);
        origins_[spec.name].clear();
      }
      try {
        spec.codec.set(config_, s.value);
      } catch (const OptionValueError& e) {
        throw ConfigError(invalid_value(spec, s.from, s.where, s.value, e.what()));
      }
      auto& origins = origins_[spec.name];
      if (!spec.repeatable()) origins.clear();
      origins.push_back(&s);
    }
  }

  // The problem's message, placed where its option was given.
  std::string describe(const ConfigProblem& p, std::span<const OptionSpec> table) const {
    const OptionSpec* spec = find_option(table, p.option);
    if (!spec) return p.why;
    const Setting* origin = nullptr;
    const auto it = origins_.find(spec->name);
    if (it != origins_.end() && !it->second.empty()) {
      origin = p.index < it->second.size() ? it->second[p.index] : it->second.back();
    }
    if (!origin || origin->from == From::kCommandLine) {
      return invalid_value(*spec, From::kCommandLine, "", p.value, p.why);
    }
    return invalid_value(*spec, origin->from, origin->where, p.value, p.why);
  }

 private:
  static std::string place(const Setting& s) {
    if (s.from == From::kFile) return s.where + ": ";
    if (s.from == From::kEnvironment) return "environment variable " + s.where + ": ";
    return "";
  }

  static ConfigError twice(const OptionSpec& spec, const Setting& first, const Setting& again) {
    if (again.from == From::kFile) {
      return ConfigError(again.where + ": option '" + std::string(spec.name) +
                         "' given twice (also at " + first.where + ")");
    }
    return ConfigError("option '--" + std::string(spec.name) + "' given twice");
  }

  Config& config_;
  std::vector<std::string>& warnings_;
  // Settings outlive the applier (the caller keeps every source's vector).
  std::map<std::string_view, std::vector<const Setting*>> origins_;
};

std::vector<Setting> file_settings(std::vector<ConfigLine> lines, const std::string& path,
                                   std::span<const OptionSpec> table) {
  std::vector<Setting> out;
  for (ConfigLine& line : lines) {
    const std::string where = path + ":" + std::to_string(line.line);
    const OptionSpec* spec = find_option(table, line.name);
    if (!spec) {
      std::string name = line.name;
      std::string hint = suggestion(table, name, "");
      if (name.starts_with("--") && find_option(table, name.substr(2))) {
        hint = " (write it without the leading --)";
      }
      throw ConfigError(where + ": unknown option '" + printable(name) + "'" + hint);
    }
    if (!(spec->sources & kConfigFile)) {
      throw ConfigError(where + ": option '" + std::string(spec->name) +
                        "' can only be given on the command line");
    }
    out.push_back({spec, std::move(line.value), From::kFile, where});
  }
  return out;
}

std::vector<Setting> environment_settings(const Environment& env,
                                          std::span<const OptionSpec> table) {
  std::vector<Setting> out;
  for (const OptionSpec& spec : table) {
    if (spec.env.empty()) continue;
    std::optional<std::string> value = env(spec.env);
    // An empty variable counts as unset, as shells make it easy to export one.
    if (value && !value->empty()) {
      out.push_back({&spec, std::move(*value), From::kEnvironment, std::string(spec.env)});
    }
  }
  return out;
}

// The redis pools of a twemproxy file of several pools (each memcached pool
// skipped with a warning); empty for a file of one pool, which the loader
// maps or refuses as before.
std::vector<std::string> redis_pools(const std::string& path, std::vector<std::string>& warnings) {
  const std::vector<TwemproxyPool> pools = list_twemproxy_pools(path);
  std::vector<std::string> names;
  if (pools.size() < 2) return names;
  std::string all;
  for (const TwemproxyPool& p : pools) {
    all.append(all.empty() ? "" : ", ").append(printable(p.name));
    if (p.redis) {
      names.push_back(p.name);
    } else {
      warnings.push_back("pool " + printable(p.name) + " of " + printable(path) +
                         " is a memcached pool (no 'redis: true'): skipped; ringproxy speaks "
                         "only Redis");
    }
  }
  if (names.empty()) {
    throw ConfigError("invalid value '" + printable(path) +
                      "' for option '--twemproxy-config': no redis pool among its " +
                      std::to_string(pools.size()) + " pools (" + all +
                      "); ringproxy speaks only Redis: add 'redis: true' to a pool");
  }
  return names;
}

}  // namespace

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

CommandLine parse_command_line(int argc, const char* const* argv, const Environment& env,
                               std::span<const OptionSpec> table) {
  CommandLine result;
  std::vector<Setting> cli;
  walk_argv(argc, argv, table, [&](const OptionSpec& spec, std::string_view value, int) {
    cli.push_back({&spec, std::string(value), From::kCommandLine, ""});
  });
  auto given = [&](std::string_view name) {
    return std::find_if(cli.begin(), cli.end(),
                        [&](const Setting& s) { return s.spec->name == name; });
  };
  if (given("help") != cli.end()) {
    result.help = true;
    return result;
  }
  if (given("version") != cli.end()) {
    result.version = true;
    return result;
  }
  if (auto it = given("help-options"); it != cli.end()) {
    if (it->value != "markdown" && it->value != "conf") {
      throw ConfigError(
          invalid_value(*it->spec, From::kCommandLine, "", it->value, "expected markdown or conf"));
    }
    result.help_options = it->value;
    return result;
  }
  result.check_config = given("check-config") != cli.end();

  Config& config = result.config;
  Applier applier(config, result.warnings);
  // The file options go first: they name the sources read below.
  std::vector<Setting> files;
  std::vector<Setting> rest;
  for (Setting& s : cli) {
    const std::string_view n = s.spec->name;
    const bool file_option = n == "config" || n == "twemproxy-config" || n == "pool";
    (file_option ? files : rest).push_back(std::move(s));
  }
  applier.apply_source(files);
  if (!config.twemproxy_config.empty()) {
    std::string pool = config.twemproxy_pool;
    if (pool.empty()) {
      result.pools = redis_pools(config.twemproxy_config, result.warnings);
      if (!result.pools.empty()) pool = result.pools.front();
    }
    load_twemproxy_config(config.twemproxy_config, pool, config);
  } else if (!config.twemproxy_pool.empty()) {
    throw ConfigError("option '--pool' needs '--twemproxy-config'");
  }
  std::vector<Setting> file;
  if (!config.config_file.empty()) {
    file = file_settings(read_config_file(config.config_file), config.config_file, table);
  }
  applier.apply_source(file);
  const std::vector<Setting> environment = environment_settings(env, table);
  applier.apply_source(environment);
  applier.apply_source(rest);

  for (const Setting& s : rest) {
    if (s.spec->secret && !s.spec->env.empty()) {
      result.warnings.push_back("--" + std::string(s.spec->name) +
                                " on the command line is visible to other users of this host "
                                "(ps); give it in the config file or as " +
                                std::string(s.spec->env));
    }
  }
  if (const auto problem = find_problem(config)) {
    throw ConfigError(applier.describe(*problem, table));
  }
  return result;
}

CommandLine parse_command_line(int argc, const char* const* argv) {
  return parse_command_line(argc, argv, process_environment(), option_table());
}

CommandLine parse_command_line(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

void apply_config_text(const std::string& text, const std::string& source, Config& config) {
  std::vector<std::string> warnings;
  Applier applier(config, warnings);
  const std::vector<Setting> settings =
      file_settings(parse_config_text(text, source), source, option_table());
  applier.apply_source(settings);
}

void redact_secrets(int argc, char** argv, std::span<const OptionSpec> table) {
  try {
    walk_argv(argc, argv, table, [](const OptionSpec& spec, std::string_view value, int) {
      // argv's strings are the program's to modify (C11 5.1.2.2.1).
      if (spec.secret) std::memset(const_cast<char*>(value.data()), '*', value.size());
    });
  } catch (const ConfigError&) {
    // Nothing to redact in a command line that does not parse: it was refused.
  }
}

std::string help_text() {
  return help_text(option_table());
}

}  // namespace ringproxy
