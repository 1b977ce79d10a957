// Passwords: taken from environment variables (so they need not be on a
// command line `ps` shows), in precedence between the config file and the
// command line; a command-line password is warned about and redacted from
// argv (CONFIG GET's hiding is in config_get_test.cpp).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "parse_args.hpp"
#include "ringproxy/options/option_parser.hpp"
#include "temp_file.hpp"

namespace ringproxy {
namespace {

const std::vector<std::string> kBackend = {"--backend", "127.0.0.1:7001"};

std::vector<std::string> with_backend(std::vector<std::string> args) {
  args.insert(args.begin(), kBackend.begin(), kBackend.end());
  return args;
}

TEST(Secrets, EnvironmentVariablesSetThePasswords) {
  const CommandLine cl = parse_args(kBackend, {{"RINGPROXY_CLIENT_PASSWORD", "client-pw"},
                                               {"RINGPROXY_BACKEND_PASSWORD", "backend-pw"}});
  EXPECT_EQ(cl.config.client_password, "client-pw");
  EXPECT_EQ(cl.config.backend_password, "backend-pw");
  EXPECT_TRUE(cl.warnings.empty());
}

TEST(Secrets, PrecedenceFileThenEnvironmentThenCommandLine) {
  TempFile f(
      "backend = 127.0.0.1:7001\nclient-password = from-file\n"
      "backend-password = backend-from-file\n",
      ".conf");
  const FakeEnvironment env = {{"RINGPROXY_CLIENT_PASSWORD", "from-env"}};
  CommandLine cl = parse_args({"--config", f.path()});
  EXPECT_EQ(cl.config.client_password, "from-file");
  cl = parse_args({"--config", f.path()}, env);
  EXPECT_EQ(cl.config.client_password, "from-env");
  EXPECT_EQ(cl.config.backend_password, "backend-from-file");
  cl = parse_args({"--config", f.path(), "--client-password", "from-cli"}, env);
  EXPECT_EQ(cl.config.client_password, "from-cli");
  // An empty variable counts as unset.
  cl = parse_args({"--config", f.path()}, {{"RINGPROXY_CLIENT_PASSWORD", ""}});
  EXPECT_EQ(cl.config.client_password, "from-file");
}

TEST(Secrets, EnvironmentOverridesTwemproxyRedisAuth) {
  TempFile yaml(
      "alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  redis_auth: yaml-pw\n"
      "  servers:\n   - 127.0.0.1:22101:1\n",
      ".yml");
  CommandLine cl = parse_args({"--twemproxy-config", yaml.path()});
  EXPECT_EQ(cl.config.client_password, "yaml-pw");
  EXPECT_EQ(cl.config.backend_password, "yaml-pw");
  cl = parse_args({"--twemproxy-config", yaml.path()}, {{"RINGPROXY_BACKEND_PASSWORD", "env"}});
  EXPECT_EQ(cl.config.client_password, "yaml-pw");
  EXPECT_EQ(cl.config.backend_password, "env");
}

TEST(Secrets, CommandLinePasswordIsWarnedAbout) {
  const CommandLine cl = parse_args(with_backend({"--client-password", "pw"}));
  ASSERT_EQ(cl.warnings.size(), 1u);
  EXPECT_EQ(cl.warnings[0],
            "--client-password on the command line is visible to other users of this host (ps); "
            "give it in the config file or as RINGPROXY_CLIENT_PASSWORD");
  EXPECT_EQ(cl.warnings[0].find("pw "), std::string::npos);
}

TEST(Secrets, RedactSecretsOverwritesThePasswordsInArgv) {
  std::vector<std::string> args = {"ringproxy",     "--client-password",
                                   "s3cret",        "--backend-password=hunter2",
                                   "--client-pass", "abbrev",
                                   "--backend",     "127.0.0.1:7001",
                                   "--hash",        "s3cret"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  redact_secrets(static_cast<int>(argv.size()), argv.data(), option_table());
  EXPECT_STREQ(argv[2], "******");
  EXPECT_STREQ(argv[3], "--backend-password=*******");
  EXPECT_STREQ(argv[5], "******");
  EXPECT_STREQ(argv[7], "127.0.0.1:7001");
  EXPECT_STREQ(argv[9], "s3cret");  // not a password option: left alone
}

}  // namespace
}  // namespace ringproxy
