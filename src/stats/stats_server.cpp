// The twemproxy-style stats port; see stats_server.hpp.
#include "ringproxy/stats/stats_server.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <stdexcept>

#include "ringproxy/common/log.hpp"
#include "ringproxy/net/socket_address.hpp"
#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy::stats {

struct StatsServer::Client {
  uv_tcp_t tcp{};
  uv_write_t write{};
  uv_shutdown_t shutdown{};
  std::shared_ptr<const std::string> document;  // kept alive until the write is done
  StatsServer* server = nullptr;                // nullptr once closing or the server is gone
  uint64_t opened_ms = 0;
  bool closing = false;
  char scratch[512];  // what the client sends is read here and dropped

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }

  // The memory is freed by the close callback, after libuv has cancelled any
  // write or shutdown still pending (their callbacks see `closing`).
  void close() {
    if (closing) return;
    closing = true;
    if (server != nullptr) server->forget(this);
    server = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp),
             [](uv_handle_t* h) { std::unique_ptr<Client> own(static_cast<Client*>(h->data)); });
  }
};

namespace {

[[noreturn]] void fail(const StatsServerOptions& o, const char* what, int rc) {
  throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                           " for stats: " + what + ": " + uv_strerror(rc));
}

uint16_t bound_port(uv_tcp_t* tcp) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

}  // namespace

StatsServer::StatsServer(uv_loop_t* loop, const StatsServerOptions& options, DocumentFn document)
    : loop_(loop),
      options_(options),
      document_(std::move(document)),
      listener_(std::make_unique<uv_tcp_t>()),
      sweeper_(std::make_unique<uv_timer_t>()) {
  SocketAddress addr = resolve_address(options_.host, options_.port, true, "stats address");
  uv_tcp_init(loop_, listener_.get());
  listener_->data = this;
  uv_timer_init(loop_, sweeper_.get());
  sweeper_->data = this;
  int rc = uv_tcp_bind(listener_.get(), addr.get(), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), options_.backlog,
                   [](uv_stream_t* s, int status) {
                     static_cast<StatsServer*>(s->data)->on_connection(status);
                   });
    if (rc != 0) {
      close_handle(listener_);
      close_handle(sweeper_);
      fail(options_, "listen", rc);
    }
  } else {
    close_handle(listener_);
    close_handle(sweeper_);
    fail(options_, "bind", rc);
  }
  port_ = bound_port(listener_.get());
  uint64_t every = std::clamp<uint64_t>(options_.linger_ms / 2, 1, 1000);
  uv_timer_start(
      sweeper_.get(), [](uv_timer_t* t) { static_cast<StatsServer*>(t->data)->sweep(); }, every,
      every);
  uv_unref(reinterpret_cast<uv_handle_t*>(sweeper_.get()));
}

StatsServer::~StatsServer() {
  close_handle(listener_);
  if (sweeper_) uv_timer_stop(sweeper_.get());
  close_handle(sweeper_);
  std::vector<Client*> open;
  open.swap(clients_);
  for (Client* c : open) {
    c->server = nullptr;
    c->close();
  }
}

void StatsServer::forget(Client* c) {
  auto it = std::find(clients_.begin(), clients_.end(), c);
  if (it != clients_.end()) clients_.erase(it);
}

void StatsServer::on_connection(int status) {
  if (status < 0) {
    log(LogLevel::kWarn, "stats port: accept failed: ", uv_strerror(status));
    return;
  }
  auto owned = std::make_unique<Client>();
  uv_tcp_init(loop_, &owned->tcp);
  Client* c = owned.release();  // from here on the handle owns it (see Client::close)
  c->tcp.data = c;
  if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_.get()), c->stream()) != 0 ||
      clients_.size() >= options_.max_clients) {
    c->close();
    return;
  }
  c->server = this;
  c->opened_ms = uv_now(loop_);
  clients_.push_back(c);
  ++served_;
  uv_read_start(
      c->stream(),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<Client*>(h->data);
        *buf = uv_buf_init(self->scratch, sizeof self->scratch);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
        if (nread < 0) static_cast<Client*>(s->data)->close();  // EOF or error: done
      });
  c->document = document_();
  uv_buf_t buf = uv_buf_init(const_cast<char*>(c->document->data()),
                             static_cast<unsigned>(c->document->size()));
  int rc = uv_write(&c->write, c->stream(), &buf, 1, [](uv_write_t* req, int st) {
    auto* self = static_cast<Client*>(req->handle->data);
    if (self->closing) return;
    if (st < 0) {
      self->close();
      return;
    }
    int rc2 = uv_shutdown(&self->shutdown, self->stream(), [](uv_shutdown_t* sreq, int st2) {
      auto* me = static_cast<Client*>(sreq->handle->data);
      if (!me->closing && st2 < 0) me->close();
    });
    if (rc2 != 0) self->close();
  });
  if (rc != 0) c->close();
}

void StatsServer::sweep() {
  uint64_t now = uv_now(loop_);
  std::vector<Client*> expired;
  for (Client* c : clients_) {
    if (now - c->opened_ms >= options_.linger_ms) expired.push_back(c);
  }
  for (Client* c : expired) c->close();
}

}  // namespace ringproxy::stats
