#!/usr/bin/env bash
# Configures and builds ringproxy.
#   scripts/build.sh [build-dir] [extra cmake args...]
# build-dir defaults to build/ (relative to the current directory when given,
# else to the repository root). Extra arguments go to the configure step,
# e.g. scripts/build.sh build-asan -DRINGPROXY_SANITIZE=ON
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$root/build
if (($# > 0)) && [[ $1 != -* ]]; then
  build_dir=$1
  shift
  [[ $build_dir == /* ]] || build_dir=$PWD/$build_dir
fi

# A developer's build: RelWithDebInfo, tests and micro benchmarks on, warnings
# are errors. Arguments given later on the command line override these.
defaults=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGPROXY_TESTS=ON -DRINGPROXY_BENCH=ON
  -DRINGPROXY_WERROR=ON)

cmake -S "$root" -B "$build_dir" "${defaults[@]}" "$@"
cmake --build "$build_dir" -j "$(nproc)"
