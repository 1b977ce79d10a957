// The request lifecycle shared by every command kind. See context.hpp.
#include "ringproxy/commands/context.hpp"

#include <algorithm>

#include "ringproxy/commands/handler.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/commands/single_key.hpp"
#include "ringproxy/common/assert.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

CommandContext::CommandContext(RingView& ring_view, BackendPort& backend_port,
                               ProxyIntrospection& introspection, CommandOptions opts)
    : ring(ring_view),
      backends(backend_port),
      proxy(introspection),
      options(std::move(opts)),
      rng(std::random_device{}()) {}

void CommandContext::send_whole(Request* req, uint64_t client_id, BackendId backend,
                                std::string_view bytes, uint32_t swallow) {
  // emplace_back, not resize(1): a pooled request's vector has the room, and
  // resize() always takes its out-of-line path.
  req->fragments.emplace_back().backend = backend;
  req->pending = 1;
  if (!backends.send(backend, client_id, req, 0, bytes, swallow)) fail_unavailable(req, 0);
}

void CommandContext::fail_unavailable(Request* req, uint32_t fragment) {
  Buffer error;
  backends.unavailable_error(req->fragments[fragment].backend, error);
  part_failed(req, fragment, error.view());
}

void CommandContext::part_merged(Request* req, uint32_t fragment, std::string_view reply) {
  Fragment& part = req->fragments[fragment];
  RP_ASSERT(!part.done && req->pending > 0);
  part.reply.assign(reply);
  part.done = true;
  if (req->session != nullptr) req->session->stored(req);
  if (--req->pending == 0) complete(req);
}

void CommandContext::part_failed(Request* req, uint32_t fragment, std::string_view error) {
  if (req->window_asked) {
    // The previous home could not answer: the new home's miss stands.
    req->window_asked = false;
    Buffer miss;
    req->handler->miss_answer(*req, fragment, miss);
    part_replied(req, fragment, miss.view());
    return;
  }
  counters.errors++;
  if (options.miss_on_unavailable && req->miss != MissReply::kNone) {
    // A read of an unreachable backend answers as a cache miss; for a split
    // read, only that backend's part does.
    Buffer miss;
    if (req->handler->miss_answer(*req, fragment, miss)) {
      answer_part(req, fragment, miss.view());
      return;
    }
  }
  answer_part(req, fragment, error);
}

void CommandContext::answer_part(Request* req, uint32_t fragment, std::string_view answer) {
  // A request forwarded whole is answered now; a split one when merged.
  if (!req->merge && observer != nullptr) observer->request_answered(*req, answer);
  part_replied(req, fragment, answer);
}

void CommandContext::part_lost(Request* req, uint32_t fragment, std::string_view error) {
  if (req->write) {
    counters.writes_failed_in_flight++;
    backends.write_lost(req->fragments[fragment].backend);
  }
  part_failed(req, fragment, error);
}

Buffer* CommandContext::reply_sink(Request* req, uint32_t) {
  // Only a reply that passes through as it came (and is not a window read's,
  // which may be asked again or counted).
  if (req->merge || req->session == nullptr || req->window_from != kNoBackend ||
      req->window_asked) {
    return nullptr;
  }
  return req->session->reply_sink(req);
}

void CommandContext::reply_moved(Request* req, uint32_t) {
  RP_ASSERT(!req->merge && req->session != nullptr);
  counters.replies_moved++;
  req->pending = 0;
  req->session->reply_moved(req);
}

void CommandContext::complete(Request* req) {
  Session* session = req->session;
  if (session == nullptr) {
    requests.release(req);
    return;
  }
  req->reply.clear();
  req->handler->merge(*this, *req);
  session->complete(req);
}

void ErrorCounts::add(std::string_view message) {
  if (!message.empty() && message[0] == '-') message.remove_prefix(1);
  // Redis's rule: the error code is the first word when it is in capitals,
  // else ERR.
  std::string_view code = message.substr(0, message.find_first_of(" \r\n"));
  const bool upper =
      !code.empty() && code.size() <= 32 && std::all_of(code.begin(), code.end(), [](char ch) {
        return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
      });
  if (!upper) code = "ERR";
  for (auto& [name, n] : counts) {
    if (name == code) {
      ++n;
      return;
    }
  }
  counts.emplace_back(std::string(code), 1);
}

void CommandContext::reply_error(Session& session, std::string_view message) {
  write_error(session, message);
  if (observer != nullptr) observer->local_call(command_id, true);
}

void CommandContext::reject(Session& session, std::string_view message) {
  write_error(session, message);
  if (observer != nullptr) observer->rejected_call(command_id);
}

void CommandContext::write_error(Session& session, std::string_view message) {
  write_error(session.begin_reply(), message);
  session.end_reply();
}

void CommandContext::write_error(Buffer& out, std::string_view message) {
  counters.errors++;
  error_counts.add(message);
  resp::error(out, message);
}

void CommandContext::note_write(std::string_view key, BackendId owner) {
  BackendId home = ring.home(key);
  if (home == owner || home == kNoBackend) return;
  counters.failover_writes++;
  backends.failover_write(key, home, owner);
}

void CommandContext::window_read(Request* req, std::string_view key, BackendId owner,
                                 std::string_view raw) {
  const BackendId from = ring.previous_home(key);
  if (from == kNoBackend || from == owner) return;
  req->window_from = from;
  req->window_lane = ring.key_lane(key);
  req->window_request.assign(raw);
}

bool CommandContext::window_reply(Request* req, std::string_view reply) {
  Buffer miss;
  const bool missed = req->handler->miss_answer(*req, 0, miss) && reply == miss.view();
  if (req->window_asked) {
    req->window_asked = false;
    if (!missed) counters.window_hits++;
    return false;
  }
  const BackendId from = req->window_from;
  req->window_from = kNoBackend;
  if (!missed || req->session == nullptr) return false;
  counters.window_reads++;
  req->window_asked = true;
  req->fragments[0].backend = from;
  if (!backends.send(from, req->window_lane, req, 0, req->window_request, 0)) {
    req->window_asked = false;  // the new home's miss stands
    return false;
  }
  return true;
}

void CommandContext::window_invalidate(std::string_view key, BackendId owner) {
  const BackendId from = ring.previous_home(key);
  if (from == kNoBackend || from == owner) return;
  counters.window_invalidations++;
  // Nobody waits for the reply (the request has no session). The same lane
  // as the key's window reads, so a read sent after this removal cannot
  // overtake it.
  Buffer* out = backends.begin(from, ring.key_lane(key));
  if (out == nullptr) {
    // Not removed: the previous home must not serve again before the rejoin
    // policy has run.
    backends.write_lost(from);
    return;
  }
  resp::array_header(*out, 2);
  resp::bulk(*out, "UNLINK");
  resp::bulk(*out, key);
  Request* req = requests.acquire();
  req->handler = &handlers::single_key;
  req->write = true;
  req->fragments.emplace_back().backend = from;
  req->pending = 1;
  backends.commit(req, 0, 0);
}

}  // namespace ringproxy
