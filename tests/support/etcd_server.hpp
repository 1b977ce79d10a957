// A real etcd for tests, next to RedisServer in the harness (harness.hpp):
// a single-member cluster on two free loopback ports (client, peer) with its
// own temp data dir, ready (GET /health answers {"health":"true"}) when start
// returns, stopped and removed on destruction. The data dir survives
// kill9()/stop(), so start() brings back the same store (revisions,
// leases, users), and start_on() brings it back on another client port, where
// clients that only know the old port cannot reach it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {

// $ETCD, else etcd on PATH or /usr/bin/etcd. Throws HarnessError when missing.
std::string etcd_binary();
std::string etcdctl_binary();

struct EtcdTlsFiles {
  std::filesystem::path ca_cert;      // CA that signed both certificates
  std::filesystem::path server_cert;  // for 127.0.0.1
  std::filesystem::path server_key;
  std::filesystem::path client_cert;
  std::filesystem::path client_key;
};
// A throwaway CA, a server certificate for IP 127.0.0.1 and a client
// certificate, made with the openssl command in `dir` (EC P-256: fast).
EtcdTlsFiles make_test_certificates(const std::filesystem::path& dir);

struct EtcdServerOptions {
  std::vector<std::string> extra_args{};  // e.g. {"--auth-token-ttl", "2"}
  // Serve clients over https and require client certificates.
  const EtcdTlsFiles* tls = nullptr;
};

class EtcdServer {
 public:
  explicit EtcdServer(EtcdServerOptions options = {});
  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  uint16_t client_port() const { return client_port_; }
  std::string url() const;  // http(s)://127.0.0.1:<client port>
  pid_t pid() const { return process_.pid(); }
  bool running() { return process_.running(); }
  std::filesystem::path dir() const { return dir_.path(); }
  std::string log() const { return read_file(dir_.path() / "etcd.log"); }

  ExitStatus stop(Duration grace = kDefaultStopGrace) { return process_.stop(grace); }
  ExitStatus kill9() { return process_.kill9(); }
  // SIGSTOP, returning once the kernel reports every thread stopped (it keeps
  // accepting connections and answers nothing); sigcont() undoes it.
  void sigstop();
  void sigcont();
  // Starts it again (stopping it first if needed) on the same ports and data,
  // and waits until it is ready.
  void start() { start_on(client_port_); }
  // The same on another client port (the peer port stays).
  void start_on(uint16_t client_port);

  // etcdctl against this server (and the user set by use_etcdctl_user).
  CommandResult etcdctl(const std::vector<std::string>& args) const;
  // Runs etcdctl and throws HarnessError (with its output) when it fails;
  // returns stdout.
  std::string etcdctl_ok(const std::vector<std::string>& args) const;
  void use_etcdctl_user(std::string user_colon_password) { user_ = std::move(user_colon_password); }

 private:
  bool healthy() const;

  EtcdServerOptions options_;
  TempDir dir_;
  uint16_t client_port_ = 0;
  uint16_t peer_port_ = 0;
  std::string user_;
  ChildProcess process_;
};

}  // namespace ringproxy::testing
