// The twemproxy-style stats port (--stats-port, --stats-addr): every client
// that connects is sent the current stats document, then the connection is
// closed, as nutcracker's stats thread does. Nothing is read from the client
// beyond discarding what it sends.
//
// A small libuv TCP listener on the proxy's loop (no thread of its own). Per
// connection: the document is written (shared, not copied), the write side
// shut down, and the connection closed when the client closes its side (so a
// client that sent a request line still reads the whole document instead of
// a reset), or after `linger_ms` at the latest. At most `max_clients`
// connections are served at once; past that a new one is closed at once.
//
// Construct and destroy on the loop's thread. Destruction closes the listener
// and every connection still open (their memory is freed by their close
// callbacks, which need nothing from the server).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ringproxy::stats {

struct StatsServerOptions {
  std::string host = "127.0.0.1";  // nutcracker's default is 0.0.0.0; ours stays local
  uint16_t port = 0;               // 0: any free port (see StatsServer::port())
  int backlog = 128;
  uint32_t max_clients = 64;
  uint64_t linger_ms = 5000;
};

class StatsServer {
 public:
  // The document to send to a client that just connected.
  using DocumentFn = std::function<std::shared_ptr<const std::string>()>;

  // Binds and listens; throws std::runtime_error saying why it cannot.
  StatsServer(uv_loop_t* loop, const StatsServerOptions& options, DocumentFn document);
  ~StatsServer();
  StatsServer(const StatsServer&) = delete;
  StatsServer& operator=(const StatsServer&) = delete;

  // The port listened on (the chosen one when options.port was 0).
  uint16_t port() const { return port_; }
  uint64_t served() const { return served_; }
  size_t open_clients() const { return clients_.size(); }

  struct Client;  // one connection; defined in the .cpp

 private:
  void on_connection(int status);
  void sweep();
  void forget(Client* c);

  uv_loop_t* loop_;
  StatsServerOptions options_;
  DocumentFn document_;
  std::unique_ptr<uv_tcp_t> listener_;
  std::unique_ptr<uv_timer_t> sweeper_;
  std::vector<Client*> clients_;  // open connections; each owns itself
  uint16_t port_ = 0;
  uint64_t served_ = 0;
};

}  // namespace ringproxy::stats
