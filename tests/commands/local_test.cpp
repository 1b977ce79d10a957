// Local commands: answered by the proxy, in order with the client's other
// replies.
#include "ringproxy/commands/local.hpp"

#include "command_fakes.hpp"

namespace ringproxy::fakes {
namespace {

TEST_F(CommandsTest, PingEchoSelectAndFriends) {
  EXPECT_EQ(call({"PING"}), status("PONG"));
  EXPECT_EQ(call({"ping", "hi"}), bulk("hi"));
  EXPECT_EQ(call({"PING", "a", "b"}), error("ERR wrong number of arguments for 'ping' command"));
  EXPECT_EQ(call({"ECHO", "x y"}), bulk("x y"));
  EXPECT_EQ(call({"SELECT", "0"}), status("OK"));
  EXPECT_EQ(call({"SELECT", "1"}),
            error("ERR ringproxy: only database 0 is available through the proxy"));
  EXPECT_EQ(call({"SELECT", "x"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(call({"READONLY"}), status("OK"));
  EXPECT_EQ(call({"READWRITE"}), status("OK"));
  std::string t = call({"TIME"});
  EXPECT_TRUE(t.starts_with("*2\r\n$")) << t;
  EXPECT_TRUE(port.sent.empty());
  EXPECT_EQ(ctx().counters.local, 10u);
}

TEST_F(CommandsTest, QuitAnswersOkAndClosesAfterTheRepliesDue) {
  send({"GET", "1:k"});
  send({"QUIT"});
  EXPECT_TRUE(client.closing);
  EXPECT_TRUE(client.replies().empty()) << "+OK waits for the GET before it";
  port.answer(1, nil());
  EXPECT_EQ(client.replies(), (std::vector<std::string>{nil(), status("OK")}));
}

TEST_F(CommandsTest, LocalRepliesKeepTheirPlaceInThePipeline) {
  send({"GET", "0:a"});
  send({"ECHO", "second"});
  send({"GET", "1:b"});
  port.answer(1, bulk("third"));
  port.answer(0, bulk("first"));
  EXPECT_EQ(client.replies(),
            (std::vector<std::string>{bulk("first"), bulk("second"), bulk("third")}));
}

TEST_F(CommandsTest, AuthWithoutAPasswordConfigured) {
  EXPECT_EQ(call({"AUTH", "x"}),
            error("ERR AUTH <password> called without any password configured for the default "
                  "user. Are you sure your configuration is correct?"));
  EXPECT_EQ(call({"AUTH", "default", "anything"}), status("OK"));
  EXPECT_EQ(call({"AUTH", "someone", "x"}),
            error("WRONGPASS invalid username-password pair or user is disabled."));
  EXPECT_EQ(call({"AUTH", "a", "b", "c"}), error("ERR syntax error"));
}

class PasswordTest : public CommandsTest {
 protected:
  static CommandOptions with_password() {
    CommandOptions o = defaults();
    o.client_password = "s3cret";
    return o;
  }
  PasswordTest() : CommandsTest(with_password()) {}
  FakeSession stranger{dispatcher.requests(), 8, /*authenticated=*/false};
};

TEST_F(PasswordTest, NothingButAuthHelloAndQuitBeforeAuth) {
  send(stranger, {"GET", "0:k"});
  send(stranger, {"PING"});
  send(stranger, {"MULTI"});
  send(stranger, {"NOSUCH"});
  for (const std::string& r : stranger.replies()) {
    EXPECT_EQ(r, error("NOAUTH Authentication required."));
  }
  EXPECT_TRUE(port.sent.empty());
  send(stranger, {"AUTH", "wrong"});
  EXPECT_EQ(stranger.reply(),
            error("WRONGPASS invalid username-password pair or user is disabled."));
  send(stranger, {"HELLO", "2"});
  EXPECT_TRUE(stranger.reply().starts_with("-NOAUTH HELLO must be called"));
  send(stranger, {"AUTH", "s3cret"});
  EXPECT_EQ(stranger.reply(), status("OK"));
  send(stranger, {"GET", "0:k"});
  EXPECT_EQ(port.sent.size(), 1u);
}

TEST_F(PasswordTest, HelloSetsTheNameOnlyOnceAuthenticated) {
  send(stranger, {"HELLO", "2", "SETNAME", "early"});
  EXPECT_TRUE(stranger.reply().starts_with("-NOAUTH HELLO must be called"));
  EXPECT_EQ(stranger.name(), "");
  send(stranger, {"HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "late"});
  EXPECT_TRUE(stranger.reply().starts_with("*14\r\n"));
  EXPECT_EQ(stranger.name(), "late");
}

TEST_F(PasswordTest, HelloCanAuthenticate) {
  send(stranger, {"HELLO", "2", "AUTH", "default", "nope"});
  EXPECT_EQ(stranger.reply(),
            error("WRONGPASS invalid username-password pair or user is disabled."));
  EXPECT_FALSE(stranger.authenticated());
  send(stranger, {"HELLO", "2", "AUTH", "default", "s3cret"});
  EXPECT_TRUE(stranger.reply().starts_with("*14\r\n"));
  EXPECT_TRUE(stranger.authenticated());
}

TEST_F(CommandsTest, HelloSpeaksResp2Only) {
  std::string r = call({"HELLO"});
  EXPECT_TRUE(r.starts_with("*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n")) << r;
  EXPECT_NE(r.find(bulk("id") + integer(7)), std::string::npos) << r;
  EXPECT_TRUE(call({"HELLO", "2"}).starts_with("*14\r\n"));
  EXPECT_EQ(call({"HELLO", "3"}), error("NOPROTO sorry, this protocol version is not supported."));
  EXPECT_EQ(call({"HELLO", "x"}), error("ERR Protocol version is not an integer or out of range"));
  EXPECT_EQ(call({"HELLO", "2", "BOGUS"}), error("ERR Syntax error in HELLO option 'BOGUS'"));
  EXPECT_TRUE(call({"HELLO", "2", "SETNAME", "app"}).starts_with("*14\r\n"));
  EXPECT_EQ(client.name(), "app");
}

// Issue 15, defect 8: HELLO's SETNAME checks the name as CLIENT SETNAME does;
// a newline in it would forge CLIENT LIST lines.
TEST_F(CommandsTest, HelloSetnameRefusesWhatClientSetnameRefuses) {
  EXPECT_EQ(call({"CLIENT", "SETNAME", "good"}), status("OK"));
  EXPECT_EQ(call({"HELLO", "2", "SETNAME", "x y\nid=1 name=admin"}), error(kInvalidClientName));
  EXPECT_EQ(call({"HELLO", "2", "SETNAME", "bad name"}), error(kInvalidClientName));
  EXPECT_EQ(client.name(), "good") << "a refused name changes nothing";
  proxy.sessions = {&client};
  EXPECT_EQ(call({"CLIENT", "LIST"}),
            bulk("id=7 addr=127.0.0.1:50007 laddr=127.0.0.1:6380 fd=107 name=good age=0 idle=0 "
                 "flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 obl=0 events=r cmd=client|list "
                 "user=default pending=1\n"));
  EXPECT_TRUE(call({"HELLO", "2", "SETNAME", ""}).starts_with("*14\r\n"));
  EXPECT_EQ(client.name(), "");
}

TEST_F(CommandsTest, ClientNameIdAndInfo) {
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), nil());
  EXPECT_EQ(call({"CLIENT", "SETNAME", "worker-1"}), status("OK"));
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), bulk("worker-1"));
  EXPECT_EQ(call({"CLIENT", "SETNAME", "bad name"}), error(kInvalidClientName));
  EXPECT_EQ(call({"CLIENT", "SETNAME", "bad\nname"}), error(kInvalidClientName));
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), bulk("worker-1"));
  EXPECT_EQ(call({"CLIENT", "SETNAME", ""}), status("OK"));
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), nil());
  EXPECT_EQ(call({"CLIENT", "ID"}), integer(7));
  EXPECT_EQ(call({"CLIENT", "SETINFO", "lib-name", "x"}), status("OK"));
  EXPECT_EQ(call({"CLIENT", "REPLY", "ON"}), status("OK"));
  EXPECT_EQ(call({"CLIENT", "REPLY", "OFF"}),
            error("ERR ringproxy: CLIENT reply is not supported through the proxy"));
  EXPECT_EQ(call({"CLIENT", "ID", "extra"}),
            error("ERR ringproxy: CLIENT id is not supported through the proxy"));
}

TEST_F(CommandsTest, ClientListShowsEverySessionAndInfoOnlyItself) {
  FakeSession other(dispatcher.requests(), 12);
  other.set_name("other");
  proxy.now = 5000;
  client.created_ms = 2000;
  proxy.sessions = {&client, &other};
  send(other, {"MULTI"});
  send(other, {"SET", "0:a", "b"});
  other.last_ms = 1000;
  other.cmd = "set";
  EXPECT_EQ(call({"CLIENT", "INFO"}),
            bulk("id=7 addr=127.0.0.1:50007 laddr=127.0.0.1:6380 fd=107 name= age=3 idle=5 "
                 "flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 obl=0 events=r cmd=client|info "
                 "user=default pending=1\n"));
  EXPECT_EQ(call({"CLIENT", "LIST"}),
            bulk("id=7 addr=127.0.0.1:50007 laddr=127.0.0.1:6380 fd=107 name= age=3 idle=5 "
                 "flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 obl=0 events=r cmd=client|list "
                 "user=default pending=1\n"
                 "id=12 addr=127.0.0.1:50012 laddr=127.0.0.1:6380 fd=112 name=other age=5 idle=4 "
                 "flags=x db=0 sub=0 psub=0 multi=1 qbuf=0 obl=14 events=r cmd=set "
                 "user=default pending=0\n"));
  EXPECT_EQ(call({"CLIENT", "NO-EVICT", "on"}), status("OK"));
  EXPECT_EQ(call({"CLIENT", "NO-TOUCH", "OFF"}), status("OK"));
  EXPECT_EQ(call({"CLIENT", "NO-EVICT", "maybe"}), error("ERR syntax error"));
}

TEST_F(CommandsTest, CommandDescribesTheTable) {
  EXPECT_EQ(call({"COMMAND", "COUNT"}), integer(static_cast<long long>(all_commands().size())));
  // With no live backend, DOCS and INFO come from the proxy's table (else
  // from a backend: operator_commands_test.cpp).
  ring.eject(0);
  ring.eject(1);
  ring.eject(2);
  EXPECT_EQ(call({"COMMAND", "INFO", "get", "nosuch"}),
            array({array({bulk("get"), integer(2), array({}), integer(1), integer(1), integer(1),
                          array({}), array({}), array({}), array({})}),
                   "*-1\r\n"}));
  EXPECT_EQ(call({"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"}),
            array({bulk("a"), bulk("b")}));
  EXPECT_EQ(call({"COMMAND", "GETKEYS", "PING"}), error("ERR The command has no key arguments"));
  EXPECT_EQ(call({"COMMAND", "GETKEYS", "NOSUCH"}), error("ERR Invalid command specified"));
  EXPECT_EQ(call({"COMMAND", "DOCS"}), array({}));
  EXPECT_EQ(call({"COMMAND", "NOPE"}), error("ERR unknown subcommand 'NOPE'. Try COMMAND HELP."));
  std::string list = call({"COMMAND", "LIST"});
  EXPECT_TRUE(list.starts_with("*" + std::to_string(all_commands().size()) + "\r\n"));
}

TEST_F(CommandsTest, ConfigGetAnswersWhatTheProxyMatches) {
  proxy.config_hits = {{"maxclients", "10"}, {"save", ""}};
  EXPECT_EQ(call({"CONFIG", "GET", "MAX*", "save"}),
            array({bulk("maxclients"), bulk("10"), bulk("save"), bulk("")}));
  EXPECT_EQ(proxy.config_patterns, (std::vector<std::string>{"MAX*", "save"}));
  proxy.config_hits.clear();
  EXPECT_EQ(call({"config", "get", "nosuch"}), array({}));
  EXPECT_EQ(
      call({"CONFIG", "SET", "save", ""}),
      error("ERR ringproxy: CONFIG set is not supported through the proxy (only CONFIG GET)"));
  EXPECT_EQ(
      call({"CONFIG", "GET"}),
      error("ERR ringproxy: CONFIG get is not supported through the proxy (only CONFIG GET)"));
}

TEST_F(CommandsTest, InfoFormatsTheProxysFactsAndTheCommandCounters) {
  proxy.facts_.tcp_port = 6380;
  proxy.facts_.connected_clients = 2;
  proxy.facts_.hash = "murmur";
  proxy.facts_.distribution = "ketama";
  BackendReport b;
  b.id = 0;
  b.address = "127.0.0.1:7001";
  b.name = "cache-a";
  b.state = "up";
  b.last_error = "connection refused, then: reset";
  proxy.reports = {b};
  ring.eject(2);
  send({"GET", "0:k"});
  port.answer(0, nil());
  client.replies();
  std::string info = call({"INFO"});
  for (std::string_view line :
       {"# Server\r\n", "redis_version:7.0.15\r\n", "tcp_port:6380\r\n", "connected_clients:2\r\n",
        "loading:0\r\n", "role:master\r\n", "# Ringproxy\r\n", "hash:murmur\r\n",
        "distribution:ketama\r\n", "backends:1\r\n", "live_backends:2\r\n",
        "requests_forwarded:1\r\n", "total_commands_processed:2\r\n",
        "backend0:addr=127.0.0.1:7001,name=cache-a,state=up,weight=0,points=0,connections=0,"
        "requests=0,errors=0,timeouts=0,out_of_step=0,ejections=0,restarts=0,inflight=0,"
        "failover_keys=0,last_change_ms=0,keys=-,expires=-,used_memory=-,figures_age_ms=-,"
        "last_error=connection refused  then  reset\r\n",
        "backend_restarts:0\r\n", "backends_with_figures:0\r\n"}) {
    EXPECT_NE(info.find(line), std::string::npos) << line << " in " << info;
  }
  std::string server = call({"INFO", "server"});
  EXPECT_NE(server.find("# Server"), std::string::npos);
  EXPECT_EQ(server.find("# Ringproxy"), std::string::npos);
}

TEST_F(CommandsTest, ProxyNodesListsTheBackends) {
  BackendReport a;
  a.id = 0;
  a.address = "127.0.0.1:7001";
  a.state = "down";
  a.ejections = 1;
  a.restarts = 2;
  a.last_error = "Connection refused";
  BackendReport b = a;
  b.id = 1;
  b.address = "127.0.0.1:7002";
  b.state = "up";
  b.ejections = 0;
  b.restarts = 0;
  b.last_error.clear();
  b.figures_known = true;
  b.keys = 120;
  b.expires = 20;
  b.used_memory = 1032264;
  b.figures_age_ms = 250;
  proxy.reports = {a, b};
  EXPECT_EQ(call({"PROXY", "NODES"}),
            array({bulk("addr=127.0.0.1:7001 name=- state=down weight=0 points=0 connections=0 "
                        "requests=0 errors=0 timeouts=0 out_of_step=0 ejections=1 restarts=2 "
                        "inflight=0 failover_keys=0 "
                        "last_change_ms=0 keys=- expires=- used_memory=- figures_age_ms=- "
                        "last_error=Connection refused"),
                   bulk("addr=127.0.0.1:7002 name=- state=up weight=0 points=0 connections=0 "
                        "requests=0 errors=0 timeouts=0 out_of_step=0 ejections=0 restarts=0 "
                        "inflight=0 failover_keys=0 "
                        "last_change_ms=0 keys=120 expires=20 used_memory=1032264 "
                        "figures_age_ms=250 last_error=-")}));
  EXPECT_TRUE(call({"proxy", "help"}).starts_with("*19\r\n"));
  EXPECT_EQ(call({"PROXY"}),
            error("ERR unknown subcommand or wrong number of arguments for 'proxy|'. Try PROXY "
                  "HELP."));
  EXPECT_EQ(call({"PROXY", "NODES", "x"}),
            error("ERR unknown subcommand or wrong number of arguments for 'proxy|nodes'. Try "
                  "PROXY HELP."));
}

}  // namespace
}  // namespace ringproxy::fakes
