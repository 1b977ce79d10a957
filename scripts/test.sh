#!/usr/bin/env bash
# The one test command: installs dependencies, builds, runs every test, does
# it all again under AddressSanitizer + UndefinedBehaviorSanitizer, then runs
# every libFuzzer target briefly (scripts/fuzz.sh).
#   SKIP_SANITIZE=1 scripts/test.sh   # skip the sanitizer pass
#   SKIP_FUZZ=1 scripts/test.sh       # skip the fuzzing pass
#   FUZZ_SECONDS=N scripts/test.sh    # seconds per fuzz target (default 15)
# Exits non-zero on any failure.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

phase() { printf '\n=== %s (%ds elapsed) ===\n' "$1" "$SECONDS"; }

phase "dependencies"
scripts/install-deps.sh

# npm packages for the client-compatibility tests, if that suite exists yet.
if [[ -f tests/clients/package.json ]]; then
  phase "npm packages for tests/clients"
  (
    cd tests/clients
    if [[ -f package-lock.json ]]; then
      npm ci --no-audit --no-fund
    else
      npm install --no-audit --no-fund
    fi
  )
  # The npm packages are in place: the client tests must run, not skip.
  export RINGPROXY_REQUIRE_CLIENTS=1
fi

phase "build (build/)"
scripts/build.sh build

phase "tests (build/)"
ctest --test-dir build --output-on-failure --no-tests=error -j2 --timeout 600

if [[ ${SKIP_SANITIZE:-0} != 1 ]]; then
  phase "build with ASan+UBSan (build-asan/)"
  scripts/build.sh build-asan -DRINGPROXY_SANITIZE=ON -DRINGPROXY_BENCH=OFF

  phase "tests with ASan+UBSan (build-asan/)"
  # Memory errors, leaks and UB abort the process, so a test sees them as a
  # crash (the harness fails a test whose proxy does not exit cleanly).
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure --no-tests=error -j2 --timeout 600
fi

if [[ ${SKIP_FUZZ:-0} != 1 ]]; then
  phase "fuzz targets, ${FUZZ_SECONDS:-15}s each (build-fuzz/)"
  scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
fi

phase "all tests passed"
