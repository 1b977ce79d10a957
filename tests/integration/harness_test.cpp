// Tests of the integration harness itself. Only ProxyHarness.StartsAndPings
// needs a working ringproxy binary; the others use redis-server, shell
// commands and a stand-in "proxy" so that a harness bug is never mistaken for
// a proxy bug.
#include "harness.hpp"

#include <unistd.h>

#include <csignal>
#include <set>

namespace ringproxy::testing {
namespace {

const Reply kPong = Reply::make_status("PONG");
const Reply kOk = Reply::make_status("OK");

TEST(PortHarness, FreePortsAreDistinctAndBindable) {
  std::set<uint16_t> ports;
  for (int i = 0; i < 20; ++i) {
    uint16_t port = free_port();
    EXPECT_TRUE(port_is_free(port)) << port;
    EXPECT_TRUE(ports.insert(port).second) << "handed out twice: " << port;
  }
}

TEST(RespHarness, FrameLengthHandlesPartialAndNestedReplies) {
  EXPECT_EQ(resp_frame_length("+OK\r\n"), 5u);
  EXPECT_EQ(resp_frame_length("+OK\r"), 0u);
  EXPECT_EQ(resp_frame_length("$3\r\nabc\r\n+X\r\n"), 9u);
  EXPECT_EQ(resp_frame_length("$3\r\nab"), 0u);
  EXPECT_EQ(resp_frame_length("$-1\r\n"), 5u);
  EXPECT_EQ(resp_frame_length("*-1\r\n"), 5u);
  EXPECT_EQ(resp_frame_length("*2\r\n:1\r\n*1\r\n$0\r\n\r\n"), 18u);
  EXPECT_EQ(resp_frame_length("*2\r\n:1\r\n*1\r\n$0\r\n\r"), 0u);
  EXPECT_THROW(resp_frame_length("?x\r\n"), HarnessError);
  EXPECT_THROW(resp_frame_length("$x\r\n"), HarnessError);

  EXPECT_EQ(
      parse_reply("*3\r\n$1\r\na\r\n:7\r\n$-1\r\n"),
      Reply::make_array({Reply::make_string("a"), Reply::make_integer(7), Reply::make_nil()}));
  EXPECT_EQ(parse_reply("-ERR bad\r\n"), Reply::make_error("ERR bad"));
  // RESP3 (a backend after HELLO 3) maps onto the RESP2 types.
  const std::string_view resp3 = "%2\r\n+a\r\n#t\r\n$1\r\nb\r\n~2\r\n_\r\n,1.5\r\n";
  EXPECT_EQ(resp_frame_length(resp3), resp3.size());
  EXPECT_EQ(
      parse_reply(resp3),
      Reply::make_array({Reply::make_status("a"), Reply::make_integer(1), Reply::make_string("b"),
                         Reply::make_array({Reply::make_nil(), Reply::make_string("1.5")})}));
  EXPECT_EQ(parse_reply("=8\r\ntxt:abcd\r\n"), Reply::make_string("abcd"));
  EXPECT_EQ(parse_reply("|1\r\n+k\r\n+v\r\n:5\r\n"), Reply::make_integer(5));
  EXPECT_THROW(parse_reply("+OK\r\n+extra\r\n"), HarnessError);
  EXPECT_EQ(encode_command({"SET", "k", ""}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
}

TEST(CommandHarness, CapturesOutputAndExitCode) {
  CommandResult r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code(), 3);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");

  CommandResult cat = run_command({"cat"}, {.stdin_data = "hello"});
  EXPECT_TRUE(cat.ok()) << cat.describe();
  EXPECT_EQ(cat.out, "hello");

  CommandResult env = run_command({"sh", "-c", "echo $HARNESS_X"}, {.env = {"HARNESS_X=42"}});
  EXPECT_EQ(env.out, "42\n");

  EXPECT_EQ(run_command({"no-such-program-ringproxy"}).exit_code(), 127);
}

TEST(CommandHarness, TimeoutKillsTheProcessGroup) {
  auto start = std::chrono::steady_clock::now();
  // The grandchild `sleep` holds the pipes too; killing the group releases them.
  CommandResult r = run_command({"sh", "-c", "sleep 30 & sleep 30"}, {.timeout = Duration(300)});
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(CommandHarness, ExternalClientsReachRedis) {
  RedisServer server;
  CommandResult cli =
      run_command({"redis-cli", "-h", kLoopback, "-p", std::to_string(server.port()), "PING"},
                  {.timeout = Duration(10000)});
  EXPECT_TRUE(cli.ok()) << cli.describe();
  EXPECT_EQ(cli.out, "PONG\n");

  CommandResult py = run_command(
      {python3_binary(), "-c",
       "import redis, sys; print(redis.Redis(host=\"127.0.0.1\", port=int(sys.argv[1])).ping())",
       std::to_string(server.port())},
      {.timeout = Duration(20000)});
  EXPECT_TRUE(py.ok()) << py.describe();
  EXPECT_EQ(py.out, "True\n");
}

TEST(RedisHarness, TwoServersAnswerIndependently) {
  RedisServer a;
  RedisServer b;
  ASSERT_NE(a.port(), b.port());
  Client ca = a.client();
  Client cb = b.client();
  EXPECT_EQ(ca.command({"PING"}), kPong);
  EXPECT_EQ(cb.command({"PING"}), kPong);
  EXPECT_EQ(ca.command({"SET", "k", "in-a"}), kOk);
  EXPECT_EQ(ca.command({"GET", "k"}), Reply::make_string("in-a"));
  EXPECT_EQ(cb.command({"GET", "k"}), Reply::make_nil());
  EXPECT_TRUE(ca.command({"NOSUCHCOMMAND"}).is_error());
  // The fixed arguments really reached redis-server.
  Reply save = ca.command({"CONFIG", "GET", "save"});
  ASSERT_TRUE(save.is_array()) << save;
  ASSERT_EQ(save.elements.size(), 2u) << save;
  EXPECT_EQ(save.elements[1], Reply::make_string(""));
}

TEST(RedisHarness, ExtraArgsAreApplied) {
  RedisServer server({"--requirepass", "sekret"});
  Client c = server.client();
  EXPECT_TRUE(c.command({"GET", "k"}).is_error());
  EXPECT_EQ(c.command({"AUTH", "sekret"}), kOk);
  EXPECT_EQ(c.command({"GET", "k"}), Reply::make_nil());
}

TEST(RedisHarness, Kill9AndRestartOnTheSamePort) {
  RedisServer server;
  uint16_t port = server.port();
  Client c = server.client();
  ASSERT_EQ(c.command({"SET", "k", "v"}), kOk);

  ExitStatus status = server.kill9();
  EXPECT_FALSE(status.exited);
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_FALSE(server.running());
  EXPECT_THROW(c.command({"PING"}), IoError);
  EXPECT_THROW(Client(port, Duration(500)), IoError);

  server.restart();
  EXPECT_EQ(server.port(), port);
  EXPECT_TRUE(server.running());
  Client fresh = server.client();
  EXPECT_EQ(fresh.command({"PING"}), kPong);
  EXPECT_EQ(fresh.command({"GET", "k"}), Reply::make_nil()) << "no persistence: restart is empty";
  c.reconnect();
  EXPECT_EQ(c.command({"PING"}), kPong);
}

TEST(RedisHarness, SigstopTimesOutAndSigcontResumes) {
  RedisServer server;
  Client c = server.client(Duration(300));
  ASSERT_EQ(c.command({"PING"}), kPong);

  server.sigstop();
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(c.command({"PING"}), TimeoutError);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, Duration(250));
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_FALSE(c.usable());

  server.sigcont();
  c.reconnect();
  EXPECT_EQ(c.command({"PING"}), kPong);
}

TEST(RedisHarness, StopIsGracefulAndIdempotent) {
  RedisServer server;
  ExitStatus first = server.stop();
  EXPECT_TRUE(first.clean()) << first;
  EXPECT_FALSE(first.forced);
  EXPECT_EQ(server.stop().describe(), first.describe());
}

TEST(RedisHarness, StopTerminatesAStoppedServer) {
  RedisServer server;
  server.sigstop();
  ExitStatus status = server.stop(Duration(3000));
  EXPECT_FALSE(status.forced) << status;
}

TEST(ClientHarness, DeepPipelineDoesNotDeadlock) {
  RedisServer server;
  Client c = server.client();
  // ~4 MB of requests and replies: more than the socket buffers hold, so a
  // write-everything-then-read client would stall.
  const std::string value(200, 'x');
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < 20000; ++i) commands.push_back({"SET", "key:" + std::to_string(i), value});
  for (int i = 0; i < 20000; ++i) commands.push_back({"GET", "key:" + std::to_string(i)});
  std::vector<Reply> replies = c.pipeline(commands);
  ASSERT_EQ(replies.size(), commands.size());
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(replies[i], kOk) << i;
  for (int i = 20000; i < 40000; ++i) ASSERT_EQ(replies[i], Reply::make_string(value)) << i;
  // Still usable synchronously afterwards.
  EXPECT_EQ(c.command({"DBSIZE"}), Reply::make_integer(20000));

  c.append({"INCR", "n"});
  c.append({"INCR", "n"});
  EXPECT_EQ(c.get_reply(), Reply::make_integer(1));
  EXPECT_EQ(c.get_reply(), Reply::make_integer(2));
}

TEST(RawHarness, ExactBytesAndSplitFrames) {
  RedisServer server;
  RawConnection raw(server.port(), Duration(3000));
  raw.send("PING\r\n");  // inline command
  EXPECT_EQ(raw.read_reply_bytes(), "+PONG\r\n");

  // One command split across several writes, then two pipelined in one write.
  raw.send("*3\r\n$3\r\nSE");
  raw.send("T\r\n$1\r\nk\r\n$");
  raw.send("2\r\nvv\r\n");
  EXPECT_EQ(raw.read_reply_bytes(), "+OK\r\n");
  raw.send(encode_command({"GET", "k"}) + encode_command({"GET", "missing"}));
  EXPECT_EQ(raw.read_replies_bytes(2), "$2\r\nvv\r\n$-1\r\n");

  raw.send(encode_command({"MGET", "k", "missing"}));
  EXPECT_EQ(raw.read_reply(), Reply::make_array({Reply::make_string("vv"), Reply::make_nil()}));

  EXPECT_EQ(raw.read_available(Duration(100)), "") << "nothing unsolicited";
  raw.send(encode_command({"QUIT"}));
  EXPECT_EQ(raw.read_until_closed(), "+OK\r\n");
}

TEST(RawHarness, ReadTimesOutWhenNothingArrives) {
  RedisServer server;
  RawConnection raw(server.port(), Duration(200));
  raw.send("*2\r\n$3\r\nGET\r\n");  // incomplete: redis waits for more
  EXPECT_THROW(raw.read_reply_bytes(), TimeoutError);
  EXPECT_FALSE(raw.wait_closed(Duration(100)));
  server.kill9();
  EXPECT_TRUE(raw.wait_closed(Duration(2000)));
  EXPECT_THROW(raw.read_reply_bytes(), IoError);
}

// A stand-in for ringproxy: a shell that turns "--listen 127.0.0.1:P" into a
// redis-server on port P. Exercises ProxyProcess and ClusterTest without the
// real proxy.
ProxyOptions fake_proxy_options() {
  ProxyOptions options;
  options.binary = "/bin/sh";
  options.extra_args = {
      "-c",
      "port=${2##*:}; exec redis-server --port \"$port\" --bind 127.0.0.1 --save '' "
      "--appendonly no --dir \"${TMPDIR:-/tmp}\"",
      "fake-ringproxy"};
  return options;
}

TEST(ProxyHarness, EarlyExitIsReportedWithTheLog) {
  ProxyOptions options;
  options.binary = "/bin/sh";
  options.extra_args = {"-c", "echo 'fatal: cannot start' >&2; exit 3", "fake-ringproxy"};
  try {
    ProxyProcess proxy(options);
    FAIL() << "expected a HarnessError";
  } catch (const HarnessError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("exit code 3"), std::string::npos) << what;
    EXPECT_NE(what.find("fatal: cannot start"), std::string::npos) << what;
  }
}

TEST(ProxyHarness, StandInProxyStartsStopsAndRestarts) {
  RedisServer backend;
  ProxyOptions options = fake_proxy_options();
  options.backends = {backend.backend(2, "alpha")};
  ProxyProcess proxy(options);
  ASSERT_GE(proxy.argv().size(), 4u);
  EXPECT_EQ(proxy.argv()[proxy.argv().size() - 4], "--listen");
  EXPECT_EQ(proxy.argv().back(), "127.0.0.1:" + std::to_string(backend.port()) + ":2 alpha");
  EXPECT_EQ(proxy.client().command({"PING"}), kPong);

  proxy.restart();
  EXPECT_EQ(proxy.client().command({"PING"}), kPong);
  EXPECT_EQ(proxy.unexpected_exit(), std::nullopt);

  proxy.signal(SIGKILL);
  ASSERT_TRUE(proxy.wait_exit(Duration(2000)));
  ASSERT_TRUE(proxy.unexpected_exit());
  EXPECT_EQ(proxy.unexpected_exit()->signal, SIGKILL);
}

class StandInClusterTest : public ClusterTest {
 protected:
  size_t backend_count() const override { return 2; }
  uint32_t backend_weight(size_t index) const override { return static_cast<uint32_t>(index + 1); }
  void customize_proxy(ProxyOptions& options) const override {
    ProxyOptions fake = fake_proxy_options();
    options.binary = fake.binary;
    options.extra_args = fake.extra_args;
  }
};

TEST_F(StandInClusterTest, FixtureWiresBackendsAndProxy) {
  ASSERT_EQ(backends_.size(), 2u);
  EXPECT_EQ(backend_addresses()[1].weight, 2u);
  EXPECT_EQ(backend_client(0).command({"SET", "only-on-0", "x"}), kOk);
  EXPECT_EQ(backends_holding("only-on-0"), std::vector<size_t>{0});
  EXPECT_EQ(proxy_client().command({"PING"}), kPong);
  RawConnection raw = proxy_raw();
  raw.send("PING\r\n");
  EXPECT_EQ(raw.read_reply_bytes(), "+PONG\r\n");

  start_proxy();  // restart with the same hooks
  EXPECT_EQ(proxy_client().command({"PING"}), kPong);
}

// Needs the real ringproxy binary (RINGPROXY_BIN): fails until the proxy works.
TEST(ProxyHarness, StartsAndPings) {
  RedisServer a;
  RedisServer b;
  ProxyProcess proxy({a.backend(), b.backend()});
  Client c = proxy.client();
  EXPECT_EQ(c.command({"PING"}), kPong);
  ExitStatus status = proxy.stop();
  EXPECT_TRUE(status.clean() || status.signal == SIGTERM) << status << "\n" << proxy.log_tail();
}

}  // namespace
}  // namespace ringproxy::testing
