#!/usr/bin/env bash
# Runs ringproxy in front of three throw-away redis-server backends.
#   scripts/demo.sh            # install deps, build, start, wait for Ctrl-C
#   scripts/demo.sh --check    # same, but run a few commands through it and exit
#   scripts/demo.sh --etcd [--check]
#                              # a fleet: an etcd, two proxies watching it, the
#                              # members as etcd keys (see README "Membership in
#                              # etcd"); --check adds a backend with
#                              # one etcdctl put and checks both proxies use it
# Environment: RINGPROXY_DEMO_PORT (first proxy port to try, default 6380),
# RINGPROXY_BIN (run this proxy binary instead of building build/ringproxy).
# Everything runs on 127.0.0.1 from a temp dir and is stopped on exit; leftovers
# of a demo that was killed hard are cleaned up on the next start.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
check=0
etcd_mode=0
for arg in "$@"; do
  case $arg in
    --check) check=1 ;;
    --etcd) etcd_mode=1 ;;
    *) echo "usage: scripts/demo.sh [--etcd] [--check]" >&2; exit 2 ;;
  esac
done

tmp_base=${TMPDIR:-/tmp}
tmp=""
pids=()

log() { printf 'demo: %s\n' "$*"; }

# shellcheck disable=SC2317  # invoked through trap
cleanup() {
  trap - EXIT INT TERM
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n $tmp ]]; then rm -rf "$tmp"; fi
  if ((${#pids[@]} > 0)); then log "stopped everything"; fi
}

# Processes of an earlier demo whose script is gone (killed with SIGKILL, say):
# recognised by their working directory, which is that demo's temp dir.
cleanup_stale() {
  local dir owner pid
  for dir in "$tmp_base"/ringproxy-demo.*; do
    [[ -d $dir && -O $dir ]] || continue
    owner=$(cat "$dir/owner" 2>/dev/null || echo 0)
    if ((owner > 0)) && kill -0 "$owner" 2>/dev/null; then continue; fi
    if [[ -f $dir/pids ]]; then
      while read -r pid; do
        if [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$dir" ]]; then
          kill -KILL "$pid" 2>/dev/null || true
        fi
      done <"$dir/pids"
    fi
    rm -rf "$dir"
  done
}

port_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# First port >= $1 that can be bound and is not in the rest of the arguments.
next_free_port() {
  local port=$1 taken p
  shift
  while ((port < 65535)); do
    taken=0
    for p in "$@"; do ((p == port)) && taken=1; done
    if ((taken == 0)) && port_free "$port"; then
      echo "$port"
      return 0
    fi
    port=$((port + 1))
  done
  echo "demo: no free port" >&2
  return 1
}

# Waits up to 10 s for a PING reply on $1 while process $2 lives.
wait_ping() {
  local port=$1 pid=$2
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Starts a background process with the temp dir as its working directory.
start_in_tmp() {
  local logfile=$1
  shift
  (cd "$tmp" && exec "$@") >"$logfile" 2>&1 &
  pids+=($!)
  echo $! >>"$tmp/pids"
}

# --etcd: etcd on free ports, backends 1 and 2 as members, two proxies.
run_etcd_demo() {
  local etcd_port peer_port url prefix ports=() p i
  etcd_port=$(next_free_port 2379 "${backend_ports[@]}")
  peer_port=$(next_free_port $((etcd_port + 1)) "${backend_ports[@]}" "$etcd_port")
  url=http://127.0.0.1:$etcd_port
  start_in_tmp "$tmp/etcd.log" etcd --name demo --data-dir "$tmp/etcd" \
    --listen-client-urls "$url" --advertise-client-urls "$url" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "demo=http://127.0.0.1:$peer_port"
  for _ in $(seq 100); do
    if ETCDCTL_API=3 etcdctl --endpoints "$url" endpoint health >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  etcdctl() { ETCDCTL_API=3 command etcdctl --endpoints "$url" "$@"; }
  prefix=/ringproxy/demo/backends
  etcdctl put "$prefix/cache-1" "127.0.0.1:${backend_ports[0]}:1" >/dev/null
  etcdctl put "$prefix/cache-2" "127.0.0.1:${backend_ports[1]}:1" >/dev/null
  p=${RINGPROXY_DEMO_PORT:-6380}
  for i in 1 2; do
    p=$(next_free_port "$p" "${backend_ports[@]}" "$etcd_port" "$peer_port" "${ports[@]}")
    start_in_tmp "$tmp/ringproxy-$i.log" "$proxy_bin" --listen "127.0.0.1:$p" --etcd "$url" \
      --pool-name demo
    if ! wait_ping "$p" "${pids[-1]}"; then
      log "ringproxy $i did not start; its log ($tmp/ringproxy-$i.log):"
      tail -n 40 "$tmp/ringproxy-$i.log" >&2 || true
      return 1
    fi
    ports+=("$p")
  done
  log "etcd:     $url (members under $prefix/)"
  log "proxies:  127.0.0.1:${ports[0]} and 127.0.0.1:${ports[1]}"
  log "logs:     $tmp"
  echo
  echo "add the third backend to both proxies with one put:"
  echo "  ETCDCTL_API=3 etcdctl --endpoints $url put $prefix/cache-3 127.0.0.1:${backend_ports[2]}:1"
  echo "(or PROXY ADD on either proxy, which writes that key:"
  echo "  redis-cli -p ${ports[0]} PROXY ADD 127.0.0.1:${backend_ports[2]}:1 cache-3)"
  echo "and remove it with:"
  echo "  ETCDCTL_API=3 etcdctl --endpoints $url del $prefix/cache-3"
  echo
  if ((check)); then
    etcdctl put "$prefix/cache-3" "127.0.0.1:${backend_ports[2]}:1" >/dev/null
    # Both proxies route alike once each has applied the put: keys written
    # through one are read back through the other, and some land on cache-3.
    local ok=0 k
    for _ in $(seq 100); do
      for k in $(seq 50); do redis-cli -p "${ports[0]}" set "demo:$k" "v$k" >/dev/null; done
      ok=1
      for k in $(seq 50); do
        [[ $(redis-cli -p "${ports[1]}" get "demo:$k") == "v$k" ]] || ok=0
      done
      if ((ok)) && (($(redis-cli -p "${backend_ports[2]}" dbsize) > 0)); then break; fi
      ok=0
      sleep 0.1
    done
    ((ok)) || { log "check failed: the proxies do not route alike with cache-3"; return 1; }
    log "check passed: one etcdctl put added cache-3 to both proxies"
    return 0
  fi
  log "press Ctrl-C to stop"
  wait "${pids[-1]}" || true
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/install-deps.sh
cleanup_stale
tmp=$(mktemp -d "$tmp_base/ringproxy-demo.XXXXXX")
echo $$ >"$tmp/owner"

proxy_bin=${RINGPROXY_BIN:-}
if [[ -z $proxy_bin ]]; then
  log "building build/ringproxy"
  if ! scripts/build.sh build >"$tmp/build.log" 2>&1; then
    tail -n 40 "$tmp/build.log" >&2
    log "build failed"
    exit 1
  fi
  proxy_bin=$root/build/ringproxy
fi

backend_ports=()
port=7001
while ((${#backend_ports[@]} < 3)); do
  port=$(next_free_port "$port")
  start_in_tmp "$tmp/redis-$port.log" redis-server --port "$port" --bind 127.0.0.1 \
    --save '' --appendonly no --daemonize no --dir "$tmp"
  if wait_ping "$port" "${pids[-1]}"; then
    backend_ports+=("$port")
  else
    log "redis-server on port $port did not start; trying the next port"
    tail -n 5 "$tmp/redis-$port.log" >&2 || true
  fi
  port=$((port + 1))
done

if ((etcd_mode)); then
  run_etcd_demo
  exit $?
fi

proxy_port=$(next_free_port "${RINGPROXY_DEMO_PORT:-6380}" "${backend_ports[@]}")
# The demo config: conf/demo.conf with the real listen address and backends.
config=$tmp/demo.conf
{
  grep -vE '^[[:space:]]*(listen|backend)[[:space:]]*=' conf/demo.conf
  echo "listen = 127.0.0.1:$proxy_port"
  for p in "${backend_ports[@]}"; do echo "backend = 127.0.0.1:$p:1"; done
} >"$config"

start_in_tmp "$tmp/ringproxy.log" "$proxy_bin" --config "$config"
proxy_pid=${pids[-1]}
if ! wait_ping "$proxy_port" "$proxy_pid"; then
  log "ringproxy did not start; its log ($tmp/ringproxy.log):"
  tail -n 40 "$tmp/ringproxy.log" >&2 || true
  exit 1
fi

log "backends: ${backend_ports[*]/#/127.0.0.1:}"
log "config:   $config"
log "logs:     $tmp"
echo
echo "connect with: redis-cli -p $proxy_port"
echo

if ((check)); then
  cli=(redis-cli -h 127.0.0.1 -p "$proxy_port")
  [[ $("${cli[@]}" set demo:key hello) == OK ]]
  [[ $("${cli[@]}" get demo:key) == hello ]]
  log "check passed: SET/GET through the proxy"
  exit 0
fi

log "press Ctrl-C to stop"
status=0
wait "$proxy_pid" || status=$?
log "ringproxy exited with status $status; its log ($tmp/ringproxy.log):"
tail -n 20 "$tmp/ringproxy.log" >&2 || true
exit "$status"
