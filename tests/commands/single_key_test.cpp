// SingleKeyHandler: commands whose keys share one backend.
#include "command_fakes.hpp"

namespace ringproxy::fakes {
namespace {

using Args = std::vector<std::string>;

TEST_F(CommandsTest, SingleKeyGoesToItsOwnerByteForByteAndTheReplyComesBackAsIs) {
  send({"GET", "1:k"});
  ASSERT_EQ(port.sent.size(), 1u);
  EXPECT_EQ(port.sent[0].backend, 1u);
  EXPECT_EQ(port.sent[0].client, client.id());
  EXPECT_EQ(port.sent[0].bytes, command({"GET", "1:k"}));
  EXPECT_EQ(port.sent[0].swallow, 0u);
  EXPECT_TRUE(client.replies().empty()) << "nothing before the backend answers";
  port.answer(1, bulk("value"));
  EXPECT_EQ(client.reply(), bulk("value"));
  EXPECT_EQ(ctx().counters.forwarded, 1u);
  EXPECT_EQ(ctx().requests.in_use(), 0u);
}

TEST_F(CommandsTest, RepliesGoOutInRequestOrderWhateverOrderBackendsAnswer) {
  send({"GET", "0:a"});
  send({"GET", "1:b"});
  send({"PING"});
  send({"GET", "2:c"});
  port.answer(2, bulk("c"));
  port.answer(1, bulk("b"));
  EXPECT_TRUE(client.replies().empty()) << "the first reply is still missing";
  port.answer(0, bulk("a"));
  EXPECT_EQ(client.replies(),
            (std::vector<std::string>{bulk("a"), bulk("b"), status("PONG"), bulk("c")}));
}

TEST_F(CommandsTest, KeysThatMustShareABackendAreForwardedWhenTheyDo) {
  ring.place("{u}:a", 2);
  ring.place("{u}:b", 2);
  send({"RENAME", "{u}:a", "{u}:b"});
  EXPECT_EQ(port.requests_to(2), (std::vector<Args>{{"RENAME", "{u}:a", "{u}:b"}}));
  port.answer(2, status("OK"));
  EXPECT_EQ(client.reply(), status("OK"));
}

TEST_F(CommandsTest, KeysOnDifferentBackendsGetAnErrorNamingTheFix) {
  std::string r = call({"SMOVE", "0:a", "1:b", "m"});
  EXPECT_TRUE(r.starts_with("-ERR ringproxy: the keys of this 'smove' live on different backends"))
      << r;
  EXPECT_NE(r.find("hash tag"), std::string::npos);
  EXPECT_TRUE(port.sent.empty());
  EXPECT_EQ(ctx().counters.cross_backend_rejected, 1u);
}

TEST_F(CommandsTest, EvalRoutesByItsNumkeysKeysAndRejectsKeylessOnes) {
  send({"EVAL", "return 1", "1", "2:k"});
  EXPECT_EQ(port.requests_to(2), (std::vector<Args>{{"EVAL", "return 1", "1", "2:k"}}));
  port.answer(2, integer(1));
  EXPECT_EQ(client.reply(), integer(1));
  EXPECT_EQ(call({"EVAL", "return 1", "0"}),
            error("ERR ringproxy: 'eval' without keys cannot be routed"));
  EXPECT_EQ(call({"EVAL", "return 1", "5", "k"}),
            error("ERR Number of keys can't be greater than number of args"));
}

TEST_F(CommandsTest, NoLiveBackendIsAnError) {
  for (BackendId b : {0u, 1u, 2u}) ring.eject(b);
  EXPECT_EQ(call({"GET", "k"}), error("ERR ringproxy: no backend is available"));
  EXPECT_TRUE(port.sent.empty());
}

TEST_F(CommandsTest, UnavailableBackendIsAnErrorByDefault) {
  port.refuse(1);
  EXPECT_EQ(call({"GET", "1:k"}), error("ERR ringproxy: backend fake1 is unavailable"));
  EXPECT_EQ(port.unavailable_errors, 1);
  EXPECT_EQ(ctx().counters.errors, 1u);
  EXPECT_EQ(ctx().requests.in_use(), 0u);
}

TEST_F(CommandsTest, AFailedConnectionAnswersItsRequestsWithTheError) {
  send({"GET", "1:k"});
  port.fail(1, "-ERR ringproxy: backend fake1: connection reset\r\n");
  EXPECT_EQ(client.reply(), error("ERR ringproxy: backend fake1: connection reset"));
}

TEST_F(CommandsTest, AWriteOnASuccessorIsRecordedForTheFailoverLog) {
  ring.eject(1);
  send({"SET", "1:k", "v"});
  EXPECT_EQ(port.requests_to(2), (std::vector<Args>{{"SET", "1:k", "v"}}));
  EXPECT_EQ(port.failover_writes, (std::vector<FakePort::FailoverWrite>{{"1:k", 1, 2}}));
  EXPECT_EQ(ctx().counters.failover_writes, 1u);
  // Reads, and writes that land at home, are not.
  send({"GET", "1:k"});
  send({"SET", "0:k", "v"});
  EXPECT_EQ(port.failover_writes.size(), 1u);
}

TEST_F(CommandsTest, ClientGoneBeforeTheReplyReleasesTheRequestWhenItArrives) {
  send({"GET", "1:k"});
  client.gone();
  EXPECT_EQ(ctx().requests.in_use(), 1u);
  port.answer(1, bulk("late"));
  EXPECT_EQ(ctx().requests.in_use(), 0u);
}

class MissTest : public CommandsTest {
 protected:
  static CommandOptions miss() {
    CommandOptions o = defaults();
    o.miss_on_unavailable = true;
    return o;
  }
  MissTest() : CommandsTest(miss()) {}
};

TEST_F(MissTest, ReadsOfAnUnavailableBackendAnswerTheirNaturalMiss) {
  port.refuse(1);
  EXPECT_EQ(call({"GET", "1:k"}), nil());
  EXPECT_EQ(call({"EXISTS", "1:k"}), integer(0));
  EXPECT_EQ(call({"STRLEN", "1:k"}), integer(0));
  EXPECT_EQ(call({"HGETALL", "1:k"}), array({}));
  EXPECT_EQ(call({"TTL", "1:k"}), integer(-2));
  EXPECT_EQ(call({"TYPE", "1:k"}), status("none"));
  EXPECT_EQ(call({"GETRANGE", "1:k", "0", "3"}), bulk(""));
  EXPECT_EQ(call({"HMGET", "1:k", "f1", "f2", "f3"}), array({nil(), nil(), nil()}));
  // Writes, and reads without a natural miss, still get the error.
  EXPECT_EQ(call({"SET", "1:k", "v"}), error("ERR ringproxy: backend fake1 is unavailable"));
  EXPECT_EQ(call({"SRANDMEMBER", "1:k"}), error("ERR ringproxy: backend fake1 is unavailable"));
}

TEST_F(MissTest, AFailedConnectionAnswersReadsAsMissesToo) {
  send({"GET", "1:k"});
  send({"SET", "1:k", "v"});
  port.fail(1);
  port.fail(1);
  std::vector<std::string> r = client.replies();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], nil());
  EXPECT_TRUE(r[1].starts_with("-ERR")) << r[1];
  // The lost write is counted, and its backend told it may have missed it;
  // the lost read is neither.
  EXPECT_EQ(ctx().counters.writes_failed_in_flight, 1u);
  EXPECT_EQ(port.writes_lost, std::vector<BackendId>{1});
}

TEST_F(MissTest, LostWritesOfEveryKindAreCountedAgainstTheBackendTheyWentTo) {
  send({"MSET", "0:a", "1", "2:b", "2"});
  send({"MGET", "0:a", "2:b"});
  port.fail(2);  // MSET's part on 2
  port.fail(2);  // MGET's part on 2: a read
  port.answer(0, status("OK"));
  port.answer(0, array({bulk("1")}));
  std::vector<std::string> r = client.replies();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].starts_with("-ERR")) << r[0];
  EXPECT_EQ(r[1], array({bulk("1"), nil()}));
  EXPECT_EQ(ctx().counters.writes_failed_in_flight, 1u);
  EXPECT_EQ(port.writes_lost, std::vector<BackendId>{2});
}

}  // namespace
}  // namespace ringproxy::fakes
