// Builders for RESP2 replies and requests, appended straight into an output
// buffer (no intermediate strings).
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>

#include "ringproxy/common/buffer.hpp"

namespace ringproxy::resp {

inline void append_number_line(Buffer& out, char type, int64_t n) {
  char tmp[24];
  tmp[0] = type;
  auto r = std::to_chars(tmp + 1, tmp + sizeof(tmp) - 2, n);
  *r.ptr++ = '\r';
  *r.ptr++ = '\n';
  out.append(tmp, static_cast<size_t>(r.ptr - tmp));
}

inline void simple(Buffer& out, std::string_view s) {
  out.append('+');
  out.append(s);
  out.append("\r\n", 2);
}
inline void ok(Buffer& out) {
  out.append("+OK\r\n", 5);
}
// `msg` without the leading '-', e.g. "ERR unknown command". CR/LF inside the
// message would break framing, so they become spaces.
inline void error(Buffer& out, std::string_view msg) {
  out.append('-');
  for (char c : msg) out.append(c == '\r' || c == '\n' ? ' ' : c);
  out.append("\r\n", 2);
}
inline void integer(Buffer& out, int64_t n) {
  append_number_line(out, ':', n);
}
inline void array_header(Buffer& out, int64_t n) {
  append_number_line(out, '*', n);
}
inline void bulk(Buffer& out, std::string_view s) {
  append_number_line(out, '$', static_cast<int64_t>(s.size()));
  out.append(s);
  out.append("\r\n", 2);
}
inline void nil(Buffer& out) {
  out.append("$-1\r\n", 5);
}

// A request as multibulk: "*N\r\n$len\r\narg\r\n...".
template <typename Range>
void command(Buffer& out, const Range& args) {
  array_header(out, static_cast<int64_t>(std::size(args)));
  for (std::string_view a : args) bulk(out, a);
}

}  // namespace ringproxy::resp
