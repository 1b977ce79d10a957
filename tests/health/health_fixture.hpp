// HealthChecker against a tiny fake Redis on the test's own libuv loop: it
// answers PING with +PONG, FLUSHDB with +OK, INFO server with its run_id and
// INFO memory/keyspace with set texts (or every INFO with an error when it
// has no run_id), or accepts and never answers (a SIGSTOPped server), or is
// not listening at all (connection refused).
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ringproxy/health/health_checker.hpp"

namespace ringproxy {

// Readable failure messages.
inline void PrintTo(BackendState s, std::ostream* os) {
  *os << backend_state_name(s);
}

namespace health_test {

using Clock = std::chrono::steady_clock;

class FakeRedis {
 public:
  enum class Mode { kAnswer, kSilent };

  explicit FakeRedis(uv_loop_t* loop) : loop_(loop) { listen(); }
  ~FakeRedis() { close(); }

  uint16_t port() const { return port_; }
  void set_mode(Mode m) { mode_ = m; }
  // After its next reply, holds the (shared) loop this long, once.
  int hold_loop_once_ms = 0;
  // What INFO reports as run_id; empty: INFO is an unknown command.
  void set_run_id(std::string id) { run_id_ = std::move(id); }
  // Stops listening and drops every connection: connects are refused.
  void close() {
    for (auto* c : conns_) close_conn(c);
    conns_.clear();
    if (server_ != nullptr) {
      uv_close(reinterpret_cast<uv_handle_t*>(server_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
      server_ = nullptr;
    }
  }
  // Listens again on the same port.
  void reopen() {
    if (server_ == nullptr) listen();
  }
  // Refuses new connections; open ones stay.
  void stop_listening() {
    if (server_ == nullptr) return;
    uv_close(reinterpret_cast<uv_handle_t*>(server_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    server_ = nullptr;
  }
  // Answers the PINGs held while silent.
  void answer_held() {
    for (auto* c : conns_) {
      std::string reply;
      for (int i = 0; i < held_[c]; ++i) reply += "+PONG\r\n";
      held_[c] = 0;
      if (!reply.empty()) write(c, std::move(reply));
    }
  }
  int held() const {
    int n = 0;
    for (const auto& [c, k] : held_) n += k;
    return n;
  }
  int pings = 0;
  int flushes = 0;
  int infos = 0;         // INFO server (or INFO refused)
  int figure_infos = 0;  // INFO memory and INFO keyspace answered
  std::string memory_text = "# Memory\r\nused_memory:1000\r\n";
  std::string keyspace_text = "# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=500\r\n";
  std::vector<std::string> log;  // "PING", "FLUSHDB" in arrival order

 private:
  void listen() {
    server_ = new uv_tcp_t;
    uv_tcp_init(loop_, server_);
    server_->data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", port_, &addr);
    ASSERT_EQ(uv_tcp_bind(server_, reinterpret_cast<const sockaddr*>(&addr), 0), 0);
    ASSERT_EQ(uv_listen(reinterpret_cast<uv_stream_t*>(server_), 64,
                        [](uv_stream_t* s, int status) {
                          if (status == 0) static_cast<FakeRedis*>(s->data)->accept();
                        }),
              0);
    sockaddr_storage bound{};
    int len = sizeof(bound);
    uv_tcp_getsockname(server_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  void accept() {
    auto* c = new uv_tcp_t;
    uv_tcp_init(loop_, c);
    c->data = this;
    if (uv_accept(reinterpret_cast<uv_stream_t*>(server_), reinterpret_cast<uv_stream_t*>(c)) !=
        0) {
      close_conn(c);
      return;
    }
    conns_.push_back(c);
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(c),
        [](uv_handle_t*, size_t, uv_buf_t* buf) {
          static char storage[4096];
          *buf = uv_buf_init(storage, sizeof(storage));
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
          auto* self = static_cast<FakeRedis*>(s->data);
          if (n < 0) {
            self->forget(reinterpret_cast<uv_tcp_t*>(s));
            return;
          }
          self->on_data(reinterpret_cast<uv_tcp_t*>(s), std::string(buf->base, size_t(n)));
        });
  }
  void on_data(uv_tcp_t* c, const std::string& bytes) {
    if (mode_ == Mode::kSilent) {
      for (size_t pos = bytes.find("PING"); pos != std::string::npos;
           pos = bytes.find("PING", pos + 4)) {
        held_[c]++;
      }
      return;
    }
    std::string reply;
    // Commands arrive whole in practice (a few bytes each); answer in order.
    for (size_t pos = 0;;) {
      size_t ping = bytes.find("PING", pos);
      size_t flush = bytes.find("FLUSHDB", pos);
      size_t info = bytes.find("INFO", pos);
      size_t first = std::min({ping, flush, info});
      if (first == std::string::npos) break;
      if (first == ping) {
        pings++;
        log.push_back("PING");
        reply += "+PONG\r\n";
        pos = ping + 4;
      } else if (first == flush) {
        flushes++;
        log.push_back("FLUSHDB");
        reply += "+OK\r\n";
        pos = flush + 7;
      } else {
        // INFO's argument: "INFO\r\n$6\r\nserver\r\n".
        pos = info + 4;
        std::string section;
        if (bytes.compare(pos, 3, "\r\n$") == 0) {
          const size_t start = bytes.find("\r\n", pos + 2) + 2;
          const size_t end = bytes.find("\r\n", start);
          section = bytes.substr(start, end - start);
          pos = end;
        }
        std::string text;
        if (run_id_.empty()) {
          infos++;
        } else if (section == "memory" || section == "keyspace") {
          figure_infos++;
          text = section == "memory" ? memory_text : keyspace_text;
        } else {
          infos++;
          text = "# Server\r\nredis_version:7.0.15\r\nrun_id:" + run_id_ +
                 "\r\ntcp_port:" + std::to_string(port_) + "\r\n";
        }
        if (text.empty()) {
          reply += "-ERR unknown command 'INFO'\r\n";
        } else {
          reply += "$" + std::to_string(text.size()) + "\r\n" + text + "\r\n";
        }
      }
    }
    if (!reply.empty()) write(c, std::move(reply));
    if (hold_loop_once_ms > 0) {
      // The reply is in the checker's socket; the shared loop is held, as a
      // descheduled proxy would be, before the checker can read it.
      std::this_thread::sleep_for(std::chrono::milliseconds(hold_loop_once_ms));
      hold_loop_once_ms = 0;
    }
  }
  void write(uv_tcp_t* c, std::string reply) {
    auto* req = new uv_write_t;
    auto* data = new std::string(std::move(reply));
    req->data = data;
    uv_buf_t buf = uv_buf_init(data->data(), static_cast<unsigned>(data->size()));
    uv_write(req, reinterpret_cast<uv_stream_t*>(c), &buf, 1, [](uv_write_t* w, int) {
      delete static_cast<std::string*>(w->data);
      delete w;
    });
  }
  void forget(uv_tcp_t* c) {
    held_.erase(c);
    for (auto& x : conns_) {
      if (x == c) {
        x = conns_.back();
        conns_.pop_back();
        break;
      }
    }
    close_conn(c);
  }
  static void close_conn(uv_tcp_t* c) {
    if (uv_is_closing(reinterpret_cast<uv_handle_t*>(c))) return;
    uv_close(reinterpret_cast<uv_handle_t*>(c),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  }

  uv_loop_t* loop_;
  uv_tcp_t* server_ = nullptr;
  uint16_t port_ = 0;
  Mode mode_ = Mode::kAnswer;
  std::string run_id_ = "run-1";
  std::vector<uv_tcp_t*> conns_;
  std::map<uv_tcp_t*, int> held_;  // PINGs received while silent
};

struct Change {
  BackendState from, to;
  std::string reason;
};

class HealthCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &tick_);
  }
  void TearDown() override {
    checker_.reset();
    fake_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) {
    }
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles leaked";
  }

  void make(uint16_t port, HealthOptions o) {
    checker_ = std::make_unique<HealthChecker>(
        &loop_, std::vector<HealthTarget>{{"127.0.0.1", port, "fake"}}, o,
        [this](uint32_t, BackendState from, BackendState to, std::string_view reason) {
          changes_.push_back({from, to, std::string(reason)});
          if (on_change_) on_change_(from, to);
        });
    checker_->set_restarted([this](uint32_t, std::string_view old_id, std::string_view new_id) {
      restarts_.push_back(std::string(old_id) + " => " + std::string(new_id));
    });
    checker_->set_figures(
        [this](uint32_t, bool answered, std::string_view memory, std::string_view keyspace) {
          if (!answered) {
            refusals_++;
            return;
          }
          figures_.push_back(std::string(memory) + std::string(keyspace));
          states_at_figures_.push_back(state());
        });
    checker_->start();
  }
  // Runs the loop until `pred` or `timeout`; true if `pred` became true.
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    uv_timer_start(
        &tick_, [](uv_timer_t*) {}, 5, 5);
    while (!pred()) {
      if (Clock::now() > deadline) {
        uv_timer_stop(&tick_);
        return false;
      }
      uv_run(&loop_, UV_RUN_ONCE);
    }
    uv_timer_stop(&tick_);
    return true;
  }
  BackendState state() const { return checker_->state(0); }
  std::string path() const {
    std::string s = "up";
    for (const Change& c : changes_) s += std::string(" ") + std::string(backend_state_name(c.to));
    return s;
  }
  static uint16_t closed_port() {
    // Bind an ephemeral port, then close it: nothing listens there.
    uv_loop_t l;
    uv_loop_init(&l);
    uv_tcp_t t;
    uv_tcp_init(&l, &t);
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_bind(&t, reinterpret_cast<const sockaddr*>(&addr), 0);
    sockaddr_storage bound{};
    int len = sizeof(bound);
    uv_tcp_getsockname(&t, reinterpret_cast<sockaddr*>(&bound), &len);
    uint16_t port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
    uv_run(&l, UV_RUN_DEFAULT);
    uv_loop_close(&l);
    return port;
  }

  uv_loop_t loop_{};
  uv_timer_t tick_{};
  std::unique_ptr<FakeRedis> fake_;
  std::unique_ptr<HealthChecker> checker_;
  std::vector<Change> changes_;
  std::vector<std::string> restarts_;  // "old => new" run_ids, as reported
  std::vector<std::string> figures_;   // memory + keyspace texts, as reported
  std::vector<BackendState> states_at_figures_;
  int refusals_ = 0;  // figures reported as refused
  std::function<void(BackendState, BackendState)> on_change_;
};

inline HealthOptions fast(int failure_limit = 3, int rise = 2) {
  HealthOptions o;
  o.interval_ms = 20;
  o.timeout_ms = 2000;  // long: refused connects must not wait for it
  o.failure_limit = failure_limit;
  o.rise = rise;
  return o;
}

}  // namespace health_test
}  // namespace ringproxy
