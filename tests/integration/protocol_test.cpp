// Issue 2, acceptance point 9: the wire protocol through the proxy (protocol
// errors, inline commands, requests split at every byte, binary safety, 20 MB
// values, half-closes, clients vanishing with requests in flight).
#include <netinet/in.h>
#include <netinet/tcp.h>
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

void set_nodelay(RawConnection& raw) {
  int one = 1;
  ASSERT_EQ(::setsockopt(raw.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
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

}  // namespace
}  // namespace ringproxy::testing::core
