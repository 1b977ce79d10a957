// See register_agent.hpp.
#include "ringproxy/cluster/register_agent.hpp"

#include <boost/program_options.hpp>
#include <charconv>
#include <csignal>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "ringproxy/cluster/etcd_client.hpp"
#include "ringproxy/cluster/leased_key.hpp"
#include "ringproxy/cluster/membership.hpp"
#include "ringproxy/common/log.hpp"
#include "ringproxy/health/health_checker.hpp"
#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy {
namespace po = boost::program_options;

namespace {

po::options_description describe() {
  po::options_description d("ringproxy register [options]");
  d.add_options()("help,h", "print the options and exit")(
      "etcd", po::value<std::string>(), "etcd endpoints, URL[,URL...] (required)")(
      "etcd-prefix", po::value<std::string>(),
      "membership prefix (default /ringproxy/<pool name>)")(
      "pool-name", po::value<std::string>(),
      "pool name for the default prefix (default ringproxy)")("etcd-user", po::value<std::string>(),
                                                              "etcd user (etcd authentication)")(
      "etcd-password", po::value<std::string>(),
      "etcd password (or environment RINGPROXY_ETCD_PASSWORD)")(
      "etcd-ca-file", po::value<std::string>(), "CA certificate that signed etcd's (https)")(
      "etcd-cert-file", po::value<std::string>(), "client certificate for etcd (https)")(
      "etcd-key-file", po::value<std::string>(), "client certificate's key")(
      "etcd-timeout-ms", po::value<std::string>(), "timeout of each etcd request (default 5000)")(
      "backend", po::value<std::string>(), "the server: host:port[:weight] (required)")(
      "name", po::value<std::string>(),
      "its backend name, the key's last element (default: host:port as written)")(
      "backend-password", po::value<std::string>(),
      "AUTH for the checks (or environment RINGPROXY_BACKEND_PASSWORD)")(
      "ttl", po::value<std::string>(), "lease TTL in seconds (default 10)")(
      "check-interval-ms", po::value<std::string>(), "time between PINGs (default 1000)")(
      "check-timeout-ms", po::value<std::string>(), "a PING slower than this fails (default 1000)")(
      "failure-limit", po::value<std::string>(),
      "failed PINGs in a row that deregister the server (default 3)")(
      "rise", po::value<std::string>(), "answered PINGs in a row that register it (default 2)")(
      "log-level", po::value<std::string>(), "error | warn | info | debug (default info)");
  return d;
}

[[noreturn]] void bad(const std::string& option, const std::string& value, const std::string& why) {
  throw std::invalid_argument("invalid value '" + value + "' for option '--" + option +
                              "': " + why);
}

int64_t integer(const po::variables_map& vm, const char* name, int64_t fallback, int64_t min,
                int64_t max) {
  if (!vm.count(name)) return fallback;
  const auto& text = vm[name].as<std::string>();
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) bad(name, text, "not an integer");
  if (v < min || v > max) {
    bad(name, text, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return v;
}

std::string text(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<std::string>() : std::string();
}

}  // namespace

std::string register_help_text() {
  std::ostringstream os;
  os << "Keeps one redis-server in a ringproxy pool's etcd membership while it answers PING.\n"
     << describe();
  return os.str();
}

RegisterOptions parse_register_options(int argc, const char* const* argv,
                                       const std::function<const char*(const char*)>& getenv) {
  po::variables_map vm;
  std::vector<std::string> args(argv + (argc > 1 ? 2 : argc), argv + argc);
  try {
    po::store(po::command_line_parser(args).options(describe()).run(), vm);
  } catch (const po::error& e) {
    throw std::invalid_argument(e.what());
  }
  RegisterOptions o;
  if (vm.count("help")) {
    o.help = true;
    return o;
  }
  if (!vm.count("etcd")) throw std::invalid_argument("missing option '--etcd'");
  if (!vm.count("backend")) throw std::invalid_argument("missing option '--backend'");
  try {
    o.etcd.endpoints = parse_etcd_endpoints(text(vm, "etcd"));
  } catch (const std::invalid_argument& e) {
    bad("etcd", text(vm, "etcd"), e.what());
  }
  std::string pool = vm.count("pool-name") ? text(vm, "pool-name") : "ringproxy";
  if (pool.empty()) bad("pool-name", pool, "empty");
  o.prefix = normalize_etcd_prefix(vm.count("etcd-prefix") ? text(vm, "etcd-prefix")
                                                           : default_etcd_prefix(pool));
  if (o.prefix.empty()) bad("etcd-prefix", "", "empty");
  o.etcd.user = text(vm, "etcd-user");
  o.etcd.password = text(vm, "etcd-password");
  if (!vm.count("etcd-password")) {
    if (const char* env = getenv("RINGPROXY_ETCD_PASSWORD")) o.etcd.password = env;
  }
  if (!o.etcd.password.empty() && o.etcd.user.empty()) {
    throw std::invalid_argument("an etcd password needs '--etcd-user'");
  }
  o.etcd.tls.ca_file = text(vm, "etcd-ca-file");
  o.etcd.tls.cert_file = text(vm, "etcd-cert-file");
  o.etcd.tls.key_file = text(vm, "etcd-key-file");
  if (o.etcd.tls.cert_file.empty() != o.etcd.tls.key_file.empty()) {
    throw std::invalid_argument("'--etcd-cert-file' and '--etcd-key-file' go together");
  }
  o.etcd.request_timeout_ms =
      static_cast<int>(integer(vm, "etcd-timeout-ms", o.etcd.request_timeout_ms, 1, 3600000));

  std::string spec_text = text(vm, "backend");
  try {
    o.backend = parse_backend_spec(spec_text);
  } catch (const std::invalid_argument& e) {
    bad("backend", spec_text, e.what());
  }
  if (vm.count("name")) {
    if (!o.backend.name.empty()) {
      throw std::invalid_argument(
          "the backend name is given twice ('--backend ... NAME' and '--name')");
    }
    o.backend.name = text(vm, "name");
  }
  if (o.backend.name.empty()) o.backend.name = o.backend.ring_name;
  try {
    check_backend_name(o.backend.name);
  } catch (const std::invalid_argument& e) {
    bad("name", o.backend.name, e.what());
  }
  o.backend_password = text(vm, "backend-password");
  if (!vm.count("backend-password")) {
    if (const char* env = getenv("RINGPROXY_BACKEND_PASSWORD")) o.backend_password = env;
  }
  o.ttl_s = integer(vm, "ttl", o.ttl_s, 1, 24 * 3600);
  o.check_interval_ms =
      static_cast<int>(integer(vm, "check-interval-ms", o.check_interval_ms, 1, 3600000));
  o.check_timeout_ms =
      static_cast<int>(integer(vm, "check-timeout-ms", o.check_timeout_ms, 1, 3600000));
  o.failure_limit = static_cast<int>(integer(vm, "failure-limit", o.failure_limit, 1, 1000000));
  o.rise = static_cast<int>(integer(vm, "rise", o.rise, 1, 1000000));
  if (vm.count("log-level")) {
    LogLevel level;
    o.log_level = text(vm, "log-level");
    if (!parse_log_level(o.log_level, level)) bad("log-level", o.log_level, "unknown level");
  }
  return o;
}

RegisterAgent::RegisterAgent(uv_loop_t* loop, const RegisterOptions& options)
    : key_(backend_key(options.prefix, options.backend.name)), address_(options.backend.address()) {
  client_ = std::make_unique<EtcdClient>(loop, options.etcd);
  leased_ = std::make_unique<LeasedKey>(*client_, key_, encode_backend_value(options.backend),
                                        options.ttl_s, nullptr);
  HealthOptions h;
  h.interval_ms = options.check_interval_ms;
  h.timeout_ms = options.check_timeout_ms;
  h.failure_limit = options.failure_limit;
  h.rise = options.rise;
  h.flush_on_rejoin = false;  // the proxies flush a returning backend themselves
  h.password = options.backend_password;
  h.start_down = true;  // announce nothing before it answered
  HealthTarget target{options.backend.host, options.backend.port, address_};
  health_ = std::make_unique<HealthChecker>(
      loop, std::vector<HealthTarget>{target}, h,
      [this](uint32_t, BackendState, BackendState to, std::string_view reason) {
        if (to == BackendState::kUp) {
          log(LogLevel::kInfo, "register: ", address_, " answers; registering ", key_);
          leased_->hold();
        } else if (to == BackendState::kDown) {
          log(LogLevel::kWarn, "register: ", address_, " is down (", reason, "); removing ", key_);
          leased_->release();
        }
      });
}

RegisterAgent::~RegisterAgent() = default;

void RegisterAgent::start() {
  log(LogLevel::kInfo, "register: checking ", address_, " for ", key_);
  health_->start();
}

void RegisterAgent::stop(std::function<void()> done) {
  health_->stop();
  leased_->release(std::move(done));
}

bool RegisterAgent::registered() const {
  return leased_->held();
}

int run_register_agent(int argc, char** argv) {
  RegisterOptions options;
  try {
    options = parse_register_options(argc, argv, [](const char* n) { return std::getenv(n); });
  } catch (const std::invalid_argument& e) {
    std::cerr << "ringproxy register: " << e.what() << "\n";
    return 2;
  }
  if (options.help) {
    std::cout << register_help_text();
    return 0;
  }
  LogLevel level = LogLevel::kInfo;
  parse_log_level(options.log_level, level);
  set_log_level(level);

  uv_loop_t loop;
  uv_loop_init(&loop);
  int status = 0;
  {
    std::unique_ptr<RegisterAgent> agent;
    try {
      agent = std::make_unique<RegisterAgent>(&loop, options);
    } catch (const std::exception& e) {
      std::cerr << "ringproxy register: " << e.what() << "\n";
      status = 1;
    }
    std::vector<std::unique_ptr<uv_signal_t>> signals;
    if (agent) {
      for (int signum : {SIGINT, SIGTERM}) {
        auto s = std::make_unique<uv_signal_t>();
        uv_signal_init(&loop, s.get());
        s->data = agent.get();
        uv_signal_start(
            s.get(),
            [](uv_signal_t* h, int signum) {
              auto* a = static_cast<RegisterAgent*>(h->data);
              log(LogLevel::kInfo, "register: signal ", signum, "; deregistering and exiting");
              uv_loop_t* l = h->loop;
              a->stop([l] { uv_stop(l); });
            },
            signum);
        signals.push_back(std::move(s));
      }
      agent->start();
      uv_run(&loop, UV_RUN_DEFAULT);
    }
    for (auto& s : signals) close_handle(s);
    agent.reset();
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // close callbacks of everything above
  uv_loop_close(&loop);
  return status;
}

}  // namespace ringproxy
