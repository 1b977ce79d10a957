// Option parsing: defaults, every source, the command line's syntax, and
// one-line errors that name the option and the value.
#include "ringproxy/options/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "parse_args.hpp"
#include "temp_file.hpp"

namespace ringproxy {
namespace {

CommandLine parse(std::vector<std::string> args) {
  return parse_args(std::move(args));
}

// The error message of a failing parse ("" if it did not fail).
std::string error_of(std::vector<std::string> args) {
  return parse_error(std::move(args));
}

TEST(Config, Defaults) {
  CommandLine cl = parse({"--backend", "127.0.0.1:6379"});
  const Config& c = cl.config;
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 6380);
  ASSERT_EQ(c.backends.size(), 1u);
  EXPECT_EQ(c.backends[0].weight, 1u);
  EXPECT_EQ(c.hash, HashKind::kMurmur);
  EXPECT_EQ(c.distribution, DistributionKind::kKetama);
  EXPECT_EQ(c.failure_limit, 3);
  EXPECT_EQ(c.rise, 2);
  EXPECT_EQ(c.health_interval_ms, 1000);
  EXPECT_EQ(c.on_unavailable, OnUnavailable::kMiss);
  EXPECT_EQ(c.rejoin, RejoinPolicy::kFlush);
}

TEST(Config, CommandLineValues) {
  CommandLine cl = parse({"--listen",
                          "0.0.0.0:7000",
                          "--backend",
                          "10.0.0.1:6379:2 alpha",
                          "--backend",
                          "10.0.0.2:6379",
                          "--hash",
                          "fnv1a_64",
                          "--hash-tag",
                          "{}",
                          "--distribution",
                          "modula",
                          "--max-bulk-len",
                          "2mb",
                          "--timeout-ms",
                          "0",
                          "--on-unavailable",
                          "error",
                          "--rejoin",
                          "keep",
                          "--output-buffer-pool",
                          "0"});
  const Config& c = cl.config;
  EXPECT_EQ(c.listen_host, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 7000);
  ASSERT_EQ(c.backends.size(), 2u);
  EXPECT_EQ(c.backends[0].weight, 2u);
  EXPECT_EQ(c.backends[0].name, "alpha");
  EXPECT_EQ(c.hash, HashKind::kFnv1a_64);
  EXPECT_EQ(c.hash_tag, "{}");
  EXPECT_EQ(c.distribution, DistributionKind::kModula);
  EXPECT_EQ(c.max_bulk_len, 2u * 1024 * 1024);
  EXPECT_EQ(c.timeout_ms, 0);
  EXPECT_EQ(c.on_unavailable, OnUnavailable::kError);
  EXPECT_EQ(c.rejoin, RejoinPolicy::kKeep);
  EXPECT_EQ(c.output_buffer_pool, 0u);
}

TEST(Config, IPv6Listen) {
  CommandLine cl = parse({"--listen", "[::1]:7001", "--backend", "127.0.0.1:6379"});
  EXPECT_EQ(cl.config.listen_host, "::1");
  EXPECT_EQ(cl.config.listen_port, 7001);
}

TEST(Config, ConfigFileAndCommandLineWins) {
  TempFile f(
      "# comment\n"
      "listen = 127.0.0.1:7100\n"
      "backend = 127.0.0.1:7001:1\n"
      "backend = 127.0.0.1:7002:1\n"
      "hash = md5\n"
      "hash-tag = {}\n",
      ".conf");
  CommandLine cl = parse({"--config", f.path(), "--hash", "crc32a"});
  EXPECT_EQ(cl.config.listen_port, 7100);
  EXPECT_EQ(cl.config.backends.size(), 2u);
  EXPECT_EQ(cl.config.hash, HashKind::kCrc32a);  // the command line wins
  EXPECT_EQ(cl.config.hash_tag, "{}");
}

TEST(Config, HelpAndVersion) {
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_TRUE(parse({"--version"}).version);
  EXPECT_NE(help_text().find("--backend"), std::string::npos);
}

// A command line carried over from nutcracker keeps its meaning: -V is the
// version, -v N the log level on nutcracker's 0-11 scale.
TEST(Config, NutcrackerVersionAndVerbosityFlags) {
  EXPECT_TRUE(parse({"-V"}).version);
  EXPECT_EQ(parse({"-b", "127.0.0.1:6379", "-v", "5"}).config.log_level, "info");
  EXPECT_EQ(parse({"-b", "127.0.0.1:6379", "-v", "6"}).config.log_level, "info");
  EXPECT_EQ(parse({"-b", "127.0.0.1:6379", "-v", "7"}).config.log_level, "debug");
  EXPECT_EQ(parse({"-b", "127.0.0.1:6379", "-v", "11"}).config.log_level, "debug");
  EXPECT_EQ(parse({"-b", "127.0.0.1:6379", "-v", "4"}).config.log_level, "warn");
  EXPECT_EQ(parse({"-b", "127.0.0.1:6379", "-v", "0"}).config.log_level, "error");
  EXPECT_EQ(parse({"-b", "127.0.0.1:6379", "-v", "warn"}).config.log_level, "warn");
  EXPECT_NE(error_of({"-b", "127.0.0.1:6379", "-v", "12"}).find("0 to 11"), std::string::npos);
  EXPECT_NE(error_of({"-b", "127.0.0.1:6379", "-v", "-1"}), "");
  EXPECT_NE(error_of({"-b", "127.0.0.1:6379", "-v", "007"}), "");
}

TEST(Config, ErrorsNameOptionAndValue) {
  struct Case {
    std::vector<std::string> args;
    std::string must_contain;
  };
  const std::vector<Case> cases = {
      {{"--backend", "127.0.0.1:6379", "--hash", "sha1"}, "'sha1' for option '--hash'"},
      {{"--backend", "127.0.0.1:6379", "--hash-tag", "{"}, "'{' for option '--hash-tag'"},
      {{"--backend", "127.0.0.1:6379", "--distribution", "x"}, "'x' for option '--distribution'"},
      {{"--backend", "127.0.0.1:6379", "--listen", "nowhere"}, "'nowhere' for option '--listen'"},
      {{"--backend", "127.0.0.1:6379", "--listen", "h:70000"},
       "'h:70000' for option '--listen': port '70000': out of range [1, 65535]"},
      {{"--backend", "127.0.0.1"}, "'127.0.0.1' for option '--backend'"},
      {{"--backend", "127.0.0.1:6379:0"}, "for option '--backend'"},
      {{"--backend", "127.0.0.1:6379", "--timeout-ms", "-5"}, "'-5' for option '--timeout-ms'"},
      {{"--backend", "127.0.0.1:6379", "--max-bulk-len", "lots"}, "for option '--max-bulk-len'"},
      {{"--backend", "127.0.0.1:6379", "--failure-limit", "0"}, "'0' for option '--failure-limit'"},
      {{"--backend", "127.0.0.1:6379", "--on-unavailable", "maybe"}, "option '--on-unavailable'"},
      {{"--backend", "127.0.0.1:6379", "--rejoin", "x"}, "option '--rejoin'"},
      {{"--backend", "127.0.0.1:6379", "--preconnect", "perhaps"}, "option '--preconnect'"},
      {{"--backend", "127.0.0.1:6379", "--log-level", "loud"}, "option '--log-level'"},
      {{"--backend", "127.0.0.1:6379", "--backend", "127.0.0.1:6379"}, "duplicate"},
      {{"--no-such-option"}, "no-such-option"},
      {{}, "no backends"},
      {{"--backend", "127.0.0.1:6379", "--config", "/nonexistent/file.conf"},
       "'/nonexistent/file.conf' for option '--config'"},
      {{"--backend", "127.0.0.1:6379", "--pool", "alpha"}, "--pool"},
      {{"--backend", "127.0.0.1:6379", "--config", ""},
       "invalid value '' for option '--config': empty file name"},
  };
  for (const Case& c : cases) {
    std::string err = error_of(c.args);
    EXPECT_NE(err.find(c.must_contain), std::string::npos)
        << "args[0]=" << (c.args.empty() ? "" : c.args[0]) << " error: '" << err << "'";
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

TEST(Config, BadConfigFile) {
  TempFile f("backend = 127.0.0.1:7001\nbogus = 1\n", ".conf");
  EXPECT_EQ(error_of({"--config", f.path()}), f.path() + ":2: unknown option 'bogus'");
  TempFile g("backend = 127.0.0.1:7001\nhash = nope\n", ".conf");
  const std::string err = error_of({"--config", g.path()});
  EXPECT_EQ(err.rfind(g.path() + ":2: invalid value 'nope' for option 'hash': unknown hash", 0), 0u)
      << err;
}

TEST(Config, CommandLineSyntax) {
  const std::string b = "127.0.0.1:6379";
  // --name=value, short options with the value attached or next.
  EXPECT_EQ(parse({"--backend=" + b, "--timeout-ms=7"}).config.timeout_ms, 7);
  EXPECT_EQ(parse({"-b", b, "-l127.0.0.1:7001"}).config.listen_port, 7001);
  EXPECT_EQ(parse({"-b" + b, "-l", "127.0.0.1:7002"}).config.listen_port, 7002);
  // Unambiguous abbreviations, as getopt_long and Boost accept them.
  EXPECT_EQ(parse({"--backend", b, "--distrib", "jump"}).config.distribution,
            DistributionKind::kJump);
  EXPECT_EQ(parse({"--backend", b, "--timeout-ms", "5ms"}).config.timeout_ms, 5);

  EXPECT_EQ(error_of({"--backend", b, "--co", "x"}).rfind("option '--co' is ambiguous: ", 0), 0u);
  EXPECT_EQ(error_of({"--backend", b, "--hash"}), "option '--hash' needs a value (NAME)");
  EXPECT_EQ(error_of({"--help=yes"}), "option '--help' takes no value");
  EXPECT_EQ(error_of({"--backend", b, "stray"}),
            "unexpected argument 'stray' (options start with --; see --help)");
  EXPECT_EQ(error_of({"--backend", b, "-x"}), "unknown option '-x'");
  EXPECT_EQ(error_of({"--backend", b, "--distributon", "jump"}),
            "unknown option '--distributon' (did you mean '--distribution'?)");
  EXPECT_EQ(error_of({"--backend", b, "--hash", "md5", "--hash", "crc16"}),
            "option '--hash' given twice");
  EXPECT_EQ(error_of({"--help-options", "html"}),
            "invalid value 'html' for option '--help-options': expected markdown or conf");
  EXPECT_EQ(parse({"--help-options=markdown"}).help_options, "markdown");
  EXPECT_TRUE(parse({"--backend", b, "--check-config"}).check_config);
}

TEST(Config, BackendsFromOneSourceReplaceThoseOfAnEarlierOne) {
  TempFile f("backend = 127.0.0.1:7001\nbackend = 127.0.0.1:7002\n", ".conf");
  EXPECT_EQ(parse({"--config", f.path()}).config.backends.size(), 2u);
  const CommandLine cl = parse({"--config", f.path(), "-b", "127.0.0.1:7009"});
  ASSERT_EQ(cl.config.backends.size(), 1u);
  EXPECT_EQ(cl.config.backends[0].port, 7009);
}

// apply_config_text() is what --config FILE does with the file's text (and what
// the config fuzz target calls): options are applied, nothing is validated.
TEST(Config, ConfigText) {
  Config c;
  apply_config_text(
      "# comment\nlisten = 127.0.0.1:7100\nbackend = 127.0.0.1:7001:2 a\n"
      "backend = 127.0.0.1:7002\nhash-tag = {}\nmax-bulk-len = 2kb\n",
      "mem.conf", c);
  EXPECT_EQ(c.listen_port, 7100);
  ASSERT_EQ(c.backends.size(), 2u);
  EXPECT_EQ(c.backends[0].weight, 2u);
  EXPECT_EQ(c.hash_tag, "{}");
  EXPECT_EQ(c.max_bulk_len, 2048u);

  Config empty;
  apply_config_text("", "empty.conf", empty);
  EXPECT_TRUE(empty.backends.empty());
  for (const std::string& bad : {std::string("bogus = 1\n"), std::string("config = x.conf\n"),
                                 std::string("max-args = -1\n"), std::string("[section\n"),
                                 std::string("=\n"), std::string("backend = \n")}) {
    Config d;
    try {
      apply_config_text(bad, "mem.conf", d);
      ADD_FAILURE() << "no error for " << ::testing::PrintToString(bad);
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
}

TEST(Config, ShippedConfigFilesParse) {
  const std::string dir = std::string(RINGPROXY_SOURCE_DIR) + "/conf/";
  CommandLine full = parse({"--config", dir + "ringproxy.conf"});
  EXPECT_EQ(full.config.backends.size(), 3u);
  EXPECT_EQ(full.config.backends[0].name, "cache-a");
  // Every value in the commented example is the default.
  Config defaults;
  EXPECT_EQ(full.config.hash_tag, defaults.hash_tag);
  EXPECT_EQ(full.config.max_bulk_len, defaults.max_bulk_len);
  EXPECT_EQ(full.config.query_buffer_limit, defaults.query_buffer_limit);
  EXPECT_EQ(full.config.client_output_limit, defaults.client_output_limit);
  EXPECT_EQ(full.config.max_inline_len, defaults.max_inline_len);
  EXPECT_EQ(full.config.timeout_ms, defaults.timeout_ms);
  EXPECT_EQ(full.config.failover_key_log, defaults.failover_key_log);
  EXPECT_EQ(full.config.output_buffer_pool, defaults.output_buffer_pool);
  CommandLine demo = parse({"--config", dir + "demo.conf"});
  EXPECT_EQ(demo.config.backends.size(), 3u);
  CommandLine twem = parse({"--twemproxy-config", dir + "nutcracker.yml"});
  EXPECT_EQ(twem.config.hash, HashKind::kFnv1a_64);
}

}  // namespace
}  // namespace ringproxy

namespace ringproxy {
namespace {

// Issue 15, defect 6: the hard output limit closes a client; by default it is
// the backpressure threshold plus one reply of the largest value.
TEST(Config, ClientOutputHardLimit) {
  Config defaults = parse({"--backend", "127.0.0.1:6379"}).config;
  EXPECT_EQ(effective_output_hard_limit(defaults), 768ull * 1024 * 1024);
  Config derived = parse({"--backend", "127.0.0.1:6379", "--client-output-limit", "10mb",
                          "--max-bulk-len", "1mb"})
                       .config;
  EXPECT_EQ(effective_output_hard_limit(derived), 11ull * 1024 * 1024);
  Config given =
      parse({"--backend", "127.0.0.1:6379", "--client-output-hard-limit", "300mb"}).config;
  EXPECT_EQ(effective_output_hard_limit(given), 300ull * 1024 * 1024);
  EXPECT_NE(error_of({"--backend", "127.0.0.1:6379", "--client-output-hard-limit", "1mb"})
                .find("at least --client-output-limit"),
            std::string::npos);
}

}  // namespace
}  // namespace ringproxy
