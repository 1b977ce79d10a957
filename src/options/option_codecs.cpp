// The kinds of option values (numbers with units, booleans, text, switches,
// removed options) and the operations on the whole table.
#include <algorithm>

#include "ringproxy/options/option_table.hpp"

namespace ringproxy {

OptionCodec number_codec(std::string value_name, Unit unit, int64_t min, int64_t max,
                         std::function<void(Config&, int64_t)> store,
                         std::function<int64_t(const Config&)> load) {
  OptionCodec c;
  c.value_name = std::move(value_name);
  c.unit = unit;
  c.min = min;
  c.max = max;
  c.set = [store, unit, min, max](Config& config, std::string_view s) {
    store(config, parse_number(s, unit, min, max));
  };
  c.get = [load, unit](const Config& config) { return format_number(load(config), unit); };
  c.number = load;
  return c;
}

OptionCodec boolean(bool ConfigFields::*field) {
  OptionCodec c;
  c.value_name = "BOOL";
  c.set = [field](Config& config, std::string_view s) { config.*field = parse_bool(s); };
  c.get = [field](const Config& config) { return std::string(config.*field ? "true" : "false"); };
  return c;
}

OptionCodec text(std::string ConfigFields::*field, std::string value_name) {
  OptionCodec c;
  c.value_name = std::move(value_name);
  c.set = [field](Config& config, std::string_view s) { config.*field = std::string(s); };
  c.get = [field](const Config& config) { return config.*field; };
  return c;
}

OptionCodec flag() {
  return OptionCodec{};
}

OptionCodec action(std::string value_name) {
  OptionCodec c;
  c.value_name = std::move(value_name);
  return c;
}

OptionCodec removed(std::string value_name) {
  OptionCodec c;
  c.value_name = std::move(value_name);
  return c;
}

const OptionSpec* find_option(std::span<const OptionSpec> table, std::string_view name) {
  const auto it =
      std::find_if(table.begin(), table.end(), [&](const OptionSpec& s) { return s.name == name; });
  return it == table.end() ? nullptr : &*it;
}

void apply_defaults(std::span<const OptionSpec> table, Config& config) {
  for (const OptionSpec& spec : table) {
    if (spec.codec.set && !spec.default_text.empty()) spec.codec.set(config, spec.default_text);
  }
}

std::vector<const OptionSpec*> changed_options(const Config& before, const Config& after) {
  std::vector<const OptionSpec*> changed;
  for (const OptionSpec& spec : option_table()) {
    if (spec.codec.get && spec.codec.get(before) != spec.codec.get(after)) {
      changed.push_back(&spec);
    }
  }
  return changed;
}

}  // namespace ringproxy
