// The cleaner's decisions without I/O: which keys of a SCAN batch are
// deleted, when an entry may be dropped (after a full pass that started after
// it was made, cleanable from the start), the window delay, and the rate.
#include "ringproxy/placement/dirty_cleaner.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ring_test_util.hpp"
#include "ringproxy/placement/ring_builder.hpp"

namespace ringproxy {
namespace {

using test::numbered;
using test::params;

// 3 -> 4 with ketama: the entries of the three old owners.
struct Expansion {
  std::shared_ptr<const RingSnapshot> three =
      make_ring(params(DistributionKind::kKetama), numbered(1, 3), "config");
  std::shared_ptr<const RingSnapshot> four;
  std::vector<std::pair<uint32_t, DirtyEntry>> entries;

  explicit Expansion(uint64_t window_ms = 0) {
    MembershipOptions o;
    o.source = "test";
    o.joining = Liveness::kUp;
    o.now_ms = 100;
    o.window_ms = window_ms;
    four = with_members(*three, numbered(1, 4), o);
    entries = lost_ranges(*three, *four, 100);
  }
  DirtyEntry entry_of(uint32_t slot) const {
    for (const auto& [s, e] : entries) {
      if (s == slot) return e;
    }
    throw std::logic_error("no entry");
  }
};

KeyHasher hasher() {
  return KeyHasher(HashKind::kMurmur, "");
}

// Keys slot 0 held before the expansion, split by whether they moved.
void keys_of_slot0(const Expansion& x, std::vector<std::string>& moved,
                   std::vector<std::string>& kept) {
  for (int i = 0; moved.size() < 50 || kept.size() < 50; ++i) {
    std::string key = "user:" + std::to_string(i);
    const uint32_t h = x.three->key_hash(key);
    if (x.three->owner_slot(h) != 0) continue;
    (x.four->owner_slot(h) == 0 ? kept : moved).push_back(std::move(key));
  }
}

std::vector<std::string_view> views(const std::vector<std::string>& keys) {
  return {keys.begin(), keys.end()};
}

TEST(DirtyCleaner, SelectsExactlyTheKeysOfCleanableEntries) {
  const Expansion x;
  DirtyCleaner cleaner(hasher(), {});
  cleaner.add(x.entry_of(0));
  std::vector<std::string> moved, kept;
  keys_of_slot0(x, moved, kept);
  std::vector<std::string> batch = moved;
  batch.insert(batch.end(), kept.begin(), kept.end());
  const std::vector<std::string_view> keys = views(batch);
  std::vector<size_t> out;
  cleaner.select(keys, 100, out);
  ASSERT_EQ(out.size(), moved.size());
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], i);
  EXPECT_EQ(cleaner.stats().keys_selected, moved.size());
}

TEST(DirtyCleaner, EntriesInAWindowKeepTheirKeysUntilItEnds) {
  const Expansion x(/*window_ms=*/1000);
  DirtyCleaner cleaner(hasher(), {});
  cleaner.add(x.entry_of(0));
  EXPECT_FALSE(cleaner.has_work(1099));
  EXPECT_TRUE(cleaner.has_work(1100));
  std::vector<std::string> moved, kept;
  keys_of_slot0(x, moved, kept);
  const std::vector<std::string_view> keys = views(moved);
  std::vector<size_t> out;
  cleaner.select(keys, 1099, out);
  EXPECT_TRUE(out.empty());
  cleaner.select(keys, 1100, out);
  EXPECT_EQ(out.size(), moved.size());
  // A pass that started inside the window does not drop the entry.
  cleaner.next_batch(1000);
  EXPECT_EQ(cleaner.finish_batch(0, 10, 1200), 0u);
  EXPECT_EQ(cleaner.dirty().size(), 1u);
  cleaner.next_batch(1200);
  EXPECT_EQ(cleaner.finish_batch(0, 10, 1300), 1u);
  EXPECT_TRUE(cleaner.dirty().empty());
}

TEST(DirtyCleaner, AFullPassStartedAfterAnEntryDropsIt) {
  const Expansion x;
  DirtyCleaner cleaner(hasher(), {.rate = 1000000, .batch = 100});
  cleaner.add(x.entry_of(0));
  EXPECT_FALSE(cleaner.pass_running());
  DirtyCleaner::Batch b = cleaner.next_batch(200);
  EXPECT_EQ(b.cursor, 0u);
  EXPECT_EQ(b.count, 100u);
  EXPECT_TRUE(cleaner.pass_running());
  EXPECT_EQ(cleaner.finish_batch(17, 100, 201), 0u);
  // An entry made mid-pass is not covered by this pass.
  cleaner.add(x.entry_of(1));
  b = cleaner.next_batch(202);
  EXPECT_EQ(b.cursor, 17u);
  EXPECT_EQ(cleaner.finish_batch(0, 40, 203), 1u);  // the pass ends: only the first goes
  EXPECT_FALSE(cleaner.pass_running());
  ASSERT_EQ(cleaner.dirty().size(), 1u);
  EXPECT_EQ(cleaner.dirty().entries()[0].after_node, x.entry_of(1).after_node);
  EXPECT_EQ(cleaner.stats().passes, 1u);
  EXPECT_EQ(cleaner.stats().keys_scanned, 140u);
  // The next full pass drops the second one.
  EXPECT_EQ(cleaner.next_batch(300).cursor, 0u);
  EXPECT_EQ(cleaner.finish_batch(0, 10, 301), 1u);
  EXPECT_FALSE(cleaner.has_work(400));
  EXPECT_EQ(cleaner.stats().entries_dropped, 2u);
}

TEST(DirtyCleaner, AnAbortedPassStartsOverAndAFlushClearsEverything) {
  const Expansion x;
  DirtyCleaner cleaner(hasher(), {});
  cleaner.add(x.entry_of(0));
  cleaner.next_batch(200);
  cleaner.finish_batch(99, 10, 201);
  cleaner.abort_pass();  // the backend went down
  EXPECT_EQ(cleaner.next_batch(300).cursor, 0u);
  EXPECT_EQ(cleaner.dirty().size(), 1u);
  cleaner.clear();  // flushed at rejoin
  EXPECT_TRUE(cleaner.dirty().empty());
  EXPECT_FALSE(cleaner.pass_running());
}

TEST(DirtyCleaner, RateLimitsKeysScanned) {
  const Expansion x;
  DirtyCleaner cleaner(hasher(), {.rate = 1000, .batch = 500});
  cleaner.add(x.entry_of(0));
  EXPECT_FALSE(cleaner.ready(99));   // the entry is from t = 100
  EXPECT_TRUE(cleaner.ready(1000));  // one batch is paid for at the start
  cleaner.next_batch(1000);
  cleaner.finish_batch(5, 500, 1000);
  EXPECT_EQ(cleaner.wait_ms(1000), 500u);  // 500 keys at 1000 keys/s
  EXPECT_FALSE(cleaner.ready(1250));
  EXPECT_EQ(cleaner.wait_ms(1250), 250u);
  EXPECT_TRUE(cleaner.ready(1500));
  // A reply larger than COUNT is paid for too.
  cleaner.next_batch(1500);
  cleaner.finish_batch(6, 1000, 1500);
  EXPECT_EQ(cleaner.wait_ms(1500), 1000u);
  // The bucket holds one batch at most: a long pause does not allow a burst.
  cleaner.finish_batch(7, 0, 100000);
  EXPECT_EQ(cleaner.wait_ms(100000), 0u);
  cleaner.finish_batch(8, 500, 100000);
  EXPECT_EQ(cleaner.wait_ms(100000), 500u);
  EXPECT_THROW(DirtyCleaner(hasher(), {.rate = 0, .batch = 1}), std::invalid_argument);
  EXPECT_THROW(DirtyCleaner(hasher(), {.rate = 1, .batch = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace ringproxy
