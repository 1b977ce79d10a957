// Commands the proxy answers itself: connection handshakes (PING, ECHO, HELLO,
// CLIENT, SELECT 0, AUTH, QUIT), introspection that clients and tools ask for
// on connect (INFO, COMMAND, CONFIG GET) and TIME. What real clients send and
// what breaks them is in shared/research/clients.md: ioredis needs INFO with
// loading:0, node-redis needs CLIENT SETINFO to not close the connection,
// redis-benchmark asks CONFIG GET save/appendonly, redis-cli --pipe waits for
// the echo of its random marker.
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "ringproxy/common/text.hpp"
#include "ringproxy/options/config_get.hpp"
#include "ringproxy/proxy/proxy.hpp"
#include "ringproxy/resp/resp_writer.hpp"

namespace ringproxy {

namespace {

// What INFO reports as the server version: clients gate features on it, and
// the backends are expected to be Redis 7.
constexpr std::string_view kCompatVersion = "7.0.15";

bool parse_i64(std::string_view s, int64_t& out) {
  return parse_int64(s.data(), s.size(), &out);
}

void command_entry(Buffer& out, const CommandInfo& c) {
  resp::array_header(out, 10);
  resp::bulk(out, c.name);
  resp::integer(out, c.arity);
  resp::array_header(out, c.write ? 1 : 0);
  if (c.write) resp::simple(out, "write");
  resp::integer(out, c.first_key);
  resp::integer(out, c.last_key);
  resp::integer(out, c.step);
  for (int i = 0; i < 4; ++i) resp::array_header(out, 0);  // acl, tips, key specs, subcommands
}

// INFO values are `key:value` lines with comma-separated fields: keep error
// texts from breaking that shape.
std::string sanitize(std::string_view s) {
  std::string r(s);
  for (char& ch : r) {
    if (ch == ',' || ch == '\r' || ch == '\n' || ch == ':') ch = ' ';
  }
  return r;
}

}  // namespace

void Proxy::local_command(ClientConnection& c, const CommandInfo& cmd) {
  const std::vector<std::string_view>& argv = c.argv();
  const size_t argc = argv.size();
  std::string_view sub = argc > 1 ? argv[1] : std::string_view();
  Request* req = nullptr;
  Buffer& out = c.local_reply_buffer(req);
  auto error = [&](std::string_view msg) {
    stats_.errors++;
    resp::error(out, msg);
  };
  const std::string_view name = cmd.name;

  if (name == "ping") {
    if (argc > 2) {
      error("ERR wrong number of arguments for 'ping' command");
    } else if (argc == 1) {
      resp::simple(out, "PONG");
    } else {
      resp::bulk(out, argv[1]);
    }
  } else if (name == "echo") {
    resp::bulk(out, argv[1]);
  } else if (name == "quit") {
    resp::ok(out);
    c.finish_local(req);
    c.close_after_replies();
    return;
  } else if (name == "select") {
    int64_t db = 0;
    if (!parse_i64(argv[1], db)) {
      error("ERR value is not an integer or out of range");
    } else if (db != 0) {
      error("ERR ringproxy: only database 0 is available through the proxy");
    } else {
      resp::ok(out);
    }
  } else if (name == "auth") {
    const std::string& password = config_.client_password;
    std::string_view user = argc == 3 ? argv[1] : std::string_view("default");
    std::string_view given = argv[argc - 1];
    if (argc > 3) {
      error("ERR syntax error");
    } else if (password.empty() && argc == 2) {
      error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
    } else if (user == "default" && (password.empty() || given == password)) {
      // Without a password the default user is "nopass": any password works.
      c.authenticated() = true;
      resp::ok(out);
    } else {
      // Like Redis: a failed AUTH leaves an authenticated connection as it was.
      error("WRONGPASS invalid username-password pair or user is disabled.");
    }
  } else if (name == "hello") {
    // RESP2 only: HELLO [2] works; anything else gets NOPROTO, on which
    // clients (ioredis 6, node-redis 5) fall back to RESP2.
    size_t i = 1;
    if (argc > 1) {
      int64_t proto = 0;
      if (!parse_i64(argv[1], proto)) {
        error("ERR Protocol version is not an integer or out of range");
        c.finish_local(req);
        return;
      }
      if (proto != 2) {
        error("NOPROTO sorry, this protocol version is not supported.");
        c.finish_local(req);
        return;
      }
      i = 2;
    }
    for (; i < argc; ++i) {
      if (iequals(argv[i], "AUTH") && i + 2 < argc) {
        const std::string& password = config_.client_password;
        if (argv[i + 1] == "default" && (password.empty() || argv[i + 2] == password)) {
          c.authenticated() = true;
        } else {
          error("WRONGPASS invalid username-password pair or user is disabled.");
          c.finish_local(req);
          return;
        }
        i += 2;
      } else if (iequals(argv[i], "SETNAME") && i + 1 < argc) {
        c.set_name(argv[++i]);
      } else {
        error("ERR Syntax error in HELLO option '" + std::string(argv[i]) + "'");
        c.finish_local(req);
        return;
      }
    }
    if (!c.authenticated()) {
      error(
          "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
          "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
          "select the RESP protocol version at the same time");
      c.finish_local(req);
      return;
    }
    resp::array_header(out, 14);
    resp::bulk(out, "server");
    resp::bulk(out, "redis");
    resp::bulk(out, "version");
    resp::bulk(out, kCompatVersion);
    resp::bulk(out, "proto");
    resp::integer(out, 2);
    resp::bulk(out, "id");
    resp::integer(out, static_cast<int64_t>(c.id()));
    resp::bulk(out, "mode");
    resp::bulk(out, "standalone");
    resp::bulk(out, "role");
    resp::bulk(out, "master");
    resp::bulk(out, "modules");
    resp::array_header(out, 0);
  } else if (name == "client") {
    if (iequals(sub, "setname") && argc == 3) {
      bool okname = std::all_of(argv[2].begin(), argv[2].end(),
                                [](char ch) { return ch > ' ' && ch <= '~'; });
      if (!okname) {
        error("ERR Client names cannot contain spaces, newlines or special characters.");
      } else {
        c.set_name(argv[2]);
        resp::ok(out);
      }
    } else if (iequals(sub, "getname") && argc == 2) {
      if (c.name().empty()) {
        resp::nil(out);
      } else {
        resp::bulk(out, c.name());
      }
    } else if (iequals(sub, "id") && argc == 2) {
      resp::integer(out, static_cast<int64_t>(c.id()));
    } else if (iequals(sub, "setinfo") && argc == 4) {
      resp::ok(out);
    } else if ((iequals(sub, "info") && argc == 2) || (iequals(sub, "list") && argc >= 2)) {
      std::string text;
      auto line = [&](ClientConnection& x) {
        text += "id=" + std::to_string(x.id()) + " name=" + std::string(x.name()) +
                " age=" + std::to_string((uv_now(loop_) - x.created_ms()) / 1000) + " db=0 multi=" +
                (x.in_transaction() ? std::to_string(x.transaction().count) : std::string("-1")) +
                " qbuf=0 obl=" + std::to_string(x.pending_output()) +
                " pending=" + std::to_string(x.pending_requests()) + "\n";
      };
      if (iequals(sub, "info")) {
        line(c);
      } else {
        for (ClientConnection* x : clients_) line(*x);
      }
      resp::bulk(out, text);
    } else if ((iequals(sub, "reply") && argc == 3 && iequals(argv[2], "on")) ||
               iequals(sub, "no-evict") || iequals(sub, "no-touch")) {
      resp::ok(out);
    } else {
      error("ERR ringproxy: CLIENT " + lower(sub) + " is not supported through the proxy");
    }
  } else if (name == "command") {
    if (argc == 1) {
      auto all = all_commands();
      resp::array_header(out, static_cast<int64_t>(all.size()));
      for (const CommandInfo& ci : all) command_entry(out, ci);
    } else if (iequals(sub, "count")) {
      resp::integer(out, static_cast<int64_t>(all_commands().size()));
    } else if (iequals(sub, "info")) {
      resp::array_header(out, static_cast<int64_t>(argc - 2));
      for (size_t i = 2; i < argc; ++i) {
        const CommandInfo* ci = lookup_command(argv[i]);
        if (ci == nullptr) {
          out.append("*-1\r\n");
        } else {
          command_entry(out, *ci);
        }
      }
    } else if (iequals(sub, "list")) {
      auto all = all_commands();
      resp::array_header(out, static_cast<int64_t>(all.size()));
      for (const CommandInfo& ci : all) resp::bulk(out, ci.name);
    } else if (iequals(sub, "docs")) {
      // Documentation is not kept; redis-cli falls back to its built-in help.
      resp::array_header(out, 0);
    } else if (iequals(sub, "getkeys") && argc >= 3) {
      std::vector<std::string_view> args(argv.begin() + 2, argv.end());
      const CommandInfo* ci = lookup_command(args[0]);
      std::string_view err;
      std::vector<uint32_t> keys;
      if (ci == nullptr) {
        error("ERR Invalid command specified");
      } else if (!arity_ok(*ci, args.size())) {
        error("ERR Invalid number of arguments specified for command");
      } else if (!extract_keys(*ci, args, keys, err)) {
        error(err);
      } else if (keys.empty()) {
        error("ERR The command has no key arguments");
      } else {
        resp::array_header(out, static_cast<int64_t>(keys.size()));
        for (uint32_t k : keys) resp::bulk(out, args[k]);
      }
    } else {
      error("ERR unknown subcommand '" + std::string(sub) + "'. Try COMMAND HELP.");
    }
  } else if (name == "info") {
    write_info(out, argc > 1 ? argv[1] : std::string_view("default"));
  } else if (name == "config") {
    if (iequals(sub, "get") && argc >= 3) {
      const auto hits = config_get(config_, std::span(argv).subspan(2));
      resp::array_header(out, static_cast<int64_t>(hits.size() * 2));
      for (const auto& [param, value] : hits) {
        resp::bulk(out, param);
        resp::bulk(out, value);
      }
    } else {
      error("ERR ringproxy: CONFIG " + lower(sub) +
            " is not supported through the proxy (only CONFIG GET)");
    }
  } else if (name == "time") {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    resp::array_header(out, 2);
    resp::bulk(out, std::to_string(tv.tv_sec));
    resp::bulk(out, std::to_string(tv.tv_usec));
  } else if (name == "readonly" || name == "readwrite") {
    resp::ok(out);
  } else {
    error("ERR ringproxy does not support '" + std::string(name) + "'");
  }
  c.finish_local(req);
}

void Proxy::write_info(Buffer& out, std::string_view section) {
  std::string s = lower(section);
  bool all = s == "all" || s == "everything" || s == "default";
  auto want = [&](std::string_view name) { return all || s == name; };
  uint64_t now = uv_now(loop_);
  uint64_t uptime = (now - start_ms_) / 1000;
  std::string text;
  auto kv = [&](std::string_view k, const auto& v) {
    text.append(k).append(":");
    if constexpr (std::is_convertible_v<decltype(v), std::string_view>) {
      text.append(std::string_view(v));
    } else {
      text.append(std::to_string(v));
    }
    text.append("\r\n");
  };
  if (want("server")) {
    text.append("# Server\r\n");
    kv("redis_version", kCompatVersion);
    kv("redis_mode", "standalone");
    kv("ringproxy_version", RINGPROXY_VERSION);
    kv("arch_bits", 64);
    kv("multiplexing_api", "libuv");
    kv("process_id", static_cast<int64_t>(getpid()));
    kv("tcp_port", config_.listen_port);
    kv("uptime_in_seconds", uptime);
    kv("uptime_in_days", uptime / 86400);
    text.append("\r\n");
  }
  if (want("clients")) {
    text.append("# Clients\r\n");
    kv("connected_clients", clients_.size());
    kv("maxclients", config_.max_clients);
    text.append("\r\n");
  }
  if (want("persistence")) {
    text.append("# Persistence\r\n");
    kv("loading", 0);
    text.append("\r\n");
  }
  if (want("stats")) {
    text.append("# Stats\r\n");
    kv("total_connections_received", stats_.connections_received);
    kv("total_commands_processed", stats_.commands);
    kv("rejected_connections", stats_.connections_rejected);
    const EventCoalescer& co = flusher_->coalescer();
    kv("coalescing", co.sleeping() ? "sleeping" : "awake");
    kv("coalesced_passes", co.naps());
    kv("coalescing_probes_won", co.probes_won());
    kv("coalescing_probes_lost", co.probes_lost());
    text.append("\r\n");
  }
  if (want("replication")) {
    text.append("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n");
  }
  if (want("ringproxy") || want("proxy")) {
    text.append("# Ringproxy\r\n");
    kv("hash", hash_name(config_.hash));
    kv("hash_tag", config_.hash_tag);
    kv("distribution", distribution_name(config_.distribution));
    kv("backends", backends_.size());
    kv("live_backends", live_backends().size());
    kv("requests_forwarded", stats_.forwarded);
    kv("requests_split", stats_.split);
    kv("requests_fanout", stats_.fanout);
    kv("requests_local", stats_.local);
    kv("requests_in_flight", pool_.in_use());
    kv("replies_moved", stats_.replies_moved);
    kv("output_pool_buffers", output_pool_.blocks());
    kv("output_pool_bytes", output_pool_.bytes());
    kv("output_pool_reuses", output_pool_.lends());
    kv("proxy_errors", stats_.errors);
    kv("protocol_errors", stats_.protocol_errors);
    kv("cross_backend_rejected", stats_.cross_backend_rejected);
    kv("failover_writes", stats_.failover_writes);
    kv("failover_copies_deleted", stats_.failover_copies_deleted);
    kv("failover_keys_untracked", failover_.untracked_total());
    std::vector<uint32_t> points = router_->distribution().points_per_node();
    for (uint32_t i = 0; i < backends_.size(); ++i) {
      kv("backend" + std::to_string(i), backend_line(i, now, points, ','));
    }
    text.append("\r\n");
  }
  resp::bulk(out, text);
}

// One backend as key=value fields separated by `sep`: the same fields, in the
// same order, for PROXY NODES (' ') and INFO's backendN lines (',').
std::string Proxy::backend_line(uint32_t i, uint64_t now, const std::vector<uint32_t>& points,
                                char sep) const {
  const Backend& b = *backends_[i];
  const BackendStats& st = b.stats();
  std::string line;
  auto field = [&](std::string_view key, std::string_view value) {
    if (!line.empty()) line.push_back(sep);
    line.append(key).append("=").append(value.empty() ? std::string_view("-") : value);
  };
  auto num = [&](std::string_view key, uint64_t v) { field(key, std::to_string(v)); };
  field("addr", b.spec().host + ":" + std::to_string(b.spec().port));
  field("name", sanitize(b.spec().name));
  field("state", backend_state_name(health_->state(i)));
  num("weight", b.spec().weight);
  num("points", i < points.size() ? points[i] : 0);
  num("connections", b.open_connections());
  num("requests", st.requests);
  num("errors", st.errors);
  num("timeouts", st.timeouts);
  num("ejections", st.ejections);
  num("inflight", b.inflight());
  num("failover_keys", failover_.tracked(i));
  num("last_change_ms", now - health_->last_change_ms(i));
  field("last_error", sanitize(health_->last_error(i)));  // last: may contain spaces
  return line;
}

// PROXY NODES: the proxy's view of its backends, answered locally. The reply
// is an array with one bulk string per backend, in configuration order, of
// space-separated key=value fields, e.g.
//
//   addr=127.0.0.1:7001 name=cache-a state=down weight=1 points=160
//   connections=0 requests=1234 errors=17 timeouts=0 ejections=1 inflight=0
//   failover_keys=0 last_change_ms=5320 last_error=connection refused
//
// (one line per backend). `name` is "-" when the backend has none; `state` is
// up, failing, down or probing; `points` are its ring points (a down backend
// keeps them, they are skipped); `ejections` counts transitions to down from
// up/failing; `last_change_ms` is the time since the last state change;
// `last_error` is always the last field and runs to the end of the line (it
// may contain spaces; "-" when there was none). PROXY HELP lists this.
void Proxy::proxy_command(ClientConnection& c) {
  const std::vector<std::string_view>& argv = c.argv();
  Request* req = nullptr;
  Buffer& out = c.local_reply_buffer(req);
  std::string_view sub = argv.size() > 1 ? argv[1] : std::string_view();
  if (iequals(sub, "nodes") && argv.size() == 2) {
    uint64_t now = uv_now(loop_);
    std::vector<uint32_t> points = router_->distribution().points_per_node();
    resp::array_header(out, static_cast<int64_t>(backends_.size()));
    for (uint32_t i = 0; i < backends_.size(); ++i) {
      resp::bulk(out, backend_line(i, now, points, ' '));
    }
  } else if (iequals(sub, "help") && argv.size() == 2) {
    resp::array_header(out, 2);
    resp::bulk(out,
               "PROXY NODES -- one line per backend: addr name state weight points connections "
               "requests errors timeouts ejections inflight failover_keys last_change_ms "
               "last_error");
    resp::bulk(out, "PROXY HELP -- this text");
  } else {
    stats_.errors++;
    resp::error(out, "ERR unknown subcommand or wrong number of arguments for 'proxy|" +
                         lower(sub) + "'. Try PROXY HELP.");
  }
  c.finish_local(req);
}

}  // namespace ringproxy
