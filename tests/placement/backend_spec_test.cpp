// Server strings ("host:port[:weight] [name]") and twemproxy's ring-name and
// pool-order rules.
#include "ringproxy/placement/backend_spec.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ringproxy {
namespace {

TEST(BackendSpec, TwemproxyFormWithoutName) {
  const BackendSpec s = parse_backend_spec("127.0.0.1:22101:1");
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, 22101);
  EXPECT_EQ(s.weight, 1u);
  EXPECT_EQ(s.name, "");
  EXPECT_EQ(s.ring_name, "127.0.0.1:22101");
  EXPECT_EQ(s.address(), "127.0.0.1:22101");
}

TEST(BackendSpec, WeightIsOptional) {
  const BackendSpec s = parse_backend_spec("redis-a.internal:6379");
  EXPECT_EQ(s.host, "redis-a.internal");
  EXPECT_EQ(s.port, 6379);
  EXPECT_EQ(s.weight, 1u);
  EXPECT_EQ(s.ring_name, "redis-a.internal:6379");
  const BackendSpec named = parse_backend_spec("10.0.0.5:6379 shard7");
  EXPECT_EQ(named.weight, 1u);
  EXPECT_EQ(named.ring_name, "shard7");
}

TEST(BackendSpec, NameIsTheRingIdentityAndWeightStillCounts) {
  const BackendSpec s = parse_backend_spec("127.0.0.1:22103:3 gamma");
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, 22103);
  EXPECT_EQ(s.weight, 3u);
  EXPECT_EQ(s.name, "gamma");
  EXPECT_EQ(s.ring_name, "gamma");
}

TEST(BackendSpec, Port11211UsesTheHostAlone) {
  EXPECT_EQ(parse_backend_spec("cache1.example:11211:2").ring_name, "cache1.example");
  EXPECT_EQ(parse_backend_spec("127.0.0.1:11211").ring_name, "127.0.0.1");
  EXPECT_EQ(parse_backend_spec("127.0.0.1:11211:1 mc").ring_name, "mc");
}

TEST(BackendSpec, RingNameIsTheLiteralText) {
  // No resolution, no normalisation.
  EXPECT_EQ(parse_backend_spec("localhost:22103:1").ring_name, "localhost:22103");
  const BackendSpec zeros = parse_backend_spec("127.0.0.1:06379:1");
  EXPECT_EQ(zeros.port, 6379);
  EXPECT_EQ(zeros.ring_name, "127.0.0.1:06379");
  EXPECT_EQ(zeros.address(), "127.0.0.1:6379");
}

TEST(BackendSpec, Ipv6TwemproxyForm) {
  // Parsed from the right: the host is everything left of ":port:weight".
  const BackendSpec s = parse_backend_spec("::1:6379:2");
  EXPECT_EQ(s.host, "::1");
  EXPECT_EQ(s.port, 6379);
  EXPECT_EQ(s.weight, 2u);
  EXPECT_EQ(s.ring_name, "::1:6379");
  EXPECT_EQ(s.address(), "[::1]:6379");
}

TEST(BackendSpec, Ipv6BracketForm) {
  const BackendSpec s = parse_backend_spec("[::1]:6379");
  EXPECT_EQ(s.host, "::1");
  EXPECT_EQ(s.port, 6379);
  EXPECT_EQ(s.weight, 1u);
  EXPECT_EQ(s.ring_name, "[::1]:6379");
  EXPECT_EQ(s.address(), "[::1]:6379");
  const BackendSpec w = parse_backend_spec("[fe80::2]:7000:4 v6");
  EXPECT_EQ(w.host, "fe80::2");
  EXPECT_EQ(w.port, 7000);
  EXPECT_EQ(w.weight, 4u);
  EXPECT_EQ(w.ring_name, "v6");
}

TEST(BackendSpec, SurroundingAndSeparatingBlanks) {
  const BackendSpec s = parse_backend_spec("  127.0.0.1:1:5 \t  alpha  ");
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, 1);
  EXPECT_EQ(s.weight, 5u);
  EXPECT_EQ(s.name, "alpha");
}

TEST(BackendSpec, WeightAndPortLimits) {
  EXPECT_EQ(parse_backend_spec("h:65535:2147483647").weight, 2147483647u);
  EXPECT_EQ(parse_backend_spec("h:65535").port, 65535);
  EXPECT_THROW(parse_backend_spec("h:6379:2147483648"), std::invalid_argument);
  EXPECT_THROW(parse_backend_spec("h:65536"), std::invalid_argument);
  EXPECT_THROW(parse_backend_spec("h:0"), std::invalid_argument);
}

TEST(BackendSpec, Errors) {
  const char* const bad[] = {
      "",                                // empty
      "   ",                             // blank
      "localhost",                       // no port
      "localhost:",                      // empty port
      ":6379",                           // no host
      "host:port",                       // port not a number
      "host:-1",                         // signed port
      "host:6379:0",                     // zero weight
      "host:6379:-1",                    // negative weight
      "host:6379:x",                     // weight not a number
      "host:6379:",                      // empty weight
      "host:6379:1.5",                   // fractional weight
      "host:99999999999999:1",           // port overflow
      "host:6379:99999999999999999999",  // weight overflow
      "/tmp/redis.sock:1",               // unix sockets unsupported
      "a b:6379:1 name",                 // blank inside the address
      "[::1:6379",                       // unclosed bracket
      "[::1]6379",                       // no ':' after bracket
      "[]:6379",                         // empty bracketed host
      "[::1]:6379:1:2",                  // too many fields
      " name",                           // only a name
  };
  for (const char* text : bad) {
    SCOPED_TRACE(text);
    try {
      parse_backend_spec(text);
      ADD_FAILURE() << "accepted";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
      EXPECT_NE(what.find("backend"), std::string::npos) << what;
    }
  }
}

TEST(BackendSpec, ErrorNamesTheProblem) {
  try {
    parse_backend_spec("cache:6379:0");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("weight"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cache:6379:0"), std::string::npos) << e.what();
  }
  try {
    parse_backend_spec("cache:70000");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("port"), std::string::npos) << e.what();
  }
}

TEST(PoolOrder, NameLengthThenBytes) {
  EXPECT_TRUE(twemproxy_name_less("c", "bb"));
  EXPECT_TRUE(twemproxy_name_less("a", "c"));
  EXPECT_FALSE(twemproxy_name_less("bb", "c"));
  EXPECT_FALSE(twemproxy_name_less("a", "a"));
  EXPECT_TRUE(twemproxy_name_less("z", "aa"));
  EXPECT_TRUE(twemproxy_name_less("a", "\x80"));  // bytes compare unsigned, like memcmp
}

TEST(PoolOrder, TwemproxyExample) {
  // Verified against nutcracker: names c, bb, a give pool order a, c, bb.
  const std::vector<BackendSpec> backends = {parse_backend_spec("127.0.0.1:22103:1 c"),
                                             parse_backend_spec("127.0.0.1:22101:1 bb"),
                                             parse_backend_spec("127.0.0.1:22102:1 a")};
  EXPECT_EQ(twemproxy_pool_order(backends), (std::vector<size_t>{2, 0, 1}));
}

TEST(PoolOrder, UsesTheRingNameNotTheConfigText) {
  // Without names the ring name is "host:port" (no weight), so the weight
  // never influences the order; with port 11211 it is the bare host.
  const std::vector<BackendSpec> backends = {
      parse_backend_spec("127.0.0.1:22102:9"),   // "127.0.0.1:22102"
      parse_backend_spec("127.0.0.1:22101:1"),   // "127.0.0.1:22101"
      parse_backend_spec("10.0.0.1:11211:1"),    // "10.0.0.1"
      parse_backend_spec("127.0.0.1:6379:1 z"),  // "z"
  };
  EXPECT_EQ(twemproxy_pool_order(backends), (std::vector<size_t>{3, 2, 1, 0}));
}

}  // namespace
}  // namespace ringproxy
