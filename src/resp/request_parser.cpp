// RESP2 request parser.
//
// Design: a small state machine over offsets from data[0]. Each call to
// parse() resumes where the last one stopped: header lines are searched for
// their end from `scan_` (never from the line start again), and a bulk payload
// is never scanned at all: once its header is read we just wait until
// len >= payload end + 2. So a request costs O(size) however it is split, even
// byte by byte, and nothing is allocated once args_ has grown to the largest
// argc seen. Only offsets survive between calls because the caller may move
// its buffer.
//
// Accepted syntax and error texts follow redis-server (processMultibulkBuffer,
// processInlineBuffer, sdssplitargs), with one deliberate difference: Redis
// does not look at the two bytes after a header's '\r' or after a bulk payload
// (it assumes "\r\n"), we require them to be "\r\n". raw() is forwarded
// verbatim on backend connections shared by many clients, so we only accept
// framing that every RESP server delimits the same way.
//
// Redis finds the end of a line with strchr(), so a NUL byte hides the
// terminator after it. For an inline request we do the same: a NUL before the
// '\n' means the line never ends, and only the inline size limit ends the
// wait (executing the text before the NUL would run a different command than
// the one sent, e.g. "SET k v\0 NX" without its NX). In a multibulk header
// line a NUL instead fails the number's parse at once (Redis waits for the
// size limit there too): the request is broken either way and nothing runs.
#include "ringproxy/resp/request_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include "ringproxy/common/text.hpp"

namespace ringproxy {
namespace {

constexpr std::string_view kInvalidMultibulk = "ERR Protocol error: invalid multibulk length";
constexpr std::string_view kInvalidBulk = "ERR Protocol error: invalid bulk length";
constexpr std::string_view kTooBigMbulk = "ERR Protocol error: too big mbulk count string";
constexpr std::string_view kTooBigBulk = "ERR Protocol error: too big bulk count string";
constexpr std::string_view kTooBigInline = "ERR Protocol error: too big inline request";
constexpr std::string_view kUnbalanced = "ERR Protocol error: unbalanced quotes in request";
constexpr std::string_view kUnauthMultibulk =
    "ERR Protocol error: unauthenticated multibulk length";
constexpr std::string_view kUnauthBulk = "ERR Protocol error: unauthenticated bulk length";

// A huge multibulk count must not make us allocate before the arguments
// arrive; beyond this the vector grows as they do.
constexpr size_t kMaxPrealloc = 1024;

// isspace() in the C locale, which is what sdssplitargs uses between arguments.
bool is_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// End of the search window for a line starting at `pos` that may hold `max`
// bytes before its terminator; no overflow even for max == SIZE_MAX.
size_t window_end(size_t len, size_t pos, size_t max) {
  return len - pos > max ? pos + max + 1 : len;
}

void append_number(std::string& s, char type, size_t n) {
  char buf[24];
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  s.append(buf, end);
}

}  // namespace

void RequestParser::reset() {
  state_ = State::kStart;
  inline_ = false;
  consumed_ = pos_ = scan_ = skip_ = 0;
  expect_args_ = bulk_len_ = 0;
  args_.clear();
  inline_raw_.clear();
  error_.clear();
}

RequestParser::Status RequestParser::fail(std::string_view msg) {
  error_.assign(msg);
  state_ = State::kFailed;
  return Status::kError;
}

RequestParser::Status RequestParser::fail_expected_dollar(char got) {
  // Redis blanks CR/LF in error replies so the reply stays one line.
  if (got == '\r' || got == '\n') got = ' ';
  error_.assign("ERR Protocol error: expected '$', got '");
  error_.push_back(got);
  error_.push_back('\'');
  state_ = State::kFailed;
  return Status::kError;
}

// If empty lines were skipped but what follows is incomplete, hand the skipped
// bytes back as an empty request (kComplete, argc 0) so that kNeedMore always
// means "nothing can be dropped yet" and a client streaming empty lines cannot
// make the caller's buffer grow without bound.
RequestParser::Status RequestParser::need_more() {
  if (skip_ == 0) return Status::kNeedMore;
  args_.clear();
  inline_raw_.clear();
  inline_ = true;
  consumed_ = skip_;
  state_ = State::kDone;
  return Status::kComplete;
}

int RequestParser::find_header_end(const char* data, size_t len, std::string_view too_big,
                                   size_t* cr) {
  // The line (type byte included, '\r' excluded) may be max_inline_len long,
  // so never look further than that: garbage without '\r' fails fast.
  const size_t end = window_end(len, pos_, limits_.max_inline_len);
  const void* r = scan_ < end ? std::memchr(data + scan_, '\r', end - scan_) : nullptr;
  if (r == nullptr) {
    if (len - pos_ > limits_.max_inline_len) {
      fail(too_big);
      return -1;
    }
    scan_ = len;
    return 0;
  }
  const size_t at = static_cast<const char*>(r) - data;
  if (at + 1 >= len) {
    scan_ = at;  // found again in O(1) next time
    return 0;
  }
  *cr = at;
  return 1;
}

RequestParser::Status RequestParser::finish_inline(const char* line, size_t n) {
  // No NUL here: a line with one never completes (see the top of this file).
  const char* p = line;
  const char* const end = line + n;
  std::string& out = inline_scratch_;
  out.clear();
  args_.clear();
  for (;;) {
    while (p < end && is_space(*p)) ++p;
    if (p == end) break;
    const size_t start = out.size();
    bool in_dq = false;
    bool in_sq = false;
    for (;;) {
      if (in_dq) {
        if (p == end) return fail(kUnbalanced);
        if (p[0] == '\\' && end - p >= 4 && p[1] == 'x' && hex_value(p[2]) >= 0 &&
            hex_value(p[3]) >= 0) {
          out.push_back(static_cast<char>(hex_value(p[2]) * 16 + hex_value(p[3])));
          p += 4;
        } else if (p[0] == '\\' && end - p >= 2) {
          char c = p[1];
          switch (c) {
            case 'n':
              c = '\n';
              break;
            case 'r':
              c = '\r';
              break;
            case 't':
              c = '\t';
              break;
            case 'b':
              c = '\b';
              break;
            case 'a':
              c = '\a';
              break;
            default:
              break;  // \\ \" and any other char stand for themselves
          }
          out.push_back(c);
          p += 2;
        } else if (p[0] == '"') {
          // A closing quote must end the argument.
          if (++p < end && !is_space(*p)) return fail(kUnbalanced);
          break;
        } else {
          out.push_back(*p++);
        }
      } else if (in_sq) {
        if (p == end) return fail(kUnbalanced);
        if (p[0] == '\\' && end - p >= 2 && p[1] == '\'') {
          out.push_back('\'');
          p += 2;
        } else if (p[0] == '\'') {
          if (++p < end && !is_space(*p)) return fail(kUnbalanced);
          break;
        } else {
          out.push_back(*p++);
        }
      } else {
        if (p == end) break;
        const char c = *p++;
        // Only these end an unquoted argument (\v and \f do not, as in Redis).
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') break;
        if (c == '"') {
          in_dq = true;
        } else if (c == '\'') {
          in_sq = true;
        } else {
          out.push_back(c);
        }
      }
    }
    args_.push_back({start, out.size() - start});
  }
  if (args_.empty()) return Status::kComplete;  // empty line: caller skips it
  // The re-encoded request must pass the limits a multibulk one would.
  if (args_.size() > limits_.max_args) return fail(kInvalidMultibulk);
  for (const Slice& a : args_) {
    if (a.len > limits_.max_bulk_len) return fail(kInvalidBulk);
  }

  // Re-encode as multibulk; args_ then point into inline_raw_.
  inline_raw_.clear();
  append_number(inline_raw_, '*', args_.size());
  for (Slice& a : args_) {
    append_number(inline_raw_, '$', a.len);
    const size_t off = inline_raw_.size();
    inline_raw_.append(out, a.off, a.len);
    inline_raw_.append("\r\n", 2);
    a.off = off;
  }
  return Status::kComplete;
}

RequestParser::Status RequestParser::parse(const char* data, size_t len) {
  base_ = data;
  for (;;) {
    switch (state_) {
      case State::kDone:
        return Status::kComplete;
      case State::kFailed:
        return Status::kError;

      case State::kStart:
        if (pos_ >= len) return need_more();
        scan_ = pos_;
        if (data[pos_] == '*') {
          inline_ = false;
          state_ = State::kCount;
        } else {
          inline_ = true;
          state_ = State::kInline;
        }
        break;

      case State::kInline: {
        // A NUL before the '\n' hides the line's end, as strchr() does for
        // Redis: the line cannot complete, and scan_ stays on the NUL so
        // later calls stop at once.
        size_t at = len;  // the '\n' ending the line, once found
        if (scan_ >= len || data[scan_] != '\0') {
          const size_t end = window_end(len, pos_, limits_.max_inline_len);
          const void* nl = scan_ < end ? std::memchr(data + scan_, '\n', end - scan_) : nullptr;
          const size_t until = nl ? static_cast<const char*>(nl) - data : std::max(scan_, end);
          const void* nul =
              scan_ < until ? std::memchr(data + scan_, '\0', until - scan_) : nullptr;
          if (nul != nullptr) {
            scan_ = static_cast<const char*>(nul) - data;
          } else if (nl != nullptr) {
            at = static_cast<const char*>(nl) - data;
          } else {
            scan_ = len;
          }
        }
        if (at == len) {
          if (len - pos_ > limits_.max_inline_len) return fail(kTooBigInline);
          return need_more();
        }
        size_t line_len = at - pos_;
        if (line_len > 0 && data[at - 1] == '\r') --line_len;
        if (finish_inline(data + pos_, line_len) == Status::kError) return Status::kError;
        if (args_.empty()) {  // empty line (or only blanks): skip, like Redis
          pos_ = skip_ = at + 1;
          state_ = State::kStart;
          break;
        }
        consumed_ = at + 1;
        state_ = State::kDone;
        return Status::kComplete;
      }

      case State::kCount: {
        size_t cr;
        const int found = find_header_end(data, len, kTooBigMbulk, &cr);
        if (found <= 0) return found < 0 ? Status::kError : need_more();
        int64_t n;
        if (data[cr + 1] != '\n' || !parse_int64(data + pos_ + 1, cr - pos_ - 1, &n) ||
            (n > 0 && static_cast<uint64_t>(n) > limits_.max_args)) {
          return fail(kInvalidMultibulk);
        }
        if (unauthenticated_ && n > kUnauthenticatedMaxArgs) return fail(kUnauthMultibulk);
        pos_ = cr + 2;
        if (n <= 0) {  // "*0" / "*-1": Redis ignores it; so does the caller (argc 0)
          args_.clear();
          consumed_ = pos_;
          state_ = State::kDone;
          return Status::kComplete;
        }
        expect_args_ = n;
        args_.clear();
        args_.reserve(std::min(static_cast<size_t>(n), kMaxPrealloc));
        state_ = State::kBulkHeader;
        break;
      }

      case State::kBulkHeader: {
        if (pos_ >= len) return need_more();
        // Checked on the first byte, not once the line is complete as Redis
        // does: same error, earlier.
        if (data[pos_] != '$') return fail_expected_dollar(data[pos_]);
        if (scan_ < pos_) scan_ = pos_;
        size_t cr;
        const int found = find_header_end(data, len, kTooBigBulk, &cr);
        if (found <= 0) return found < 0 ? Status::kError : need_more();
        int64_t n;
        if (data[cr + 1] != '\n' || !parse_int64(data + pos_ + 1, cr - pos_ - 1, &n) || n < 0 ||
            static_cast<uint64_t>(n) > limits_.max_bulk_len) {
          return fail(kInvalidBulk);
        }
        if (unauthenticated_ && n > kUnauthenticatedMaxBulk) return fail(kUnauthBulk);
        bulk_len_ = n;
        pos_ = cr + 2;
        state_ = State::kBulkBody;
        break;
      }

      case State::kBulkBody: {
        const size_t n = static_cast<size_t>(bulk_len_);
        if (len < pos_ || len - pos_ < n + 2) return need_more();
        if (data[pos_ + n] != '\r' || data[pos_ + n + 1] != '\n') return fail(kInvalidBulk);
        args_.push_back({pos_, n});
        pos_ += n + 2;
        scan_ = pos_;
        if (static_cast<int64_t>(args_.size()) == expect_args_) {
          consumed_ = pos_;
          state_ = State::kDone;
          return Status::kComplete;
        }
        state_ = State::kBulkHeader;
        break;
      }
    }
  }
}

}  // namespace ringproxy
