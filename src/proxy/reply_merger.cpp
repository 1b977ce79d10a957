// Merging the replies of split and fan-out requests into the one reply the
// client expects. Runs once per split request, when its last fragment answers;
// single-backend requests never come here (their reply bytes pass through).
//
// Rules: any fragment that failed (an error reply, or the proxy's own error for
// an unreachable backend) makes the whole reply that error, first fragment
// first. Never a silently partial answer.
#include <charconv>

#include "ringproxy/common/log.hpp"
#include "ringproxy/common/text.hpp"
#include "ringproxy/proxy/proxy.hpp"
#include "ringproxy/resp/reply_scanner.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {
void unexpected(Buffer& out, std::string_view what) {
  std::string msg = "ERR ringproxy: unexpected reply from a backend to ";
  msg.append(what);
  resp::error(out, msg);
}
}  // namespace

void Proxy::merge(Request* req) {
  Buffer& out = req->reply;
  out.clear();
  // The first error wins.
  for (const Fragment& f : req->fragments) {
    if (!f.reply.empty() && f.reply[0] == '-') {
      out.append(f.reply);
      return;
    }
  }
  ReplyView v;
  switch (req->merge) {
    case MergeKind::kNone:
    case MergeKind::kMissOnError:
    case MergeKind::kFirst:
      out.append(req->fragments[0].reply);
      return;
    case MergeKind::kAllOk:
      for (const Fragment& f : req->fragments) {
        if (f.reply != "+OK\r\n") {
          out.append(f.reply);
          return;
        }
      }
      resp::ok(out);
      return;
    case MergeKind::kSum: {
      int64_t sum = 0;
      for (const Fragment& f : req->fragments) {
        if (!parse_reply(f.reply, v) || v.type != ':') {
          unexpected(out, "a counting command");
          return;
        }
        sum += v.integer;
      }
      resp::integer(out, sum);
      return;
    }
    case MergeKind::kConcat: {
      merge_elements_.resize(1);
      auto& all = merge_elements_[0];
      all.clear();
      for (const Fragment& f : req->fragments) {
        if (!split_array_elements(f.reply, all)) {
          unexpected(out, "KEYS");
          return;
        }
      }
      resp::array_header(out, static_cast<int64_t>(all.size()));
      for (std::string_view e : all) out.append(e);
      return;
    }
    case MergeKind::kMGet: {
      const size_t n = req->fragments.size();
      if (merge_elements_.size() < n) merge_elements_.resize(n);
      for (size_t i = 0; i < n; ++i) {
        merge_elements_[i].clear();
        if (!split_array_elements(req->fragments[i].reply, merge_elements_[i])) {
          unexpected(out, "MGET");
          return;
        }
      }
      std::vector<size_t> next(n, 0);
      resp::array_header(out, static_cast<int64_t>(req->key_fragment.size()));
      for (uint32_t f : req->key_fragment) {
        if (next[f] >= merge_elements_[f].size()) {
          out.clear();
          unexpected(out, "MGET");
          return;
        }
        out.append(merge_elements_[f][next[f]++]);
      }
      return;
    }
    case MergeKind::kRandomKey: {
      std::vector<const std::string*> found;
      for (const Fragment& f : req->fragments) {
        if (!f.reply.empty() && f.reply[0] == '$' && f.reply.compare(0, 3, "$-1") != 0) {
          found.push_back(&f.reply);
        }
      }
      if (found.empty()) {
        resp::nil(out);
      } else {
        out.append(*found[rng_() % found.size()]);
      }
      return;
    }
    case MergeKind::kScan: {
      auto& parts = merge_elements_.emplace_back();
      parts.clear();
      ReplyView cur;
      uint64_t next = 0;
      if (!split_array_elements(req->fragments[0].reply, parts) || parts.size() != 2 ||
          !parse_reply(parts[0], cur) || cur.type != '$' || !parse_u64(cur.line, next)) {
        merge_elements_.pop_back();
        unexpected(out, "SCAN");
        return;
      }
      uint64_t cursor = 0;
      if (next != 0) {
        cursor = (next << kScanBackendBits) | req->scan_backend;
      } else {
        // This backend is done: continue with the next live one.
        for (uint32_t i = req->scan_backend + 1; i < live_.size(); ++i) {
          if (live_[i]) {
            cursor = i;
            break;
          }
        }
      }
      char num[24];
      auto r = std::to_chars(num, num + sizeof(num), cursor);
      resp::array_header(out, 2);
      resp::bulk(out, std::string_view(num, static_cast<size_t>(r.ptr - num)));
      out.append(parts[1]);
      merge_elements_.pop_back();
      return;
    }
  }
}

}  // namespace ringproxy
