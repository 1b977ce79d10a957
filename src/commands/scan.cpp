// SCAN across the backends. See scan.hpp.
#include "ringproxy/commands/scan.hpp"

#include <algorithm>
#include <charconv>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/merge_rules.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/common/assert.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/reply_scanner.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace handlers {
constinit const ScanHandler scan;
}

namespace {

std::string_view format_u64(uint64_t v, char (&buf)[24]) {
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string_view(buf, static_cast<size_t>(r.ptr - buf));
}

// The first live backend at or after position `pos` of the members; npos when
// none is.
size_t live_from(const RingView& ring, size_t pos) {
  std::span<const BackendId> members = ring.members();
  while (pos < members.size() && !ring.live(members[pos])) ++pos;
  return pos < members.size() ? pos : std::string_view::npos;
}

}  // namespace

void ScanHandler::handle(CommandContext& ctx, const Call& call) const {
  const std::span<const std::string_view> argv = call.argv;
  uint64_t cursor = 0;
  if (!parse_u64(argv[1], cursor)) {
    ctx.reply_error(call.session, "ERR invalid cursor");
    return;
  }
  std::span<const BackendId> members = ctx.ring.members();
  uint64_t backend_cursor = cursor >> kScanBackendBits;
  size_t pos = 0;
  if (cursor != 0) {
    const BackendId id = static_cast<BackendId>(cursor & kScanBackendMask);
    auto it = std::lower_bound(members.begin(), members.end(), id);
    if (it == members.end() || *it != id) {
      ctx.reply_error(call.session, "ERR invalid cursor");
      return;
    }
    pos = static_cast<size_t>(it - members.begin());
  }
  const size_t live = live_from(ctx.ring, pos);
  if (live != pos) backend_cursor = 0;  // that backend is out: the next one from its start
  if (live == std::string_view::npos) {
    // Every backend from here on is ejected: the walk is over.
    call.session.begin_reply().append("*2\r\n$1\r\n0\r\n*0\r\n");
    call.session.end_reply();
    ctx.answered_locally();
    return;
  }
  const BackendId backend = members[live];
  ctx.counters.fanout++;
  Request* req = ctx.open_request(call.session, *this);
  req->merge = true;
  req->fragments.emplace_back().backend = backend;
  req->pending = 1;
  Buffer* out = ctx.backends.begin(backend, call.session.id());
  if (out == nullptr) {
    ctx.fail_unavailable(req, 0);
    return;
  }
  char num[24];
  resp::array_header(*out, static_cast<int64_t>(argv.size()));
  resp::bulk(*out, argv[0]);
  resp::bulk(*out, format_u64(backend_cursor, num));
  for (size_t i = 2; i < argv.size(); ++i) resp::bulk(*out, argv[i]);
  ctx.backends.commit(req, 0, 0);
}

void ScanHandler::merge(CommandContext& ctx, Request& req) const {
  Buffer& out = req.reply;
  if (merge_rules::first_error(req.fragments, out)) return;
  const BackendId backend = req.fragments[0].backend;
  if (ctx.elements.empty()) ctx.elements.resize(1);
  std::vector<std::string_view>& parts = ctx.elements[0];
  parts.clear();
  ReplyView cur;
  uint64_t next = 0;
  if (!split_array_elements(req.fragments[0].reply, parts) || parts.size() != 2 ||
      !parse_reply(parts[0], cur) || cur.type != '$' || !parse_u64(cur.line, next)) {
    merge_rules::unexpected(out, "SCAN");
    return;
  }
  uint64_t cursor = 0;
  if (next != 0) {
    cursor = (next << kScanBackendBits) | backend;
  } else {
    // This backend is done: continue with the next live one.
    std::span<const BackendId> members = ctx.ring.members();
    auto it = std::upper_bound(members.begin(), members.end(), backend);
    const size_t following = live_from(ctx.ring, static_cast<size_t>(it - members.begin()));
    if (following != std::string_view::npos) {
      cursor = members[following];
      // A cursor of 0 would end the walk: only the first member can have id 0.
      RP_ASSERT(cursor != 0);
    }
  }
  char num[24];
  resp::array_header(out, 2);
  resp::bulk(out, format_u64(cursor, num));
  out.append(parts[1]);
}

}  // namespace ringproxy
