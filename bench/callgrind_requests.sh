#!/usr/bin/env bash
# User-space instructions per request of the whole proxy, counted by
# callgrind: ringproxy runs under valgrind in front of 3 redis-servers while
# redis-benchmark sends 200,000 requests (GET and SET, 50 clients); the
# proxy's total instructions, start-up and shutdown included, divided by the
# requests. Exact where requests per second on a shared machine are noise:
# compare two binaries with the same arguments, or one binary with two sets.
#   bench/callgrind_requests.sh BINARY [PIPELINE...] [-- PROXY_ARG...]   (default: 1 16)
# REQUESTS=N sets the requests per test (default 100000; GET and SET each).
# KEEP=DIR keeps the callgrind files there (DIR/callgrind.P) for callgrind_annotate.
# STEADY=1 counts only the requests: the counters are zeroed once the proxy
# answers (callgrind_control -z) and dumped when redis-benchmark is done, so
# start-up (libraries, option table, connections to backends) and shutdown
# are left out; the default counts the whole run, as the figures in
# bench/README.md before issue 16's cut did.
# Health timeouts are raised and the request and stall timeouts are off:
# under callgrind the proxy runs about 50 times slower, and a probe or request
# timing out would add work to one run only.
set -euo pipefail
bin=$(realpath "$1")
shift
pipelines=()
while (($# > 0)) && [[ $1 != -- ]]; do
  pipelines+=("$1")
  shift
done
(($# > 0)) && shift
proxy_args=("$@")
((${#pipelines[@]} > 0)) || pipelines=(1 16)
requests=${REQUESTS:-100000}
out=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_ping() {
  for _ in $(seq 200); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "nothing answers on port $1" >&2
  return 1
}

backends=()
for i in 0 1 2; do
  port=$(free_port)
  redis-server --port "$port" --save '' --appendonly no --dir "$out" >"$out/redis$i.log" 2>&1 &
  pids+=($!)
  wait_ping "$port"
  backends+=(--backend "127.0.0.1:$port:1")
done

# Binaries from before stall detection (issue 16's "before") have no
# --stall-timeout-ms.
stall_off=()
"$bin" --help 2>&1 | grep -q -- --stall-timeout-ms && stall_off=(--stall-timeout-ms 0)

printf '%-10s %16s %14s\n' pipeline instructions per_request
for p in "${pipelines[@]}"; do
  port=$(free_port)
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$p" "$bin" \
    --listen "127.0.0.1:$port" --health-timeout-ms 30000 --connect-timeout-ms 30000 \
    --timeout-ms 0 "${stall_off[@]}" "${proxy_args[@]}" "${backends[@]}" \
    >"$out/proxy.$p.log" 2>&1 &
  proxy=$!
  pids+=("$proxy")
  wait_ping "$port"
  if [[ -n ${STEADY:-} ]]; then
    callgrind_control -z "$proxy" >/dev/null 2>&1
  fi
  redis-benchmark -p "$port" -t get,set -n "$requests" -c 50 -P "$p" -q >"$out/bench.$p" 2>&1
  if [[ -n ${STEADY:-} ]]; then
    callgrind_control -d "$proxy" >/dev/null 2>&1
  fi
  kill -TERM "$proxy"
  wait "$proxy" || true
  if [[ -n ${STEADY:-} ]]; then
    mv "$out/callgrind.$p.1" "$out/callgrind.$p"
  fi
  total=$(awk '/^(summary|totals):/ { print $2; exit }' "$out/callgrind.$p")
  awk -v t="$total" -v p="$p" -v n="$requests" 'BEGIN { printf "%-10s %16d %14.0f\n", "-P " p, t, t / (2 * n) }'
  if [[ -n ${KEEP:-} ]]; then
    mkdir -p "$KEEP"
    cp "$out/callgrind.$p" "$KEEP/callgrind.$p"
  fi
done
