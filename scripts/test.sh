#!/usr/bin/env bash
# The whole test suite: the module map check (docs/architecture.md), unit tests (warnings as
# errors), the integration tests against the real binary with real receivers and real npm
# clients, on SQLite and again on a real PostgreSQL server, the unit tests and the integration
# tests again under ASan+UBSan, and a short run of every fuzz target.
# Usage: scripts/test.sh [--fast]  (--fast: no sanitizers/fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
fast=0
[[ "${1:-}" == "--fast" ]] && fast=1
jobs=$(nproc)

scripts/install-deps.sh
echo "== module map (docs/architecture.md)"
python3 scripts/check-modules.py
if [[ ! -d tests/node/node_modules/axios || ! -d tests/node/node_modules/svix || ! -d tests/node/node_modules/svix1 ||
      ! -d tests/node/node_modules/playwright-core ]]; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== build (Debug, -Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHOOKD_WERROR=ON >/dev/null
cmake --build build -j"$jobs"

# A PostgreSQL server of Debian's postgresql-15 in a temporary directory on a free loopback
# port, for the PostgreSQL store's unit tests and the integration suite's second run: every
# hookd those tests start gets a database of its own on it (tests/hookd_support.py).
pg_dir=$(mktemp -d /tmp/hookd-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'scripts/postgres.sh stop "$pg_dir/data"; rm -rf "$pg_dir"' EXIT
pg_url=$(scripts/postgres.sh start "$pg_dir/data" "$pg_port")
export HOOKD_TEST_POSTGRES_DIR="$pg_dir/data" HOOKD_TEST_POSTGRES_PORT="$pg_port"
postgres=${pg_url%/postgres}

echo "== unit tests"
HOOKD_TEST_POSTGRES="$postgres" ctest --test-dir build --output-on-failure -j"$jobs"

# The integration tests run on $jobs pytest workers (pytest-xdist): each test starts hookd
# processes of its own on free ports, in directories (and PostgreSQL databases) of its own; the
# tests of an xdist_group share a worker (test_openapi.py's check that every documented operation
# was exercised reads what its other tests recorded). The tests that stop the shared PostgreSQL
# server run after the others, alone.
echo "== integration tests"
HOOKD_BIN="$PWD/build/hookd" /usr/bin/python3 -m pytest -q -n "$jobs" --dist loadgroup tests

echo "== integration tests on PostgreSQL"
HOOKD_TEST_POSTGRES="$postgres" HOOKD_BIN="$PWD/build/hookd" \
  /usr/bin/python3 -m pytest -q -n "$jobs" --dist loadgroup -m "not stops_postgres" tests
HOOKD_TEST_POSTGRES="$postgres" HOOKD_BIN="$PWD/build/hookd" \
  /usr/bin/python3 -m pytest -q -m stops_postgres tests

if ((fast)); then exit 0; fi

echo "== unit tests under ASan+UBSan"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHOOKD_WERROR=ON -DHOOKD_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" --target hookd_unit_tests
HOOKD_TEST_POSTGRES="$postgres" ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  build-asan/hookd_unit_tests --gtest_brief=1

echo "== integration tests against the ASan+UBSan server"
# A sanitizer report stops the server, and the test that was running fails with its log.
cmake --build build-asan -j"$jobs" --target hookd
# One worker: the sanitized server is several times slower, and two such runs side by side
# leave the timing-sensitive tests (connection caps, cluster failover) little margin.
ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  HOOKD_BIN="$PWD/build-asan/hookd" /usr/bin/python3 -m pytest -q tests

seconds=${HOOKD_FUZZ_SECONDS:-20}
echo "== fuzz targets ($seconds s each; hostile_json_fuzz, deep nesting and regex filters, 3x)"
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHOOKD_FUZZ=ON -DHOOKD_TESTS=OFF >/dev/null
fuzz_targets=(message_input_fuzz text_parsers_fuzz inbound_fuzz filter_fuzz raw_request_fuzz
              hostile_json_fuzz journey_definition_fuzz dashboard_path_fuzz)
cmake --build build-fuzz -j"$jobs" --target "${fuzz_targets[@]}"
for target in "${fuzz_targets[@]}"; do
  corpus="build-fuzz/corpus/$target"
  mkdir -p "$corpus"
  cp -n fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  t=$seconds
  [[ $target == hostile_json_fuzz ]] && t=$((seconds * 3))
  "build-fuzz/$target" -max_total_time="$t" -max_len=4096 "$corpus" 2>&1 | tail -n 2
done
