// Finds the boundaries of RESP2 replies in a byte stream without building
// objects: the proxy forwards reply bytes as they came, so all it needs to know
// is where each reply ends. Resumable: a reply split across reads (a 30 MB bulk,
// an array of 100,000 elements) is scanned once overall, not once per read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringproxy {

class ReplyScanner {
 public:
  enum class Status { kNeedMore, kComplete, kError };

  explicit ReplyScanner(size_t max_bulk_len = 1024ull * 1024 * 1024)
      : max_bulk_len_(max_bulk_len) {}

  // Scans the reply that starts at data[0], `len` bytes available. Call again
  // with the same start and a larger len after kNeedMore. After kComplete,
  // length() is the reply's byte size and the scanner is ready for the next
  // reply (its state is reset automatically).
  Status scan(const char* data, size_t len);
  size_t length() const { return length_; }
  // Type byte of the completed reply: '+', '-', ':', '$' or '*'.
  char type() const { return type_; }
  // While a bulk payload is awaited: the bytes from the reply's start it needs
  // at least (a lower bound for arrays), so the caller can size its buffer
  // once instead of growing it read by read. 0 when not known.
  size_t wanted() const { return bulk_len_ >= 0 ? pos_ + static_cast<size_t>(bulk_len_) + 2 : 0; }
  std::string_view error() const { return error_; }
  void reset();

 private:
  Status fail(std::string_view msg, char type = 0);
  // Counts one finished item; true when that finishes the whole reply.
  bool item_done();

  size_t max_bulk_len_;
  size_t pos_ = 0;         // start of the next item (or of the awaited bulk payload)
  size_t scan_ = 0;        // where the search for the current line's end resumes
  int64_t bulk_len_ = -1;  // >= 0 while waiting for a bulk payload of this size
  size_t length_ = 0;
  char type_ = 0;
  std::vector<int64_t> pending_;  // elements still expected at each nesting level
  std::string error_;
};

// Helpers for the merge step of split commands, on one complete reply.
struct ReplyView {
  char type = 0;          // '+', '-', ':', '$', '*'
  std::string_view line;  // for + - : the text after the type byte; for $ the payload
  int64_t integer = 0;    // for ':' the value; for '$' and '*' the length (-1 = nil)
  std::string_view raw;   // the whole reply's bytes
};

// Parses one complete reply (as delimited by ReplyScanner) at data[0..len).
// Returns false if it is malformed.
bool parse_reply(std::string_view bytes, ReplyView& out);

// For an array reply: calls `out.push_back(raw bytes of element i)` for every
// element. Returns false if not an array or malformed.
bool split_array_elements(std::string_view array_reply, std::vector<std::string_view>& out);

}  // namespace ringproxy
