// Space-Saving top-K; see space_saving.hpp.
#include "ringproxy/stats/space_saving.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>

#include "ringproxy/common/assert.hpp"

namespace ringproxy::stats {

SpaceSaving::SpaceSaving(uint32_t capacity, uint32_t max_key_bytes)
    : capacity_(std::max<uint32_t>(capacity, 1)),
      max_key_bytes_(std::max<uint32_t>(max_key_bytes, 1)),
      entries_(capacity_),
      heap_(capacity_) {
  for (Entry& e : entries_) e.key.reserve(max_key_bytes_);
  // At most half full, so probe runs stay short.
  size_t slots = std::bit_ceil(size_t{capacity_} * 2);
  index_.assign(slots, 0);
  index_mask_ = slots - 1;
}

uint64_t SpaceSaving::hash_key(std::string_view key) {
  // MurmurHash64A: eight bytes per step, so a sampled key costs a few
  // instructions per word rather than per byte.
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const size_t len = key.size();
  const char* p = key.data();
  uint64_t h = 0x8445d61a4e774912ULL ^ (len * m);
  for (size_t left = len; left >= 8; left -= 8, p += 8) {
    uint64_t k;
    std::memcpy(&k, p, 8);
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  if (size_t tail = len & 7; tail != 0) {
    uint64_t k = 0;
    for (size_t i = 0; i < tail; ++i) k |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    h ^= k;
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

bool SpaceSaving::matches(const Entry& e, uint64_t hash, std::string_view key) const {
  return e.hash == hash && e.key_length == key.size() &&
         std::string_view(e.key) == key.substr(0, max_key_bytes_);
}

int64_t SpaceSaving::find(uint64_t hash, std::string_view key) const {
  for (uint64_t slot = hash & index_mask_;; slot = (slot + 1) & index_mask_) {
    uint32_t v = index_[slot];
    if (v == 0) return -1;
    if (matches(entries_[v - 1], hash, key)) return v - 1;
  }
}

void SpaceSaving::index_insert(uint32_t entry) {
  uint64_t slot = entries_[entry].hash & index_mask_;
  while (index_[slot] != 0) slot = (slot + 1) & index_mask_;
  index_[slot] = entry + 1;
}

void SpaceSaving::index_erase(uint32_t entry) {
  uint64_t slot = entries_[entry].hash & index_mask_;
  while (index_[slot] != entry + 1) slot = (slot + 1) & index_mask_;
  // Backward-shift deletion: move later members of the probe run into the
  // hole when their home slot does not lie strictly between hole and them.
  uint64_t hole = slot;
  for (uint64_t next = (hole + 1) & index_mask_; index_[next] != 0;
       next = (next + 1) & index_mask_) {
    uint64_t home = entries_[index_[next] - 1].hash & index_mask_;
    bool stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
    if (stays) continue;
    index_[hole] = index_[next];
    hole = next;
  }
  index_[hole] = 0;
}

void SpaceSaving::place(uint32_t pos, uint32_t entry) {
  heap_[pos] = entry;
  entries_[entry].heap_pos = pos;
}

void SpaceSaving::sift_up(uint32_t pos) {
  // The moving entry waits outside the heap while parents move down into the hole.
  uint32_t moving = heap_[pos];
  uint64_t count = entries_[moving].count;
  while (pos > 0) {
    uint32_t parent = (pos - 1) / 2;
    if (entries_[heap_[parent]].count <= count) break;
    place(pos, heap_[parent]);
    pos = parent;
  }
  place(pos, moving);
}

void SpaceSaving::sift_down(uint32_t pos) {
  uint32_t moving = heap_[pos];
  uint64_t count = entries_[moving].count;
  for (;;) {
    uint32_t child = 2 * pos + 1;
    if (child >= size_) break;
    if (child + 1 < size_ && entries_[heap_[child + 1]].count < entries_[heap_[child]].count) {
      ++child;
    }
    if (entries_[heap_[child]].count >= count) break;
    place(pos, heap_[child]);
    pos = child;
  }
  place(pos, moving);
}

void SpaceSaving::add(std::string_view key, uint32_t tag) {
  ++total_;
  uint64_t hash = hash_key(key);
  int64_t found = find(hash, key);
  if (found >= 0) {
    Entry& e = entries_[static_cast<size_t>(found)];
    ++e.count;
    e.tag = tag;
    sift_down(e.heap_pos);  // its count grew: it can only move away from the root
    return;
  }
  uint32_t slot;
  uint64_t floor = 0;
  if (size_ < capacity_) {
    slot = size_;
    heap_[size_] = slot;
    entries_[slot].heap_pos = size_;
    ++size_;
  } else {
    slot = heap_[0];  // the least frequent key gives up its counter
    floor = entries_[slot].count;
    index_erase(slot);
  }
  Entry& e = entries_[slot];
  e.hash = hash;
  e.count = floor + 1;
  e.error = floor;
  e.key_length = key.size();
  e.tag = tag;
  e.key.assign(key.substr(0, max_key_bytes_));  // within the reserved capacity
  index_insert(slot);
  if (floor == 0) {
    sift_up(e.heap_pos);
  } else {
    sift_down(e.heap_pos);
  }
}

void SpaceSaving::clear() {
  std::fill(index_.begin(), index_.end(), 0);
  for (uint32_t i = 0; i < size_; ++i) entries_[i].key.clear();
  size_ = 0;
  total_ = 0;
}

uint64_t SpaceSaving::untracked_max() const {
  return size_ == capacity_ ? entries_[heap_[0]].count : 0;
}

std::vector<const SpaceSaving::Entry*> SpaceSaving::top(size_t n) const {
  std::vector<const Entry*> out;
  out.reserve(size_);
  for (uint32_t i = 0; i < size_; ++i) out.push_back(&entries_[i]);
  size_t keep = std::min(n, out.size());
  auto by_count = [](const Entry* a, const Entry* b) {
    if (a->count != b->count) return a->count > b->count;
    return a->key < b->key;  // a stable order for equal counts
  };
  std::partial_sort(out.begin(), out.begin() + static_cast<ptrdiff_t>(keep), out.end(), by_count);
  out.resize(keep);
  return out;
}

}  // namespace ringproxy::stats
