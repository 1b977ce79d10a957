// Buffer: reads sized for a message whose length is known, bounded per call.
#include "ringproxy/common/buffer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>

namespace ringproxy {
namespace {

TEST(Buffer, ReadRoomIsTheChunkWhenNothingMoreIsKnown) {
  Buffer b;
  size_t avail = 0;
  b.tail_for_read(4096, 0, &avail);
  EXPECT_GE(avail, 4096u);
  EXPECT_LT(avail, 2 * 4096u);
}

TEST(Buffer, ReadRoomTakesAKnownMessageAtOnce) {
  Buffer b;
  b.append(std::string(1000, 'x'));
  size_t avail = 0;
  char* p = b.tail_for_read(4096, 300000, &avail);
  EXPECT_EQ(p, b.data() + 1000);
  EXPECT_EQ(avail, 299000u);  // exactly what is missing, not a doubling
  EXPECT_EQ(b.capacity(), 300000u);
  EXPECT_EQ(b.view(), std::string(1000, 'x'));  // kept across the growth
}

TEST(Buffer, AnAnnouncedLengthAloneAllocatesBoundedSteps) {
  Buffer b;
  b.append("$999999999\r\n");
  size_t avail = 0;
  b.tail_for_read(4096, 1000000000, &avail);
  EXPECT_LE(b.capacity(), 12 + 4u * 1024 * 1024);
}

// Issue 15, defect 3: growing by fixed 4 MiB steps copied everything read so
// far at each step (a 500 MB value: about 30 GB of copying). Each step now
// at most doubles what is held, so the bytes a message's growths copy add up
// to less than twice its size (and realloc remaps big blocks instead), and
// memory stays within about twice what arrived.
TEST(Buffer, ABigMessageReadInPiecesGrowsGeometrically) {
  const size_t wanted = 64u * 1024 * 1024;
  Buffer b;
  size_t grows = 0;
  size_t copied = 0;  // bytes held at each growth: the most a growth copies
  size_t last_cap = 0;
  while (b.size() < wanted) {
    size_t avail = 0;
    b.tail_for_read(64 * 1024, wanted, &avail);
    if (b.capacity() != last_cap) {
      grows++;
      copied += b.size();
      last_cap = b.capacity();
    }
    EXPECT_LE(b.capacity(), std::max<size_t>(2 * b.size(), Buffer::kMaxPresize) + 64 * 1024);
    b.commit(std::min(avail, size_t{256 * 1024}));  // a read takes what the socket had
  }
  EXPECT_EQ(b.capacity(), wanted);  // the last step is exact
  EXPECT_LE(grows, 10u);
  EXPECT_LE(copied, 2 * wanted);
}

TEST(Buffer, MovedFromIsEmptyWithoutStorage) {
  Buffer a;
  a.append("abc");
  Buffer b(std::move(a));
  EXPECT_EQ(b.view(), "abc");
  EXPECT_EQ(a.capacity(), 0u);  // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_TRUE(a.empty());
  a.append("x");
  Buffer c;
  c = std::move(a);
  EXPECT_EQ(c.view(), "x");
  EXPECT_EQ(a.capacity(), 0u);  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace ringproxy
