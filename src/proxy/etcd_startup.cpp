// --etcd at start-up. See etcd_startup.hpp.
#include "ringproxy/proxy/etcd_startup.hpp"

#include <stdexcept>

#include "ringproxy/common/log.hpp"
#include "ringproxy/options/option_parser.hpp"

namespace ringproxy {

EtcdStart start_etcd_membership(uv_loop_t* loop, Config& config, EtcdMembership::Apply on_change) {
  EtcdOptions o;
  try {
    o.endpoints = parse_etcd_endpoints(config.etcd);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("--etcd: ") + e.what());
  }
  o.user = config.etcd_user;
  o.password = config.etcd_password;
  o.tls.ca_file = config.etcd_ca_file;
  o.tls.cert_file = config.etcd_cert_file;
  o.tls.key_file = config.etcd_key_file;
  const std::string prefix = config.etcd_prefix.empty()
                                 ? default_etcd_prefix(effective_pool_name(config))
                                 : config.etcd_prefix;
  EtcdStart out;
  out.membership =
      std::make_unique<EtcdMembership>(loop, std::move(o), prefix, std::move(on_change));
  EtcdMembership* etcd = out.membership.get();
  etcd->start();
  const bool read = etcd->wait_first_read();
  const std::string where = backends_key_prefix(etcd->prefix()) + " in etcd (" + config.etcd + ")";
  if (read && !etcd->members().empty()) {
    Config next = config;
    next.backends = etcd->members();
    if (const auto problem = find_problem(next)) {
      throw std::runtime_error(
          "the members under " + where +
          " are refused: " + (problem->value.empty() ? "" : problem->value + ": ") + problem->why);
    }
    config.backends = std::move(next.backends);
    log(LogLevel::kInfo, "etcd: ", config.backends.size(), " backends under ", where,
        " at revision ", etcd->revision());
    out.source = etcd->source(etcd->revision());
    return out;
  }
  const std::string why =
      read ? "no backends there yet" : "cannot read it: " + etcd->client_state().last_error;
  if (config.backends.empty()) {
    throw std::runtime_error("no backends: " + where + ": " + why +
                             "; give --backend to start with until etcd has members");
  }
  log(LogLevel::kWarn, "etcd: ", where, ": ", why, "; serving the ", config.backends.size(),
      " configured backends until etcd has members");
  out.source = "config (etcd not read yet)";
  return out;
}

}  // namespace ringproxy
