// The proxy: one libuv loop, the listener, the clients, the backends, and the
// route step of the data path:
//
//   accept -> ClientConnection (read, parse) -> Proxy::dispatch (command table,
//   router) -> BackendConnection (pipelined write) -> reply -> merge if split ->
//   ClientConnection (in-order write)
//
// Local commands (PING, INFO, CLIENT, ...) are answered in local_commands.cpp,
// split replies are merged in reply_merger.cpp.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/backend/backend.hpp"
#include "ringproxy/commands/command_table.hpp"
#include "ringproxy/commands/request.hpp"
#include "ringproxy/health/failover_log.hpp"
#include "ringproxy/health/health_checker.hpp"
#include "ringproxy/net/buffer_pool.hpp"
#include "ringproxy/net/listener.hpp"
#include "ringproxy/net/socket_poller.hpp"
#include "ringproxy/options/config.hpp"
#include "ringproxy/placement/router.hpp"
#include "ringproxy/proxy/client_connection.hpp"

namespace ringproxy {

struct ProxyStats {
  uint64_t connections_received = 0;
  uint64_t connections_rejected = 0;
  uint64_t commands = 0;
  uint64_t forwarded = 0;  // requests sent to one backend as they came
  uint64_t split = 0;      // requests split across backends (MGET/MSET/DEL...)
  uint64_t fanout = 0;     // requests sent to every backend (DBSIZE/KEYS/...)
  uint64_t local = 0;      // answered by the proxy
  uint64_t errors = 0;     // error replies produced by the proxy
  uint64_t protocol_errors = 0;
  uint64_t cross_backend_rejected = 0;
  uint64_t failover_writes = 0;  // writes that landed on a successor
  uint64_t failover_copies_deleted = 0;
  uint64_t replies_moved = 0;  // big replies handed over with their storage, not copied
};

class Proxy final : public BackendEvents {
 public:
  explicit Proxy(Config config);
  ~Proxy() override;
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // Binds and runs the loop until SIGINT/SIGTERM or stop(). Throws
  // std::runtime_error if the listener cannot be set up.
  void run();
  void stop();

  // From ClientConnection.
  void dispatch(ClientConnection& client, const RequestParser& parsed);
  void client_closed(ClientConnection& client);
  Request* new_request(ClientConnection& client);
  void release_request(Request* req) { pool_.release(req); }
  BufferPool& output_pool() { return output_pool_; }
  const Config& config() const { return config_; }
  uint64_t now_ms() const { return uv_now(loop_); }
  ProxyStats& stats() { return stats_; }
  void resume_later(ClientConnection* client) { to_resume_.push_back(client); }
  // Shared per-request scratch (one request is dispatched at a time).
  std::vector<std::string_view>& argv_scratch() { return argv_scratch_; }
  RequestParser& shared_parser() { return shared_parser_; }
  const ParserLimits& parser_limits() const { return parser_limits_; }
  // The loop-wide read buffer for clients without a partial request.
  char* scratch() { return scratch_.get(); }
  size_t scratch_size() const { return kScratchSize; }

  // BackendEvents.
  void on_reply(Request* req, uint32_t fragment, std::string_view reply) override;
  Buffer* reply_sink(Request* req, uint32_t fragment) override;
  void on_reply_moved(Request* req, uint32_t fragment) override;
  void on_failure(Request* req, uint32_t fragment, std::string_view error) override;
  void on_backend_error(Backend& backend, std::string_view reason) override;
  void on_backend_connected(Backend& backend) override;

  // For the health checker and INFO.
  std::vector<std::unique_ptr<Backend>>& backends() { return backends_; }
  Router& router() { return *router_; }
  uv_loop_t* loop() { return loop_; }

 private:
  // Health (proxy.cpp).
  void on_backend_state(uint32_t backend, BackendState from, BackendState to,
                        std::string_view reason);
  // The connection for a request to `backend`, or nullptr when the request
  // must fail at once (backend failing, or reconnect backing off).
  BackendConnection* connection(uint32_t backend, ClientConnection& c);
  void note_failover_write(std::string_view key, uint32_t backend);
  void delete_failover_copies(uint32_t home);

  // Routing (proxy.cpp).
  void forward(ClientConnection& c, Request* req, uint32_t backend, std::string_view bytes,
               uint32_t swallow = 0);
  void send_fragment(Request* req, uint32_t fragment, ClientConnection& c, uint32_t swallow);
  void route_keys(ClientConnection& c, const CommandInfo& cmd, const RequestParser& p);
  void route_split(ClientConnection& c, const CommandInfo& cmd, const RequestParser& p);
  void route_fanout(ClientConnection& c, const CommandInfo& cmd, const RequestParser& p);
  void route_scan(ClientConnection& c, const RequestParser& p);
  void queue_in_transaction(ClientConnection& c, const CommandInfo* cmd, const RequestParser& p);
  void exec_transaction(ClientConnection& c);
  bool owners_of_keys(const CommandInfo& cmd, std::string_view& error);
  void reply_error(ClientConnection& c, std::string_view msg);
  void reply_unavailable(ClientConnection& c, Request* req, uint32_t fragment, uint32_t backend);
  void complete(Request* req);

  // Local commands (local_commands.cpp).
  void local_command(ClientConnection& c, const CommandInfo& cmd);
  // PROXY NODES / PROXY HELP (not in the command table: dispatch calls it for
  // an unknown command named "proxy").
  void proxy_command(ClientConnection& c);
  void write_info(Buffer& out, std::string_view section);
  std::string backend_line(uint32_t i, uint64_t now, const std::vector<uint32_t>& points,
                           char sep) const;

  // Merging (reply_merger.cpp).
  void merge(Request* req);

  // Lifecycle (proxy.cpp).
  void listen();
  // An accepted client socket, or -errno for one dropped (out of descriptors).
  void on_accept(int fd_or_error);
  void sweep();
  void shutdown();
  std::vector<uint32_t> live_backends() const;

  Config config_;
  std::unique_ptr<uv_loop_t> loop_storage_;
  uv_loop_t* loop_;
  std::unique_ptr<FlushScheduler> flusher_;
  std::unique_ptr<SocketPoller> sockets_;
  std::unique_ptr<Router> router_;
  std::vector<std::unique_ptr<Backend>> backends_;
  std::vector<bool> live_;
  std::unique_ptr<HealthChecker> health_;
  FailoverLog failover_;
  size_t down_count_ = 0;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<uv_timer_t> sweep_timer_;
  std::unique_ptr<uv_signal_t> sigint_, sigterm_;
  std::vector<ClientConnection*> clients_;
  std::vector<ClientConnection*> to_resume_;
  RequestPool pool_;
  BufferPool output_pool_;
  ProxyStats stats_;
  uint64_t next_client_id_ = 1;
  uint64_t start_ms_ = 0;
  uint64_t last_buffer_sweep_ms_ = 0;
  uint64_t last_shed_log_ms_ = 0;
  std::mt19937_64 rng_;
  bool stopping_ = false;

  static constexpr size_t kScratchSize = 64 * 1024;
  std::unique_ptr<char[]> scratch_ = std::make_unique_for_overwrite<char[]>(kScratchSize);

  ParserLimits parser_limits_;
  RequestParser shared_parser_;
  std::vector<std::string_view> argv_scratch_;

  // Scratch space reused across requests (single-threaded loop).
  std::vector<uint32_t> key_indexes_;
  std::vector<uint32_t> key_backends_;
  std::vector<uint32_t> fragment_of_backend_;
  std::vector<std::vector<std::string_view>> merge_elements_;
};

}  // namespace ringproxy
