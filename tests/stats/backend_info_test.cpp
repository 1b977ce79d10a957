// The backends' INFO figures: parsing Redis's memory and keyspace sections,
// summing them into the proxy's db0, and Redis 7's line format.
#include "ringproxy/stats/backend_info.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "ringproxy/common/text.hpp"

namespace ringproxy::stats {
namespace {

// As a Redis 7.0 answers INFO memory and INFO keyspace (abridged).
constexpr std::string_view kMemory =
    "# Memory\r\nused_memory:1032264\r\nused_memory_human:1008.07K\r\n"
    "used_memory_rss:7471104\r\nused_memory_peak:1032264\r\n";
constexpr std::string_view kKeyspace =
    "# Keyspace\r\ndb0:keys=120,expires=20,avg_ttl=59950\r\ndb1:keys=3,expires=0,avg_ttl=0\r\n"
    "db10:keys=7,expires=7,avg_ttl=100\r\n";

TEST(BackendInfo, ParsesUsedMemoryAndTheProxiedDatabase) {
  BackendInfo info;
  ASSERT_TRUE(parse_backend_info(kMemory, kKeyspace, 0, 42, info));
  EXPECT_TRUE(info.known);
  EXPECT_EQ(info.at_ms, 42u);
  EXPECT_EQ(info.used_memory, 1032264u);  // not used_memory_rss or _peak
  EXPECT_EQ(info.keyspace.keys, 120u);
  EXPECT_EQ(info.keyspace.expires, 20u);
  EXPECT_EQ(info.keyspace.avg_ttl_ms, 59950u);
  // --backend-db 1: that database's line, not db10's.
  ASSERT_TRUE(parse_backend_info(kMemory, kKeyspace, 1, 42, info));
  EXPECT_EQ(info.keyspace.keys, 3u);
  ASSERT_TRUE(parse_backend_info(kMemory, kKeyspace, 10, 42, info));
  EXPECT_EQ(info.keyspace.keys, 7u);
}

TEST(BackendInfo, AnEmptyDatabaseHasNoLineAndIsZero) {
  BackendInfo info;
  ASSERT_TRUE(parse_backend_info(kMemory, "# Keyspace\r\n", 0, 1, info));
  EXPECT_TRUE(info.known);
  EXPECT_EQ(info.keyspace.keys, 0u);
  EXPECT_EQ(info.keyspace.expires, 0u);
  ASSERT_TRUE(parse_backend_info(kMemory, kKeyspace, 2, 1, info));
  EXPECT_EQ(info.keyspace.keys, 0u);
}

TEST(BackendInfo, WhatDoesNotParseIsNoFigures) {
  BackendInfo info;
  EXPECT_FALSE(parse_backend_info("# Memory\r\nused_memory_rss:1\r\n", kKeyspace, 0, 1, info));
  EXPECT_FALSE(info.known);
  EXPECT_FALSE(parse_backend_info("used_memory:12x\r\n", kKeyspace, 0, 1, info));
  EXPECT_FALSE(parse_backend_info("used_memory:\r\n", kKeyspace, 0, 1, info));
  EXPECT_FALSE(parse_backend_info(kMemory, "db0:keys=-1,expires=0\r\n", 0, 1, info));
  EXPECT_FALSE(parse_backend_info(kMemory, "db0:expires=0,avg_ttl=0\r\n", 0, 1, info));
  EXPECT_FALSE(parse_backend_info(kMemory, "db0:keys\r\n", 0, 1, info));
  EXPECT_FALSE(info.known);
}

TEST(BackendInfo, LaterFieldsAndLineEndingsAreTolerated) {
  KeyspaceFigures f;
  // Redis 7.4 adds subexpiry.
  ASSERT_TRUE(parse_keyspace_value("keys=5,expires=2,avg_ttl=10,subexpiry=0", f));
  EXPECT_EQ(f.keys, 5u);
  EXPECT_EQ(f.expires, 2u);
  EXPECT_EQ(f.avg_ttl_ms, 10u);
  BackendInfo info;
  ASSERT_TRUE(parse_backend_info("used_memory:9\n", "db0:keys=4,expires=0,avg_ttl=0", 0, 1, info));
  EXPECT_EQ(info.used_memory, 9u);
  EXPECT_EQ(info.keyspace.keys, 4u);
  EXPECT_EQ(info_value("used_memory_rss:1\r\nused_memory:2\r\n", "used_memory"), "2");
  EXPECT_EQ(info_value("used_memory_rss:1\r\n", "used_memory"), "");
}

TEST(BackendInfo, SumsKeysAndExpiresAndWeighsAvgTtlByExpires) {
  const std::vector<KeyspaceFigures> parts = {
      {100, 10, 1000},  // 10 volatile keys, 1 s on average
      {50, 30, 5000},   // 30 volatile keys, 5 s on average
      {7, 5, 0},        // not estimated yet: left out of the mean
      {0, 0, 0},
  };
  const KeyspaceFigures total = sum_keyspace(parts);
  EXPECT_EQ(total.keys, 157u);
  EXPECT_EQ(total.expires, 45u);
  EXPECT_EQ(total.avg_ttl_ms, (10u * 1000 + 30u * 5000) / 40);
  EXPECT_EQ(sum_keyspace(std::vector<KeyspaceFigures>{{3, 0, 0}}).avg_ttl_ms, 0u);
  EXPECT_EQ(sum_keyspace({}).keys, 0u);
}

TEST(BackendInfo, KeyspaceLineIsRedisSevens) {
  EXPECT_EQ(keyspace_line(0, {157, 45, 4000}), "db0:keys=157,expires=45,avg_ttl=4000");
  EXPECT_EQ(keyspace_line(3, {1, 0, 0}), "db3:keys=1,expires=0,avg_ttl=0");
  // What the proxy prints parses back the same.
  KeyspaceFigures f;
  ASSERT_TRUE(parse_keyspace_value(info_value(keyspace_line(0, {9, 8, 7}), "db0"), f));
  EXPECT_EQ(f.keys, 9u);
  EXPECT_EQ(f.expires, 8u);
  EXPECT_EQ(f.avg_ttl_ms, 7u);
}

TEST(BackendInfo, HumanBytesAsRedisPrintsThem) {
  EXPECT_EQ(human_bytes(0), "0B");
  EXPECT_EQ(human_bytes(1023), "1023B");
  EXPECT_EQ(human_bytes(1024), "1.00K");
  EXPECT_EQ(human_bytes(1032264), "1008.07K");
  EXPECT_EQ(human_bytes(7340032), "7.00M");
  EXPECT_EQ(human_bytes(3ull << 30), "3.00G");
}

}  // namespace
}  // namespace ringproxy::stats
