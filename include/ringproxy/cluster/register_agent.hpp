// `ringproxy register`: the agent that runs beside one redis-server and keeps
// it in the pool's membership in etcd while it answers.
//
// It PINGs the server (with AUTH when a password is given) every
// --check-interval-ms. Once the server has answered --rise probes in a row it
// puts <prefix>/backends/<name> = host:port:weight under a lease of --ttl
// seconds and renews the lease every ttl/3. After --failure-limit failed
// probes in a row it revokes the lease, so the key leaves every proxy's ring
// at once; it registers again when the server answers again. If the agent
// itself dies (kill -9, host down) the renewals stop and etcd deletes the key
// when the lease expires. SIGINT/SIGTERM revoke the lease and exit 0.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ringproxy/cluster/etcd_types.hpp"
#include "ringproxy/placement/backend_spec.hpp"

namespace ringproxy {

struct RegisterOptions {
  EtcdOptions etcd;
  std::string prefix;   // normalized; default /ringproxy/<pool name>
  BackendSpec backend;  // name set: the key's last element
  std::string backend_password;
  int64_t ttl_s = 10;
  int check_interval_ms = 1000;
  int check_timeout_ms = 1000;
  int failure_limit = 3;
  int rise = 2;
  std::string log_level = "info";
  bool help = false;
};

// Reads `ringproxy register ...` (argv[1] is "register"). Passwords may come
// from RINGPROXY_ETCD_PASSWORD and RINGPROXY_BACKEND_PASSWORD (looked up with
// `getenv`) instead of the command line, which other users can read. Throws
// std::invalid_argument with one line naming the option and the problem.
RegisterOptions parse_register_options(int argc, const char* const* argv,
                                       const std::function<const char*(const char*)>& getenv);
std::string register_help_text();

class EtcdClient;
class HealthChecker;
class LeasedKey;

// The agent on a loop: health checks drive the leased key.
class RegisterAgent {
 public:
  RegisterAgent(uv_loop_t* loop, const RegisterOptions& options);
  ~RegisterAgent();
  RegisterAgent(const RegisterAgent&) = delete;
  RegisterAgent& operator=(const RegisterAgent&) = delete;

  void start();
  // Stops checking, revokes the lease; `done` runs once etcd answered (or the
  // revoke failed).
  void stop(std::function<void()> done);
  bool registered() const;
  const std::string& key() const { return key_; }

 private:
  std::string key_;
  std::string address_;
  std::unique_ptr<EtcdClient> client_;
  std::unique_ptr<LeasedKey> leased_;
  std::unique_ptr<HealthChecker> health_;
};

// The program: returns the exit status (0 after SIGINT/SIGTERM, 2 for bad
// options, 1 when it cannot run).
int run_register_agent(int argc, char** argv);

}  // namespace ringproxy
