#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: Debian's postgresql-15, run as the postgres user
# in a temporary data directory on a loopback port, trusting local connections.
#
#   scripts/postgres.sh start DIR PORT   initdb DIR (when empty) and start the server
#   scripts/postgres.sh stop DIR         stop it (fast shutdown)
#
# The URL is postgres://postgres@127.0.0.1:PORT/postgres. As root the server runs as the postgres
# user (initdb refuses to run as root), otherwise as the caller; DIR and its log (DIR/log)
# belong to that user.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
cmd=${1:?start|stop} dir=${2:?data directory}
as_owner() { if (($(id -u) == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    if (($(id -u) == 0)); then chown postgres: "$dir" "$(dirname "$dir")"; fi
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir" -A trust -U postgres >"$dir.initdb.log"
    fi
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k /tmp -c fsync=on -c synchronous_commit=on -c max_connections=400" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null || true
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
