// A read load for the failover tests: several clients, each sending
// pipelines of GETs and MGETs over a key set whose every value was written as
// value_of(key) before. Each answer must be that value or a miss (nil);
// anything else (an error, another value, a dropped connection) is a problem.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {

inline std::string value_of(const std::string& key) {
  return "val:" + key;
}

// Pipelined GET + MGET readers; see the top of the file.
class ReadLoad {
 public:
  ReadLoad(uint16_t port, std::vector<std::string> keys, int clients) : keys_(std::move(keys)) {
    for (int i = 0; i < clients; ++i) {
      threads_.emplace_back([this, port, i] { run(port, static_cast<size_t>(i)); });
    }
  }
  ~ReadLoad() { stop(); }
  ReadLoad(const ReadLoad&) = delete;
  ReadLoad& operator=(const ReadLoad&) = delete;

  void stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  // Waits for `n` more pipelines (of all clients together).
  void wait_rounds(uint64_t n) {
    uint64_t target = rounds_.load() + n;
    if (!wait_until([&] { return rounds_.load() >= target; }, Duration(30000))) {
      throw HarnessError("the read load made no progress");
    }
  }
  uint64_t replies() const { return replies_.load(); }
  uint64_t misses() const { return misses_.load(); }
  std::vector<std::string> problems() const {
    std::lock_guard<std::mutex> lock(mu_);
    return problems_;
  }

 private:
  void run(uint16_t port, size_t seed) {
    std::optional<Client> c;
    size_t next = seed * 7;
    while (!stop_) {
      std::vector<std::vector<std::string>> cmds;
      std::vector<std::vector<std::string>> asked;  // the keys each command reads
      for (int i = 0; i < 8; ++i) {
        const std::string& k = keys_[next++ % keys_.size()];
        cmds.push_back({"GET", k});
        asked.push_back({k});
        std::vector<std::string> mget = {"MGET"};
        for (int j = 0; j < 4; ++j) mget.push_back(keys_[next++ % keys_.size()]);
        asked.emplace_back(mget.begin() + 1, mget.end());
        cmds.push_back(std::move(mget));
      }
      try {
        if (!c) c.emplace(port, Duration(10000));
        std::vector<Reply> rs = c->pipeline(cmds);
        for (size_t i = 0; i < rs.size(); ++i) check(cmds[i][0], asked[i], rs[i]);
      } catch (const HarnessError& e) {
        problem(std::string("transport: ") + e.what());
        c.reset();
      }
      rounds_++;
    }
  }
  void check(const std::string& cmd, const std::vector<std::string>& keys, const Reply& r) {
    replies_++;
    if (cmd == "GET") {
      check_value(cmd, keys[0], r);
      return;
    }
    if (!r.is_array() || r.elements.size() != keys.size()) {
      problem("MGET -> " + r.to_string());
      return;
    }
    for (size_t i = 0; i < keys.size(); ++i) check_value(cmd, keys[i], r.elements[i]);
  }
  void check_value(const std::string& cmd, const std::string& key, const Reply& r) {
    if (r.is_nil()) {
      misses_++;
    } else if (r != Reply::make_string(value_of(key))) {
      problem(cmd + " " + key + " -> " + r.to_string());
    }
  }
  void problem(std::string what) {
    std::lock_guard<std::mutex> lock(mu_);
    problems_.push_back(std::move(what));
  }

  std::vector<std::string> keys_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> rounds_{0};
  std::atomic<uint64_t> replies_{0};
  std::atomic<uint64_t> misses_{0};
  mutable std::mutex mu_;
  std::vector<std::string> problems_;
};

}  // namespace ringproxy::testing
