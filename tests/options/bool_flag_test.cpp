// Boolean options alone on the command line mean true, so nutcracker's
// flags (`-d`) read as they did there; a value still works.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ringproxy/options/config.hpp"

namespace ringproxy {
namespace {

CommandLine parse(std::vector<std::string> args) {
  args.insert(args.begin(), "ringproxy");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

TEST(BoolFlag, AloneMeansTrue) {
  EXPECT_TRUE(parse({"-b", "127.0.0.1:7001", "--daemonize"}).config.daemonize);
  EXPECT_TRUE(parse({"-d", "-b", "127.0.0.1:7001"}).config.daemonize);
  EXPECT_TRUE(
      parse({"--daemonize", "--log-level", "debug", "-b", "127.0.0.1:7001"}).config.daemonize);
  EXPECT_FALSE(parse({"--daemonize", "false", "-b", "127.0.0.1:7001"}).config.daemonize);
  EXPECT_FALSE(parse({"-b", "127.0.0.1:7001"}).config.daemonize);
  EXPECT_FALSE(parse({"--preconnect=false", "-b", "127.0.0.1:7001"}).config.preconnect);
}

TEST(BoolFlag, NutcrackerShortFlags) {
  const CommandLine cl =
      parse({"-d", "-p", "/tmp/x.pid", "-o", "/tmp/x.log", "-t", "-b", "127.0.0.1:7001"});
  EXPECT_TRUE(cl.config.daemonize);
  EXPECT_EQ(cl.config.pid_file, "/tmp/x.pid");
  EXPECT_EQ(cl.config.log_file, "/tmp/x.log");
  EXPECT_TRUE(cl.check_config);
}

}  // namespace
}  // namespace ringproxy
