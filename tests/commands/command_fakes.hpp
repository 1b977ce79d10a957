// Fakes for unit tests of command handling without processes or sockets,
// after the way Envoy's redis_proxy tests its command splitter: a fake ring
// (placement chosen by the test), a fake backend pool that records what was
// sent to which backend and lets the test feed replies or failures back in
// any order, a fake client session that collects its replies in order, and a
// fake proxy for the local commands' introspection.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ringproxy/commands/dispatcher.hpp"
#include "ringproxy/commands/session.hpp"
#include "ringproxy/commands/transaction.hpp"
#include "ringproxy/resp/reply_scanner.hpp"
#include "ringproxy/resp/request_parser.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy::fakes {

// RESP builders for expected replies.
inline std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
inline std::string nil() {
  return "$-1\r\n";
}
inline std::string integer(long long n) {
  return ":" + std::to_string(n) + "\r\n";
}
inline std::string status(std::string_view s) {
  return "+" + std::string(s) + "\r\n";
}
inline std::string error(std::string_view s) {
  return "-" + std::string(s) + "\r\n";
}
inline std::string array(std::initializer_list<std::string> elements) {
  std::string out = "*" + std::to_string(elements.size()) + "\r\n";
  for (const std::string& e : elements) out += e;
  return out;
}
inline std::string command(std::initializer_list<std::string_view> args) {
  Buffer b;
  resp::command(b, args);
  return std::string(b.view());
}

// Splits a byte stream of requests into their arguments.
inline std::vector<std::vector<std::string>> parse_requests(std::string_view bytes) {
  std::vector<std::vector<std::string>> out;
  RequestParser p;
  while (!bytes.empty()) {
    if (p.parse(bytes.data(), bytes.size()) != RequestParser::Status::kComplete) {
      ADD_FAILURE() << "not complete requests: " << bytes;
      break;
    }
    std::vector<std::string>& args = out.emplace_back();
    for (size_t i = 0; i < p.argc(); ++i) args.emplace_back(p.arg(i));
    bytes.remove_prefix(p.consumed());
    p.reset();
  }
  return out;
}

// Splits a byte stream of replies into complete replies.
inline std::vector<std::string> split_replies(std::string_view bytes) {
  std::vector<std::string> out;
  ReplyScanner scanner;
  while (!bytes.empty()) {
    if (scanner.scan(bytes.data(), bytes.size()) != ReplyScanner::Status::kComplete) {
      ADD_FAILURE() << "not complete replies: " << bytes;
      break;
    }
    out.emplace_back(bytes.substr(0, scanner.length()));
    bytes.remove_prefix(scanner.length());
  }
  return out;
}

// Placement chosen by the test: a key's home is set with place(), else it is
// its first character when that is a digit ("1:x" lives on backend 1), else
// backend 0. An ejected backend's keys go to the next live id, cyclically.
class FakeRing final : public RingView {
 public:
  explicit FakeRing(uint32_t backends) : live_(backends, true) {
    for (uint32_t i = 0; i < backends; ++i) members_.push_back(i);
  }
  void place(const std::string& key, BackendId home) { homes_[key] = home; }
  void eject(BackendId b) { live_.at(b) = false; }
  void revive(BackendId b) { live_.at(b) = true; }

  BackendId owner(std::string_view key) const override {
    BackendId h = home(key);
    for (size_t i = 0; i < live_.size(); ++i) {
      BackendId b = static_cast<BackendId>((h + i) % live_.size());
      if (live_[b]) return b;
    }
    return kNoBackend;
  }
  BackendId home(std::string_view key) const override {
    auto it = homes_.find(std::string(key));
    if (it != homes_.end()) return it->second;
    if (!key.empty() && key[0] >= '0' && key[0] <= '9') {
      return static_cast<BackendId>(key[0] - '0') % static_cast<BackendId>(live_.size());
    }
    return 0;
  }
  bool live(BackendId b) const override { return b < live_.size() && live_[b]; }
  bool any_down() const override {
    for (bool l : live_) {
      if (!l) return true;
    }
    return false;
  }
  std::span<const BackendId> members() const override { return members_; }
  uint32_t id_limit() const override { return static_cast<uint32_t>(live_.size()); }
  bool stale(BackendId b, std::string_view key) const override {
    return stale_keys.contains({b, std::string(key)});
  }
  std::set<std::pair<BackendId, std::string>> stale_keys;

  // Migration window: open while `window` is set; previous homes of moved
  // keys set with moved_from().
  bool window_open() const override { return window; }
  BackendId previous_home(std::string_view key) const override {
    if (!window) return kNoBackend;
    auto it = previous_.find(std::string(key));
    return it == previous_.end() ? kNoBackend : it->second;
  }
  uint64_t key_lane(std::string_view key) const override { return 1000 + key.size(); }
  void moved_from(const std::string& key, BackendId previous) { previous_[key] = previous; }
  bool window = false;

 private:
  std::map<std::string, BackendId> previous_;
  std::vector<BackendId> members_;
  std::vector<bool> live_;
  std::map<std::string, BackendId> homes_;
};

// Records every request sent; the test answers them, in any order.
class FakePort final : public BackendPort {
 public:
  struct Sent {
    BackendId backend;
    uint64_t client;
    std::string bytes;
    Request* req;
    uint32_t fragment;
    uint32_t swallow;
    bool answered = false;
  };
  struct FailoverWrite {
    std::string key;
    BackendId home;
    BackendId successor;
    bool operator==(const FailoverWrite&) const = default;
    friend void PrintTo(const FailoverWrite& w, std::ostream* os) {
      *os << "{" << w.key << ", home " << w.home << ", successor " << w.successor << "}";
    }
  };

  void attach(CommandContext& ctx) { ctx_ = &ctx; }
  // begin() answers nullptr for `b` (failing, reconnecting) until allowed again.
  void refuse(BackendId b) { refused_.push_back(b); }
  void allow_all() { refused_.clear(); }

  bool send(BackendId backend, uint64_t client_id, Request* req, uint32_t fragment,
            std::string_view bytes, uint32_t swallow) override {
    Buffer* out = begin(backend, client_id);
    if (out == nullptr) return false;
    out->append(bytes);
    commit(req, fragment, swallow);
    return true;
  }
  Buffer* begin(BackendId backend, uint64_t client_id) override {
    EXPECT_FALSE(open_) << "begin() twice without commit()";
    for (BackendId r : refused_) {
      if (r == backend) return nullptr;
    }
    open_ = true;
    open_backend_ = backend;
    open_client_ = client_id;
    buffer_.clear();
    return &buffer_;
  }
  void commit(Request* req, uint32_t fragment, uint32_t swallow) override {
    EXPECT_TRUE(open_) << "commit() without begin()";
    open_ = false;
    sent.push_back(
        {open_backend_, open_client_, std::string(buffer_.view()), req, fragment, swallow});
  }
  void unavailable_error(BackendId backend, Buffer& out) override {
    unavailable_errors++;
    resp::error(out, "ERR ringproxy: backend fake" + std::to_string(backend) + " is unavailable");
  }
  void failover_write(std::string_view key, BackendId home, BackendId successor) override {
    failover_writes.push_back({std::string(key), home, successor});
  }
  void write_lost(BackendId backend) override { writes_lost.push_back(backend); }

  // The requests sent to `b`, each as its arguments, in order.
  std::vector<std::vector<std::string>> requests_to(BackendId b) const {
    std::vector<std::vector<std::string>> out;
    for (const Sent& s : sent) {
      if (s.backend != b) continue;
      for (auto& r : parse_requests(s.bytes)) out.push_back(std::move(r));
    }
    return out;
  }
  // The oldest unanswered request sent to `b` (a backend answers in order).
  size_t next_for(BackendId b) const {
    for (size_t i = 0; i < sent.size(); ++i) {
      if (sent[i].backend == b && !sent[i].answered) return i;
    }
    ADD_FAILURE() << "nothing outstanding on backend " << b;
    return SIZE_MAX;
  }
  // Backend `b` answers its oldest outstanding request with `reply`.
  void answer(BackendId b, std::string_view reply) { reply_to(next_for(b), reply); }
  // Its connection fails: the oldest outstanding request gets `error`.
  void fail(BackendId b, std::string_view error = "-ERR ringproxy: backend fake: reset\r\n") {
    size_t i = next_for(b);
    if (i == SIZE_MAX) return;
    sent[i].answered = true;
    ctx_->part_lost(sent[i].req, sent[i].fragment, error);
  }
  void reply_to(size_t i, std::string_view reply) {
    if (i >= sent.size()) return;
    EXPECT_FALSE(sent[i].answered);
    sent[i].answered = true;
    ctx_->part_replied(sent[i].req, sent[i].fragment, reply);
  }
  size_t outstanding() const {
    size_t n = 0;
    for (const Sent& s : sent) n += s.answered ? 0 : 1;
    return n;
  }

  std::vector<Sent> sent;
  std::vector<FailoverWrite> failover_writes;
  std::vector<BackendId> writes_lost;  // write_lost() calls, in order
  int unavailable_errors = 0;

 private:
  CommandContext* ctx_ = nullptr;
  std::vector<BackendId> refused_;
  bool open_ = false;
  BackendId open_backend_ = kNoBackend;
  uint64_t open_client_ = 0;
  Buffer buffer_;
};

// A client: its replies are collected in request order, as a connection
// would write them.
class FakeSession final : public Session {
 public:
  FakeSession(RequestPool& pool, uint64_t id, bool authenticated = true)
      : pool_(pool), id_(id), authenticated_(authenticated) {}
  ~FakeSession() override { gone(); }

  uint64_t id() const override { return id_; }
  bool authenticated() const override { return authenticated_; }
  void set_authenticated() override { authenticated_ = true; }
  bool admin() const override { return is_admin; }
  void set_admin() override { is_admin = true; }
  bool loopback() const override { return is_loopback; }
  bool is_admin = false;
  bool is_loopback = true;
  std::string_view name() const override { return name_; }
  void set_name(std::string_view name) override { name_ = name; }
  void describe(ClientInfo& out) const override {
    out.id = id_;
    out.name = name_;
    out.created_ms = created_ms;
    out.multi = tx_ ? static_cast<int64_t>(tx_->count) : -1;
    out.output_bytes = output_.size();
    out.pending = pending_.size();
    out.addr = "127.0.0.1:" + std::to_string(50000 + id_);
    out.laddr = "127.0.0.1:6380";
    out.fd = static_cast<int64_t>(id_ + 100);
    out.last_ms = last_ms;
    out.cmd = cmd;
  }
  void open(Request* req) override { pending_.push_back(req); }
  void deliver(Request* req, std::string_view bytes) override {
    req->reply.append(bytes);
    req->ready = true;
    drain();
  }
  void complete(Request* req) override {
    req->ready = true;
    drain();
  }
  Buffer* reply_sink(Request*) override { return nullptr; }
  void reply_moved(Request*) override { ADD_FAILURE() << "no sink was offered"; }
  Buffer& begin_reply() override {
    EXPECT_FALSE(in_reply_) << "begin_reply() twice";
    in_reply_ = true;
    Request* req = pool_.acquire();
    req->session = this;
    pending_.push_back(req);
    return req->reply;
  }
  void end_reply() override {
    EXPECT_TRUE(in_reply_) << "end_reply() without begin_reply()";
    in_reply_ = false;
    pending_.back()->ready = true;
    drain();
  }
  void close_after_replies() override { closing = true; }
  Transaction* transaction() override { return tx_.get(); }
  Transaction& begin_transaction() override {
    tx_ = std::make_unique<Transaction>();
    return *tx_;
  }
  void end_transaction() override { tx_.reset(); }

  // Every complete reply written since the last call, in order.
  std::vector<std::string> replies() {
    std::vector<std::string> out = split_replies(output_);
    output_.clear();
    return out;
  }
  // The one reply written since the last call.
  std::string reply() {
    std::vector<std::string> r = replies();
    EXPECT_EQ(r.size(), 1u) << testing::PrintToString(r);
    return r.empty() ? std::string() : r.front();
  }
  size_t waiting() const { return pending_.size(); }
  // The client disconnects: requests still waiting for a backend are left to
  // the reply path, which releases them.
  void gone() {
    for (Request* r : pending_) {
      if (r->pending > 0) {
        r->session = nullptr;
      } else {
        pool_.release(r);
      }
    }
    pending_.clear();
  }

  bool closing = false;
  uint64_t created_ms = 0;
  uint64_t last_ms = 0;  // CLIENT LIST's idle
  std::string_view cmd;  // and cmd

 private:
  void drain() {
    while (!pending_.empty() && pending_.front()->ready) {
      output_.append(pending_.front()->reply.view());
      pool_.release(pending_.front());
      pending_.erase(pending_.begin());
    }
  }

  RequestPool& pool_;
  uint64_t id_;
  bool authenticated_;
  bool in_reply_ = false;
  std::string name_;
  std::unique_ptr<Transaction> tx_;
  std::vector<Request*> pending_;
  std::string output_;
};

// The rest of the proxy, for INFO, CLIENT LIST, CONFIG GET and PROXY NODES.
class FakeProxy final : public ProxyIntrospection {
 public:
  uint64_t now_ms() const override { return now; }
  void facts(ProxyFacts& out) const override { out = facts_; }
  void backends(std::vector<BackendReport>& out) const override { out = reports; }
  void for_each_session(const std::function<void(const Session&)>& fn) const override {
    for (const Session* s : sessions) fn(*s);
  }
  void config_get(std::span<const std::string_view> patterns,
                  std::vector<std::pair<std::string, std::string>>& out) const override {
    config_patterns.assign(patterns.begin(), patterns.end());
    out = config_hits;
  }
  bool kill_client(uint64_t id) override {
    killed.push_back(id);
    return true;
  }
  void place(std::string_view key, KeyPlacement& out) const override {
    out = placement;
    placed_key = std::string(key);
  }

  uint64_t now = 0;
  ProxyFacts facts_;
  std::vector<BackendReport> reports;
  std::vector<const Session*> sessions;
  std::vector<std::pair<std::string, std::string>> config_hits;  // what CONFIG GET answers
  mutable std::vector<std::string> config_patterns;              // what it was asked
  std::vector<uint64_t> killed;                                  // CLIENT KILL's ids
  KeyPlacement placement;                                        // what PROXY WHERE answers
  mutable std::string placed_key;
};

// A dispatcher over the fakes: three backends (ids 0, 1, 2), one client.
class CommandsTest : public ::testing::Test {
 protected:
  explicit CommandsTest(CommandOptions options = defaults())
      : dispatcher(ring, port, proxy, options) {
    port.attach(dispatcher.context());
  }
  static CommandOptions defaults() {
    CommandOptions o;
    o.max_transaction_bytes = 1 << 20;
    return o;
  }

  // `session` sends one request.
  void send(FakeSession& session, std::initializer_list<std::string_view> args) {
    const std::string bytes = command(args);
    RequestParser p;
    ASSERT_EQ(p.parse(bytes.data(), bytes.size()), RequestParser::Status::kComplete);
    dispatcher.dispatch(session, p);
  }
  void send(std::initializer_list<std::string_view> args) { send(client, args); }
  // Sends a request and returns the one reply the proxy wrote at once.
  std::string call(std::initializer_list<std::string_view> args) {
    send(args);
    return client.reply();
  }
  CommandContext& ctx() { return dispatcher.context(); }

  FakeRing ring{3};
  FakePort port;
  FakeProxy proxy;
  Dispatcher dispatcher;
  FakeSession client{dispatcher.requests(), 7};
};

}  // namespace ringproxy::fakes
