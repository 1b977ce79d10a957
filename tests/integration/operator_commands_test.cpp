// What an operator types at a running proxy (issue 18): CLIENT LIST's
// Redis fields, CLIENT KILL by id, address and filters, PROXY WHERE against
// where keys really are, and redis-cli's help and hints, which it builds
// from COMMAND DOCS (passed through from a backend).
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

// CLIENT LIST's lines as maps of field -> value, by id.
std::map<std::string, std::map<std::string, std::string>> client_list(Client& c) {
  const Reply r = c.command({"CLIENT", "LIST"});
  EXPECT_TRUE(r.is_string()) << r;
  std::map<std::string, std::map<std::string, std::string>> out;
  std::istringstream lines(r.str);
  std::string line;
  while (std::getline(lines, line)) {
    std::map<std::string, std::string> fields;
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      const size_t eq = word.find('=');
      if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
    out[fields["id"]] = fields;
  }
  return out;
}

std::string id_of(Client& c) {
  return std::to_string(c.command({"CLIENT", "ID"}).integer);
}

class OperatorCommands : public ClusterTest {};

TEST_F(OperatorCommands, ClientListHasRedisFieldsInRedisOrder) {
  Client me = proxy_client();
  Client other = proxy_client();
  EXPECT_EQ(other.command({"SET", "k", "v"}), Reply::make_status("OK"));
  const std::string line = me.command({"CLIENT", "INFO"}).str;
  const std::vector<std::string> order = {
      "id=", "addr=",  "laddr=", "fd=",  "name=",   "age=", "idle=", "flags=",
      "db=", "multi=", "qbuf=",  "obl=", "events=", "cmd=", "user="};
  size_t at = 0;
  for (const std::string& field : order) {
    const size_t found = line.find(" " + field, at);
    ASSERT_TRUE(field == "id=" ? line.rfind(field, 0) == 0 : found != std::string::npos)
        << field << " missing or out of order in " << line;
    if (field != "id=") at = found + 1;
  }
  auto clients = client_list(me);
  const auto& o = clients[id_of(other)];
  EXPECT_EQ(o.at("cmd"), "set");
  EXPECT_EQ(o.at("laddr"), "127.0.0.1:" + std::to_string(proxy().port()));
  EXPECT_EQ(o.at("addr").rfind("127.0.0.1:", 0), 0u) << o.at("addr");
  EXPECT_GT(std::stoi(o.at("fd")), 2);
  EXPECT_EQ(clients[id_of(me)].at("cmd"), "client|list");
  EXPECT_EQ(me.command({"CLIENT", "NO-EVICT", "on"}), Reply::make_status("OK"));
  EXPECT_EQ(me.command({"CLIENT", "NO-TOUCH", "on"}), Reply::make_status("OK"));
}

TEST_F(OperatorCommands, ClientKillByIdAddressAndFilters) {
  Client me = proxy_client();
  Client a = proxy_client();
  Client b = proxy_client();
  Client c = proxy_client();
  auto clients = client_list(me);
  const std::string a_addr = clients[id_of(a)].at("addr");

  EXPECT_EQ(me.command({"CLIENT", "KILL", a_addr}), Reply::make_status("OK"));
  EXPECT_THROW(a.command({"PING"}), std::exception);
  EXPECT_EQ(me.command({"CLIENT", "KILL", a_addr}), Reply::make_error("ERR No such client"));

  EXPECT_EQ(me.command({"CLIENT", "KILL", "ID", id_of(b)}), Reply::make_integer(1));
  EXPECT_THROW(b.command({"PING"}), std::exception);

  // Every normal client but the caller (SKIPME yes by default).
  EXPECT_EQ(me.command({"CLIENT", "KILL", "LADDR", "127.0.0.1:" + std::to_string(proxy().port())}),
            Reply::make_integer(1));
  EXPECT_THROW(c.command({"PING"}), std::exception);
  EXPECT_EQ(me.command({"PING"}), Reply::make_status("PONG"));
  EXPECT_EQ(client_list(me).size(), 1u);

  // Itself: the reply, then the connection closes.
  Client self = proxy_client();
  EXPECT_EQ(self.command({"CLIENT", "KILL", "ID", id_of(self), "SKIPME", "no"}),
            Reply::make_integer(1));
  EXPECT_THROW(self.command({"PING"}), std::exception);
  EXPECT_EQ(me.command({"PING"}), Reply::make_status("PONG"));
}

TEST_F(OperatorCommands, ProxyWhereNamesTheBackendThatHoldsTheKey) {
  Client c = proxy_client();
  for (int i = 0; i < 20; ++i) {
    const std::string key = "where:" + std::to_string(i);
    ASSERT_EQ(c.command({"SET", key, "v"}), Reply::make_status("OK"));
    const Reply r = c.command({"PROXY", "WHERE", key});
    ASSERT_TRUE(r.is_string()) << r;
    const std::vector<size_t> holders = backends_holding(key);
    ASSERT_EQ(holders.size(), 1u) << key;
    const std::string addr = backend(holders[0]).address();
    EXPECT_NE(r.str.find(" owner=" + addr + " "), std::string::npos) << r.str << " vs " << addr;
    EXPECT_NE(r.str.find(" home=" + addr + " "), std::string::npos) << r.str;
    EXPECT_NE(r.str.find("owner_state=up"), std::string::npos) << r.str;
  }
  const Reply help = c.command({"PROXY", "HELP"});
  ASSERT_TRUE(help.is_array()) << help;
  std::string text;
  for (const Reply& line : help.elements) text += line.str + "\n";
  for (const char* sub : {"NODES", "WHERE <key>", "HELP"}) {
    EXPECT_NE(text.find(std::string("\n") + sub + "\n"), std::string::npos) << text;
  }
}

TEST_F(OperatorCommands, RedisCliHelpAndHintsComeFromTheBackendsDocs) {
  const CommandResult r =
      run_command({python3_binary(), "redis_cli_help.py", std::to_string(proxy().port())},
                  {.timeout = Duration(60000),
                   .env = {"PYTHONDONTWRITEBYTECODE=1"},
                   .cwd = source_dir() / "tests/clients"});
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("redis-cli help: all checks passed"), std::string::npos) << r.describe();
  Client c = proxy_client();
  const Reply info = c.command({"COMMAND", "INFO", "get"});
  ASSERT_TRUE(info.is_array()) << info;
  ASSERT_EQ(info.elements.size(), 1u);
  // Redis's own entry: key specs and ACL categories included.
  EXPECT_GE(info.elements[0].elements.size(), 10u) << info;
  EXPECT_EQ(info.elements[0].elements[0], Reply::make_string("get"));
  EXPECT_FALSE(info.elements[0].elements[6].elements.empty()) << "ACL categories: " << info;
}

}  // namespace
}  // namespace ringproxy::testing

namespace ringproxy::testing {
namespace {

class ProtocolErrorLog : public ClusterTest {
 protected:
  size_t backend_count() const override { return 1; }
  std::vector<std::string> proxy_args() const override { return {"--log-level", "debug"}; }
};

// A client's broken request is logged at debug, with the text the client got.
TEST_F(ProtocolErrorLog, ProtocolErrorsAreLoggedAtDebugWithTheClientsError) {
  RawConnection raw = proxy_raw();
  raw.send("*1\r\nx\r\n");
  const std::string got = raw.read_until_closed();
  ASSERT_EQ(got.rfind("-ERR Protocol error: ", 0), 0u) << got;
  const std::string error = got.substr(1, got.find("\r\n") - 1);
  EXPECT_TRUE(wait_until(
      [&] { return proxy().log().find(" closed: protocol error: " + error) != std::string::npos; },
      Duration(5000)))
      << proxy().log_tail();
  EXPECT_NE(proxy().log().find("debug client "), std::string::npos) << proxy().log_tail();
}

}  // namespace
}  // namespace ringproxy::testing
