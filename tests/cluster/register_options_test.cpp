// `ringproxy register` options: defaults, the derived key, passwords from the
// environment, and one clear line for each mistake.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "ringproxy/cluster/membership.hpp"
#include "ringproxy/cluster/register_agent.hpp"

namespace ringproxy {
namespace {

RegisterOptions parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), {"ringproxy", "register"});
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_register_options(static_cast<int>(argv.size()), argv.data(), [&](const char* name) {
    auto it = env.find(name);
    return it == env.end() ? static_cast<const char*>(nullptr) : it->second.c_str();
  });
}

std::string error_of(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(RegisterOptions, Defaults) {
  RegisterOptions o = parse({"--etcd", "127.0.0.1:2379", "--backend", "127.0.0.1:7001"});
  EXPECT_EQ(o.etcd.endpoints, std::vector<std::string>{"http://127.0.0.1:2379"});
  EXPECT_EQ(o.prefix, "/ringproxy/ringproxy");
  EXPECT_EQ(o.backend.name, "127.0.0.1:7001");  // twemproxy's ring name for it
  EXPECT_EQ(backend_key(o.prefix, o.backend.name), "/ringproxy/ringproxy/backends/127.0.0.1:7001");
  EXPECT_EQ(encode_backend_value(o.backend), "127.0.0.1:7001:1");
  EXPECT_EQ(o.ttl_s, 10);
  EXPECT_EQ(o.check_interval_ms, 1000);
  EXPECT_EQ(o.failure_limit, 3);
  EXPECT_EQ(o.rise, 2);
  EXPECT_TRUE(o.etcd.user.empty());
  EXPECT_FALSE(o.help);
}

TEST(RegisterOptions, EverythingGiven) {
  RegisterOptions o =
      parse({"--etcd",
             "http://10.0.0.1:2379,https://10.0.0.2:2379/",
             "--pool-name",
             "web",
             "--backend",
             "10.0.0.5:6379:3",
             "--name",
             "cache-a",
             "--ttl",
             "4",
             "--check-interval-ms",
             "250",
             "--check-timeout-ms",
             "100",
             "--failure-limit",
             "2",
             "--rise",
             "1",
             "--etcd-user",
             "agent",
             "--etcd-ca-file",
             "/ca.pem",
             "--etcd-cert-file",
             "/c.pem",
             "--etcd-key-file",
             "/k.pem",
             "--etcd-timeout-ms",
             "900"},
            {{"RINGPROXY_ETCD_PASSWORD", "s3cret"}, {"RINGPROXY_BACKEND_PASSWORD", "bp"}});
  EXPECT_EQ(o.etcd.endpoints,
            (std::vector<std::string>{"http://10.0.0.1:2379", "https://10.0.0.2:2379"}));
  EXPECT_EQ(o.prefix, "/ringproxy/web");
  EXPECT_EQ(o.backend.name, "cache-a");
  EXPECT_EQ(o.backend.weight, 3u);
  EXPECT_EQ(o.ttl_s, 4);
  EXPECT_EQ(o.check_interval_ms, 250);
  EXPECT_EQ(o.check_timeout_ms, 100);
  EXPECT_EQ(o.failure_limit, 2);
  EXPECT_EQ(o.rise, 1);
  EXPECT_EQ(o.etcd.user, "agent");
  EXPECT_EQ(o.etcd.password, "s3cret");
  EXPECT_EQ(o.backend_password, "bp");
  EXPECT_EQ(o.etcd.tls.ca_file, "/ca.pem");
  EXPECT_EQ(o.etcd.request_timeout_ms, 900);
  // The command line wins over the environment; an explicit prefix over the pool.
  RegisterOptions p = parse({"--etcd", "e:1", "--backend", "h:1 n", "--etcd-user", "u",
                             "--etcd-password", "cli", "--etcd-prefix", "/custom/"},
                            {{"RINGPROXY_ETCD_PASSWORD", "env"}});
  EXPECT_EQ(p.etcd.password, "cli");
  EXPECT_EQ(p.prefix, "/custom");
  EXPECT_EQ(p.backend.name, "n");
}

TEST(RegisterOptions, MistakesAreOneClearLine) {
  EXPECT_NE(error_of({"--backend", "h:1"}).find("--etcd"), std::string::npos);
  EXPECT_NE(error_of({"--etcd", "e:1"}).find("--backend"), std::string::npos);
  EXPECT_NE(error_of({"--etcd", "ftp://e:1", "--backend", "h:1"}).find("'--etcd'"),
            std::string::npos);
  EXPECT_NE(error_of({"--etcd", "e:1,", "--backend", "h:1"}).find("empty"), std::string::npos);
  EXPECT_NE(error_of({"--etcd", "e:1", "--backend", "h"}).find("'--backend'"), std::string::npos);
  EXPECT_NE(error_of({"--etcd", "e:1", "--backend", "h:1", "--ttl", "0"}).find("'--ttl'"),
            std::string::npos);
  EXPECT_NE(error_of({"--etcd", "e:1", "--backend", "h:1", "--ttl", "x"}).find("not an integer"),
            std::string::npos);
  EXPECT_NE(error_of({"--etcd", "e:1", "--backend", "h:1", "--name", "a/b"}).find("'--name'"),
            std::string::npos);
  EXPECT_NE(error_of({"--etcd", "e:1", "--backend", "h:1 n", "--name", "m"}).find("twice"),
            std::string::npos);
  EXPECT_NE(
      error_of({"--etcd", "e:1", "--backend", "h:1", "--etcd-password", "p"}).find("--etcd-user"),
      std::string::npos);
  EXPECT_NE(
      error_of({"--etcd", "e:1", "--backend", "h:1", "--etcd-cert-file", "c"}).find("go together"),
      std::string::npos);
  EXPECT_NE(error_of({"--etcd", "e:1", "--backend", "h:1", "--bogus"}).find("bogus"),
            std::string::npos);
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_NE(register_help_text().find("--check-interval-ms"), std::string::npos);
}

}  // namespace
}  // namespace ringproxy
