// Real clients, used unchanged, through ringproxy: redis-py (Debian
// python3-redis), ioredis 5, ioredis 6.0.0, node-redis 4 (npm, pinned in
// tests/clients/package.json), redis-cli (interactive, stdin batch, --pipe,
// --scan, --bigkeys, -n 0). redis-benchmark's default test set is covered by
// CoreBenchmark in pipeline_test.cpp.
//
// Each test runs a script from tests/clients against a proxy over 3 fresh
// backends with --hash-tag {}, with a timeout, and checks its exit code and
// its "ok <check>" lines. The npm tests skip when tests/clients/node_modules
// is missing, unless RINGPROXY_REQUIRE_CLIENTS is set (scripts/test.sh sets
// it once `npm ci` is done), in which case they fail.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

namespace fs = std::filesystem;

constexpr Duration kScriptTimeout{180000};
constexpr Duration kCliTimeout{60000};

fs::path clients_dir() {
  return source_dir() / "tests" / "clients";
}

// Why the npm clients cannot run, or "" when they can.
std::string node_modules_missing() {
  const fs::path modules = clients_dir() / "node_modules";
  for (const char* package : {"ioredis", "ioredis6", "redis"}) {
    if (!fs::exists(modules / package / "package.json")) {
      return (modules / package).string() +
             " is missing; run `npm ci --no-audit --no-fund` in tests/clients";
    }
  }
  return {};
}

bool clients_required() {
  const char* env = std::getenv("RINGPROXY_REQUIRE_CLIENTS");
  return env != nullptr && *env != '\0' && std::string_view(env) != "0";
}

// Skips the test when the npm packages are absent (fails instead when they
// are required).
#define REQUIRE_NODE_MODULES()                                                     \
  do {                                                                             \
    if (std::string why = node_modules_missing(); !why.empty()) {                  \
      if (clients_required()) FAIL() << why << " (RINGPROXY_REQUIRE_CLIENTS set)"; \
      GTEST_SKIP() << why;                                                         \
    }                                                                              \
  } while (0)

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  auto lines = split_lines(text);
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

// The value of the first "<name> <value>" line of a script's output.
std::string output_value(const std::string& text, const std::string& name) {
  for (const std::string& line : split_lines(text)) {
    if (line.rfind(name + " ", 0) == 0) return line.substr(name.size() + 1);
  }
  return {};
}

class ClientsTest : public ClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override { return {"--hash-tag", "{}"}; }

  std::string port() { return std::to_string(proxy().port()); }

  // Runs a script of tests/clients (from that directory) and checks that it
  // exited 0 and printed every "ok <check>" line and `final_line`.
  CommandResult run_script(const std::vector<std::string>& argv,
                           const std::vector<std::string>& checks, const std::string& final_line) {
    CommandResult r = run_command(
        argv,
        {.timeout = kScriptTimeout, .env = {"PYTHONDONTWRITEBYTECODE=1"}, .cwd = clients_dir()});
    EXPECT_TRUE(r.ok()) << r.describe();
    for (const std::string& check : checks) {
      EXPECT_TRUE(has_line(r.out, "ok " + check)) << "check '" << check << "' did not pass\n"
                                                  << r.describe();
    }
    EXPECT_TRUE(has_line(r.out, final_line)) << r.describe();
    return r;
  }

  CommandResult redis_cli(std::vector<std::string> args, const std::string& stdin_data = {}) {
    std::vector<std::string> argv = {"redis-cli", "-h", kLoopback, "-p", port()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {.timeout = kCliTimeout, .stdin_data = stdin_data});
  }

  // Writes `keys` (with value "v") through the proxy.
  void populate(const std::vector<std::string>& keys) {
    std::vector<std::vector<std::string>> commands;
    for (const std::string& k : keys) commands.push_back({"SET", k, "v"});
    Client c = proxy_client();
    for (const Reply& r : c.pipeline(commands)) ASSERT_EQ(r, Reply::make_status("OK"));
  }

  // Keys on each backend; the clients' keys are meant to land on all three.
  std::vector<long long> backend_dbsizes() {
    std::vector<long long> sizes;
    for (size_t i = 0; i < backends_.size(); ++i) {
      Reply r = backend_client(i).command({"DBSIZE"});
      sizes.push_back(r.is_integer() ? r.integer : -1);
    }
    return sizes;
  }

  void expect_keys_on_every_backend() {
    std::vector<long long> sizes = backend_dbsizes();
    for (size_t i = 0; i < sizes.size(); ++i) {
      EXPECT_GT(sizes[i], 0) << "backend " << i << " got no keys";
    }
  }
};

// ---------------------------------------------------------------------------
// redis-py

TEST_F(ClientsTest, RedisPy) {
  CommandResult r = run_script({python3_binary(), "redis_py_check.py", port()},
                               {"basic", "handshake", "pipeline", "transaction", "scan_iter",
                                "multikey", "lock", "info", "ping"},
                               "redis-py: all checks passed");
  expect_keys_on_every_backend();
  // The lock's release/extend scripts went EVALSHA -> NOSCRIPT -> SCRIPT LOAD;
  // the proxy fans SCRIPT LOAD out, so every backend has them now.
  for (const char* name : {"lock-release-sha", "lock-extend-sha"}) {
    std::string sha = output_value(r.out, name);
    ASSERT_EQ(sha.size(), 40u) << name << " not printed\n" << r.describe();
    for (size_t i = 0; i < backends_.size(); ++i) {
      EXPECT_EQ(backend_client(i).command({"SCRIPT", "EXISTS", sha}),
                Reply::make_array({Reply::make_integer(1)}))
          << name << " " << sha << " not loaded on backend " << i;
    }
  }
}

// ---------------------------------------------------------------------------
// npm clients

TEST_F(ClientsTest, Ioredis5) {
  REQUIRE_NODE_MODULES();
  CommandResult r =
      run_script({"node", "ioredis_check.js", "ioredis", port()},
                 {"connect", "get-set", "pipeline", "multi", "quit"}, "ioredis: all checks passed");
  EXPECT_TRUE(has_line(r.out, "ioredis 5.9.3")) << r.out;
  expect_keys_on_every_backend();
}

TEST_F(ClientsTest, Ioredis6FallsBackFromHello3ToResp2) {
  REQUIRE_NODE_MODULES();
  CommandResult r =
      run_script({"node", "ioredis_check.js", "ioredis6", port()},
                 {"connect", "hello3-fallback", "get-set", "pipeline", "multi", "quit"},
                 "ioredis6: all checks passed");
  EXPECT_TRUE(has_line(r.out, "ioredis6 6.0.0")) << r.out;
  // ioredis 6 downgrades on an error containing NOPROTO, or "unknown command"
  // together with "hello" (isProtocolNegotiationError in event_handler.js).
  EXPECT_EQ(output_value(r.out, "hello-3-reply").rfind("NOPROTO", 0), 0u) << r.out;
  expect_keys_on_every_backend();
}

TEST_F(ClientsTest, NodeRedis4) {
  REQUIRE_NODE_MODULES();
  CommandResult r = run_script({"node", "node_redis_check.js", port()},
                               {"connect", "get-set", "multi", "pipeline", "quit"},
                               "node-redis: all checks passed");
  EXPECT_TRUE(has_line(r.out, "node-redis 4.7.1 (@redis/client 1.6.1)")) << r.out;
  expect_keys_on_every_backend();
}

// The replies the clients above rely on, byte for byte, so that a change
// that would break them fails here too even where node is not installed.
TEST_F(ClientsTest, HandshakeRepliesThatClientsDependOn) {
  RawConnection raw = proxy_raw();
  raw.send(encode_command({"HELLO", "3"}));
  Reply hello3 = raw.read_reply();
  ASSERT_TRUE(hello3.is_error()) << hello3;
  EXPECT_EQ(hello3.str.rfind("NOPROTO", 0), 0u) << hello3;  // ioredis 6 falls back on it
  raw.send(encode_command({"HELLO", "2"}));
  Reply hello2 = raw.read_reply();
  ASSERT_TRUE(hello2.is_array()) << hello2;
  ASSERT_GE(hello2.elements.size(), 6u) << hello2;
  EXPECT_EQ(hello2.elements[4], Reply::make_string("proto")) << hello2;
  EXPECT_EQ(hello2.elements[5], Reply::make_integer(2)) << hello2;
  raw.send(encode_command({"CLIENT", "SETINFO", "LIB-NAME", "ioredis"}) +
           encode_command({"CLIENT", "SETINFO", "LIB-VER", "5.9.3"}) + encode_command({"INFO"}));
  EXPECT_EQ(raw.read_reply(), Reply::make_status("OK"));
  EXPECT_EQ(raw.read_reply(), Reply::make_status("OK"));
  Reply info = raw.read_reply();
  ASSERT_TRUE(info.is_string()) << info;
  EXPECT_NE(info.str.find("\r\nloading:0\r\n"), std::string::npos) << info.str;
  EXPECT_NE(info.str.find("redis_version:"), std::string::npos) << info.str;
  raw.send(encode_command({"QUIT"}));
  EXPECT_EQ(raw.read_until_closed(), "+OK\r\n");
}

// ---------------------------------------------------------------------------
// redis-cli

TEST_F(ClientsTest, RedisCliInteractive) {
  run_script({python3_binary(), "redis_cli_interactive.py", port()},
             {"PING", "SET cli:tty:k hello", "GET cli:tty:k", "SELECT 0", "SELECT 1", "PING hi",
              "DEL cli:tty:k", "ECHO bye"},
             "redis-cli interactive: all checks passed");
}

TEST_F(ClientsTest, RedisCliStdinBatch) {
  // Stdin mode sends COMMAND DOCS first, then one command per line.
  CommandResult r = redis_cli({}, "SET a 1\nGET a\nPING\nSELECT 0\nINCR a\nGET a\n");
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "OK\n1\nPONG\nOK\n2\n2\n") << r.describe();
}

TEST_F(ClientsTest, RedisCliDbZero) {
  // -n 0 sends no SELECT; the commands go straight through.
  CommandResult set = redis_cli({"-n", "0", "SET", "cli:n0", "zero"});
  ASSERT_TRUE(set.ok()) << set.describe();
  EXPECT_EQ(set.out, "OK\n");
  CommandResult get = redis_cli({"-n", "0", "GET", "cli:n0"});
  ASSERT_TRUE(get.ok()) << get.describe();
  EXPECT_EQ(get.out, "zero\n");
  CommandResult batch = redis_cli({"-n", "0"}, "GET cli:n0\nDBSIZE\n");
  ASSERT_TRUE(batch.ok()) << batch.describe();
  EXPECT_EQ(batch.out, "zero\n1\n");
}

TEST_F(ClientsTest, RedisCliPipeMassInsert) {
  constexpr int kCount = 10000;
  std::string input;
  for (int i = 0; i < kCount; ++i) {
    input += encode_command({"SET", "pipe:" + std::to_string(i), "value-" + std::to_string(i)});
  }
  // --pipe ends with ECHO <20 random bytes> and waits for that echo.
  CommandResult r = redis_cli({"--pipe"}, input);
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("errors: 0, replies: 10000"), std::string::npos) << r.describe();

  Client c = proxy_client();
  EXPECT_EQ(c.command({"DBSIZE"}), Reply::make_integer(kCount));
  for (int i : {0, 1, 4321, kCount - 1}) {
    EXPECT_EQ(c.command({"GET", "pipe:" + std::to_string(i)}),
              Reply::make_string("value-" + std::to_string(i)));
  }
  long long total = 0;
  for (long long n : backend_dbsizes()) {
    EXPECT_GT(n, 0);
    total += n;
  }
  EXPECT_EQ(total, kCount);
}

TEST_F(ClientsTest, RedisCliScanListsEveryKeyOnce) {
  std::set<std::string> users, items;
  for (int i = 0; i < 600; ++i) users.insert("scan:user:" + std::to_string(i));
  for (int i = 0; i < 400; ++i) items.insert("scan:item:" + std::to_string(i));
  std::vector<std::string> keys(users.begin(), users.end());
  keys.insert(keys.end(), items.begin(), items.end());
  populate(keys);
  expect_keys_on_every_backend();

  auto scanned = [&](const std::vector<std::string>& args, const std::set<std::string>& want) {
    CommandResult r = redis_cli(args);
    ASSERT_TRUE(r.ok()) << r.describe();
    std::vector<std::string> lines = split_lines(r.out);
    std::map<std::string, int> counts;
    for (const std::string& l : lines) counts[l]++;
    for (const auto& [key, n] : counts)
      EXPECT_EQ(n, 1) << "'" << key << "' listed " << n << " times";
    std::set<std::string> got(lines.begin(), lines.end());
    EXPECT_EQ(lines.size(), want.size());
    EXPECT_TRUE(got == want) << "scan output differs from the keys written";
  };
  std::set<std::string> all(keys.begin(), keys.end());
  scanned({"--scan"}, all);
  scanned({"--scan", "--pattern", "scan:user:*"}, users);
  scanned({"--scan", "--pattern", "scan:item:1*"}, [&] {
    std::set<std::string> s;
    for (const std::string& k : items) {
      if (k.rfind("scan:item:1", 0) == 0) s.insert(k);
    }
    return s;
  }());
}

TEST_F(ClientsTest, RedisCliBigkeys) {
  Client c = proxy_client();
  std::vector<std::string> list = {"RPUSH", "big:list"};
  for (int i = 0; i < 50; ++i) list.push_back(std::to_string(i));
  std::vector<Reply> replies =
      c.pipeline({list,
                  {"HSET", "big:hash", "a", "1", "b", "2", "c", "3"},
                  {"SADD", "big:set", "x", "y"},
                  {"ZADD", "big:zset", "1", "a", "2", "b", "3", "c", "4", "d"},
                  {"SET", "big:string", "0123456789"}});
  for (const Reply& r : replies) ASSERT_FALSE(r.is_error()) << r;
  // DBSIZE, SCAN, TYPE per key, then STRLEN/LLEN/HLEN/SCARD/ZCARD per key.
  CommandResult r = redis_cli({"--bigkeys"});
  ASSERT_TRUE(r.ok()) << r.describe();
  for (const char* line :
       {"Sampled 5 keys in the keyspace!", "Biggest   list found '\"big:list\"' has 50 items",
        "Biggest   hash found '\"big:hash\"' has 3 fields",
        "Biggest string found '\"big:string\"' has 10 bytes",
        "Biggest    set found '\"big:set\"' has 2 members",
        "Biggest   zset found '\"big:zset\"' has 4 members"}) {
    EXPECT_TRUE(has_line(r.out, line)) << "missing: " << line << "\n" << r.describe();
  }
}

}  // namespace
}  // namespace ringproxy::testing
