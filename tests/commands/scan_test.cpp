// ScanHandler: one cursor walking every live backend in id order.
#include "ringproxy/commands/scan.hpp"

#include "command_fakes.hpp"

namespace ringproxy::fakes {
namespace {

using Args = std::vector<std::string>;

std::string scan_reply(std::string_view cursor, std::initializer_list<std::string> keys) {
  std::string elements = "*" + std::to_string(keys.size()) + "\r\n";
  for (const std::string& k : keys) elements += bulk(k);
  return "*2\r\n" + bulk(cursor) + elements;
}

std::string cursor_of(uint64_t backend_cursor, BackendId backend) {
  return std::to_string(backend_cursor << kScanBackendBits | backend);
}

TEST_F(CommandsTest, ScanWalksEveryBackendOneAfterAnother) {
  send({"SCAN", "0", "COUNT", "10"});
  EXPECT_EQ(port.requests_to(0), (std::vector<Args>{{"SCAN", "0", "COUNT", "10"}}));
  port.answer(0, scan_reply("17", {"a"}));
  EXPECT_EQ(client.reply(), scan_reply(cursor_of(17, 0), {"a"}));

  send({"SCAN", cursor_of(17, 0), "COUNT", "10"});
  EXPECT_EQ(port.requests_to(0).back(), (Args{"SCAN", "17", "COUNT", "10"}));
  port.answer(0, scan_reply("0", {"b"}));
  EXPECT_EQ(client.reply(), scan_reply("1", {"b"})) << "backend 0 is done: on to backend 1";

  send({"SCAN", "1"});
  EXPECT_EQ(port.requests_to(1), (std::vector<Args>{{"SCAN", "0"}}));
  port.answer(1, scan_reply("0", {}));
  EXPECT_EQ(client.reply(), scan_reply("2", {}));

  send({"SCAN", "2"});
  EXPECT_EQ(port.requests_to(2), (std::vector<Args>{{"SCAN", "0"}}));
  port.answer(2, scan_reply("0", {"c"}));
  EXPECT_EQ(client.reply(), scan_reply("0", {"c"})) << "after the last backend the walk ends";
}

TEST_F(CommandsTest, ScanSkipsEjectedBackends) {
  ring.eject(1);
  send({"SCAN", "0"});
  port.answer(0, scan_reply("0", {"a"}));
  EXPECT_EQ(client.reply(), scan_reply("2", {"a"}));
  // A cursor into a backend ejected since moves on to the next, from its start.
  send({"SCAN", cursor_of(99, 1)});
  EXPECT_EQ(port.requests_to(2), (std::vector<Args>{{"SCAN", "0"}}));
  port.answer(2, scan_reply("0", {}));
  EXPECT_EQ(client.reply(), scan_reply("0", {}));
}

TEST_F(CommandsTest, ScanWithEveryBackendEjectedEndsAtOnce) {
  for (BackendId b : {0u, 1u, 2u}) ring.eject(b);
  EXPECT_EQ(call({"SCAN", "0"}), scan_reply("0", {}));
  EXPECT_TRUE(port.sent.empty());
}

TEST_F(CommandsTest, ScanRejectsCursorsItDidNotMake) {
  EXPECT_EQ(call({"SCAN", "abc"}), error("ERR invalid cursor"));
  EXPECT_EQ(call({"SCAN", "-1"}), error("ERR invalid cursor"));
  EXPECT_EQ(call({"SCAN", cursor_of(5, 3)}), error("ERR invalid cursor")) << "no backend 3";
  EXPECT_TRUE(port.sent.empty());
}

TEST_F(CommandsTest, ScanPassesBackendErrorsAndRejectsMalformedReplies) {
  send({"SCAN", "0", "TYPE"});
  port.answer(0, error("ERR syntax error"));
  EXPECT_EQ(client.reply(), error("ERR syntax error"));
  send({"SCAN", "0"});
  port.answer(0, array({bulk("0")}));
  EXPECT_EQ(client.reply(), error("ERR ringproxy: unexpected reply from a backend to SCAN"));
  port.refuse(0);
  EXPECT_EQ(call({"SCAN", "0"}), error("ERR ringproxy: backend fake0 is unavailable"));
}

}  // namespace
}  // namespace ringproxy::fakes
