// Transactions while a backend fails and comes back (issue 15, defect 2):
// commands queued inside MULTI are routed when EXEC runs them, against the
// ring as it is then, and a transaction's write that lands on a successor is
// in the failover log like any other write, so no stale copy survives the
// owner's return.
#include <string>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

const Reply kOk = Reply::make_status("OK");
const Reply kQueued = Reply::make_status("QUEUED");

class TransactionFailoverTest : public ClusterTest {
 protected:
  // Fast health checks (as in failover_test.cpp), so kill -9 is noticed and a
  // restart rejoins within a second or so.
  std::vector<std::string> proxy_args() const override {
    return {"--health-interval-ms",
            "100",
            "--health-timeout-ms",
            "100",
            "--timeout-ms",
            "500",
            "--failure-limit",
            "3",
            "--rise",
            "2"};
  }

  // Backend `b`'s line of PROXY NODES.
  std::string node(size_t b) {
    Reply r = proxy_client().command({"PROXY", "NODES"});
    if (!r.is_array() || r.elements.size() <= b)
      throw HarnessError("PROXY NODES: " + r.to_string());
    return r.elements[b].str;
  }
  void wait_state(size_t b, const std::string& state) {
    std::string last;
    bool ok = wait_until(
        [&] {
          last = node(b);
          return last.find(" state=" + state + " ") != std::string::npos;
        },
        Duration(10000), Duration(5));
    if (!ok) throw HarnessError("backend " + std::to_string(b) + " not " + state + ": " + last);
  }
  // A key whose home is backend `b`: SET through the proxy, see where it lands.
  std::string key_homed_at(size_t b, const std::string& prefix) {
    Client c = proxy_client();
    for (int i = 0; i < 1000; ++i) {
      std::string k = prefix + std::to_string(i);
      EXPECT_EQ(c.command({"SET", k, "probe"}), kOk);
      std::vector<size_t> at = backends_holding(k);
      EXPECT_EQ(c.command({"DEL", k}), Reply::make_integer(1));
      if (at == std::vector<size_t>{b}) return k;
    }
    throw HarnessError("no key homed at backend " + std::to_string(b));
  }
};

// The sequence: the owner of txk dies, MULTI and SET txk v1 are
// queued, the owner comes back, EXEC. The write must land where GET reads
// now; and after SET txk v2 and another failure of the owner, the old v1 must
// not be served.
TEST_F(TransactionFailoverTest, QueuedWhileOwnerDownRunsWhereItIsReadAfterRestart) {
  constexpr size_t a = 0;
  const std::string k = key_homed_at(a, "txk:");
  Client c = proxy_client(Duration(5000));

  backend(a).kill9();
  wait_state(a, "down");
  ASSERT_EQ(c.command({"MULTI"}), kOk);
  ASSERT_EQ(c.command({"SET", k, "v1"}), kQueued);
  backend(a).restart();
  wait_state(a, "up");
  EXPECT_EQ(c.command({"EXEC"}), Reply::make_array({kOk}));
  EXPECT_EQ(c.command({"GET", k}), Reply::make_string("v1"))
      << "EXEC's write went where GET does not read";
  EXPECT_EQ(backends_holding(k), std::vector<size_t>{a});

  ASSERT_EQ(c.command({"SET", k, "v2"}), kOk);
  backend(a).kill9();
  wait_state(a, "down");
  Reply stale = c.command({"GET", k});
  EXPECT_NE(stale, Reply::make_string("v1")) << "a value overwritten since was served";
  EXPECT_EQ(stale, Reply::make_nil());
  backend(a).restart();
  wait_state(a, "up");
}

// Queued while the owner is up, run while it is down: the write lands on a
// successor, is remembered there, and is deleted when the owner rejoins.
TEST_F(TransactionFailoverTest, WriteOnASuccessorIsDeletedWhenTheOwnerRejoins) {
  constexpr size_t a = 0;
  const std::string k = key_homed_at(a, "txlog:");
  Client c = proxy_client(Duration(5000));

  ASSERT_EQ(c.command({"MULTI"}), kOk);
  ASSERT_EQ(c.command({"SET", k, "during-outage"}), kQueued);
  backend(a).kill9();
  wait_state(a, "down");
  EXPECT_EQ(c.command({"EXEC"}), Reply::make_array({kOk}));
  std::vector<size_t> successor = backends_holding(k);
  ASSERT_EQ(successor.size(), 1u) << "the transaction should have run on a successor";
  EXPECT_NE(node(a).find(" failover_keys=1 "), std::string::npos) << node(a);

  backend(a).restart();
  wait_state(a, "up");
  EXPECT_TRUE(wait_until([&] { return backends_holding(k).empty(); }, Duration(2000)))
      << "the failover-era copy of a transaction's write survived the rejoin";
  EXPECT_EQ(c.command({"GET", k}), Reply::make_nil());
}

}  // namespace
}  // namespace ringproxy::testing
