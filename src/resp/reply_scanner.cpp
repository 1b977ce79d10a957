// RESP2 reply scanner.
//
// Design: the proxy forwards reply bytes untouched, so the scanner only has to
// find where a reply ends. It walks items (a type byte, a line, and for bulks a
// payload) and keeps, for the arrays it is inside, how many elements each still
// expects, so nesting costs no recursion and a reply split across reads is
// resumed where it stopped: lines are searched from `scan_` onwards and bulk
// payloads are skipped by length, never scanned. State is offsets from data[0]
// only, because the caller may move its buffer between calls.
//
// Strict on framing (lines must end in "\r\n", lengths must parse like Redis's
// string2ll): a backend that sends anything else is broken, and guessing where
// its reply ends would hand clients the wrong bytes.
#include "ringproxy/resp/reply_scanner.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "ringproxy/common/text.hpp"

namespace ringproxy {
namespace {

// "-9223372036854775808" is 20 bytes; anything much longer is not a number.
constexpr size_t kMaxNumberLine = 32;
// Keeps window arithmetic free of overflow whatever max_bulk_len is.
constexpr size_t kMaxLineCap = std::numeric_limits<size_t>::max() / 4;

}  // namespace

void ReplyScanner::reset() {
  pos_ = scan_ = length_ = 0;
  bulk_len_ = -1;
  type_ = 0;
  pending_.clear();
  error_.clear();
}

ReplyScanner::Status ReplyScanner::fail(std::string_view msg, char type) {
  error_.assign("Protocol error: ");
  error_.append(msg);
  if (msg.starts_with("invalid reply type byte")) {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto c = static_cast<unsigned char>(type);
    if (c >= 0x20 && c < 0x7f) {
      error_.append({' ', '\'', type, '\''});
    } else {
      error_.append({' ', '0', 'x', kHex[c >> 4], kHex[c & 15]});
    }
  }
  return Status::kError;
}

bool ReplyScanner::item_done() {
  while (!pending_.empty()) {
    if (--pending_.back() > 0) return false;
    pending_.pop_back();
  }
  length_ = pos_;
  pos_ = scan_ = 0;
  bulk_len_ = -1;
  return true;
}

ReplyScanner::Status ReplyScanner::scan(const char* data, size_t len) {
  if (!error_.empty()) return Status::kError;
  for (;;) {
    if (bulk_len_ >= 0) {
      const size_t n = static_cast<size_t>(bulk_len_);
      if (len < pos_ || len - pos_ < n + 2) return Status::kNeedMore;
      if (data[pos_ + n] != '\r' || data[pos_ + n + 1] != '\n') {
        return fail("bulk payload not terminated by CRLF");
      }
      pos_ += n + 2;
      bulk_len_ = -1;
      if (item_done()) break;
      continue;
    }

    if (pos_ >= len) return Status::kNeedMore;
    const char t = data[pos_];
    size_t max_line;
    switch (t) {
      case '+':
      case '-':
        max_line = std::min(max_bulk_len_, kMaxLineCap);
        break;
      case ':':
      case '$':
      case '*':
        max_line = kMaxNumberLine;
        break;
      default:
        return fail("invalid reply type byte", t);
    }

    // Find the '\r' ending the line, from where the last call stopped, and no
    // further than the longest acceptable line.
    if (scan_ <= pos_) scan_ = pos_ + 1;
    const size_t avail = len - pos_ - 1;
    const size_t window_end = pos_ + 1 + std::min(avail, max_line + 1);
    const void* r =
        scan_ < window_end ? std::memchr(data + scan_, '\r', window_end - scan_) : nullptr;
    if (r == nullptr) {
      if (avail > max_line) return fail("reply line too long");
      scan_ = len;
      return Status::kNeedMore;
    }
    const size_t at = static_cast<const char*>(r) - data;
    if (at + 1 >= len) {
      scan_ = at;
      return Status::kNeedMore;
    }
    if (data[at + 1] != '\n') return fail("reply line not terminated by CRLF");
    const char* line = data + pos_ + 1;
    const size_t line_len = at - pos_ - 1;
    pos_ = at + 2;

    int64_t n = 0;
    if (t == ':') {
      if (!parse_int64(line, line_len, &n)) return fail("invalid integer");
    } else if (t == '$') {
      if (!parse_int64(line, line_len, &n) || n < -1 ||
          (n > 0 && static_cast<uint64_t>(n) > max_bulk_len_)) {
        return fail("invalid bulk length");
      }
      if (n >= 0) {
        bulk_len_ = n;
        continue;
      }
    } else if (t == '*') {
      if (!parse_int64(line, line_len, &n) || n < -1) return fail("invalid multibulk length");
      if (n > 0) {
        pending_.push_back(n);
        continue;
      }
    }
    if (item_done()) break;
  }
  type_ = data[0];
  return Status::kComplete;
}

bool parse_reply(std::string_view bytes, ReplyView& out) {
  ReplyScanner scanner(std::numeric_limits<size_t>::max());
  if (scanner.scan(bytes.data(), bytes.size()) != ReplyScanner::Status::kComplete) return false;
  const std::string_view raw = bytes.substr(0, scanner.length());
  // The scanner validated the framing: the first line ends in "\r\n".
  const size_t cr = raw.find('\r');
  const std::string_view text = raw.substr(1, cr - 1);
  ReplyView v;
  v.type = raw[0];
  v.raw = raw;
  switch (v.type) {
    case '+':
    case '-':
      v.line = text;
      break;
    case ':':
      v.line = text;
      parse_int64(text.data(), text.size(), &v.integer);
      break;
    case '$':
      parse_int64(text.data(), text.size(), &v.integer);
      if (v.integer >= 0) v.line = raw.substr(cr + 2, static_cast<size_t>(v.integer));
      break;
    case '*':
      parse_int64(text.data(), text.size(), &v.integer);
      break;
  }
  out = v;
  return true;
}

bool split_array_elements(std::string_view array_reply, std::vector<std::string_view>& out) {
  ReplyView v;
  if (!parse_reply(array_reply, v) || v.type != '*') return false;
  const std::string_view raw = v.raw;
  size_t off = raw.find('\n') + 1;
  const size_t before = out.size();
  ReplyScanner scanner(std::numeric_limits<size_t>::max());
  for (int64_t i = 0; i < v.integer; ++i) {
    if (scanner.scan(raw.data() + off, raw.size() - off) != ReplyScanner::Status::kComplete) {
      out.resize(before);  // cannot happen after parse_reply succeeded; stay safe
      return false;
    }
    out.push_back(raw.substr(off, scanner.length()));
    off += scanner.length();
  }
  return true;
}

}  // namespace ringproxy
