// ringproxy: options -> config -> proxy -> run.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/app/daemon.hpp"
#include "ringproxy/app/ring_summary.hpp"
#include "ringproxy/cluster/register_agent.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/options/config.hpp"
#include "ringproxy/options/option_parser.hpp"
#include "ringproxy/options/pool_set.hpp"
#include "ringproxy/proxy/proxy.hpp"
#include "ringproxy/proxy/proxy_group.hpp"

int main(int argc, char** argv) {
  using namespace ringproxy;
  std::signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && std::string_view(argv[1]) == "register") return run_register_agent(argc, argv);
  // Kept before secrets are hidden from ps: SIGHUP parses it again.
  std::vector<std::string> args(argv, argv + argc);
  CommandLine cl;
  try {
    cl = parse_command_line(argc, argv);
  } catch (const ConfigError& e) {
    std::cerr << "ringproxy: " << e.what() << "\n";
    return 2;
  }
  // Passwords given as arguments stop showing in ps from here on.
  redact_secrets(argc, argv, option_table());
  if (cl.help) {
    std::cout << help_text();
    return 0;
  }
  if (cl.version) {
    std::cout << "ringproxy " << RINGPROXY_VERSION << "\n";
    return 0;
  }
  if (cl.help_options == "markdown") {
    std::cout << markdown_table(option_table());
    return 0;
  }
  if (cl.help_options == "conf") {
    std::cout << sample_config(option_table());
    return 0;
  }
  // A twemproxy file of several pools: each pool's own configuration.
  std::vector<PoolCommandLine> pools;
  if (cl.pools.size() > 1) {
    try {
      pools = pool_command_lines(args, cl.pools);
    } catch (const std::exception& e) {
      std::cerr << "ringproxy: " << e.what() << "\n";
      return 2;
    }
  }
  if (cl.check_config) {
    try {
      if (pools.empty()) {
        std::cout << resolved_config(cl.config, option_table()) << ring_summary(cl.config);
      }
      for (const PoolCommandLine& p : pools) {
        std::cout << "# pool " << p.name << " (the options of --pool " << p.name << ")\n"
                  << resolved_config(p.config, option_table()) << ring_summary(p.config);
      }
    } catch (const std::exception& e) {
      std::cerr << "ringproxy: " << e.what() << "\n";
      return 2;
    }
    for (const std::string& w : cl.warnings) std::cerr << "ringproxy: warning: " << w << "\n";
    return 0;
  }
  LogLevel level = LogLevel::kInfo;
  parse_log_level(cl.config.log_level, level);
  set_log_level(level);
  Config& config = cl.config;
  // A daemon runs in /: paths are made absolute first.
  config.log_file = absolute_path(config.log_file);
  config.pid_file = absolute_path(config.pid_file);
  for (PoolCommandLine& p : pools) {
    p.config.log_file = config.log_file;
    p.config.pid_file = config.pid_file;
  }
  if (!config.log_file.empty()) {
    if (int rc = open_log_file(config.log_file); rc < 0) {
      std::cerr << "ringproxy: cannot open log file " << config.log_file << ": "
                << std::strerror(-rc) << "\n";
      return 2;
    }
  }
  for (const std::string& w : cl.warnings) log(LogLevel::kWarn, w);
  try {
    DaemonReady ready;
    if (config.daemonize) ready = daemonize();
    PidFile pid_file;  // removed after the proxy is gone
    if (!pools.empty()) {
      ProxyGroup group(std::move(pools));
      group.listen();
      if (!config.pid_file.empty()) pid_file.create(config.pid_file);
      ready.done(config.log_file.empty());
      group.run();
      return 0;
    }
    Proxy proxy(std::move(cl.config));
    proxy.listen();
    const Config& running = proxy.config();
    if (!running.pid_file.empty()) pid_file.create(running.pid_file);
    ready.done(running.log_file.empty());
    proxy.set_command_line(std::move(args));
    proxy.run();
  } catch (const std::exception& e) {
    std::cerr << "ringproxy: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
