// reload_membership: what a SIGHUP does to the ring, from the file as last
// loaded, the file now and the ring now (runtime changes included).
#include "ringproxy/proxy/config_reload.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringproxy {
namespace {

std::vector<BackendSpec> specs(const std::vector<std::string>& texts) {
  std::vector<BackendSpec> out;
  for (const std::string& t : texts) out.push_back(parse_backend_spec(t));
  return out;
}

std::vector<std::string> texts(const std::vector<BackendSpec>& list) {
  std::vector<std::string> out;
  for (const BackendSpec& b : list) {
    out.push_back(b.host + ":" + std::to_string(b.port) + ":" + std::to_string(b.weight) +
                  (b.name.empty() ? "" : " " + b.name));
  }
  return out;
}

TEST(ReloadMembership, UnchangedFileKeepsRuntimeChanges) {
  const auto file = specs({"127.0.0.1:7001:1", "127.0.0.1:7002:1"});
  const auto now = specs({"127.0.0.1:7001:1", "127.0.0.1:7002:1", "127.0.0.1:7003:1"});
  EXPECT_EQ(texts(reload_membership(now, file, file)), texts(now));
}

TEST(ReloadMembership, WithoutRuntimeChangesTheNewFileIsTakenAsItIs) {
  const auto old_file = specs({"127.0.0.1:7002:1", "127.0.0.1:7001:1"});
  const auto new_file = specs({"127.0.0.1:7003:1", "127.0.0.1:7001:1", "127.0.0.1:7002:2"});
  EXPECT_EQ(texts(reload_membership(old_file, old_file, new_file)), texts(new_file));
}

TEST(ReloadMembership, FileChangesApplyOnTopOfRuntimeChanges) {
  const auto old_file = specs({"127.0.0.1:7001:1", "127.0.0.1:7002:1", "127.0.0.1:7003:1"});
  // At run time: 7004 added, 7003 removed.
  const auto now = specs({"127.0.0.1:7001:1", "127.0.0.1:7002:1", "127.0.0.1:7004:1"});
  // In the file: 7002 removed, 7001 reweighted, 7003 reweighted, 7005 added.
  const auto new_file = specs({"127.0.0.1:7001:3", "127.0.0.1:7003:2", "127.0.0.1:7005:1"});
  EXPECT_EQ(texts(reload_membership(now, old_file, new_file)),
            (std::vector<std::string>{"127.0.0.1:7001:3", "127.0.0.1:7004:1", "127.0.0.1:7005:1"}));
}

TEST(ReloadMembership, NamedMembersMatchByName) {
  const auto old_file = specs({"10.0.0.1:6379:1 a", "10.0.0.2:6379:1 b"});
  const auto now = specs({"10.0.0.1:6379:1 a", "10.0.0.2:6379:1 b", "10.0.0.3:6379:1 c"});
  // b moves to another address.
  const auto new_file = specs({"10.0.0.1:6379:1 a", "10.0.0.9:6379:1 b"});
  EXPECT_EQ(
      texts(reload_membership(now, old_file, new_file)),
      (std::vector<std::string>{"10.0.0.1:6379:1 a", "10.0.0.9:6379:1 b", "10.0.0.3:6379:1 c"}));
}

TEST(ReloadOptions, LogLevelIsAppliedOthersNeedARestart) {
  Config before;
  Config after = before;
  after.log_level = "debug";
  after.max_clients = before.max_clients + 1;
  after.backends = specs({"127.0.0.1:7009:1"});
  const OptionChanges c = option_changes(before, after);
  EXPECT_EQ(c.applied, (std::vector<std::string>{"log-level"}));
  EXPECT_EQ(c.need_restart, (std::vector<std::string>{"max-clients"}));
}

}  // namespace
}  // namespace ringproxy
