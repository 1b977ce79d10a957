// The pools of one process: `ringproxy --twemproxy-config FILE` without
// --pool, FILE holding several redis pools, runs each of them (one listener,
// ring, backend set, health checker and counters each) in one process.
//
// Each pool's configuration is exactly what `--pool NAME` added to the same
// command line gives, so the precedence rules are those of a single pool:
// defaults, then the pool's YAML keys, then --config, the environment and the
// command line; an option given on the command line (or in --config)
// therefore applies to every pool and overrides each pool's key for it.
//
// Options that cannot be shared by several pools are refused here:
// --listen (each pool listens on its own `listen` key; two pools on one
// address is refused too) and --etcd (the membership of one pool). Options
// of the process (--stats-port, --metrics-port, --log-file, --pid-file,
// --daemonize, --shutdown-timeout-ms, --log-level) are taken once, from the
// first pool's configuration (every pool has the same values: no YAML key
// sets them).
#pragma once

#include <string>
#include <vector>

#include "ringproxy/options/config.hpp"

namespace ringproxy {

struct PoolCommandLine {
  std::string name;               // the pool's name in the file
  std::vector<std::string> args;  // the process's command line with --pool NAME added
  Config config;
};

// `args` is the process's command line (argv[0] first), `pools` the redis
// pools it runs (CommandLine::pools). Throws ConfigError.
std::vector<PoolCommandLine> pool_command_lines(const std::vector<std::string>& args,
                                                const std::vector<std::string>& pools);

}  // namespace ringproxy
