// Splits a byte stream into newline-terminated messages: etcd's JSON gateway
// streams a watch as one JSON document per line, in HTTP chunks that need not
// line up with the documents.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace ringproxy {

class LineSplitter {
 public:
  // A message longer than `max_line` bytes fails the stream instead of
  // growing the buffer without bound.
  explicit LineSplitter(size_t max_line) : max_line_(max_line) {}

  // Calls `on_line` for every complete line in `bytes` (joined with what
  // earlier calls left over), without its "\n" or "\r\n"; blank lines are
  // skipped. Returns false, and stops, when `on_line` returns false or a line
  // exceeds the limit (then too_long() is true). Keeps the incomplete tail.
  bool feed(std::string_view bytes, const std::function<bool(std::string_view)>& on_line);

  void reset() {
    partial_.clear();
    too_long_ = false;
  }
  size_t buffered() const { return partial_.size(); }
  bool too_long() const { return too_long_; }

 private:
  size_t max_line_;
  std::string partial_;
  bool too_long_ = false;
};

}  // namespace ringproxy
