// Clients ask CONFIG GET on connect (redis-benchmark: save, appendonly) and
// tools ask for limits; a missing name answers an empty array, as Redis does
// for an unknown parameter.
#include "ringproxy/options/config_get.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <functional>

#include "ringproxy/options/option_table.hpp"

namespace ringproxy {

namespace {

constexpr std::string_view kHidden = "(hidden)";

std::string hidden(const std::string& secret) {
  return secret.empty() ? "" : std::string(kHidden);
}

// A Redis parameter: its value, from an option or a fact about the proxy.
struct RedisName {
  std::string_view name;
  std::function<std::string(const Config&)> value;
};

// Redis prints sizes as plain bytes: the option's number in its base unit.
std::function<std::string(const Config&)> from_option(std::string_view option) {
  const OptionSpec* spec = find_option(option_table(), option);
  return [spec](const Config& c) {
    return spec->codec.number ? std::to_string(spec->codec.number(c)) : spec->codec.get(c);
  };
}

std::function<std::string(const Config&)> constant(std::string_view value) {
  return [value](const Config&) { return std::string(value); };
}

const std::vector<RedisName>& redis_names() {
  static const std::vector<RedisName> names = {
      {"save", constant("")},
      {"appendonly", constant("no")},
      {"databases", constant("1")},
      {"maxmemory", constant("0")},
      {"timeout", constant("0")},
      {"maxclients", from_option("max-clients")},
      {"proto-max-bulk-len", from_option("max-bulk-len")},
      {"client-query-buffer-limit", from_option("query-buffer-limit")},
      {"tcp-backlog", from_option("backlog")},
      {"port", [](const Config& c) { return std::to_string(c.listen_port); }},
      {"bind", [](const Config& c) { return c.listen_host; }},
      {"requirepass", [](const Config& c) { return hidden(c.client_password); }},
  };
  return names;
}

std::string option_value(const OptionSpec& spec, const Config& config) {
  std::string v = spec.codec.get(config);
  if (spec.secret) return hidden(v);
  if (spec.repeatable()) {
    for (size_t pos = v.find('\n'); pos != std::string::npos; pos = v.find('\n', pos)) {
      v.replace(pos, 1, ", ");
    }
  }
  return v;
}

bool matches(const std::vector<std::string>& patterns, std::string_view name) {
  const std::string n(name);
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return fnmatch(p.c_str(), n.c_str(), FNM_CASEFOLD) == 0;
  });
}

}  // namespace

std::vector<std::pair<std::string, std::string>> config_get(
    const Config& config, std::span<const std::string_view> patterns) {
  const std::vector<std::string> globs(patterns.begin(), patterns.end());
  std::vector<std::pair<std::string, std::string>> out;
  for (const OptionSpec& spec : option_table()) {
    if (!spec.codec.get || !spec.removed.empty() || !matches(globs, spec.name)) continue;
    out.emplace_back(spec.name, option_value(spec, config));
  }
  for (const RedisName& r : redis_names()) {
    if (matches(globs, r.name)) out.emplace_back(r.name, r.value(config));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> config_get(const Config& config,
                                                            std::string_view pattern) {
  return config_get(config, std::span<const std::string_view>(&pattern, 1));
}

}  // namespace ringproxy
