// Checks that involve more than one value (a backend list with unique ring names, weights the
// distribution can honour); single values are checked by their codecs in the
// option table.
#include "ringproxy/options/config.hpp"

#include "ringproxy/options/option_parser.hpp"

namespace ringproxy {

namespace {

constexpr size_t kMaxBackends = 1024;

}  // namespace

std::optional<ConfigProblem> find_problem(const Config& c) {
  if (c.backends.empty() && c.etcd.empty()) {
    return ConfigProblem{"", "",
                         "no backends: give at least one --backend \"HOST:PORT[:WEIGHT] [NAME]\""};
  }
  if (c.backends.size() > kMaxBackends) {
    return ConfigProblem{"backend", std::to_string(c.backends.size()),
                         "at most " + std::to_string(kMaxBackends) + " backends"};
  }
  for (size_t i = 0; i < c.backends.size(); ++i) {
    for (size_t j = i + 1; j < c.backends.size(); ++j) {
      if (c.backends[i].ring_name == c.backends[j].ring_name) {
        return ConfigProblem{"backend", c.backends[j].ring_name,
                             "duplicate server (same name or host:port)", j};
      }
    }
  }
  if (c.distribution == DistributionKind::kJump) {
    for (const BackendSpec& b : c.backends) {
      if (b.weight != 1) {
        return ConfigProblem{"distribution", "jump",
                             "jump hashing has no weights, but backend " + b.ring_name +
                                 " has weight " + std::to_string(b.weight)};
      }
    }
  }
  if (c.client_output_hard_limit != 0 && c.client_output_hard_limit < c.client_output_limit) {
    return ConfigProblem{
        "client-output-hard-limit", std::to_string(c.client_output_hard_limit),
        "must be at least --client-output-limit (" + std::to_string(c.client_output_limit) + ")"};
  }
  if (c.etcd_cert_file.empty() != c.etcd_key_file.empty()) {
    return c.etcd_cert_file.empty()
               ? ConfigProblem{"etcd-key-file", c.etcd_key_file, "needs --etcd-cert-file"}
               : ConfigProblem{"etcd-cert-file", c.etcd_cert_file, "needs --etcd-key-file"};
  }
  if (!c.hash_tag.empty() && c.hash_tag.size() != 2) {
    return ConfigProblem{"hash-tag", c.hash_tag, "must be exactly two characters"};
  }
  return std::nullopt;
}

void validate(const Config& config) {
  const auto problem = find_problem(config);
  if (!problem) return;
  if (problem->option.empty()) throw ConfigError(problem->why);
  throw ConfigError("invalid value '" + problem->value + "' for option '--" + problem->option +
                    "': " + problem->why);
}

}  // namespace ringproxy
