// Dispatcher: the gates every request passes (AUTH, MULTI), the table lookup
// and arity, and the table's rows pointing at their handlers.
#include "command_fakes.hpp"
#include "ringproxy/commands/handlers.hpp"

namespace ringproxy::fakes {
namespace {

TEST(CommandTableHandlers, EveryRowPointsAtAHandlerOfItsKind) {
  for (const CommandInfo& c : all_commands()) {
    SCOPED_TRACE(std::string(c.name));
    ASSERT_NE(c.handler, nullptr);
    const HandlerTraits& t = c.handler->traits();
    // Only keyed kinds and PING/ECHO may wait in a transaction.
    if (t.queueable && !t.keyed) {
      EXPECT_TRUE(c.name == "ping" || c.name == "echo");
    }
  }
  EXPECT_EQ(lookup_command("get")->handler, &handlers::single_key);
  EXPECT_EQ(lookup_command("mget")->handler, &handlers::mget);
  EXPECT_EQ(lookup_command("dbsize")->handler, &handlers::fanout_sum);
  EXPECT_EQ(lookup_command("scan")->handler, &handlers::scan);
  EXPECT_EQ(lookup_command("exec")->handler, &handlers::exec);
  EXPECT_EQ(lookup_command("ping")->handler, &handlers::ping);
  EXPECT_EQ(lookup_command("subscribe")->handler, &handlers::unsupported);
  for (const char* name : {"auth", "hello", "quit"}) {
    EXPECT_TRUE(lookup_command(name)->handler->traits().before_auth) << name;
  }
  for (const char* name : {"multi", "exec", "discard", "quit"}) {
    EXPECT_TRUE(lookup_command(name)->handler->traits().during_multi) << name;
  }
}

TEST_F(CommandsTest, UnknownCommandGetsRedisText) {
  EXPECT_EQ(call({"NOSUCH", "a", "b"}),
            error("ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "));
  EXPECT_EQ(ctx().counters.commands, 1u);
  EXPECT_EQ(ctx().counters.errors, 1u);
}

TEST_F(CommandsTest, WrongArityGetsRedisText) {
  EXPECT_EQ(call({"GET"}), error("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(call({"get", "a", "b"}), error("ERR wrong number of arguments for 'get' command"));
  EXPECT_TRUE(port.sent.empty());
}

TEST_F(CommandsTest, UnsupportedCommandsGetAnErrorNamingThem) {
  EXPECT_EQ(call({"SUBSCRIBE", "ch"}),
            error("ERR ringproxy does not support 'subscribe' (pub/sub, blocking, WATCH and "
                  "server administration commands are not proxied)"));
  EXPECT_TRUE(call({"BLPOP", "k", "0"}).starts_with("-ERR ringproxy does not support 'blpop' "));
  EXPECT_TRUE(port.sent.empty());
}

TEST_F(CommandsTest, InsideMultiEverythingButExecDiscardMultiAndQuitIsQueued) {
  send({"MULTI"});
  send({"PROXY", "NODES"});  // not a table command: refused like an unknown one
  send({"AUTH", "x"});       // a local command that cannot be queued
  std::vector<std::string> r = client.replies();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[1].starts_with("-ERR unknown command 'PROXY'")) << r[1];
  EXPECT_EQ(r[2], error("ERR ringproxy: 'auth' cannot be used inside MULTI"));
}

TEST_F(CommandsTest, StatsCountWhatTheProxyDid) {
  send({"GET", "0:a"});
  send({"MGET", "0:a", "1:b"});
  send({"DBSIZE"});
  send({"PING"});
  const RequestCounters& st = ctx().counters;
  EXPECT_EQ(st.commands, 4u);
  EXPECT_EQ(st.forwarded, 1u);
  EXPECT_EQ(st.split, 1u);
  EXPECT_EQ(st.fanout, 1u);
  EXPECT_EQ(st.local, 1u);
  EXPECT_EQ(ctx().requests.in_use(), 4u);
}

// What each request carries to its backend connection, from the dispatcher's
// per-command facts: the reply kinds its command and options allow (checked
// against the reply), whether it may write, and whether stall detection may
// judge it (@fast and not big).
TEST_F(CommandsTest, RequestsCarryTheirReplyKindsAndFastness) {
  send({"GET", "0:a"});
  send({"SET", "0:a", "v", "NX"});
  send({"SET", "0:a", std::string(2 * 1024 * 1024, 'v')});
  send({"KEYS", "*"});
  ASSERT_GE(port.sent.size(), 4u);
  const Request& get = *port.sent[0].req;
  EXPECT_EQ(get.expect, resp::kBulk | resp::kNilBulk);
  EXPECT_TRUE(get.fast);
  EXPECT_FALSE(get.write);
  const Request& set_nx = *port.sent[1].req;
  EXPECT_EQ(set_nx.expect, resp::kStatus | resp::kNilBulk);
  EXPECT_TRUE(set_nx.fast);
  EXPECT_TRUE(set_nx.write);
  const Request& big_set = *port.sent[2].req;
  EXPECT_EQ(big_set.expect, resp::kStatus);
  EXPECT_FALSE(big_set.fast);  // a big value: not judged by the stall timeout
  EXPECT_EQ(port.sent[3].req->expect, resp::kArray);
  EXPECT_FALSE(port.sent[3].req->fast);
}

}  // namespace
}  // namespace ringproxy::fakes
