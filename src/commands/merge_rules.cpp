// Merge rules shared by split and fan-out kinds. See merge_rules.hpp.
#include "ringproxy/commands/merge_rules.hpp"

#include <string>

#include "ringproxy/resp/reply_scanner.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy::merge_rules {

bool first_error(std::span<const Fragment> parts, Buffer& out) {
  for (const Fragment& f : parts) {
    if (!f.reply.empty() && f.reply[0] == '-') {
      out.append(f.reply);
      return true;
    }
  }
  return false;
}

void all_ok(std::span<const Fragment> parts, Buffer& out) {
  for (const Fragment& f : parts) {
    if (f.reply != "+OK\r\n") {
      out.append(f.reply);
      return;
    }
  }
  resp::ok(out);
}

void sum(std::span<const Fragment> parts, Buffer& out) {
  int64_t total = 0;
  ReplyView v;
  for (const Fragment& f : parts) {
    if (!parse_reply(f.reply, v) || v.type != ':') {
      unexpected(out, "a counting command");
      return;
    }
    // An error, not a saturated or wrapped count: no count is right here.
    if (__builtin_add_overflow(total, v.integer, &total)) {
      resp::error(out,
                  "ERR ringproxy: the sum of the backends' replies overflows a 64-bit integer");
      return;
    }
  }
  resp::integer(out, total);
}

void unexpected(Buffer& out, std::string_view command) {
  std::string msg = "ERR ringproxy: unexpected reply from a backend to ";
  msg.append(command);
  resp::error(out, msg);
}

}  // namespace ringproxy::merge_rules
