// The option table is complete and consistent: every Config field has exactly
// one option, every option sets only its own value, defaults are written the
// way the option prints them, and the docs made from the table (--help,
// README's option table, conf/ringproxy.conf) are the ones in the repository.
#include "ringproxy/options/option_table.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "parse_args.hpp"
#include "ringproxy/options/option_parser.hpp"
#include "temp_file.hpp"

namespace ringproxy {
namespace {

// Counts an aggregate's fields: the most initializers `T{...}` accepts from a
// value that converts to anything.
struct AnyField {
  template <typename T>
  operator T() const;  // only named in unevaluated contexts
};

template <typename T, size_t... I>
constexpr bool brace_constructible(std::index_sequence<I...>) {
  return requires {
    T{(static_cast<void>(I), AnyField{})...};
  };
}

template <typename T, size_t N = 0>
constexpr size_t field_count() {
  if constexpr (brace_constructible<T>(std::make_index_sequence<N + 1>())) {
    return field_count<T, N + 1>();
  } else {
    return N;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// A non-default value for every option that sets a field. A new option must
// be added here (the test below fails until it is).
const std::map<std::string_view, std::string> kSamples = {
    {"config", "x.conf"},
    {"twemproxy-config", "y.yml"},
    {"pool", "beta"},
    {"listen", "0.0.0.0:7000"},
    {"backlog", "100"},
    {"max-clients", "50"},
    {"backend", "10.0.0.1:6379:2 alpha"},
    {"hash", "fnv1a_64"},
    {"hash-tag", "{}"},
    {"distribution", "modula"},
    {"max-bulk-len", "2mb"},
    {"max-args", "10"},
    {"max-inline-len", "1kb"},
    {"query-buffer-limit", "64mb"},
    {"client-output-limit", "1mb"},
    {"client-output-hard-limit", "2mb"},
    {"max-pipeline", "5"},
    {"output-buffer-pool", "0"},
    {"backend-connections", "4"},
    {"connect-timeout-ms", "250"},
    {"timeout-ms", "0"},
    {"stall-timeout-ms", "250"},
    {"preconnect", "false"},
    {"backend-password", "b-pass"},
    {"backend-db", "3"},
    {"client-password", "c-pass"},
    {"health-interval-ms", "100"},
    {"health-timeout-ms", "200"},
    {"failure-limit", "5"},
    {"rise", "4"},
    {"auto-eject", "false"},
    {"on-unavailable", "error"},
    {"rejoin", "keep"},
    {"failover-key-log", "7"},
    {"admin-password", "a-pass"},
    {"admin-allow-remote", "true"},
    {"cleanup-rate", "123"},
    {"cleanup-batch", "45"},
    {"migration-window-s", "30"},
    {"ring-build-inline-max", "3"},
    {"etcd", "http://127.0.0.1:2379,https://10.0.0.2:2379"},
    {"etcd-prefix", "/rp/cache"},
    {"pool-name", "cache"},
    {"etcd-user", "rp"},
    {"etcd-password", "e-pass"},
    {"etcd-ca-file", "ca.pem"},
    {"etcd-cert-file", "client.pem"},
    {"etcd-key-file", "client-key.pem"},
    {"log-level", "debug"},
    {"log-file", "/tmp/rp.log"},
    {"pid-file", "/tmp/rp.pid"},
    {"daemonize", "true"},
    {"shutdown-timeout-ms", "250"},
    {"stats-port", "22222"},
    {"stats-addr", "0.0.0.0"},
    {"stats-interval", "30000"},
    {"metrics-port", "9121"},
    {"metrics-addr", "::1"},
    {"slowlog-log-slower-than", "-1"},
    {"slowlog-max-len", "1000"},
    {"latency-sample", "4"},
    {"hot-key-sample", "8"},
    {"hot-window-ms", "60000"},
    {"hot-shard-multiple", "3"},
};

TEST(OptionTable, EveryConfigFieldHasOneOption) {
  size_t declared = 0;
  for (const OptionSpec& spec : option_table()) declared += spec.fields;
  EXPECT_EQ(declared, field_count<ConfigFields>())
      << "a ConfigFields member without an option (or an option's `fields` is wrong)";
}

TEST(OptionTable, EverySpecSetsItsOwnValue) {
  const Config defaults;
  for (const OptionSpec& spec : option_table()) {
    if (!spec.codec.set) {
      EXPECT_EQ(spec.fields, 0) << spec.name;
      continue;
    }
    const auto sample = kSamples.find(spec.name);
    ASSERT_NE(sample, kSamples.end()) << "add a sample value for " << spec.name;
    Config c;
    spec.codec.set(c, sample->second);
    EXPECT_NE(spec.codec.get(c), spec.codec.get(defaults)) << spec.name;
    EXPECT_EQ(spec.codec.get(c), sample->second) << spec.name << " prints what it read";
    for (const OptionSpec& other : option_table()) {
      if (&other == &spec || !other.codec.get) continue;
      EXPECT_EQ(other.codec.get(c), other.codec.get(defaults))
          << "setting " << spec.name << " changed " << other.name;
    }
    // What it prints reads back to the same value.
    Config again;
    spec.codec.set(again, spec.codec.get(c));
    EXPECT_EQ(spec.codec.get(again), spec.codec.get(c)) << spec.name;
  }
  EXPECT_EQ(changed_options(defaults, defaults).size(), 0u);
}

TEST(OptionTable, DefaultsAreWrittenAsTheyPrint) {
  const Config c;
  for (const OptionSpec& spec : option_table()) {
    if (spec.default_text.empty()) continue;
    ASSERT_TRUE(spec.codec.get) << spec.name;
    EXPECT_EQ(spec.codec.get(c), spec.default_text) << spec.name;
  }
  EXPECT_EQ(c.max_bulk_len, 512u * 1024 * 1024);
  EXPECT_EQ(c.listen_port, 6380);
  EXPECT_EQ(c.hash, HashKind::kMurmur);
}

TEST(OptionTable, NamesAndVariablesAreUniqueAndSecretsHaveAVariable) {
  std::set<std::string_view> names;
  std::set<char> shorts;
  std::set<std::string_view> variables;
  for (const OptionSpec& spec : option_table()) {
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    if (spec.short_name) {
      EXPECT_TRUE(shorts.insert(spec.short_name).second) << spec.name;
    }
    if (!spec.env.empty()) {
      EXPECT_TRUE(variables.insert(spec.env).second) << spec.env;
    }
    if (spec.secret) {
      EXPECT_FALSE(spec.env.empty()) << spec.name << ": a password needs a variable (not ps)";
      EXPECT_TRUE(spec.sources & kConfigFile) << spec.name;
    }
    EXPECT_FALSE(spec.help.empty()) << spec.name;
    EXPECT_FALSE(spec.group.empty()) << spec.name;
  }
}

TEST(OptionTable, ChangedOptionsSaysWhatAReloadWouldChange) {
  Config before;
  Config after;
  after.timeout_ms = 10;
  after.listen_port = 7000;
  const std::vector<const OptionSpec*> changed = changed_options(before, after);
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_EQ(changed[0]->name, "listen");
  EXPECT_EQ(changed[0]->runtime, Runtime::kRestart);
  EXPECT_EQ(changed[1]->name, "timeout-ms");
  EXPECT_EQ(changed[1]->runtime, Runtime::kLive);
}

// The table's twemproxy column is true: a pool that sets the key changes the
// option.
TEST(OptionTable, TwemproxyKeysSetTheirOptions) {
  const std::map<std::string_view, std::string> samples = {
      {"listen", "127.0.0.1:22999"},
      {"backlog", "7"},
      {"hash", "md5"},
      {"hash_tag", "\"[]\""},
      {"distribution", "modula"},
      {"timeout", "123"},
      {"redis_auth", "pw"},
      {"redis_db", "2"},
      {"preconnect", "true"},
      {"auto_eject_hosts", "true"},
      {"server_connections", "3"},
      {"server_retry_timeout", "150"},
      {"server_failure_limit", "9"},
  };
  auto load = [](const std::string& extra, const std::string& servers) {
    const bool own_listen = extra.starts_with("  listen:");
    TempFile f("p:\n" + std::string(own_listen ? "" : "  listen: 127.0.0.1:22121\n") +
                   "  redis: true\n" + extra + "  servers:\n" + servers,
               ".yml");
    Config c;
    load_twemproxy_config(f.path(), "", c);
    return c;
  };
  const std::string one = "   - 127.0.0.1:22101:1\n";
  const Config base = load("", one);
  for (const OptionSpec& spec : option_table()) {
    if (spec.twemproxy.empty()) continue;
    Config c;
    if (spec.twemproxy == "servers") {
      c = load("", one + "   - 127.0.0.1:22102:1\n");
    } else {
      const auto sample = samples.find(spec.twemproxy);
      ASSERT_NE(sample, samples.end()) << "add a sample value for " << spec.twemproxy;
      c = load("  " + std::string(spec.twemproxy) + ": " + sample->second + "\n", one);
    }
    EXPECT_NE(spec.codec.get(c), spec.codec.get(base)) << spec.name << " <- " << spec.twemproxy;
  }
}

TEST(OptionTable, HelpListsEveryOptionWithItsDefault) {
  const std::string help = help_text();
  for (const OptionSpec& spec : option_table()) {
    if (!spec.removed.empty()) continue;  // accepted, but no longer documented
    // The entry's first line, as help_text() lays it out.
    std::string name = spec.short_name ? std::string("\n  -") + spec.short_name + ", --"
                                       : std::string("\n      --");
    name += std::string(spec.name) + (spec.takes_value() ? " " : "");
    const size_t at = help.find(name);
    ASSERT_NE(at, std::string::npos) << name;
    if (spec.default_text.empty()) continue;
    // The default is in the option's own entry, before the next option.
    const size_t next = help.find("\n  -", at + 1);
    const std::string entry = help.substr(at, next - at);
    EXPECT_NE(entry.find("(default " + std::string(spec.default_text) + ")"), std::string::npos)
        << entry;
  }
  EXPECT_NE(help.find("RINGPROXY_CLIENT_PASSWORD"), std::string::npos);
}

TEST(OptionTable, ReadmeOptionTableIsGenerated) {
  const std::string readme = read_file(std::string(RINGPROXY_SOURCE_DIR) + "/README.md");
  const std::string begin = "<!-- BEGIN option table";
  const std::string end = "<!-- END option table -->";
  const size_t b = readme.find(begin);
  ASSERT_NE(b, std::string::npos);
  const size_t first = readme.find('\n', b) + 1;
  const size_t e = readme.find(end, first);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(readme.substr(first, e - first), markdown_table(option_table()))
      << "README's option table differs from the option table: run "
         "scripts/update-option-docs.sh";
}

TEST(OptionTable, SampleConfigIsGenerated) {
  const std::string path = std::string(RINGPROXY_SOURCE_DIR) + "/conf/ringproxy.conf";
  EXPECT_EQ(read_file(path), sample_config(option_table()))
      << "conf/ringproxy.conf differs from the option table: run scripts/update-option-docs.sh";
  // And it gives every default.
  const CommandLine cl = parse_args({"--config", path});
  for (const OptionSpec& spec : option_table()) {
    if (spec.codec.get && !spec.default_text.empty()) {
      EXPECT_EQ(spec.codec.get(cl.config), spec.default_text) << spec.name;
    }
  }
}

TEST(OptionTable, ResolvedConfigReadsBackAndHidesPasswords) {
  const CommandLine cl = parse_args({"-b", "127.0.0.1:7001:2 a", "-b", "127.0.0.1:7002",
                                     "--hash-tag", "{}", "--max-bulk-len", "3mb"},
                                    {{"RINGPROXY_CLIENT_PASSWORD", "pw with # and spaces "}});
  const std::string text = resolved_config(cl.config, option_table());
  EXPECT_EQ(text.find("pw with"), std::string::npos) << text;
  EXPECT_NE(text.find("# client-password: set (hidden)"), std::string::npos) << text;
  EXPECT_NE(text.find("max-bulk-len = 3mb\n"), std::string::npos) << text;
  // Read back as a config file, it is the same configuration but the password.
  const std::vector<ConfigLine> lines = parse_config_text(text, "resolved");
  Config back;
  back.backends.clear();
  for (const ConfigLine& line : lines) {
    const OptionSpec* spec = find_option(option_table(), line.name);
    ASSERT_NE(spec, nullptr) << line.name;
    spec->codec.set(back, line.value);
  }
  back.client_password = cl.config.client_password;
  EXPECT_TRUE(changed_options(cl.config, back).empty());
}

}  // namespace
}  // namespace ringproxy
