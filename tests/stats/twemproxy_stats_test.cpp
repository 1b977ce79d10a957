// The twemproxy stats document: its exact shape, the stats port that serves
// it, and the same keys and nesting as a real nutcracker's stats port for an
// equivalent pool.
#include "ringproxy/stats/twemproxy_stats.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.hpp"
#include "loop_thread.hpp"
#include "nutcracker.hpp"
#include "ringproxy/stats/stats_server.hpp"

namespace ringproxy::stats {
namespace {

using Json = nlohmann::ordered_json;
using namespace ringproxy::testing;

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

// Pool "alpha" with a named server ("one") and an unnamed one (keyed by
// host:port), as twemproxy names them.
StatsSnapshot pool_snapshot(uint16_t second_port) {
  StatsSnapshot s;
  s.source = hostname();
  s.version = "0.2.0";
  s.start_time_ms = 1'700'000'000'000;
  s.taken_at_ms = 1'700'000'042'500;
  s.proxy.total_connections = 12;
  s.curr_connections = 3;
  PoolSnapshot p;
  p.name = "alpha";
  p.counters = {1, 2, 3, 4, 5};
  p.client_connections = 2;
  BackendSnapshot one;
  one.name = "one";
  one.address = "127.0.0.1:1";
  one.restarts = 2;
  one.counters = {1, 2, 3, 100, 2000, 99, 1500};
  one.gauges = {1, 4, 40, 5, 50, 1'700'000'001'000'000};
  BackendSnapshot two;
  two.name = "127.0.0.1:" + std::to_string(second_port);
  two.address = two.name;
  p.backends = {one, two};
  s.pools = {p};
  return s;
}

TEST(TwemproxyStats, DocumentHasNutcrackersKeysInItsOrder) {
  Json doc = Json::parse(render_twemproxy_stats(pool_snapshot(2)));
  std::vector<std::string> top;
  for (auto& [k, v] : doc.items()) top.push_back(k);
  EXPECT_EQ(top, (std::vector<std::string>{"service", "source", "version", "uptime", "timestamp",
                                           "total_connections", "curr_connections", "alpha"}));
  EXPECT_EQ(doc["service"], "ringproxy");
  EXPECT_EQ(doc["uptime"], 42);
  EXPECT_EQ(doc["timestamp"], 1'700'000'042);
  EXPECT_EQ(doc["total_connections"], 12);
  EXPECT_EQ(doc["curr_connections"], 3);
  const Json& pool = doc["alpha"];
  std::vector<std::string> pool_keys;
  for (auto& [k, v] : pool.items()) pool_keys.push_back(k);
  EXPECT_EQ(pool_keys, (std::vector<std::string>{"client_eof", "client_err", "client_connections",
                                                 "server_ejects", "forward_error", "fragments",
                                                 "one", "127.0.0.1:2"}));
  EXPECT_EQ(pool["client_connections"], 2);
  EXPECT_EQ(pool["fragments"], 5);
  const Json& one = pool["one"];
  EXPECT_EQ(one.dump(),
            "{\"server_eof\":1,\"server_err\":2,\"server_timedout\":3,\"server_connections\":1,"
            "\"server_ejected_at\":1700000001000000,\"requests\":100,\"request_bytes\":2000,"
            "\"responses\":99,\"response_bytes\":1500,\"in_queue\":4,\"in_queue_bytes\":40,"
            "\"out_queue\":5,\"out_queue_bytes\":50,\"restarts\":2}");
  // ringproxy's own figures are scalars, so tools still see two servers.
  size_t objects = 0;
  for (auto& [k, v] : pool.items()) objects += v.is_object() ? 1 : 0;
  EXPECT_EQ(objects, 2u);
  EXPECT_EQ(pool["127.0.0.1:2"]["restarts"], 0);
}

TEST(TwemproxyStats, BinaryNamesDoNotBreakTheDocument) {
  StatsSnapshot s = pool_snapshot(2);
  s.pools[0].backends[0].name = std::string("bad\xff\"name", 9);
  Json doc = Json::parse(render_twemproxy_stats(s));
  EXPECT_EQ(doc["alpha"].size(), 8u);
}

// Reads what a stats port sends until it closes.
std::string read_stats(uint16_t port) {
  return RawConnection(port).read_until_closed();
}

TEST(StatsServer, SendsTheLatestDocumentToEachClientThenCloses) {
  LoopThread loop;
  auto slot = std::make_shared<SnapshotSlot>();
  slot->publish(std::make_shared<const StatsSnapshot>(pool_snapshot(2)));
  TwemproxyDocument document(slot);
  StatsServerOptions options;
  options.port = 0;
  auto server =
      std::make_unique<StatsServer>(loop.loop(), options, [&] { return document.current(); });
  ASSERT_NE(server->port(), 0);
  loop.start();
  std::string first = read_stats(server->port());
  EXPECT_EQ(first, render_twemproxy_stats(pool_snapshot(2)));
  // A client that sends something first still gets the whole document.
  RawConnection talker(server->port());
  talker.send("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(talker.read_until_closed(), first);
  // A newer snapshot is what the next client reads.
  StatsSnapshot newer = pool_snapshot(2);
  newer.proxy.total_connections = 99;
  slot->publish(std::make_shared<const StatsSnapshot>(newer));
  EXPECT_EQ(Json::parse(read_stats(server->port()))["total_connections"], 99);
  loop.stop();
  EXPECT_EQ(server->served(), 3u);
  server.reset();
}

TEST(StatsServer, ClosesClientsThatStayPastTheLingerTime) {
  LoopThread loop;
  auto doc = std::make_shared<const std::string>("{}");
  StatsServerOptions options;
  options.port = 0;
  options.linger_ms = 50;
  auto server = std::make_unique<StatsServer>(loop.loop(), options, [&] { return doc; });
  loop.start();
  // The client reads the document and end of stream, but never closes its
  // side; the server must close the connection by itself.
  RawConnection idle(server->port(), Duration(5000));
  EXPECT_TRUE(idle.wait_closed(Duration(5000)));
  EXPECT_EQ(idle.buffered(), "{}");
  // open_clients() belongs to the loop's thread: look while it is stopped.
  bool closed = wait_until(
      [&] {
        loop.stop();
        bool none = server->open_clients() == 0;
        if (!none) loop.start();
        return none;
      },
      Duration(5000), Duration(20));
  EXPECT_TRUE(closed);
  loop.stop();
  server.reset();
}

TEST(StatsServer, RefusesAnAddressItCannotBind) {
  LoopThread loop;
  StatsServerOptions options;
  options.port = 0;
  StatsServer first(loop.loop(), options, [] { return std::make_shared<const std::string>(); });
  options.port = first.port();
  try {
    StatsServer second(loop.loop(), options, [] { return std::make_shared<const std::string>(); });
    FAIL() << "bound a port already in use";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("for stats"), std::string::npos) << e.what();
  }
}

// Every object's keys, in order, with the JSON type of each value, nested;
// a server object (depth 2) may end with ringproxy's own scalars
// (kExtraServerFields), in that order.
void expect_same_shape(const Json& ours, const Json& theirs, const std::string& where,
                       int depth = 0) {
  ASSERT_EQ(ours.type_name(), std::string(theirs.type_name())) << where;
  if (!theirs.is_object()) return;
  std::vector<std::string> a, b;
  for (auto& [k, v] : ours.items()) a.push_back(k);
  for (auto& [k, v] : theirs.items()) b.push_back(k);
  if (depth == 2) {
    for (const char* extra : kExtraServerFields) b.push_back(extra);
    for (const char* extra : kExtraServerFields) {
      ASSERT_TRUE(ours.contains(extra)) << where;
      EXPECT_TRUE(ours[extra].is_number_unsigned()) << where << "/" << extra;
    }
  }
  ASSERT_EQ(a, b) << "keys of " << where;
  for (auto& [k, v] : theirs.items()) expect_same_shape(ours[k], v, where + "/" + k, depth + 1);
}

TEST(TwemproxyStats, SameShapeAsARealNutcracker) {
  const std::string bin = nutcracker_binary();
  if (bin.empty()) GTEST_SKIP() << "nutcracker not installed (scripts/install-deps.sh installs it)";
  TempDir dir("ringproxy-stats-test");
  // The servers need not run: nutcracker reports them all the same.
  const uint16_t second = free_port();
  std::string nutcracker_doc;
  for (int attempt = 0; attempt < 3 && nutcracker_doc.empty(); ++attempt) {
    const uint16_t listen = free_port();
    const uint16_t stats = free_port();
    std::ofstream(dir.path() / "nc.yml", std::ios::trunc)
        << "alpha:\n  listen: 127.0.0.1:" << listen
        << "\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n  servers:\n"
        << "   - 127.0.0.1:" << free_port() << ":1 one\n"
        << "   - 127.0.0.1:" << second << ":1\n";
    ChildProcess nc({bin, "-c", (dir.path() / "nc.yml").string(), "-s", std::to_string(stats), "-a",
                     kLoopback, "-i", "100", "-o", (dir.path() / "nc.log").string()},
                    dir.path() / "nc.out");
    wait_until(
        [&] {
          if (!nc.running()) return true;
          try {
            nutcracker_doc = read_stats(stats);
          } catch (const HarnessError&) {
            nutcracker_doc.clear();
          }
          return !nutcracker_doc.empty();
        },
        kDefaultReadyTimeout);
    nc.stop();
  }
  ASSERT_FALSE(nutcracker_doc.empty()) << "nutcracker did not serve its stats";
  Json theirs = Json::parse(nutcracker_doc);
  ASSERT_TRUE(theirs.contains("alpha")) << nutcracker_doc;

  // Ours, served by our stats port for the equivalent pool.
  LoopThread loop;
  auto slot = std::make_shared<SnapshotSlot>();
  slot->publish(std::make_shared<const StatsSnapshot>(pool_snapshot(second)));
  TwemproxyDocument document(slot);
  auto server = std::make_unique<StatsServer>(loop.loop(), StatsServerOptions{},
                                              [&] { return document.current(); });
  loop.start();
  Json ours = Json::parse(read_stats(server->port()));
  loop.stop();
  server.reset();

  expect_same_shape(ours, theirs, "");
  EXPECT_EQ(ours["source"], theirs["source"]);
}

}  // namespace
}  // namespace ringproxy::stats
