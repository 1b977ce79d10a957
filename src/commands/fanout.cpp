// Commands sent to every live backend. See fanout.hpp.
#include "ringproxy/commands/fanout.hpp"

#include "ringproxy/commands/context.hpp"
#include "ringproxy/commands/merge_rules.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/resp/reply_scanner.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace handlers {
constinit const FanoutHandler fanout_sum(FanoutHandler::Merge::kSum);
constinit const FanoutHandler fanout_concat(FanoutHandler::Merge::kConcat);
constinit const FanoutHandler fanout_all_ok(FanoutHandler::Merge::kAllOk);
constinit const FanoutHandler script(FanoutHandler::Merge::kScript);
constinit const FanoutHandler random_key(FanoutHandler::Merge::kRandomKey);
}  // namespace handlers

namespace {
// SCRIPT LOAD and EXISTS answer the same on every backend.
constinit const FanoutHandler fanout_first(FanoutHandler::Merge::kFirst);
}  // namespace

void FanoutHandler::handle(CommandContext& ctx, const Call& call) const {
  std::vector<uint32_t>& targets = ctx.key_indexes;  // the live backends
  targets.clear();
  for (BackendId b : ctx.ring.members()) {
    if (ctx.ring.live(b)) targets.push_back(b);
  }
  if (targets.empty()) {
    ctx.reply_error(call.session, "ERR ringproxy: no backend is available");
    return;
  }
  // SCRIPT FLUSH must succeed everywhere; LOAD and EXISTS answer the same on all.
  const FanoutHandler* merger = this;
  if (merge_ == Merge::kScript) {
    merger = call.argv.size() > 1 && iequals(call.argv[1], "flush") ? &handlers::fanout_all_ok
                                                                    : &fanout_first;
  }
  Request* req = ctx.open_request(call.session, *merger);
  req->merge = true;
  req->miss = call.cmd.miss;
  ctx.counters.fanout++;
  const uint32_t nparts = static_cast<uint32_t>(targets.size());
  req->fragments.resize(nparts);
  req->pending = nparts;
  const uint64_t client = call.session.id();
  std::vector<uint32_t>& failed = ctx.failed_parts;
  failed.clear();
  for (uint32_t f = 0; f < nparts; ++f) {
    const BackendId b = targets[f];
    req->fragments[f].backend = b;
    Buffer* out = ctx.backends.begin(b, client);
    if (out == nullptr) {
      failed.push_back(f);
      continue;
    }
    out->append(call.raw);
    ctx.backends.commit(req, f, 0);
  }
  for (size_t i = 0; i < failed.size(); ++i) ctx.fail_unavailable(req, failed[i]);
}

bool FanoutHandler::miss_answer(const Request&, uint32_t, Buffer& out) const {
  // An unavailable backend counts as an empty one.
  switch (merge_) {
    case Merge::kSum:
      resp::integer(out, 0);
      return true;
    case Merge::kConcat:
      resp::array_header(out, 0);
      return true;
    case Merge::kRandomKey:
      resp::nil(out);
      return true;
    case Merge::kAllOk:
    case Merge::kFirst:
    case Merge::kScript:
      return false;
  }
  return false;
}

void FanoutHandler::merge(CommandContext& ctx, Request& req) const {
  Buffer& out = req.reply;
  if (merge_rules::first_error(req.fragments, out)) return;
  switch (merge_) {
    case Merge::kSum:
      merge_rules::sum(req.fragments, out);
      return;
    case Merge::kAllOk:
    case Merge::kScript:
      merge_rules::all_ok(req.fragments, out);
      return;
    case Merge::kFirst:
      out.append(req.fragments.front().reply);
      return;
    case Merge::kConcat: {
      if (ctx.elements.empty()) ctx.elements.resize(1);
      std::vector<std::string_view>& all = ctx.elements[0];
      all.clear();
      for (const Fragment& f : req.fragments) {
        if (!split_array_elements(f.reply, all)) {
          merge_rules::unexpected(out, "KEYS");
          return;
        }
      }
      resp::array_header(out, static_cast<int64_t>(all.size()));
      for (std::string_view e : all) out.append(e);
      return;
    }
    case Merge::kRandomKey: {
      std::vector<uint32_t>& found = ctx.merge_next;  // parts with a key
      found.clear();
      for (uint32_t i = 0; i < req.fragments.size(); ++i) {
        const std::string& r = req.fragments[i].reply;
        if (!r.empty() && r[0] == '$' && r.compare(0, 3, "$-1") != 0) found.push_back(i);
      }
      if (found.empty()) {
        resp::nil(out);
      } else {
        out.append(req.fragments[found[ctx.rng() % found.size()]].reply);
      }
      return;
    }
  }
}

}  // namespace ringproxy
