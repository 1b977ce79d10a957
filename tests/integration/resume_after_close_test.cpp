// Issue 15, defect 1: a paused client closed while its resumption was queued
// was read after it was freed (heap-use-after-free, every ASan run).
#include <string>

#include "core_test_util.hpp"
#include "reliability_test_util.hpp"

namespace ringproxy::testing {
namespace {

using Clock = std::chrono::steady_clock;
using core::contains;

// Defect 1: with --max-pipeline 1 the client pauses after its first request;
// the rest of the burst passes --query-buffer-limit, so the client is to be
// closed once its replies are out. Writing those replies used to queue the
// (already closed) connection for resuming, and the next flush pass read the
// freed object (ASan: heap-use-after-free, every run).

class ResumeAfterClose : public ClusterTest {
 protected:
  size_t backend_count() const override { return 1; }
  std::vector<std::string> proxy_args() const override {
    return {"--max-pipeline", "1", "--query-buffer-limit", "1000"};
  }
};

TEST_F(ResumeAfterClose, PausedClientClosedAfterItsRepliesIsNeverResumed) {
  std::string burst;
  for (int i = 0; i < 200; ++i) burst += get_cmd("a");
  const std::string error = "-ERR Protocol error: query buffer limit exceeded\r\n";
  for (int round = 0; round < 20; ++round) {
    RawConnection raw = proxy_raw(Duration(10000));
    raw.send(burst);
    std::string got = raw.read_until_closed();
    // One nil per GET dispatched before the input passed the limit, then the error.
    ASSERT_TRUE(got.size() >= error.size() + 5 && got.ends_with(error)) << got;
    for (size_t at = 0; at + error.size() < got.size(); at += 5) {
      ASSERT_EQ(got.substr(at, 5), "$-1\r\n") << got;
    }
    // The proxy is alive and serves a fresh connection.
    ASSERT_EQ(proxy_client().command({"PING"}), Reply::make_status("PONG"));
  }
}

}  // namespace
}  // namespace ringproxy::testing
