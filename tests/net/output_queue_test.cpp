// OutputQueue: small output appended to the tail, big buffers linked without
// a copy, everything written in order whatever the mix.
#include "ringproxy/net/output_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringproxy {
namespace {

// Everything gather() describes, as one string.
std::string gathered(const OutputQueue& q, int max = 64) {
  iovec iov[64];
  int n = q.gather(iov, max);
  std::string out;
  for (int i = 0; i < n; ++i) out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return out;
}

Buffer buffer_of(const std::string& s) {
  Buffer b;
  b.append(s);
  return b;
}

TEST(OutputQueue, SmallOutputStaysInOneBuffer) {
  OutputQueue q;
  EXPECT_TRUE(q.empty());
  q.tail().append("+OK\r\n");
  q.tail().append(":1\r\n");
  EXPECT_EQ(q.size(), 9u);
  EXPECT_EQ(q.buffers(), 1u);
  EXPECT_EQ(gathered(q), "+OK\r\n:1\r\n");
}

TEST(OutputQueue, ALinkedBufferKeepsItsStorageAndItsPlace) {
  OutputQueue q;
  q.tail().append("before ");
  Buffer big = buffer_of(std::string(100000, 'v'));
  const char* storage = big.data();
  q.append_buffer(big);
  EXPECT_EQ(big.capacity(), 0u);  // taken, not copied
  q.tail().append(" after");
  EXPECT_EQ(q.buffers(), 3u);
  iovec iov[4];
  ASSERT_EQ(q.gather(iov, 4), 3);
  EXPECT_EQ(iov[1].iov_base, storage);
  EXPECT_EQ(gathered(q), "before " + std::string(100000, 'v') + " after");
  EXPECT_EQ(q.size(), 7u + 100000u + 6u);
}

TEST(OutputQueue, ConsumeAcrossBuffers) {
  OutputQueue q;
  q.tail().append("ab");
  Buffer b1 = buffer_of("cdef");
  q.append_buffer(b1);
  Buffer b2 = buffer_of("gh");
  q.append_buffer(b2);
  q.tail().append("ij");
  EXPECT_EQ(q.size(), 10u);
  q.consume(3);
  EXPECT_EQ(gathered(q), "defghij");
  EXPECT_EQ(q.size(), 7u);  // kept as a count, not walked: it must follow every change
  q.consume(5);
  EXPECT_EQ(gathered(q), "ij");
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.buffers(), 1u);  // the emptied links are gone
  q.consume(2);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
}

TEST(OutputQueue, GatherStopsAtMax) {
  OutputQueue q;
  for (int i = 0; i < 5; ++i) {
    q.tail().append(std::to_string(i));
    Buffer b = buffer_of("-");
    q.append_buffer(b);
  }
  EXPECT_EQ(gathered(q, 3), "0-1");
  EXPECT_EQ(gathered(q), "0-1-2-3-4-");
}

TEST(OutputQueue, SealTailMakesRoomForABufferToFollow) {
  OutputQueue q;
  q.tail().append("first");
  q.seal_tail();
  EXPECT_TRUE(q.tail().empty());
  q.tail().swap(*std::make_unique<Buffer>(buffer_of("second")));
  EXPECT_EQ(gathered(q), "firstsecond");
  Buffer empty;
  q.append_buffer(empty);  // nothing to link
  EXPECT_EQ(q.buffers(), 2u);
}

TEST(OutputQueue, TakeAllEmptiesTheQueueInOrder) {
  OutputQueue q;
  q.tail().append("a");
  Buffer b = buffer_of("b");
  q.append_buffer(b);
  q.tail().append("c");
  std::vector<Buffer> out;
  q.take_all(out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].view(), "a");
  EXPECT_EQ(out[1].view(), "b");
  EXPECT_EQ(out[2].view(), "c");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  q.tail().append("d");
  EXPECT_EQ(gathered(q), "d");
}

}  // namespace
}  // namespace ringproxy
