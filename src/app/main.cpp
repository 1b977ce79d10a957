// ringproxy: options -> config -> proxy -> run.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string_view>

#include "ringproxy/cluster/register_agent.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/options/config.hpp"
#include "ringproxy/options/option_parser.hpp"
#include "ringproxy/proxy/proxy.hpp"

int main(int argc, char** argv) {
  using namespace ringproxy;
  std::signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && std::string_view(argv[1]) == "register") return run_register_agent(argc, argv);
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
  if (cl.check_config) {
    std::cout << resolved_config(cl.config, option_table());
    for (const std::string& w : cl.warnings) std::cerr << "ringproxy: warning: " << w << "\n";
    return 0;
  }
  LogLevel level = LogLevel::kInfo;
  parse_log_level(cl.config.log_level, level);
  set_log_level(level);
  for (const std::string& w : cl.warnings) log(LogLevel::kWarn, w);
  try {
    Proxy proxy(std::move(cl.config));
    proxy.run();
  } catch (const std::exception& e) {
    std::cerr << "ringproxy: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
