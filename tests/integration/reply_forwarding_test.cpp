// Replies of 16 KiB and more are handed to their client with the storage they
// were read into instead of being copied. Whatever the mix of sizes, backends
// and pipelining, every client must get exactly its replies, byte for byte, in
// the order it sent the requests.
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

// Sizes around the threshold, a 1 MiB value (several reads), and small ones.
const std::vector<size_t> kSizes = {5, 16383, 16384, 16385, 40000, 100000, 1 << 20, 300};

std::string value_of(size_t size, size_t seed) {
  std::string v(size, '\0');
  for (size_t i = 0; i < size; ++i) v[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return v;
}

uint64_t replies_moved(uint16_t port) {
  Client c(port);
  std::string v = info_field(c.command({"INFO", "ringproxy"}).str, "replies_moved");
  EXPECT_FALSE(v.empty());
  return v.empty() ? 0 : std::stoull(v);
}

class ReplyForwarding : public ClusterTest {};

TEST_F(ReplyForwarding, BigAndSmallRepliesArriveWholeAndInOrder) {
  // 16 keys spread over the backends, each with a size from kSizes.
  std::vector<std::string> keys, values;
  {
    Client c(proxy().port());
    for (size_t i = 0; i < 16; ++i) {
      keys.push_back("fwd:" + std::to_string(i));
      values.push_back(value_of(kSizes[i % kSizes.size()], i));
      ASSERT_EQ(c.command({"SET", keys.back(), values.back()}), Reply::make_status("OK"));
    }
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Client c(proxy().port(), Duration(30000));
      for (int round = 0; round < 5; ++round) {
        // One by one (each reply is the head's), then pipelined in a shuffled
        // order (replies from different backends overtake each other).
        for (size_t i = 0; i < keys.size(); i += 3) {
          Reply r = c.command({"GET", keys[i]});
          ASSERT_EQ(r, Reply::make_string(values[i])) << keys[i] << " round " << round;
        }
        std::vector<std::vector<std::string>> cmds;
        std::vector<size_t> order;
        for (size_t j = 0; j < keys.size() * 2; ++j) {
          size_t i = (j * 5 + static_cast<size_t>(t + round)) % keys.size();
          order.push_back(i);
          cmds.push_back({"GET", keys[i]});
          if (j % 4 == 0) cmds.push_back({"PING"});
        }
        std::vector<Reply> rs = c.pipeline(cmds);
        ASSERT_EQ(rs.size(), cmds.size());
        size_t k = 0;
        for (size_t j = 0; j < order.size(); ++j) {
          ASSERT_EQ(rs[k++], Reply::make_string(values[order[j]])) << "pipelined " << j;
          if (j % 4 == 0) {
            ASSERT_EQ(rs[k++], Reply::make_status("PONG"));
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  // The big ones went by the move path (without it this test checks nothing new).
  EXPECT_GT(replies_moved(proxy().port()), 0u);
}

}  // namespace
}  // namespace ringproxy::testing
