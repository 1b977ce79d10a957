// The pools of one process; see proxy_group.hpp.
#include "ringproxy/proxy/proxy_group.hpp"

#include <algorithm>
#include <csignal>
#include <exception>
#include <string>

#include "ringproxy/common/log.hpp"

namespace ringproxy {

ProxyGroup::ProxyGroup(std::vector<PoolCommandLine> pools) : loop_(std::make_unique<uv_loop_t>()) {
  uv_loop_init(loop_.get());
  try {
    for (PoolCommandLine& p : pools) {
      names_.push_back(p.name);
      auto proxy = std::make_unique<Proxy>(std::move(p.config), loop_.get());
      proxy->set_command_line(std::move(p.args));
      proxy->set_stop_hook([this] { pool_stopped(); });
      proxies_.push_back(std::move(proxy));
    }
  } catch (...) {
    close();
    throw;
  }
}

ProxyGroup::~ProxyGroup() {
  close();
}

void ProxyGroup::listen() {
  for (auto& p : proxies_) p->listen();
}

void ProxyGroup::run() {
  start_ms_ = uv_now(loop_.get());
  for (auto& p : proxies_) p->start();
  signals_ = Proxy::watch_operator_signals(loop_.get(), [this](int signum) { on_signal(signum); });
  exporters_ = std::make_unique<stats::Exporters>(loop_.get(), exporter_options(config()),
                                                  [this] { return build_snapshot(); });
  std::string names;
  for (const std::string& n : names_) names.append(names.empty() ? "" : ", ").append(n);
  log(LogLevel::kInfo, names_.size(), " pools of ", config().twemproxy_config,
      " running in one process: ", names);
  uv_run(loop_.get(), UV_RUN_DEFAULT);
  close();
}

void ProxyGroup::stop() {
  for (auto& p : proxies_) p->stop();
  stop_shared();
}

void ProxyGroup::stop_shared() {
  signals_.reset();
  exporters_.reset();
}

void ProxyGroup::pool_stopped() {
  // The signals and the exporters keep the loop running until the last pool
  // is done.
  if (std::all_of(proxies_.begin(), proxies_.end(), [](const auto& p) { return p->stopping(); })) {
    if (signals_) log(LogLevel::kInfo, "every pool is done: exiting");
    stop_shared();
  }
}

void ProxyGroup::close() {
  if (!loop_) return;
  stop();
  uv_run(loop_.get(), UV_RUN_DEFAULT);
  for (auto& p : proxies_) p->release_handles();
  uv_run(loop_.get(), UV_RUN_DEFAULT);
  proxies_.clear();
  uv_loop_close(loop_.get());
  loop_.reset();
}

void ProxyGroup::on_signal(int signum) {
  const std::string name = signal_name(signum);
  switch (signum) {
    case SIGHUP:
      log(LogLevel::kInfo, name, " received: reopening the log file");
      proxies_.front()->reopen_log();
      reload();
      break;
    case SIGINT:
    case SIGTERM:
      if (std::any_of(proxies_.begin(), proxies_.end(),
                      [](const auto& p) { return p->draining(); })) {
        log(LogLevel::kWarn, name, " received again: exiting now");
        stop();
      } else {
        for (auto& p : proxies_) p->begin_shutdown(name);
      }
      break;
    default:
      // The log file and the log level are the process's: one pool's
      // handler acts for all.
      proxies_.front()->on_signal(signum);
      break;
  }
}

void ProxyGroup::reload() {
  const std::string& file = config().twemproxy_config;
  std::vector<TwemproxyPool> listed;
  try {
    listed = list_twemproxy_pools(file);
  } catch (const std::exception& e) {
    log(LogLevel::kError, "reload failed, the running configuration is unchanged: ", e.what());
    return;
  }
  std::vector<std::string> in_file;
  for (const TwemproxyPool& p : listed) {
    if (p.redis) in_file.push_back(p.name);
  }
  auto has = [](const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  for (const std::string& n : in_file) {
    if (!has(names_, n)) {
      log(LogLevel::kWarn, "reload: pool ", n, " is new in ", file,
          ": adding a pool needs a restart; it is not started");
    }
  }
  for (size_t i = 0; i < proxies_.size(); ++i) {
    if (!has(in_file, names_[i])) {
      log(LogLevel::kWarn, "reload: pool ", names_[i], " is no longer a redis pool of ", file,
          ": removing a pool needs a restart; it keeps running as loaded");
      continue;
    }
    proxies_[i]->reload_config();
  }
}

stats::StatsSnapshot ProxyGroup::build_snapshot() const {
  stats::StatsSnapshot all;
  for (size_t i = 0; i < proxies_.size(); ++i) {
    const Proxy& proxy = *proxies_[i];
    stats::StatsSnapshot one = proxy.metrics().build_snapshot(proxy);
    if (i == 0) {
      all.source = one.source;
      all.version = one.version;
      all.taken_at_ms = one.taken_at_ms;
    }
    all.proxy.total_connections += one.proxy.total_connections;
    all.curr_connections += one.curr_connections;
    for (stats::PoolSnapshot& pool : one.pools) all.pools.push_back(std::move(pool));
    for (stats::CommandSnapshot& c : one.commands) {
      c.pool = names_[i];
      all.commands.push_back(std::move(c));
    }
  }
  all.start_time_ms = all.taken_at_ms - (uv_now(loop_.get()) - start_ms_);
  return all;
}

}  // namespace ringproxy
