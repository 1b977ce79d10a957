// Commands whose keys share one backend. See single_key.hpp.
#include "ringproxy/commands/single_key.hpp"

#include <string>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace handlers {
constinit const SingleKeyHandler single_key;
}

bool write_miss_answer(MissReply miss, uint32_t count, Buffer& out) {
  switch (miss) {
    case MissReply::kNone:
      return false;
    case MissReply::kNil:
      resp::nil(out);
      return true;
    case MissReply::kZero:
      resp::integer(out, 0);
      return true;
    case MissReply::kEmptyArray:
      resp::array_header(out, 0);
      return true;
    case MissReply::kMinusTwo:
      resp::integer(out, -2);
      return true;
    case MissReply::kNilArray:
      out.append("*-1\r\n");
      return true;
    case MissReply::kNoneType:
      resp::simple(out, "none");
      return true;
    case MissReply::kEmptyBulk:
      resp::bulk(out, "");
      return true;
    case MissReply::kNilPerField:
      resp::array_header(out, count);
      for (uint32_t i = 0; i < count; ++i) resp::nil(out);
      return true;
  }
  return false;
}

namespace {

bool stale_read(const CommandContext& ctx, const Call& call, const std::vector<uint32_t>& keys,
                BackendId backend) {
  for (uint32_t k : keys) {
    if (ctx.ring.stale(backend, call.argv[k])) return true;
  }
  return false;
}

}  // namespace

void SingleKeyHandler::handle(CommandContext& ctx, const Call& call) const {
  const CommandInfo& cmd = call.cmd;
  std::string_view error;
  std::vector<uint32_t>& keys = ctx.key_indexes;
  if (!extract_keys(cmd, call.argv, keys, error)) {
    ctx.reply_error(call.session, error);
    return;
  }
  if (keys.empty()) {
    ctx.reply_error(call.session,
                    "ERR ringproxy: '" + lower(call.argv[0]) + "' without keys cannot be routed");
    return;
  }
  const BackendId backend = ctx.ring.owner(call.argv[keys[0]]);
  for (size_t i = 1; i < keys.size(); ++i) {
    if (ctx.ring.owner(call.argv[keys[i]]) != backend) {
      ctx.counters.cross_backend_rejected++;
      ctx.reject(call.session,
                 "ERR ringproxy: the keys of this '" + lower(call.argv[0]) +
                     "' live on different backends; give them a common hash tag (e.g. "
                     "{user1}:a and {user1}:b) so they share one backend");
      return;
    }
  }
  if (backend == kNoBackend) {
    ctx.reply_error(call.session, "ERR ringproxy: no backend is available");
    return;
  }
  if (cmd.write && ctx.ring.any_down()) {
    for (uint32_t k : keys) ctx.note_write(call.argv[k], backend);
  }
  const bool window = ctx.ring.window_open();
  if (cmd.write && window) {
    for (uint32_t k : keys) ctx.window_invalidate(call.argv[k], backend);
  }
  if (!cmd.write && cmd.miss != MissReply::kNone && stale_read(ctx, call, keys, backend)) {
    // The backend may hold a copy from before its keys moved away and back:
    // answer as a miss rather than risk a stale value.
    ctx.counters.stale_reads++;
    write_miss_answer(cmd.miss, static_cast<uint32_t>(call.argv.size() - 2),
                      call.session.begin_reply());
    call.session.end_reply();
    ctx.answered_locally();
    return;
  }
  Request* req = ctx.open_request(call.session, *this);
  if (ctx.key_sampled()) [[unlikely]]
    ctx.sample_key(call.argv[keys[0]], backend);
  req->miss = cmd.miss;
  // HMGET's fields (ZMSCORE's, GEOPOS's members): one nil each.
  req->miss_count = static_cast<uint32_t>(call.argv.size() - 2);
  ctx.counters.forwarded++;
  // Reads of one key with a miss answer; the keys of other reads may have
  // had different previous homes.
  if (window && !cmd.write && cmd.miss != MissReply::kNone && keys.size() == 1) {
    ctx.window_read(req, call.argv[keys[0]], backend, call.raw);
  }
  ctx.send_whole(req, call.session.id(), backend, call.raw);
}

bool SingleKeyHandler::miss_answer(const Request& req, uint32_t, Buffer& out) const {
  return write_miss_answer(req.miss, req.miss_count, out);
}

}  // namespace ringproxy
