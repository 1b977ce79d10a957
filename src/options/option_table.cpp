// Every ringproxy option, declared once (see option_table.hpp for the fields,
// how to add an option and how to mark one removed). `help` is the --help line;
// `details` is added in README.md and conf/ringproxy.conf.
#include "ringproxy/options/option_table.hpp"

#include "ringproxy/options/value_codecs.hpp"

namespace ringproxy {

namespace {

constexpr std::string_view kGeneral = "General";
constexpr std::string_view kNetwork = "Network";
constexpr std::string_view kPlacement = "Placement";
constexpr std::string_view kLimits = "Protocol limits (per client)";
constexpr std::string_view kBackends = "Backends";
constexpr std::string_view kHealth = "Health checks and failover";
constexpr std::string_view kLiveRing = "Live ring";
constexpr std::string_view kCluster = "Cluster (etcd)";
constexpr std::string_view kLogging = "Logging";
constexpr std::string_view kProcess = "Process";
constexpr std::string_view kStats = "Stats and metrics";

std::vector<OptionSpec> build_table() {
  using C = ConfigFields;
  return {
      // --- General: command line only ------------------------------------
      {.name = "help",
       .short_name = 'h',
       .group = kGeneral,
       .codec = flag(),
       .sources = kCommandLine,
       .fields = 0,
       .help = "print this help and exit"},
      {.name = "version",
       .short_name = 'V',
       .group = kGeneral,
       .codec = flag(),
       .sources = kCommandLine,
       .fields = 0,
       .help = "print the version and exit",
       .details = "`-V`, as in nutcracker; `-v` is the log level, as there."},
      {.name = "help-options",
       .group = kGeneral,
       .codec = action("FORMAT"),
       .sources = kCommandLine,
       .fields = 0,
       .help = "print the option table as `markdown` (README's table) or `conf` "
               "(conf/ringproxy.conf) and exit"},
      {.name = "check-config",
       .short_name = 't',
       .group = kGeneral,
       .codec = flag(),
       .sources = kCommandLine,
       .fields = 0,
       .help = "read every option, print the resulting configuration as a config file "
               "(passwords hidden) and exit: 0 if it is valid, 2 if not"},
      {.name = "config",
       .short_name = 'c',
       .group = kGeneral,
       .codec = file_codec(&C::config_file),
       .sources = kCommandLine,
       .help = "read options from FILE (`name = value` lines)",
       .details = "A twemproxy YAML file given here is refused with a pointer to "
                  "`--twemproxy-config`."},
      {.name = "twemproxy-config",
       .group = kGeneral,
       .codec = file_codec(&C::twemproxy_config),
       .sources = kCommandLine,
       .help = "run the redis pools of a twemproxy (nutcracker) YAML file as written",
       .details = "Keys the file does not give take twemproxy's defaults (e.g. `hash fnv1a_64`). "
                  "Without `--pool`, every redis pool of the file runs in this one process, "
                  "each on its own `listen` address with its own ring, backends and counters; "
                  "memcached pools are skipped with a warning. Other options apply to every "
                  "pool and override its keys; `--listen` and `--etcd` are refused with a file "
                  "of several pools. See README's \"Coming from twemproxy\"."},
      {.name = "pool",
       .group = kGeneral,
       .codec = text(&C::twemproxy_pool, "NAME"),
       .sources = kCommandLine,
       .help = "run only this pool of --twemproxy-config (default: every redis pool)"},

      // --- Network ----------------------------------------------------------
      {.name = "listen",
       .short_name = 'l',
       .group = kNetwork,
       .codec = listen_codec(),
       .default_text = "127.0.0.1:6380",
       .twemproxy = "listen",
       .fields = 2,
       .help = "address clients connect to (HOST:PORT or [IPV6]:PORT)"},
      {.name = "backlog",
       .group = kNetwork,
       .codec = count(&C::backlog, 1, 65535),
       .default_text = "511",
       .twemproxy = "backlog",
       .help = "listen backlog"},
      {.name = "max-clients",
       .group = kNetwork,
       .codec = count(&C::max_clients, 1, 10000000),
       .default_text = "10000",
       .runtime = Runtime::kLive,
       .help = "client connections accepted at once; past it a client gets "
               "`-ERR max number of clients reached`",
       .details = "The descriptor limit (`ulimit -n`) must allow them too: past that, new "
                  "connections are closed at once and counted in INFO `rejected_connections`."},
      // Loop-tuning options, measured with the proxy on a CPU of its own and
      // removed (bench/README.md, "Loop scheduling"). Still accepted, with a
      // warning, so that existing config files keep starting.
      {.name = "yield-after-flush",
       .group = kNetwork,
       .codec = removed("BOOL"),
       .fields = 0,
       .removed = "the loop no longer yields after writing; remove it from your config",
       .help = "removed: accepted and ignored"},
      {.name = "coalesce-us",
       .group = kNetwork,
       .codec = removed("US"),
       .fields = 0,
       .removed = "the loop no longer sleeps between passes; remove it from your config",
       .help = "removed: accepted and ignored"},
      {.name = "coalesce-min-clients",
       .group = kNetwork,
       .codec = removed("N"),
       .fields = 0,
       .removed = "the loop no longer sleeps between passes; remove it from your config",
       .help = "removed: accepted and ignored"},
      {.name = "busy-poll-us",
       .group = kNetwork,
       .codec = removed("US"),
       .fields = 0,
       .removed = "the loop no longer busy-polls; remove it from your config",
       .help = "removed: accepted and ignored"},

      // --- Placement --------------------------------------------------------
      {.name = "backend",
       .short_name = 'b',
       .group = kPlacement,
       .codec = backend_codec(),
       .runtime = Runtime::kLive,
       .twemproxy = "servers",
       .example = "127.0.0.1:7001:1 cache-a\n127.0.0.1:7002:1 cache-b\n127.0.0.1:7003:1 cache-c",
       .required = true,
       .help = "a Redis backend in twemproxy's server syntax, HOST:PORT[:WEIGHT] [NAME]; "
               "repeat for each (required)",
       .details = "The NAME, if given, is what goes on the ring, so a backend can move to "
                  "another host:port without moving its keys; without one the ring identity is "
                  "the literal `HOST:PORT` text (127.0.0.1:7001 and localhost:7001 differ)."},
      {.name = "hash",
       .group = kPlacement,
       .codec = hash_codec(),
       .default_text = "murmur",
       .twemproxy = "hash",
       .help = "key hash: one_at_a_time md5 crc16 crc32 crc32a fnv1_64 fnv1a_64 fnv1_32 "
               "fnv1a_32 hsieh murmur jenkins",
       .details = "murmur spreads short similar keys well and is the fastest; fnv1a_64 "
                  "(twemproxy's default) keeps a twemproxy pool's placement."},
      {.name = "hash-tag",
       .group = kPlacement,
       .codec = hash_tag_codec(),
       .twemproxy = "hash_tag",
       .example = "{}",
       .help = "two characters, e.g. {}: only the part of a key between them is hashed",
       .details = "So {user1}:name and {user1}:cart live on one backend, as RENAME, SMOVE and "
                  "MULTI/EXEC across keys need. None: the whole key is hashed."},
      {.name = "distribution",
       .group = kPlacement,
       .codec = distribution_codec(),
       .default_text = "ketama",
       .twemproxy = "distribution",
       .help = "how keys map to backends: ketama (twemproxy's ring), modula, rendezvous, jump "
               "(no weights) or maglev"},

      // --- Protocol limits --------------------------------------------------
      {.name = "max-bulk-len",
       .group = kLimits,
       .codec = bytes(&C::max_bulk_len, 1, INT64_MAX),
       .default_text = "512mb",
       .runtime = Runtime::kLive,
       .help = "longest bulk string in a request"},
      {.name = "max-args",
       .group = kLimits,
       .codec = count(&C::max_args, 1, INT32_MAX),
       .default_text = "1048576",
       .runtime = Runtime::kLive,
       .help = "most arguments in one request"},
      {.name = "max-inline-len",
       .group = kLimits,
       .codec = bytes(&C::max_inline_len, 1, INT64_MAX),
       .default_text = "64kb",
       .runtime = Runtime::kLive,
       .help = "longest inline (telnet-style) request line"},
      {.name = "query-buffer-limit",
       .group = kLimits,
       .codec = bytes(&C::query_buffer_limit, 1, INT64_MAX),
       .default_text = "1gb",
       .runtime = Runtime::kLive,
       .help = "most unparsed request bytes buffered for a client"},
      {.name = "client-output-limit",
       .group = kLimits,
       .codec = bytes(&C::client_output_limit, 1, INT64_MAX),
       .default_text = "256mb",
       .runtime = Runtime::kLive,
       .help = "a client whose unsent replies exceed this is not read until it drains"},
      {.name = "client-output-hard-limit",
       .group = kLimits,
       .codec = bytes(&C::client_output_hard_limit, 0, INT64_MAX),
       .default_text = "0",
       .runtime = Runtime::kLive,
       .help = "a client owed more output than this (replies stored for it included) is closed; "
               "0 = client-output-limit + max-bulk-len",
       .details = "The default, 768mb, is the most a client that stops sending when it is no "
                  "longer read can be owed. Closes are logged and counted in INFO "
                  "client_output_buffer_limit_disconnections."},
      {.name = "max-pipeline",
       .group = kLimits,
       .codec = count(&C::max_pipeline, 1, 100000000),
       .default_text = "10000",
       .runtime = Runtime::kLive,
       .help = "a client with this many requests in flight is not read until replies drain"},
      {.name = "output-buffer-pool",
       .group = kLimits,
       .codec = count(&C::output_buffer_pool, 0, 1000000),
       .default_text = "1024",
       .runtime = Runtime::kLive,
       .help = "small output buffers (up to 1 KiB each) kept once written for the next "
               "request of any client to reuse; 0 = free each once written",
       .details = "Answering then allocates nothing per request; this bounds that memory to "
                  "N KiB."},

      // --- Backends ---------------------------------------------------------
      {.name = "backend-connections",
       .group = kBackends,
       .codec = count(&C::backend_connections, 1, 64),
       .default_text = "1",
       .twemproxy = "server_connections",
       .help = "persistent connections to each backend; a client always uses the same one"},
      {.name = "connect-timeout-ms",
       .group = kBackends,
       .codec = millis(&C::connect_timeout_ms, 1, 3600000),
       .default_text = "1000",
       .runtime = Runtime::kLive,
       .twemproxy = "timeout",
       .help = "backend connect timeout",
       .details = "A twemproxy pool's positive `timeout` sets this too."},
      {.name = "timeout-ms",
       .group = kBackends,
       .codec = millis(&C::timeout_ms, 0, 3600000),
       .default_text = "5000",
       .runtime = Runtime::kLive,
       .twemproxy = "timeout",
       .help = "a backend connection with requests in flight on which no byte moves for this "
               "long times out; 0 = none",
       .details = "Nothing arrives, and the backend takes nothing of what is being sent: its "
                  "requests fail with -ERR and it is closed, so a SIGSTOPped backend cannot "
                  "hang clients. Silence, not duration: a 500 MB value that keeps moving never "
                  "times out."},
      {.name = "stall-timeout-ms",
       .group = kBackends,
       .codec = millis(&C::stall_timeout_ms, 0, 3600000),
       .default_text = "2000",
       .runtime = Runtime::kLive,
       .help = "a backend connection on which no byte moves for this long while only fast "
               "commands (Redis's @fast: GET, SET, MGET, ...) are in flight is stalled: its "
               "backend is failing; 0 = none",
       .details = "Its requests get the --on-unavailable answer and the backend's keys go to "
                  "their successors at once, instead of after --timeout-ms. While a slow "
                  "command (KEYS, EVAL, SORT, ...) is in flight on the backend only "
                  "--timeout-ms applies, and health probes that time out behind it are not "
                  "failures. Redis works in proportion to a value's size before the first byte "
                  "of its reply, so a GET of a value of tens of MB on a busy machine is "
                  "silent for most of a second; the default leaves room for that and stays "
                  "below clients' own timeouts. Lower it where values are small."},
      {.name = "preconnect",
       .group = kBackends,
       .codec = boolean(&C::preconnect),
       .default_text = "true",
       .twemproxy = "preconnect",
       .help = "connect to every backend at start-up rather than on first use"},
      {.name = "backend-password",
       .group = kBackends,
       .codec = text(&C::backend_password, "PASS"),
       .runtime = Runtime::kLive,
       .env = "RINGPROXY_BACKEND_PASSWORD",
       .twemproxy = "redis_auth",
       .example = "secret",
       .secret = true,
       .help = "sent as AUTH on every new backend connection and health probe"},
      {.name = "backend-db",
       .group = kBackends,
       .codec = count(&C::backend_db, 0, 1000000),
       .default_text = "0",
       .twemproxy = "redis_db",
       .help = "sent as SELECT on every new backend connection"},
      {.name = "client-password",
       .group = kBackends,
       .codec = text(&C::client_password, "PASS"),
       .runtime = Runtime::kLive,
       .env = "RINGPROXY_CLIENT_PASSWORD",
       .twemproxy = "redis_auth",
       .example = "secret",
       .secret = true,
       .help = "clients must AUTH with this password (twemproxy's redis_auth); none by default",
       .details = "Until a client has, Redis's own limits apply: a request of more than 10 "
                  "arguments or with a bulk over 16 KB gets -ERR Protocol error: "
                  "unauthenticated multibulk length (or bulk length) and is closed, so an "
                  "unauthenticated client cannot make the proxy buffer much."},

      // --- Health checks and failover ----------------------------------------
      {.name = "health-interval-ms",
       .group = kHealth,
       .codec = millis(&C::health_interval_ms, 10, 3600000),
       .default_text = "1000",
       .runtime = Runtime::kLive,
       .twemproxy = "server_retry_timeout",
       .help = "time between health checks (PING) of a backend"},
      {.name = "health-timeout-ms",
       .group = kHealth,
       .codec = millis(&C::health_timeout_ms, 1, 3600000),
       .default_text = "1000",
       .runtime = Runtime::kLive,
       .help = "a health check slower than this fails"},
      {.name = "failure-limit",
       .group = kHealth,
       .codec = count(&C::failure_limit, 1, 1000),
       .default_text = "3",
       .runtime = Runtime::kLive,
       .twemproxy = "server_failure_limit",
       .help = "consecutive failures that mark a backend down (ejected)"},
      {.name = "rise",
       .group = kHealth,
       .codec = count(&C::rise, 1, 1000),
       .default_text = "2",
       .runtime = Runtime::kLive,
       .help = "consecutive good probes that bring a down backend back"},
      {.name = "auto-eject",
       .group = kHealth,
       .codec = boolean(&C::auto_eject),
       .default_text = "true",
       .runtime = Runtime::kLive,
       .twemproxy = "auto_eject_hosts",
       .help = "take down backends out of placement (their keys go to the next live backend); "
               "false: keep them, their requests get errors"},
      {.name = "on-unavailable",
       .group = kHealth,
       .codec = choice(&C::on_unavailable,
                       {{"error", OnUnavailable::kError}, {"miss", OnUnavailable::kMiss}}),
       .default_text = "miss",
       .runtime = Runtime::kLive,
       .help = "what requests for an unavailable backend get: miss (reads answer as a cache "
               "miss: nil, 0, empty; writes still get -ERR), or error (-ERR)",
       .details = "Unavailable: its connection failed with the request in flight, or it cannot "
                  "take one (reconnecting; failing with --auto-eject false). A failing "
                  "backend's keys, writes included, go to their successors from its first "
                  "failure on. README's failover section lists the commands with no miss "
                  "answer (they get -ERR either way)."},
      {.name = "rejoin",
       .group = kHealth,
       .codec =
           choice(&C::rejoin, {{"flush", RejoinPolicy::kFlush}, {"keep", RejoinPolicy::kKeep}}),
       .default_text = "flush",
       .runtime = Runtime::kLive,
       .help = "a returning backend is flushed before it takes traffic (no stale reads), or "
               "keeps what it held before its outage"},
      {.name = "failover-key-log",
       .group = kHealth,
       .codec = count(&C::failover_key_log, 0, 100000000),
       .default_text = "100000",
       .runtime = Runtime::kLive,
       .help = "keys remembered per down backend whose copies on successors are deleted when "
               "it rejoins",
       .details = "Past this, copies are only counted (INFO `failover_keys_untracked`)."},

      // --- Live ring ----------------------------------------------------------
      {.name = "admin-password",
       .group = kLiveRing,
       .codec = text(&C::admin_password, "PASS"),
       .env = "RINGPROXY_ADMIN_PASSWORD",
       .example = "secret",
       .secret = true,
       .help = "clients that AUTH with this password may change the ring (PROXY ADD, REMOVE, "
               "WEIGHT); without it only loopback clients may",
       .details = "It also authenticates the client as --client-password does."},
      {.name = "admin-allow-remote",
       .group = kLiveRing,
       .codec = boolean(&C::admin_allow_remote),
       .default_text = "false",
       .help = "without --admin-password, let clients from any address change the ring"},
      {.name = "cleanup-rate",
       .group = kLiveRing,
       .codec = count(&C::cleanup_rate, 1, 100000000),
       .default_text = "10000",
       .help = "keys per second the background cleaner SCANs on a backend holding copies of "
               "keys it no longer owns (they are UNLINKed)"},
      {.name = "cleanup-batch",
       .group = kLiveRing,
       .codec = count(&C::cleanup_batch, 1, 100000),
       .default_text = "500",
       .help = "the cleaner's SCAN COUNT: keys asked for per SCAN"},
      {.name = "migration-window-s",
       .group = kLiveRing,
       .codec = number(&C::migration_window_s, "SECONDS", Unit::kNone, 0, 86400),
       .default_text = "0",
       .help = "for this long after a membership change, a read of a moved key that misses on "
               "its new backend is answered by its previous one, and writes of moved keys also "
               "remove the previous backend's copy; 0 turns it off",
       .details = "Values are never copied. Reads of one key with a miss answer (GET, HGET, "
                  "TTL, EXISTS, an MGET of one key, ...) take part; MGETs of several keys and "
                  "reads inside MULTI do not."},
      {.name = "ring-build-inline-max",
       .group = kLiveRing,
       .codec = count(&C::ring_build_inline_max, 0, 1024),
       .default_text = "64",
       .help = "a ring change with at most this many backends is built on the event loop; "
               "bigger ones are built on a worker thread and swapped in when done"},
      // --- Cluster (etcd) ---------------------------------------------------
      {.name = "etcd",
       .group = kCluster,
       .codec = etcd_endpoints_codec(),
       .example = "http://127.0.0.1:2379",
       .help = "etcd endpoints: the pool's members come from etcd (read at start, watched) "
               "instead of --backend",
       .details = "Members are the keys `<prefix>/backends/<name>` -> `host:port[:weight]`; "
                  "PROXY ADD/REMOVE/WEIGHT write them there and SIGHUP leaves them alone. "
                  "Configured backends are used only while etcd cannot be read at start-up; "
                  "with none, the proxy refuses to start. See README's \"Membership in etcd\"."},
      {.name = "etcd-prefix",
       .group = kCluster,
       .codec = text(&C::etcd_prefix, "PREFIX"),
       .example = "/ringproxy/cache",
       .help = "the pool's etcd prefix (default /ringproxy/<pool name>)"},
      {.name = "pool-name",
       .group = kCluster,
       .codec = text(&C::pool_name, "NAME"),
       .example = "cache",
       .help = "the pool's name in the default etcd prefix (default: the twemproxy pool's "
               "name, else ringproxy)"},
      {.name = "etcd-user",
       .group = kCluster,
       .codec = text(&C::etcd_user, "USER"),
       .example = "ringproxy",
       .help = "etcd user (etcdctl auth enable); none by default"},
      {.name = "etcd-password",
       .group = kCluster,
       .codec = text(&C::etcd_password, "PASS"),
       .env = "RINGPROXY_ETCD_PASSWORD",
       .example = "secret",
       .secret = true,
       .help = "the etcd user's password"},
      {.name = "etcd-ca-file",
       .group = kCluster,
       .codec = text(&C::etcd_ca_file, "FILE"),
       .example = "/etc/ringproxy/etcd-ca.pem",
       .help = "CA certificate that signed etcd's server certificates (https:// endpoints)"},
      {.name = "etcd-cert-file",
       .group = kCluster,
       .codec = text(&C::etcd_cert_file, "FILE"),
       .example = "/etc/ringproxy/etcd-client.pem",
       .help = "TLS client certificate presented to etcd (etcd --client-cert-auth)"},
      {.name = "etcd-key-file",
       .group = kCluster,
       .codec = text(&C::etcd_key_file, "FILE"),
       .example = "/etc/ringproxy/etcd-client-key.pem",
       .help = "the TLS client certificate's private key"},

      // --- Logging ----------------------------------------------------------
      {.name = "log-level",
       .short_name = 'v',
       .group = kLogging,
       .codec = log_level_codec(),
       .default_text = "info",
       .runtime = Runtime::kLive,
       .help = "least severe messages logged: error, warn, info or debug (debug logs every "
               "backend connection event)",
       .details = "Also nutcracker's `-v N` levels: 0-3 error, 4 warn, 5-6 info (5 is "
                  "nutcracker's default), 7-11 debug."},
      {.name = "log-file",
       .short_name = 'o',
       .group = kLogging,
       .codec = output_file_codec(&C::log_file),
       .example = "/var/log/ringproxy/ringproxy.log",
       .help = "append log lines to FILE instead of stderr; SIGUSR1 and SIGHUP reopen it",
       .details = "conf/logrotate.d/ringproxy rotates it and sends SIGUSR1. nutcracker's "
                  "`-o`."},
      {.name = "pid-file",
       .short_name = 'p',
       .group = kProcess,
       .codec = output_file_codec(&C::pid_file),
       .example = "/run/ringproxy.pid",
       .help = "write the process id to FILE once listening, remove it at exit",
       .details = "Refused at start while FILE names a running process. nutcracker's `-p`."},
      {.name = "daemonize",
       .short_name = 'd',
       .group = kProcess,
       .codec = boolean(&C::daemonize),
       .default_text = "false",
       .help = "detach from the terminal and run in the background once listening",
       .details = "The starting process exits 0 once the daemon listens, or with the "
                  "daemon's error status. Without --log-file the log goes to /dev/null. "
                  "nutcracker's `-d`."},
      {.name = "shutdown-timeout-ms",
       .group = kProcess,
       .codec = millis(&C::shutdown_timeout_ms, 0, 3600000),
       .default_text = "2000",
       .runtime = Runtime::kLive,
       .help = "on SIGTERM or SIGINT, how long clients may take to get the replies to the "
               "requests they sent before the proxy closes them and exits",
       .details = "The listener closes at once; a second signal exits at once."},

      // --- Stats and metrics --------------------------------------------------
      {.name = "stats-port",
       .group = kStats,
       .codec = count(&C::stats_port, 0, 65535),
       .default_text = "0",
       .help = "port of twemproxy's stats document (nutcracker's -s: JSON sent on connect); "
               "0 = off"},
      {.name = "stats-addr",
       .group = kStats,
       .codec = text(&C::stats_addr, "HOST"),
       .default_text = "127.0.0.1",
       .help = "address of the stats port (nutcracker's -a; its default is 0.0.0.0)"},
      {.name = "stats-interval",
       .group = kStats,
       .codec = millis(&C::stats_interval_ms, 1, 3600000),
       .default_text = "1000",
       .help = "how often the figures the stats and metrics ports serve are refreshed "
               "(nutcracker's -i), and how often each up backend is asked its keys and memory",
       .details = "The backends are asked INFO memory and INFO keyspace on their health-check "
                  "connection, behind a PING (so at most once per --health-interval-ms); INFO's "
                  "Keyspace and backends_used_memory, PROXY NODES and /metrics sum or show the "
                  "last answers. A backend that refuses INFO has no figures and is served as "
                  "usual."},
      {.name = "metrics-port",
       .group = kStats,
       .codec = count(&C::metrics_port, 0, 65535),
       .default_text = "0",
       .help = "port of the Prometheus endpoint (GET /metrics); 0 = off"},
      {.name = "metrics-addr",
       .group = kStats,
       .codec = text(&C::metrics_addr, "HOST"),
       .default_text = "127.0.0.1",
       .help = "address of the Prometheus endpoint"},
      {.name = "slowlog-log-slower-than",
       .group = kStats,
       .codec = number(&C::slowlog_log_slower_than, "US", Unit::kNone, -1, 3600000000LL),
       .default_text = "10000",
       .runtime = Runtime::kLive,
       .help = "requests slower than this many microseconds, from parsed to answered, go to "
               "SLOWLOG (as Redis's option); -1 = none, 0 = every request"},
      {.name = "slowlog-max-len",
       .group = kStats,
       .codec = count(&C::slowlog_max_len, 0, 1000000),
       .default_text = "128",
       .runtime = Runtime::kLive,
       .help = "entries SLOWLOG keeps (as Redis's option)"},
      {.name = "latency-sample",
       .group = kStats,
       .codec = count(&C::latency_sample, 1, 1000000),
       .default_text = "16",
       .help = "one reply in this many (on average) feeds the latency histograms (INFO "
               "latencystats, /metrics), weighted by it; calls, durations and the slow log "
               "count every request, and a command's first 1024 calls feed its histogram "
               "one for one; 1 = every reply"},
      {.name = "hot-key-sample",
       .group = kStats,
       .codec = count(&C::hot_key_sample, 1, 1000000),
       .default_text = "128",
       .help = "one request in this many (on average) is sampled for PROXY HOTKEYS; 1 = all"},
      {.name = "hot-window-ms",
       .group = kStats,
       .codec = millis(&C::hot_window_ms, 100, 3600000),
       .default_text = "10000",
       .help = "window of the hot-key counts and of the per-backend request rates"},
      {.name = "hot-shard-multiple",
       .group = kStats,
       .codec = count(&C::hot_shard_multiple, 2, 1000),
       .default_text = "2",
       .help = "a backend taking more than this multiple of its share of the requests (the "
               "mean, weighted) is flagged hot"},
  };
}

}  // namespace

std::span<const OptionSpec> option_table() {
  static const std::vector<OptionSpec> table = build_table();
  return table;
}

Config::Config() : ConfigFields{} {
  apply_defaults(option_table(), *this);
}

}  // namespace ringproxy
