// --output-buffer-pool: a client's small output buffer goes back to a loop-wide
// pool once written and the next request reuses it, so requests answered one
// at a time allocate no output buffer each; the pool never keeps more blocks
// than its bound, and 0 turns it off.
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

uint64_t pool_field(uint16_t port, const std::string& field) {
  Client c(port);
  std::string info = c.command({"INFO", "ringproxy"}).str;
  std::string v = info_field(info, field);
  EXPECT_FALSE(v.empty()) << info;
  return v.empty() ? 0 : std::stoull(v);
}

// `clients` clients at once, each `n` SETs and GETs one by one.
void one_by_one(uint16_t port, int clients, int n) {
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([port, t, n] {
      Client c(port);
      for (int i = 0; i < n; ++i) {
        const std::string key = "pool:" + std::to_string(t) + ":" + std::to_string(i);
        EXPECT_EQ(c.command({"SET", key, "v"}), Reply::make_status("OK"));
        EXPECT_EQ(c.command({"GET", key}), Reply::make_string("v"));
      }
    });
  }
  for (auto& th : threads) th.join();
}

class OutputPoolDefaults : public ClusterTest {};

TEST_F(OutputPoolDefaults, EachRequestReusesAWrittenBuffer) {
  one_by_one(proxy().port(), 1, 100);
  // 200 requests one at a time: every one after the first finds the block the
  // previous reply left (a 1-byte miss here or there would be an allocation).
  EXPECT_GE(pool_field(proxy().port(), "output_pool_reuses"), 199u);
  EXPECT_LE(pool_field(proxy().port(), "output_pool_buffers"), 1u);
}

class OutputPoolBounded : public ClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override { return {"--output-buffer-pool", "3"}; }
};

TEST_F(OutputPoolBounded, KeepsAtMostItsBound) {
  one_by_one(proxy().port(), 12, 50);
  EXPECT_GT(pool_field(proxy().port(), "output_pool_reuses"), 0u);
  EXPECT_LE(pool_field(proxy().port(), "output_pool_buffers"), 3u);
}

class OutputPoolOff : public ClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override { return {"--output-buffer-pool", "0"}; }
};

TEST_F(OutputPoolOff, ReusesNothing) {
  one_by_one(proxy().port(), 2, 50);
  EXPECT_EQ(pool_field(proxy().port(), "output_pool_reuses"), 0u);
  EXPECT_EQ(pool_field(proxy().port(), "output_pool_buffers"), 0u);
}

}  // namespace
}  // namespace ringproxy::testing
