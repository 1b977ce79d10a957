// SplitHandler: MGET, MSET, DEL/UNLINK/EXISTS/TOUCH, one sub-request per
// backend, merged back.
#include "command_fakes.hpp"

namespace ringproxy::fakes {
namespace {

using Args = std::vector<std::string>;

TEST_F(CommandsTest, MgetSendsOneRequestPerBackendWithItsKeysInOrder) {
  send({"MGET", "0:a", "1:b", "0:c", "2:d", "1:e"});
  ASSERT_EQ(port.sent.size(), 3u) << "one sub-request per backend, not one per key";
  EXPECT_EQ(port.requests_to(0), (std::vector<Args>{{"MGET", "0:a", "0:c"}}));
  EXPECT_EQ(port.requests_to(1), (std::vector<Args>{{"MGET", "1:b", "1:e"}}));
  EXPECT_EQ(port.requests_to(2), (std::vector<Args>{{"MGET", "2:d"}}));
  EXPECT_EQ(ctx().counters.split, 1u);
}

TEST_F(CommandsTest, MgetMergesValuesBackInKeyOrderWhateverOrderPartsAnswer) {
  send({"MGET", "0:a", "1:b", "0:c", "2:d", "1:e"});
  port.answer(2, array({bulk("D")}));
  port.answer(1, array({bulk("B"), nil()}));
  EXPECT_TRUE(client.replies().empty());
  port.answer(0, array({bulk("A"), bulk("C")}));
  EXPECT_EQ(client.reply(), array({bulk("A"), bulk("B"), bulk("C"), bulk("D"), nil()}));
  EXPECT_EQ(ctx().requests.in_use(), 0u);
}

TEST_F(CommandsTest, MgetOfKeysOnOneBackendIsForwardedAsItCame) {
  send({"MGET", "1:a", "1:b"});
  ASSERT_EQ(port.sent.size(), 1u);
  EXPECT_EQ(port.sent[0].bytes, command({"MGET", "1:a", "1:b"}));
  port.answer(1, array({bulk("x"), nil()}));
  EXPECT_EQ(client.reply(), array({bulk("x"), nil()}));
  EXPECT_EQ(ctx().counters.forwarded, 1u);
  EXPECT_EQ(ctx().counters.split, 0u);
}

TEST_F(CommandsTest, AnyFailedPartMakesTheWholeReplyThatError) {
  send({"MGET", "0:a", "1:b", "2:c"});
  port.answer(0, array({bulk("A")}));
  port.answer(1, error("ERR something"));
  port.answer(2, array({bulk("C")}));
  EXPECT_EQ(client.reply(), error("ERR something"));
  // Also when a part's backend is unavailable.
  port.refuse(2);
  send({"MGET", "0:a", "1:b", "2:c"});
  port.answer(0, array({bulk("A")}));
  port.answer(1, array({bulk("B")}));
  EXPECT_EQ(client.reply(), error("ERR ringproxy: backend fake2 is unavailable"));
}

TEST_F(CommandsTest, AMalformedPartIsAnErrorNotAWrongAnswer) {
  send({"MGET", "0:a", "1:b"});
  port.answer(0, array({bulk("A"), bulk("extra")}));
  port.answer(1, status("OK"));
  EXPECT_EQ(client.reply(), error("ERR ringproxy: unexpected reply from a backend to MGET"));
  send({"MGET", "0:a", "1:b"});
  port.answer(0, array({}));
  port.answer(1, array({bulk("B")}));
  EXPECT_EQ(client.reply(), error("ERR ringproxy: unexpected reply from a backend to MGET"));
}

TEST_F(CommandsTest, MsetSplitsPairsAndIsOkWhenEveryPartIs) {
  send({"MSET", "0:a", "1", "1:b", "2", "0:c", "3"});
  EXPECT_EQ(port.requests_to(0), (std::vector<Args>{{"MSET", "0:a", "1", "0:c", "3"}}));
  EXPECT_EQ(port.requests_to(1), (std::vector<Args>{{"MSET", "1:b", "2"}}));
  port.answer(1, status("OK"));
  port.answer(0, status("OK"));
  EXPECT_EQ(client.reply(), status("OK"));
  EXPECT_EQ(call({"MSET", "0:a", "1", "1:b"}),
            error("ERR wrong number of arguments for 'mset' command"));
}

TEST_F(CommandsTest, MsetWritesOnASuccessorAreRecorded) {
  ring.eject(1);
  send({"MSET", "0:a", "1", "1:b", "2"});
  EXPECT_EQ(port.requests_to(2), (std::vector<Args>{{"MSET", "1:b", "2"}}));
  EXPECT_EQ(port.failover_writes, (std::vector<FakePort::FailoverWrite>{{"1:b", 1, 2}}));
}

TEST_F(CommandsTest, DelAndExistsSumTheParts) {
  send({"DEL", "0:a", "1:b", "2:c", "0:d"});
  EXPECT_EQ(port.requests_to(0), (std::vector<Args>{{"DEL", "0:a", "0:d"}}));
  port.answer(0, integer(2));
  port.answer(1, integer(0));
  port.answer(2, integer(1));
  EXPECT_EQ(client.reply(), integer(3));
  send({"EXISTS", "0:a", "1:b"});
  port.answer(1, integer(1));
  port.answer(0, integer(1));
  EXPECT_EQ(client.reply(), integer(2));
  send({"UNLINK", "0:a", "1:b"});
  port.answer(0, integer(1));
  port.answer(1, bulk("not a number"));
  EXPECT_EQ(client.reply(),
            error("ERR ringproxy: unexpected reply from a backend to a counting command"));
}

// Issue 15, defect 5: summing integer replies must not overflow.
TEST_F(CommandsTest, ASumThatOverflowsIsAnErrorNotAWrongNumber) {
  const std::string overflow =
      error("ERR ringproxy: the sum of the backends' replies overflows a 64-bit integer");
  send({"DEL", "0:a", "1:b"});
  port.answer(0, integer(9223372036854775807LL));
  port.answer(1, integer(1));
  EXPECT_EQ(client.reply(), overflow);
  send({"EXISTS", "0:a", "1:b", "2:c"});
  port.answer(0, integer(9223372036854775807LL));
  port.answer(1, integer(0));
  port.answer(2, integer(0));
  EXPECT_EQ(client.reply(), integer(9223372036854775807LL)) << "the largest sum that fits";
  send({"DBSIZE"});
  port.answer(0, integer(-9223372036854775807LL - 1));
  port.answer(1, integer(-1));
  port.answer(2, integer(0));
  EXPECT_EQ(client.reply(), overflow);
}

TEST_F(CommandsTest, NoLiveBackendForSplitKeysIsAnError) {
  for (BackendId b : {0u, 1u, 2u}) ring.eject(b);
  EXPECT_EQ(call({"MGET", "0:a", "1:b"}), error("ERR ringproxy: no backend is available"));
}

class SplitMissTest : public CommandsTest {
 protected:
  static CommandOptions miss() {
    CommandOptions o = defaults();
    o.miss_on_unavailable = true;
    return o;
  }
  SplitMissTest() : CommandsTest(miss()) {}
};

TEST_F(SplitMissTest, OnlyTheUnavailablePartOfAReadAnswersAsMissing) {
  port.refuse(1);
  send({"MGET", "0:a", "1:b", "0:c", "1:d"});
  port.answer(0, array({bulk("A"), bulk("C")}));
  EXPECT_EQ(client.reply(), array({bulk("A"), nil(), bulk("C"), nil()}));
  send({"EXISTS", "0:a", "1:b"});
  port.answer(0, integer(1));
  EXPECT_EQ(client.reply(), integer(1));
  // Writes are never faked.
  send({"DEL", "0:a", "1:b"});
  port.answer(0, integer(1));
  EXPECT_EQ(client.reply(), error("ERR ringproxy: backend fake1 is unavailable"));
}

TEST_F(SplitMissTest, AnMgetForwardedWholeAnswersOneNilPerKey) {
  // All keys on the unavailable backend: an array of nils, not a lone nil.
  port.refuse(1);
  EXPECT_EQ(call({"MGET", "1:a", "1:b", "1:c"}), array({nil(), nil(), nil()}));
  EXPECT_EQ(call({"EXISTS", "1:a", "1:b"}), integer(0));
}

}  // namespace
}  // namespace ringproxy::fakes
