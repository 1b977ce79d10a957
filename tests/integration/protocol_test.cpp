// Issue 2, acceptance points 5, 7 and 9: the commands the proxy answers
// itself, unsupported commands, and the wire protocol (errors, limits, inline
// commands, requests split at every byte, binary safety, 20 MB values), and a
// proxy out of file descriptors.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

#include "core_test_util.hpp"

namespace ringproxy::testing::core {
namespace {

using namespace std::string_literals;

std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

void set_nodelay(RawConnection& raw) {
  int one = 1;
  ASSERT_EQ(::setsockopt(raw.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
}

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

// ---------------------------------------------------------------------------
// Point 9: the protocol

class CoreProtocol : public CoreClusterTest {};

// Sends `bytes` to the proxy and to a plain redis-server; both must answer
// the same bytes and then close.
void expect_same_protocol_error(uint16_t proxy_port, uint16_t redis_port, const std::string& bytes,
                                const std::string& expected) {
  RawConnection p(proxy_port, Duration(5000));
  RawConnection r(redis_port, Duration(5000));
  p.send(bytes);
  r.send(bytes);
  std::string from_proxy = p.read_until_closed();
  std::string from_redis = r.read_until_closed();
  EXPECT_EQ(from_proxy, expected) << "request: " << ::testing::PrintToString(bytes);
  EXPECT_EQ(from_redis, expected) << "redis itself: " << ::testing::PrintToString(bytes);
}

TEST_F(CoreProtocol, ProtocolErrorsReplyThenClose) {
  RedisServer plain;
  const std::string set = encode_command({"SET", "pe", "1"});
  expect_same_protocol_error(proxy().port(), plain.port(), "*abc\r\n",
                             "-ERR Protocol error: invalid multibulk length\r\n");
  expect_same_protocol_error(proxy().port(), plain.port(), "*1\r\n$abc\r\n",
                             "-ERR Protocol error: invalid bulk length\r\n");
  expect_same_protocol_error(proxy().port(), plain.port(), "*1\r\n$-5\r\n",
                             "-ERR Protocol error: invalid bulk length\r\n");
  expect_same_protocol_error(proxy().port(), plain.port(), "*2\r\n$3\r\nGET\r\nxyz\r\n",
                             "-ERR Protocol error: expected '$', got 'x'\r\n");
  // Earlier pipelined requests are answered first; later ones never run.
  expect_same_protocol_error(proxy().port(), plain.port(),
                             "PING\r\n" + set + "*1\r\n$x\r\n" + encode_command({"SET", "pe", "2"}),
                             "+PONG\r\n+OK\r\n-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_EQ(proxy_client().command({"GET", "pe"}), str("1"));
  expect_same_protocol_error(proxy().port(), plain.port(), "SET k \"unbalanced\r\n",
                             "-ERR Protocol error: unbalanced quotes in request\r\n");

  // A slow error: the bad byte arrives in a later write.
  RawConnection raw = proxy_raw(Duration(5000));
  raw.send(encode_command({"GET", "pe"}) + "*2\r\n$3\r\nGET\r\n");
  EXPECT_EQ(raw.read_reply_bytes(), "$1\r\n1\r\n");
  raw.send("!");
  EXPECT_EQ(raw.read_until_closed(), "-ERR Protocol error: expected '$', got '!'\r\n");
}

TEST_F(CoreProtocol, InlineCommands) {
  RawConnection raw = proxy_raw(Duration(5000));
  raw.send("PING\r\n");
  EXPECT_EQ(raw.read_reply_bytes(), "+PONG\r\n");
  raw.send("SET k \"a b\"\r\n");
  EXPECT_EQ(raw.read_reply_bytes(), "+OK\r\n");
  raw.send("GET k\n");
  EXPECT_EQ(raw.read_reply_bytes(), "$3\r\na b\r\n");
  raw.send("SET 'sq key' \"x\\r\\ny\\x41\"\r\n\r\n   \r\nGET 'sq key'\r\n");
  EXPECT_EQ(raw.read_replies_bytes(2), "+OK\r\n$5\r\nx\r\nyA\r\n");
  raw.send("MGET k 'sq key' missing\r\n");
  EXPECT_EQ(raw.read_reply(), arr({str("a b"), str("x\r\nyA"), nil()}));
  // Empty multibulks and blank lines are ignored, as by Redis.
  raw.send("*0\r\n*-1\r\n\r\n  \r\nPING\r\n");
  EXPECT_EQ(raw.read_reply_bytes(), "+PONG\r\n");
  raw.send("ECHO hello\r\nPING there\r\n");
  EXPECT_EQ(raw.read_replies_bytes(2), "$5\r\nhello\r\n$5\r\nthere\r\n");
  EXPECT_EQ(proxy_client().command({"GET", "k"}), str("a b"));
}

TEST_F(CoreProtocol, PipelineSentOneByteAtATime) {
  const std::string bin = "bin\r\nkey\0\xff"s;
  std::vector<std::pair<std::string, std::string>> exchange = {
      {encode_command({"SET", "b1", "v1"}), "+OK\r\n"},
      {encode_command({"SET", bin, "x\r\ny"}), "+OK\r\n"},
      {"PING\r\n", "+PONG\r\n"},
      {encode_command({"GET", "b1"}), "$2\r\nv1\r\n"},
      {encode_command({"GET", bin}), "$4\r\nx\r\ny\r\n"},
      {encode_command({"MSET", "b2", "two", "b3", "three", "b4", "four"}), "+OK\r\n"},
      {encode_command({"MGET", "b4", "nope", "b2", "b3", "b1"}),
       "*5\r\n$4\r\nfour\r\n$-1\r\n$3\r\ntwo\r\n$5\r\nthree\r\n$2\r\nv1\r\n"},
      {"ECHO split\r\n", "$5\r\nsplit\r\n"},
      {encode_command({"DEL", "b1", "b2", "b3", "b4", "nope"}), ":4\r\n"},
      {encode_command({"INCR", "b5"}), ":1\r\n"},
      {encode_command({"NOSUCH"}), "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"},
      {encode_command({"GET", std::string(300, 'L')}), "$-1\r\n"},
  };
  std::string request, expected;
  for (const auto& [req, rep] : exchange) {
    request += req;
    expected += rep;
  }
  RawConnection raw = proxy_raw(Duration(10000));
  set_nodelay(raw);
  for (char ch : request) raw.send(std::string_view(&ch, 1));
  EXPECT_EQ(raw.read_replies_bytes(exchange.size()), expected);

  // And the same pipeline split at every possible point into two writes.
  for (size_t cut = 1; cut < request.size(); cut += 7) {
    RawConnection r2 = proxy_raw(Duration(10000));
    set_nodelay(r2);
    r2.send(std::string_view(request).substr(0, cut));
    r2.send(std::string_view(request).substr(cut));
    std::string got = r2.read_replies_bytes(exchange.size());
    // INCR b5 counts up on every run.
    std::string want = expected;
    size_t at = want.find(":1\r\n-ERR");
    want.replace(at, 2, ":" + std::to_string(2 + cut / 7));
    ASSERT_EQ(got, want) << "cut at " << cut;
  }
}

TEST_F(CoreProtocol, BinarySafeKeysAndValues) {
  Client c = proxy_client();
  const std::string bytes = all_bytes();
  std::string value;
  for (int i = 0; i < 40; ++i) value += bytes;
  value += "\r\n$5\r\n*1\r\n";
  std::vector<std::string> keys = {
      bytes,  "key\r\nwith\r\ncrlf", std::string("\0", 1), std::string("a\0b", 3),
      "\r\n", "*1\r\n$4\r\nPING\r\n"};
  // Plus one binary key on each backend, so the MGET below is split.
  for (const auto& names : names_per_backend(std::string("\0\r\n\xff*$", 6))) {
    keys.push_back(names.at(0));
  }
  for (const auto& k : keys) EXPECT_EQ(c.command({"SET", k, value + k}), ok());
  for (const auto& k : keys) EXPECT_EQ(c.command({"GET", k}), str(value + k));
  Cmd mget = {"MGET"};
  std::vector<Reply> want;
  for (const auto& k : keys) {
    mget.push_back(k);
    want.push_back(str(value + k));
  }
  EXPECT_EQ(c.command(mget), arr(want));
  // The keys are stored byte for byte on the backends.
  std::set<size_t> used;
  for (const auto& k : keys) {
    std::vector<size_t> h = backends_holding(k);
    ASSERT_EQ(h.size(), 1u) << ::testing::PrintToString(k);
    EXPECT_EQ(backend_client(h[0]).command({"GET", k}), str(value + k));
    used.insert(h[0]);
  }
  EXPECT_EQ(used.size(), 3u);
  EXPECT_EQ(c.command({"HSET", "h" + bytes, bytes, bytes}), num(1));
  EXPECT_EQ(c.command({"HGET", "h" + bytes, bytes}), str(bytes));
  EXPECT_EQ(c.command({"HGETALL", "h" + bytes}), arr({str(bytes), str(bytes)}));
  Cmd del = {"DEL"};
  del.insert(del.end(), keys.begin(), keys.end());
  EXPECT_EQ(c.command(del), num(static_cast<long long>(keys.size())));
}

TEST_F(CoreProtocol, TwentyMegabyteValues) {
  auto [k1, k2] = names_on_two_backends("huge");
  std::string v1(20 * 1024 * 1024, 'a');
  for (size_t i = 0; i < v1.size(); i += 4093) v1[i] = static_cast<char>('A' + i % 26);
  std::string v2 = v1;
  std::reverse(v2.begin(), v2.end());
  Client c = proxy_client(Duration(60000));
  ASSERT_EQ(c.command({"SET", k1, v1}), ok());
  ASSERT_EQ(c.command({"SET", k2, v2}), ok());
  Reply g = c.command({"GET", k1});
  ASSERT_TRUE(g.is_string());
  EXPECT_TRUE(g.str == v1) << "GET of a 20 MB value differs";
  EXPECT_EQ(c.command({"STRLEN", k2}), num(static_cast<long long>(v2.size())));
  Reply m = c.command({"MGET", k1, "missing", k2});
  ASSERT_TRUE(m.is_array());
  ASSERT_EQ(m.elements.size(), 3u);
  EXPECT_TRUE(m.elements[0].str == v1) << "MGET element 0 differs";
  EXPECT_EQ(m.elements[1], nil());
  EXPECT_TRUE(m.elements[2].str == v2) << "MGET element 2 differs";
  EXPECT_NE(backends_holding(k1), backends_holding(k2));
  EXPECT_EQ(c.command({"PING"}), status("PONG"));
}

TEST_F(CoreProtocol, QuitAndHalfCloseFlushEarlierReplies) {
  // A big reply from a backend is still in flight when QUIT is read: it goes
  // out in full, then +OK, then the close.
  const std::string big(3 * 1024 * 1024, 'z');
  Client c = proxy_client();
  ASSERT_EQ(c.command({"SET", "bigq", big}), ok());
  RawConnection raw = proxy_raw(Duration(10000));
  raw.send(encode_command({"GET", "bigq"}) + encode_command({"MGET", "bigq", "x", "bigq"}) +
           encode_command({"QUIT"}) + encode_command({"DEL", "bigq"}));
  const std::string bulk = "$" + std::to_string(big.size()) + "\r\n" + big + "\r\n";
  std::string got = raw.read_until_closed();
  EXPECT_TRUE(got == bulk + "*3\r\n" + bulk + "$-1\r\n" + bulk + "+OK\r\n")
      << "got " << got.size() << " bytes";
  EXPECT_EQ(c.command({"EXISTS", "bigq"}), num(1));

  // The client shuts down its write side after a pipeline (printf ... | nc):
  // every request is still answered, then the proxy closes.
  RawConnection half = proxy_raw(Duration(10000));
  std::string pipeline, expected;
  for (int i = 0; i < 200; ++i) {
    pipeline += encode_command({"INCR", "half:" + std::to_string(i % 7)});
    expected += ":" + std::to_string(i / 7 + 1) + "\r\n";
  }
  pipeline += encode_command({"MGET", "half:0", "half:6"});
  expected += "*2\r\n$2\r\n29\r\n$2\r\n28\r\n";
  half.send(pipeline);
  half.shutdown_write();
  EXPECT_EQ(half.read_until_closed(), expected);
}

TEST_F(CoreProtocol, ClientsVanishingWithRequestsInFlight) {
  // Clients that close with replies (including split ones) still pending
  // must not disturb the proxy or anybody else.
  Client c = proxy_client();
  const std::string value(1000, 'v');
  Cmd mset = {"MSET"};
  for (int i = 0; i < 30; ++i) {
    mset.push_back("gone:" + std::to_string(i));
    mset.push_back(value);
  }
  ASSERT_EQ(c.command(mset), ok());
  Cmd mget = mset;
  mget.erase(mget.begin());
  mget.erase(std::remove(mget.begin(), mget.end(), value), mget.end());
  mget.insert(mget.begin(), "MGET");
  std::string burst;
  for (int i = 0; i < 200; ++i) {
    burst += encode_command(mget) + encode_command({"INCR", "gone:n"}) +
             encode_command({"GET", "gone:" + std::to_string(i % 30)});
  }
  for (int round = 0; round < 12; ++round) {
    RawConnection raw = proxy_raw(Duration(5000));
    raw.send(burst);
    if (round % 2 == 0) raw.read_reply_bytes();  // some read a little first
    raw.close();
  }
  // Everything sent was either executed or not; the proxy is fine and the
  // INCRs that ran were each counted once.
  EXPECT_TRUE(c.command({"GET", "gone:n"}).is_string());
  Reply all = c.command(mget);
  ASSERT_TRUE(all.is_array()) << all;
  EXPECT_EQ(all.elements.size(), 30u);
  for (const Reply& r : all.elements) EXPECT_EQ(r, str(value));
  EXPECT_EQ(c.command({"PING"}), status("PONG"));
}

// Each test starts its proxy with its own limits.
class CoreLimits : public CoreClusterTest {
 protected:
  bool start_proxy_in_setup() const override { return false; }
};

TEST_F(CoreLimits, BulkArgsAndInlineLimits) {
  start_proxy({"--max-bulk-len", "1000", "--max-args", "10", "--max-inline-len", "100"});
  {  // At the limits: fine.
    Client c = proxy_client();
    EXPECT_EQ(c.command({"SET", "k", std::string(1000, 'v')}), ok());
    EXPECT_EQ(c.command({"DEL", "a", "b", "c", "d", "e", "f", "g", "h", "k"}), num(1));
    RawConnection raw = proxy_raw(Duration(5000));
    // At most max-inline-len bytes before the '\n', the '\r' included.
    raw.send("ECHO " + std::string(94, 'i') + "\r\n");
    EXPECT_EQ(raw.read_reply(), str(std::string(94, 'i')));
  }
  struct Case {
    std::string bytes;
    std::string error;
  };
  const std::vector<Case> cases = {
      {encode_command({"SET", "k", std::string(1001, 'v')}),
       "-ERR Protocol error: invalid bulk length\r\n"},
      {encode_command({"DEL", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}),
       "-ERR Protocol error: invalid multibulk length\r\n"},
      {"ECHO " + std::string(200, 'i') + "\r\n", "-ERR Protocol error: too big inline request\r\n"},
      {std::string(300, 'i'), "-ERR Protocol error: too big inline request\r\n"},
  };
  for (const Case& k : cases) {
    RawConnection raw = proxy_raw(Duration(5000));
    raw.send("PING\r\n" + k.bytes);
    EXPECT_EQ(raw.read_until_closed(), "+PONG\r\n" + k.error)
        << ::testing::PrintToString(k.bytes.substr(0, 40));
  }
  EXPECT_EQ(proxy_client().command({"EXISTS", "k"}), num(0));
}

TEST_F(CoreLimits, QueryBufferLimit) {
  start_proxy({"--query-buffer-limit", "65536"});
  RawConnection raw = proxy_raw(Duration(5000));
  raw.send("PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1000000\r\n");
  EXPECT_EQ(raw.read_reply_bytes(), "+PONG\r\n");
  // Unparsed input beyond the limit: error, close. The proxy may close
  // while we still write, so send errors are fine.
  try {
    std::string chunk(16384, 'q');
    for (int i = 0; i < 16 && !raw.wait_closed(Duration(0)); ++i) raw.send(chunk);
  } catch (const IoError&) {
  }
  std::string rest = raw.wait_closed(Duration(5000)) ? raw.buffered() : "(still open)";
  EXPECT_TRUE(contains(rest, "-ERR Protocol error:")) << ::testing::PrintToString(rest);
  EXPECT_TRUE(contains(rest, "query buffer")) << ::testing::PrintToString(rest);
  EXPECT_EQ(proxy_client().command({"EXISTS", "q"}), num(0));
}

// Lowers this process's soft descriptor limit while in scope; children
// started meanwhile keep the lower one.
class ScopedFdLimit {
 public:
  explicit ScopedFdLimit(rlim_t soft) {
    if (::getrlimit(RLIMIT_NOFILE, &saved_) != 0) throw HarnessError("getrlimit failed");
    rlimit lower = saved_;
    lower.rlim_cur = soft;
    if (::setrlimit(RLIMIT_NOFILE, &lower) != 0) throw HarnessError("setrlimit failed");
  }
  ~ScopedFdLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  ScopedFdLimit(const ScopedFdLimit&) = delete;
  ScopedFdLimit& operator=(const ScopedFdLimit&) = delete;

 private:
  rlimit saved_{};
};

// Past its descriptor limit the proxy closes each connection it cannot take
// (the client sees a close, never a hang, and the listener does not spin),
// counts it in INFO, and serves new clients again once others leave.
TEST_F(CoreLimits, OutOfDescriptorsClosesNewClientsAndRecovers) {
  {
    ScopedFdLimit limit(64);  // the proxy's own sockets and files take about 20
    start_proxy();
  }
  constexpr int kClients = 100;
  std::vector<RawConnection> served;
  int dropped = 0;
  for (int i = 0; i < kClients; ++i) {
    RawConnection raw = proxy_raw(Duration(5000));
    raw.send("PING\r\n");
    try {
      EXPECT_EQ(raw.read_reply_bytes(), "+PONG\r\n");
      served.push_back(std::move(raw));
    } catch (const TimeoutError& e) {
      FAIL() << "client " << i << " neither served nor closed: " << e.what();
    } catch (const IoError&) {
      dropped++;  // closed (or reset) by the proxy
    }
  }
  EXPECT_GE(served.size(), 20u);
  EXPECT_GE(dropped, 1);
  EXPECT_EQ(static_cast<int>(served.size()) + dropped, kClients);

  // Once the served clients leave, new ones are served again.
  served.clear();
  std::string info;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);;) {
    try {
      info = proxy_client(Duration(2000)).command({"INFO"}).str;
      break;
    } catch (const IoError&) {
      // The proxy had not seen every close yet, so it dropped this one too.
      dropped++;
      if (std::chrono::steady_clock::now() > deadline) FAIL() << "not serving after clients left";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_EQ(info_field(info, "rejected_connections"), std::to_string(dropped));
  EXPECT_TRUE(contains(proxy_->log(), "client connection dropped")) << proxy_->log_tail();
}

}  // namespace
}  // namespace ringproxy::testing::core
