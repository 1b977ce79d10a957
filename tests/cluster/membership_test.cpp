// <prefix>/backends/<name> -> host:port[:weight]: what a proxy builds its ring
// from. A bad key is reported and skipped, never fatal.
#include "ringproxy/cluster/membership.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace ringproxy {
namespace {

KeyValue kv(std::string key, std::string value) {
  KeyValue k;
  k.key = std::move(key);
  k.value = std::move(value);
  return k;
}

TEST(Membership, Prefixes) {
  EXPECT_EQ(default_etcd_prefix("ringproxy"), "/ringproxy/ringproxy");
  EXPECT_EQ(normalize_etcd_prefix("/a/b//"), "/a/b");
  EXPECT_EQ(normalize_etcd_prefix("/"), "/");
  EXPECT_EQ(backends_key_prefix("/ringproxy/web/"), "/ringproxy/web/backends/");
  EXPECT_EQ(backends_key_prefix("/"), "/backends/");
  EXPECT_EQ(backend_key("/ringproxy/web", "cache-a"), "/ringproxy/web/backends/cache-a");
}

TEST(Membership, DecodesLikeTheCommandLine) {
  // The key's name plays the part of --backend's name: the same ring identity.
  BackendSpec a = decode_backend("/p", kv("/p/backends/cache-a", "10.0.0.5:6379:3"));
  BackendSpec cli = parse_backend_spec("10.0.0.5:6379:3 cache-a");
  EXPECT_EQ(a.host, cli.host);
  EXPECT_EQ(a.port, cli.port);
  EXPECT_EQ(a.weight, 3u);
  EXPECT_EQ(a.name, "cache-a");
  EXPECT_EQ(a.ring_name, cli.ring_name);

  BackendSpec noweight = decode_backend("/p", kv("/p/backends/b", "127.0.0.1:7001"));
  EXPECT_EQ(noweight.weight, 1u);
  BackendSpec v6 = decode_backend("/p", kv("/p/backends/v6", "[::1]:7001:2"));
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.weight, 2u);
  // A trailing newline (echo ... | etcdctl put key) is forgiven.
  EXPECT_EQ(decode_backend("/p", kv("/p/backends/n", "127.0.0.1:7001:1\n")).port, 7001);
}

TEST(Membership, EncodeDecodeRoundTrip) {
  for (const char* text :
       {"127.0.0.1:7001:1 a", "10.1.2.3:6379:250 b", "[::1]:6380:2 c", "cache.example:6379:1 d"}) {
    BackendSpec spec = parse_backend_spec(text);
    BackendSpec back =
        decode_backend("/x", kv(backend_key("/x", spec.name), encode_backend_value(spec)));
    EXPECT_EQ(back.host, spec.host) << text;
    EXPECT_EQ(back.port, spec.port) << text;
    EXPECT_EQ(back.weight, spec.weight) << text;
    EXPECT_EQ(back.ring_name, spec.ring_name) << text;
  }
}

TEST(Membership, BadKeysAreSkippedAndReported) {
  std::vector<KeyValue> kvs = {
      kv("/p/backends/good-b", "127.0.0.1:7002:1"),
      kv("/p/backends/good-a", "127.0.0.1:7001:2"),
      kv("/p/backends/no-port", "127.0.0.1"),
      kv("/p/backends/zero", "127.0.0.1:7003:0"),
      kv("/p/backends/named", "127.0.0.1:7004:1 other"),
      kv("/p/backends/", "127.0.0.1:7005:1"),
      kv("/p/backends/rack1/x", "127.0.0.1:7006:1"),
      kv("/p/backends/zz-dup", "127.0.0.1:7001:1"),  // good-a's, later in key order
      kv("/p/backends/json", R"({"addr":"127.0.0.1:7007"})"),
      kv("/p/backends/ctl", "127.0.0.1:7008\x01"),
      kv("/p/backends/sp ace", "127.0.0.1:7009:1"),
      kv("/q/backends/elsewhere", "127.0.0.1:7010:1"),
  };
  Membership m = decode_membership("/p", kvs);
  ASSERT_EQ(m.backends.size(), 2u);
  EXPECT_EQ(m.backends[0].name, "good-a");  // key order
  EXPECT_EQ(m.backends[0].weight, 2u);
  EXPECT_EQ(m.backends[1].name, "good-b");
  std::vector<std::string> bad_keys;
  for (const auto& e : m.errors) {
    bad_keys.push_back(e.key);
    EXPECT_FALSE(e.reason.empty()) << e.key;
  }
  std::sort(bad_keys.begin(), bad_keys.end());
  std::vector<std::string> expected = {
      "/p/backends/",        "/p/backends/ctl",      "/p/backends/json",   "/p/backends/named",
      "/p/backends/no-port", "/p/backends/rack1/x",  "/p/backends/sp ace", "/p/backends/zero",
      "/p/backends/zz-dup",  "/q/backends/elsewhere"};
  EXPECT_EQ(bad_keys, expected);
  for (const auto& e : m.errors) {
    if (e.key == "/p/backends/zz-dup") {
      EXPECT_NE(e.reason.find("127.0.0.1:7001"), std::string::npos);
    }
    if (e.key == "/p/backends/json") {
      EXPECT_NE(e.reason.find("JSON"), std::string::npos);
    }
    if (e.key == "/p/backends/named") {
      EXPECT_NE(e.reason.find("name"), std::string::npos);
    }
  }
  log_membership_errors(m);  // one line each; must not throw on odd bytes

  std::map<std::string, KeyValue> snapshot;  // what PrefixMirror hands over
  for (const auto& k : kvs) snapshot[k.key] = k;
  Membership same = decode_membership("/p", snapshot);
  EXPECT_EQ(same.backends.size(), m.backends.size());
  EXPECT_EQ(same.errors.size(), m.errors.size());
}

TEST(Membership, NameChecks) {
  EXPECT_NO_THROW(check_backend_name("cache-a.1:x"));
  EXPECT_THROW(check_backend_name(""), std::invalid_argument);
  EXPECT_THROW(check_backend_name("a/b"), std::invalid_argument);
  EXPECT_THROW(check_backend_name("a b"), std::invalid_argument);
  EXPECT_THROW(check_backend_name("a\tb"), std::invalid_argument);
  EXPECT_THROW(check_backend_name(std::string("a\0b", 3)), std::invalid_argument);
}

}  // namespace
}  // namespace ringproxy
