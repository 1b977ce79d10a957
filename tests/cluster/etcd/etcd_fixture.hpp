// A libuv loop, a real etcd (EtcdServer) and the client under test, with
// helpers to run the loop until something happened.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "etcd_server.hpp"
#include "ringproxy/cluster/etcd_client.hpp"
#include "ringproxy/cluster/etcd_watch.hpp"
#include "ringproxy/cluster/leased_key.hpp"
#include "ringproxy/cluster/prefix_mirror.hpp"

namespace ringproxy::testing {

class EtcdFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &tick_);
  }
  void TearDown() override {
    leased_.reset();
    mirror_.reset();
    watch_.reset();
    client_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "libuv handles leaked";
    if (HasFailure() && etcd_) std::cerr << "--- etcd log ---\n" << tail_lines(etcd_->log(), 30);
  }

  // Runs the loop until `pred` holds (true) or `timeout` passes (false).
  bool run_until(const std::function<bool()>& pred, Duration timeout = Duration(20000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    uv_timer_start(
        &tick_, [](uv_timer_t*) {}, 5, 5);
    bool ok = true;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) {
        ok = false;
        break;
      }
      uv_run(&loop_, UV_RUN_ONCE);
    }
    uv_timer_stop(&tick_);
    return ok;
  }

  // Starts a call with a callback and runs the loop until it answered.
  template <typename T, typename Start>
  EtcdResult<T> await(Start start, Duration timeout = Duration(30000)) {
    std::optional<EtcdResult<T>> out;
    start([&out](EtcdResult<T> r) { out = std::move(r); });
    if (!run_until([&] { return out.has_value(); }, timeout)) {
      ADD_FAILURE() << "no answer within " << timeout.count() << " ms";
      EtcdResult<T> r;
      r.error = EtcdError{EtcdError::Kind::kUnavailable, 0, "test: no answer"};
      return r;
    }
    return std::move(*out);
  }

  EtcdOptions options() const {
    EtcdOptions o;
    o.endpoints = {etcd_->url()};
    o.backoff_initial_ms = 20;
    o.backoff_max_ms = 200;
    return o;
  }
  void make_client(EtcdOptions o) { client_ = std::make_unique<EtcdClient>(&loop_, std::move(o)); }

  EtcdResult<PutResult> put(const std::string& key, const std::string& value, int64_t lease = 0) {
    return await<PutResult>([&](auto cb) { client_->put(key, value, lease, cb); });
  }
  EtcdResult<RangeResult> get_prefix(const std::string& prefix) {
    return await<RangeResult>([&](auto cb) { client_->range_prefix(prefix, cb); });
  }
  // etcdctl's view (independent of the client under test): key -> value.
  std::map<std::string, std::string> etcdctl_prefix(const std::string& prefix) {
    std::string out = etcd_->etcdctl_ok({"get", "--prefix", prefix});
    std::map<std::string, std::string> kv;
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < out.size()) {
      size_t nl = out.find('\n', pos);
      if (nl == std::string::npos) nl = out.size();
      lines.push_back(out.substr(pos, nl - pos));
      pos = nl + 1;
    }
    for (size_t i = 0; i + 1 < lines.size(); i += 2) kv[lines[i]] = lines[i + 1];
    return kv;
  }
  int64_t etcd_revision() {
    std::string out = etcd_->etcdctl_ok({"get", "x", "-w", "fields"});
    auto at = out.find("\"Revision\" : ");
    return at == std::string::npos ? -1 : std::stoll(out.substr(at + 13));
  }

  uv_loop_t loop_{};
  uv_timer_t tick_{};
  std::unique_ptr<EtcdServer> etcd_;
  std::unique_ptr<EtcdClient> client_;
  std::unique_ptr<EtcdWatch> watch_;
  std::unique_ptr<PrefixMirror> mirror_;
  std::unique_ptr<LeasedKey> leased_;
};

// What a watch delivered, as comparable text: "PUT key=value@rev" / "DELETE key@rev".
struct EventLog {
  std::vector<std::string> lines;
  std::vector<int64_t> revisions;
  EtcdWatchHandler handler(std::function<void(int64_t)> on_compacted = {}) {
    EtcdWatchHandler h;
    h.on_events = [this](const std::vector<WatchEvent>& events) {
      for (const auto& e : events) {
        lines.push_back(e.type == WatchEvent::Type::kPut ? "PUT " + e.kv.key + "=" + e.kv.value
                                                         : "DELETE " + e.kv.key);
        revisions.push_back(e.kv.mod_revision);
      }
    };
    h.on_compacted = on_compacted ? std::move(on_compacted) : [](int64_t) {};
    return h;
  }
};

}  // namespace ringproxy::testing
