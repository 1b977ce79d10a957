#!/usr/bin/env bash
# Instructions per call of the metrics' data-path calls, counted by callgrind
# (bench/stats_probe.cpp): each probe's instructions minus the baseline loop's,
# divided by the calls.
#   bench/stats_callgrind.sh [build-dir] [calls]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
calls=${2:-1000000}
probe_bin=$build/bench/stats_probe
[[ -x $probe_bin ]] || { echo "build $probe_bin first (cmake --build $build --target stats_probe)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

count() {  # total instructions inside probe_<function> for one run
  local probe=$1 fn=$2
  valgrind --tool=callgrind --toggle-collect="probe_$fn" --callgrind-out-file="$out/$probe.out" \
    "$probe_bin" "$probe" "$calls" >/dev/null 2>&1
  awk '/^(summary|totals):/ { print $2; exit }' "$out/$probe.out"
}

base=$(count baseline baseline)
printf '%-22s %12s\n' probe "instr/call"
for probe in histogram_record backend_counters backend_metrics command_record \
  hot_keys_1 hot_keys_8 hot_keys_32 hot_keys_64 hot_keys_128 hot_keys_1024; do
  fn=$probe
  [[ $probe == hot_keys_* ]] && fn=hot_keys
  total=$(count "$probe" "$fn")
  awk -v t="$total" -v b="$base" -v n="$calls" -v p="$probe" \
    'BEGIN { printf "%-22s %12.1f\n", p, (t - b) / n }'
done
printf '%-22s %12.1f\n' "(baseline loop)" "$(awk -v b="$base" -v n="$calls" 'BEGIN { print b / n }')"
