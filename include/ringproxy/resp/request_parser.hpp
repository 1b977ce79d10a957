// RESP2 request parser: multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and inline
// ("GET k\r\n", what redis-server accepts from telnet), incremental and
// resumable, so a request split anywhere across reads is parsed once, not
// rescanned from its start on every read (a 50 MB value arriving in 64 KB reads
// costs O(size), not O(size^2)).
//
// Multibulk arguments are (offset, length) slices of the caller's buffer: no
// copy, no allocation per request once the argument vector has grown to the
// largest argc seen. Inline requests (rare, human-typed) are re-encoded as a
// multibulk request into parser-owned storage, so the rest of the data path
// only ever sees multibulk bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringproxy {

struct ParserLimits {
  size_t max_bulk_len = 512 * 1024 * 1024;  // like Redis proto-max-bulk-len
  size_t max_args = 1024 * 1024;            // arguments per command
  size_t max_inline_len = 64 * 1024;        // like Redis PROTO_INLINE_MAX_SIZE
};

class RequestParser {
 public:
  enum class Status { kNeedMore, kComplete, kError };

  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  // Parses the request that starts at `data[0]`; `len` is every byte received
  // so far from that point on. The caller passes the same start (it may have
  // moved in memory, offsets stay valid) with a growing `len` until the result
  // is kComplete or kError. Empty inline lines ("\r\n") before a request are
  // skipped and count towards consumed().
  Status parse(const char* data, size_t len);

  // After kComplete: the bytes of the request (from data[0]) to drop from the
  // input, and its arguments. raw() is the multibulk encoding to forward: the
  // client's own bytes, or the re-encoded inline request.
  size_t consumed() const { return consumed_; }
  size_t argc() const { return args_.size(); }
  std::string_view arg(size_t i) const {
    const char* base = inline_ ? inline_raw_.data() : base_;
    return {base + args_[i].off, args_[i].len};
  }
  std::string_view raw() const {
    if (inline_) return inline_raw_;
    return {base_ + skip_, consumed_ - skip_};
  }
  bool was_inline() const { return inline_; }

  // After kError: the Redis-style message without the leading '-', e.g.
  // "ERR Protocol error: invalid multibulk length". The stream cannot be
  // resynchronised; the connection must be closed after replying.
  std::string_view error() const { return error_; }

  // Ready for the next request (keeps allocated capacity).
  void reset();

  // Before AUTH, Redis refuses a multibulk of more than 10 arguments or a
  // bulk over 16 KB ("Protocol error: unauthenticated multibulk length" /
  // "... bulk length"), so a client that has not proven it may use the server
  // cannot make it buffer much. The caller sets this before every parse()
  // from the client's state; reset() leaves it alone.
  void set_unauthenticated(bool on) { unauthenticated_ = on; }
  static constexpr int64_t kUnauthenticatedMaxArgs = 10;
  static constexpr int64_t kUnauthenticatedMaxBulk = 16 * 1024;

  // While a bulk argument's payload is awaited: the bytes from data[0] the
  // request needs at least, so the caller can size its buffer once instead of
  // growing it read by read. 0 when not known.
  size_t wanted() const {
    return state_ == State::kBulkBody ? pos_ + static_cast<size_t>(bulk_len_) + 2 : 0;
  }

 private:
  // Where parse() resumes; see request_parser.cpp.
  enum class State : uint8_t { kStart, kInline, kCount, kBulkHeader, kBulkBody, kDone, kFailed };
  // Offsets from data[0] (or into inline_raw_ for inline requests), never
  // pointers, because the caller may move its buffer between calls.
  struct Slice {
    size_t off;
    size_t len;
  };

  Status fail(std::string_view msg);
  Status fail_expected_dollar(char got);
  Status need_more();
  // Finds the '\r' ending the header line at pos_; 1 = found (*cr set),
  // 0 = need more, -1 = error already recorded.
  int find_header_end(const char* data, size_t len, std::string_view too_big, size_t* cr);
  Status finish_inline(const char* line, size_t n);

  ParserLimits limits_;
  const char* base_ = nullptr;  // data of the last parse() call
  State state_ = State::kStart;
  bool inline_ = false;
  bool unauthenticated_ = false;
  size_t consumed_ = 0;
  size_t pos_ = 0;           // start of the line or bulk payload being parsed
  size_t scan_ = 0;          // where the search for the current line's end resumes
  size_t skip_ = 0;          // bytes of empty inline lines skipped before the request
  int64_t expect_args_ = 0;  // multibulk count once parsed
  int64_t bulk_len_ = 0;     // length of the bulk whose payload is awaited
  std::vector<Slice> args_;
  std::string inline_raw_;      // re-encoded inline request
  std::string inline_scratch_;  // unquoted inline arguments, before re-encoding
  std::string error_;
};

}  // namespace ringproxy
