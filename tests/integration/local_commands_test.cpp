// Issue 2, acceptance points 5 and 7: the commands the proxy answers itself
// (PING, ECHO, SELECT, QUIT, HELLO, CLIENT, COMMAND, CONFIG GET, INFO, AUTH),
// and unsupported commands.
#include <chrono>
#include <string>
#include <vector>

#include "core_test_util.hpp"

namespace ringproxy::testing::core {
namespace {

using namespace std::string_literals;

// ---------------------------------------------------------------------------
// Point 5: local commands

class CoreLocal : public CoreClusterTest {};

TEST_F(CoreLocal, PingEchoSelectTime) {
  Client c = proxy_client();
  EXPECT_EQ(c.command({"PING"}), status("PONG"));
  EXPECT_EQ(c.command({"ping", "hello world"}), str("hello world"));
  EXPECT_EQ(c.command({"ECHO", all_bytes()}), str(all_bytes()));
  EXPECT_EQ(c.command({"ECHO", ""}), str(""));
  EXPECT_EQ(c.command({"SELECT", "0"}), ok());
  Reply s1 = c.command({"SELECT", "1"});
  EXPECT_TRUE(s1.is_error()) << s1;
  EXPECT_TRUE(c.command({"SELECT", "x"}).is_error());
  EXPECT_EQ(c.command({"PING"}), status("PONG")) << "the connection stays open after SELECT 1";
  EXPECT_EQ(c.command({"SET", "after-select", "v"}), ok());
  EXPECT_EQ(c.command({"GET", "after-select"}), str("v"));

  Reply t = c.command({"TIME"});
  ASSERT_TRUE(t.is_array()) << t;
  ASSERT_EQ(t.elements.size(), 2u);
  long long secs = std::stoll(t.elements[0].str);
  long long usecs = std::stoll(t.elements[1].str);
  EXPECT_LE(std::llabs(secs - static_cast<long long>(std::time(nullptr))), 5);
  EXPECT_GE(usecs, 0);
  EXPECT_LT(usecs, 1000000);
}

TEST_F(CoreLocal, QuitRepliesOkAndIgnoresLaterPipelinedCommands) {
  RawConnection raw = proxy_raw(Duration(5000));
  raw.send(encode_command({"SET", "before-quit", "1"}) + encode_command({"QUIT"}) +
           encode_command({"SET", "after-quit", "1"}) + "PING\r\n");
  EXPECT_EQ(raw.read_until_closed(), "+OK\r\n+OK\r\n");
  Client c = proxy_client();
  EXPECT_EQ(c.command({"GET", "before-quit"}), str("1"));
  EXPECT_EQ(c.command({"EXISTS", "after-quit"}), num(0));

  // Inline QUIT too.
  RawConnection raw2 = proxy_raw(Duration(5000));
  raw2.send("QUIT\r\nSET after-quit 2\r\n");
  EXPECT_EQ(raw2.read_until_closed(), "+OK\r\n");
  EXPECT_EQ(c.command({"EXISTS", "after-quit"}), num(0));
}

TEST_F(CoreLocal, HelloAndClient) {
  Client c = proxy_client();
  auto check_hello = [](const Reply& r) {
    ASSERT_TRUE(r.is_array()) << r;
    ASSERT_EQ(r.elements.size() % 2, 0u) << r;
    std::map<std::string, Reply> m;
    for (size_t i = 0; i < r.elements.size(); i += 2) m[r.elements[i].str] = r.elements[i + 1];
    EXPECT_EQ(m["server"], str("redis"));
    EXPECT_EQ(m["proto"], num(2));
    EXPECT_TRUE(m["version"].is_string());
    EXPECT_TRUE(m["id"].is_integer());
  };
  check_hello(c.command({"HELLO"}));
  check_hello(c.command({"HELLO", "2"}));
  check_hello(c.command({"HELLO", "2", "SETNAME", "via-hello"}));
  EXPECT_EQ(c.command({"CLIENT", "GETNAME"}), str("via-hello"));
  Reply h3 = c.command({"HELLO", "3"});
  EXPECT_TRUE(h3.is_error()) << h3;
  EXPECT_TRUE(c.command({"HELLO", "x"}).is_error());
  EXPECT_EQ(c.command({"PING"}), status("PONG")) << "the connection stays open after HELLO 3";

  Client d = proxy_client();
  EXPECT_EQ(d.command({"CLIENT", "GETNAME"}), nil());
  EXPECT_EQ(d.command({"CLIENT", "SETNAME", "worker-1"}), ok());
  EXPECT_EQ(d.command({"CLIENT", "GETNAME"}), str("worker-1"));
  EXPECT_TRUE(d.command({"CLIENT", "SETNAME", "bad name"}).is_error());
  EXPECT_EQ(d.command({"CLIENT", "GETNAME"}), str("worker-1"));
  EXPECT_EQ(d.command({"CLIENT", "SETINFO", "lib-name", "ringproxy-tests"}), ok());
  EXPECT_EQ(d.command({"CLIENT", "SETINFO", "lib-ver", "1.0"}), ok());
  Reply id1 = c.command({"CLIENT", "ID"});
  Reply id2 = d.command({"CLIENT", "ID"});
  ASSERT_TRUE(id1.is_integer() && id2.is_integer()) << id1 << id2;
  EXPECT_NE(id1.integer, id2.integer);
  EXPECT_EQ(d.command({"CLIENT", "ID"}), id2) << "stable per connection";
  EXPECT_EQ(c.command({"CLIENT", "GETNAME"}), str("via-hello")) << "names are per connection";

  // Names behave as on a plain redis-server.
  RedisServer plain;
  Client p = plain.client();
  Client e = proxy_client();
  compare_steps(e, p,
                exact({{"CLIENT", "GETNAME"},
                       {"CLIENT", "SETNAME", "worker"},
                       {"CLIENT", "GETNAME"},
                       {"CLIENT", "SETNAME", "bad name"},
                       {"CLIENT", "SETNAME", "bad\nname"},
                       {"CLIENT", "GETNAME"},
                       {"CLIENT", "SETNAME", ""},
                       {"CLIENT", "GETNAME"},
                       {"ECHO", "x"},
                       {"SELECT", "0"},
                       {"SELECT", "x"},
                       {"CONFIG", "GET", "nosuchparameter"}}));
}

TEST_F(CoreLocal, CommandInfoConfigGet) {
  Client c = proxy_client();
  Reply all = c.command({"COMMAND"});
  ASSERT_TRUE(all.is_array()) << all;
  EXPECT_GT(all.elements.size(), 150u);
  EXPECT_EQ(c.command({"COMMAND", "COUNT"}), num(static_cast<long long>(all.elements.size())));
  Reply get = c.command({"COMMAND", "INFO", "get"});
  ASSERT_TRUE(get.is_array()) << get;
  ASSERT_EQ(get.elements.size(), 1u);
  ASSERT_TRUE(get.elements[0].is_array()) << get;
  ASSERT_GE(get.elements[0].elements.size(), 6u);
  EXPECT_EQ(get.elements[0].elements[0], str("get"));
  EXPECT_EQ(get.elements[0].elements[1], num(2));
  EXPECT_EQ(get.elements[0].elements[3], num(1));
  EXPECT_EQ(get.elements[0].elements[4], num(1));
  EXPECT_EQ(get.elements[0].elements[5], num(1));
  Reply two = c.command({"COMMAND", "INFO", "mset", "nosuchcommand"});
  ASSERT_TRUE(two.is_array()) << two;
  ASSERT_EQ(two.elements.size(), 2u);
  EXPECT_EQ(two.elements[0].elements.at(1), num(-3));
  EXPECT_EQ(two.elements[1], nil());
  // All of Redis's docs (a backend's) nest deeper than hiredis parses (7).
  RawConnection raw = proxy_raw();
  raw.send(encode_command({"COMMAND", "DOCS"}));
  const std::string docs = raw.read_reply_bytes();
  EXPECT_EQ(docs.front(), '*');
  EXPECT_GT(docs.size(), 10000u);
  EXPECT_TRUE(c.command({"COMMAND", "DOCS", "get"}).is_array());

  EXPECT_EQ(c.command({"CONFIG", "GET", "save"}), arr({str("save"), str("")}));
  EXPECT_EQ(c.command({"CONFIG", "GET", "appendonly"}), arr({str("appendonly"), str("no")}));
  Reply both = c.command({"CONFIG", "GET", "save", "appendonly"});
  EXPECT_EQ(both.elements.size(), 4u) << both;
  EXPECT_EQ(c.command({"CONFIG", "GET", "nosuchparameter"}), arr({}));
  EXPECT_TRUE(c.command({"CONFIG", "SET", "save", ""}).is_error());
  EXPECT_EQ(c.command({"PING"}), status("PONG"));
}

TEST_F(CoreLocal, Info) {
  Client c = proxy_client();
  // Some traffic, so the per-backend counters have something to show.
  for (int i = 0; i < 20; ++i) c.command({"SET", "info:" + std::to_string(i), "v"});
  Reply info = c.command({"INFO"});
  ASSERT_TRUE(info.is_string()) << info;
  const std::string& text = info.str;
  EXPECT_TRUE(contains(text, "# Server\r\n")) << text;
  EXPECT_FALSE(info_field(text, "redis_version").empty()) << text;
  EXPECT_EQ(info_field(text, "loading"), "0") << text;
  EXPECT_TRUE(contains(text, "# Ringproxy\r\n")) << text;
  for (size_t b = 0; b < 3; ++b) {
    std::string line = info_field(text, "backend" + std::to_string(b));
    EXPECT_TRUE(contains(line, "127.0.0.1:" + std::to_string(backend(b).port()))) << line;
    EXPECT_TRUE(contains(line, "state=up")) << line;
  }
  Reply server = c.command({"INFO", "server"});
  ASSERT_TRUE(server.is_string());
  EXPECT_TRUE(contains(server.str, "redis_version:"));
  EXPECT_FALSE(contains(server.str, "# Ringproxy"));
  Reply all = c.command({"INFO", "all"});
  EXPECT_TRUE(contains(all.str, "# Ringproxy"));
  EXPECT_EQ(info_field(c.command({"INFO", "persistence"}).str, "loading"), "0");
}

TEST_F(CoreLocal, AuthWithoutPasswordConfigured) {
  Client c = proxy_client();
  Reply r = c.command({"AUTH", "whatever"});
  EXPECT_TRUE(r.is_error()) << r;
  // The same session against a redis-server without a password.
  RedisServer plain;
  Client p = plain.client();
  EXPECT_EQ(r, p.command({"AUTH", "whatever"})) << "same text as Redis";
  compare_steps(c, p,
                {{{"AUTH", "default", "anything"}},
                 {{"AUTH", "someone", "x"}},
                 {{"AUTH", "a", "b", "c"}},
                 {{"HELLO", "2", "AUTH", "someone", "x"}},
                 {{"HELLO", "2", "AUTH", "default", "x"}, Norm::kSameType},
                 {{"GET", "k"}}});
}

class CoreAuth : public CoreClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override { return {"--client-password", "s3cret"}; }
};

TEST_F(CoreAuth, ClientPassword) {
  // The same session against a redis-server with requirepass: same replies.
  RedisServer reference({"--requirepass", "s3cret"});
  Client c = proxy_client();
  Client r = reference.client();
  std::vector<Step> steps = exact({
      {"GET", "k"},
      {"SET", "k", "v"},
      {"PING"},
      {"AUTH", "wrong"},
      {"AUTH", "someone", "s3cret"},
      {"GET", "k"},
      {"HELLO", "2"},
      {"HELLO", "2", "AUTH", "default", "wrong"},
      {"GET", "k"},
      {"AUTH", "s3cret"},
      {"SET", "k", "v"},
      {"GET", "k"},
      {"AUTH", "wrong"},  // a failed AUTH does not log an authenticated client out
      {"GET", "k"},
      {"AUTH", "default", "s3cret"},
      {"PING"},
  });
  compare_steps(c, r, steps);
  EXPECT_TRUE(c.command({"GET", "nokey"}).is_nil());
  Reply noauth = Client(proxy().port()).command({"GET", "k"});
  EXPECT_TRUE(noauth.is_error() && noauth.str.starts_with("NOAUTH")) << noauth;

  Client d = proxy_client();
  EXPECT_TRUE(d.command({"GET", "k"}).str.starts_with("NOAUTH")) << "per connection";
  EXPECT_EQ(d.command({"AUTH", "default", "s3cret"}), ok());
  EXPECT_EQ(d.command({"GET", "k"}), str("v"));

  Client e = proxy_client();
  Reply hello = e.command({"HELLO", "2", "AUTH", "default", "s3cret"});
  EXPECT_TRUE(hello.is_array()) << hello;
  EXPECT_EQ(e.command({"GET", "k"}), str("v"));
  // The backends never saw the password (nothing to check there) and the
  // data really went through.
  EXPECT_EQ(backends_holding("k").size(), 1u);
}

// ---------------------------------------------------------------------------
// Point 7: unsupported commands

TEST_F(CoreLocal, UnsupportedCommandsGetAnErrorAndTheConnectionStaysOpen) {
  const std::vector<Cmd> unsupported = {
      {"SUBSCRIBE", "ch"},
      {"PSUBSCRIBE", "c*"},
      {"UNSUBSCRIBE"},
      {"PUBLISH", "ch", "m"},
      {"BLPOP", "l", "0"},
      {"BRPOP", "l", "0"},
      {"BLMOVE", "a", "b", "LEFT", "LEFT", "0"},
      {"BZPOPMIN", "z", "0"},
      {"WATCH", "k"},
      {"UNWATCH"},
      {"MONITOR"},
      {"SHUTDOWN"},
      {"SAVE"},
      {"BGSAVE"},
      {"DEBUG", "SLEEP", "0"},
      {"MOVE", "k", "1"},
      {"SWAPDB", "0", "1"},
      {"REPLICAOF", "no", "one"},
      {"CLUSTER", "INFO"},
  };
  RawConnection raw = proxy_raw(Duration(5000));
  std::string out;
  for (const Cmd& cmd : unsupported) out += encode_command(cmd) + encode_command({"PING", cmd[0]});
  out += encode_command({"SET", "still", "here"});
  raw.send(out);
  for (const Cmd& cmd : unsupported) {
    Reply r = raw.read_reply();
    std::string lowered = cmd[0];
    for (char& ch : lowered) ch = static_cast<char>(std::tolower(ch));
    EXPECT_TRUE(r.is_error() && r.str.starts_with("ERR")) << join(cmd) << " -> " << r;
    EXPECT_TRUE(contains(r.str, lowered) || contains(r.str, cmd[0])) << join(cmd) << " -> " << r;
    EXPECT_EQ(raw.read_reply(), str(cmd[0])) << "pipelined PING after " << join(cmd);
  }
  EXPECT_EQ(raw.read_reply(), ok());
  EXPECT_EQ(raw.read_available(Duration(50)), "");
  EXPECT_FALSE(raw.wait_closed(Duration(50)));
  raw.send("PING\r\n");
  EXPECT_EQ(raw.read_reply_bytes(), "+PONG\r\n");
  // Nothing reached the backends: they are all still up and nothing moved.
  for (size_t b = 0; b < 3; ++b) EXPECT_EQ(backend_client(b).command({"PING"}), status("PONG"));
  EXPECT_EQ(proxy_client().command({"GET", "still"}), str("here"));
}

}  // namespace
}  // namespace ringproxy::testing::core
