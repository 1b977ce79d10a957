// --etcd: the pool's members come from etcd (cluster/etcd_membership.hpp).
// The first read happens before the ring is built, so a proxy starts with
// etcd's members; if etcd cannot be read then, the configured backends (if
// any) serve until it can, else the proxy refuses to start. Every later
// change goes through apply_membership, as PROXY ADD and SIGHUP do without
// --etcd; with it, those write to etcd (etcd_ring_admin.hpp) and a SIGHUP
// leaves the membership alone (config_reload.cpp).
#include <stdexcept>

#include "ringproxy/cluster/etcd_membership.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/options/option_parser.hpp"
#include "ringproxy/proxy/proxy.hpp"

namespace ringproxy {

std::string Proxy::start_etcd() {
  try {
    return read_etcd_members();
  } catch (...) {
    // The constructor fails: no destructor will close the loop, so close it
    // here, with the handles opened so far.
    etcd_.reset();
    sockets_.reset();
    flusher_.reset();
    uv_run(loop_, UV_RUN_DEFAULT);
    uv_loop_close(loop_);
    loop_ = nullptr;
    throw;
  }
}

std::string Proxy::read_etcd_members() {
  EtcdOptions o;
  try {
    o.endpoints = parse_etcd_endpoints(config_.etcd);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("--etcd: ") + e.what());
  }
  o.user = config_.etcd_user;
  o.password = config_.etcd_password;
  o.tls.ca_file = config_.etcd_ca_file;
  o.tls.cert_file = config_.etcd_cert_file;
  o.tls.key_file = config_.etcd_key_file;
  const std::string prefix = config_.etcd_prefix.empty()
                                 ? default_etcd_prefix(effective_pool_name(config_))
                                 : config_.etcd_prefix;
  etcd_ = std::make_unique<EtcdMembership>(
      loop_, std::move(o), prefix, [this](std::vector<BackendSpec> members, std::string source) {
        apply_membership(std::move(members), std::move(source));
      });
  etcd_->start();
  const bool read = etcd_->wait_first_read();
  const std::string where =
      backends_key_prefix(etcd_->prefix()) + " in etcd (" + config_.etcd + ")";
  if (read && !etcd_->members().empty()) {
    Config next = config_;
    next.backends = etcd_->members();
    if (const auto problem = find_problem(next)) {
      throw std::runtime_error(
          "the members under " + where +
          " are refused: " + (problem->value.empty() ? "" : problem->value + ": ") + problem->why);
    }
    config_.backends = std::move(next.backends);
    log(LogLevel::kInfo, "etcd: ", config_.backends.size(), " backends under ", where,
        " at revision ", etcd_->revision());
    return etcd_->source(etcd_->revision());
  }
  const std::string why =
      read ? "no backends there yet" : "cannot read it: " + etcd_->client_state().last_error;
  if (config_.backends.empty()) {
    throw std::runtime_error("no backends: " + where + ": " + why +
                             "; give --backend to start with until etcd has members");
  }
  log(LogLevel::kWarn, "etcd: ", where, ": ", why, "; serving the ", config_.backends.size(),
      " configured backends until etcd has members");
  return "config (etcd not read yet)";
}

}  // namespace ringproxy
