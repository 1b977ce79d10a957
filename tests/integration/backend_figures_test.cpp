// Issue 18: INFO's Keyspace and the backends' memory come from what the
// backends say of themselves (INFO memory and INFO keyspace, asked by the
// health checker every --stats-interval on its probe connection), summed; the
// same per backend in PROXY NODES and /metrics. A backend that refuses INFO
// is served as usual and simply has no figures.
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "exporters_util.hpp"
#include "harness.hpp"

namespace ringproxy::testing {
namespace {

// Fast health probes (the figures ride on them) and a short stats interval.
const std::vector<std::string> kFastFigures = {"--stats-interval", "50", "--health-interval-ms",
                                               "50"};

std::string info(Client& c, const std::string& section) {
  Reply r = c.command({"INFO", section});
  if (!r.is_string()) throw HarnessError("INFO " + section + ": " + r.to_string());
  return r.str;
}

uint64_t number(const std::string& text, const std::string& field) {
  const std::string v = info_field(text, field);
  if (v.empty()) throw HarnessError("no " + field + " in " + text);
  return std::stoull(v);
}

// "keys=N,expires=M,avg_ttl=T" -> {keys: N, expires: M, avg_ttl: T}.
std::map<std::string, uint64_t> db_fields(const std::string& value) {
  std::map<std::string, uint64_t> out;
  size_t pos = 0;
  while (pos < value.size()) {
    const size_t comma = value.find(',', pos);
    const std::string field = value.substr(pos, comma - pos);
    const size_t eq = field.find('=');
    if (eq == std::string::npos) throw HarnessError("bad keyspace value: " + value);
    out[field.substr(0, eq)] = std::stoull(field.substr(eq + 1));
    pos = comma == std::string::npos ? value.size() : comma + 1;
  }
  return out;
}

// PROXY NODES as name -> {field -> value} (last_error left out: it has spaces).
std::map<std::string, std::map<std::string, std::string>> nodes(Client& c) {
  std::map<std::string, std::map<std::string, std::string>> out;
  Reply r = c.command({"PROXY", "NODES"});
  if (!r.is_array()) throw HarnessError("PROXY NODES: " + r.to_string());
  for (const Reply& line : r.elements) {
    std::map<std::string, std::string> fields;
    size_t pos = 0;
    while (pos < line.str.size()) {
      const size_t space = line.str.find(' ', pos);
      const std::string kv = line.str.substr(pos, space - pos);
      const size_t eq = kv.find('=');
      if (kv.starts_with("last_error=")) break;
      fields[kv.substr(0, eq)] = kv.substr(eq + 1);
      pos = space == std::string::npos ? line.str.size() : space + 1;
    }
    out[fields["name"]] = fields;
  }
  return out;
}

TEST(BackendFigures, KeyspaceAndMemorySumTheBackends) {
  RedisServer a, b, c;
  const uint16_t metrics_port = free_port();
  std::vector<std::string> args = kFastFigures;
  args.insert(args.end(), {"--metrics-port", std::to_string(metrics_port)});
  ProxyProcess proxy({a.backend(1, "a"), b.backend(1, "b"), c.backend(1, "c")}, args);
  Client client(proxy.port());
  constexpr int kKeys = 300;
  constexpr int kExpiring = 100;
  for (int i = 0; i < kKeys; ++i) {
    std::vector<std::string> set = {"SET", "fig:" + std::to_string(i), "value"};
    if (i < kExpiring) set.insert(set.end(), {"EX", "3600"});
    ASSERT_EQ(client.command(set), Reply::make_status("OK"));
  }
  // The next asks after the writes bring the figures.
  std::string keyspace;
  ASSERT_TRUE(wait_until(
      [&] {
        keyspace = info(client, "keyspace");
        return info_field(keyspace, "db0").starts_with("keys=300,expires=100,");
      },
      kDefaultReadyTimeout))
      << keyspace;
  const std::map<std::string, uint64_t> db0 = db_fields(info_field(keyspace, "db0"));
  EXPECT_EQ(db0.size(), 3u) << "Redis 7's fields: keys, expires, avg_ttl";
  EXPECT_LE(db0.at("avg_ttl"), 3600u * 1000) << "the mean of TTLs of at most an hour, in ms";
  EXPECT_EQ(keyspace.find("db1:"), std::string::npos) << keyspace;

  // Each backend's own figures, as it gives them: the same keys, and memory
  // the proxy sums to backends_used_memory (the clients below stay connected,
  // so the backends' memory is as steady as it gets).
  std::vector<Client> direct;
  for (RedisServer* s : {&a, &b, &c}) direct.push_back(s->client());
  std::map<std::string, uint64_t> own_keys;
  uint64_t own_total_keys = 0;
  for (size_t i = 0; i < direct.size(); ++i) {
    const std::string v = info_field(info(direct[i], "keyspace"), "db0");
    const uint64_t k = v.empty() ? 0 : db_fields(v).at("keys");
    own_keys[std::string(1, static_cast<char>('a' + i))] = k;
    own_total_keys += k;
  }
  EXPECT_EQ(own_total_keys, static_cast<uint64_t>(kKeys));
  uint64_t own_memory = 0, proxied_memory = 0;
  const bool close = wait_until(
      [&] {
        own_memory = 0;
        for (Client& d : direct) own_memory += number(info(d, "memory"), "used_memory");
        proxied_memory = number(info(client, "memory"), "backends_used_memory");
        const uint64_t diff =
            own_memory > proxied_memory ? own_memory - proxied_memory : proxied_memory - own_memory;
        return diff * 20 <= own_memory;  // within 5%
      },
      kDefaultReadyTimeout);
  EXPECT_TRUE(close) << "backends_used_memory " << proxied_memory << ", the backends' own "
                     << own_memory;
  const std::string memory = info(client, "memory");
  EXPECT_FALSE(info_field(memory, "backends_used_memory_human").empty()) << memory;
  EXPECT_NE(number(memory, "used_memory"), number(memory, "backends_used_memory"))
      << "used_memory stays the proxy's own";
  EXPECT_EQ(number(info(client, "ringproxy"), "backends_with_figures"), 3u);

  // Per backend: PROXY NODES and /metrics.
  const auto ns = nodes(client);
  for (const auto& [name, keys] : own_keys) {
    ASSERT_TRUE(ns.count(name)) << name;
    EXPECT_EQ(ns.at(name).at("keys"), std::to_string(keys)) << name;
    EXPECT_GT(std::stoull(ns.at(name).at("used_memory")), 0u) << name;
    EXPECT_LT(std::stoull(ns.at(name).at("figures_age_ms")), 60000u) << name;
  }
  nlohmann::json families;
  ASSERT_TRUE(wait_until(
      [&] {
        families = scrape(metrics_port);
        double total = 0;
        for (const auto& [name, keys] : own_keys) {
          total += sample_value(families, "ringproxy_backend_keys", "ringproxy_backend_keys",
                                {{"backend", name}});
        }
        return total == kKeys;
      },
      kDefaultReadyTimeout))
      << (families.contains("ringproxy_backend_keys") ? families["ringproxy_backend_keys"].dump()
                                                      : "no ringproxy_backend_keys");
  for (const auto& [name, keys] : own_keys) {
    EXPECT_EQ(sample_value(families, "ringproxy_backend_keys", "ringproxy_backend_keys",
                           {{"backend", name}}),
              static_cast<double>(keys))
        << name;
    EXPECT_GT(sample_value(families, "ringproxy_backend_used_memory_bytes",
                           "ringproxy_backend_used_memory_bytes", {{"backend", name}}),
              0)
        << name;
    EXPECT_EQ(sample_value(families, "ringproxy_backend_restarts",
                           "ringproxy_backend_restarts_total", {{"backend", name}}),
              0)
        << name;
  }
  double expiring = 0;
  for (const auto& [name, keys] : own_keys) {
    expiring += sample_value(families, "ringproxy_backend_expiring_keys",
                             "ringproxy_backend_expiring_keys", {{"backend", name}});
  }
  EXPECT_EQ(expiring, kExpiring);

  // Deleted keys leave the sum with the next figures.
  ASSERT_EQ(client.command({"DEL", "fig:0", "fig:1", "fig:150"}), Reply::make_integer(3));
  EXPECT_TRUE(wait_until(
      [&] {
        return info_field(info(client, "keyspace"), "db0").starts_with("keys=297,expires=98,");
      },
      kDefaultReadyTimeout))
      << info(client, "keyspace");
}

// A backend that refuses INFO (renamed away) is served and stays up, without
// figures: the keyspace sums only the backend that gives them.
TEST(BackendFigures, BackendRefusingInfoIsServedWithoutFigures) {
  RedisServer a;
  RedisServer mute({"--rename-command", "INFO", ""});
  ASSERT_TRUE(mute.client().command({"INFO"}).is_error()) << "INFO still answers";
  ProxyProcess proxy({a.backend(1, "a"), mute.backend(1, "mute")}, kFastFigures);
  Client client(proxy.port());
  constexpr int kKeys = 200;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(client.command({"SET", "mute:" + std::to_string(i), "v"}), Reply::make_status("OK"));
  }
  Client da = a.client();
  Client dm = mute.client();
  const long long on_a = da.command({"DBSIZE"}).integer;
  const long long on_mute = dm.command({"DBSIZE"}).integer;
  ASSERT_EQ(on_a + on_mute, kKeys);
  ASSERT_GT(on_mute, 0) << "no key went to the backend without INFO";
  ASSERT_GT(on_a, 0);
  // Figures of `a` refreshed after the writes: asks have gone round since.
  const std::string want = "keys=" + std::to_string(on_a) + ",";
  std::string keyspace;
  ASSERT_TRUE(wait_until(
      [&] {
        keyspace = info(client, "keyspace");
        return info_field(keyspace, "db0").starts_with(want);
      },
      kDefaultReadyTimeout))
      << keyspace;
  const std::string ringproxy = info(client, "ringproxy");
  EXPECT_EQ(number(ringproxy, "backends_with_figures"), 1u);
  const auto ns = nodes(client);
  EXPECT_EQ(ns.at("mute").at("state"), "up");
  EXPECT_EQ(ns.at("mute").at("ejections"), "0");
  EXPECT_EQ(ns.at("mute").at("errors"), "0");
  EXPECT_EQ(ns.at("mute").at("keys"), "-");
  EXPECT_EQ(ns.at("mute").at("used_memory"), "-");
  EXPECT_EQ(ns.at("a").at("keys"), std::to_string(on_a));
  EXPECT_EQ(number(info(client, "memory"), "backends_used_memory"),
            std::stoull(ns.at("a").at("used_memory")));
  // Every key still reads back, those on the mute backend included.
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(client.command({"GET", "mute:" + std::to_string(i)}), Reply::make_string("v")) << i;
  }
  EXPECT_EQ(proxy.log().find("backend " + mute.address() + ": up -> "), std::string::npos)
      << proxy.log_tail();
}

}  // namespace
}  // namespace ringproxy::testing
