// CONFIG GET's answers: the proxy's options by name and glob, and the Redis
// names clients ask for, with values that are true of the proxy.
#include "ringproxy/options/config_get.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ringproxy/options/option_table.hpp"

namespace ringproxy {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs get(const Config& c, std::vector<std::string_view> patterns) {
  return config_get(c, std::span<const std::string_view>(patterns));
}

TEST(ConfigGet, OwnOptionsByName) {
  Config c;
  EXPECT_EQ(get(c, {"max-bulk-len"}), (Pairs{{"max-bulk-len", "512mb"}}));
  EXPECT_EQ(get(c, {"listen"}), (Pairs{{"listen", "127.0.0.1:6380"}}));
  EXPECT_EQ(get(c, {"timeout-ms"}), (Pairs{{"timeout-ms", "5000"}}));
  EXPECT_EQ(get(c, {"on-unavailable"}), (Pairs{{"on-unavailable", "miss"}}));
  c.backends = {parse_backend_spec("127.0.0.1:7001:2 a"), parse_backend_spec("[::1]:7002")};
  EXPECT_EQ(get(c, {"backend"}), (Pairs{{"backend", "127.0.0.1:7001:2 a, [::1]:7002:1"}}));
}

TEST(ConfigGet, GlobsCaseAndDuplicates) {
  const Config c;
  EXPECT_EQ(get(c, {"health-*"}),
            (Pairs{{"health-interval-ms", "1000"}, {"health-timeout-ms", "1000"}}));
  EXPECT_EQ(get(c, {"MAX-ARGS"}), (Pairs{{"max-args", "1048576"}}));
  EXPECT_EQ(get(c, {"max-a?gs", "max-args", "max-[a]rgs"}), (Pairs{{"max-args", "1048576"}}));
  EXPECT_EQ(get(c, {"nosuchparameter"}), Pairs{});
  // Every option with a value answers "*", and no removed option does.
  const Pairs all = get(c, {"*"});
  size_t with_value = 0;
  for (const OptionSpec& spec : option_table()) {
    if (spec.codec.get && spec.removed.empty()) ++with_value;
  }
  EXPECT_GE(all.size(), with_value);
  EXPECT_EQ(all.front().first, "config");
}

TEST(ConfigGet, RedisNamesClientsAskFor) {
  Config c;
  c.max_clients = 123;
  c.max_bulk_len = 2u << 20;
  EXPECT_EQ(get(c, {"save", "appendonly"}), (Pairs{{"save", ""}, {"appendonly", "no"}}));
  EXPECT_EQ(get(c, {"databases"}), (Pairs{{"databases", "1"}}));
  EXPECT_EQ(get(c, {"maxmemory"}), (Pairs{{"maxmemory", "0"}}));
  EXPECT_EQ(get(c, {"timeout"}), (Pairs{{"timeout", "0"}}));
  EXPECT_EQ(get(c, {"maxclients"}), (Pairs{{"maxclients", "123"}}));
  // Redis prints sizes in bytes.
  EXPECT_EQ(get(c, {"proto-max-bulk-len"}), (Pairs{{"proto-max-bulk-len", "2097152"}}));
  EXPECT_EQ(get(c, {"client-query-buffer-limit"}),
            (Pairs{{"client-query-buffer-limit", "1073741824"}}));
  EXPECT_EQ(get(c, {"tcp-backlog", "port", "bind"}),
            (Pairs{{"tcp-backlog", "511"}, {"port", "6380"}, {"bind", "127.0.0.1"}}));
}

TEST(ConfigGet, PasswordsAreNeverPrinted) {
  Config c;
  EXPECT_EQ(config_get(c, "client-password"),
            (std::vector<std::pair<std::string, std::string>>{{"client-password", ""}}));
  EXPECT_EQ(config_get(c, "requirepass"),
            (std::vector<std::pair<std::string, std::string>>{{"requirepass", ""}}));
  c.client_password = "s3cret";
  c.backend_password = "hunter2";
  c.admin_password = "adm1n";
  c.etcd_password = "etcd-pw";
  for (const auto& [name, value] : config_get(c, "*")) {
    EXPECT_EQ(value.find("s3cret"), std::string::npos) << name;
    EXPECT_EQ(value.find("hunter2"), std::string::npos) << name;
    EXPECT_EQ(value.find("adm1n"), std::string::npos) << name;
    EXPECT_EQ(value.find("etcd-pw"), std::string::npos) << name;
  }
  EXPECT_EQ(config_get(c, "*pass*"),
            (std::vector<std::pair<std::string, std::string>>{{"backend-password", "(hidden)"},
                                                              {"client-password", "(hidden)"},
                                                              {"admin-password", "(hidden)"},
                                                              {"etcd-password", "(hidden)"},
                                                              {"requirepass", "(hidden)"}}));
}

}  // namespace
}  // namespace ringproxy
