// SpaceSaving keeps its guarantees against exact counts; HotKeys finds a
// planted hot key through sampling, rotates its windows, and merges loops.
#include "ringproxy/stats/hot_keys.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ringproxy/stats/space_saving.hpp"

namespace ringproxy::stats {
namespace {

TEST(SpaceSaving, CountsExactlyWhileEveryKeyHasACounter) {
  SpaceSaving s(8, 64);
  for (int round = 0; round < 5; ++round) {
    for (int k = 0; k < 8; ++k) {
      for (int j = 0; j <= k; ++j) s.add("key" + std::to_string(k), static_cast<uint32_t>(k));
    }
  }
  EXPECT_EQ(s.size(), 8u);
  EXPECT_EQ(s.total(), 5u * 36);
  auto top = s.top(3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0]->key, "key7");
  EXPECT_EQ(top[0]->count, 40u);
  EXPECT_EQ(top[0]->error, 0u);
  EXPECT_EQ(top[0]->tag, 7u);
  EXPECT_EQ(top[1]->key, "key6");
  EXPECT_EQ(top[2]->key, "key5");
  EXPECT_EQ(s.untracked_max(), 5u);  // full: the smallest count (key0)
}

// Zipf-like stream over many more keys than counters: every key above N/K is
// tracked, and each tracked count brackets the truth.
TEST(SpaceSaving, KeepsItsGuaranteesOnASkewedStream) {
  const uint32_t k = 32;
  SpaceSaving s(k, 64);
  std::mt19937_64 rng(5);
  std::vector<double> weights;
  for (int i = 1; i <= 5000; ++i) weights.push_back(1.0 / std::pow(i, 1.1));
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  std::map<std::string, uint64_t> truth;
  const uint64_t n = 200000;
  for (uint64_t i = 0; i < n; ++i) {
    std::string key = "user:" + std::to_string(pick(rng));
    ++truth[key];
    s.add(key, 0);
  }
  EXPECT_EQ(s.total(), n);
  std::map<std::string, const SpaceSaving::Entry*> tracked;
  for (const SpaceSaving::Entry* e : s.top(k)) tracked[e->key] = e;
  EXPECT_EQ(tracked.size(), k);
  for (const auto& [key, count] : truth) {
    auto it = tracked.find(key);
    if (count > n / k) {
      ASSERT_NE(it, tracked.end()) << key << " seen " << count << " times is missing";
    }
    if (it != tracked.end()) {
      EXPECT_GE(it->second->count, count) << key;
      EXPECT_LE(it->second->count - it->second->error, count) << key;
    } else {
      EXPECT_LE(count, s.untracked_max()) << key;
    }
  }
  EXPECT_EQ(s.top(1)[0]->key, "user:0");
}

TEST(SpaceSaving, LongKeysAreStoredTruncatedButToldApartByTheirWholeBytes) {
  SpaceSaving s(4, 8);
  std::string a = "prefix:aaaaaaaaaaaa1";
  std::string b = "prefix:aaaaaaaaaaaa2";  // same first 8 bytes, same length
  s.add(a, 1);
  s.add(a, 1);
  s.add(b, 2);
  auto top = s.top(4);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0]->key, "prefix:a");
  EXPECT_EQ(top[0]->key_length, a.size());
  EXPECT_EQ(top[0]->count, 2u);
  EXPECT_EQ(top[0]->tag, 1u);
  EXPECT_EQ(top[1]->count, 1u);
  EXPECT_EQ(top[1]->tag, 2u);
  // Binary keys, the empty key.
  s.add(std::string("\0\xff", 2), 3);
  s.add("", 4);
  EXPECT_EQ(s.size(), 4u);
}

// Many evictions exercise the index's deletions: every tracked key must stay
// findable (an add of a tracked key increments it instead of taking a counter).
TEST(SpaceSaving, IndexStaysConsistentThroughEvictions) {
  SpaceSaving s(16, 16);
  std::mt19937 rng(9);
  for (int i = 0; i < 20000; ++i) s.add("k" + std::to_string(rng() % 64), 0);
  for (const SpaceSaving::Entry* e : s.top(16)) {
    uint64_t before = e->count;
    std::string key = e->key;
    uint32_t size = s.size();
    s.add(key, 0);
    EXPECT_EQ(s.size(), size);
    bool found = false;
    for (const SpaceSaving::Entry* f : s.top(16)) {
      if (f->key == key) {
        EXPECT_EQ(f->count, before + 1) << key;
        found = true;
      }
    }
    EXPECT_TRUE(found) << key;
  }
  s.clear();
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.total(), 0u);
  EXPECT_TRUE(s.top(4).empty());
}

HotKeyOptions options(uint32_t every, uint64_t window_ms = 10000) {
  HotKeyOptions o;
  o.capacity = 16;
  o.sample_every = every;
  o.window_ms = window_ms;
  return o;
}

TEST(HotKeys, SampleEveryOneCountsEveryRequest) {
  HotKeys h(options(1), 0);
  for (int i = 0; i < 10; ++i) h.record("a", 3);
  h.record("b", 4);
  HotKeyReport r = h.report(10);
  ASSERT_EQ(r.current.keys.size(), 2u);
  EXPECT_EQ(r.current.keys[0].key, "a");
  EXPECT_EQ(r.current.keys[0].requests, 10u);
  EXPECT_EQ(r.current.keys[0].backend, 3u);
  EXPECT_EQ(r.current.keys[0].error, 0u);
  EXPECT_EQ(r.current.sampled, 11u);
  EXPECT_TRUE(r.previous.keys.empty());
}

TEST(HotKeys, SamplesOneRequestInNOnAverage) {
  HotKeys h(options(32), 0);
  const int n = 320000;
  for (int i = 0; i < n; ++i) h.record("k" + std::to_string(i % 1000), 0);
  double sampled = static_cast<double>(h.report(1).current.sampled);
  EXPECT_NEAR(sampled, n / 32.0, n / 32.0 * 0.05);
}

TEST(HotKeys, FindsAPlantedHotKeyAmongUniformTraffic) {
  HotKeyOptions o = options(32);
  o.capacity = 64;  // tracks for sure any key above 1/64 of the requests
  HotKeys h(o, 0);
  std::mt19937 rng(1);
  // 5% of 200,000 requests for one key, the rest over 100,000 keys.
  for (int i = 0; i < 200000; ++i) {
    if (i % 20 == 0) {
      h.record("hot:planted", 2);
    } else {
      h.record("user:" + std::to_string(rng() % 100000), 1);
    }
  }
  HotKeyReport r = h.report(5);
  ASSERT_FALSE(r.current.keys.empty());
  const HotKey& top = r.current.keys[0];
  EXPECT_EQ(top.key, "hot:planted");
  EXPECT_EQ(top.backend, 2u);
  // 10,000 requests lie within [requests - error, requests], give or take the
  // sampling noise (about sqrt(312) * 32 = 570).
  EXPECT_GE(static_cast<double>(top.requests), 10000.0 - 2000.0);
  EXPECT_LE(static_cast<double>(top.requests - top.error), 10000.0 + 2000.0);
  EXPECT_LT(top.error, top.requests / 2);
}

TEST(HotKeys, WindowsRotateAndOldKeysFade) {
  HotKeys h(options(1, 1000), 0);
  h.record("old", 0);
  h.tick(500);  // not yet
  EXPECT_TRUE(h.report(5).previous.keys.empty());
  h.tick(1000);  // rotates: "old" is in the previous window
  h.record("new", 0);
  HotKeyReport r = h.report(5);
  ASSERT_EQ(r.previous.keys.size(), 1u);
  EXPECT_EQ(r.previous.keys[0].key, "old");
  EXPECT_EQ(r.previous.start_ms, 0u);
  EXPECT_EQ(r.previous.end_ms, 1000u);
  ASSERT_EQ(r.current.keys.size(), 1u);
  EXPECT_EQ(r.current.keys[0].key, "new");
  h.tick(2000);  // "old" is gone, "new" is previous
  r = h.report(5);
  ASSERT_EQ(r.previous.keys.size(), 1u);
  EXPECT_EQ(r.previous.keys[0].key, "new");
  EXPECT_TRUE(r.current.keys.empty());
  h.record("stale", 0);
  h.tick(10000);  // no tick for several windows: nothing that old is shown
  r = h.report(5);
  EXPECT_TRUE(r.previous.keys.empty());
  EXPECT_TRUE(r.current.keys.empty());
}

TEST(HotKeys, MergeSumsLoopsAndWidensErrorsForUnlistedKeys) {
  HotKeyWindow a;
  a.sampled = 10;
  a.untracked_max = 3;
  a.keys = {{"x", 1, 0, 50, 0}, {"y", 1, 1, 20, 2}};
  HotKeyWindow b;
  b.sampled = 5;
  b.untracked_max = 4;
  b.keys = {{"x", 1, 0, 30, 1}, {"z", 1, 2, 25, 0}};
  std::vector<HotKeyWindow> loops = {a, b};
  HotKeyWindow m = merge_hot_key_windows(loops, 10);
  EXPECT_EQ(m.sampled, 15u);
  EXPECT_EQ(m.untracked_max, 7u);
  ASSERT_EQ(m.keys.size(), 3u);
  EXPECT_EQ(m.keys[0].key, "x");
  EXPECT_EQ(m.keys[0].requests, 80u);
  EXPECT_EQ(m.keys[0].error, 1u);
  EXPECT_EQ(m.keys[1].key, "z");  // 25 + up to 3 from loop a
  EXPECT_EQ(m.keys[1].requests, 28u);
  EXPECT_EQ(m.keys[1].error, 3u);
  EXPECT_EQ(m.keys[2].key, "y");  // 20 + up to 4 from loop b
  EXPECT_EQ(m.keys[2].requests, 24u);
  EXPECT_EQ(m.keys[2].error, 6u);
  EXPECT_EQ(merge_hot_key_windows(loops, 1).keys.size(), 1u);
}

}  // namespace
}  // namespace ringproxy::stats
