// See etcd_server.hpp.
#include "etcd_server.hpp"

#include <curl/curl.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>

namespace ringproxy::testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string find_program(const char* env, const char* name) {
  if (const char* v = std::getenv(env); v != nullptr && *v != '\0') return v;
  std::string found = find_executable(name);
  if (found.empty() && fs::exists(std::string("/usr/bin/") + name))
    found = std::string("/usr/bin/") + name;
  if (found.empty())
    throw HarnessError(std::string(name) + " not found (apt install etcd-server etcd-client)");
  return found;
}

// /proc/<pid>/stat state letter ('R', 'S', 'T' ...), 0 when unreadable.
char process_state(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return 0;
  return stat[close_paren + 2];
}

size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

std::string etcd_binary() {
  return find_program("ETCD", "etcd");
}

std::string etcdctl_binary() {
  return find_program("ETCDCTL", "etcdctl");
}

EtcdTlsFiles make_test_certificates(const fs::path& dir) {
  EtcdTlsFiles f{dir / "ca.pem", dir / "server.pem", dir / "server-key.pem", dir / "client.pem",
                 dir / "client-key.pem"};
  auto run = [&](const std::vector<std::string>& argv) {
    CommandResult r = run_command(argv, RunOptions{Duration(30000)});
    if (!r.ok()) throw HarnessError("openssl failed: " + r.describe());
  };
  const std::string ec = "ec", curve = "ec_paramgen_curve:prime256v1";
  run({"openssl", "req", "-x509", "-newkey", ec, "-pkeyopt", curve, "-nodes", "-days", "2", "-subj",
       "/CN=ringproxy test CA", "-keyout", (dir / "ca-key.pem").string(), "-out",
       f.ca_cert.string()});
  auto issue = [&](const std::string& name, const fs::path& cert, const fs::path& key,
                   const std::string& extensions) {
    fs::path csr = dir / (name + ".csr"), ext = dir / (name + ".ext");
    std::ofstream(ext) << extensions;
    run({"openssl", "req", "-newkey", ec, "-pkeyopt", curve, "-nodes", "-subj", "/CN=" + name,
         "-keyout", key.string(), "-out", csr.string()});
    run({"openssl", "x509", "-req", "-in", csr.string(), "-CA", f.ca_cert.string(), "-CAkey",
         (dir / "ca-key.pem").string(), "-CAcreateserial", "-days", "2", "-extfile", ext.string(),
         "-out", cert.string()});
  };
  issue("server", f.server_cert, f.server_key,
        // etcd's gateway dials its own gRPC server with the server certificate,
        // so that one must be good for client authentication too.
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
  issue("client", f.client_cert, f.client_key, "extendedKeyUsage=clientAuth\n");
  return f;
}

EtcdServer::EtcdServer(EtcdServerOptions options)
    : options_(std::move(options)), dir_("ringproxy-etcd") {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    client_port_ = free_port();
    peer_port_ = free_port();
    try {
      start_on(client_port_);
      return;
    } catch (const HarnessError&) {
      // Another process took a port between free_port() and bind().
      bool in_use = log().find("address already in use") != std::string::npos;
      if (!in_use || attempt == kAttempts) throw;
      process_.stop();
      std::error_code ec;
      fs::remove_all(dir_.path() / "data", ec);
    }
  }
}

EtcdServer::~EtcdServer() {
  process_.stop();
}

std::string EtcdServer::url() const {
  return std::string(options_.tls != nullptr ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(client_port_);
}

void EtcdServer::start_on(uint16_t client_port) {
  process_.stop();
  client_port_ = client_port;
  std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> argv = {
      etcd_binary(), "--name=test", "--data-dir=" + (dir_.path() / "data").string(),
      "--listen-client-urls=" + url(), "--advertise-client-urls=" + url(),
      "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
      "--initial-cluster=test=" + peer,
      // A single member elects itself at once.
      "--heartbeat-interval=10", "--election-timeout=100"};
  if (options_.tls != nullptr) {
    argv.push_back("--cert-file=" + options_.tls->server_cert.string());
    argv.push_back("--key-file=" + options_.tls->server_key.string());
    argv.push_back("--trusted-ca-file=" + options_.tls->ca_cert.string());
    argv.push_back("--client-cert-auth=true");
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  {
    std::ofstream marker(dir_.path() / "etcd.log", std::ios::app);
    marker << "=== harness: starting etcd on client port " << client_port << "\n";
  }
  process_ = ChildProcess(argv, dir_.path() / "etcd.log");
  auto deadline = Clock::now() + Duration(20000);
  while (!healthy()) {
    if (!process_.running()) {
      throw HarnessError("etcd " + process_.exit_status()->describe() + " before it was ready:\n" +
                         tail_lines(log(), 30));
    }
    if (Clock::now() >= deadline) {
      process_.kill9();
      throw HarnessError("etcd not ready within 20 s:\n" + tail_lines(log(), 30));
    }
    std::this_thread::sleep_for(Duration(10));
  }
}

bool EtcdServer::healthy() const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), &curl_easy_cleanup);
  if (!easy) return false;
  std::string body;
  std::string target = url() + "/health";
  curl_easy_setopt(easy.get(), CURLOPT_URL, target.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, 1000L);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &body);
  if (options_.tls != nullptr) {
    curl_easy_setopt(easy.get(), CURLOPT_CAINFO, options_.tls->ca_cert.c_str());
    curl_easy_setopt(easy.get(), CURLOPT_SSLCERT, options_.tls->client_cert.c_str());
    curl_easy_setopt(easy.get(), CURLOPT_SSLKEY, options_.tls->client_key.c_str());
  }
  return curl_easy_perform(easy.get()) == CURLE_OK &&
         body.find("\"health\":\"true\"") != std::string::npos;
}

void EtcdServer::sigstop() {
  process_.signal(SIGSTOP);
  if (!wait_until([this] { return process_state(pid()) == 'T'; }, Duration(5000), Duration(1))) {
    throw HarnessError("etcd did not stop on SIGSTOP");
  }
}

void EtcdServer::sigcont() {
  process_.signal(SIGCONT);
  if (!wait_until([this] { return process_state(pid()) != 'T'; }, Duration(5000), Duration(1))) {
    throw HarnessError("etcd did not continue on SIGCONT");
  }
}

CommandResult EtcdServer::etcdctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {etcdctl_binary(), "--endpoints=" + url(),
                                   "--command-timeout=10s"};
  if (!user_.empty()) argv.push_back("--user=" + user_);
  if (options_.tls != nullptr) {
    argv.push_back("--cacert=" + options_.tls->ca_cert.string());
    argv.push_back("--cert=" + options_.tls->client_cert.string());
    argv.push_back("--key=" + options_.tls->client_key.string());
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, RunOptions{Duration(30000), {}, {"ETCDCTL_API=3"}});
}

std::string EtcdServer::etcdctl_ok(const std::vector<std::string>& args) const {
  CommandResult r = etcdctl(args);
  if (!r.ok()) {
    std::string what;
    for (const auto& a : args) what += " " + a;
    throw HarnessError("etcdctl" + what + ": " + r.describe());
  }
  return r.out;
}

}  // namespace ringproxy::testing
