// The placement simulator: the classic 3 -> 4 result (modula moves ~75%,
// ketama ~25%), each distribution's failure behaviour as its source file
// states it, key generation and reading, pool loading through the config
// parser, and the output formats.
#include "ring_simulator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ringproxy/options/config.hpp"
#include "ringproxy/placement/backend_spec.hpp"
#include "ringproxy/placement/hash.hpp"
#include "ringproxy/placement/hash_ring.hpp"
#include "temp_file.hpp"

namespace ringproxy::sim {
namespace {

Pool pool_of(const std::vector<std::string>& servers, HashKind hash = HashKind::kMurmur,
             std::string tag = "") {
  Pool pool;
  for (const std::string& s : servers) pool.backends.push_back(parse_backend_spec(s));
  pool.hash = hash;
  pool.hash_tag = std::move(tag);
  return pool;
}

const std::vector<std::string> kThree = {"127.0.0.1:22101:1", "127.0.0.1:22102:1",
                                         "127.0.0.1:22103:1"};

const Movement& movement(const Report& r, DistributionKind kind, size_t change = 0) {
  for (const Movement& m : r.movements) {
    if (m.distribution == kind && m.change == change) return m;
  }
  throw std::logic_error("no such movement");
}

const Balance& balance(const Report& r, DistributionKind kind, HashKind hash) {
  for (const Balance& b : r.balance) {
    if (b.distribution == kind && b.hash == hash) return b;
  }
  throw std::logic_error("no such balance");
}

Request request_for(Pool pool, std::vector<Change> changes, size_t keys = 100000) {
  Request req;
  req.pool = std::move(pool);
  req.keys = generate_keys(keys, kDefaultPattern);
  req.changes = std::move(changes);
  return req;
}

// PROXY WEIGHT: 1:1:1 -> 2:1:1. Rendezvous only moves keys to the heavier
// backend; ketama's other backends lose points, and some of their arcs go to
// each other.
TEST(RingSimulator, ReweightCountsMovesBetweenTheOtherBackendsAsExtra) {
  const Report r =
      simulate(request_for(pool_of(kThree), {{ChangeKind::kReweight, "127.0.0.1:22101 2"}}, 50000));
  const Movement& rendezvous = movement(r, DistributionKind::kRendezvous);
  EXPECT_NEAR(rendezvous.ideal, 0.5 - 1.0 / 3, 1e-9);
  EXPECT_NEAR(rendezvous.moved_fraction(), rendezvous.ideal, 0.02);
  EXPECT_EQ(rendezvous.extra, 0u);
  EXPECT_EQ(rendezvous.peers, 2u);
  const Movement& ketama = movement(r, DistributionKind::kKetama);
  EXPECT_GT(ketama.extra, 0u);
  EXPECT_LT(ketama.extra_fraction(), 0.05);
  EXPECT_NE(movement(r, DistributionKind::kJump).unavailable.find("weights"), std::string::npos);
  std::ostringstream table;
  write_table(r, table);
  EXPECT_NE(table.str().find("reweight 127.0.0.1:22101 2"), std::string::npos);
  for (const char* bad : {"127.0.0.1:22101", "127.0.0.1:22101 0", "127.0.0.1:22101 x", "nosuch 2",
                          "127.0.0.1:22101 99999999999"}) {
    EXPECT_THROW(simulate(request_for(pool_of(kThree), {{ChangeKind::kReweight, bad}}, 10)),
                 std::invalid_argument)
        << bad;
  }
}

// The acceptance test: 3 -> 4 backends over 100k generated keys.
TEST(RingSimulator, ThreeToFourModulaMovesThreeQuartersKetamaOneQuarter) {
  const Report r =
      simulate(request_for(pool_of(kThree), {{ChangeKind::kAdd, "127.0.0.1:22104:1"}}));
  ASSERT_EQ(r.movements.size(), 5u);
  const Movement& modula = movement(r, DistributionKind::kModula);
  const Movement& ketama = movement(r, DistributionKind::kKetama);
  EXPECT_NEAR(modula.moved_fraction(), 0.75, 0.03);
  EXPECT_NEAR(ketama.moved_fraction(), 0.25, 0.03);
  EXPECT_DOUBLE_EQ(ketama.ideal, 0.25);
  // Ketama only moves keys to the new backend; modula reshuffles survivors.
  EXPECT_EQ(ketama.extra, 0u);
  EXPECT_EQ(ketama.peers, 3u);
  EXPECT_NEAR(modula.extra_fraction(), 0.50, 0.03);
  for (DistributionKind kind :
       {DistributionKind::kRendezvous, DistributionKind::kJump, DistributionKind::kMaglev}) {
    const Movement& m = movement(r, kind);
    EXPECT_NEAR(m.moved_fraction(), 0.25, 0.03) << distribution_name(kind);
    EXPECT_TRUE(m.unavailable.empty());
  }
  EXPECT_EQ(movement(r, DistributionKind::kRendezvous).extra, 0u);
  EXPECT_EQ(movement(r, DistributionKind::kJump).extra, 0u);  // jump grows at the end
  EXPECT_LT(movement(r, DistributionKind::kMaglev).extra_fraction(), 0.03);
}

// Failure: the header comment of each src/distribution_*.cpp, measured.
TEST(RingSimulator, FailureBehaviourPerDistribution) {
  const std::vector<std::string> five = {"10.0.0.1:6379 a", "10.0.0.2:6379 b", "10.0.0.3:6379 c",
                                         "10.0.0.4:6379 d", "10.0.0.5:6379 e"};
  // "c" is in the middle of the pool order, "e" last.
  const Report r = simulate(
      request_for(pool_of(five), {{ChangeKind::kFail, "c"}, {ChangeKind::kFail, "e"}}, 50000));
  for (DistributionKind kind :
       {DistributionKind::kKetama, DistributionKind::kModula, DistributionKind::kRendezvous}) {
    for (size_t change : {0u, 1u}) {
      const Movement& m = movement(r, kind, change);
      const size_t failed = change == 0 ? 2 : 4;
      // Exactly the failed backend's keys move, nobody else's.
      EXPECT_EQ(m.extra, 0u) << distribution_name(kind);
      EXPECT_EQ(m.moved, balance(r, kind, HashKind::kMurmur).keys_per_backend[failed])
          << distribution_name(kind);
      // ...and they spread over all four survivors.
      EXPECT_EQ(m.peers, 4u) << distribution_name(kind);
      EXPECT_LT(m.top_peer, 0.4) << distribution_name(kind);
    }
  }
  // Jump: the last node in pool order fails cleanly, any other shifts buckets.
  EXPECT_EQ(movement(r, DistributionKind::kJump, 1).extra, 0u);
  EXPECT_GT(movement(r, DistributionKind::kJump, 0).extra_fraction(), 0.10);
  // Maglev: the table is rebuilt; a few percent of survivors' keys move.
  const Movement& maglev = movement(r, DistributionKind::kMaglev, 0);
  EXPECT_GT(maglev.extra, 0u);
  EXPECT_LT(maglev.extra_fraction(), 0.05);
  EXPECT_EQ(maglev.peers, 4u);
}

TEST(RingSimulator, RemoveRebuildsTheRing) {
  const Report r = simulate(request_for(
      pool_of(kThree),
      {{ChangeKind::kRemove, "127.0.0.1:22102"}, {ChangeKind::kFail, "127.0.0.1:22102"}}, 30000));
  // Ketama keeps 160 points per node at 2 and 3 nodes: removing = failing.
  EXPECT_EQ(movement(r, DistributionKind::kKetama, 0).moved,
            movement(r, DistributionKind::kKetama, 1).moved);
  EXPECT_EQ(movement(r, DistributionKind::kKetama, 0).extra, 0u);
  // Modula: a new modulus (2 of 3 keys move) against failover's second draw.
  EXPECT_NEAR(movement(r, DistributionKind::kModula, 0).moved_fraction(), 2.0 / 3, 0.03);
  EXPECT_NEAR(movement(r, DistributionKind::kModula, 1).moved_fraction(), 1.0 / 3, 0.03);
  EXPECT_DOUBLE_EQ(movement(r, DistributionKind::kModula, 0).ideal, 1.0 / 3);
}

TEST(RingSimulator, WeightedPools) {
  const Report r = simulate(
      request_for(pool_of({"10.0.0.1:6379:1 a", "10.0.0.2:6379:3 b"}),
                  {{ChangeKind::kAdd, "10.0.0.3:6379:4 c"}, {ChangeKind::kFail, "b"}}, 40000));
  // Jump has no weights: reported, not silently ignored.
  EXPECT_NE(balance(r, DistributionKind::kJump, HashKind::kMurmur).unavailable.find("weights"),
            std::string::npos);
  EXPECT_FALSE(movement(r, DistributionKind::kJump, 0).unavailable.empty());
  EXPECT_DOUBLE_EQ(movement(r, DistributionKind::kKetama, 0).ideal, 0.5);
  EXPECT_DOUBLE_EQ(movement(r, DistributionKind::kKetama, 1).ideal, 0.75);
  // Balance ratios are relative to each weight share: b holds ~3/4 and that is even.
  const Balance& rdv = balance(r, DistributionKind::kRendezvous, HashKind::kMurmur);
  EXPECT_NEAR(static_cast<double>(rdv.keys_per_backend[1]) / 40000, 0.75, 0.02);
  EXPECT_LT(rdv.max_over_mean, 1.03);
  EXPECT_NEAR(movement(r, DistributionKind::kRendezvous, 0).moved_fraction(), 0.5, 0.03);
}

TEST(RingSimulator, RecordedMovesName) {
  Request req = request_for(pool_of({"10.0.0.1:6379 a", "10.0.0.2:6379 b", "10.0.0.3:6379 c"}),
                            {{ChangeKind::kAdd, "10.0.0.4:6379 d"}}, 2000);
  req.distributions = {DistributionKind::kKetama};
  req.record_moves = true;
  const Report r = simulate(req);
  ASSERT_EQ(r.movements.size(), 1u);
  const Movement& m = r.movements[0];
  ASSERT_EQ(m.moves.size(), m.moved);
  ASSERT_GT(m.moved, 0u);
  const std::set<std::string> old_names = {"a", "b", "c"};
  for (const Move& mv : m.moves) {
    EXPECT_EQ(mv.to, "d");
    EXPECT_TRUE(old_names.count(mv.from)) << mv.from;
  }
  std::ostringstream out;
  write_moves(r, out, false);
  EXPECT_NE(out.str().find("# add 10.0.0.4:6379 d, hash murmur, ketama: " +
                           std::to_string(m.moved) + " of 2000 keys move"),
            std::string::npos);
  EXPECT_NE(out.str().find("\n" + m.moves[0].key + " " + m.moves[0].from + " -> d\n"),
            std::string::npos);
  std::ostringstream csv;
  write_moves(r, csv, true);
  EXPECT_EQ(csv.str().rfind("change,hash,distribution,key,from,to\n", 0), 0u);
}

TEST(RingSimulator, FailingEveryBackendLeavesKeysNowhere) {
  Request req =
      request_for(pool_of({"10.0.0.1:6379"}), {{ChangeKind::kFail, "10.0.0.1:6379"}}, 100);
  req.record_moves = true;
  req.distributions = {DistributionKind::kKetama};
  const Report r = simulate(req);
  EXPECT_EQ(r.movements[0].moved, 100u);
  EXPECT_EQ(r.movements[0].moves[0].to, "(none)");
  // Removing the last backend cannot be built at all.
  req.changes = {{ChangeKind::kRemove, "10.0.0.1:6379"}};
  EXPECT_FALSE(simulate(req).movements[0].unavailable.empty());
}

TEST(RingSimulator, BadChangesAreErrors) {
  const Pool pool = pool_of(kThree);
  EXPECT_THROW(simulate(request_for(pool, {{ChangeKind::kFail, "nosuch"}}, 10)),
               std::invalid_argument);
  EXPECT_THROW(simulate(request_for(pool, {{ChangeKind::kAdd, "127.0.0.1:22101:1"}}, 10)),
               std::invalid_argument);
  EXPECT_THROW(simulate(request_for(pool, {{ChangeKind::kAdd, "nohostport"}}, 10)),
               std::invalid_argument);
}

// The evidence behind the default hash (README, Placement): twemproxy's
// fnv1a_64 puts user:1..user:12 on one backend of three; murmur does not.
TEST(RingSimulator, ShortSimilarKeysClusterUnderFnv1a64) {
  Request req;
  req.pool = pool_of(kThree);
  req.keys = generate_keys(12, kDefaultPattern);
  req.hashes = {HashKind::kFnv1a_64, HashKind::kMurmur};
  req.distributions = {DistributionKind::kKetama};
  const Report r = simulate(req);
  const Balance& fnv = balance(r, DistributionKind::kKetama, HashKind::kFnv1a_64);
  EXPECT_EQ(fnv.keys_per_backend, (std::vector<uint64_t>{12, 0, 0}));
  const Balance& murmur = balance(r, DistributionKind::kKetama, HashKind::kMurmur);
  for (uint64_t n : murmur.keys_per_backend) EXPECT_GE(n, 3u);
  // Over user:1..user:10000 fnv1a_64 is fine in aggregate (research: 3489/2960/3551).
  req.keys = generate_keys(10000, kDefaultPattern);
  req.hashes = {HashKind::kFnv1a_64};
  EXPECT_EQ(simulate(req).balance[0].keys_per_backend, (std::vector<uint64_t>{3489, 2960, 3551}));
}

TEST(RingSimulator, BalanceStatistics) {
  Request req;
  req.pool = pool_of(kThree);
  req.keys = generate_keys(12, kDefaultPattern);
  req.hashes = {HashKind::kFnv1a_64};
  req.distributions = {DistributionKind::kKetama};
  const Balance b = simulate(req).balance[0];  // 12 / 0 / 0
  EXPECT_DOUBLE_EQ(b.max_over_mean, 3.0);
  EXPECT_DOUBLE_EQ(b.min_over_mean, 0.0);
  EXPECT_NEAR(b.cv, std::sqrt(2.0), 1e-12);
  EXPECT_EQ(b.hottest, 0u);
}

TEST(RingSimulator, HashTagAndEmptyKeyFollowTheRouter) {
  EXPECT_EQ(placement_hash(HashKind::kMurmur, "{}", "{user1}:a"), hash_murmur("user1"));
  EXPECT_EQ(placement_hash(HashKind::kMurmur, "", "{user1}:a"), hash_murmur("{user1}:a"));
  EXPECT_EQ(placement_hash(HashKind::kMurmur, "{}", ""), 0u);
  // All keys of one tag land together, whatever the distribution.
  Request req;
  req.pool = pool_of(kThree, HashKind::kMurmur, "{}");
  req.keys = generate_keys(500, "{user7}:item:{i}");
  for (const Balance& b : simulate(req).balance) {
    EXPECT_EQ(b.keys_per_backend[b.hottest], 500u) << distribution_name(b.distribution);
  }
}

TEST(RingSimulator, GeneratedKeys) {
  EXPECT_EQ(generate_keys(3, "k{i}", 0), (std::vector<std::string>{"k0", "k1", "k2"}));
  EXPECT_EQ(generate_keys(2, "{i}:x:{i}", 9), (std::vector<std::string>{"9:x:9", "10:x:10"}));
  EXPECT_THROW(generate_keys(3, "user:"), std::invalid_argument);
  const std::vector<std::string> a = generate_keys(1000, kRandomPattern, 1, 7);
  EXPECT_EQ(a, generate_keys(1000, kRandomPattern, 1, 7));
  EXPECT_NE(a, generate_keys(1000, kRandomPattern, 1, 8));
  EXPECT_EQ(std::set<std::string>(a.begin(), a.end()).size(), 1000u);
  for (const std::string& k : a) {
    EXPECT_GE(k.size(), 8u);
    EXPECT_LE(k.size(), 24u);
    EXPECT_EQ(k.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789"), std::string::npos);
  }
}

TEST(RingSimulator, ReadKeys) {
  std::istringstream in("a\r\nb b\n\n{t}c\nlast");
  EXPECT_EQ(read_keys(in), (std::vector<std::string>{"a", "b b", "{t}c", "last"}));
}

TEST(RingSimulator, FindBackend) {
  const std::vector<BackendSpec> b = {parse_backend_spec("10.0.0.1:6379:1 alpha"),
                                      parse_backend_spec("10.0.0.2:6379:1"),
                                      parse_backend_spec("[::1]:6379")};
  EXPECT_EQ(find_backend(b, "alpha"), 0u);
  EXPECT_EQ(find_backend(b, "10.0.0.1:6379"), 0u);
  EXPECT_EQ(find_backend(b, "10.0.0.2:6379"), 1u);
  EXPECT_EQ(find_backend(b, "[::1]:6379"), 2u);
  EXPECT_THROW(find_backend(b, "beta"), std::invalid_argument);
  EXPECT_EQ(backend_label(b[0]), "alpha");
  EXPECT_EQ(backend_label(b[1]), "10.0.0.2:6379");
}

TEST(RingSimulator, Lists) {
  EXPECT_EQ(parse_hash_list("fnv1a_64,murmur"),
            (std::vector<HashKind>{HashKind::kFnv1a_64, HashKind::kMurmur}));
  EXPECT_EQ(parse_hash_list("all").size(), hash_names().size());
  EXPECT_THROW(parse_hash_list("murmur,sha1"), std::invalid_argument);
  EXPECT_EQ(parse_distribution_list("jump,ketama,jump"),
            (std::vector<DistributionKind>{DistributionKind::kJump, DistributionKind::kKetama}));
  EXPECT_EQ(parse_distribution_list("all").size(), 5u);
  EXPECT_THROW(parse_distribution_list("random"), std::invalid_argument);
}

TEST(RingSimulator, LoadPoolReadsRingproxyConfigFiles) {
  TempFile conf(
      "backend = 10.0.0.1:6379:1 a\n"
      "backend = 10.0.0.2:6379:1 b\n"
      "hash = fnv1a_64\n"
      "hash-tag = {}\n"
      "distribution = modula\n",
      ".conf");
  PoolSource source;
  source.config_path = conf.path();
  Pool pool = load_pool(source);
  ASSERT_EQ(pool.backends.size(), 2u);
  EXPECT_EQ(pool.backends[1].name, "b");
  EXPECT_EQ(pool.hash, HashKind::kFnv1a_64);
  EXPECT_EQ(pool.hash_tag, "{}");
  EXPECT_EQ(pool.distribution, DistributionKind::kModula);
  // Command-line backends replace the file's, as in ringproxy.
  source.backends = {"10.0.0.9:6379"};
  source.hash_tag = "";
  pool = load_pool(source);
  ASSERT_EQ(pool.backends.size(), 1u);
  EXPECT_EQ(pool.hash_tag, "");
  EXPECT_THROW(load_pool(PoolSource{}), ConfigError);  // no backends
}

TEST(RingSimulator, LoadPoolReadsTwemproxyYaml) {
  TempFile yaml(
      "alpha:\n"
      "  listen: 127.0.0.1:22121\n"
      "  redis: true\n"
      "  hash_tag: \"{}\"\n"
      "  servers:\n"
      "   - 127.0.0.1:22101:1\n"
      "   - 127.0.0.1:22102:1\n"
      "   - 127.0.0.1:22103:1\n",
      ".yml");
  PoolSource source;
  source.twemproxy_config_path = yaml.path();
  source.pool = "alpha";
  const Pool pool = load_pool(source);
  EXPECT_EQ(pool.backends.size(), 3u);
  EXPECT_EQ(pool.hash, HashKind::kFnv1a_64);  // twemproxy's default, for compatibility
  EXPECT_EQ(pool.hash_tag, "{}");
  EXPECT_EQ(pool.distribution, DistributionKind::kKetama);
}

TEST(RingSimulator, TableAndCsv) {
  Request req = request_for(pool_of(kThree), {{ChangeKind::kAdd, "127.0.0.1:22104:1"}}, 1000);
  req.key_source = "test keys";
  const Report r = simulate(req);
  std::ostringstream table;
  write_table(r, table);
  const std::string t = table.str();
  EXPECT_NE(t.find("keys:  1000, test keys"), std::string::npos);
  EXPECT_NE(t.find("max/mean"), std::string::npos);
  EXPECT_NE(t.find("add 127.0.0.1:22104:1"), std::string::npos);
  EXPECT_NE(t.find("127.0.0.1:22103"), std::string::npos);  // per-backend column
  std::ostringstream csv;
  write_csv(r, csv);
  std::istringstream lines(csv.str());
  std::string line;
  std::vector<std::string> all;
  while (std::getline(lines, line)) all.push_back(line);
  // Balance header + 5 rows, an empty line, moves header + 5 rows.
  ASSERT_EQ(all.size(), 13u);
  EXPECT_EQ(all[0].rfind("hash,distribution,keys,min,max,max_over_mean,min_over_mean,cv,hottest,"
                         "note,127.0.0.1:22101,",
                         0),
            0u);
  EXPECT_EQ(all[6], "");
  EXPECT_EQ(all[7].rfind("change,hash,distribution,keys,moved,moved_fraction", 0), 0u);
  EXPECT_EQ(all[8].rfind("add 127.0.0.1:22104:1,murmur,ketama,1000,", 0), 0u);
}

}  // namespace
}  // namespace ringproxy::sim
