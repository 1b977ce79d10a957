// The fixture of the command-family tests (commands_test.cpp,
// key_commands_test.cpp): each test sends one list of commands to the proxy and
// to a plain redis-server outside the pool (the reference) and compares reply
// by reply, then checks that both hold the same keys and that the proxy spread
// them over its backends.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core_test_util.hpp"

namespace ringproxy::testing::core {

class CoreCommands : public CoreClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override { return {"--hash-tag", "{}"}; }

  void SetUp() override {
    CoreClusterTest::SetUp();
    reference_ = std::make_unique<RedisServer>();
  }
  void TearDown() override {
    reference_.reset();
    CoreClusterTest::TearDown();
  }

  // Runs `steps` on both, then checks that both hold the same key set and
  // that the proxy really spread the keys over more than one backend when
  // there are enough independent ones.
  void run(const std::vector<Step>& steps) {
    Client p = proxy_client();
    Client r = reference_->client();
    compare_steps(p, r, steps);
    Reply pk = normalise(p.command({"KEYS", "*"}), Norm::kSorted);
    Reply rk = normalise(r.command({"KEYS", "*"}), Norm::kSorted);
    EXPECT_EQ(pk, rk) << "key sets differ";
    EXPECT_EQ(p.command({"DBSIZE"}), r.command({"DBSIZE"}));
    // Every key lives on exactly one backend, the keys of a hash tag together.
    auto tag_of = [](const std::string& key) {
      size_t open = key.find('{');
      size_t close = open == std::string::npos ? open : key.find('}', open + 1);
      return close == std::string::npos || close == open + 1
                 ? key
                 : key.substr(open + 1, close - open - 1);
    };
    std::map<std::string, size_t> where;
    for (size_t b = 0; b < backends_.size(); ++b) {
      Reply keys = backend_client(b).command({"KEYS", "*"});
      ASSERT_TRUE(keys.is_array()) << keys;
      for (const Reply& k : keys.elements) {
        EXPECT_TRUE(where.emplace(k.str, b).second) << k.str << " is on two backends";
      }
    }
    EXPECT_EQ(where.size(), rk.elements.size());
    std::map<std::string, std::set<size_t>> group_backends;
    for (const Reply& k : rk.elements) {
      auto it = where.find(k.str);
      if (it == where.end()) {
        ADD_FAILURE() << k.str << " is on no backend";
        continue;
      }
      group_backends[tag_of(k.str)].insert(it->second);
    }
    std::set<size_t> used;
    for (const auto& [tag, backends] : group_backends) {
      EXPECT_EQ(backends.size(), 1u) << "keys of hash tag " << tag << " are split";
      used.insert(backends.begin(), backends.end());
    }
    // With 12 or more independent groups, all on one backend is a (1/3)^11
    // chance: the proxy did not spread them.
    if (group_backends.size() >= 12) {
      EXPECT_GE(used.size(), 2u) << "keys were not spread over the backends";
    }
  }

  std::unique_ptr<RedisServer> reference_;
};

}  // namespace ringproxy::testing::core
