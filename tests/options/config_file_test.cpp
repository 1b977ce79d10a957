// The config file: its syntax, errors that name the file and the line, values
// with units, twemproxy YAML given to --config, and removed options that are
// still accepted with a warning.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parse_args.hpp"
#include "ringproxy/options/option_parser.hpp"
#include "temp_file.hpp"

namespace ringproxy {
namespace {

const std::string kBackend = "backend = 127.0.0.1:7001\n";

// The error of running with a config file holding `text` ("" if none), and
// the file's path for comparing.
struct FileResult {
  std::string path;
  std::string error;
};
FileResult file_error(const std::string& text, const std::string& suffix = ".conf") {
  TempFile f(text, suffix);
  return {f.path(), parse_error({"--config", f.path()})};
}

TEST(ConfigFile, Syntax) {
  const std::vector<ConfigLine> lines = parse_config_text(
      "# comment\n"
      "\n"
      "   # indented comment\n"
      "listen=127.0.0.1:7000\r\n"
      "  hash   =   md5   \n"
      "timeout-ms = 10 # inline comment after a space\n"
      "client-password = ab#cd\n"
      "backend-password = \"  two # spaces \\\" \\\\ \"  # comment\n"
      "hash-tag =\n",
      "t.conf");
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0].name, "listen");
  EXPECT_EQ(lines[0].value, "127.0.0.1:7000");
  EXPECT_EQ(lines[0].line, 4u);
  EXPECT_EQ(lines[1].name, "hash");
  EXPECT_EQ(lines[1].value, "md5");
  EXPECT_EQ(lines[2].value, "10");
  EXPECT_EQ(lines[3].value, "ab#cd");  // a '#' inside a word is part of the value
  EXPECT_EQ(lines[4].value, "  two # spaces \" \\ ");
  EXPECT_EQ(lines[5].value, "");
  EXPECT_EQ(lines[5].line, 9u);
}

TEST(ConfigFile, SyntaxErrorsNameFileAndLine) {
  auto error = [](const std::string& text) {
    try {
      parse_config_text(text, "my.conf");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error("listen = x\n\njust words\n"),
            "my.conf:3: expected `name = value`, got 'just words'");
  EXPECT_EQ(error("[proxy]\n"), "my.conf:1: sections ('[proxy]') are not supported");
  EXPECT_EQ(error("a = 1\n = 2\n"), "my.conf:2: no option name before '='");
  EXPECT_EQ(error("x = \"open\n"), "my.conf:1: unterminated quoted value");
  EXPECT_EQ(error("x = \"a\" b\n"), "my.conf:1: unexpected text after the quoted value: 'b'");
  EXPECT_EQ(error("bad\x01line\n"), "my.conf:1: expected `name = value`, got 'bad\\x01line'");
}

TEST(ConfigFile, OptionErrorsNameFileAndLine) {
  FileResult r = file_error(kBackend + "\nhash = nope\n");
  EXPECT_EQ(r.error.rfind(r.path + ":3: invalid value 'nope' for option 'hash': unknown hash", 0),
            0u)
      << r.error;
  r = file_error(kBackend + "distributon = jump\n");
  EXPECT_EQ(r.error, r.path + ":2: unknown option 'distributon' (did you mean 'distribution'?)");
  r = file_error(kBackend + "--hash = md5\n");
  EXPECT_EQ(r.error, r.path + ":2: unknown option '--hash' (write it without the leading --)");
  r = file_error("hash = md5\n" + kBackend + "hash = crc16\n");
  EXPECT_EQ(r.error, r.path + ":3: option 'hash' given twice (also at " + r.path + ":1)");
  r = file_error(kBackend + "config = other.conf\n");
  EXPECT_EQ(r.error, r.path + ":2: option 'config' can only be given on the command line");
  r = file_error(kBackend + "twemproxy-config = x.yml\n");
  EXPECT_EQ(r.error,
            r.path + ":2: option 'twemproxy-config' can only be given on the command line");
  // A problem found once every source is read still names its line.
  r = file_error(kBackend + "backend = 127.0.0.1:7002\nbackend = 127.0.0.1:7001\n");
  EXPECT_EQ(r.error, r.path +
                         ":3: invalid value '127.0.0.1:7001' for option 'backend': duplicate "
                         "server (same name or host:port)");
  r = file_error("backend = 127.0.0.1:7001:2\ndistribution = jump\n");
  EXPECT_EQ(r.error.rfind(r.path + ":2: invalid value 'jump' for option 'distribution'", 0), 0u)
      << r.error;
  // A password is never echoed, even when it is the problem.
  r = file_error(kBackend + "client-password = one\nclient-password = two\n");
  EXPECT_EQ(r.error.find("one"), std::string::npos);
  EXPECT_EQ(r.error.find("two"), std::string::npos);
}

TEST(ConfigFile, UnitsSayWhichAreAccepted) {
  FileResult r = file_error(kBackend + "timeout-ms = 5s\n");
  EXPECT_EQ(r.error, r.path +
                         ":2: invalid value '5s' for option 'timeout-ms': unit 's' is not accepted "
                         "(units: ms; a plain number is milliseconds)");
  r = file_error(kBackend + "max-bulk-len = 12tb\n");
  EXPECT_EQ(r.error, r.path +
                         ":2: invalid value '12tb' for option 'max-bulk-len': unit 'tb' is not "
                         "accepted (units: b, k, kb, m, mb, g, gb; a plain number is bytes)");
  r = file_error(kBackend + "max-args = 10k\n");
  EXPECT_EQ(r.error, r.path +
                         ":2: invalid value '10k' for option 'max-args': not a number (no unit is "
                         "accepted here)");
  r = file_error(kBackend + "backlog = 70000\n");
  EXPECT_EQ(r.error,
            r.path + ":2: invalid value '70000' for option 'backlog': out of range [1, 65535]");

  TempFile ok(kBackend + "max-bulk-len = 2MB\nquery-buffer-limit = 3g\nmax-inline-len = 100\n" +
                  "timeout-ms = 250ms\n",
              ".conf");
  const Config c = parse_args({"--config", ok.path()}).config;
  EXPECT_EQ(c.max_bulk_len, 2u << 20);
  EXPECT_EQ(c.query_buffer_limit, 3ull << 30);
  EXPECT_EQ(c.max_inline_len, 100u);
  EXPECT_EQ(c.timeout_ms, 250);
}

TEST(ConfigFile, TwemproxyYamlPointsToTwemproxyConfig) {
  const std::string yaml = "alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n";
  const std::string hint = "--twemproxy-config FILE (-c/--config takes `name = value` lines)";
  // By its name, given as nutcracker's -c.
  TempFile named(yaml, ".yml");
  std::string err = parse_error({"-c", named.path()});
  EXPECT_EQ(err.rfind("invalid value '" + named.path() +
                          "' for option '--config': this looks "
                          "like a twemproxy (nutcracker) YAML file",
                      0),
            0u)
      << err;
  EXPECT_NE(err.find(hint), std::string::npos) << err;
  TempFile yaml_ext(yaml, ".yaml");
  EXPECT_NE(parse_error({"--config", yaml_ext.path()}).find(hint), std::string::npos);
  // By its content, whatever its name.
  for (const std::string& text :
       std::vector<std::string>{yaml, "# nutcracker\n\nalpha:\n", "listen: 127.0.0.1:22121\n"}) {
    const FileResult r = file_error(text, ".cfg");
    EXPECT_EQ(r.error.rfind(r.path + ":", 0), 0u) << r.error;
    EXPECT_NE(r.error.find(hint), std::string::npos) << r.error;
  }
}

TEST(ConfigFile, MissingFileAndDirectory) {
  EXPECT_EQ(parse_error({"--config", "/nonexistent/x.conf"}),
            "invalid value '/nonexistent/x.conf' for option '--config': cannot open file");
  EXPECT_EQ(parse_error({"--config", "/tmp"}),
            "invalid value '/tmp' for option '--config': a directory, not a file");
}

// A table with one removed option, the way a real one is marked.
std::vector<OptionSpec> table_with_removed_option() {
  std::vector<OptionSpec> table(option_table().begin(), option_table().end());
  table.push_back({.name = "old-knob",
                   .group = "Network",
                   .codec = removed("N"),
                   .fields = 0,
                   .removed = "measured to make no difference; remove it from your config",
                   .help = "a tuning knob"});
  return table;
}

TEST(ConfigFile, RemovedOptionIsAcceptedWithAWarningAndDoesNothing) {
  const std::vector<OptionSpec> table = table_with_removed_option();
  TempFile f(kBackend + "old-knob = 7\n", ".conf");
  const CommandLine cl = parse_args({"--config", f.path(), "--old-knob", "anything"}, {}, table);
  ASSERT_EQ(cl.warnings.size(), 2u);
  EXPECT_EQ(cl.warnings[0], f.path() +
                                ":2: option 'old-knob' does nothing and will be removed: measured "
                                "to make no difference; remove it from your config");
  EXPECT_EQ(cl.warnings[1],
            "option 'old-knob' does nothing and will be removed: measured to make no difference; "
            "remove it from your config");
  std::vector<std::string_view> changed;
  for (const OptionSpec* spec : changed_options(Config{}, cl.config)) changed.push_back(spec->name);
  EXPECT_EQ(changed, (std::vector<std::string_view>{"config", "backend"}));
  // Not in the docs, and not in CONFIG GET-able values.
  EXPECT_EQ(help_text(table).find("old-knob"), std::string::npos);
  EXPECT_EQ(markdown_table(table).find("old-knob"), std::string::npos);
  EXPECT_EQ(sample_config(table).find("old-knob"), std::string::npos);
  // Without the row, the same file fails.
  EXPECT_NE(parse_error({"--config", f.path()}).find("unknown option 'old-knob'"),
            std::string::npos);
}

// The loop-tuning options were removed (bench/README.md, "Loop scheduling"):
// files and command lines that still give them start, with a warning each.
TEST(ConfigFile, RemovedLoopTuningOptionsStillStart) {
  TempFile f(kBackend + "yield-after-flush = true\ncoalesce-us = 20\ncoalesce-min-clients = 32\n",
             ".conf");
  const CommandLine cl = parse_args({"--config", f.path(), "--busy-poll-us", "20"});
  ASSERT_EQ(cl.warnings.size(), 4u);
  EXPECT_NE(cl.warnings[0].find(":2: option 'yield-after-flush' does nothing"), std::string::npos)
      << cl.warnings[0];
  EXPECT_NE(cl.warnings[1].find(":3: option 'coalesce-us' does nothing"), std::string::npos);
  EXPECT_NE(cl.warnings[2].find(":4: option 'coalesce-min-clients' does nothing"),
            std::string::npos);
  EXPECT_NE(cl.warnings[3].find("option 'busy-poll-us' does nothing"), std::string::npos);
  std::vector<std::string_view> changed;
  for (const OptionSpec* spec : changed_options(Config{}, cl.config)) changed.push_back(spec->name);
  EXPECT_EQ(changed, (std::vector<std::string_view>{"config", "backend"}));
}

}  // namespace
}  // namespace ringproxy
