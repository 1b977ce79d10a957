// A contiguous byte buffer with a consumed prefix: bytes are appended at the
// end and consumed from the front. Storage is not zero-initialised and is
// reused; compaction moves the unconsumed bytes to the front only when that
// avoids growing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace ringproxy {

class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;

  const char* data() const { return data_.get() + begin_; }
  char* data() { return data_.get() + begin_; }
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
    return data_.get() + end_;
  }
  void commit(size_t n) { end_ += n; }

  // Room for the next read of a message that starts at data(): `chunk` bytes,
  // or, when the message is known to need `wanted` bytes in all (0: unknown),
  // what it still lacks, allocated at once rather than by doubling read after
  // read (each doubling copies everything read so far). At most kMaxPresize
  // more per call, so an announced length alone cannot allocate much.
  char* tail_for_read(size_t chunk, size_t wanted, size_t* avail) {
    size_t lacking = wanted > size() ? wanted - size() : 0;
    if (lacking > chunk) {
      reserve(std::min(lacking, kMaxPresize), true);
    } else {
      reserve(chunk);
    }
    *avail = cap_ - end_;
    return data_.get() + end_;
  }

  void append(const char* p, size_t n) {
    reserve(n);
    std::memcpy(data_.get() + end_, p, n);
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
    if (empty() && data_) {
      freed = cap_;
      data_.reset();
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

 private:
  // Makes room for n more bytes; `exact` grows to just that instead of doubling.
  void reserve(size_t n, bool exact = false) {
    if (cap_ - end_ >= n) return;
    size_t used = size();
    if (begin_ > 0 && cap_ - used >= n && used <= cap_ / 2) {
      std::memmove(data_.get(), data(), used);
    } else {
      // Start small: most buffers hold one short reply (+OK, a PONG, a small
      // bulk), and a small chunk stays in malloc's per-thread cache.
      size_t ncap = cap_ ? cap_ : kMinCapacity;
      if (exact) {
        ncap = std::max(ncap, used + n);
      } else {
        while (ncap - used < n) ncap *= 2;
      }
      auto fresh = std::make_unique_for_overwrite<char[]>(ncap);
      if (used) std::memcpy(fresh.get(), data(), used);
      data_ = std::move(fresh);
      cap_ = ncap;
    }
    begin_ = 0;
    end_ = used;
  }

  static constexpr size_t kMinCapacity = 64;
  static constexpr size_t kMaxPresize = 4 * 1024 * 1024;

  std::unique_ptr<char[]> data_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace ringproxy
