// A scripted RESP server on a free loopback port, for tests that need a
// backend a real redis-server cannot be: one that answers twice, skips a
// reply, holds a reply back, or trickles a big one out slowly.
//
// Every accepted connection gets a thread of its own that reads requests
// (multibulk only, as the proxy and hiredis send them) and hands each one to
// the test's handler, which answers through Session::send() with whatever
// bytes it likes, whenever it likes (it may sleep or wait). basic_reply()
// gives the ordinary answer of a tiny in-memory Redis for the commands the
// proxy's health checker and the tests use, so a handler only scripts what it
// changes. The destructor closes every socket and joins every thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {

class FakeBackend {
 public:
  class Session {
   public:
    // Writes all of `bytes` (errors are ignored: the peer may have gone).
    void send(std::string_view bytes);
    // Connection number, 0 for the first one accepted.
    size_t id() const { return id_; }

   private:
    friend class FakeBackend;
    Session(int fd, size_t id) : fd_(fd), id_(id) {}
    int fd_;
    size_t id_;
  };
  using Handler = std::function<void(Session&, const std::vector<std::string>& argv)>;

  explicit FakeBackend(Handler handler);
  ~FakeBackend();
  FakeBackend(const FakeBackend&) = delete;
  FakeBackend& operator=(const FakeBackend&) = delete;

  uint16_t port() const { return port_; }
  BackendAddress backend() const { return BackendAddress{.port = port_}; }
  size_t connections_accepted() const { return accepted_.load(); }
  // Requests received so far whose first argument (case-insensitive) is `name`.
  size_t requests_named(std::string_view name) const;

  // The RESP reply a plain Redis would give (PING, ECHO, AUTH, SELECT, GET,
  // SET, INCR, DEL, EXISTS, STRLEN, FLUSHDB, ...; -ERR for the rest), from a
  // store shared by all connections. Thread-safe.
  std::string basic_reply(const std::vector<std::string>& argv);

 private:
  void accept_loop();
  void serve(int fd, size_t id);

  Handler handler_;
  UniqueFd listener_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> accepted_{0};
  mutable std::mutex mu_;
  std::vector<int> open_fds_;  // for shutdown() in the destructor
  std::vector<std::thread> threads_;
  std::map<std::string, std::shared_ptr<const std::string>> store_;
  std::map<std::string, size_t> seen_;  // requests per lower-case command name
  std::thread acceptor_;
};

}  // namespace ringproxy::testing
