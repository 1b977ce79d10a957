// The kinds of RESP2 reply, as bits, so a set of kinds a command can answer
// with is one byte: the backend connection checks each reply against the set
// of the request it is matched to (a reply of a kind the command cannot
// produce means the connection is out of step; see backend.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ringproxy::resp {

using ReplyTypes = uint8_t;

inline constexpr ReplyTypes kStatus = 1 << 0;    // +OK
inline constexpr ReplyTypes kError = 1 << 1;     // -ERR ...
inline constexpr ReplyTypes kInteger = 1 << 2;   // :1
inline constexpr ReplyTypes kBulk = 1 << 3;      // $3 abc (also $0)
inline constexpr ReplyTypes kNilBulk = 1 << 4;   // $-1
inline constexpr ReplyTypes kArray = 1 << 5;     // *2 ... (also *0)
inline constexpr ReplyTypes kNilArray = 1 << 6;  // *-1
inline constexpr ReplyTypes kAnyReply = 0x7f;

// The kind of the complete reply starting at data[0] (len >= 3, as delimited
// by ReplyScanner): exactly one bit, 0 for an unknown type byte.
inline ReplyTypes reply_type_of(const char* data, size_t len) {
  const bool nil = len >= 3 && data[1] == '-' && data[2] == '1';
  switch (data[0]) {
    case '+':
      return kStatus;
    case '-':
      return kError;
    case ':':
      return kInteger;
    case '$':
      return nil ? kNilBulk : kBulk;
    case '*':
      return nil ? kNilArray : kArray;
    default:
      return 0;
  }
}

// Whether a reply of kind `type` can answer a request that expects
// `expected`. An error can answer anything (wrong type, OOM, script errors...).
inline bool reply_type_allowed(ReplyTypes expected, ReplyTypes type) {
  return type != 0 && ((expected | kError) & type) != 0;
}

// "status|bulk|nil" for log lines.
std::string reply_types_name(ReplyTypes types);

}  // namespace ringproxy::resp
