// BufferPool: small emptied output buffers are kept (up to the bound) and lent
// to buffers without storage; big or surplus ones are freed; an idle pool is
// emptied by the sweep.
#include "ringproxy/net/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace ringproxy {
namespace {

// Storage identity as a number: comparing pointers to storage that a
// Buffer's destructor frees later trips GCC's -Wuse-after-free.
uintptr_t addr(const char* p) {
  return reinterpret_cast<uintptr_t>(p);
}

Buffer written(size_t bytes) {
  Buffer b;
  b.append(std::string(bytes, 'x'));
  b.consume(bytes);  // written out: empty, storage kept
  return b;
}

TEST(BufferPool, ReusesTheStorageOfAWrittenBuffer) {
  BufferPool pool(8);
  Buffer a = written(10);
  const uintptr_t storage = addr(a.data());
  pool.give_back(a);
  EXPECT_EQ(a.capacity(), 0u);
  EXPECT_EQ(pool.blocks(), 1u);
  Buffer b;
  pool.lend(b);
  EXPECT_EQ(addr(b.data()), storage);
  EXPECT_GT(b.capacity(), 0u);
  EXPECT_EQ(pool.blocks(), 0u);
  EXPECT_EQ(pool.lends(), 1u);
}

TEST(BufferPool, LendsOnlyToBuffersWithoutStorage) {
  BufferPool pool(8);
  Buffer kept = written(10);
  pool.give_back(kept);
  Buffer has = written(10);
  const uintptr_t own = addr(has.data());
  pool.lend(has);
  EXPECT_EQ(addr(has.data()), own);
  EXPECT_EQ(pool.blocks(), 1u);
  EXPECT_EQ(pool.lends(), 0u);
}

TEST(BufferPool, KeepsNoDataBigBlocksOrMoreThanItsBound) {
  BufferPool pool(2);
  Buffer full;
  full.append("pending");
  pool.give_back(full);
  EXPECT_EQ(full.size(), 7u);  // unwritten output is never taken
  EXPECT_EQ(pool.blocks(), 0u);

  Buffer big = written(BufferPool::kMaxBlock + 1);
  pool.give_back(big);
  EXPECT_EQ(big.capacity(), 0u);  // freed, not kept
  EXPECT_EQ(pool.blocks(), 0u);

  for (int i = 0; i < 3; ++i) {
    Buffer b = written(10);
    pool.give_back(b);
    EXPECT_EQ(b.capacity(), 0u);
  }
  EXPECT_EQ(pool.blocks(), 2u);
  EXPECT_LE(pool.bytes(), 2 * BufferPool::kMaxBlock);
}

TEST(BufferPool, ZeroBoundFreesEverything) {
  BufferPool pool(0);
  Buffer b = written(10);
  pool.give_back(b);
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_EQ(pool.blocks(), 0u);
}

TEST(BufferPool, SweepEmptiesOnlyAnUnusedPool) {
  BufferPool pool(8);
  Buffer a = written(10), b = written(10);
  pool.give_back(a);
  pool.give_back(b);
  Buffer c;
  pool.lend(c);
  EXPECT_EQ(pool.sweep(), 0u);  // lent since the last sweep: busy, kept
  EXPECT_EQ(pool.blocks(), 1u);
  EXPECT_GT(pool.sweep(), 0u);  // nothing lent since: idle, freed
  EXPECT_EQ(pool.blocks(), 0u);
  EXPECT_EQ(pool.bytes(), 0u);
}

}  // namespace
}  // namespace ringproxy
