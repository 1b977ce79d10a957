// FanoutHandler: DBSIZE, KEYS, FLUSHDB/FLUSHALL, SCRIPT, RANDOMKEY.
#include "command_fakes.hpp"

namespace ringproxy::fakes {
namespace {

using Args = std::vector<std::string>;

TEST_F(CommandsTest, DbsizeGoesToEveryLiveBackendAndSums) {
  ring.eject(1);
  send({"DBSIZE"});
  ASSERT_EQ(port.sent.size(), 2u) << "the ejected backend is skipped";
  EXPECT_EQ(port.requests_to(0), (std::vector<Args>{{"DBSIZE"}}));
  EXPECT_EQ(port.requests_to(2), (std::vector<Args>{{"DBSIZE"}}));
  port.answer(2, integer(5));
  port.answer(0, integer(7));
  EXPECT_EQ(client.reply(), integer(12));
  EXPECT_EQ(ctx().counters.fanout, 1u);
}

TEST_F(CommandsTest, KeysConcatenatesTheArrays) {
  send({"KEYS", "*"});
  port.answer(0, array({bulk("a"), bulk("b")}));
  port.answer(1, array({}));
  port.answer(2, array({bulk("c")}));
  EXPECT_EQ(client.reply(), array({bulk("a"), bulk("b"), bulk("c")}));
}

TEST_F(CommandsTest, FlushIsOkOnlyWhenEveryBackendSaysOk) {
  send({"FLUSHDB"});
  for (BackendId b : {0u, 1u, 2u}) port.answer(b, status("OK"));
  EXPECT_EQ(client.reply(), status("OK"));
  send({"FLUSHALL"});
  port.answer(0, status("OK"));
  port.answer(1, status("QUEUED"));
  port.answer(2, status("OK"));
  EXPECT_EQ(client.reply(), status("QUEUED"));
}

TEST_F(CommandsTest, ScriptLoadAnswersTheFirstReplyAndFlushNeedsEveryOk) {
  send({"SCRIPT", "LOAD", "return 1"});
  for (BackendId b : {0u, 1u, 2u}) port.answer(b, bulk("sha"));
  EXPECT_EQ(client.reply(), bulk("sha"));
  send({"SCRIPT", "FLUSH"});
  port.answer(0, status("OK"));
  port.answer(1, status("OK"));
  port.answer(2, error("ERR nope"));
  EXPECT_EQ(client.reply(), error("ERR nope"));
  send({"script", "flush"});
  for (BackendId b : {0u, 1u, 2u}) port.answer(b, status("OK"));
  EXPECT_EQ(client.reply(), status("OK"));
}

TEST_F(CommandsTest, RandomKeyPicksANonNilReply) {
  send({"RANDOMKEY"});
  port.answer(0, nil());
  port.answer(1, bulk("only"));
  port.answer(2, nil());
  EXPECT_EQ(client.reply(), bulk("only"));
  send({"RANDOMKEY"});
  for (BackendId b : {0u, 1u, 2u}) port.answer(b, nil());
  EXPECT_EQ(client.reply(), nil());
}

TEST_F(CommandsTest, FanoutWithNoLiveBackendIsAnError) {
  for (BackendId b : {0u, 1u, 2u}) ring.eject(b);
  EXPECT_EQ(call({"DBSIZE"}), error("ERR ringproxy: no backend is available"));
}

TEST_F(CommandsTest, FanoutPartUnavailableIsAnErrorByDefault) {
  port.refuse(2);
  send({"DBSIZE"});
  port.answer(0, integer(1));
  port.answer(1, integer(1));
  EXPECT_EQ(client.reply(), error("ERR ringproxy: backend fake2 is unavailable"));
}

class FanoutMissTest : public CommandsTest {
 protected:
  static CommandOptions miss() {
    CommandOptions o = defaults();
    o.miss_on_unavailable = true;
    return o;
  }
  FanoutMissTest() : CommandsTest(miss()) {}
};

TEST_F(FanoutMissTest, AnUnavailablePartOfAReadCountsAsAnEmptyBackend) {
  port.refuse(2);
  send({"DBSIZE"});
  port.answer(0, integer(4));
  port.answer(1, integer(1));
  EXPECT_EQ(client.reply(), integer(5));
  send({"KEYS", "*"});
  port.answer(0, array({bulk("a")}));
  port.answer(1, array({}));
  EXPECT_EQ(client.reply(), array({bulk("a")}));
  // FLUSHDB is a write: never faked.
  send({"FLUSHDB"});
  port.answer(0, status("OK"));
  port.answer(1, status("OK"));
  EXPECT_EQ(client.reply(), error("ERR ringproxy: backend fake2 is unavailable"));
}

}  // namespace
}  // namespace ringproxy::fakes
