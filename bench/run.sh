#!/usr/bin/env bash
# hookd benchmark suite: every figure beside a ceiling measured in the same run.
#
#   bench/run.sh [--quick] [--bin PATH] [--keep]
#
#   --quick     3 s measuring windows, 5,000 end-to-end messages; finishes well under 3 minutes
#               (CI runs this to prove the suite works; there are no thresholds)
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
else
    MODE=full; DUR=10; WARM=2; E2E_N=20000; DRAIN_WINDOW=120; E2E_WINDOW=180; TIME_LIMIT=1200
fi
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

stop_pid() { # pid signal grace_seconds -> 0 if it exited on the signal, 1 if it needed SIGKILL
    local pid=$1 sig=$2 grace=$3 i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill "-$sig" "$pid" 2>/dev/null
    for ((i = 0; i < grace * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 1
}

cleanup() {
    trap - EXIT INT TERM
    [ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null
    [ -n "$CHILD_PID" ] && stop_pid "$CHILD_PID" TERM 2
    [ -n "$HOOKD_PID" ] && stop_pid "$HOOKD_PID" TERM 5
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
ratio() { "$PY" -c 'import sys
try: print(f"{float(sys.argv[1])/float(sys.argv[2]):.2f}")
except Exception: print("n/a")' "${1:-}" "${2:-}"; }

# ---------------------------------------------------------------- inputs
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

# wrk_run NAME URL EXPECT TOKEN SECONDS -> $TMP/NAME.out with the WRK summary line
wrk_run() {
    local name=$1 url=$2 expect=$3 token=$4 secs=$5
    BENCH_BODY_FILE="$BODY" BENCH_EXPECT="$expect" BENCH_TOKEN="$token" \
        run_bounded $((secs + 30)) "$TMP/$name.out" \
        wrk -t"$WRK_THREADS" -c"$CONNS" -d"${secs}s" --timeout 10s \
        -s "$BENCH_DIR/post.lua" "$url"
    local rc=$?
    if ! grep -q '^WRK ' "$TMP/$name.out"; then
        cat "$TMP/$name.out" "$TMP/$name.out.err" >&2
        return 1
    fi
    return $rc
}

# ---------------------------------------------------------------- 1. nginx ceiling
log "nginx ceiling: wrk -t$WRK_THREADS -c$CONNS, ${WARM}s warm-up + ${DUR}s"
wrk_run nginx_warm "$NGINX_URL/sink" 200 "" "$WARM" >/dev/null
if wrk_run nginx "$NGINX_URL/sink" 200 "" "$DUR"; then
    R[nginx_rps]=$(kv "$TMP/nginx.out" WRK ok_rps)
    R[nginx_p50]=$(kv "$TMP/nginx.out" WRK p50_ms)
    R[nginx_p99]=$(kv "$TMP/nginx.out" WRK p99_ms)
    bad=$(kv "$TMP/nginx.out" WRK unexpected)
    [ "${bad:-0}" != 0 ] && note "nginx: $bad responses were not 200 ($(kv "$TMP/nginx.out" WRK first_unexpected))"
    log "nginx: $(fmt_num "${R[nginx_rps]}") req/s"
else
    fail "nginx ceiling: wrk did not report"
fi

# ---------------------------------------------------------------- 2. libcurl multi ceiling
log "libcurl multi ceiling: 1 thread, $CONNS in flight, ${DUR}s"
run_bounded $((DUR + 30)) "$TMP/curl.out" "$CURL_CEILING" -d "$DUR" -c "$CONNS" -b "$BODY" \
    -s 200 "$NGINX_URL/sink"
if grep -q '^CURL ' "$TMP/curl.out"; then
    R[curl_rps]=$(kv "$TMP/curl.out" CURL ok_rps)
    bad=$(( $(kvn "$TMP/curl.out" CURL bad) + $(kvn "$TMP/curl.out" CURL errors) ))
    [ "$bad" != 0 ] && note "curl_ceiling: $bad failed requests ($(kv "$TMP/curl.out" CURL first_bad))"
    log "libcurl loop: $(fmt_num "${R[curl_rps]}") req/s"
else
    cat "$TMP/curl.out.err" >&2
    fail "libcurl ceiling: curl_ceiling did not report"
fi

# ---------------------------------------------------------------- hookd helpers
TOKEN="bench_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
HOOKD_PORT=""
HOOKD_URL=""
APP_ID=""

# hookd_start NAME DATA_DIR ROLE: start hookd, wait for /health 204
hookd_start() {
    local name=$1 data=$2 role=$3 code i
    HOOKD_PORT=$(free_port)
    HOOKD_URL="http://127.0.0.1:$HOOKD_PORT"
    mkdir -p "$data"
    HOOKD_START_TS=$(date +%s.%N)
    HOOKD_LISTEN="127.0.0.1:$HOOKD_PORT" HOOKD_DATA_DIR="$data" HOOKD_ADMIN_TOKEN="$TOKEN" \
        HOOKD_SSRF_ALLOW="127.0.0.0/8" HOOKD_ROLE="$role" \
        "$BIN" serve >"$TMP/hookd-$name.log" 2>&1 &
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
hookd_stop() {
    [ -n "$HOOKD_PID" ] || return 0
    local rss
    rss=$(awk '/^VmHWM/ {print $2}' "/proc/$HOOKD_PID/status" 2>/dev/null)
    [ -n "$rss" ] && R[rss_$1]=$((rss / 1024))
    if ! stop_pid "$HOOKD_PID" TERM 15; then
        note "hookd $1 did not exit within 15 s of SIGTERM (killed)"
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
# "WAIT reached= value= elapsed= first= first_value=" (times in seconds since T0) to OUTFILE
wait_metric() {
    run_bounded $(( ${4%.*} + 15 )) "$1" "$PY" "$TMP/wait_metric.py" "$HOOKD_URL/metrics" "$2" "$3" "$4" "$5"
}
cat >"$TMP/wait_metric.py" <<'EOF'
import sys, time, urllib.request
url, name, target, timeout, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
def read():
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            text = r.read().decode()
    except Exception:
        return None
    total, found = 0.0, False
    for line in text.splitlines():
        key = line.split(" ", 1)[0]
        if key == name or key.startswith(name + "{"):
            total += float(line.split()[1]); found = True
    return int(total) if found else None
first = None   # seconds since T0 when the counter was first seen above 0
first_v = 0    # and its value then
value = None
while True:
    v = read()
    now = time.time() - t0
    if v is not None:
        value = v
        if first is None and v > 0:
            first, first_v = now, v
        if v >= target:
            break
    if now > timeout:
        break
    time.sleep(0.02)
print(f"WAIT reached={int(value is not None and value >= target)} value={value if value is not None else ''}"
      f" elapsed={now:.3f} first={'' if first is None else f'{first:.3f}'} first_value={first_v}")
EOF

# ---------------------------------------------------------------- 3. ingest (delivery paused)
INGEST_DATA="$TMP/data-ingest"
PENDING=""
if hookd_start ingest "$INGEST_DATA" api && hookd_setup; then
    MSG_URL="$HOOKD_URL/api/v1/app/$APP_ID/msg"
    log "ingest: wrk -t$WRK_THREADS -c$CONNS POST $MSG_URL, ${WARM}s warm-up + ${DUR}s"
    wrk_run ingest_warm "$MSG_URL" 202 "$TOKEN" "$WARM" >/dev/null
    if wrk_run ingest "$MSG_URL" 202 "$TOKEN" "$DUR"; then
        R[ingest_rps]=$(kv "$TMP/ingest.out" WRK ok_rps)
        R[ingest_p50]=$(kv "$TMP/ingest.out" WRK p50_ms)
        R[ingest_p99]=$(kv "$TMP/ingest.out" WRK p99_ms)
        bad=$(kv "$TMP/ingest.out" WRK unexpected)
        errs=0
        for k in connect_errors read_errors write_errors timeouts; do
            errs=$((errs + $(kvn "$TMP/ingest.out" WRK $k)))
        done
        [ "${bad:-0}" != 0 ] && note "ingest: $bad responses were not 202, first: $(kv "$TMP/ingest.out" WRK first_unexpected)"
        [ "$errs" != 0 ] && note "ingest: $errs socket errors/timeouts in wrk"
        [ "$(kv "$TMP/ingest.out" WRK expected)" = 0 ] && fail "ingest: no 202 at all"
        log "ingest: $(fmt_num "${R[ingest_rps]}") msg/s accepted, p50 ${R[ingest_p50]} ms, p99 ${R[ingest_p99]} ms"
    else
        fail "ingest: wrk did not report"
    fi
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
            # rate between the first sight of a delivery and the end; when that window is too
            # short to mean anything (tiny backlog), the rate since start-up instead
            R[drain_rps]=$("$PY" -c "
d, t = $value - $first_value, $elapsed - $first
print(d / t if d >= 500 and t >= 0.2 else $value / max($elapsed, 1e-3))")
            R[drain_first]=$first
            R[drain_value]=$value
            [ "$reached" = 1 ] ||
                note "drain: only $value of $PENDING delivered within ${DRAIN_WINDOW}s (figure from the partial count)"
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

# ---------------------------------------------------------------- table
n() { fmt_num "${R[$1]:-}"; }
ms() { "$PY" -c 'import sys; v=sys.argv[1]; print(f"{float(v):.2f}" if v else "n/a")' "${R[$1]:-}"; }
{
    echo
    echo "hookd benchmark ($MODE: ${DUR}s windows, $CONNS connections, wrk -t$WRK_THREADS), $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "machine: $(nproc) cores, $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), binary: $BIN"
    echo
    echo "| scenario | figure | ceiling | ratio | target |"
    echo "|---|---|---|---|---|"
    echo "| ceiling A: nginx \`return 200\`, 1 KB POST (wrk) | $(n nginx_rps) req/s (p50 $(ms nginx_p50) ms, p99 $(ms nginx_p99) ms) | — | — | — |"
    echo "| ceiling B: libcurl multi loop to nginx, 1 thread, $CONNS in flight | $(n curl_rps) req/s | — | — | — |"
    echo "| ingest: POST /msg, 1 KB payload, 1 endpoint, delivery paused | $(n ingest_rps) msg/s accepted (p50 $(ms ingest_p50) ms, p99 $(ms ingest_p99) ms) | A $(n nginx_rps) | $(ratio "${R[ingest_rps]:-}" "${R[nginx_rps]:-}") | >= 0.35 |"
    echo "| drain: $(n drain_n) pending deliveries after restart | $(n drain_rps) deliveries/s (first after ${R[drain_first]:-n/a} s) | B $(n curl_rps) | $(ratio "${R[drain_rps]:-}" "${R[curl_rps]:-}") | >= 0.7 |"
    echo "| end to end: $(n e2e_n) messages posted and delivered to nginx | $(n e2e_rps) msg/s delivered (accepted at $(n e2e_post_rps)/s) | A $(n nginx_rps) | $(ratio "${R[e2e_rps]:-}" "${R[nginx_rps]:-}") | >= 0.15 |"
    echo "| end to end latency at half that rate ($(n lat_rate) msg/s): POST start to nginx receipt | p50 ${R[lat_p50]:-n/a} ms, p99 ${R[lat_p99]:-n/a} ms (the POST itself: p50 $(ms lat_post_p50) ms, p99 $(ms lat_post_p99) ms) | — | — | p99 <= 50 ms |"
    echo
    rss=""
    for s in ingest drain e2e; do [ -n "${R[rss_$s]:-}" ] && rss="$rss $s ${R[rss_$s]} MB,"; done
    [ -n "$rss" ] && echo "hookd peak RSS:${rss%,}"
    if [ ${#NOTES[@]} -gt 0 ]; then
        echo "notes:"
        for x in "${NOTES[@]}"; do echo "- $x"; done
    fi
} | tee "$TMP/results.md"

exit "$FAILED"
