// Buffer: reads sized for a message whose length is known, bounded per call.
#include "ringproxy/common/buffer.hpp"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace ringproxy
