// The client side as the command handlers see it: who the client is, its
// AUTH and MULTI state, and its reply slots, which go out strictly in the
// order the client sent its requests whoever answers first.
//
// A request answered by backends takes a slot with open(); its reply comes
// back through deliver() (bytes that pass through as they came), or
// complete() (a reply the handler merged into req->reply). A reply the proxy
// writes itself (an error, PONG, INFO) goes between begin_reply() and
// end_reply(), in order after every reply before it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ringproxy/common/buffer.hpp"

namespace ringproxy {

struct Request;
struct Transaction;

// One client as CLIENT LIST shows it.
struct ClientInfo {
  uint64_t id = 0;
  std::string_view name;
  uint64_t created_ms = 0;
  int64_t multi = -1;  // commands queued in MULTI, -1 outside MULTI
  uint64_t output_bytes = 0;
  uint64_t pending = 0;  // requests waiting for their reply
  std::string addr;      // the client's ip:port, "" when unknown
  std::string laddr;     // the proxy's ip:port the client connected to
  int64_t fd = -1;
  uint64_t last_ms = 0;  // when its last command came (created_ms before any)
  std::string_view cmd;  // its last command's name, "" before any
};

class Session {
 public:
  virtual ~Session() = default;

  virtual uint64_t id() const = 0;
  virtual bool authenticated() const = 0;
  virtual void set_authenticated() = 0;
  // Ring administration (PROXY ADD/REMOVE/WEIGHT): whether the client has
  // AUTHed with --admin-password, and whether it connected over loopback.
  virtual bool admin() const { return false; }
  virtual void set_admin() {}
  virtual bool loopback() const { return false; }
  virtual std::string_view name() const = 0;
  // An empty name clears it. The caller checked it (set_client_name).
  virtual void set_name(std::string_view name) = 0;
  virtual void describe(ClientInfo& out) const = 0;

  // Reply slots.
  // Queues `req` (taken from the request pool, req->session set): its reply
  // is written once every earlier one is.
  virtual void open(Request* req) = 0;
  // The reply of `req`, as it came from its backend: written now if `req` is
  // next in line, else kept in req->reply until it is.
  virtual void deliver(Request* req, std::string_view bytes) = 0;
  // req->reply holds the complete (merged) reply: written in its turn.
  virtual void complete(Request* req) = 0;
  // A big reply can move to the client with the storage it was read into:
  // an empty buffer to swap it into (the output, when `req` is next in line
  // and nothing waits to be written; else req->reply), or nullptr (copy it).
  virtual Buffer* reply_sink(Request* req) = 0;
  // The reply of `req` was swapped into the buffer reply_sink() returned.
  virtual void reply_moved(Request* req) = 0;
  // A part of merged request `req` was stored in it (the reply it will be
  // merged into is owed to the client, and may count against its limits).
  virtual void stored(Request* /*req*/) {}
  // A reply the proxy writes itself. Nothing else may be opened or begun
  // before end_reply().
  virtual Buffer& begin_reply() = 0;
  virtual void end_reply() = 0;
  // Replies already due go out, then the connection closes (QUIT).
  virtual void close_after_replies() = 0;

  // MULTI state: nullptr outside MULTI.
  virtual Transaction* transaction() = 0;
  virtual Transaction& begin_transaction() = 0;
  virtual void end_transaction() = 0;
};

}  // namespace ringproxy
