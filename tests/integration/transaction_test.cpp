// Issue 2, acceptance point 6: MULTI/EXEC/DISCARD. A transaction whose keys
// share a backend runs there atomically; one whose keys span backends fails at
// EXEC with EXECABORT and none of its commands run.
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "core_test_util.hpp"

namespace ringproxy::testing::core {
namespace {

class CoreTransaction : public CoreClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override { return {"--hash-tag", "{}"}; }
};

TEST_F(CoreTransaction, SameBackendTransactionLikeRedis) {
  RedisServer reference;
  Client p = proxy_client();
  Client r = reference.client();
  std::vector<Step> steps = exact({
      {"MULTI"},
      {"INCR", "{t}a"},
      {"INCR", "{t}b"},
      {"EXEC"},
      {"MULTI"},
      {"SET", "{t}s", "text"},
      {"INCR", "{t}s"},  // fails at run time; the others still run
      {"MGET", "{t}a", "{t}b", "{t}s"},
      {"DEL", "{t}a", "{t}b"},
      {"PING"},
      {"EXEC"},
      {"MULTI"},
      {"EXEC"},
      {"MULTI"},
      {"MULTI"},
      {"SET", "{t}x", "1"},
      {"DISCARD"},
      {"GET", "{t}x"},
      {"DISCARD"},
      {"EXEC"},
      {"MULTI"},
      {"SET", "{t}y", "1"},
      {"NOSUCHCOMMAND", "arg"},
      {"EXEC"},
      {"GET", "{t}y"},
      {"MULTI"},
      {"SET", "{t}y", "1"},
      {"GET"},
      {"EXEC"},
      {"EXISTS", "{t}y"},
      {"MULTI"},
      {"SET", "plain", "1"},
      {"GET", "plain"},
      {"EXEC"},
  });
  compare_steps(p, r, steps);
  EXPECT_EQ(p.command({"PING"}), status("PONG"));
}

TEST_F(CoreTransaction, CrossBackendTransactionAbortsAtExec) {
  auto [a, b] = names_on_two_backends("tx");
  Client c = proxy_client();
  ASSERT_EQ(c.command({"SET", a, "old-a"}), ok());
  auto before = snapshot_backends();
  EXPECT_EQ(c.command({"MULTI"}), ok());
  EXPECT_EQ(c.command({"SET", a, "new-a"}), status("QUEUED"));
  EXPECT_EQ(c.command({"INCR", "counter-" + a}), status("QUEUED"));
  EXPECT_EQ(c.command({"SET", b, "new-b"}), status("QUEUED"));
  Reply exec = c.command({"EXEC"});
  EXPECT_TRUE(exec.is_error() && exec.str.starts_with("EXECABORT")) << exec;
  EXPECT_EQ(snapshot_backends(), before) << "a command of the aborted transaction ran";
  EXPECT_EQ(c.command({"GET", a}), str("old-a"));
  EXPECT_EQ(c.command({"GET", b}), nil());
  // Not in a transaction any more.
  EXPECT_EQ(c.command({"EXEC"}), Reply::make_error("ERR EXEC without MULTI"));
  EXPECT_EQ(c.command({"SET", b, "now"}), ok());

  // Also when the keys of one split command span backends.
  EXPECT_EQ(c.command({"MULTI"}), ok());
  EXPECT_EQ(c.command({"MSET", a, "1", b, "2"}), status("QUEUED"));
  exec = c.command({"EXEC"});
  EXPECT_TRUE(exec.is_error() && exec.str.starts_with("EXECABORT")) << exec;
  EXPECT_EQ(c.command({"MGET", a, b}), arr({str("old-a"), str("now")}));
}

TEST_F(CoreTransaction, DiscardAndExecWithoutMulti) {
  Client c = proxy_client();
  EXPECT_EQ(c.command({"EXEC"}), Reply::make_error("ERR EXEC without MULTI"));
  EXPECT_EQ(c.command({"DISCARD"}), Reply::make_error("ERR DISCARD without MULTI"));
  EXPECT_EQ(c.command({"MULTI"}), ok());
  EXPECT_EQ(c.command({"SET", "d", "1"}), status("QUEUED"));
  EXPECT_EQ(c.command({"DISCARD"}), ok());
  EXPECT_EQ(c.command({"GET", "d"}), nil());
  EXPECT_EQ(backends_holding("d"), std::vector<size_t>{});
  // A queued unknown command makes EXEC abort; nothing ran.
  EXPECT_EQ(c.command({"MULTI"}), ok());
  EXPECT_EQ(c.command({"SET", "d", "1"}), status("QUEUED"));
  EXPECT_TRUE(c.command({"NOSUCHCOMMAND"}).is_error());
  Reply exec = c.command({"EXEC"});
  EXPECT_EQ(exec, Reply::make_error("EXECABORT Transaction discarded because of previous errors."));
  EXPECT_EQ(c.command({"GET", "d"}), nil());
}

TEST_F(CoreTransaction, TransactionsAreAtomicForOtherClients) {
  // Writers increment {t}a and {t}b in one transaction; a reader reading both
  // in one MGET (same backend: one request) must never see them differ.
  constexpr int kWriters = 3;
  constexpr int kRounds = 150;
  std::atomic<bool> done{false};
  std::mutex mu;
  std::vector<std::string> problems;
  auto problem = [&](std::string s) {
    std::lock_guard<std::mutex> lock(mu);
    if (problems.size() < 20) problems.push_back(std::move(s));
  };
  const uint16_t port = proxy().port();
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, port] {
      try {
        Client c(port, Duration(5000));
        for (int i = 0; i < kRounds; ++i) {
          std::vector<Reply> r =
              c.pipeline({{"MULTI"}, {"INCR", "{t}a"}, {"INCR", "{t}b"}, {"EXEC"}});
          const Reply& exec = r[3];
          if (!exec.is_array() || exec.elements.size() != 2 || !exec.elements[0].is_integer() ||
              exec.elements[0] != exec.elements[1]) {
            problem("EXEC -> " + exec.to_string());
          }
        }
      } catch (const std::exception& e) {
        problem(std::string("writer: ") + e.what());
      }
    });
  }
  std::thread reader([&, port] {
    try {
      Client c(port, Duration(5000));
      int reads = 0;
      while (!done.load() || reads < 10) {
        Reply r = c.command({"MGET", "{t}a", "{t}b"});
        ++reads;
        if (!r.is_array() || r.elements.size() != 2 || r.elements[0] != r.elements[1]) {
          problem("MGET -> " + r.to_string());
        }
      }
    } catch (const std::exception& e) {
      problem(std::string("reader: ") + e.what());
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  reader.join();
  for (const auto& p : problems) ADD_FAILURE() << p;
  Client c = proxy_client();
  EXPECT_EQ(c.command({"MGET", "{t}a", "{t}b"}), arr({str(std::to_string(kWriters * kRounds)),
                                                      str(std::to_string(kWriters * kRounds))}));
}

}  // namespace
}  // namespace ringproxy::testing::core
