// TransactionHandler: MULTI, queued commands, EXEC, DISCARD.
#include "command_fakes.hpp"

namespace ringproxy::fakes {
namespace {

using Args = std::vector<std::string>;
const std::string kQueued = status("QUEUED");

TEST_F(CommandsTest, ExecSendsTheQueuedCommandsAsOneBlockToTheirBackend) {
  EXPECT_EQ(call({"MULTI"}), status("OK"));
  EXPECT_EQ(call({"SET", "1:a", "v"}), kQueued);
  EXPECT_EQ(call({"INCR", "1:b"}), kQueued);
  EXPECT_EQ(call({"PING"}), kQueued);
  EXPECT_TRUE(port.sent.empty()) << "nothing is sent before EXEC";
  send({"EXEC"});
  ASSERT_EQ(port.sent.size(), 1u);
  EXPECT_EQ(port.sent[0].backend, 1u);
  EXPECT_EQ(
      port.requests_to(1),
      (std::vector<Args>{{"MULTI"}, {"SET", "1:a", "v"}, {"INCR", "1:b"}, {"PING"}, {"EXEC"}}));
  EXPECT_EQ(port.sent[0].swallow, 4u) << "MULTI's +OK and three +QUEUED are not the answer";
  port.answer(1, array({status("OK"), integer(1), status("PONG")}));
  EXPECT_EQ(client.reply(), array({status("OK"), integer(1), status("PONG")}));
  EXPECT_EQ(client.transaction(), nullptr);
}

TEST_F(CommandsTest, ExecOfKeysOnDifferentBackendsAbortsAndRunsNothing) {
  send({"MULTI"});
  send({"SET", "0:a", "v"});
  send({"MSET", "1:b", "v", "1:c", "w"});
  client.replies();
  std::string r = call({"EXEC"});
  EXPECT_TRUE(
      r.starts_with("-EXECABORT Transaction discarded because its keys live on different "
                    "backends"))
      << r;
  EXPECT_TRUE(port.sent.empty());
  EXPECT_EQ(ctx().counters.cross_backend_rejected, 1u);
  EXPECT_EQ(call({"EXEC"}), error("ERR EXEC without MULTI"));
}

TEST_F(CommandsTest, ARefusedQueuedCommandMakesExecAbort) {
  const std::string abort = error("EXECABORT Transaction discarded because of previous errors.");
  send({"MULTI"});
  send({"NOSUCH", "x"});
  send({"EXEC"});
  std::vector<std::string> r = client.replies();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[1].starts_with("-ERR unknown command 'NOSUCH'")) << r[1];
  EXPECT_EQ(r[2], abort);

  send({"MULTI"});
  send({"GET"});
  send({"EXEC"});
  r = client.replies();
  EXPECT_EQ(r[1], error("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(r[2], abort);

  send({"MULTI"});
  send({"KEYS", "*"});
  send({"EXEC"});
  r = client.replies();
  EXPECT_EQ(r[1], error("ERR ringproxy: 'keys' cannot be used inside MULTI"));
  EXPECT_EQ(r[2], abort);
  EXPECT_TRUE(port.sent.empty());
}

TEST_F(CommandsTest, DiscardNestingAndCommandsWithoutMulti) {
  EXPECT_EQ(call({"EXEC"}), error("ERR EXEC without MULTI"));
  EXPECT_EQ(call({"DISCARD"}), error("ERR DISCARD without MULTI"));
  EXPECT_EQ(call({"MULTI"}), status("OK"));
  EXPECT_EQ(call({"MULTI"}), error("ERR MULTI calls can not be nested"));
  EXPECT_EQ(call({"SET", "0:a", "v"}), kQueued);
  EXPECT_EQ(call({"DISCARD"}), status("OK"));
  EXPECT_EQ(client.transaction(), nullptr);
  EXPECT_TRUE(port.sent.empty());
  // An empty transaction.
  send({"MULTI"});
  send({"EXEC"});
  EXPECT_EQ(client.replies(), (std::vector<std::string>{status("OK"), array({})}));
}

TEST_F(CommandsTest, QuitInsideMultiRunsAtOnce) {
  send({"MULTI"});
  send({"QUIT"});
  EXPECT_EQ(client.replies(), (std::vector<std::string>{status("OK"), status("OK")}));
  EXPECT_TRUE(client.closing);
}

TEST_F(CommandsTest, TransactionLargerThanTheLimitIsRefused) {
  CommandOptions small = defaults();
  small.max_transaction_bytes = 40;
  Dispatcher d(ring, port, proxy, small);
  FakeSession s(d.requests(), 9);
  auto run = [&](std::initializer_list<std::string_view> args) {
    std::string bytes = command(args);
    RequestParser p;
    ASSERT_EQ(p.parse(bytes.data(), bytes.size()), RequestParser::Status::kComplete);
    d.dispatch(s, p);
  };
  run({"MULTI"});
  run({"SET", "0:a", "v"});
  run({"SET", "0:a", "a value that does not fit"});
  run({"EXEC"});
  std::vector<std::string> r = s.replies();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[1], kQueued);
  EXPECT_EQ(r[2], error("ERR ringproxy: transaction too large (query-buffer-limit)"));
  EXPECT_EQ(r[3], error("EXECABORT Transaction discarded because of previous errors."));
}

TEST_F(CommandsTest, ExecToAnUnavailableBackendIsAnError) {
  port.refuse(1);
  send({"MULTI"});
  send({"SET", "1:a", "v"});
  client.replies();
  EXPECT_EQ(call({"EXEC"}), error("ERR ringproxy: backend fake1 is unavailable"));
}

TEST_F(CommandsTest, KeylessTransactionGoesToALiveBackend) {
  ring.eject(0);
  send({"MULTI"});
  send({"PING"});
  send({"EXEC"});
  EXPECT_EQ(port.requests_to(1), (std::vector<Args>{{"MULTI"}, {"PING"}, {"EXEC"}}));
}

// Issue 15, defect 2: queued commands are routed when EXEC runs them, against
// the ring as it is then.
TEST_F(CommandsTest, QueuedCommandsAreRoutedAtExecTime) {
  ring.eject(1);
  send({"MULTI"});
  send({"SET", "1:k", "v1"});  // queued while its home is ejected
  ring.revive(1);
  send({"EXEC"});
  EXPECT_EQ(port.requests_to(1), (std::vector<Args>{{"MULTI"}, {"SET", "1:k", "v1"}, {"EXEC"}}))
      << "EXEC must run where GET reads now";
  EXPECT_TRUE(port.requests_to(2).empty());
  EXPECT_TRUE(port.failover_writes.empty()) << "the write landed at home";
}

TEST_F(CommandsTest, ATransactionWriteOnASuccessorIsRecordedAtExec) {
  send({"MULTI"});
  send({"SET", "1:k", "v1"});  // queued while its home is up
  send({"GET", "1:other"});
  ring.eject(1);
  send({"EXEC"});
  EXPECT_EQ(port.requests_to(2),
            (std::vector<Args>{{"MULTI"}, {"SET", "1:k", "v1"}, {"GET", "1:other"}, {"EXEC"}}));
  EXPECT_EQ(port.failover_writes, (std::vector<FakePort::FailoverWrite>{{"1:k", 1, 2}}))
      << "only the write, and only once it ran";
}

}  // namespace
}  // namespace ringproxy::fakes
