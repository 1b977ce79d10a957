// The option table seen from outside the binary: passwords from the
// environment, a command-line password blanked out of /proc/PID/cmdline,
// start-up errors naming the file and line, nutcracker's -c with a YAML file,
// --check-config and --help-options, and CONFIG GET through the proxy.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

class EnvironmentPassword : public ClusterTest {
 protected:
  size_t backend_count() const override { return 1; }
  void customize_proxy(ProxyOptions& options) const override {
    options.env.push_back("RINGPROXY_CLIENT_PASSWORD=from-env");
  }
};

TEST_F(EnvironmentPassword, ClientsMustAuthWithIt) {
  Client c = proxy_client();
  const Reply r = c.command({"GET", "k"});
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.str.rfind("NOAUTH", 0), 0u) << r.str;
  EXPECT_TRUE(c.command({"AUTH", "wrong"}).is_error());
  EXPECT_EQ(c.command({"AUTH", "from-env"}), Reply::make_status("OK"));
  EXPECT_TRUE(c.command({"GET", "k"}).is_nil());
  EXPECT_EQ(
      c.command({"CONFIG", "GET", "client-password"}),
      Reply::make_array({Reply::make_string("client-password"), Reply::make_string("(hidden)")}));
}

class CommandLinePassword : public ClusterTest {
 protected:
  size_t backend_count() const override { return 1; }
  std::vector<std::string> proxy_args() const override {
    return {"--client-password", "on-the-cmdline"};
  }
};

TEST_F(CommandLinePassword, IsBlankedOutOfCmdlineAndWarnedAbout) {
  const std::string cmdline = read_file("/proc/" + std::to_string(proxy().pid()) + "/cmdline");
  ASSERT_NE(cmdline.find("--client-password"), std::string::npos);
  EXPECT_EQ(cmdline.find("on-the-cmdline"), std::string::npos);
  EXPECT_NE(proxy().log().find("RINGPROXY_CLIENT_PASSWORD"), std::string::npos);
  Client c = proxy_client();
  EXPECT_EQ(c.command({"AUTH", "on-the-cmdline"}), Reply::make_status("OK"));
}

class ProxyConfigGet : public ClusterTest {
 protected:
  size_t backend_count() const override { return 1; }
  std::vector<std::string> proxy_args() const override { return {"--max-bulk-len", "2mb"}; }
};

TEST_F(ProxyConfigGet, OwnAndRedisNames) {
  Client c = proxy_client();
  EXPECT_EQ(
      c.command({"CONFIG", "GET", "max-bulk-len", "proto-max-bulk-len"}),
      Reply::make_array({Reply::make_string("max-bulk-len"), Reply::make_string("2mb"),
                         Reply::make_string("proto-max-bulk-len"), Reply::make_string("2097152")}));
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(OptionsStartup, ErrorsNameFileAndLineAndExit2) {
  TempDir dir("options");
  const std::string bin = proxy_binary();
  const auto conf = dir.path() / "bad.conf";
  write(conf, "backend = 127.0.0.1:7001\n# comment\ntimeout-ms = 5s\n");
  CommandResult r = run_command({bin, "--config", conf.string()});
  EXPECT_EQ(r.exit_code(), 2) << r.describe();
  EXPECT_NE(r.err.find(conf.string() + ":3: invalid value '5s' for option 'timeout-ms'"),
            std::string::npos)
      << r.err;

  // nutcracker's `-c conf.yml`.
  const auto yml = dir.path() / "nutcracker.yml";
  write(yml, "alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n");
  r = run_command({bin, "-c", yml.string()});
  EXPECT_EQ(r.exit_code(), 2) << r.describe();
  EXPECT_NE(r.err.find("--twemproxy-config"), std::string::npos) << r.err;
}

TEST(OptionsStartup, CheckConfigAndHelpOptions) {
  const std::string bin = proxy_binary();
  CommandResult r = run_command({bin, "--check-config", "-b", "127.0.0.1:7001", "--hash-tag", "{}",
                                 "--backend-password", "pw-pw"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.out.find("\nbackend = 127.0.0.1:7001:1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nhash-tag = {}\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n# backend-password: set (hidden)\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("pw-pw"), std::string::npos) << r.out;
  r = run_command({bin, "--check-config"});
  EXPECT_EQ(r.exit_code(), 2) << r.describe();
  EXPECT_NE(r.err.find("no backends"), std::string::npos) << r.err;

  r = run_command({bin, "--help-options=markdown"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(r.out.rfind("| Option | Default | Live | twemproxy | Meaning |\n", 0), 0u) << r.out;
  r = run_command({bin, "--help-options=conf"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(r.out, read_file(source_dir() / "conf/ringproxy.conf"));
}

}  // namespace
}  // namespace ringproxy::testing
