#!/usr/bin/env bash
# Installs every Debian 12 package hookd needs to build, test and benchmark. Idempotent.
# Run it as any user: only the apt-get step is elevated, and only when a package is missing
# (as root apt-get runs directly, so a fresh Debian 12 without sudo works; otherwise via sudo).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config ccache clang clang-format libclang-rt-14-dev
  libboost-dev libboost-system-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev
  libsimdjson-dev libre2-dev nlohmann-json3-dev libssl-dev libtomlplusplus-dev libcli11-dev
  libspdlog-dev libfmt-dev libjemalloc-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest python3-pytest-xdist python3-requests python3-aiosmtpd python3-jsonschema php-cli
  nginx-light wrk curl tinyproxy postgresql-15 postgresql-client-15
  chromium fonts-dejavu-core
)
# Node.js may come from another packaging that bundles npm; only ask Debian when it is absent.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  as_root=()
  [[ "$(id -u)" -ne 0 ]] && as_root=(sudo)
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
