// Names of reply kinds for log lines; see reply_type.hpp.
#include "ringproxy/resp/reply_type.hpp"

namespace ringproxy::resp {

std::string reply_types_name(ReplyTypes types) {
  static constexpr const char* kNames[] = {"status", "error", "integer",  "bulk",
                                           "nil",    "array", "nil-array"};
  std::string out;
  for (int i = 0; i < 7; ++i) {
    if ((types & (1 << i)) == 0) continue;
    if (!out.empty()) out.push_back('|');
    out.append(kNames[i]);
  }
  return out.empty() ? "none" : out;
}

}  // namespace ringproxy::resp
