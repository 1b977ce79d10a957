// The twemproxy (nutcracker 0.5.0) YAML loader: every key's mapping, every
// twemproxy default, pool selection, the errors (one line each, naming the
// value, the pool and the key), precedence against --config and the command
// line, and that a loaded pool routes like nutcracker (the routing table recorded
// from a live nutcracker 0.5.0).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ringproxy/options/config.hpp"
#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"
#include "ringproxy/placement/hash_tag.hpp"
#include "temp_file.hpp"

namespace ringproxy {
namespace {

const std::string kServers =
    "  servers:\n"
    "   - 127.0.0.1:22101:1\n"
    "   - 127.0.0.1:22102:1\n"
    "   - 127.0.0.1:22103:1\n";

// A minimal valid redis pool named `name` plus `extra` lines (indented keys).
std::string pool(const std::string& name = "alpha", const std::string& extra = "",
                 const std::string& servers = kServers) {
  return name + ":\n  listen: 127.0.0.1:22121\n  redis: true\n" + extra + servers;
}

Config load(const std::string& yaml, const std::string& pool_name = "") {
  TempFile f(yaml, ".yml");
  Config c;
  load_twemproxy_config(f.path(), pool_name, c);
  return c;
}

// The ConfigError message of loading `yaml` ("" if it loaded).
std::string error_of(const std::string& yaml, const std::string& pool_name = "") {
  try {
    load(yaml, pool_name);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

CommandLine parse(std::vector<std::string> args) {
  args.insert(args.begin(), "ringproxy");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

std::string cli_error_of(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// Every error: one line, in the common "invalid value 'X' for option" form,
// containing each of `parts`.
void expect_error(const std::string& message, const std::vector<std::string>& parts) {
  ASSERT_FALSE(message.empty()) << "expected an error";
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.rfind("invalid value '", 0), 0u) << message;
  for (const std::string& p : parts) {
    EXPECT_NE(message.find(p), std::string::npos) << "'" << p << "' not in: " << message;
  }
}

// ---------------------------------------------------------------------------
// Valid pools and defaults

TEST(TwemproxyConfig, MinimalPoolGetsTwemproxyDefaults) {
  const Config c = load(pool());
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 22121);
  ASSERT_EQ(c.backends.size(), 3u);
  EXPECT_EQ(c.backends[0].host, "127.0.0.1");
  EXPECT_EQ(c.backends[0].port, 22101);
  EXPECT_EQ(c.backends[0].weight, 1u);
  EXPECT_EQ(c.backends[0].ring_name, "127.0.0.1:22101");
  EXPECT_EQ(c.backends[2].ring_name, "127.0.0.1:22103");
  // twemproxy's defaults, several of which differ from ringproxy's.
  EXPECT_EQ(c.hash, HashKind::kFnv1a_64);
  EXPECT_EQ(c.hash_tag, "");
  EXPECT_EQ(c.distribution, DistributionKind::kKetama);
  EXPECT_EQ(c.timeout_ms, 0);  // no timeout: twemproxy waits forever
  EXPECT_EQ(c.backlog, 512);
  EXPECT_EQ(c.client_password, "");
  EXPECT_EQ(c.backend_password, "");
  EXPECT_EQ(c.backend_db, 0);
  EXPECT_FALSE(c.preconnect);
  EXPECT_FALSE(c.auto_eject);
  EXPECT_EQ(c.backend_connections, 1u);
  EXPECT_EQ(c.health_interval_ms, 30000);  // server_retry_timeout
  EXPECT_EQ(c.failure_limit, 2);
  // Options twemproxy has no key for keep ringproxy's defaults.
  const Config d;
  EXPECT_EQ(c.connect_timeout_ms, d.connect_timeout_ms);
  EXPECT_EQ(c.health_timeout_ms, d.health_timeout_ms);
  EXPECT_EQ(c.rise, d.rise);
  EXPECT_EQ(c.rejoin, d.rejoin);
  EXPECT_EQ(c.on_unavailable, d.on_unavailable);
  EXPECT_EQ(c.max_clients, d.max_clients);
  EXPECT_NO_THROW(validate(c));
}

TEST(TwemproxyConfig, ThePoolNameNamesThePool) {
  EXPECT_EQ(effective_pool_name(Config()), "ringproxy");
  // The only pool of a file names the pool (the default etcd prefix uses it).
  EXPECT_EQ(effective_pool_name(load(pool("alpha"))), "alpha");
  EXPECT_EQ(effective_pool_name(load(pool("alpha") + pool("beta"), "beta")), "beta");
  // --pool-name wins.
  Config c = load(pool("alpha"));
  c.pool_name = "cache";
  EXPECT_EQ(effective_pool_name(c), "cache");
}

TEST(TwemproxyConfig, DefaultsReplaceWhatTheConfigHeldBefore) {
  TempFile f(pool(), ".yml");
  Config c;
  c.hash = HashKind::kMd5;
  c.hash_tag = "$$";
  c.distribution = DistributionKind::kMaglev;
  c.timeout_ms = 1234;
  c.preconnect = true;
  c.auto_eject = true;
  c.failure_limit = 7;
  c.backend_password = "x";
  c.client_password = "y";
  c.backend_db = 3;
  c.backends.push_back(BackendSpec{});
  load_twemproxy_config(f.path(), "", c);
  EXPECT_EQ(c.hash, HashKind::kFnv1a_64);
  EXPECT_EQ(c.hash_tag, "");
  EXPECT_EQ(c.distribution, DistributionKind::kKetama);
  EXPECT_EQ(c.timeout_ms, 0);
  EXPECT_FALSE(c.preconnect);
  EXPECT_FALSE(c.auto_eject);
  EXPECT_EQ(c.failure_limit, 2);
  EXPECT_EQ(c.backend_password, "");
  EXPECT_EQ(c.client_password, "");
  EXPECT_EQ(c.backend_db, 0);
  EXPECT_EQ(c.backends.size(), 3u);
}

TEST(TwemproxyConfig, EveryKeyMapped) {
  const Config c = load(pool("beta",
                             "  hash: murmur\n"
                             "  hash_tag: \"{}\"\n"
                             "  distribution: modula\n"
                             "  timeout: 400\n"
                             "  backlog: 1024\n"
                             "  client_connections: 100\n"
                             "  tcpkeepalive: true\n"
                             "  redis_auth: s3cret\n"
                             "  redis_db: 5\n"
                             "  preconnect: true\n"
                             "  auto_eject_hosts: true\n"
                             "  server_connections: 4\n"
                             "  server_retry_timeout: 2000\n"
                             "  server_failure_limit: 5\n"));
  EXPECT_EQ(c.hash, HashKind::kMurmur);
  EXPECT_EQ(c.hash_tag, "{}");
  EXPECT_EQ(c.distribution, DistributionKind::kModula);
  EXPECT_EQ(c.timeout_ms, 400);
  EXPECT_EQ(c.connect_timeout_ms, 400);  // twemproxy's timeout covers the connect
  EXPECT_EQ(c.backlog, 1024);
  EXPECT_EQ(c.max_clients, Config().max_clients);  // client_connections is ignored
  EXPECT_EQ(c.client_password, "s3cret");
  EXPECT_EQ(c.backend_password, "s3cret");
  EXPECT_EQ(c.backend_db, 5);
  EXPECT_TRUE(c.preconnect);
  EXPECT_TRUE(c.auto_eject);
  EXPECT_EQ(c.backend_connections, 4u);
  EXPECT_EQ(c.health_interval_ms, 2000);
  EXPECT_EQ(c.failure_limit, 5);
}

TEST(TwemproxyConfig, AllTwelveHashNames) {
  for (std::string_view name : hash_names()) {
    const Config c = load(pool("p", "  hash: " + std::string(name) + "\n"));
    EXPECT_EQ(hash_name(c.hash), name);
  }
  EXPECT_EQ(hash_names().size(), 12u);
}

TEST(TwemproxyConfig, TimeoutValues) {
  EXPECT_EQ(load(pool("p", "  timeout: -1\n")).timeout_ms, 0);  // documented "forever"
  EXPECT_EQ(load(pool("p", "  timeout: 0\n")).timeout_ms, 0);
  EXPECT_EQ(load(pool("p", "  timeout: 0\n")).connect_timeout_ms, Config().connect_timeout_ms);
  EXPECT_EQ(load(pool("p", "  timeout: \"250\"\n")).timeout_ms, 250);  // quoted scalar
  EXPECT_EQ(load(pool("p", "  timeout: 3600000\n")).timeout_ms, 3600000);
}

TEST(TwemproxyConfig, RetryTimeoutAndFailureLimitEdges) {
  EXPECT_EQ(load(pool("p", "  server_retry_timeout: 0\n")).health_interval_ms, 10);
  EXPECT_EQ(load(pool("p", "  server_retry_timeout: 99999999\n")).health_interval_ms, 3600000);
  // 0 ejects on the first failure in twemproxy, as 1 does here.
  EXPECT_EQ(load(pool("p", "  server_failure_limit: 0\n")).failure_limit, 1);
  EXPECT_EQ(load(pool("p", "  auto_eject_hosts: false\n")).auto_eject, false);
}

TEST(TwemproxyConfig, EmptyRedisAuthMeansNoPassword) {
  const Config c = load(pool("p", "  redis_auth: \"\"\n"));
  EXPECT_EQ(c.client_password, "");
  EXPECT_EQ(c.backend_password, "");
}

TEST(TwemproxyConfig, ServerStrings) {
  const Config c = load(pool("p", "",
                             "  servers:\n"
                             "   - 127.0.0.1:22103:3 gamma\n"
                             "   - localhost:22101:1\n"
                             "   - 10.0.0.1:11211:2\n"
                             "   - ::1:22104:1\n"
                             "   - 127.0.0.1:22105\n"));  // ringproxy extension: no weight
  ASSERT_EQ(c.backends.size(), 5u);
  EXPECT_EQ(c.backends[0].name, "gamma");
  EXPECT_EQ(c.backends[0].ring_name, "gamma");
  EXPECT_EQ(c.backends[0].weight, 3u);
  EXPECT_EQ(c.backends[1].host, "localhost");
  EXPECT_EQ(c.backends[1].ring_name, "localhost:22101");  // literal text, no DNS
  EXPECT_EQ(c.backends[2].ring_name, "10.0.0.1");         // libmemcached port rule
  EXPECT_EQ(c.backends[2].weight, 2u);
  EXPECT_EQ(c.backends[3].host, "::1");
  EXPECT_EQ(c.backends[3].port, 22104);
  EXPECT_EQ(c.backends[4].port, 22105);
  EXPECT_EQ(c.backends[4].weight, 1u);
}

TEST(TwemproxyConfig, ListenForms) {
  auto listen_of = [](const std::string& value) {
    const Config c = load("p:\n  listen: " + value + "\n  redis: true\n" + kServers);
    return c.listen_host + " " + std::to_string(c.listen_port);
  };
  EXPECT_EQ(listen_of("0.0.0.0:22121"), "0.0.0.0 22121");
  EXPECT_EQ(listen_of("localhost:6000"), "localhost 6000");
  EXPECT_EQ(listen_of("\"[::1]:6001\""), "::1 6001");
  EXPECT_EQ(listen_of("::1:6002"), "::1 6002");  // twemproxy's last-colon form
}

// ---------------------------------------------------------------------------
// Pool selection

TEST(TwemproxyConfig, PoolSelection) {
  const std::string two = pool("alpha", "  hash: md5\n") + pool("beta", "  hash: crc32a\n");
  EXPECT_EQ(load(two, "alpha").hash, HashKind::kMd5);
  EXPECT_EQ(load(two, "beta").hash, HashKind::kCrc32a);
  expect_error(error_of(two), {"2 pools (alpha, beta)", "--pool NAME", "--twemproxy-config"});
  expect_error(error_of(two, "gamma"),
               {"invalid value 'gamma' for option '--pool'", "no such pool", "alpha, beta"});
  // The only pool is taken without --pool; naming it works too.
  EXPECT_EQ(load(pool("solo"), "solo").listen_port, 22121);
  expect_error(error_of(pool("solo"), "other"), {"'other'", "--pool", "solo"});
}

TEST(TwemproxyConfig, OtherPoolsMayBeMemcached) {
  const std::string yaml =
      "cache:\n  listen: 127.0.0.1:22122\n  servers:\n   - 127.0.0.1:11211:1\n" +
      pool("redis_pool");
  EXPECT_EQ(load(yaml, "redis_pool").backends.size(), 3u);
  expect_error(error_of(yaml, "cache"), {"memcached", "pool cache"});
}

// ---------------------------------------------------------------------------
// Errors

TEST(TwemproxyConfig, FileErrors) {
  Config c;
  try {
    load_twemproxy_config("/nonexistent/dir/nutcracker.yml", "", c);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    expect_error(e.what(),
                 {"'/nonexistent/dir/nutcracker.yml'", "--twemproxy-config", "cannot open file"});
  }
  expect_error(error_of(""), {"exactly one YAML document, found 0"});
  expect_error(error_of("alpha: [1, 2\n"), {"YAML syntax error at line"});
  expect_error(error_of(pool("a") + "---\n" + pool("b")), {"found 2"});
  expect_error(error_of("- a\n- b\n"), {"mapping of pool names"});
  expect_error(error_of("just text\n"), {"mapping of pool names"});
  expect_error(error_of("alpha: 3\n"), {"'alpha'", "must be a mapping", "line 1"});
  expect_error(error_of("alpha:\n"), {"'alpha'", "must be a mapping"});
}

// The loader's input bounds: a file over 256 KiB and collections nested more
// than 8 deep are one-line errors before yaml-cpp builds the document (deep
// nesting is what made its recursive parser exhaust the stack).
TEST(TwemproxyConfig, SizeAndDepthBounds) {
  // A comment makes the file large without changing what it means.
  const std::string valid = pool("p");
  const std::string padding = "#" + std::string(256 * 1024 - valid.size() - 2, 'x') + "\n";
  ASSERT_EQ(valid.size() + padding.size(), 256u * 1024u);
  EXPECT_EQ(load(padding + valid).backends.size(), 3u) << "exactly 256 KiB loads";
  expect_error(error_of("#" + padding + valid), {"larger than 256 KiB", "--twemproxy-config"});

  Config c;
  try {
    load_twemproxy_config_text(std::string(10 * 1024 * 1024, ' '), "mem.yml", "", c);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    expect_error(e.what(), {"'mem.yml'", "larger than 256 KiB"});
  }

  // Eight levels are within bounds (and then wrong for twemproxy), nine are not,
  // in flow and in block style, however deep the file goes.
  auto flow = [](size_t depth) {
    return "p: " + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "\n";
  };
  expect_error(error_of(flow(8)), {"must be a mapping"});
  expect_error(error_of(flow(9)), {"nested deeper than 8 levels", "line 1"});
  expect_error(error_of(flow(100000)), {"nested deeper than 8 levels"});
  std::string block = "p:\n  servers:\n";
  for (size_t i = 0; i < 6; ++i) block += "   " + std::string(2 * i, ' ') + "-\n";
  block += "   " + std::string(12, ' ') + "- x\n";
  expect_error(error_of(block), {"nested deeper than 8 levels", "line 9"});
  std::string dashes;
  for (int i = 0; i < 50000; ++i) dashes += "- ";
  expect_error(error_of(dashes + "x\n"), {"nested deeper than 8 levels"});
  std::string maps = "p:\n";
  for (size_t i = 0; i < 20; ++i) maps += std::string(2 * i + 2, ' ') + "k:\n";
  expect_error(error_of(maps), {"nested deeper than 8 levels", "line 9"});

  // yaml-cpp 0.7 loops forever, allocating, on a document that starts with ','
  // (found by the fuzz target): the parse stops with an error instead.
  for (const std::string& looping :
       {std::string(","), std::string(", a\n"), std::string("# comment\n,\np: 1\n")}) {
    expect_error(error_of(looping), {"stops making progress", "line"});
  }

  // A file from the filesystem goes through the same checks.
  TempFile deep(flow(20), ".yml");
  try {
    load_twemproxy_config(deep.path(), "", c);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    expect_error(e.what(), {deep.path(), "nested deeper than 8 levels"});
  }
}

TEST(TwemproxyConfig, ListenErrors) {
  auto with_listen = [](const std::string& value) {
    return error_of("p:\n  listen: " + value + "\n  redis: true\n" + kServers);
  };
  expect_error(with_listen("/tmp/redis.sock 0666"),
               {"'/tmp/redis.sock 0666'", "unix sockets are not supported", "pool p", "key listen",
                "line 2"});
  expect_error(with_listen("/tmp/redis.sock"), {"unix sockets are not supported"});
  expect_error(with_listen("127.0.0.1"), {"expected HOST:PORT", "key listen"});
  expect_error(with_listen("127.0.0.1:0"), {"1..65535"});
  expect_error(with_listen("127.0.0.1:70000"), {"1..65535"});
  expect_error(with_listen("127.0.0.1:ab"), {"1..65535"});
  expect_error(with_listen(":6379"), {"expected HOST:PORT"});
  expect_error(error_of("p:\n  redis: true\n" + kServers),
               {"required key is missing", "pool p, key listen"});
}

TEST(TwemproxyConfig, PlacementErrors) {
  expect_error(error_of(pool("p", "  hash: fnv1a\n")),
               {"'fnv1a'", "unknown hash", "fnv1a_64", "pool p", "key hash"});
  expect_error(error_of(pool("p", "  hash: FNV1A_64\n")), {"unknown hash"});
  expect_error(error_of(pool("p", "  hash_tag: \"{\"\n")),
               {"'{'", "exactly two characters", "key hash_tag"});
  expect_error(error_of(pool("p", "  hash_tag: \"{}{\"\n")), {"exactly two characters"});
  expect_error(error_of(pool("p", "  hash_tag: \"\"\n")), {"exactly two characters"});
  // Unquoted {} is an empty YAML mapping.
  expect_error(error_of(pool("p", "  hash_tag: {}\n")), {"quote the tag", "key hash_tag"});
  expect_error(error_of(pool("p", "  distribution: random\n")),
               {"'random'", "distribution random is not supported", "regardless of the key",
                "pool p", "key distribution"});
  expect_error(error_of(pool("p", "  distribution: maglev\n")),
               {"'maglev'", "unknown distribution", "ketama, modula"});
}

TEST(TwemproxyConfig, NumberAndBooleanErrors) {
  expect_error(error_of(pool("p", "  timeout: -5\n")), {"'-5'", "not a number", "key timeout"});
  expect_error(error_of(pool("p", "  timeout: 1.5\n")), {"'1.5'", "not a number"});
  expect_error(error_of(pool("p", "  timeout: forever\n")), {"not a number"});
  expect_error(error_of(pool("p", "  timeout:\n")), {"empty value", "key timeout"});
  expect_error(error_of(pool("p", "  timeout: 99999999999\n")), {"out of range"});
  expect_error(error_of(pool("p", "  backlog: 0\n")), {"'0'", "out of range", "key backlog"});
  expect_error(error_of(pool("p", "  redis_db: -1\n")), {"'-1'", "not a number", "key redis_db"});
  expect_error(error_of(pool("p", "  server_connections: 0\n")),
               {"out of range [1, 64]", "key server_connections"});
  expect_error(error_of(pool("p", "  server_connections: 65\n")), {"out of range [1, 64]"});
  expect_error(error_of(pool("p", "  client_connections: many\n")),
               {"not a number", "key client_connections"});
  expect_error(error_of(pool("p", "  server_failure_limit: 1001\n")), {"out of range"});
  expect_error(error_of(pool("p", "  server_retry_timeout: -1\n")), {"not a number"});
  // nutcracker accepts only true/false.
  expect_error(error_of(pool("p", "  preconnect: yes\n")),
               {"'yes'", "expected true or false", "key preconnect"});
  expect_error(error_of(pool("p", "  auto_eject_hosts: True\n")), {"expected true or false"});
  expect_error(error_of(pool("p", "  tcpkeepalive: 1\n")), {"key tcpkeepalive"});
  expect_error(error_of(pool("p", "  redis_auth: [a, b]\n")),
               {"expected a single value", "key redis_auth"});
}

TEST(TwemproxyConfig, RedisErrors) {
  expect_error(error_of("p:\n  listen: 127.0.0.1:22121\n  redis: false\n" + kServers),
               {"'false'", "memcached pools are not supported", "pool p", "key redis", "line 3"});
  expect_error(
      error_of("p:\n  listen: 127.0.0.1:22121\n" + kServers),
      {"missing, so twemproxy treats the pool as memcached", "redis: true", "pool p, key redis"});
  expect_error(error_of("p:\n  listen: 127.0.0.1:22121\n  redis: yes\n" + kServers),
               {"expected true or false"});
}

TEST(TwemproxyConfig, KeyErrors) {
  expect_error(error_of(pool("alpha", "  sentinels: 1\n")),
               {"'sentinels'", "unknown key", "pool alpha", "key sentinels", "line 4"});
  // Unknown keys are errors in every pool, as nutcracker checks the whole file.
  expect_error(error_of(pool("alpha") + pool("beta", "  timout: 4\n"), "alpha"),
               {"'timout'", "unknown key", "pool beta"});
  expect_error(error_of(pool("p", "  reuseport: true\n")),
               {"'reuseport'", "twemproxy 0.5.0 rejects it too", "key reuseport"});
  expect_error(error_of(pool("p", "  timeout: 1\n  timeout: 2\n")),
               {"duplicate key", "key timeout", "line 5"});
  expect_error(error_of(pool("p") + pool("p")), {"'p'", "duplicate pool name"});
  expect_error(error_of(pool("p", "  ? [a, b]\n  : 1\n")), {"not a plain name"});
}

TEST(TwemproxyConfig, ServerErrors) {
  auto with_servers = [](const std::string& servers) {
    return error_of("p:\n  listen: 127.0.0.1:22121\n  redis: true\n" + servers);
  };
  expect_error(with_servers(""), {"required key is missing", "pool p, key servers"});
  expect_error(with_servers("  servers: 127.0.0.1:6379:1\n"), {"expected a list", "key servers"});
  expect_error(with_servers("  servers: []\n"), {"no servers", "key servers"});
  expect_error(with_servers("  servers:\n   - /tmp/redis.sock:1\n"),
               {"'/tmp/redis.sock:1'", "unix socket", "key servers", "line 5"});
  expect_error(with_servers("  servers:\n   - 127.0.0.1:6379:0\n"),
               {"weight must be greater than 0", "key servers"});
  expect_error(with_servers("  servers:\n   - 127.0.0.1:6379:x\n"), {"invalid weight"});
  expect_error(with_servers("  servers:\n   - 127.0.0.1\n"), {"missing port"});
  expect_error(with_servers("  servers:\n   - 127.0.0.1:6379:1\n   - 127.0.0.1:6379:2\n"),
               {"same name '127.0.0.1:6379'", "line 6"});
  expect_error(with_servers("  servers:\n   - 127.0.0.1:6379:1 a\n   - 127.0.0.1:6380:1 a\n"),
               {"same name 'a'"});
  expect_error(with_servers("  servers:\n   - [127.0.0.1]\n"), {"expected a single value"});
  // Distinct names may point at the same host:port (twemproxy allows it).
  EXPECT_NO_THROW(
      load("p:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers:\n"
           "   - 127.0.0.1:6379:1 a\n   - 127.0.0.1:6379:1 b\n"));
}

TEST(TwemproxyConfig, ErrorsStayOnOneLine) {
  // A block scalar with newlines and a high byte in the value.
  const std::string msg = error_of(pool("p", "  hash: |\n    two\n    lines\xff\n"));
  expect_error(msg, {"two\\x0alines\\xff", "unknown hash"});
}

// ---------------------------------------------------------------------------
// Precedence: YAML < --config file < command line

TEST(TwemproxyConfig, CommandLineOverridesThePool) {
  TempFile yaml(pool("p", "  hash: md5\n  timeout: 400\n"), ".yml");
  CommandLine cl = parse({"--twemproxy-config", yaml.path()});
  EXPECT_EQ(cl.config.listen_port, 22121);
  EXPECT_EQ(cl.config.hash, HashKind::kMd5);
  cl = parse({"--twemproxy-config", yaml.path(), "--listen", "127.0.0.1:7000", "--hash", "murmur",
              "--timeout-ms", "0", "--pool", "p"});
  EXPECT_EQ(cl.config.listen_port, 7000);
  EXPECT_EQ(cl.config.hash, HashKind::kMurmur);
  EXPECT_EQ(cl.config.timeout_ms, 0);
  EXPECT_EQ(cl.config.backends.size(), 3u);

  TempFile ini("timeout-ms = 900\nauto-eject = true\n", ".conf");
  cl = parse({"--twemproxy-config", yaml.path(), "--config", ini.path()});
  EXPECT_EQ(cl.config.timeout_ms, 900);
  EXPECT_TRUE(cl.config.auto_eject);
  EXPECT_EQ(cl.config.hash, HashKind::kMd5);

  expect_error(cli_error_of({"--twemproxy-config", yaml.path(), "--pool", "nope"}),
               {"'nope'", "--pool"});
}

TEST(TwemproxyConfig, ExampleFileInConfLoads) {
  const std::filesystem::path file =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "conf" /
      "nutcracker.yml";
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  CommandLine cl = parse({"--twemproxy-config", file.string()});
  const Config& c = cl.config;
  EXPECT_EQ(c.listen_port, 22121);
  EXPECT_EQ(c.hash, HashKind::kFnv1a_64);
  EXPECT_EQ(c.hash_tag, "{}");
  ASSERT_EQ(c.backends.size(), 3u);
  EXPECT_EQ(c.backends[0].ring_name, "server1");
  EXPECT_TRUE(c.auto_eject);
  EXPECT_EQ(c.health_interval_ms, 2000);
}

// ---------------------------------------------------------------------------
// A loaded pool routes like nutcracker did (routing recorded from a live
// nutcracker 0.5.0).

// Port of the backend a loaded config sends `key` to.
uint16_t route(const Config& c, std::string_view key) {
  std::vector<RingNode> nodes;
  for (const BackendSpec& b : c.backends) nodes.push_back({b.ring_name, b.weight});
  auto dist = make_distribution(c.distribution, nodes);
  std::string_view hashed = c.hash_tag.empty() ? key : apply_hash_tag(key, c.hash_tag);
  const uint32_t h = hashed.empty() ? 0 : hash_key(c.hash, hashed);
  return c.backends[dist->locate(h)].port;
}

TEST(TwemproxyConfig, LoadedPoolsRouteLikeNutcracker) {
  const Config plain = load(pool("p"));
  EXPECT_EQ(route(plain, "foo"), 22101);
  EXPECT_EQ(route(plain, "user:10"), 22101);
  EXPECT_EQ(route(plain, ""), 22103);  // owner of the lowest point

  const Config murmur = load(pool("p", "  hash: murmur\n"));
  EXPECT_EQ(route(murmur, "foo"), 22103);
  EXPECT_EQ(route(murmur, "user:1"), 22102);
  EXPECT_EQ(route(murmur, "user:3"), 22101);

  const Config md5 = load(pool("p", "  hash: md5\n"));
  EXPECT_EQ(route(md5, "bar"), 22103);
  EXPECT_EQ(route(md5, "user:4"), 22102);

  const Config named = load(pool("p", "",
                                 "  servers:\n   - 127.0.0.1:22103:1 gamma\n"
                                 "   - 127.0.0.1:22101:1 alpha\n   - 127.0.0.1:22102:1 beta\n"));
  EXPECT_EQ(route(named, "foo"), 22103);
  EXPECT_EQ(route(named, "user:10"), 22101);

  const Config weighted = load(pool("p", "",
                                    "  servers:\n   - 127.0.0.1:22101:1\n"
                                    "   - 127.0.0.1:22102:2\n   - 127.0.0.1:22103:3\n"));
  EXPECT_EQ(route(weighted, "foo"), 22101);
  EXPECT_EQ(route(weighted, "bar"), 22102);
  EXPECT_EQ(route(weighted, "user:5"), 22103);

  const Config modula = load(pool("p", "  distribution: modula\n",
                                  "  servers:\n   - 127.0.0.1:22103:1 c\n"
                                  "   - 127.0.0.1:22101:1 bb\n   - 127.0.0.1:22102:1 a\n"));
  EXPECT_EQ(route(modula, "foo"), 22101);
  EXPECT_EQ(route(modula, "bar"), 22103);
  EXPECT_EQ(route(modula, "user:10"), 22102);

  const Config tagged = load(pool("p", "  hash_tag: \"{}\"\n"));
  EXPECT_EQ(route(tagged, "{user1}:a"), 22102);
  EXPECT_EQ(route(tagged, "{user1}:b"), 22102);
  EXPECT_EQ(route(plain, "{user1}:a"), 22101);
}

}  // namespace
}  // namespace ringproxy
