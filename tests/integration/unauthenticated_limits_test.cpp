// Issue 15, defect 4: no size limits before AUTH.
#include <string>
#include <vector>

#include "core_test_util.hpp"
#include "reliability_test_util.hpp"

namespace ringproxy::testing {
namespace {

using Clock = std::chrono::steady_clock;
using core::contains;

// Defect 4: before AUTH, Redis closes a client that announces a bulk over 16 KB
// or a multibulk of more than 10 arguments; the proxy used to wait for (and
// buffer) whatever an unauthenticated client announced.

class UnauthenticatedLimits : public ClusterTest {
 protected:
  size_t backend_count() const override { return 1; }
  std::vector<std::string> proxy_args() const override { return {"--client-password", "secret"}; }
};

TEST_F(UnauthenticatedLimits, BulkOver16KbIsRefusedAndClosed) {
  RawConnection raw = proxy_raw(Duration(5000));
  raw.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870000\r\n");
  EXPECT_EQ(raw.read_until_closed(), "-ERR Protocol error: unauthenticated bulk length\r\n");

  RawConnection just_over = proxy_raw(Duration(5000));
  just_over.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16385\r\n");
  EXPECT_EQ(just_over.read_until_closed(), "-ERR Protocol error: unauthenticated bulk length\r\n");
}

TEST_F(UnauthenticatedLimits, MultibulkOverTenArgumentsIsRefusedAndClosed) {
  RawConnection raw = proxy_raw(Duration(5000));
  raw.send("*11\r\n");
  EXPECT_EQ(raw.read_until_closed(), "-ERR Protocol error: unauthenticated multibulk length\r\n");
}

TEST_F(UnauthenticatedLimits, LimitsAreRedisOwnAndEndWithAuth) {
  // At the limits: an ordinary NOAUTH answer, the connection stays open.
  Client c = proxy_client();
  std::vector<std::string> ten = {"MSET"};
  for (int i = 0; i < 9; ++i) ten.push_back("x");
  EXPECT_TRUE(core::is_error_with(c.command(ten), "NOAUTH"));
  EXPECT_TRUE(core::is_error_with(c.command({"SET", "k", std::string(16384, 'v')}), "NOAUTH"));
  // After AUTH, big values and long commands are fine.
  EXPECT_EQ(c.command({"AUTH", "secret"}), Reply::make_status("OK"));
  std::string big(1 << 20, 'v');
  EXPECT_EQ(c.command({"SET", "k", big}), Reply::make_status("OK"));
  EXPECT_EQ(c.command({"GET", "k"}), Reply::make_string(big));
  std::vector<std::string> mset = {"MSET"};
  for (int i = 0; i < 20; ++i) mset.push_back("{t}" + std::to_string(i));
  EXPECT_EQ(c.command(mset), Reply::make_status("OK"));
}

}  // namespace
}  // namespace ringproxy::testing
