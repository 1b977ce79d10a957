// What the proxy does with each signal an operator sends. nutcracker's
// habits where it has them:
//
//   SIGHUP        reopen the log file (then reload the configuration)
//   SIGUSR1       reopen the log file only (what conf/logrotate sends)
//   SIGTTIN       one log level more verbose; SIGTTOU one less
//   SIGTERM/INT   stop accepting, let requests in flight finish (at most
//                 --shutdown-timeout-ms), exit 0; a second one exits at once
//   SIGUSR2       logged and ignored
//   SIGWINCH      logged at debug and ignored (a terminal resize)
//   SIGPIPE       ignored (main), so a closed socket is only an EPIPE
//
// Each is logged by name, so no signal an operator commonly sends kills the
// proxy silently.
#include <algorithm>
#include <string>

#include "ringproxy/common/log.hpp"
#include "ringproxy/proxy/proxy.hpp"

namespace ringproxy {

void Proxy::watch_signals() {
  signals_ = std::make_unique<SignalWatcher>(
      loop_,
      std::initializer_list<int>{SIGHUP, SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU, SIGWINCH, SIGINT,
                                 SIGTERM},
      [this](int signum) { on_signal(signum); });
}

void Proxy::on_signal(int signum) {
  const std::string name = signal_name(signum);
  switch (signum) {
    case SIGHUP:
      log(LogLevel::kInfo, name, " received: reopening the log file");
      on_hangup();
      break;
    case SIGUSR1:
      log(LogLevel::kInfo, name, " received: reopening the log file");
      reopen_log();
      break;
    case SIGTTIN:
    case SIGTTOU: {
      const int now = static_cast<int>(log_level());
      const int next = signum == SIGTTIN ? std::min(now + 1, static_cast<int>(LogLevel::kDebug))
                                         : std::max(now - 1, static_cast<int>(LogLevel::kError));
      set_log_level(static_cast<LogLevel>(next));
      // Shown at any new level: at info, or at the new level when it is less
      // verbose than info.
      log(static_cast<LogLevel>(std::min(next, static_cast<int>(LogLevel::kInfo))), name,
          " received: log level ", log_level_name(static_cast<LogLevel>(now)), " -> ",
          log_level_name(static_cast<LogLevel>(next)));
      break;
    }
    case SIGINT:
    case SIGTERM:
      if (draining_) {
        log(LogLevel::kWarn, name, " received again: exiting now");
        stop();
      } else {
        begin_shutdown(name);
      }
      break;
    case SIGWINCH:
      log(LogLevel::kDebug, name, " received: ignored");
      break;
    default:
      log(LogLevel::kInfo, name, " received: ignored (SIGUSR1 reopens the log file)");
      break;
  }
}

void Proxy::on_hangup() {
  reopen_log();
  reload_config();  // config_reload.cpp
}

void Proxy::reopen_log() {
  if (config_.log_file.empty()) {
    log(LogLevel::kInfo, "no --log-file: logging to stderr, nothing to reopen");
    return;
  }
  const int rc = open_log_file(config_.log_file);
  if (rc < 0) {
    log(LogLevel::kError, "cannot reopen log file ", config_.log_file, ": ", uv_strerror(rc),
        " (still writing to the old one)");
  } else {
    log(LogLevel::kInfo, "log file ", config_.log_file, " reopened");
  }
}

void Proxy::begin_shutdown(std::string_view why) {
  if (stopping_ || draining_) return;
  draining_ = true;
  drain_deadline_ms_ = uv_now(loop_) + static_cast<uint64_t>(config_.shutdown_timeout_ms);
  listener_.reset();
  log(LogLevel::kInfo, why, " received: shutting down; no new connections, ", clients_.size(),
      " clients finish their requests in flight (at most ", config_.shutdown_timeout_ms,
      " ms; send it again to exit now)");
  // Each client stops reading and closes once the replies it is owed are out.
  std::vector<ClientConnection*> clients = clients_;
  for (ClientConnection* c : clients) c->close_after_replies();
  check_drained();
}

void Proxy::check_drained() {
  if (!draining_ || stopping_) return;
  if (clients_.empty()) {
    log(LogLevel::kInfo, "every client is done: exiting");
    stop();
  } else if (uv_now(loop_) >= drain_deadline_ms_) {
    size_t owed = 0;
    for (const ClientConnection* c : clients_) owed += c->pending_requests();
    log(LogLevel::kWarn, "--shutdown-timeout-ms (", config_.shutdown_timeout_ms,
        ") passed: closing ", clients_.size(), " clients with ", owed,
        " requests still unanswered");
    stop();
  }
}

}  // namespace ringproxy
