// What an operator types at the proxy (issue 18): CLIENT KILL in both of
// Redis's forms, PROXY WHERE and PROXY HELP, and COMMAND DOCS / COMMAND INFO
// passed through from a backend.
#include "command_fakes.hpp"
#include "ringproxy/commands/local.hpp"

namespace ringproxy::fakes {
namespace {

class OperatorCommands : public CommandsTest {
 protected:
  OperatorCommands() {
    other.created_ms = 0;
    proxy.now = 10000;
    client.created_ms = 9000;
    proxy.sessions = {&client, &other, &third};
  }
  FakeSession other{dispatcher.requests(), 12};
  FakeSession third{dispatcher.requests(), 13};
};

TEST_F(OperatorCommands, ClientKillByAddressIsTheOldForm) {
  EXPECT_EQ(call({"CLIENT", "KILL", "127.0.0.1:50012"}), status("OK"));
  EXPECT_EQ(proxy.killed, (std::vector<uint64_t>{12}));
  EXPECT_EQ(call({"CLIENT", "KILL", "127.0.0.1:1"}), error("ERR No such client"));
  EXPECT_FALSE(client.closing);
  // Naming itself: the reply goes out, then the connection closes.
  EXPECT_EQ(call({"CLIENT", "KILL", "127.0.0.1:50007"}), status("OK"));
  EXPECT_TRUE(client.closing);
  EXPECT_EQ(proxy.killed.size(), 1u);
}

TEST_F(OperatorCommands, ClientKillFiltersAllMatchAndSkipTheCallerByDefault) {
  EXPECT_EQ(call({"CLIENT", "KILL", "ID", "13"}), integer(1));
  EXPECT_EQ(proxy.killed, (std::vector<uint64_t>{13}));
  proxy.killed.clear();
  EXPECT_EQ(call({"CLIENT", "KILL", "ID", "13", "ADDR", "127.0.0.1:50012"}), integer(0));
  EXPECT_EQ(call({"CLIENT", "KILL", "LADDR", "127.0.0.1:6380"}), integer(2));
  EXPECT_EQ(proxy.killed, (std::vector<uint64_t>{12, 13}));
  EXPECT_FALSE(client.closing);
  proxy.killed.clear();
  EXPECT_EQ(call({"CLIENT", "KILL", "TYPE", "pubsub"}), integer(0));
  EXPECT_EQ(call({"CLIENT", "KILL", "MAXAGE", "5", "USER", "default"}), integer(2));
  EXPECT_EQ(proxy.killed, (std::vector<uint64_t>{12, 13}));
  EXPECT_FALSE(client.closing) << "the caller is 1 s old and skipped anyway";
  EXPECT_EQ(call({"CLIENT", "KILL", "ID", "7", "SKIPME", "no"}), integer(1));
  EXPECT_TRUE(client.closing);
}

TEST_F(OperatorCommands, ClientKillErrorsAreRedisTexts) {
  // Three arguments are the old form, whatever they say (as in Redis).
  EXPECT_EQ(call({"CLIENT", "KILL", "ID"}), error("ERR No such client"));
  EXPECT_EQ(call({"CLIENT", "KILL", "ID", "1", "SKIPME"}), error("ERR syntax error"));
  EXPECT_EQ(call({"CLIENT", "KILL", "ID", "x"}),
            error("ERR value is not an integer or out of range"));
  EXPECT_EQ(call({"CLIENT", "KILL", "ID", "0"}), error("ERR client-id should be greater than 0"));
  EXPECT_EQ(call({"CLIENT", "KILL", "TYPE", "odd"}), error("ERR Unknown client type 'odd'"));
  EXPECT_EQ(call({"CLIENT", "KILL", "USER", "bob"}), error("ERR No such user 'bob'"));
  EXPECT_EQ(call({"CLIENT", "KILL", "SKIPME", "maybe"}), error("ERR syntax error"));
  EXPECT_EQ(call({"CLIENT", "KILL", "COLOR", "red"}), error("ERR syntax error"));
  EXPECT_TRUE(proxy.killed.empty());
}

TEST_F(OperatorCommands, ProxyWhereNamesOwnerHomePointAndStates) {
  BackendReport a;
  a.id = 0;
  a.address = "127.0.0.1:7001";
  a.name = "cache-a";
  a.state = "down";
  BackendReport b;
  b.id = 1;
  b.address = "127.0.0.1:7002";
  b.state = "up";
  proxy.reports = {a, b};
  proxy.facts_.hash_tag = "{}";
  proxy.placement = {12345, 0, 1};
  EXPECT_EQ(call({"PROXY", "WHERE", "{user1}:cart"}),
            bulk("point=12345 hashed=user1 owner=127.0.0.1:7002 owner_name=- owner_state=up "
                 "home=127.0.0.1:7001 home_name=cache-a home_state=down"));
  EXPECT_EQ(proxy.placed_key, "{user1}:cart");
  proxy.placement = {7, kNoBackend, kNoBackend};
  EXPECT_EQ(call({"PROXY", "WHERE", "k"}),
            bulk("point=7 hashed=k owner=- owner_name=- owner_state=- home=- home_name=- "
                 "home_state=-"));
  EXPECT_EQ(call({"PROXY", "WHERE"}),
            error("ERR unknown subcommand or wrong number of arguments for 'proxy|where'. Try "
                  "PROXY HELP."));
}

TEST_F(OperatorCommands, ProxyHelpListsEverySubcommand) {
  const std::string help = call({"PROXY", "HELP"});
  for (std::string_view sub : {"NODES", "WHERE <key>", "HELP"}) {
    EXPECT_NE(help.find("\r\n+" + std::string(sub) + "\r\n"), std::string::npos) << help;
  }
}

TEST_F(OperatorCommands, CommandDocsAndInfoPassThroughFromTheFirstLiveBackend) {
  ring.eject(0);
  send({"COMMAND", "DOCS", "get"});
  EXPECT_EQ(port.requests_to(1),
            (std::vector<std::vector<std::string>>{{"COMMAND", "DOCS", "get"}}));
  const std::string docs = array({bulk("get"), array({bulk("summary"), bulk("Get a key")})});
  port.answer(1, docs);
  EXPECT_EQ(client.reply(), docs);
  send({"command", "info", "set"});
  port.answer(1, array({"*-1\r\n"}));
  EXPECT_EQ(client.reply(), array({"*-1\r\n"}));
  // The other forms stay the proxy's.
  EXPECT_EQ(call({"COMMAND", "COUNT"}), integer(static_cast<long long>(all_commands().size())));
  EXPECT_EQ(port.sent.size(), 2u);
}

}  // namespace
}  // namespace ringproxy::fakes
