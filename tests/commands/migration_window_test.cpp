// The migration window's routing, with a fake ring and backends: a one-key
// read that misses on a moved key's new backend is asked of its previous
// one; writes of moved keys remove the previous backend's copy.
#include "command_fakes.hpp"

namespace ringproxy::fakes {
namespace {

using Args = std::vector<std::string>;

class WindowTest : public CommandsTest {
 protected:
  void SetUp() override {
    ring.window = true;
    ring.place("k", 2);
    ring.moved_from("k", 0);
  }
};

TEST_F(WindowTest, AMissOnTheNewBackendIsAskedOfThePreviousOne) {
  send({"GET", "k"});
  port.answer(2, nil());
  EXPECT_TRUE(client.replies().empty()) << "the miss is not the answer yet";
  ASSERT_EQ(port.requests_to(0), (std::vector<Args>{{"GET", "k"}}));
  EXPECT_EQ(port.sent.back().client, ring.key_lane("k")) << "the key's lane, not the client's";
  port.answer(0, bulk("old"));
  EXPECT_EQ(client.reply(), bulk("old"));
  EXPECT_EQ(ctx().counters.window_reads, 1u);
  EXPECT_EQ(ctx().counters.window_hits, 1u);
  EXPECT_EQ(ctx().requests.in_use(), 0u);
}

TEST_F(WindowTest, AHitOnTheNewBackendIsTheAnswer) {
  send({"GET", "k"});
  port.answer(2, bulk("new"));
  EXPECT_EQ(client.reply(), bulk("new"));
  EXPECT_TRUE(port.requests_to(0).empty());
}

TEST_F(WindowTest, MissAnswersOfOtherKindsAreRecognised) {
  send({"EXISTS", "k"});
  port.answer(2, integer(0));
  port.answer(0, integer(1));
  send({"TTL", "k"});
  port.answer(2, integer(-2));
  port.answer(0, integer(-2));
  EXPECT_EQ(client.replies(), (std::vector<std::string>{integer(1), integer(-2)}));
  EXPECT_EQ(ctx().counters.window_reads, 2u);
  EXPECT_EQ(ctx().counters.window_hits, 1u);
}

TEST_F(WindowTest, NoWindowNoSecondAsk) {
  ring.window = false;
  send({"GET", "k"});
  port.answer(2, nil());
  EXPECT_EQ(client.reply(), nil());
  EXPECT_TRUE(port.requests_to(0).empty());
}

TEST_F(WindowTest, APreviousBackendThatCannotAnswerLeavesTheMiss) {
  port.refuse(0);
  send({"GET", "k"});
  port.answer(2, nil());
  EXPECT_EQ(client.reply(), nil());
  port.allow_all();
  send({"GET", "k"});
  port.answer(2, nil());
  port.fail(0);
  EXPECT_EQ(client.reply(), nil()) << "a failed second ask is not an error";
  EXPECT_EQ(ctx().requests.in_use(), 0u);
}

TEST_F(WindowTest, WritesAndDeletesOfMovedKeysUnlinkThePreviousCopy) {
  ring.place("j", 1);
  ring.moved_from("j", 0);
  send({"SET", "k", "v"});
  send({"DEL", "k", "j", "2:other"});
  EXPECT_EQ(port.requests_to(0),
            (std::vector<Args>{{"UNLINK", "k"}, {"UNLINK", "k"}, {"UNLINK", "j"}}));
  EXPECT_EQ(ctx().counters.window_invalidations, 3u);
  // Nobody waits for those replies.
  port.answer(0, integer(1));
  port.answer(0, integer(0));
  port.answer(0, integer(0));
  port.answer(2, status("OK"));
  EXPECT_EQ(client.reply(), status("OK"));
  EXPECT_EQ(ctx().requests.in_use(), 1u) << "only the DEL is still waiting";
}

TEST_F(WindowTest, AnInvalidationThatCannotBeSentMarksThePreviousBackend) {
  port.refuse(0);
  send({"SET", "k", "v"});
  EXPECT_EQ(port.writes_lost, (std::vector<BackendId>{0}));
  port.answer(2, status("OK"));
  EXPECT_EQ(client.reply(), status("OK"));
}

TEST_F(WindowTest, MgetOfOneKeyIsAskedAgain) {
  send({"MGET", "k"});
  port.answer(2, "*1\r\n$-1\r\n");
  port.answer(0, "*1\r\n$3\r\nold\r\n");
  EXPECT_EQ(client.reply(), "*1\r\n$3\r\nold\r\n");
}

TEST_F(WindowTest, ReadsOfSeveralKeysAreNotAskedAgain) {
  ring.place("{t}a", 2);
  ring.moved_from("{t}a", 0);
  send({"MGET", "k", "{t}a"});
  port.answer(2, "*2\r\n$-1\r\n$-1\r\n");
  EXPECT_EQ(client.reply(), "*2\r\n$-1\r\n$-1\r\n");
  EXPECT_TRUE(port.requests_to(0).empty());
}

}  // namespace
}  // namespace ringproxy::fakes
