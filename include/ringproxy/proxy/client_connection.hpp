// One application connection: read -> parse -> hand each request to the
// command dispatcher -> write replies back strictly in request order. It is
// the commands' Session: the reply slots, AUTH, name and MULTI state.
//
// Reads land in a loop-wide scratch buffer while the connection has no partial
// request, so an idle client holds no input memory; only a partial request is
// copied into the client's own buffer. Replies are written in order from the
// `pending_` queue: a reply for the request at its head goes straight to the
// output buffer, later ones wait in their request until their turn.
//
// Output accounting: what a client is owed is its unsent output plus the
// replies stored in its requests that wait for their turn (owed_bytes()).
// Past `max_pipeline` requests in flight or `client_output_limit` owed bytes
// the connection stops reading until it drains; replies already owed keep
// arriving, so past the hard limit (effective_output_hard_limit) the client
// is closed, as Redis closes clients past client-output-buffer-limit.
//
// Big values move rather than copy: a request of 16 KiB or more that sits in
// the client's input buffer goes to the backend with that buffer's storage,
// and big replies join the output queue as buffers of their own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/commands/request.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/commands/transaction.hpp"
#include "ringproxy/common/buffer.hpp"
#include "ringproxy/common/ring_queue.hpp"
#include "ringproxy/net/socket_connection.hpp"
#include "ringproxy/resp/request_parser.hpp"

namespace ringproxy {

class Proxy;
struct CommandInfo;

class ClientConnection final : public Session, public SocketConnection {
 public:
  ClientConnection(Proxy& proxy, uint64_t id, uint64_t now_ms, SocketPoller& poller,
                   FlushScheduler& flusher);

  // Session.
  uint64_t id() const override { return id_; }
  bool authenticated() const override { return authenticated_; }
  void set_authenticated() override { authenticated_ = true; }
  bool admin() const override { return admin_; }
  void set_admin() override { admin_ = true; }
  bool loopback() const override;
  std::string_view name() const override {
    return name_ ? std::string_view(*name_) : std::string_view();
  }
  void set_name(std::string_view name) override {
    if (name.empty()) {
      name_.reset();
    } else {
      name_ = std::make_unique<std::string>(name);
    }
  }
  void describe(ClientInfo& out) const override;
  void open(Request* req) override { pending_.push_back(req); }
  void deliver(Request* req, std::string_view bytes) override;
  void complete(Request* req) override;
  Buffer* reply_sink(Request* req) override;
  void reply_moved(Request* req) override;
  void stored(Request* req) override { account(req); }
  Buffer& begin_reply() override;
  void end_reply() override;
  // Replies already queued go out, then the connection closes (QUIT, protocol
  // errors).
  void close_after_replies() override;
  // CLIENT KILL of another client: closed at the next flush pass (not from
  // inside a command, whose own client may be up the stack).
  void kill() { close_soon(); }
  // Allocated at MULTI: most clients never send it.
  Transaction* transaction() override { return transaction_.get(); }
  Transaction& begin_transaction() override {
    transaction_ = std::make_unique<Transaction>();
    return *transaction_;
  }
  void end_transaction() override { transaction_.reset(); }

  uint64_t created_ms() const { return created_ms_; }
  int socket_fd() const { return fd(); }
  // The client's address as Redis prints it (ip:port), read once.
  const std::string& peer_address() const;
  size_t pending_requests() const { return pending_.size(); }
  uint32_t registry_index = 0;  // position in the proxy's client list

  // Starts reading; called once after accept.
  void start();
  // Appends `bytes`, a request of this client's (normally the one being
  // dispatched), to `to`'s output: copied, or, when it is big and fills the
  // front of this client's input buffer, moved there with that storage.
  // Inline: it is on every forwarded request's path, and small ones copy.
  void write_request(Connection& to, std::string_view bytes) {
    if (bytes.size() >= kMoveMin && move_request(to, bytes)) [[unlikely]]
      return;
    to.out().append(bytes);
  }
  // Requests and stored replies from this size up move between buffers with
  // their storage instead of being copied: a copy of that much costs more
  // than the allocation the move makes the other side do.
  static constexpr size_t kMoveMin = 16 * 1024;
  // A reply (or part of one) was stored in `req`, which waits for its turn:
  // counts it in the client's output, and enforces the limits.
  void account(Request* req);
  // Unsent output plus replies stored in waiting requests.
  size_t owed_bytes() const { return pending_output() + stored_; }
  // Parses and dispatches buffered input if the limits allow (after a pause).
  void resume();
  bool paused() const { return paused_; }
  // Frees empty buffers (periodic, so idle clients hold no buffer memory);
  // returns the bytes freed.
  size_t release_idle_buffers();

 private:
  void alloc_buffer(size_t suggested, uv_buf_t* buf) override;
  void on_read(ssize_t nread, const uv_buf_t* buf) override;
  void on_write_error(int status) override;
  void on_drained() override;
  void on_close() override;
  void on_resume() override { resume(); }

  // write_request() of a big request: moves it to `to` with the storage of
  // this client's input buffer if it fills the front of it; false if not.
  bool move_request(Connection& to, std::string_view bytes);
  // Parses and dispatches requests from [data, data+len); returns bytes used.
  // Stops early when a request's storage was moved out (write_request).
  size_t process(const char* data, size_t len, RequestParser& parser);
  // process() over the partial input, until it is used up or must wait.
  void process_partial();
  // Pops the head request, taking its stored bytes out of the count.
  Request* pop_head();
  // Closes the client (at the next flush pass) once it is owed more than
  // --client-output-hard-limit: checked wherever a reply is delivered, so the
  // check is small enough to inline and the closing is apart.
  void enforce_output_hard_limit();
  void close_for_output_limit();
  // A broken request stream: counted, logged at debug, `error` (the RESP
  // error text) answered, then the connection closes.
  void protocol_error(std::string_view error);
  // Input that ends inside a request, with the parser state that goes with
  // it. Most reads end on a request boundary and are parsed in the proxy's
  // scratch buffer by its shared parser, so most clients have none.
  struct Partial {
    explicit Partial(const ParserLimits& limits) : parser(limits) {}
    Buffer in;
    RequestParser parser;
  };
  Partial& partial();
  bool has_input() const { return partial_ && !partial_->in.empty(); }
  void drop_partial_if_empty();
  bool over_limits() const;
  void maybe_finish_close();
  bool is_head(const Request* req) const { return !pending_.empty() && pending_.front() == req; }
  // Appends a reply for the head request and pops it.
  void write_head_reply(std::string_view bytes);
  // The head request's reply is already in out() (moved there): pops it.
  void finish_head();
  // Writes every completed request at the head of the queue.
  void drain_ready();

  // Every idle client costs this object (see bench/README.md, memory per
  // connection): small fields first, so they share one word with
  // registry_index, and whatever most clients never use behind a pointer.
  bool authenticated_ = false;
  bool admin_ = false;  // AUTHed with --admin-password
  bool paused_ = false;
  bool quitting_ = false;     // no more input is processed; close once replies are out
  bool moved_input_ = false;  // write_request() took the input's storage (process restarts)
  Proxy& proxy_;
  uint64_t id_;
  uint64_t created_ms_;
  std::unique_ptr<Partial> partial_;
  RingQueue<Request*> pending_;
  size_t stored_ = 0;  // reply bytes stored in pending_ requests (Request::counted_bytes)
  std::unique_ptr<std::string> name_;          // CLIENT SETNAME; most clients set none
  mutable std::unique_ptr<std::string> peer_;  // peer_address(), once asked
  // CLIENT LIST's idle and cmd.
  uint64_t last_command_ms_;
  const CommandInfo* last_command_ = nullptr;
  std::unique_ptr<Transaction> transaction_;
};

}  // namespace ringproxy
