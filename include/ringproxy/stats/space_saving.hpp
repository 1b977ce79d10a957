// Space-Saving (Metwally, Agrawal, El Abbadi 2005): the most frequent keys of
// a stream in a fixed number of counters.
//
// With capacity K, every key seen more than N/K times in a stream of N adds is
// tracked, and each tracked key's count overestimates its true count by at
// most its `error` (the count of the key it replaced). A new key, once all K
// counters are taken, replaces the key with the smallest count.
//
// Memory is fixed at construction: K entries, each with room for
// `max_key_bytes` of key (longer keys keep their first max_key_bytes bytes
// and are told apart by a 64-bit hash of the whole key and its length), a
// hash index and a min-heap. add() never allocates. Its cost is a hash of the
// key, a probe of the index, and a heap step of O(log K); HotKeys calls it
// only for sampled requests.
//
// Threading: one owner thread; not synchronized.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringproxy::stats {

class SpaceSaving {
 public:
  struct Entry {
    uint64_t hash = 0;
    uint64_t count = 0;
    uint64_t error = 0;
    uint64_t key_length = 0;  // of the whole key; key holds at most max_key_bytes of it
    uint32_t tag = 0;         // the caller's figure of the last add (the proxy: the backend)
    uint32_t heap_pos = 0;
    std::string key;
  };

  // capacity >= 1, max_key_bytes >= 1.
  SpaceSaving(uint32_t capacity, uint32_t max_key_bytes);

  // Counts one occurrence of `key`, remembering `tag` with it.
  void add(std::string_view key, uint32_t tag);
  // Forgets every key; keeps the memory.
  void clear();

  uint32_t capacity() const { return capacity_; }
  uint32_t size() const { return size_; }
  uint64_t total() const { return total_; }  // adds since the last clear()
  // The smallest tracked count once every counter is taken (an untracked key
  // occurred at most this often), else 0.
  uint64_t untracked_max() const;
  // The tracked keys, most frequent first, at most `n`.
  std::vector<const Entry*> top(size_t n) const;

  // Hash used to tell keys apart (64-bit, over the whole key).
  static uint64_t hash_key(std::string_view key);

 private:
  // Index of the entry holding `key`, or -1.
  int64_t find(uint64_t hash, std::string_view key) const;
  void index_insert(uint32_t entry);
  void index_erase(uint32_t entry);
  void sift_up(uint32_t pos);
  void sift_down(uint32_t pos);
  void place(uint32_t pos, uint32_t entry);
  bool matches(const Entry& e, uint64_t hash, std::string_view key) const;

  uint32_t capacity_;
  uint32_t max_key_bytes_;
  uint32_t size_ = 0;
  uint64_t total_ = 0;
  std::vector<Entry> entries_;
  std::vector<uint32_t> heap_;   // entry indexes, min-heap by count
  std::vector<uint32_t> index_;  // open addressing by hash: entry + 1, 0 = empty
  uint64_t index_mask_ = 0;
};

}  // namespace ringproxy::stats
