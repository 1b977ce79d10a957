// Placeholder until the twemproxy YAML loader lands.
#include "ringproxy/config.hpp"

namespace ringproxy {

void load_twemproxy_config(const std::string& path, const std::string&, Config&) {
  throw ConfigError("invalid value '" + path +
                    "' for option '--twemproxy-config': not supported in this build");
}

}  // namespace ringproxy
