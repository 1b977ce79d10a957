// See pool_set.hpp.
#include "ringproxy/options/pool_set.hpp"

#include "ringproxy/options/option_values.hpp"

namespace ringproxy {

namespace {

std::string address(const Config& c) {
  return c.listen_host + ":" + std::to_string(c.listen_port);
}

}  // namespace

std::vector<PoolCommandLine> pool_command_lines(const std::vector<std::string>& args,
                                                const std::vector<std::string>& pools) {
  std::vector<PoolCommandLine> out;
  for (const std::string& name : pools) {
    PoolCommandLine& p = out.emplace_back();
    p.name = name;
    p.args = args;
    p.args.push_back("--pool");
    p.args.push_back(name);
    p.config = parse_command_line(p.args).config;
    const Config& c = p.config;
    if (!c.etcd.empty()) {
      throw ConfigError("option '--etcd' names the membership of one pool: run each pool of " +
                        printable(c.twemproxy_config) +
                        " in its own process (--pool NAME) to use etcd");
    }
    // The pool's own listen key, to tell it from --listen given elsewhere.
    Config own;
    load_twemproxy_config(c.twemproxy_config, name, own);
    if (own.listen_host != c.listen_host || own.listen_port != c.listen_port) {
      throw ConfigError("option '--listen' cannot be given with " + printable(c.twemproxy_config) +
                        ", a file of several pools: each pool listens on its own 'listen' key "
                        "(pool " +
                        printable(name) + " has " + printable(address(own)) +
                        "); give --pool NAME to run one pool on another address");
    }
    for (size_t i = 0; i + 1 < out.size(); ++i) {
      if (out[i].config.listen_host == c.listen_host &&
          out[i].config.listen_port == c.listen_port) {
        throw ConfigError("invalid value '" + printable(c.twemproxy_config) +
                          "' for option '--twemproxy-config': pools " + printable(out[i].name) +
                          " and " + printable(name) + " both listen on " + printable(address(c)));
      }
    }
  }
  return out;
}

}  // namespace ringproxy
