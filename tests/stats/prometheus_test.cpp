// The Prometheus families of a snapshot, and GET /metrics scraped over HTTP
// and parsed by python3-prometheus-client's reference text parser.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "harness.hpp"
#include "ringproxy/stats/metrics_exposer.hpp"
#include "ringproxy/stats/prometheus_collector.hpp"

namespace ringproxy::stats {
namespace {

using namespace ringproxy::testing;
using Json = nlohmann::json;

StatsSnapshot sample_snapshot() {
  StatsSnapshot s;
  s.version = "0.2.0";
  s.start_time_ms = 1'700'000'000'000;
  s.taken_at_ms = 1'700'000'010'000;
  s.proxy.total_connections = 12;
  s.curr_connections = 3;
  PoolSnapshot p;
  p.name = "alpha";
  p.counters = {1, 2, 3, 4, 5};
  p.client_connections = 2;
  p.ring_version = 7;
  BackendSnapshot b;
  b.name = "one";
  b.address = "127.0.0.1:7001";
  b.ejections = 1;
  b.counters = {1, 2, 3, 100, 2000, 99, 1500};
  b.gauges = {1, 4, 40, 5, 50, 1'700'000'001'500'000};
  b.request_rate = 12.5;
  b.hot = true;
  b.restarts = 2;
  b.figures_known = true;
  b.keys = 1200;
  b.expires = 300;
  b.used_memory = 1032264;
  LatencyHistogram h;
  for (uint64_t us = 1; us <= 100; ++us) h.record_us(us);
  b.latency = LatencySummary::of(h);
  BackendSnapshot down;
  down.name = "two";
  down.address = "127.0.0.1:7002";
  down.up = false;
  p.backends = {b, down};
  p.hot_keys.keys = {{std::string("hot\xff\"key", 8), 8, 0, 3200, 64}};
  s.pools = {p};
  CommandSnapshot get;
  get.name = "get";
  get.counters = {100, 5'000'000, 2, 1};
  get.latency = LatencySummary::of(h);
  s.commands = {get};
  return s;
}

std::string exposition(const StatsSnapshot& s) {
  ProcessSample p;
  p.rss_bytes = 4096;
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, prometheus_families(s, p));
  return out.str();
}

void expect_line(const std::string& text, const std::string& line) {
  EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << "missing: " << line << "\n"
                                                              << text;
}

TEST(PrometheusFamilies, NamesLabelsAndValuesOfEveryKind) {
  std::string text = exposition(sample_snapshot());
  expect_line(text, "# TYPE ringproxy_backend_requests_total counter");
  expect_line(text,
              "ringproxy_backend_requests_total{pool=\"alpha\",backend=\"one\","
              "addr=\"127.0.0.1:7001\"} 100");
  expect_line(text,
              "ringproxy_backend_up{pool=\"alpha\",backend=\"two\",addr=\"127.0.0.1:7002\"} 0");
  expect_line(text,
              "ringproxy_backend_hot{pool=\"alpha\",backend=\"one\",addr=\"127.0.0.1:7001\"} 1");
  expect_line(text,
              "ringproxy_backend_last_ejection_timestamp_seconds{pool=\"alpha\",backend=\"one\","
              "addr=\"127.0.0.1:7001\"} 1700000001.5");
  expect_line(text, "ringproxy_ring_version{pool=\"alpha\"} 7");
  expect_line(text, "ringproxy_pool_backend_ejections_total{pool=\"alpha\"} 3");
  expect_line(text, "ringproxy_connections_received_total 12");
  expect_line(text, "ringproxy_client_connections 3");
  expect_line(text, "process_resident_memory_bytes 4096");
  expect_line(text, "process_start_time_seconds 1700000000");
  expect_line(text, "ringproxy_build_info{version=\"0.2.0\"} 1");
  expect_line(text, "ringproxy_command_calls_total{cmd=\"get\"} 100");
  expect_line(text, "ringproxy_command_rejected_calls_total{cmd=\"get\"} 1");
  // The histogram: 1..100 µs; 8 values below 8,192 ns, 65 below 65,536 ns, all
  // below 131,072 ns.
  expect_line(text, "# TYPE ringproxy_command_duration_seconds histogram");
  expect_line(text, "ringproxy_command_duration_seconds_count{cmd=\"get\"} 100");
  expect_line(text, "ringproxy_command_duration_seconds_sum{cmd=\"get\"} 0.00505");
  // (prometheus-cpp prints 16 digits: the double nearest 8.192e-6 shows as 8.192000000000001e-06.)
  expect_line(
      text,
      "ringproxy_command_duration_seconds_bucket{cmd=\"get\",le=\"8.192000000000001e-06\"} 8");
  expect_line(text, "ringproxy_command_duration_seconds_bucket{cmd=\"get\",le=\"1.6384e-05\"} 16");
  expect_line(text, "ringproxy_command_duration_seconds_bucket{cmd=\"get\",le=\"6.5536e-05\"} 65");
  expect_line(text,
              "ringproxy_command_duration_seconds_bucket{cmd=\"get\",le=\"0.000131072\"} 100");
  expect_line(text, "ringproxy_command_duration_seconds_bucket{cmd=\"get\",le=\"+Inf\"} 100");
  // A binary key is shown with \xHH escapes, then the format's own escaping.
  expect_line(text,
              "ringproxy_hot_key_requests{pool=\"alpha\",key=\"hot\\\\xff\\\"key\",backend=\"one\"}"
              " 3200");
}

// Restarts are a counter of every backend; keys and memory (the backend's
// own figures) are gauges of the backends that gave them, none for the others.
TEST(PrometheusFamilies, BackendRestartsAndFigures) {
  std::string text = exposition(sample_snapshot());
  expect_line(text, "# TYPE ringproxy_backend_restarts_total counter");
  expect_line(text,
              "ringproxy_backend_restarts_total{pool=\"alpha\",backend=\"one\","
              "addr=\"127.0.0.1:7001\"} 2");
  expect_line(text,
              "ringproxy_backend_restarts_total{pool=\"alpha\",backend=\"two\","
              "addr=\"127.0.0.1:7002\"} 0");
  expect_line(text, "# TYPE ringproxy_backend_keys gauge");
  expect_line(text,
              "ringproxy_backend_keys{pool=\"alpha\",backend=\"one\",addr=\"127.0.0.1:7001\"} "
              "1200");
  expect_line(text,
              "ringproxy_backend_expiring_keys{pool=\"alpha\",backend=\"one\","
              "addr=\"127.0.0.1:7001\"} 300");
  expect_line(text,
              "ringproxy_backend_used_memory_bytes{pool=\"alpha\",backend=\"one\","
              "addr=\"127.0.0.1:7001\"} 1032264");
  EXPECT_EQ(text.find("ringproxy_backend_keys{pool=\"alpha\",backend=\"two\""), std::string::npos);
  EXPECT_EQ(text.find("ringproxy_backend_used_memory_bytes{pool=\"alpha\",backend=\"two\""),
            std::string::npos);
}

TEST(PrometheusFamilies, AnEmptySnapshotHasOnlyProcessFigures) {
  std::string text = exposition(StatsSnapshot{});
  EXPECT_EQ(text.find("ringproxy_backend_"), std::string::npos);
  EXPECT_EQ(text.find("ringproxy_command_"), std::string::npos);
  expect_line(text, "ringproxy_client_connections 0");
}

TEST(PrometheusFamilies, PrintableLabelEscapesWhatIsNotPrintableAscii) {
  EXPECT_EQ(printable_label("user:1"), "user:1");
  EXPECT_EQ(printable_label(std::string("a\0b\n\\\xc3\xa9", 7)), "a\\x00b\\x0a\\x5c\\xc3\\xa9");
}

// The test's exposition text through HTTP, parsed by the reference parser.
Json scrape(uint16_t port) {
  std::string script = (source_dir() / "tests/stats/parse_metrics.py").string();
  CommandResult r = run_command(
      {python3_binary(), script, "http://127.0.0.1:" + std::to_string(port) + "/metrics"},
      RunOptions{Duration(30000)});
  if (!r.ok()) throw HarnessError("parse_metrics.py failed: " + r.describe());
  return Json::parse(r.out);
}

TEST(MetricsExposer, ServesMetricsThatThePrometheusParserReads) {
  auto slot = std::make_shared<SnapshotSlot>();
  MetricsExposer exposer(MetricsServerOptions{}, slot);
  ASSERT_NE(exposer.port(), 0);
  // Before the first publication: process figures only, and valid.
  Json before = scrape(exposer.port());
  EXPECT_TRUE(before["families"].contains("process_resident_memory_bytes"));
  EXPECT_FALSE(before["families"].contains("ringproxy_backend_requests"));

  slot->publish(std::make_shared<const StatsSnapshot>(sample_snapshot()));
  Json got = scrape(exposer.port());
  EXPECT_NE(got["_content_type"].get<std::string>().find("text/plain"), std::string::npos);
  const Json& f = got["families"];
  // The parser strips _total from counter family names.
  ASSERT_TRUE(f.contains("ringproxy_backend_requests")) << f.dump();
  EXPECT_EQ(f["ringproxy_backend_requests"]["type"], "counter");
  const Json& req = f["ringproxy_backend_requests"]["samples"][0];
  EXPECT_EQ(req[0], "ringproxy_backend_requests_total");
  EXPECT_EQ(req[1], (Json{{"pool", "alpha"}, {"backend", "one"}, {"addr", "127.0.0.1:7001"}}));
  EXPECT_EQ(req[2], 100.0);
  EXPECT_GT(f["process_resident_memory_bytes"]["samples"][0][2].get<double>(), 1e6);
  const Json& hist = f["ringproxy_backend_request_duration_seconds"];
  EXPECT_EQ(hist["type"], "histogram");
  size_t buckets = 0;
  for (const Json& s : hist["samples"]) {
    if (s[0] == "ringproxy_backend_request_duration_seconds_bucket" && s[1]["backend"] == "one") {
      ++buckets;
    }
  }
  EXPECT_EQ(buckets, LatencyHistogram::kPrometheusBounds + 1);
  EXPECT_EQ(f["ringproxy_hot_key_requests"]["samples"][0][1]["key"], "hot\\xff\"key");
  for (const char* name :
       {"ringproxy_ring_version", "ringproxy_backend_up", "ringproxy_command_duration_seconds",
        "ringproxy_connections_received", "ringproxy_pool_backend_ejections", "process_cpu_seconds",
        "ringproxy_backend_hot", "ringproxy_backend_request_rate"}) {
    EXPECT_TRUE(f.contains(name)) << name;
  }
}

// Scrapes on the exposer's threads while the "loop" keeps publishing: the
// exposer only ever holds published snapshots (ASan checks the lifetimes).
TEST(MetricsExposer, ScrapesWhilePublicationsGoOn) {
  auto slot = std::make_shared<SnapshotSlot>();
  MetricsExposer exposer(MetricsServerOptions{}, slot);
  std::atomic<bool> done{false};
  std::thread loop([&] {
    for (uint64_t i = 0; !done.load(); ++i) {
      StatsSnapshot s = sample_snapshot();
      s.proxy.total_connections = i;
      slot->publish(std::make_shared<const StatsSnapshot>(std::move(s)));
    }
  });
  for (int i = 0; i < 20; ++i) {
    RawConnection c(exposer.port());
    c.send("GET /metrics HTTP/1.0\r\n\r\n");
    std::string reply = c.read_until_closed();
    EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply.substr(0, 200);
    EXPECT_NE(reply.find("ringproxy_connections_received_total "), std::string::npos);
  }
  done = true;
  loop.join();
}

TEST(MetricsExposer, RefusesAPortInUse) {
  auto slot = std::make_shared<SnapshotSlot>();
  MetricsExposer first(MetricsServerOptions{}, slot);
  MetricsServerOptions again;
  again.port = first.port();
  try {
    MetricsExposer second(again, slot);
    FAIL() << "bound a port already in use";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("for metrics"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ringproxy::stats
