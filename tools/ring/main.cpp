// ringproxy-ring: the placement simulator. This file only turns options into a
// sim::Request; the work is in ring_simulator.cpp.
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "ring_simulator.hpp"
#include "ringproxy/options/config.hpp"

namespace po = boost::program_options;
using namespace ringproxy;

namespace {

constexpr size_t kDefaultKeyCount = 100000;

po::options_description describe() {
  po::options_description pool("Pool (the same sources as ringproxy)");
  pool.add_options()(
      "backend,b", po::value<std::vector<std::string>>(),
      "a backend, \"HOST:PORT[:WEIGHT] [NAME]\"; repeat for each (replaces the files' list)")(
      "config,c", po::value<std::string>(), "read the pool from a ringproxy config file")(
      "twemproxy-config", po::value<std::string>(), "read the pool from a twemproxy YAML file")(
      "pool", po::value<std::string>(), "pool of --twemproxy-config (default: the only one)")(
      "hash", po::value<std::string>(),
      "hash(es) to compare: a name, a comma-separated list, or all (default: the pool's, murmur "
      "unless a file says otherwise)")("hash-tag", po::value<std::string>(),
                                       "two characters delimiting the hashed part, e.g. {}")(
      "distribution", po::value<std::string>(),
      "ketama, modula, rendezvous, jump, maglev: one, a comma-separated list, or all (default)");
  po::options_description keys("Keys");
  keys.add_options()("keys", po::value<std::string>(),
                     "read keys from FILE, one per line (- for stdin)")(
      "generate", po::value<size_t>(), "generate N keys (default 100000 when --keys is not given)")(
      "pattern", po::value<std::string>(),
      "generated keys: each {i} becomes the key number (default \"user:{i}\"), or \"random\"")(
      "start", po::value<uint64_t>(), "first key number for {i} (default 1)")(
      "seed", po::value<uint64_t>(), "seed of the random keys (default 1)");
  po::options_description changes("Changes (each one is simulated separately, in order)");
  changes.add_options()("add", po::value<std::vector<std::string>>(),
                        "a backend joins: \"HOST:PORT[:WEIGHT] [NAME]\"")(
      "remove", po::value<std::vector<std::string>>(),
      "NAME or HOST:PORT leaves the config (every distribution rebuilt without it)")(
      "fail", po::value<std::vector<std::string>>(),
      "NAME or HOST:PORT fails (marked down, as failover does)")(
      "reweight", po::value<std::vector<std::string>>(),
      "\"NAME WEIGHT\": the backend's weight changes (every distribution rebuilt)");
  po::options_description output("Output");
  output.add_options()("show-moves",
                       "list the keys that move instead of the tables: \"key old -> new\" lines")(
      "csv", "CSV instead of aligned tables")("plot", po::value<std::string>(),
                                              "also draw FILE.png with gnuplot")(
      "help,h", "print this help and exit");
  po::options_description all;
  all.add(pool).add(keys).add(changes).add(output);
  return all;
}

void usage(std::ostream& out, const po::options_description& desc) {
  out << "Usage: ringproxy-ring [options]\n"
         "Simulates ringproxy's key placement: load balance per distribution, and the keys\n"
         "that move when a backend is added, removed, reweighted or fails.\n\n"
         "Examples:\n"
         "  ringproxy-ring -b 10.0.0.1:6379 -b 10.0.0.2:6379 -b 10.0.0.3:6379 --add 10.0.0.4:6379\n"
         "  ringproxy-ring --config conf/demo.conf --keys keys.txt --fail 127.0.0.1:7002\n"
         "  ringproxy-ring --twemproxy-config nutcracker.yml --hash fnv1a_64,murmur "
         "--distribution ketama\n"
         "  ringproxy-ring -c my.conf --keys keys.txt --add 10.0.0.9:6379 --distribution ketama "
         "--show-moves\n\n"
      << desc;
}

}  // namespace

int main(int argc, char** argv) {
  const po::options_description desc = describe();
  po::variables_map vm;
  po::parsed_options parsed(&desc);
  try {
    parsed = po::command_line_parser(argc, argv).options(desc).run();
    po::store(parsed, vm);
  } catch (const po::error& e) {
    std::cerr << "ringproxy-ring: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    usage(std::cout, desc);
    return 0;
  }

  sim::Request request;
  std::string plot;
  bool show_moves = vm.count("show-moves") > 0;
  bool csv = vm.count("csv") > 0;
  try {
    sim::PoolSource source;
    if (vm.count("config")) source.config_path = vm["config"].as<std::string>();
    if (vm.count("twemproxy-config")) {
      source.twemproxy_config_path = vm["twemproxy-config"].as<std::string>();
    }
    if (vm.count("pool")) source.pool = vm["pool"].as<std::string>();
    if (vm.count("backend")) source.backends = vm["backend"].as<std::vector<std::string>>();
    if (vm.count("hash-tag")) source.hash_tag = vm["hash-tag"].as<std::string>();
    request.pool = sim::load_pool(source);
    if (vm.count("hash")) request.hashes = sim::parse_hash_list(vm["hash"].as<std::string>());
    if (vm.count("distribution")) {
      request.distributions = sim::parse_distribution_list(vm["distribution"].as<std::string>());
    }

    if (vm.count("keys")) {
      if (vm.count("generate") || vm.count("pattern") || vm.count("start") || vm.count("seed")) {
        throw std::invalid_argument(
            "--keys cannot be combined with --generate/--pattern/--start/--seed");
      }
      const std::string path = vm["keys"].as<std::string>();
      if (path == "-") {
        request.keys = sim::read_keys(std::cin);
        request.key_source = "from stdin";
      } else {
        std::ifstream in(path);
        if (!in) throw std::invalid_argument("--keys '" + path + "': cannot open file");
        request.keys = sim::read_keys(in);
        request.key_source = "from " + path;
      }
    } else {
      const size_t count = vm.count("generate") ? vm["generate"].as<size_t>() : kDefaultKeyCount;
      const std::string pattern =
          vm.count("pattern") ? vm["pattern"].as<std::string>() : std::string(sim::kDefaultPattern);
      const uint64_t start = vm.count("start") ? vm["start"].as<uint64_t>() : 1;
      const uint64_t seed = vm.count("seed") ? vm["seed"].as<uint64_t>() : 1;
      request.keys = sim::generate_keys(count, pattern, start, seed);
      if (pattern == sim::kRandomPattern) {
        request.key_source = "random (seed " + std::to_string(seed) + ")";
      } else {
        request.key_source = "generated from \"" + pattern + "\", i = " + std::to_string(start) +
                             ".." + std::to_string(start + count - 1);
      }
    }
    if (request.keys.empty()) throw std::invalid_argument("no keys to place");

    // Changes in command-line order.
    for (const po::option& o : parsed.options) {
      sim::ChangeKind kind;
      if (o.string_key == "add") {
        kind = sim::ChangeKind::kAdd;
      } else if (o.string_key == "remove") {
        kind = sim::ChangeKind::kRemove;
      } else if (o.string_key == "fail") {
        kind = sim::ChangeKind::kFail;
      } else if (o.string_key == "reweight") {
        kind = sim::ChangeKind::kReweight;
      } else {
        continue;
      }
      for (const std::string& v : o.value) request.changes.push_back({kind, v});
    }
    if (show_moves && request.changes.empty()) {
      throw std::invalid_argument(
          "--show-moves needs a change: --add, --remove, --fail or --reweight");
    }
    request.record_moves = show_moves;
    if (vm.count("plot")) plot = vm["plot"].as<std::string>();
  } catch (const std::exception& e) {
    // ConfigError already names the option; the others name theirs too.
    std::cerr << "ringproxy-ring: " << e.what() << "\n";
    return 2;
  }

  try {
    const sim::Report report = sim::simulate(request);
    if (show_moves) {
      sim::write_moves(report, std::cout, csv);
    } else if (csv) {
      sim::write_csv(report, std::cout);
    } else {
      sim::write_table(report, std::cout);
    }
    std::cout.flush();
    if (!plot.empty()) {
      sim::write_plot(report, plot);
      std::cerr << "ringproxy-ring: wrote " << plot << "\n";
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "ringproxy-ring: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ringproxy-ring: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
