// ringproxy-ring, the placement simulator, run as a program: its options,
// output formats and config files, and, against a real proxy over real
// redis-servers, that its predictions are what the proxy does (where each key
// lives, and where a failed backend's keys go).
//
// The binary is found next to the proxy ($RINGPROXY_BIN's directory). The
// tests skip when it was not built (the target exists only when
// tools/ring/main.cpp does).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

namespace fs = std::filesystem;

std::string sim_binary() {
  const fs::path bin = fs::path(proxy_binary()).parent_path() / "ringproxy-ring";
  return fs::exists(bin) ? bin.string() : std::string();
}

#define REQUIRE_SIM_BINARY()                                                 \
  const std::string sim = sim_binary();                                      \
  if (sim.empty()) {                                                         \
    GTEST_SKIP() << "ringproxy-ring was not built next to the proxy binary"; \
  }                                                                          \
  static_assert(true)

CommandResult run_sim(const std::string& sim, std::vector<std::string> args) {
  args.insert(args.begin(), sim);
  return run_command(args, {.timeout = Duration(60000)});
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(line);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

const std::vector<std::string> kThree = {"-b", "127.0.0.1:22101:1", "-b", "127.0.0.1:22102:1",
                                         "-b", "127.0.0.1:22103:1"};

TEST(RingSimCli, ClassicThreeToFourAsCsv) {
  REQUIRE_SIM_BINARY();
  std::vector<std::string> args = kThree;
  args.insert(args.end(), {"--add", "127.0.0.1:22104:1", "--csv"});
  const CommandResult r = run_sim(sim, args);
  ASSERT_TRUE(r.ok()) << r.describe();
  std::map<std::string, double> moved;
  for (const std::string& line : lines_of(r.out)) {
    const std::vector<std::string> f = split(line, ',');
    if (f.size() >= 6 && f[0] == "add 127.0.0.1:22104:1") moved[f[2]] = std::stod(f[5]);
  }
  ASSERT_EQ(moved.size(), 5u) << r.out;
  EXPECT_NEAR(moved["modula"], 0.75, 0.03);
  EXPECT_NEAR(moved["ketama"], 0.25, 0.03);
}

TEST(RingSimCli, TableFromAConfigFileWithAKeysFile) {
  REQUIRE_SIM_BINARY();
  TempDir dir("ring-sim");
  const fs::path conf = dir.path() / "pool.conf";
  std::ofstream(conf) << "listen = 127.0.0.1:6380\n"
                         "backend = 10.0.0.1:6379:1 a\n"
                         "backend = 10.0.0.2:6379:1 b\n"
                         "backend = 10.0.0.3:6379:1 c\n"
                         "hash = fnv1a_64\n";
  const fs::path keys = dir.path() / "keys.txt";
  {
    std::ofstream out(keys);
    for (int i = 1; i <= 12; ++i) out << "user:" << i << "\n";
  }
  const CommandResult r = run_sim(sim, {"--config", conf.string(), "--keys", keys.string(),
                                        "--distribution", "ketama", "--fail", "b"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("keys:  12, from " + keys.string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("configured hash fnv1a_64"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fail b"), std::string::npos) << r.out;
  // One row per distribution asked for.
  size_t rows = 0;
  for (const std::string& line : lines_of(r.out)) rows += line.rfind("fnv1a_64  ketama", 0) == 0;
  EXPECT_EQ(rows, 1u) << r.out;
}

TEST(RingSimCli, TwemproxyYamlDefaultsToFnv1a64) {
  REQUIRE_SIM_BINARY();
  TempDir dir("ring-sim");
  const fs::path yaml = dir.path() / "nutcracker.yml";
  std::ofstream(yaml) << "alpha:\n"
                         "  listen: 127.0.0.1:22121\n"
                         "  redis: true\n"
                         "  servers:\n"
                         "   - 127.0.0.1:22101:1\n"
                         "   - 127.0.0.1:22102:1\n"
                         "   - 127.0.0.1:22103:1\n";
  const CommandResult r = run_sim(sim, {"--twemproxy-config", yaml.string(), "--generate", "12",
                                        "--distribution", "ketama", "--csv"});
  ASSERT_TRUE(r.ok()) << r.describe();
  // Seen through a live nutcracker: fnv1a_64 puts user:1..user:12 on one server.
  const std::vector<std::string> l = lines_of(r.out);
  ASSERT_GE(l.size(), 2u);
  EXPECT_EQ(l[1].rfind("fnv1a_64,ketama,12,0,12,", 0), 0u) << r.out;
}

TEST(RingSimCli, ShowMovesListsKeysAndBackends) {
  REQUIRE_SIM_BINARY();
  std::vector<std::string> args = kThree;
  args.insert(args.end(), {"--generate", "200", "--distribution", "ketama", "--add",
                           "127.0.0.1:22104:1 d", "--show-moves"});
  const CommandResult r = run_sim(sim, args);
  ASSERT_TRUE(r.ok()) << r.describe();
  const std::vector<std::string> l = lines_of(r.out);
  ASSERT_GE(l.size(), 2u);
  EXPECT_EQ(l[0].rfind("# add 127.0.0.1:22104:1 d, hash murmur, ketama: ", 0), 0u) << l[0];
  for (size_t i = 1; i < l.size(); ++i) {
    const std::vector<std::string> f = split(l[i], ' ');
    ASSERT_EQ(f.size(), 4u) << l[i];
    EXPECT_EQ(f[0].rfind("user:", 0), 0u) << l[i];
    EXPECT_EQ(f[2], "->");
    EXPECT_EQ(f[3], "d");
  }
}

TEST(RingSimCli, Errors) {
  REQUIRE_SIM_BINARY();
  CommandResult r = run_sim(sim, {"--no-such-option"});
  EXPECT_EQ(r.exit_code(), 2) << r.describe();
  r = run_sim(sim, {"--generate", "10"});
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_NE(r.err.find("no backends"), std::string::npos) << r.err;
  std::vector<std::string> args = kThree;
  args.insert(args.end(), {"--fail", "nosuch"});
  r = run_sim(sim, args);
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;
  r = run_sim(sim, {"--help"});
  EXPECT_TRUE(r.ok());
  EXPECT_NE(r.out.find("--show-moves"), std::string::npos);
}

TEST(RingSimCli, PlotWritesAPng) {
  REQUIRE_SIM_BINARY();
  if (find_executable("gnuplot").empty()) GTEST_SKIP() << "gnuplot not installed";
  TempDir dir("ring-sim");
  const fs::path png = dir.path() / "placement.png";
  std::vector<std::string> args = kThree;
  args.insert(args.end(), {"--generate", "5000", "--add", "127.0.0.1:22104:1", "--fail",
                           "127.0.0.1:22101", "--plot", png.string()});
  const CommandResult r = run_sim(sim, args);
  ASSERT_TRUE(r.ok()) << r.describe();
  const std::string bytes = read_file(png);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

// The simulator against the real proxy: the keys it says live on a backend
// are the keys the proxy put there, and after that backend fails, the proxy
// writes each of them where --show-moves said it would.
class RingSimAgainstProxy : public ClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override {
    return {"--health-interval-ms", "100", "--health-timeout-ms", "100", "--failure-limit", "2",
            "--timeout-ms",         "500", "--hash-tag",          "{}"};
  }

  // "key from -> to" lines of `--fail <backend> --show-moves` over `keys`.
  std::map<std::string, std::pair<std::string, std::string>> predicted_moves(
      const std::string& sim, const fs::path& keys_file, const std::string& failed) {
    std::vector<std::string> args = {"--keys",         keys_file.string(), "--hash-tag", "{}",
                                     "--distribution", "ketama",           "--fail",     failed,
                                     "--show-moves"};
    for (const BackendAddress& b : backend_addresses()) {
      args.push_back("--backend");
      args.push_back(b.to_string());
    }
    const CommandResult r = run_sim(sim, args);
    EXPECT_TRUE(r.ok()) << r.describe();
    std::map<std::string, std::pair<std::string, std::string>> moves;
    for (const std::string& line : lines_of(r.out)) {
      if (line.empty() || line[0] == '#') continue;
      const std::vector<std::string> f = split(line, ' ');
      if (f.size() == 4) moves[f[0]] = {f[1], f[3]};
    }
    return moves;
  }

  size_t index_of(const std::string& address) {
    for (size_t i = 0; i < backends_.size(); ++i) {
      if (backend(i).address() == address) return i;
    }
    ADD_FAILURE() << "no backend " << address;
    return 0;
  }
};

TEST_F(RingSimAgainstProxy, PredictsPlacementAndFailover) {
  REQUIRE_SIM_BINARY();
  TempDir dir("ring-sim");
  const fs::path keys_file = dir.path() / "keys.txt";
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("user:" + std::to_string(i));
  for (int i = 0; i < 20; ++i) keys.push_back("{cart" + std::to_string(i) + "}:items");
  {
    std::ofstream out(keys_file);
    for (const std::string& k : keys) out << k << "\n";
  }
  Client c = proxy_client();
  for (const std::string& k : keys) ASSERT_EQ(c.command({"SET", k, "v"}), Reply::make_status("OK"));

  // Placement: for each backend, the keys predicted to leave it on failure are
  // exactly the keys it holds.
  std::map<std::string, std::pair<std::string, std::string>> fail1;
  for (size_t b = 0; b < backends_.size(); ++b) {
    const auto moves = predicted_moves(sim, keys_file, backend(b).address());
    if (b == 1) fail1 = moves;
    for (const std::string& k : keys) {
      const bool on_b = backends_holding(k) == std::vector<size_t>{b};
      const auto it = moves.find(k);
      EXPECT_EQ(on_b, it != moves.end()) << k << " backend " << b;
      if (it != moves.end()) {
        EXPECT_EQ(it->second.first, backend(b).address()) << k;
      }
    }
  }
  ASSERT_FALSE(fail1.empty());

  // Failover: stop backend 1; once the proxy has ejected it, each of its keys
  // is written to the backend the simulator named.
  backend(1).stop();
  const std::string probe = fail1.begin()->first;
  ASSERT_TRUE(wait_until(
      [&] {
        return c.command({"SET", probe, "w"}) == Reply::make_status("OK");
      },
      Duration(15000), Duration(50)))
      << "the proxy never ejected backend 1\n"
      << proxy().log_tail();
  for (const auto& [key, move] : fail1) {
    ASSERT_EQ(c.command({"SET", key, "w"}), Reply::make_status("OK")) << key;
    EXPECT_EQ(backends_holding(key), std::vector<size_t>{index_of(move.second)}) << key;
  }
}

}  // namespace
}  // namespace ringproxy::testing
