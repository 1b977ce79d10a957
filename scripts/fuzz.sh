#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/, clang with ASan+UBSan, in
# build-fuzz/) and runs each for SECONDS (default 60), one after the other.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # TARGET: request_parser, reply_scanner, ...
# Environment: FUZZ_BUILD=0 skips the build (runs what build-fuzz/ has);
# FUZZ_CMAKE_ARGS adds configure arguments (e.g. the ccache launcher);
# FUZZ_RSS_MB (default 2048) and FUZZ_TIMEOUT (seconds per input, default 10)
# are libFuzzer's -rss_limit_mb and -timeout.
# Each target starts from its committed corpus (tests/fuzz/corpus/<target>/,
# never written to) plus what earlier runs found (build-fuzz/corpus/<target>/).
# Exits non-zero on any finding: a crash, a failed check, a leak, undefined
# behaviour, an input slower than FUZZ_TIMEOUT, or memory beyond FUZZ_RSS_MB;
# the input is saved under build-fuzz/artifacts/<target>/ and the report is
# in build-fuzz/logs/<target>.log. Prints the executions of every target.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=${1:-60}
if (($# > 0)); then shift; fi
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi
all_targets=(request_parser reply_scanner config_file twemproxy_yaml)
targets=("$@")
((${#targets[@]} > 0)) || targets=("${all_targets[@]}")

build=$root/build-fuzz
if [[ ${FUZZ_BUILD:-1} != 0 ]]; then
  scripts/install-deps.sh
  # shellcheck disable=SC2086 # FUZZ_CMAKE_ARGS is a list of arguments
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRINGPROXY_FUZZ=ON -DRINGPROXY_TESTS=OFF -DRINGPROXY_BENCH=OFF -DRINGPROXY_WERROR=ON \
    ${FUZZ_CMAKE_ARGS:-} >/dev/null
  cmake --build "$build" -j "$(nproc)" --target fuzz_targets
fi

# Symbolized stacks in reports; leaks and UB are findings.
symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 ||
  echo /usr/lib/llvm-14/bin/llvm-symbolizer)
export ASAN_SYMBOLIZER_PATH=$symbolizer
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:symbolize=1}

mkdir -p "$build/logs"
failed=()
summary=()
for t in "${targets[@]}"; do
  bin=$build/fuzz/fuzz_$t
  seeds=$root/tests/fuzz/corpus/$t
  if [[ ! -x $bin || ! -d $seeds ]]; then
    echo "fuzz: unknown target '$t' (targets: ${all_targets[*]})" >&2
    exit 2
  fi
  work=$build/corpus/$t
  artifacts=$build/artifacts/$t
  log=$build/logs/$t.log
  mkdir -p "$work" "$artifacts"
  echo "fuzz: $t for ${seconds}s (log: $log)"
  status=0
  "$bin" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" \
    -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work" "$seeds" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if ((status != 0)) || grep -q '^==[0-9]*==ERROR\|runtime error:' "$log"; then
    failed+=("$t")
    summary+=("$(printf '%-16s FAILED (exit %d) after %s executions' "$t" "$status" "${execs:-?}")")
    echo "---- $t: finding (last lines of $log) ----"
    tail -n 60 "$log"
    ls -1 "$artifacts" | sed "s|^|  artifact: $artifacts/|"
  else
    summary+=("$(printf '%-16s ok, %s executions in %ss, corpus %s inputs' "$t" "${execs:-?}" \
      "$seconds" "$(find "$work" -type f | wc -l)")")
  fi
done

echo
echo "fuzz summary:"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
