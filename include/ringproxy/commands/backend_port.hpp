// How the command handlers send requests to backends (the model is Envoy's
// redis_proxy ConnPool: ask for a backend, get a way to send or nothing).
//
// A request that goes as the client sent it is one call, send(). A request
// the handler builds (a split MGET's part, a MULTI block) is written straight
// into the output of the connection that will carry it, with no intermediate
// copy:
//
//   Buffer* out = port.begin(backend, client_id);  // nullptr: unavailable
//   append the request's bytes to *out;
//   port.commit(req, fragment, swallow);            // its reply answers (req, fragment)
//
// Nothing else may be begun or sent between begin() and commit().
#pragma once

#include <cstdint>
#include <string_view>

#include "ringproxy/commands/ring_view.hpp"
#include "ringproxy/common/buffer.hpp"

namespace ringproxy {

struct Request;

class BackendPort {
 public:
  virtual ~BackendPort() = default;

  // Sends `bytes` to `backend` as part `fragment` of `req`, as begin(),
  // append, commit() would; false when the backend cannot take it (nothing
  // was sent).
  virtual bool send(BackendId backend, uint64_t client_id, Request* req, uint32_t fragment,
                    std::string_view bytes, uint32_t swallow) = 0;

  // The buffer to append one request for `backend` to, on the connection that
  // carries the requests of client `client_id` (always the same one, which
  // keeps a client's requests in order); nullptr when the backend cannot take
  // it now (not up, or reconnecting after a failure): the caller answers that
  // part with unavailable_error().
  virtual Buffer* begin(BackendId backend, uint64_t client_id) = 0;
  // The request appended since begin() is complete: the reply that follows
  // `swallow` discarded replies (a MULTI block's +OK and +QUEUED) answers
  // part `fragment` of `req`, through CommandContext::part_replied or
  // part_failed.
  virtual void commit(Request* req, uint32_t fragment, uint32_t swallow) = 0;
  // Appends the error reply for a part `backend` could not take (naming the
  // backend and its last error) and counts it against the backend.
  virtual void unavailable_error(BackendId backend, Buffer& out) = 0;
  // A write of `key` went to `successor` while its home backend `home` is
  // ejected: remembered, so the copy is deleted before `home` serves again.
  virtual void failover_write(std::string_view key, BackendId home, BackendId successor) = 0;
  // A write sent to `backend` was lost with its connection: the backend may
  // have applied it or not, or may apply it late (a stopped server that
  // resumes), so it cannot serve again without the rejoin policy.
  virtual void write_lost(BackendId backend) = 0;
};

}  // namespace ringproxy
