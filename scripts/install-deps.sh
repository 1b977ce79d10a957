#!/usr/bin/env bash
# Installs everything ringproxy needs to build, test, benchmark and demo on
# Debian 12. Idempotent and fast when all is present: it asks dpkg first and
# only touches apt (update + install) when something is missing.
#
# etcd-server may start Debian's own etcd service on the default ports
# 2379/2380; nothing here uses it: the tests start their own etcd on free
# loopback ports with a temporary data directory.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libhiredis-dev libuv1-dev libboost-program-options-dev libyaml-cpp-dev
  nlohmann-json3-dev prometheus-cpp-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  redis-server redis-tools nutcracker prometheus-redis-exporter
  libcurl4-openssl-dev libssl-dev etcd-server etcd-client openssl
  gnuplot-nox python3 python3-redis python3-prometheus-client clang-format valgrind
  # scripts/fuzz.sh: clang, libFuzzer and the sanitizer runtimes (only recommended
  # by clang, so named here), llvm-symbolizer for symbolized reports.
  clang libclang-rt-14-dev llvm-14
)

# Node.js may already come from outside Debian (its nodejs package bundles npm
# and conflicts with Debian's npm), so Debian's is installed only if node is absent.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

# One dpkg-query call for all: a package counts only when fully installed.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null |
  awk '$2 == "installed" { sub(/:.*/, "", $1); print $1 }' || true)
missing=()
for pkg in "${packages[@]}"; do
  if ! grep -qxF -- "$pkg" <<<"$installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  sudo=()
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "install-deps: not root and sudo is missing; install: ${missing[*]}" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: warning: node is present but npm is not; the client-compat tests need npm" >&2
fi
