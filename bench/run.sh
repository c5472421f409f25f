#!/usr/bin/env bash
# hookd benchmark suite: every figure beside a ceiling measured in the same run.
#
#   bench/run.sh [--quick] [--bin PATH] [--keep]
#
#   --quick     3 s measuring windows and smaller counts (5,000 end-to-end messages, fan-out of
#               200 messages, 1,000 endpoints in 100 apps, 50,000 pending deliveries); finishes
#               well under 3 minutes (CI runs this to prove the suite works; no thresholds)
#   --bin PATH  hookd binary to measure (default build-release/hookd, built in Release with
#               cmake + Ninja when it is missing)
#   --keep      keep the temporary directory (logs, nginx config, hookd data) for inspection
#   environment: BENCH_TIME_LIMIT=SECONDS overrides the bound on the whole run (quick 170,
#               full 1200; the build is not counted); other HOOKD_* variables reach hookd
#
# What it does, all on 127.0.0.1, everything it starts stopped on exit (trap), every step
# bounded in time:
#   1. nginx `location / { return 200; }` on a free port (generated config, temp dir):
#      ceiling A = wrk -t2 -c64 POSTing a ~1 KB JSON body, requests/s.
#   2. bench/curl_ceiling.c (compiled here): one thread, one libcurl multi handle, 64 POSTs of
#      the same body in flight to nginx: ceiling B, requests/s.
#      Both ceilings are measured again after the scenarios they bound (A after ingest and after
#      end to end, B after drain and after fan-out): each ratio divides by the mean of the
#      nearest measurement before its scenario and the nearest after it (the other ceiling or
#      another scenario may run in between), as the machine drifts within a run.
#   3. ingest: hookd with HOOKD_ROLE=api (accepts, does not deliver), event type bench.event,
#      one app, one endpoint pointing at nginx; wrk POSTs {"eventType":"bench.event",
#      "payload":{...1 KB...}} to /api/v1/app/{app}/msg. Figure: 202 responses/s (anything
#      else is counted and reported, never counted as accepted), p50/p99 latency. Ratio to A.
#   4. drain: the same data dir restarted with role all; every message accepted in step 3 is a
#      pending delivery. Figure: deliveries/s until /metrics hookd_deliveries_succeeded_total
#      reaches that count (from first delivery), and seconds from start to first delivery.
#      Ratio to B.
#   5. end to end: fresh hookd, role all; N messages posted (64 in flight) while delivery runs.
#      Figure: N / seconds from the first POST until hookd_deliveries_succeeded_total = N.
#      Ratio to A. Then the same instance at half that rate, paced, for the window: for each
#      message, the time from the start of its POST to nginx's receipt of its delivery
#      (joined on webhook-id, nginx logging $msec for location /latency only): p50/p99.
#   6. fan-out: fresh hookd, role all, one app with 100 endpoints (nginx /fan/0 .. /fan/99, all
#      subscribed to bench.event); M messages (quick 200, full 1,000) posted, 64 in flight.
#      Figure: M*100 / seconds from the first POST until hookd_deliveries_succeeded_total
#      reaches M*100. Ratio to B.
#   7. isolation: a python3 TCP server on 127.0.0.1 that accepts connections and never answers.
#      Two fresh hookds, role all, HOOKD_REQUEST_TIMEOUT_MS=2000, one app each: first with 9
#      endpoints at nginx, then with the same 9 plus one at the silent server (created first).
#      Each run: M messages (quick 10,000, full 30,000) posted, 64 in flight; figure: M*9 /
#      seconds from the first POST until hookd_deliveries_succeeded_total reaches M*9 (the
#      silent endpoint never succeeds). Ratio with / without. The full mode runs four fresh
#      hookds (without, with, with, without) and compares the means; quick mode one of each.
#   8. scale: fresh hookd, role api; 10 event types t.0 .. t.9, applications s0 .. s(N-1)
#      (full 1,000, quick 100), each with 10 endpoints, endpoint k subscribed to t.k only,
#      created through the API by bench/populate.py (8 connections). wrk (bench/scale.lua) POSTs
#      each message to a random app uid with a random event type: each matches one endpoint.
#      Figure: 202 responses/s, p50/p99. Ratio to the 1-endpoint ingest figure, measured
#      again (fresh hookd, as in step 3) right before and right after this step: their mean.
#   9. memory: fresh hookd, role api, one endpoint at nginx; N messages (full 1,000,000, quick
#      50,000) posted by the libcurl loop, 64 in flight; stopped, restarted with role all on
#      the same data dir. Figures: VmHWM (peak RSS) of the restarted process once every
#      pending delivery succeeded (or the window ran out), seconds from its start to the first
#      delivery, and the drain rate. No ratio.
# The table at the end is Markdown, ready to paste into docs/benchmarks.md.
#
# Requirements: nginx, wrk (LuaJIT), cc + libcurl headers, curl, python3, coreutils timeout.
# Exit status: 0 when every scenario produced a figure, 1 otherwise.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$ROOT/bench"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

QUICK=0
KEEP=0
BIN=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --keep) KEEP=1 ;;
        --bin) shift; [ $# -gt 0 ] || { echo "--bin needs a path" >&2; exit 2; }; BIN="$1" ;;
        --bin=*) BIN="${1#--bin=}" ;;
        -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$QUICK" = 1 ]; then
    MODE=quick; DUR=3; WARM=1; E2E_N=5000; DRAIN_WINDOW=30; E2E_WINDOW=60; TIME_LIMIT=170
    FAN_M=200; ISO_M=10000; SCALE_APPS=100; MEM_N=50000
    FAN_WINDOW=40; ISO_WINDOW=40; POPULATE_WINDOW=60; MEM_INGEST_WINDOW=60; MEM_WINDOW=60
else
    MODE=full; DUR=10; WARM=2; E2E_N=20000; DRAIN_WINDOW=120; E2E_WINDOW=180; TIME_LIMIT=1200
    FAN_M=1000; ISO_M=30000; SCALE_APPS=1000; MEM_N=1000000
    FAN_WINDOW=120; ISO_WINDOW=120; POPULATE_WINDOW=180; MEM_INGEST_WINDOW=300; MEM_WINDOW=300
fi
FAN_EPS=100       # endpoints in the fan-out app
ISO_EPS=9         # healthy endpoints in the isolation app (plus one silent one)
ISO_TIMEOUT_MS=2000
SCALE_PER_APP=10  # endpoints per app in the scale scenario = number of event types
TIME_LIMIT=${BENCH_TIME_LIMIT:-$TIME_LIMIT}   # whole run, build excluded
CONNS=64          # connections / transfers in flight, everywhere
WRK_THREADS=2     # wrk threads (the machine has 2 cores; same for ceiling and hookd)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in nginx wrk cc curl timeout; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || die "$tool is not installed"
done
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

# ---------------------------------------------------------------- hookd binary
if [ -z "$BIN" ]; then
    BIN="$ROOT/build-release/hookd"
    if [ ! -x "$BIN" ]; then
        log "building hookd (Release) into build-release/"
        ( cd "$ROOT" &&
          timeout 3600 cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release &&
          timeout 3600 cmake --build build-release --target hookd ) >&2 || die "build failed"
    fi
fi
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
[ -x "$BIN" ] || die "hookd binary not found or not executable: $BIN"

# ---------------------------------------------------------------- temp dir, cleanup
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hookd-bench.XXXXXX") || die "mktemp failed"
chmod 755 "$TMP"
NGINX_PID=""
HOOKD_PID=""
CHILD_PID=""
WATCHDOG_PID=""
SILENT_PID=""

# stop_pid pid signal grace_seconds -> 0 if it exited on the signal, 1 if it needed SIGKILL;
# STOP_RC: its exit status (128 + n: killed by signal n)
STOP_RC=0
stop_pid() {
    local pid=$1 sig=$2 grace=$3 i
    STOP_RC=0
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; STOP_RC=$?; return 0; }
    kill "-$sig" "$pid" 2>/dev/null
    for ((i = 0; i < grace * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; STOP_RC=$?; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    STOP_RC=$?
    return 1
}

cleanup() {
    trap - EXIT INT TERM
    [ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null
    [ -n "$CHILD_PID" ] && stop_pid "$CHILD_PID" TERM 2
    [ -n "$HOOKD_PID" ] && stop_pid "$HOOKD_PID" TERM 5
    [ -n "$SILENT_PID" ] && stop_pid "$SILENT_PID" TERM 2
    [ -n "$NGINX_PID" ] && stop_pid "$NGINX_PID" QUIT 5
    if [ "$KEEP" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# the whole run is bounded: the watchdog signals this shell, whose trap stops everything
( trap 'kill "$sp" 2>/dev/null; exit 0' TERM
  sleep "$TIME_LIMIT" & sp=$!; wait "$sp" || exit 0
  echo "[bench] time limit of ${TIME_LIMIT}s reached, stopping" >&2
  kill -TERM $$ 2>/dev/null ) &
WATCHDOG_PID=$!

# run_bounded SECONDS OUTFILE cmd... : runs cmd in the background (so that traps fire at once),
# stdout to OUTFILE, stderr to OUTFILE.err, killed after SECONDS.
run_bounded() {
    local secs=$1 out=$2 rc
    shift 2
    timeout -k 5 "$secs" "$@" >"$out" 2>"$out.err" &
    CHILD_PID=$!
    wait "$CHILD_PID"; rc=$?
    CHILD_PID=""
    return $rc
}

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# kv FILE PREFIX KEY: value of KEY= on the line starting with PREFIX (first_* keys: rest of line)
kv() {
    local line
    line=$(grep -m1 "^$2 " "$1" 2>/dev/null) || { echo ""; return; }
    case "$3" in
        first_*) sed -n "s/.* $3=//p" <<<"$line" ;;
        *) tr ' ' '\n' <<<"$line" | sed -n "s/^$3=//p" | head -n1 ;;
    esac
}

kvn() { local v; v=$(kv "$@"); echo "${v:-0}"; }

fmt_num() { "$PY" -c 'import sys; v=sys.argv[1]; print(f"{float(v):,.0f}" if v else "n/a")' "${1:-}"; }
# drain_rate VALUE FIRST_VALUE ELAPSED FIRST: deliveries/s between the first sight of a delivery
# and the end; when that window is too short to mean anything (tiny backlog), the rate since
# start-up instead.
drain_rate() {
    "$PY" -c "
d, t = $1 - $2, $3 - $4
print(d / t if d >= 500 and t >= 0.2 else $1 / max($3, 1e-3))"
}
ratio() { "$PY" -c 'import sys
try: print(f"{float(sys.argv[1])/float(sys.argv[2]):.2f}")
except Exception: print("n/a")' "${1:-}" "${2:-}"; }

# ---------------------------------------------------------------- inputs
LOAD_START=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)
log "mode: $MODE (windows ${DUR}s, end-to-end ${E2E_N} messages), binary: $BIN"
log "temp dir: $TMP"

CURL_CEILING="$TMP/curl_ceiling"
cc -O2 "$BENCH_DIR/curl_ceiling.c" -lcurl -o "$CURL_CEILING" 2>"$TMP/cc.err" ||
    { cat "$TMP/cc.err" >&2; die "cannot compile bench/curl_ceiling.c (libcurl4-openssl-dev?)"; }

# one request body for every scenario: the message envelope around a 1,024-byte payload
BODY="$TMP/body.json"
"$PY" - "$BODY" <<'EOF'
import json, sys
payload = {
    "id": "evt_bench", "type": "order.created", "created": "2026-11-25T13:19:07.123Z",
    "customer": {"id": "cus_0001", "email": "bench@example.com", "country": "FR"},
    "items": [{"sku": f"sku-{i:04d}", "qty": i + 1, "price": 1999} for i in range(5)],
    "note": "",
}
compact = lambda o: json.dumps(o, separators=(",", ":"))
payload["note"] = "x" * (1024 - len(compact(payload)))
assert len(compact(payload)) == 1024
with open(sys.argv[1], "w") as f:
    f.write('{"eventType":"bench.event","payload":' + compact(payload) + "}")
EOF
[ -s "$BODY" ] || die "cannot write the request body"
log "request body: $(wc -c <"$BODY") bytes (payload 1024)"

# ---------------------------------------------------------------- nginx
NGINX_DIR="$TMP/nginx"
mkdir -p "$NGINX_DIR/logs" "$NGINX_DIR/client_body"
NGINX_PORT=$(free_port)
NGINX_URL="http://127.0.0.1:$NGINX_PORT"
{
    echo "worker_processes auto;"
    echo "daemon off;"
    echo "pid $NGINX_DIR/nginx.pid;"
    echo "error_log $NGINX_DIR/logs/error.log warn;"
    [ "$(id -u)" = 0 ] && echo "user root;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "    access_log off;"
    echo "    log_format bench '\$msec \$http_webhook_id';"
    echo "    client_body_temp_path $NGINX_DIR/client_body;"
    # temp paths of the modules this nginx was built with, so nothing outside $TMP is touched
    for m in proxy fastcgi uwsgi scgi; do
        if "$NGINX" -V 2>&1 | grep -q -- "--http-$m-temp-path"; then
            mkdir -p "$NGINX_DIR/$m"; echo "    ${m}_temp_path $NGINX_DIR/$m;"
        fi
    done
    echo "    client_body_buffer_size 16k;"
    echo "    client_max_body_size 1m;"
    echo "    keepalive_requests 10000000;"
    echo "    keepalive_timeout 300s;"
    echo "    server {"
    echo "        listen 127.0.0.1:$NGINX_PORT;"
    echo "        location / { return 200; }"
    echo "        location /latency { access_log $NGINX_DIR/logs/latency.log bench; return 200; }"
    echo "    }"
    echo "}"
} >"$NGINX_DIR/nginx.conf"

"$NGINX" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/logs/error.log" \
    >"$NGINX_DIR/logs/stdout.log" 2>&1 &
NGINX_PID=$!
ok=0
for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST \
        -H 'Content-Type: application/json' --data-binary "@$BODY" "$NGINX_URL/sink" 2>/dev/null)
    [ "$code" = 200 ] && { ok=1; break; }
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
done
if [ "$ok" != 1 ]; then
    cat "$NGINX_DIR/logs/error.log" "$NGINX_DIR/logs/stdout.log" >&2 2>/dev/null
    die "nginx did not answer 200 to a POST on $NGINX_URL (last status: ${code:-none})"
fi
log "nginx (pid $NGINX_PID) answers POST with 200 on $NGINX_URL"

# ---------------------------------------------------------------- results
FAILED=0
declare -A R   # result fields
NOTES=()
note() { NOTES+=("$*"); log "$*"; }
fail() { FAILED=1; note "FAILED: $*"; }

# wrk_run NAME URL EXPECT TOKEN SECONDS [SCRIPT] -> $TMP/NAME.out with the WRK summary line
# (SCRIPT: default bench/post.lua)
wrk_run() {
    local name=$1 url=$2 expect=$3 token=$4 secs=$5 script=${6:-$BENCH_DIR/post.lua}
    BENCH_BODY_FILE="$BODY" BENCH_EXPECT="$expect" BENCH_TOKEN="$token" \
        run_bounded $((secs + 30)) "$TMP/$name.out" \
        wrk -t"$WRK_THREADS" -c"$CONNS" -d"${secs}s" --timeout 10s \
        -s "$script" "$url"
    local rc=$?
    if ! grep -q '^WRK ' "$TMP/$name.out"; then
        cat "$TMP/$name.out" "$TMP/$name.out.err" >&2
        return 1
    fi
    return $rc
}

# ---------------------------------------------------------------- ceilings
# The machine's speed drifts within a run (other work on the shared cores), so each ceiling is
# measured more than once: at the start, and again right after each scenario it bounds. A
# scenario's ratio uses the mean of the nearest measurement before it and the nearest after it.

# ceiling_a K: nginx answering wrk, ${WARM}s warm-up + ${DUR}s; R[a_K] req/s (K=1: also p50/p99)
ceiling_a() {
    local k=$1 bad
    log "ceiling A ($k): nginx, wrk -t$WRK_THREADS -c$CONNS, ${WARM}s warm-up + ${DUR}s"
    wrk_run "nginx_warm_$k" "$NGINX_URL/sink" 200 "" "$WARM" >/dev/null
    if wrk_run "nginx_$k" "$NGINX_URL/sink" 200 "" "$DUR"; then
        R[a_$k]=$(kv "$TMP/nginx_$k.out" WRK ok_rps)
        R[a_${k}_p50]=$(kv "$TMP/nginx_$k.out" WRK p50_ms)
        R[a_${k}_p99]=$(kv "$TMP/nginx_$k.out" WRK p99_ms)
        bad=$(kv "$TMP/nginx_$k.out" WRK unexpected)
        [ "${bad:-0}" != 0 ] && note "nginx ($k): $bad responses were not 200 ($(kv "$TMP/nginx_$k.out" WRK first_unexpected))"
        log "nginx ($k): $(fmt_num "${R[a_$k]}") req/s"
    else
        fail "ceiling A ($k): wrk did not report"
    fi
}

# ceiling_b K: the libcurl multi loop, 1 thread, $CONNS in flight, ${DUR}s; R[b_K] req/s
ceiling_b() {
    local k=$1 bad
    log "ceiling B ($k): libcurl multi loop, 1 thread, $CONNS in flight, ${DUR}s"
    run_bounded $((DUR + 30)) "$TMP/curl_$k.out" "$CURL_CEILING" -d "$DUR" -c "$CONNS" -b "$BODY" \
        -s 200 "$NGINX_URL/sink"
    if grep -q '^CURL ' "$TMP/curl_$k.out"; then
        R[b_$k]=$(kv "$TMP/curl_$k.out" CURL ok_rps)
        bad=$(( $(kvn "$TMP/curl_$k.out" CURL bad) + $(kvn "$TMP/curl_$k.out" CURL errors) ))
        [ "$bad" != 0 ] && note "curl_ceiling ($k): $bad failed requests ($(kv "$TMP/curl_$k.out" CURL first_bad))"
        log "libcurl loop ($k): $(fmt_num "${R[b_$k]}") req/s"
    else
        cat "$TMP/curl_$k.out.err" >&2
        fail "ceiling B ($k): curl_ceiling did not report"
    fi
}

# mean_of VALUE...: the mean of the non-empty values (empty when there is none)
mean_of() {
    "$PY" -c 'import sys
v = [float(x) for x in sys.argv[1:] if x]
print(sum(v) / len(v) if v else "")' "$@"
}

ceiling_a 1
ceiling_b 1

# ---------------------------------------------------------------- hookd helpers
TOKEN="bench_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
HOOKD_PORT=""
HOOKD_URL=""
APP_ID=""

# hookd_start NAME DATA_DIR ROLE [VAR=VALUE]...: start hookd (with those extra environment
# variables), wait for /health 204
hookd_start() {
    local name=$1 data=$2 role=$3 code i
    shift 3
    HOOKD_PORT=$(free_port)
    HOOKD_URL="http://127.0.0.1:$HOOKD_PORT"
    mkdir -p "$data"
    HOOKD_START_TS=$(date +%s.%N)
    HOOKD_LISTEN="127.0.0.1:$HOOKD_PORT" HOOKD_DATA_DIR="$data" HOOKD_ADMIN_TOKEN="$TOKEN" \
        HOOKD_SSRF_ALLOW="127.0.0.0/8" HOOKD_ROLE="$role" \
        env "$@" "$BIN" serve >"$TMP/hookd-$name.log" 2>&1 &
    HOOKD_PID=$!
    for ((i = 0; i < 300; i++)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$HOOKD_URL/health" 2>/dev/null)
        [ "$code" = 204 ] && { log "hookd $name (pid $HOOKD_PID, role $role) up on $HOOKD_URL"; return 0; }
        if ! kill -0 "$HOOKD_PID" 2>/dev/null; then
            wait "$HOOKD_PID"; local rc=$?
            HOOKD_PID=""
            tail -n 30 "$TMP/hookd-$name.log" >&2
            fail "hookd $name exited during start-up (status $rc)"
            return 1
        fi
        sleep 0.1
    done
    tail -n 30 "$TMP/hookd-$name.log" >&2
    fail "hookd $name: GET /health did not answer 204 within 30 s (last: ${code:-none})"
    hookd_stop "$name"
    return 1
}

# hookd_stop NAME: SIGTERM, then SIGKILL after 15 s (reported)
# A hookd that already logged a signal, or is gone, was stopped by something outside the suite
# (on a shared machine: someone's `pkill -f "hookd serve"`): that phase's figures are void.
hookd_stop() {
    [ -n "$HOOKD_PID" ] || return 0
    local rss sig
    rss=$(awk '/^VmHWM/ {print $2}' "/proc/$HOOKD_PID/status" 2>/dev/null)
    [ -n "$rss" ] && R[rss_$1]=$((rss / 1024))
    sig=$(grep -m1 'stopping on signal' "$TMP/hookd-$1.log" 2>/dev/null)
    if [ -n "$sig" ] || ! kill -0 "$HOOKD_PID" 2>/dev/null; then
        fail "hookd $1 was stopped from outside the suite before the end of its scenario (${sig:-process gone}); its figures are not valid"
    fi
    if ! stop_pid "$HOOKD_PID" TERM 15; then
        note "hookd $1 did not exit within 15 s of SIGTERM (killed)"
    elif [ "$STOP_RC" != 0 ]; then
        local how="status $STOP_RC"
        [ "$STOP_RC" -gt 128 ] && how="signal $((STOP_RC - 128))$( [ "$STOP_RC" = 139 ] && echo ' (SIGSEGV)')"
        note "hookd $1 ended with $how after SIGTERM (a clean stop exits 0)"
    fi
    HOOKD_PID=""
}

# api METHOD PATH BODY EXPECTED_STATUS -> response body on stdout; on another status, the
# problem is written to $TMP/api.err (the caller reports it: this runs in a subshell)
api() {
    local method=$1 path=$2 body=$3 want=$4 out code
    out="$TMP/api.resp"
    code=$(curl -s -o "$out" -w '%{http_code}' --max-time 10 -X "$method" \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        ${body:+--data-binary "$body"} "$HOOKD_URL$path" 2>/dev/null)
    if [ "$code" != "$want" ]; then
        echo "$method $path: expected $want, got ${code:-no answer}: $(head -c 300 "$out" 2>/dev/null)" \
            >"$TMP/api.err"
        return 1
    fi
    cat "$out"
}
api_failed() { fail "$(cat "$TMP/api.err" 2>/dev/null)"; return 1; }

json_field() { "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" 2>/dev/null; }

# metric NAME: sum of every sample of NAME in /metrics (empty when unreachable)
metric() {
    curl -s --max-time 5 "$HOOKD_URL/metrics" 2>/dev/null | awk -v n="$1" '
        $1 == n || index($1, n "{") == 1 { s += $2; found = 1 }
        END { if (found) printf "%.0f\n", s }'
}

# hookd_setup: event type, app, endpoint to nginx -> APP_ID
hookd_setup() {
    local resp ep
    api POST /api/v1/event-type \
        '{"name":"bench.event","description":"hookd benchmark event"}' 201 >/dev/null || api_failed || return 1
    resp=$(api POST /api/v1/app '{"name":"bench","uid":"bench"}' 201) || api_failed || return 1
    APP_ID=$(json_field id <<<"$resp")
    [ -n "$APP_ID" ] || { fail "POST /api/v1/app: no id in $resp"; return 1; }
    resp=$(api POST "/api/v1/app/$APP_ID/endpoint" \
        "{\"url\":\"$NGINX_URL/sink\",\"eventTypes\":[\"bench.event\"],\"description\":\"nginx sink\"}" 201) ||
        api_failed || return 1
    ep=$(json_field id <<<"$resp")
    # one message by hand: the exact request the load generators repeat must give 202
    resp=$(api POST "/api/v1/app/$APP_ID/msg" "$(cat "$BODY")" 202) || api_failed || return 1
    log "app $APP_ID, endpoint $ep -> $NGINX_URL/sink, test message $(json_field id <<<"$resp")"
}

# wait_metric OUTFILE NAME TARGET TIMEOUT T0: poll /metrics until the sum of NAME reaches
# TARGET or TIMEOUT seconds after T0 (unix time) have passed; writes
# "WAIT reached= lost= value= elapsed= first= first_value=" (times in seconds since T0; lost=1:
# /metrics stopped answering for 5 s) to OUTFILE
wait_metric() {
    run_bounded $(( ${4%.*} + 15 )) "$1" "$PY" "$TMP/wait_metric.py" "$HOOKD_URL/metrics" "$2" "$3" "$4" "$5"
}
cat >"$TMP/wait_metric.py" <<'EOF'
import socket, sys, time, urllib.parse
url, name, target, timeout, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
# One kept-alive connection and a plain socket: a new urllib connection every 20 ms took a tenth
# of a core, which the measured hookd and nginx then lacked (this takes about a twentieth).
where = urllib.parse.urlsplit(url)
request = f"GET {where.path} HTTP/1.1\r\nHost: {where.netloc}\r\n\r\n".encode()
key = name.encode()
conn = reader = None
def fetch():
    global conn, reader
    if conn is None:
        conn = socket.create_connection((where.hostname, where.port), timeout=2)
        reader = conn.makefile("rb")
    conn.sendall(request)
    status, length = reader.readline(), None
    while (line := reader.readline()) not in (b"\r\n", b""):
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    if not status.startswith(b"HTTP/1.1 200") or length is None:
        raise OSError("unexpected response: " + status.decode(errors="replace").strip())
    body = reader.read(length)
    if len(body) < length:
        raise OSError("connection closed")
    return body
def read():
    global conn
    try:
        text = fetch()
    except Exception:
        if conn is not None:
            conn.close()
        conn = None
        return None
    total, found = 0.0, False
    for line in text.splitlines():
        if line.startswith(key):
            k = line.split(b" ", 1)[0]
            if k == key or k.startswith(key + b"{"):
                total += float(line.split()[1]); found = True
    return int(total) if found else None
first = None   # seconds since T0 when the counter was first seen above 0
first_v = 0    # and its value then
value = None
last_ok = None # when /metrics last answered: 5 s of silence after that ends the wait (lost=1)
lost = 0
while True:
    v = read()
    now = time.time() - t0
    if v is not None:
        value, last_ok = v, now
        if first is None and v > 0:
            first, first_v = now, v
        if v >= target:
            break
    elif last_ok is not None and now - last_ok > 5:
        lost = 1
        break
    if now > timeout:
        break
    time.sleep(0.02)
print(f"WAIT reached={int(value is not None and value >= target)} lost={lost}"
      f" value={value if value is not None else ''} elapsed={now:.3f}"
      f" first={'' if first is None else f'{first:.3f}'} first_value={first_v}")
EOF

# check_overshoot NAME EXPECTED: one second after hookd_deliveries_succeeded_total reached
# EXPECTED (every delivery there is), it must still be EXPECTED: more means deliveries were
# sent (and counted) twice, and a figure from the counter counts those too
check_overshoot() {
    local v
    sleep 1
    v=$(metric hookd_deliveries_succeeded_total)
    if [ -n "$v" ] && [ "$v" -gt "$2" ]; then
        note "$1: hookd_deliveries_succeeded_total=$v one second after it reached $2, the number of deliveries there are: $((v - $2)) sent twice (the figure counts them)"
    fi
}

# wrk_window NAME URL [SCRIPT]: on the running hookd, wrk ${WARM}s warm-up + ${DUR}s POSTing
# to URL (SCRIPT: default bench/post.lua), every response expected 202; sets R[NAME_rps],
# R[NAME_p50], R[NAME_p99] and notes any other status or socket error
wrk_window() {
    local name=$1 url=$2 script=${3:-$BENCH_DIR/post.lua} bad errs x
    log "$name: wrk -t$WRK_THREADS -c$CONNS POST $url, ${WARM}s warm-up + ${DUR}s"
    wrk_run "${name}_warm" "$url" 202 "$TOKEN" "$WARM" "$script" >/dev/null
    if ! wrk_run "$name" "$url" 202 "$TOKEN" "$DUR" "$script"; then
        fail "$name: wrk did not report"
        return 1
    fi
    R[${name}_rps]=$(kv "$TMP/$name.out" WRK ok_rps)
    R[${name}_p50]=$(kv "$TMP/$name.out" WRK p50_ms)
    R[${name}_p99]=$(kv "$TMP/$name.out" WRK p99_ms)
    bad=$(kv "$TMP/$name.out" WRK unexpected)
    errs=0
    for x in connect_errors read_errors write_errors timeouts; do
        errs=$((errs + $(kvn "$TMP/$name.out" WRK $x)))
    done
    [ "${bad:-0}" != 0 ] && note "$name: $bad responses were not 202, first: $(kv "$TMP/$name.out" WRK first_unexpected)"
    [ "$errs" != 0 ] && note "$name: $errs socket errors/timeouts in wrk"
    [ "$(kv "$TMP/$name.out" WRK expected)" = 0 ] && fail "$name: no 202 at all"
    log "$name: $(fmt_num "${R[${name}_rps]}") msg/s accepted, p50 ${R[${name}_p50]} ms, p99 ${R[${name}_p99]} ms"
}

# ingest_beside NAME: a fresh hookd (role api) set up as for the ingest scenario, one wrk
# window (wrk_window NAME): the scale scenario's ceiling, measured right before and after it
ingest_beside() {
    if hookd_start "$1" "$TMP/data-$1" api && hookd_setup; then
        wrk_window "$1" "$HOOKD_URL/api/v1/app/$APP_ID/msg"
    fi
    hookd_stop "$1"
    rm -rf "$TMP/data-$1"  # a few hundred MB; nothing reads it again
}

# ---------------------------------------------------------------- 3. ingest (delivery paused)
INGEST_DATA="$TMP/data-ingest"
PENDING=""
if hookd_start ingest "$INGEST_DATA" api && hookd_setup; then
    wrk_window ingest "$HOOKD_URL/api/v1/app/$APP_ID/msg"
    # every 202 so far (test message + warm-up + run) is a pending delivery
    sent=$(( 1 + $(kvn "$TMP/ingest_warm.out" WRK expected) + $(kvn "$TMP/ingest.out" WRK expected) ))
    accepted=$(metric hookd_messages_accepted_total)
    if [ -n "$accepted" ]; then
        # wrk may drop requests in flight at the end of a run: hookd can have committed a few
        # more than the clients saw, never fewer
        if [ "$accepted" -lt "$sent" ]; then
            note "ingest: /metrics hookd_messages_accepted_total=$accepted but clients saw $sent responses 202"
        else
            log "ingest: hookd_messages_accepted_total=$accepted, 202s seen by the clients: $sent"
        fi
        PENDING=$accepted
    else
        note "ingest: /metrics has no hookd_messages_accepted_total"
        PENDING=$sent
    fi
    queued=$(metric hookd_delivery_queue_depth)
    [ -n "$queued" ] && log "ingest: hookd_delivery_queue_depth=$queued"
    delivered=$(metric hookd_deliveries_succeeded_total)
    [ -n "$delivered" ] && [ "$delivered" != 0 ] &&
        note "ingest: role api delivered $delivered messages (expected none)"
fi
hookd_stop ingest
ceiling_a 2   # after ingest (whose ceiling is the mean of A 1 and A 2)

# ---------------------------------------------------------------- 4. drain after restart
if [ -n "$PENDING" ] && [ "$PENDING" -gt 0 ]; then
    log "drain: restarting on the ingest data dir with role all, $PENDING pending deliveries"
    if hookd_start drain "$INGEST_DATA" all; then
        wait_metric "$TMP/drain.out" hookd_deliveries_succeeded_total "$PENDING" "$DRAIN_WINDOW" \
            "$HOOKD_START_TS"
        reached=$(kv "$TMP/drain.out" WAIT reached)
        value=$(kv "$TMP/drain.out" WAIT value)
        elapsed=$(kv "$TMP/drain.out" WAIT elapsed)
        first=$(kv "$TMP/drain.out" WAIT first)
        first_value=$(kvn "$TMP/drain.out" WAIT first_value)
        R[drain_n]=$PENDING
        if [ -n "$first" ] && [ -n "$value" ] && [ "$value" -gt 0 ]; then
            R[drain_rps]=$(drain_rate "$value" "$first_value" "$elapsed" "$first")
            R[drain_first]=$first
            R[drain_value]=$value
            if [ "$reached" = 1 ]; then
                check_overshoot drain "$PENDING"
            else
                note "drain: only $value of $PENDING delivered within ${DRAIN_WINDOW}s (figure from the partial count)"
            fi
            log "drain: $value deliveries in ${elapsed}s, first after ${first}s: $(fmt_num "${R[drain_rps]}") deliveries/s"
        else
            fail "drain: no delivery succeeded within ${DRAIN_WINDOW}s ($(cat "$TMP/drain.out"))"
        fi
        failed_attempts=$(metric hookd_attempts_failed_total)
        [ -n "$failed_attempts" ] && [ "$failed_attempts" != 0 ] &&
            note "drain: hookd_attempts_failed_total=$failed_attempts"
        hookd_stop drain
    fi
else
    fail "drain: skipped (nothing was accepted in the ingest scenario)"
fi

ceiling_b 2   # after drain (B 1 and B 2)

# ---------------------------------------------------------------- 5. end to end
# e2e_latency: on the running e2e instance, a second app whose endpoint is nginx's logging
# location; messages paced at half the delivered rate; POST start -> nginx receipt.
e2e_latency() {
    local resp app2 rate count base okn target
    resp=$(api POST /api/v1/app '{"name":"bench latency","uid":"bench-latency"}' 201) ||
        { api_failed; return 1; }
    app2=$(json_field id <<<"$resp")
    api POST "/api/v1/app/$app2/endpoint" \
        "{\"url\":\"$NGINX_URL/latency\",\"eventTypes\":[\"bench.event\"]}" 201 >/dev/null ||
        { api_failed; return 1; }
    rate=$("$PY" -c "print(max(int(${R[e2e_rps]} / 2), 10))")
    count=$((rate * DUR))
    base=$(metric hookd_deliveries_succeeded_total)
    base=${base:-0}
    R[lat_rate]=$rate
    log "e2e latency: $count messages paced at $rate/s, POST start -> nginx receipt"
    run_bounded $((DUR * 3 + 60)) "$TMP/lat_post.out" "$CURL_CEILING" -n "$count" -r "$rate" \
        -c "$CONNS" -b "$BODY" -s 202 -o "$TMP/lat_sent.txt" -H "Authorization: Bearer $TOKEN" \
        "$HOOKD_URL/api/v1/app/$app2/msg"
    okn=$(kvn "$TMP/lat_post.out" CURL ok)
    [ "$okn" -gt 0 ] || { fail "e2e latency: no message accepted ($(cat "$TMP/lat_post.out"))"; return 1; }
    [ "$okn" != "$count" ] &&
        note "e2e latency: $((count - okn)) of $count POSTs were not 202 (first: $(kv "$TMP/lat_post.out" CURL first_bad))"
    R[lat_post_p50]=$(kv "$TMP/lat_post.out" CURL p50_ms)
    R[lat_post_p99]=$(kv "$TMP/lat_post.out" CURL p99_ms)
    target=$((base + okn))
    wait_metric "$TMP/lat_wait.out" hookd_deliveries_succeeded_total "$target" 60 "$(date +%s.%N)"
    [ "$(kv "$TMP/lat_wait.out" WAIT reached)" = 1 ] ||
        note "e2e latency: not all delivered within 60 s ($(cat "$TMP/lat_wait.out"))"
    sleep 0.2
    "$PY" - "$TMP/lat_sent.txt" "$NGINX_DIR/logs/latency.log" >"$TMP/lat.out" <<'EOF2'
import sys
sent = {}
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 2:
        sent[p[1]] = float(p[0])
seen = {}
for line in open(sys.argv[2]):
    p = line.split()
    if len(p) == 2 and p[1] in sent:
        seen[p[1]] = min(seen.get(p[1], float("inf")), float(p[0]))
lat = sorted(seen[i] - sent[i] for i in seen)
def pct(q):
    return lat[min(len(lat) - 1, int(q / 100 * (len(lat) - 1) + 0.5))] * 1e3 if lat else float("nan")
print(f"LAT sent={len(sent)} received={len(lat)} p50_ms={pct(50):.1f} p99_ms={pct(99):.1f} max_ms={pct(100):.1f}")
EOF2
    R[lat_p50]=$(kv "$TMP/lat.out" LAT p50_ms)
    R[lat_p99]=$(kv "$TMP/lat.out" LAT p99_ms)
    R[lat_max]=$(kv "$TMP/lat.out" LAT max_ms)
    local sent received
    sent=$(kvn "$TMP/lat.out" LAT sent); received=$(kvn "$TMP/lat.out" LAT received)
    [ "$sent" = "$received" ] ||
        note "e2e latency: nginx logged $received of the $sent accepted messages (webhook-id join)"
    [ "$received" -gt 0 ] || { fail "e2e latency: no delivery reached nginx's /latency"; return 1; }
    log "e2e latency at $rate msg/s: p50 ${R[lat_p50]} ms, p99 ${R[lat_p99]} ms, max ${R[lat_max]} ms ($received messages)"
}

if hookd_start e2e "$TMP/data-e2e" all && hookd_setup; then
    MSG_URL="$HOOKD_URL/api/v1/app/$APP_ID/msg"
    # the test message of hookd_setup must be delivered first so the counter starts clean
    wait_metric "$TMP/e2e_pre.out" hookd_deliveries_succeeded_total 1 10 "$(date +%s.%N)"
    base=$(kv "$TMP/e2e_pre.out" WAIT value)
    [ "$(kv "$TMP/e2e_pre.out" WAIT reached)" = 1 ] ||
        note "e2e: the set-up message was not delivered within 10 s ($(cat "$TMP/e2e_pre.out"))"
    base=${base:-0}
    log "end to end: posting $E2E_N messages, $CONNS in flight, delivery running"
    T0=$(date +%s.%N)
    run_bounded "$E2E_WINDOW" "$TMP/e2e_post.out" "$CURL_CEILING" -n "$E2E_N" -c "$CONNS" \
        -b "$BODY" -s 202 -H "Authorization: Bearer $TOKEN" "$MSG_URL"
    okn=$(kv "$TMP/e2e_post.out" CURL ok)
    if [ -n "$okn" ] && [ "$okn" -gt 0 ]; then
        post_s=$(kv "$TMP/e2e_post.out" CURL seconds)
        R[e2e_post_rps]=$(kv "$TMP/e2e_post.out" CURL ok_rps)
        [ "$okn" != "$E2E_N" ] &&
            note "e2e: $((E2E_N - okn)) of $E2E_N POSTs were not 202 (first: $(kv "$TMP/e2e_post.out" CURL first_bad))"
        target=$((base + okn))
        wait_metric "$TMP/e2e.out" hookd_deliveries_succeeded_total "$target" "$E2E_WINDOW" "$T0"
        reached=$(kv "$TMP/e2e.out" WAIT reached)
        value=$(kv "$TMP/e2e.out" WAIT value)
        elapsed=$(kv "$TMP/e2e.out" WAIT elapsed)
        done_n=$(( ${value:-0} - base ))
        R[e2e_n]=$okn
        if [ "$done_n" -gt 0 ]; then
            R[e2e_rps]=$("$PY" -c "print($done_n / max($elapsed, 1e-3))")
            [ "$reached" = 1 ] ||
                note "e2e: only $done_n of $okn delivered within ${E2E_WINDOW}s (figure from the partial count)"
            log "e2e: $okn accepted in ${post_s}s, all delivered after ${elapsed}s: $(fmt_num "${R[e2e_rps]}") msg/s"
        else
            fail "e2e: nothing delivered within ${E2E_WINDOW}s ($(cat "$TMP/e2e.out"))"
        fi
        failed_attempts=$(metric hookd_attempts_failed_total)
        [ -n "$failed_attempts" ] && [ "$failed_attempts" != 0 ] &&
            note "e2e: hookd_attempts_failed_total=$failed_attempts"
        [ -n "${R[e2e_rps]:-}" ] && e2e_latency
    else
        cat "$TMP/e2e_post.out" "$TMP/e2e_post.out.err" >&2
        fail "e2e: no message accepted ($(cat "$TMP/e2e_post.out"))"
    fi
fi
hookd_stop e2e
ceiling_a 3   # after end to end (A 2 and A 3)

# ---------------------------------------------------------------- helpers for steps 6-9
# populate NAME FILE: create the objects listed in FILE (see bench/populate.py) on the running
# hookd; $TMP/NAME.out holds the API summary line. Returns 1 (and fails) unless all were created.
populate() {
    local name=$1 file=$2
    run_bounded "$POPULATE_WINDOW" "$TMP/$name.out" "$PY" "$BENCH_DIR/populate.py" -j 8 \
        -t "$((POPULATE_WINDOW - 10))" -f "$file" "$HOOKD_URL" "$TOKEN"
    if [ "$(kv "$TMP/$name.out" API bad)" = 0 ] && [ "$(kv "$TMP/$name.out" API errors)" = 0 ] &&
        [ "$(kv "$TMP/$name.out" API requests)" = "$(grep -cv '^--$' "$file")" ]; then
        log "$name: $(kv "$TMP/$name.out" API requests) objects created in $(kv "$TMP/$name.out" API seconds)s"
        return 0
    fi
    cat "$TMP/$name.out.err" >&2 2>/dev/null
    fail "$name: creating the objects failed ($(cat "$TMP/$name.out" 2>/dev/null))"
    return 1
}

# post_and_deliver NAME MSG_URL M PER_MSG WINDOW: on the running hookd (role all), POST M
# messages (the libcurl loop, 64 in flight) while it delivers, then wait until
# hookd_deliveries_succeeded_total has grown by (accepted messages x PER_MSG), at most WINDOW
# seconds after the first POST. Sets PD_OK (accepted), PD_DONE (deliveries counted), PD_RPS
# (PD_DONE / seconds from the first POST), PD_SECS, PD_POST_RPS, PD_REACHED.
post_and_deliver() {
    local name=$1 url=$2 m=$3 per=$4 window=$5 base t0 value
    PD_OK=0; PD_DONE=0; PD_RPS=""; PD_SECS=""; PD_POST_RPS=""; PD_REACHED=0
    base=$(metric hookd_deliveries_succeeded_total); base=${base:-0}
    t0=$(date +%s.%N)
    run_bounded "$window" "$TMP/$name.post.out" "$CURL_CEILING" -n "$m" -c "$CONNS" -b "$BODY" \
        -s 202 -H "Authorization: Bearer $TOKEN" "$url"
    PD_OK=$(kvn "$TMP/$name.post.out" CURL ok)
    if [ "$PD_OK" -le 0 ]; then
        cat "$TMP/$name.post.out.err" >&2 2>/dev/null
        fail "$name: no message accepted ($(cat "$TMP/$name.post.out" 2>/dev/null))"
        return 1
    fi
    PD_POST_RPS=$(kv "$TMP/$name.post.out" CURL ok_rps)
    [ "$PD_OK" != "$m" ] &&
        note "$name: $((m - PD_OK)) of $m POSTs were not 202 (first: $(kv "$TMP/$name.post.out" CURL first_bad))"
    wait_metric "$TMP/$name.out" hookd_deliveries_succeeded_total "$((base + PD_OK * per))" \
        "$window" "$t0"
    value=$(kv "$TMP/$name.out" WAIT value)
    PD_SECS=$(kv "$TMP/$name.out" WAIT elapsed)
    PD_REACHED=$(kvn "$TMP/$name.out" WAIT reached)
    PD_DONE=$(( ${value:-0} - base ))
    if [ "$PD_DONE" -le 0 ]; then
        fail "$name: nothing delivered within ${window}s ($(cat "$TMP/$name.out"))"
        return 1
    fi
    PD_RPS=$("$PY" -c "print($PD_DONE / max($PD_SECS, 1e-3))")
    if [ "$(kv "$TMP/$name.out" WAIT lost)" = 1 ]; then
        note "$name: /metrics stopped answering after ${PD_SECS}s ($PD_DONE of $((PD_OK * per)) deliveries counted)"
    elif [ "$PD_REACHED" = 1 ]; then
        check_overshoot "$name" "$((base + PD_OK * per))"
    else
        note "$name: only $PD_DONE of $((PD_OK * per)) deliveries within ${window}s (figure from the partial count)"
    fi
    log "$name: $PD_OK messages accepted at $(fmt_num "$PD_POST_RPS")/s, $PD_DONE deliveries after ${PD_SECS}s: $(fmt_num "$PD_RPS") deliveries/s"
}

# ---------------------------------------------------------------- 6. fan-out
if hookd_start fanout "$TMP/data-fanout" all; then
    {
        echo 'POST /api/v1/event-type {"name":"bench.event","description":"hookd benchmark event"}'
        echo 'POST /api/v1/app {"name":"bench fan-out","uid":"fan"}'
        echo --
        for ((j = 0; j < FAN_EPS; j++)); do
            echo "POST /api/v1/app/fan/endpoint {\"url\":\"$NGINX_URL/fan/$j\",\"eventTypes\":[\"bench.event\"]}"
        done
    } >"$TMP/fanout.req"
    if populate fanout_setup "$TMP/fanout.req"; then
        log "fan-out: posting $FAN_M messages to $FAN_EPS endpoints each, delivery running"
        if post_and_deliver fanout "$HOOKD_URL/api/v1/app/fan/msg" "$FAN_M" "$FAN_EPS" "$FAN_WINDOW"; then
            R[fan_rps]=$PD_RPS
            R[fan_n]=$((PD_OK * FAN_EPS))
            R[fan_secs]=$PD_SECS
            R[fan_post_rps]=$PD_POST_RPS
        fi
        failed_attempts=$(metric hookd_attempts_failed_total)
        [ -n "$failed_attempts" ] && [ "$failed_attempts" != 0 ] &&
            note "fan-out: hookd_attempts_failed_total=$failed_attempts"
    fi
fi
hookd_stop fanout
ceiling_b 3   # after fan-out (B 2 and B 3)

# ---------------------------------------------------------------- 7. isolation
# a TCP server on 127.0.0.1 that accepts every connection, reads and discards what it gets, and
# never answers; it closes a connection only when the peer does. Prints its port.
SILENT_PY='
import selectors, socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1024)
print(srv.getsockname()[1], flush=True)
sel = selectors.DefaultSelector()
sel.register(srv, selectors.EVENT_READ)
while True:
    for key, _ in sel.select(1.0):
        s = key.fileobj
        if s is srv:
            c, _ = srv.accept()
            sel.register(c, selectors.EVENT_READ)
        else:
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
'
SILENT_URL=""
"$PY" -c "$SILENT_PY" >"$TMP/silent.port" 2>"$TMP/silent.err" &
SILENT_PID=$!
for _ in $(seq 1 50); do
    [ -s "$TMP/silent.port" ] && break
    kill -0 "$SILENT_PID" 2>/dev/null || break
    sleep 0.1
done
silent_port=$(head -n1 "$TMP/silent.port" 2>/dev/null)
# it must accept the connection and then say nothing: curl times out (28), neither refused (7)
# nor answered
silent_rc=""
if [ -n "$silent_port" ]; then
    curl -s -o /dev/null --max-time 1 -X POST -H 'Content-Type: application/json' \
        --data-binary "@$BODY" "http://127.0.0.1:$silent_port/dead"
    silent_rc=$?
fi
if [ "$silent_rc" = 28 ]; then
    SILENT_URL="http://127.0.0.1:$silent_port/dead"
    log "silent server (pid $SILENT_PID) accepts and never answers on 127.0.0.1:$silent_port"
else
    cat "$TMP/silent.err" >&2 2>/dev/null
    fail "isolation: the silent TCP server did not start or did not behave (curl status ${silent_rc:-none})"
fi

# iso_run NAME WITH_SILENT(0|1): fresh hookd, 9 endpoints at nginx (+ the silent one, created
# first), ISO_M messages; sets R[iso_NAME_rps]
iso_run() {
    local name=$1 with=$2 j
    hookd_start "iso_$name" "$TMP/data-iso-$name" all "HOOKD_REQUEST_TIMEOUT_MS=$ISO_TIMEOUT_MS" ||
        return 1
    {
        echo 'POST /api/v1/event-type {"name":"bench.event","description":"hookd benchmark event"}'
        echo 'POST /api/v1/app {"name":"bench isolation","uid":"iso"}'
        echo --
        [ "$with" = 1 ] && echo "POST /api/v1/app/iso/endpoint {\"url\":\"$SILENT_URL\",\"eventTypes\":[\"bench.event\"],\"description\":\"never answers\"}" && echo --
        for ((j = 0; j < ISO_EPS; j++)); do
            echo "POST /api/v1/app/iso/endpoint {\"url\":\"$NGINX_URL/iso/$j\",\"eventTypes\":[\"bench.event\"]}"
        done
    } >"$TMP/iso_$name.req"
    if populate "iso_${name}_setup" "$TMP/iso_$name.req"; then
        log "isolation ($name the silent endpoint): posting $ISO_M messages to $((ISO_EPS + with)) endpoints each"
        if post_and_deliver "iso_$name" "$HOOKD_URL/api/v1/app/iso/msg" "$ISO_M" "$ISO_EPS" "$ISO_WINDOW"; then
            R[iso_${name}_rps]=$PD_RPS
            R[iso_${name}_secs]=$PD_SECS
            R[iso_n]=$((PD_OK * ISO_EPS))
        fi
        local failed_attempts
        failed_attempts=$(metric hookd_attempts_failed_total)
        R[iso_${name}_failed]=${failed_attempts:-}
        if [ "$with" = 1 ]; then
            log "isolation: hookd_attempts_failed_total=${failed_attempts:-n/a} (the silent endpoint)"
            [ "${failed_attempts:-0}" = 0 ] &&
                note "isolation: no failed attempt to the silent endpoint yet (the run was shorter than the ${ISO_TIMEOUT_MS} ms timeout?)"
        elif [ -n "$failed_attempts" ] && [ "$failed_attempts" != 0 ]; then
            note "isolation without the silent endpoint: hookd_attempts_failed_total=$failed_attempts"
        fi
    fi
    hookd_stop "iso_$name"
}

if [ -n "$SILENT_URL" ]; then
    # The run without the silent endpoint is the ceiling of this row, and single runs of one
    # binary vary by a fifth: the full mode measures without, with, with, without (drift over
    # the four cancels out) and compares the means; the quick mode one of each.
    if [ "$QUICK" = 1 ]; then
        iso_run without 0
        iso_run with 1
    else
        iso_run without 0
        iso_run with 1
        iso_run with_2 1
        iso_run without_2 0
        for side in without with; do
            R[iso_${side}_runs]="$(fmt_num "${R[iso_${side}_rps]:-}") and $(fmt_num "${R[iso_${side}_2_rps]:-}")"
            R[iso_${side}_secs]="${R[iso_${side}_secs]:-n/a} s and ${R[iso_${side}_2_secs]:-n/a}"
            if [ -n "${R[iso_${side}_rps]:-}" ] && [ -n "${R[iso_${side}_2_rps]:-}" ]; then
                R[iso_${side}_rps]=$("$PY" -c 'import sys; print((float(sys.argv[1]) + float(sys.argv[2])) / 2)' \
                    "${R[iso_${side}_rps]}" "${R[iso_${side}_2_rps]}")
            else
                R[iso_${side}_rps]=""
            fi
        done
    fi
fi
stop_pid "$SILENT_PID" TERM 2
SILENT_PID=""

# ---------------------------------------------------------------- 8. scale
# its ceiling, the 1-endpoint ingest figure, measured again right before and right after it
ingest_beside ingest_2
SCALE_EPS=$((SCALE_APPS * SCALE_PER_APP))
if hookd_start scale "$TMP/data-scale" api; then
    {
        for ((k = 0; k < SCALE_PER_APP; k++)); do
            echo "POST /api/v1/event-type {\"name\":\"t.$k\",\"description\":\"hookd benchmark scale $k\"}"
        done
        awk -v n="$SCALE_APPS" 'BEGIN { for (i = 0; i < n; i++)
            printf "POST /api/v1/app {\"name\":\"bench scale %d\",\"uid\":\"s%d\"}\n", i, i }'
        echo --
        awk -v n="$SCALE_APPS" -v per="$SCALE_PER_APP" -v u="$NGINX_URL" 'BEGIN {
            for (i = 0; i < n; i++) for (k = 0; k < per; k++)
                printf "POST /api/v1/app/s%d/endpoint {\"url\":\"%s/s/%d/%d\",\"eventTypes\":[\"t.%d\"]}\n", i, u, i, k, k }'
    } >"$TMP/scale.req"
    log "scale: creating $SCALE_PER_APP event types, $SCALE_APPS apps, $SCALE_EPS endpoints through the API"
    if populate scale_setup "$TMP/scale.req"; then
        R[scale_create_s]=$(kv "$TMP/scale_setup.out" API seconds)
        R[scale_create_rps]=$(kv "$TMP/scale_setup.out" API rps)
        # one message by hand: it must give 202 and match exactly the one endpoint of its type
        last=$((SCALE_APPS - 1)); k=$((SCALE_PER_APP - 1))
        scale_ok=0
        if resp=$(api POST "/api/v1/app/s$last/msg" "{\"eventType\":\"t.$k\",\"payload\":{\"check\":1}}" 202); then
            mid=$(json_field id <<<"$resp")
            if resp=$(api GET "/api/v1/app/s$last/msg/$mid/endpoint" "" 200); then
                got=$("$PY" -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(" ".join(e["url"] for e in d))' <<<"$resp" 2>/dev/null)
                if [ "$got" = "$NGINX_URL/s/$last/$k" ]; then
                    scale_ok=1
                    log "scale: a t.$k message to s$last matches exactly its endpoint ($got)"
                else
                    fail "scale: a t.$k message to s$last matched [${got}], expected [$NGINX_URL/s/$last/$k]"
                fi
            else
                api_failed
            fi
        else
            api_failed
        fi
        if [ "$scale_ok" = 1 ]; then
            export BENCH_APPS=$SCALE_APPS BENCH_TYPES=$SCALE_PER_APP BENCH_APP_PREFIX=s BENCH_TYPE_PREFIX=t.
            if wrk_window scale "$HOOKD_URL/" "$BENCH_DIR/scale.lua"; then
                sent=$(( 1 + $(kvn "$TMP/scale_warm.out" WRK expected) + $(kvn "$TMP/scale.out" WRK expected) ))
                accepted=$(metric hookd_messages_accepted_total)
                [ -n "$accepted" ] && [ "$accepted" -lt "$sent" ] &&
                    note "scale: /metrics hookd_messages_accepted_total=$accepted but clients saw $sent responses 202"
            fi
        fi
    fi
fi
hookd_stop scale
ingest_beside ingest_3

# ---------------------------------------------------------------- 9. memory
MEM_DATA="$TMP/data-mem"
MEM_PENDING=""
if hookd_start mem_ingest "$MEM_DATA" api && hookd_setup; then
    log "memory: posting $((MEM_N - 1)) more messages (role api), $CONNS in flight, at most ${MEM_INGEST_WINDOW}s"
    run_bounded "$MEM_INGEST_WINDOW" "$TMP/mem_post.out" "$CURL_CEILING" -n "$((MEM_N - 1))" \
        -c "$CONNS" -b "$BODY" -s 202 -H "Authorization: Bearer $TOKEN" "$HOOKD_URL/api/v1/app/$APP_ID/msg"
    okn=$(kvn "$TMP/mem_post.out" CURL ok)
    R[mem_post_rps]=$(kv "$TMP/mem_post.out" CURL ok_rps)
    accepted=$(metric hookd_messages_accepted_total)
    MEM_PENDING=${accepted:-$((okn + 1))}
    if [ "$okn" -gt 0 ]; then
        [ "$okn" != "$((MEM_N - 1))" ] &&
            note "memory: $((MEM_N - 1 - okn)) of $((MEM_N - 1)) POSTs were not 202 (first: $(kv "$TMP/mem_post.out" CURL first_bad))"
        log "memory: $okn accepted in $(kv "$TMP/mem_post.out" CURL seconds)s ($(fmt_num "${R[mem_post_rps]}")/s), hookd_messages_accepted_total=${accepted:-n/a}"
    else
        note "memory: the libcurl loop did not finish within ${MEM_INGEST_WINDOW}s ($(cat "$TMP/mem_post.out" 2>/dev/null)); hookd_messages_accepted_total=${accepted:-n/a}"
    fi
fi
hookd_stop mem_ingest

if [ -n "$MEM_PENDING" ] && [ "$MEM_PENDING" -gt 0 ]; then
    log "memory: restarting with role all, $MEM_PENDING pending deliveries"
    if hookd_start mem "$MEM_DATA" all; then
        wait_metric "$TMP/mem.out" hookd_deliveries_succeeded_total "$MEM_PENDING" "$MEM_WINDOW" \
            "$HOOKD_START_TS"
        reached=$(kv "$TMP/mem.out" WAIT reached)
        value=$(kv "$TMP/mem.out" WAIT value)
        elapsed=$(kv "$TMP/mem.out" WAIT elapsed)
        first=$(kv "$TMP/mem.out" WAIT first)
        first_value=$(kvn "$TMP/mem.out" WAIT first_value)
        R[mem_n]=$MEM_PENDING
        hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$HOOKD_PID/status" 2>/dev/null)
        [ -n "$hwm" ] && R[mem_hwm]=$("$PY" -c "print(f'{$hwm / 1024:.0f}')")
        if [ -n "$first" ] && [ -n "$value" ] && [ "$value" -gt 0 ]; then
            R[mem_first]=$first
            R[mem_value]=$value
            R[mem_rps]=$(drain_rate "$value" "$first_value" "$elapsed" "$first")
            if [ "$reached" = 1 ]; then
                check_overshoot memory "$MEM_PENDING"
            else
                note "memory: only $value of $MEM_PENDING delivered within ${MEM_WINDOW}s (RSS peak and rate from that part)"
            fi
            log "memory: peak RSS ${R[mem_hwm]:-n/a} MB, first delivery after ${first}s, $value deliveries in ${elapsed}s ($(fmt_num "${R[mem_rps]}")/s)"
        else
            fail "memory: no delivery succeeded within ${MEM_WINDOW}s ($(cat "$TMP/mem.out"))"
        fi
        failed_attempts=$(metric hookd_attempts_failed_total)
        [ -n "$failed_attempts" ] && [ "$failed_attempts" != 0 ] &&
            note "memory: hookd_attempts_failed_total=$failed_attempts"
        hookd_stop mem
    fi
else
    fail "memory: skipped (nothing was accepted)"
fi

# ---------------------------------------------------------------- table
n() { fmt_num "${R[$1]:-}"; }
# each ratio's ceiling: the mean of the nearest measurements before and after the scenario
R[ceil_ingest]=$(mean_of "${R[a_1]:-}" "${R[a_2]:-}")
R[ceil_drain]=$(mean_of "${R[b_1]:-}" "${R[b_2]:-}")
R[ceil_e2e]=$(mean_of "${R[a_2]:-}" "${R[a_3]:-}")
R[ceil_fan]=$(mean_of "${R[b_2]:-}" "${R[b_3]:-}")
R[ceil_scale]=$(mean_of "${R[ingest_2_rps]:-}" "${R[ingest_3_rps]:-}")
beside() { echo "$1 $(n "$2") (mean of $(n "$3") before, $(n "$4") after)"; }
ms() { "$PY" -c 'import sys; v=sys.argv[1]; print(f"{float(v):.2f}" if v else "n/a")' "${R[$1]:-}"; }
{
    echo
    echo "hookd benchmark ($MODE: ${DUR}s windows, $CONNS connections, wrk -t$WRK_THREADS), $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "machine: $(nproc) cores, $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), load average (1 min) at start ${LOAD_START:-n/a}, at end $(cut -d' ' -f1 /proc/loadavg 2>/dev/null), binary: $BIN"
    echo
    echo "| scenario | figure | ceiling | ratio | target |"
    echo "|---|---|---|---|---|"
    echo "| ceiling A: nginx \`return 200\`, 1 KB POST (wrk); A 1 at the start, A 2 after ingest, A 3 after end to end | A 1 $(n a_1) req/s (p50 $(ms a_1_p50) ms, p99 $(ms a_1_p99) ms); A 2 $(n a_2); A 3 $(n a_3) | — | — | — |"
    echo "| ceiling B: libcurl multi loop to nginx, 1 thread, $CONNS in flight; B 1 at the start, B 2 after drain, B 3 after fan-out | B 1 $(n b_1) req/s; B 2 $(n b_2); B 3 $(n b_3) | — | — | — |"
    echo "| ingest: POST /msg, 1 KB payload, 1 endpoint, delivery paused | $(n ingest_rps) msg/s accepted (p50 $(ms ingest_p50) ms, p99 $(ms ingest_p99) ms) | $(beside A ceil_ingest a_1 a_2) | $(ratio "${R[ingest_rps]:-}" "${R[ceil_ingest]:-}") | >= 0.35 |"
    echo "| drain: $(n drain_n) pending deliveries after restart | $(n drain_rps) deliveries/s (first after ${R[drain_first]:-n/a} s) | $(beside B ceil_drain b_1 b_2) | $(ratio "${R[drain_rps]:-}" "${R[ceil_drain]:-}") | >= 0.7 |"
    echo "| end to end: $(n e2e_n) messages posted and delivered to nginx | $(n e2e_rps) msg/s delivered (accepted at $(n e2e_post_rps)/s) | $(beside A ceil_e2e a_2 a_3) | $(ratio "${R[e2e_rps]:-}" "${R[ceil_e2e]:-}") | >= 0.15 |"
    echo "| end to end latency at half that rate ($(n lat_rate) msg/s): POST start to nginx receipt | p50 ${R[lat_p50]:-n/a} ms, p99 ${R[lat_p99]:-n/a} ms (the POST itself: p50 $(ms lat_post_p50) ms, p99 $(ms lat_post_p99) ms) | — | — | p99 <= 50 ms |"
    echo "| fan-out: $(fmt_num "$FAN_M") messages to 1 app with $FAN_EPS endpoints (nginx), $(n fan_n) deliveries | $(n fan_rps) deliveries/s (all after ${R[fan_secs]:-n/a} s; POSTs accepted at $(n fan_post_rps)/s) | $(beside B ceil_fan b_2 b_3) | $(ratio "${R[fan_rps]:-}" "${R[ceil_fan]:-}") | >= 0.7 |"
    if [ "$QUICK" = 1 ]; then
        echo "| isolation: 10 endpoints, 1 never answers (timeout $((ISO_TIMEOUT_MS / 1000)) s); $(fmt_num "$ISO_M") messages, $(n iso_n) deliveries to the 9 healthy ones | $(n iso_with_rps) deliveries/s (all after ${R[iso_with_secs]:-n/a} s; ${R[iso_with_failed]:-n/a} failed attempts) | without the silent one: $(n iso_without_rps) deliveries/s (${R[iso_without_secs]:-n/a} s) | $(ratio "${R[iso_with_rps]:-}" "${R[iso_without_rps]:-}") | >= 0.9 |"
    else
        echo "| isolation: 10 endpoints, 1 never answers (timeout $((ISO_TIMEOUT_MS / 1000)) s); $(fmt_num "$ISO_M") messages, $(n iso_n) deliveries to the 9 healthy ones; runs without, with, with, without | mean $(n iso_with_rps) deliveries/s (runs ${R[iso_with_runs]:-n/a}; all after ${R[iso_with_secs]:-n/a} s; ${R[iso_with_failed]:-n/a} failed attempts in the first) | without the silent one: mean $(n iso_without_rps) deliveries/s (runs ${R[iso_without_runs]:-n/a}) | $(ratio "${R[iso_with_rps]:-}" "${R[iso_without_rps]:-}") | >= 0.9 |"
    fi
    scale_what="$(fmt_num "$SCALE_EPS") endpoints in $(fmt_num "$SCALE_APPS") applications"
    [ "$MODE" = quick ] && scale_what="$scale_what (quick mode; full: 10,000 in 1,000)"
    echo "| scale: $scale_what, created in ${R[scale_create_s]:-n/a} s; each message to a random app and event type, matching 1 endpoint; delivery paused | $(n scale_rps) msg/s accepted (p50 $(ms scale_p50) ms, p99 $(ms scale_p99) ms) | $(beside "1-endpoint ingest" ceil_scale ingest_2_rps ingest_3_rps) | $(ratio "${R[scale_rps]:-}" "${R[ceil_scale]:-}") | >= 0.9 |"
    echo "| memory: $(n mem_n) pending deliveries (posted at $(n mem_post_rps)/s), restart with role all | peak RSS ${R[mem_hwm]:-n/a} MB (VmHWM); first delivery after ${R[mem_first]:-n/a} s; drained at $(n mem_rps) deliveries/s | — | — | <= 300 MB; <= 10 s |"
    echo
    rss=""
    for s in ingest drain e2e fanout iso_without iso_with iso_with_2 iso_without_2 ingest_2 scale ingest_3 mem_ingest mem; do [ -n "${R[rss_$s]:-}" ] && rss="$rss $s ${R[rss_$s]} MB,"; done
    [ -n "$rss" ] && echo "hookd peak RSS:${rss%,}"
    if [ ${#NOTES[@]} -gt 0 ]; then
        echo "notes:"
        for x in "${NOTES[@]}"; do echo "- $x"; done
    fi
} | tee "$TMP/results.md"

exit "$FAILED"
