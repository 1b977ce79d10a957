// A contiguous byte buffer with a consumed prefix: bytes are appended at the
// end and consumed from the front. Storage is not zero-initialised and is
// reused; compaction moves the unconsumed bytes to the front only when that
// avoids growing.
//
// Growth is geometric, so a message read piece by piece is copied at most
// about once in all, whatever its size. The storage comes from malloc and
// grows with realloc: a large block (the allocator maps those on their own)
// grows by remapping its pages rather than copying them, so even the copy a
// doubling would cost is avoided for big values.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <utility>

namespace ringproxy {

class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { std::free(data_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& other) noexcept { swap(other); }
  Buffer& operator=(Buffer&& other) noexcept {
    Buffer gone(std::move(other));
    swap(gone);
    return *this;
  }

  const char* data() const { return data_ + begin_; }
  char* data() { return data_ + begin_; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return end_ == begin_; }
  size_t capacity() const { return cap_; }
  std::string_view view() const { return {data(), size()}; }

  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }
  // Keeps the first n bytes (n <= size()) and drops the rest.
  void truncate(size_t n) { end_ = begin_ + n; }

  // Writable space of at least `min` bytes after the data.
  char* tail(size_t min, size_t* avail) {
    reserve(min);
    *avail = cap_ - end_;
    return data_ + end_;
  }
  void commit(size_t n) { end_ += n; }

  // Room for the next read of a message that starts at data(): at least
  // `chunk` bytes, or, when the message is known to need `wanted` bytes in all
  // (0: unknown) and more than a chunk of it is missing, room towards that
  // size: the buffer grows only once less than a chunk of room is left, each
  // time by at most what it already holds (or kMaxPresize), the last step
  // exactly to the message's size. So an announced length alone cannot
  // allocate much, memory stays within about twice what arrived, and the
  // growths of a message read piece by piece copy (or, for big blocks, remap)
  // less than twice its size in all, not its size once per fixed step.
  char* tail_for_read(size_t chunk, size_t wanted, size_t* avail) {
    const size_t lacking = wanted > size() ? wanted - size() : 0;
    if (lacking > chunk) {
      if (cap_ - end_ < chunk) reserve(std::min(lacking, std::max(kMaxPresize, size())), true);
    } else if (lacking == 0 || cap_ - end_ < lacking) {
      reserve(chunk);
    }
    *avail = cap_ - end_;
    return data_ + end_;
  }

  void append(const char* p, size_t n) {
    reserve(n);
    std::memcpy(data_ + end_, p, n);
    end_ += n;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }
  void append(char c) {
    reserve(1);
    data_[end_++] = c;
  }

  // Frees the storage when the buffer is empty, so idle connections hold no
  // memory. Returns the bytes freed.
  size_t release_if_empty() {
    size_t freed = 0;
    if (empty() && data_ != nullptr) {
      freed = cap_;
      std::free(data_);
      data_ = nullptr;
      cap_ = begin_ = end_ = 0;
    }
    return freed;
  }

  void swap(Buffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(cap_, other.cap_);
    std::swap(begin_, other.begin_);
    std::swap(end_, other.end_);
  }

  // Largest step towards an announced size taken before any of it arrived.
  static constexpr size_t kMaxPresize = 4 * 1024 * 1024;

 private:
  // Makes room for n more bytes; `exact` grows to just that instead of doubling.
  void reserve(size_t n, bool exact = false) {
    if (cap_ - end_ >= n) return;
    size_t used = size();
    if (begin_ > 0 && cap_ - used >= n && used <= cap_ / 2) {
      std::memmove(data_, data(), used);
      begin_ = 0;
      end_ = used;
      return;
    }
    // Start small: most buffers hold one short reply (+OK, a PONG, a small
    // bulk), and a small chunk stays in malloc's per-thread cache.
    size_t ncap = cap_ ? cap_ : kMinCapacity;
    if (exact) {
      ncap = std::max(ncap, used + n);
    } else {
      while (ncap - used < n) ncap *= 2;
    }
    char* fresh = nullptr;
    if (begin_ == 0) {
      fresh = static_cast<char*>(std::realloc(data_, ncap));
      if (fresh == nullptr) throw std::bad_alloc();
    } else {
      fresh = static_cast<char*>(std::malloc(ncap));
      if (fresh == nullptr) throw std::bad_alloc();
      if (used) std::memcpy(fresh, data(), used);
      std::free(data_);
    }
    data_ = fresh;
    cap_ = ncap;
    begin_ = 0;
    end_ = used;
  }

  static constexpr size_t kMinCapacity = 64;

  char* data_ = nullptr;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace ringproxy
