#!/bin/sh
# Smoke run of the side-by-side benchmark script (CTest BenchScript.QuickRun):
# 1 round, 1/20 of the requests, 500 idle connections, fixed placement when
# there are 2 CPUs. It must start everything, get a number for every target in
# every scenario, and write its table. No number is compared (performance is
# reported by bench/, never asserted).
#   tests/bench_smoke.sh RINGPROXY_BIN NUTCRACKER_BIN OUT_DIR
set -eu
ringproxy=$1 nutcracker=$2 out=$3
here=$(cd "$(dirname "$0")/.." && pwd)
pin=
[ "$(nproc)" -ge 2 ] && pin=--pin
rm -rf "$out"
/usr/bin/python3 "$here/bench/run_bench.py" --quick --no-plot $pin \
  --ringproxy "$ringproxy" --nutcracker "$nutcracker" --out "$out"
table="$out/table.txt"
# Nine scenario rows, none with a missing ("-") requests/s.
scenario='^(GET|SET|MSET\(10\)|INCR|LPUSH) c(50|500) P[0-9]+ '
rows=$(grep -cE "$scenario" "$table")
[ "$rows" -eq 9 ] || { echo "bench_smoke: $rows scenario rows in $table, expected 9" >&2; exit 1; }
if grep -E "$scenario" "$table" | awk '$4 == "-" || $5 == "-" || $6 == "-" { bad = 1 } END { exit !bad }'; then
  echo "bench_smoke: a target has no result:" >&2
  cat "$table" >&2
  exit 1
fi
grep -q '^ringproxy ' "$table" || { echo "bench_smoke: no memory row for ringproxy" >&2; exit 1; }
echo "bench_smoke: ok"
