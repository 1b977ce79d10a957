// Commands split by key into one sub-request per backend. See split.hpp.
#include "ringproxy/commands/split.hpp"

#include <algorithm>
#include <string>

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/merge_rules.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/commands/single_key.hpp"
#include "ringproxy/resp/reply_scanner.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace handlers {
constinit const SplitHandler mget(SplitHandler::Shape::kValues);
constinit const SplitHandler mset(SplitHandler::Shape::kPairs);
constinit const SplitHandler sum_keys(SplitHandler::Shape::kCount);
}  // namespace handlers

namespace {
constexpr uint32_t kNoFragment = UINT32_MAX;
}

void SplitHandler::handle(CommandContext& ctx, const Call& call) const {
  const CommandInfo& cmd = call.cmd;
  const std::span<const std::string_view> argv = call.argv;
  const bool pairs = shape_ == Shape::kPairs;
  const size_t step = pairs ? 2 : 1;
  if (pairs && (argv.size() - 1) % 2 != 0) {
    ctx.reply_error(call.session,
                    "ERR wrong number of arguments for '" + std::string(cmd.name) + "' command");
    return;
  }
  // The owner of each key, in key order.
  std::vector<BackendId>& owners = ctx.key_backends;
  owners.clear();
  bool same = true;
  const bool note_writes = cmd.write && ctx.ring.any_down();
  for (size_t i = 1; i < argv.size(); i += step) {
    BackendId b = ctx.ring.owner(argv[i]);
    if (b == kNoBackend) {
      ctx.reply_error(call.session, "ERR ringproxy: no backend is available");
      return;
    }
    if (!owners.empty() && b != owners[0]) same = false;
    owners.push_back(b);
    if (ctx.key_sampled()) [[unlikely]]
      ctx.sample_key(argv[i], b);
    if (note_writes) ctx.note_write(argv[i], b);
  }
  if (cmd.write && ctx.ring.window_open()) {
    for (size_t i = 1, k = 0; i < argv.size(); i += step, ++k) {
      ctx.window_invalidate(argv[i], owners[k]);
    }
  }
  if (!cmd.write && cmd.miss != MissReply::kNone) {
    for (size_t i = 1, k = 0; i < argv.size(); i += step, ++k) {
      if (!ctx.ring.stale(owners[k], argv[i])) continue;
      // A key's backend may hold a stale copy of it: the whole read answers
      // as a miss (rare: only while stale ranges are being cleaned up).
      ctx.counters.stale_reads++;
      Buffer& out = call.session.begin_reply();
      if (shape_ == Shape::kValues) {
        write_miss_answer(MissReply::kNilPerField, static_cast<uint32_t>(owners.size()), out);
      } else {
        write_miss_answer(cmd.miss, 0, out);
      }
      call.session.end_reply();
      ctx.answered_locally();
      return;
    }
  }
  Request* req = ctx.open_request(call.session, *this);
  req->miss = cmd.miss;
  req->miss_count = static_cast<uint32_t>(owners.size());
  if (same) {
    // Every key on one backend: the request goes as it came.
    ctx.counters.forwarded++;
    if (owners.size() == 1 && !cmd.write && cmd.miss != MissReply::kNone &&
        ctx.ring.window_open()) {
      ctx.window_read(req, argv[1], owners[0], call.raw);  // EXISTS k, MGET k
    }
    ctx.send_whole(req, call.session.id(), owners[0], call.raw);
    return;
  }
  ctx.counters.split++;
  req->merge = true;
  // One fragment per backend, in the order of each backend's first key.
  std::vector<uint32_t>& fragment_of = ctx.fragment_of;
  if (fragment_of.size() < ctx.ring.id_limit())
    fragment_of.resize(ctx.ring.id_limit(), kNoFragment);
  std::vector<uint32_t>& keys_in = ctx.key_indexes;  // keys per fragment
  keys_in.clear();
  for (BackendId b : owners) {
    uint32_t& f = fragment_of[b];
    if (f == kNoFragment) {
      f = static_cast<uint32_t>(req->fragments.size());
      req->fragments.emplace_back();
      req->fragments.back().backend = b;
      keys_in.push_back(0);
    }
    keys_in[f]++;
    if (shape_ == Shape::kValues) req->key_fragment.push_back(f);
  }
  for (const Fragment& part : req->fragments) fragment_of[part.backend] = kNoFragment;

  const uint32_t nparts = static_cast<uint32_t>(req->fragments.size());
  req->pending = nparts;
  const uint64_t client = call.session.id();
  std::vector<uint32_t>& failed = ctx.failed_parts;
  failed.clear();
  for (uint32_t f = 0; f < nparts; ++f) {
    const BackendId b = req->fragments[f].backend;
    Buffer* out = ctx.backends.begin(b, client);
    if (out == nullptr) {
      failed.push_back(f);
      continue;
    }
    resp::array_header(*out, 1 + static_cast<int64_t>(keys_in[f] * step));
    resp::bulk(*out, argv[0]);
    for (size_t k = 0, i = 1; i < argv.size(); i += step, ++k) {
      if (owners[k] != b) continue;
      resp::bulk(*out, argv[i]);
      if (pairs) resp::bulk(*out, argv[i + 1]);
    }
    ctx.backends.commit(req, f, 0);
  }
  // Failed parts are answered last: the last answer completes the request.
  for (size_t i = 0; i < failed.size(); ++i) ctx.fail_unavailable(req, failed[i]);
}

bool SplitHandler::miss_answer(const Request& req, uint32_t fragment, Buffer& out) const {
  if (shape_ == Shape::kValues) {
    // The unavailable backend's keys are missing: one nil each, in its part.
    const uint32_t keys = req.merge
                              ? static_cast<uint32_t>(std::count(req.key_fragment.begin(),
                                                                 req.key_fragment.end(), fragment))
                              : req.miss_count;
    return write_miss_answer(MissReply::kNilPerField, keys, out);
  }
  // EXISTS, TOUCH: none of the part's keys exists (writes have no miss).
  return write_miss_answer(req.miss, 0, out);
}

void SplitHandler::merge(CommandContext& ctx, Request& req) const {
  Buffer& out = req.reply;
  if (merge_rules::first_error(req.fragments, out)) return;
  switch (shape_) {
    case Shape::kPairs:
      merge_rules::all_ok(req.fragments, out);
      return;
    case Shape::kCount:
      merge_rules::sum(req.fragments, out);
      return;
    case Shape::kValues:
      break;
  }
  // MGET: each part's values, put back in key order.
  const size_t n = req.fragments.size();
  if (ctx.elements.size() < n) ctx.elements.resize(n);
  for (size_t i = 0; i < n; ++i) {
    ctx.elements[i].clear();
    if (!split_array_elements(req.fragments[i].reply, ctx.elements[i])) {
      merge_rules::unexpected(out, "MGET");
      return;
    }
  }
  std::vector<uint32_t>& next = ctx.merge_next;  // next element of each part
  next.assign(n, 0);
  resp::array_header(out, static_cast<int64_t>(req.key_fragment.size()));
  for (uint32_t f : req.key_fragment) {
    if (next[f] >= ctx.elements[f].size()) {
      out.clear();
      merge_rules::unexpected(out, "MGET");
      return;
    }
    out.append(ctx.elements[f][next[f]++]);
  }
}

}  // namespace ringproxy
