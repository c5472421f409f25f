#!/usr/bin/env python3
"""Journey benchmark: activities/s accepted and processed with 100 live journeys, and 1,000,000
waiting contacts (peak RSS; timer firings/s with every deadline due at once; lateness of firings
whose deadlines fall due at a steady rate), beside hookd's own message ingest figure measured in
the same run with the same load generator.

    bench/journeys.py [--quick] [--bin PATH] [--keep] [--sink nginx|none] [--within DURATION]
                      [--background RATE] [--due-rate RATE]

  --quick      smaller counts (100,000 waiting contacts, 10,000 contacts for the 100 journeys);
               well under 3 minutes. The full mode (1,000,000 waiting contacts) is under 10.
  --bin PATH   hookd binary (default build-rel/hookd; a Release build is what means something)
  --keep       keep the temporary directory (hookd data and logs, nginx config, wrk output)
  --sink       where the waiting journeys' timed-out webhook goes: `nginx` (default: an endpoint
               at the local nginx, so every firing is also a delivery), or `none` (an event type
               without endpoints: the firing commits its message and nothing is delivered)
  --within     the capacity journey's waitFor `within` (default: quick 20 s, full 120 s); must be
               longer than loading and applying its triggers and then posting the latency half
               at the due rate take (a note says when it was not)
  --background activities/s posted while the runs fire (default 1,000; 0: none)
  --due-rate   deadlines/s of the latency phase (default 10,000): the rate its triggers are
               posted at; below the engine's firing capacity, or the phase measures a queue

Everything runs on 127.0.0.1, every process it starts is stopped on exit (also on Ctrl-C,
SIGTERM, an error or the time limit: quick 170 s, full 840 s; BENCH_TIME_LIMIT=SECONDS overrides),
and the temporary directory is removed unless --keep (hookd logs at `warn` there;
BENCH_HOOKD_LOG_LEVEL=info says more). Load generator: wrk -t2 with a Lua script
this file writes (every request body formatted before the first request, so that generating a
request costs the same for messages and for activities; a fixed count of requests, timed from
each wrk thread's first request to the response that completes its share).
  1. nginx `location / { return 200; }` on a free port: the receiver of every webhook.
  2. ceiling, "ingest": fresh hookd, role api (accepts, does not deliver), one application, one
     endpoint at nginx, event type bench.event; wrk -c64 POSTs M messages (1 KB payload, the
     body of bench/run.sh) to /api/v1/app/{app}/msg. Figure: 202 responses/s. Measured again
     after step 3 on another fresh hookd; the ratios divide by the mean of the two.
  3. 100 live journeys: fresh hookd, role all; one application, 4 endpoints at nginx, C contacts
     (created by contact/batch, attributes EMAIL, COUNTRY, TIER). 100 journeys, 5 kinds x 20
     trigger names t0..t19: (a) trigger with a params filter -> webhook; (b) trigger -> waitFor
     f<k> with a params filter within 1h, timed out -> webhook; (c) trigger with a contactFilter
     -> condition on the contact -> webhook / exit; (d) perKey on cartId: trigger -> waitFor
     f<k> correlated within 30m -> webhook; (e) trigger -> allOf [f<k>, f<k+1> with a filter]
     within 1d -> webhook. Activities: 50 % trigger names, 40 % f0..f9, 10 % `view` (nothing
     listens), random contact, params amount / sku / cartId. First A1 single POST /activity
     (wrk -c64), then A2 activities as POST /activity/batch of 100 (wrk -c64). Figures for
     each: accepted/s (client side, 202s) and processed/s = activities applied
     (hookd_journey_activities_applied_total) / seconds from the first POST until every
     accepted activity is applied and hookd_journey_activities_pending is 0.
  4. waiting contacts: fresh hookd, role all; two journeys, each trigger -> waitFor `never`
     within W (timed out -> webhook -> exit); a run's deadline is its trigger's receipt + W.
     Capacity journey (trigger `enter`, W = --within): N/2 contacts enter through
     /activity/batch, 1,000 per request (wrk -c16, each with an id), so their deadlines fall
     due as fast as the load went (~170,000/s), far above any firing rate. Once those are
     applied, the latency journey (trigger `steady`) gets the other N/2, posted from Python at
     --due-rate (batches of rate/200 on two connections, each request at its scheduled time),
     so their deadlines fall due at that steady rate; its W is chosen so that they begin
     N/2 / due-rate + 10 s after the capacity journey's first deadline (time enough for those
     to fire at any rate above the due rate; a note says when they had not). Once every trigger
     is applied (pending 0, stats waiting = N): peak RSS (VmHWM of /proc/PID/status; VmRSS
     sampled every 0.1 s). Then, while a background client posts unrelated single activities
     (`browse`, to waiting contacts) at 1,000/s, two phases, each measured from its own
     samples: timer firings/s (hookd_journey_timers_fired_total, from the first firing of the
     phase to its last) and the lateness of the firings (hookd_journey_timer_lateness_seconds,
     the phase's share of it: from deadline to the commit that fired it; p50 / p99 interpolated
     linearly inside the histogram's buckets, so read them to the bucket: 0.5, 1, 2.5, 5, 10 s),
     and the same from 2,000 runs of each journey sampled at random (after both phases) through
     GET .../journey/{id}/contact/{key}: the time the run's path reached the webhook (the engine
     planning the firing, just before its commit) minus its deadline (the time its path entered
     the waitFor + W). The capacity phase's figure is its firings/s; its lateness is only the
     queue the burst of deadlines built, reported as such. The latency phase's figures are the
     firings/s achieved (the due rate when the engine keeps up) and their lateness.
The table at the end is Markdown for docs/benchmarks.md; then the CPU each of hookd's threads
used in each phase (from /proc/PID/task/*/stat, % of one core) beside how busy the whole machine
was (/proc/stat: the load generator, nginx and anyone else), and the raw numbers as JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-journeys-token-0123456789"
CONNS = 64
WRK_THREADS = 2
LATENESS_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
SAMPLE_S = 0.1
BACKGROUND_RATE = 1000
DUE_RATE = 10_000
SAMPLED_RUNS = 2000

MODES = {
    "quick": {"messages": 60_000, "contacts": 10_000, "single": 20_000, "batched": 60_000,
              "waiting": 100_000, "within": "20s", "limit": 170},
    "full": {"messages": 300_000, "contacts": 100_000, "single": 100_000, "batched": 300_000,
             "waiting": 1_000_000, "within": "120s", "limit": 840},
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


LUA = r"""
-- Written by bench/journeys.py: a fixed number of pre-formatted requests per wrk thread.
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } jb_timespec;
           int clock_gettime(int clk, jb_timespec *ts); ]]
local tsbuf = ffi.new("jb_timespec")
local function now()
   ffi.C.clock_gettime(0, tsbuf)  -- CLOCK_REALTIME, as Python's time.time()
   return tonumber(tsbuf.tv_sec) + tonumber(tsbuf.tv_nsec) * 1e-9
end

local mode = os.getenv("JB_MODE")            -- msg | act | batch | load
local path = os.getenv("JB_PATH")
local total = tonumber(os.getenv("JB_COUNT"))  -- requests, over all threads
local batch = tonumber(os.getenv("JB_BATCH") or "1")
local contacts = tonumber(os.getenv("JB_CONTACTS") or "1")
local nthreads = tonumber(os.getenv("JB_THREADS"))
local seed = tonumber(os.getenv("JB_SEED") or "1")
local expect = tonumber(os.getenv("JB_EXPECT") or "202")

local threads = {}
local counter = 0
function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local function activity()
   local r = math.random()
   local name
   if r < 0.5 then name = "t" .. math.random(0, 19)
   elseif r < 0.9 then name = "f" .. math.random(0, 9)
   else name = "view" end
   return string.format(
      '{"name":"%s","contact":"u%d","params":{"amount":%d,"sku":"s%d","cartId":"c%d"}}',
      name, math.random(0, contacts - 1), math.random(1, 999), math.random(0, 9),
      math.random(0, 3))
end

function init(args)
   math.randomseed(seed * 7919 + tid)
   quota = math.floor(total / nthreads)
   if tid < total % nthreads then quota = quota + 1 end
   local headers = {["Content-Type"] = "application/json",
                    ["Authorization"] = "Bearer " .. os.getenv("JB_TOKEN")}
   pool = {}
   if mode == "msg" then
      local f = assert(io.open(os.getenv("JB_BODY"), "rb"))
      pool[1] = wrk.format("POST", path, headers, f:read("*a"))
      f:close()
   else
      for r = 1, quota do
         local body
         if mode == "act" then
            body = activity()
         else
            local items = {}
            if mode == "batch" then
               for i = 1, batch do items[i] = activity() end
            else  -- load: contacts w<g*batch> .. of request g, each activity with an id
               local g = (r - 1) * nthreads + tid
               for i = g * batch, math.min(g * batch + batch, contacts) - 1 do
                  items[#items + 1] = string.format(
                     '{"name":"enter","contact":"w%d","id":"enter-w%d"}', i, i)
               end
            end
            body = '{"activities":[' .. table.concat(items, ",") .. ']}'
         end
         pool[r] = wrk.format("POST", path, headers, body)
      end
   end
   filler = wrk.format("GET", "/health", {}, nil)  -- after its share: answered 204, not counted
   sent, got, ok, bad, first_bad = 0, 0, 0, 0, "-"
   -- wrk calls thread 0's request() once before it connects (to count pipelined requests):
   -- that call is neither sent nor counted
   verifying = tid == 0
   io.stderr:write(string.format("JBREADY %d %d\n", tid, quota))
   if quota == 0 then
      io.stderr:write(string.format("JBDONE %d %.6f %.6f 0 0 -\n", tid, now(), now()))
   end
end

function request()
   if verifying then
      verifying = false
      return filler
   end
   if start_t == nil then start_t = now() end
   sent = sent + 1
   if sent > quota then return filler end
   if mode == "msg" then return pool[1] end
   return pool[sent]
end

function response(status, headers, body)
   if status == 204 then return end  -- a filler
   got = got + 1
   if status == expect then
      ok = ok + 1
   else
      bad = bad + 1
      if first_bad == "-" then
         first_bad = tostring(status) .. " " .. (body or ""):sub(1, 160):gsub("%s+", " ")
      end
   end
   if got == quota then
      io.stderr:write(string.format("JBDONE %d %.6f %.6f %d %d %s\n", tid, start_t, now(), ok,
                                    bad, first_bad))
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("JBWRK p50_ms=%.3f p99_ms=%.3f max_ms=%.3f connect_errors=%d " ..
                          "read_errors=%d write_errors=%d timeouts=%d\n",
                          latency:percentile(50) / 1000, latency:percentile(99) / 1000,
                          latency.max / 1000, e.connect, e.read, e.write, e.timeout))
end
"""


class BenchError(Exception):
    pass


class TimeLimit(BaseException):
    pass


def log(msg: str) -> None:
    print(f"[journeys {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fmt(v: float, digits: int = 0) -> str:
    return f"{v:,.{digits}f}"


def parse_metrics(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        name, _, value = line.rpartition(" ")
        try:
            out[name] = float(value)
        except ValueError:
            pass
    return out


def lateness_buckets(m: dict[str, float]) -> list[float]:
    """Cumulative counts of hookd_journey_timer_lateness_seconds, one per bound, +Inf last."""
    out = []
    for b in LATENESS_BOUNDS + ["+Inf"]:
        le = "+Inf" if b == "+Inf" else f"{b:g}"
        out.append(m.get(f'hookd_journey_timer_lateness_seconds_bucket{{le="{le}"}}', 0.0))
    return out


def bucket_quantile(cum: list[float], q: float) -> tuple[float, str]:
    """The q-quantile of a cumulative histogram, interpolated linearly inside its bucket (lower
    bound 0 for the first one); for the +Inf bucket, its lower bound and '>'."""
    total = cum[-1]
    if not total:
        return 0.0, "-"
    want = q * total
    lo, below = 0.0, 0.0
    for bound, count in zip(LATENESS_BOUNDS + [None], cum):
        if count >= want:
            if bound is None:
                return lo, f"> {lo:g} s"
            inside = count - below
            v = lo + (bound - lo) * ((want - below) / inside if inside else 1.0)
            return v, f"{v * 1e3:,.0f} ms" if v < 1 else f"{v:.2f} s"
        lo, below = bound, count
    return lo, f"> {lo:g} s"


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * (len(values) - 1) + 0.5))]


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, from /proc/stat."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(f) - f[3] - f[4]) / CLK_TCK, sum(f) / CLK_TCK


class CpuMark:
    """CPU used between two moments: by each of hookd's threads (summed by name) and by the
    whole machine (every core, every process: the load generator, nginx, anyone else)."""

    def __init__(self, pid: int):
        self.pid, self.t, self.threads, self.machine = pid, time.time(), thread_cpu(pid), \
            machine_cpu()

    def since(self) -> dict:
        secs = max(time.time() - self.t, 1e-3)
        now, (busy, total) = thread_cpu(self.pid), machine_cpu()
        share = {k: round(100 * (v - self.threads.get(k, 0)) / secs) for k, v in now.items()}
        share = dict(sorted(((k, v) for k, v in share.items() if v >= 2), key=lambda kv: -kv[1]))
        return {"seconds": round(secs, 2), "threads_pct_of_a_core": share,
                "hookd_pct_of_a_core": round(100 * (sum(now.values()) - sum(
                    self.threads.values())) / secs),
                "machine_busy_pct": round(100 * (busy - self.machine[0]) / max(
                    total - self.machine[1], 1e-3))}


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of each thread of pid, summed by thread name."""
    out: dict[str, float] = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[comm] = out.get(comm, 0.0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def cpu_text(c: dict) -> str:
    threads = ", ".join(f"{k} {v}" for k, v in list(c["threads_pct_of_a_core"].items())[:6])
    return (f"hookd {c['hookd_pct_of_a_core']} % of a core ({threads}); machine "
            f"{c['machine_busy_pct']} % busy")


class Client:
    """A kept-alive HTTP/1.1 connection to hookd with the admin token (one thread)."""

    def __init__(self, base: str, timeout: float = 30):
        host, port = base.split("//")[1].split(":")
        self.host, self.port, self.timeout = host, int(port), timeout
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body=None, expect: tuple = (200, 201, 202, 204)):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers={
                    "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
                r = self.conn.getresponse()
                text = r.read().decode()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if r.status not in expect:
            raise BenchError(f"{method} {path}: {r.status} {text[:300]}")
        return json.loads(text) if text[:1] in ("{", "[") else text

    def close(self) -> None:
        if self.conn:
            self.conn.close()


class Hookd:
    """One hookd process, with a thread sampling /metrics and its RSS every SAMPLE_S."""

    def __init__(self, bench: "Bench", name: str, role: str):
        self.bench, self.name, self.role = bench, name, role
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data = bench.tmp / name
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKD_")}
        env["HOOKD_LOG_LEVEL"] = os.environ.get("BENCH_HOOKD_LOG_LEVEL", "warn")
        cmd = [bench.args.bin, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir",
               str(self.data), "--admin-token", TOKEN, "--ssrf-allow", "127.0.0.0/8",
               "--role", role]
        self.proc = bench.spawn(cmd, env=env, log_name=name)
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.rss_max_sampled = 0
        self._stop = threading.Event()
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"hookd {name} exited with {self.proc.returncode} at start "
                                 f"(log: {bench.tmp / (name + '.log')})")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                Client(self.base, 2).call("GET", "/health")
                break
            except (OSError, BenchError, http.client.HTTPException):
                if time.monotonic() > deadline:
                    raise BenchError(f"hookd {name} did not answer /health within 30 s")
                time.sleep(0.05)
        self.api = Client(self.base)
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()
        log(f"hookd {name} (pid {self.proc.pid}, role {role}) on {self.base}")

    def status(self) -> dict[str, int]:
        out = {}
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1]) * 1024
        except OSError:
            pass
        return out

    def _sample(self) -> None:
        client = Client(self.base, 5)
        while not self._stop.is_set():
            t = time.time()
            try:
                m = parse_metrics(client.call("GET", "/metrics"))
            except Exception:
                m = None
            st = self.status()
            self.rss_max_sampled = max(self.rss_max_sampled, st.get("VmRSS", 0))
            if m is not None:
                m["rss"] = st.get("VmRSS", 0)
                self.samples.append((t, m))
            self._stop.wait(max(0.0, SAMPLE_S - (time.time() - t)))
        client.close()

    def metrics(self) -> dict[str, float]:
        return parse_metrics(self.api.call("GET", "/metrics"))

    def wait_for(self, what: str, cond, timeout: float) -> tuple[float, dict[str, float]]:
        """The first sample (time, metrics) after now that satisfies cond, within timeout."""
        start = len(self.samples)
        deadline = time.monotonic() + timeout
        i = max(0, start - 1)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"hookd {self.name} exited ({self.proc.returncode}) while "
                                 f"waiting for {what}")
            while i < len(self.samples):
                t, m = self.samples[i]
                if cond(m):
                    return t, m
                i += 1
            time.sleep(SAMPLE_S / 2)
        last = self.samples[-1][1] if self.samples else {}
        raise BenchError(f"{what}: not reached within {timeout:.0f} s (last metrics: "
                         + ", ".join(f"{k}={last.get(k, 0):.0f}" for k in (
                             "hookd_journey_activities_applied_total",
                             "hookd_journey_activities_pending",
                             "hookd_journey_timers_fired_total")) + ")")

    def __enter__(self) -> "Hookd":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self.sampler.join(5)
        self.api.close()
        self.bench.stop(self.proc)
        log_text = (self.bench.tmp / f"{self.name}.log").read_text(errors="replace")
        if self.proc.returncode != 0:
            self.bench.notes.append(f"hookd {self.name} exited with {self.proc.returncode} "
                                    f"on SIGTERM")
        errors = [ln for ln in log_text.splitlines() if "error" in ln.lower()]
        if errors:
            self.bench.notes.append(f"hookd {self.name} logged {len(errors)} error line(s), "
                                    f"first: {errors[0][:200]}")


class Background:
    """Threads posting single activities (`browse`, random waiting contacts) at a paced rate;
    every answer is kept with its time, so that each phase gets its own figures."""

    def __init__(self, base: str, app: str, contacts: int, rate: int, threads: int = 2):
        self.stop_flag = threading.Event()
        self.answers: list[tuple[float, float]] = []  # (answered at, seconds) of each 202
        self.bad = 0
        self.first_bad = ""
        self.started = self.ended = 0.0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True,
                                         args=(base, app, contacts, rate / threads, k))
                        for k in range(threads)]

    def start(self) -> None:
        self.started = time.time()
        for t in self.threads:
            t.start()

    def _run(self, base: str, app: str, contacts: int, rate: float, k: int) -> None:
        client = Client(base, 10)
        rnd = random.Random(k)
        next_t = time.monotonic()
        answers, bad = [], 0
        while not self.stop_flag.is_set():
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_t += 1 / rate
            body = {"name": "browse", "contact": f"w{rnd.randrange(contacts)}",
                    "params": {"page": f"p{rnd.randrange(100)}"}}
            t0 = time.monotonic()
            try:
                client.call("POST", f"/api/v1/app/{app}/activity", body, expect=(202,))
                answers.append((time.time(), time.monotonic() - t0))
            except Exception as e:  # counted and reported, never as accepted
                bad += 1
                if not self.first_bad:
                    self.first_bad = str(e)[:200]
        client.close()
        with self.lock:
            self.answers += answers
            self.bad += bad

    def finish(self) -> dict:
        self.stop_flag.set()
        for t in self.threads:
            if t.is_alive():
                t.join(15)
        self.ended = time.time()
        out = self.window(self.started, self.ended)
        out.update({"bad": self.bad, "first_bad": self.first_bad})
        return out

    def window(self, t0: float, t1: float) -> dict:
        """What was answered between t0 and t1 (after finish)."""
        lat = [s for t, s in self.answers if t0 <= t <= t1]
        secs = max(t1 - t0, 1e-3)
        return {"posted": len(lat), "seconds": secs, "rate": len(lat) / secs,
                "p50_ms": pct(lat, 50) * 1e3, "p99_ms": pct(lat, 99) * 1e3}


class Bench:
    def __init__(self, args, mode: dict):
        self.args, self.mode = args, mode
        self.tmp = Path(tempfile.mkdtemp(prefix="hookd-journeys-"))
        os.chmod(self.tmp, 0o755)
        self.procs: list[subprocess.Popen] = []
        self.notes: list[str] = []
        self.raw: dict = {"mode": "quick" if args.quick else "full"}
        self.lua = self.tmp / "gen.lua"
        self.lua.write_text(LUA)
        self.body = self.tmp / "msg.json"
        payload = {
            "id": "evt_bench", "type": "order.created", "created": "2026-11-25T13:19:07.123Z",
            "customer": {"id": "cus_0001", "email": "bench@example.com", "country": "FR"},
            "items": [{"sku": f"sku-{i:04d}", "qty": i + 1, "price": 1999} for i in range(5)],
            "note": "",
        }
        compact = lambda o: json.dumps(o, separators=(",", ":"))  # noqa: E731
        payload["note"] = "x" * (1024 - len(compact(payload)))
        self.body.write_text('{"eventType":"bench.event","payload":' + compact(payload) + "}")

    # ---- processes
    def spawn(self, cmd, env=None, log_name="proc", stderr=None) -> subprocess.Popen:
        out = open(self.tmp / f"{log_name}.log", "ab")
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=stderr or subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        self.procs.append(p)
        return p

    @staticmethod
    def stop(p: subprocess.Popen, sig=signal.SIGTERM, wait: float = 15) -> None:
        if p.poll() is None:
            try:
                p.send_signal(sig)
                p.wait(wait)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

    def cleanup(self) -> None:
        for p in reversed(self.procs):
            self.stop(p)
        if self.args.keep:
            log(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def start_nginx(self) -> None:
        self.nginx_port = free_port()
        self.nginx_url = f"http://127.0.0.1:{self.nginx_port}"
        conf = self.tmp / "nginx.conf"
        t = self.tmp
        conf.write_text(f"""daemon off; worker_processes 1; pid {t}/nginx.pid;
error_log {t}/nginx-error.log; events {{ worker_connections 4096; }}
http {{ access_log off; client_body_temp_path {t}/nginx-body; proxy_temp_path {t}/nginx-proxy;
  fastcgi_temp_path {t}/nginx-fcgi; uwsgi_temp_path {t}/nginx-uwsgi; scgi_temp_path {t}/nginx-scgi;
  client_body_buffer_size 16k;
  server {{ listen 127.0.0.1:{self.nginx_port} backlog=4096; keepalive_requests 1000000;
    location / {{ return 200; }} }} }}
""")
        self.spawn([self.nginx_bin, "-c", str(conf), "-p", str(t), "-e", f"{t}/nginx-error.log"],
                   log_name="nginx")
        deadline = time.monotonic() + 10
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.nginx_port, timeout=1)
                c.request("POST", "/probe", body=b"{}")
                if c.getresponse().status == 200:
                    c.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"nginx did not answer 200 on {self.nginx_url}")
            time.sleep(0.05)
        log(f"nginx on {self.nginx_url}")

    # ---- load generator
    def wrk(self, label: str, base: str, path: str, mode: str, requests: int, conns: int = CONNS,
            batch: int = 1, contacts: int = 1, cap_s: float = 300, seed: int = 1) -> dict:
        """wrk sends `requests` requests (split over its threads) and is stopped once every
        thread has its share answered. Returns ok/bad counts, the seconds from the first request
        to the last answer, and wrk's latency line."""
        env = dict(os.environ, JB_MODE=mode, JB_PATH=path, JB_COUNT=str(requests),
                   JB_BATCH=str(batch), JB_CONTACTS=str(contacts), JB_THREADS=str(WRK_THREADS),
                   JB_TOKEN=TOKEN, JB_BODY=str(self.body), JB_SEED=str(seed))
        cmd = [self.wrk_bin, f"-t{WRK_THREADS}", f"-c{conns}", f"-d{int(cap_s) + 60}s",
               "--timeout", "10s", "-s", str(self.lua), base]
        p = self.spawn(cmd, env=env, log_name=f"wrk-{label}", stderr=subprocess.PIPE)
        done: list[list[str]] = []
        ready = []

        def read():
            for line in p.stderr:
                line = line.decode(errors="replace").rstrip("\n")
                if line.startswith("JBDONE "):
                    done.append(line.split(" ", 6))
                elif line.startswith("JBREADY "):
                    ready.append(line)
                else:
                    with open(self.tmp / f"wrk-{label}.log", "a") as f:
                        f.write(line + "\n")
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        deadline = time.monotonic() + cap_s + 30  # + building the requests
        while len(done) < WRK_THREADS and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        complete = len(done) == WRK_THREADS
        self.stop(p, signal.SIGINT, 10)
        reader.join(5)
        if not done:
            raise BenchError(f"wrk {label}: no thread finished its share within {cap_s:.0f} s "
                             f"(log: {self.tmp / f'wrk-{label}.log'})")
        ok = sum(int(d[4]) for d in done)
        bad = sum(int(d[5]) for d in done)
        start = min(float(d[2]) for d in done)
        end = max(float(d[3]) for d in done)
        line = ""
        text = (self.tmp / f"wrk-{label}.log").read_text(errors="replace")
        for ln in text.splitlines():
            if ln.startswith("JBWRK "):
                line = ln
        kv = dict(x.split("=", 1) for x in line.split()[1:]) if line else {}
        out = {"requests": requests, "ok": ok, "bad": bad, "start": start, "end": end,
               "seconds": end - start, "rate": ok / max(end - start, 1e-6),
               "p50_ms": float(kv.get("p50_ms", 0)), "p99_ms": float(kv.get("p99_ms", 0)),
               "errors": sum(int(kv.get(k, 0)) for k in (
                   "connect_errors", "read_errors", "write_errors", "timeouts")),
               "first_bad": next((d[6] for d in done if d[6] != "-"), "-")}
        if not complete:
            self.notes.append(f"{label}: wrk did not finish within {cap_s:.0f} s; the figure "
                              f"is over the {ok + bad:,} answered requests")
        if bad:
            self.notes.append(f"{label}: {bad:,} responses were not 202 (first: "
                              f"{out['first_bad']}); never counted as accepted")
        if out["errors"]:
            self.notes.append(f"{label}: wrk counted {out['errors']} socket errors/timeouts")
        log(f"{label}: {ok:,} of {requests:,} requests accepted in {out['seconds']:.2f} s: "
            f"{out['rate']:,.0f} req/s (p50 {out['p50_ms']:.2f} ms, p99 {out['p99_ms']:.2f} ms)")
        return out

    # ---- 1. the ceiling: message ingest
    def ingest(self, label: str) -> dict:
        with Hookd(self, label, "api") as h:
            h.api.call("POST", "/api/v1/event-type", {"name": "bench.event",
                                                      "description": "bench"})
            app = h.api.call("POST", "/api/v1/app", {"name": "bench", "uid": "bench"})["id"]
            h.api.call("POST", f"/api/v1/app/{app}/endpoint", {
                "url": f"{self.nginx_url}/sink", "eventTypes": ["bench.event"]})
            h.api.call("POST", f"/api/v1/app/{app}/msg", self.body.read_bytes(), expect=(202,))
            mark = CpuMark(h.proc.pid)
            r = self.wrk(label, h.base, f"/api/v1/app/{app}/msg", "msg", self.mode["messages"],
                         cap_s=120)
            r["cpu"] = mark.since()
            accepted = h.metrics().get("hookd_messages_accepted_total", 0)
            if accepted < r["ok"] + 1:
                self.notes.append(f"{label}: hookd_messages_accepted_total {accepted:.0f} < "
                                  f"{r['ok'] + 1} 202s")
            r["rss_peak"] = h.status().get("VmHWM", 0)
            return r

    # ---- 2. 100 live journeys
    def journeys(self) -> dict:
        with Hookd(self, "journeys", "all") as h:
            return self._journeys(h)

    def _journeys(self, h: Hookd) -> dict:
        api = h.api
        app = api.call("POST", "/api/v1/app", {"name": "journeys", "uid": "journeys"})["id"]
        eps = [api.call("POST", f"/api/v1/app/{app}/endpoint",
                        {"url": f"{self.nginx_url}/j/{k}", "description": f"journeys {k}"})["id"]
               for k in range(4)]
        contacts = self.mode["contacts"]
        countries, tiers = ["CA", "US", "IN", "DE"], ["gold", "silver"]
        t0 = time.monotonic()
        for lo in range(0, contacts, 1000):
            api.call("POST", f"/api/v1/app/{app}/contact/batch", {"contacts": [
                {"key": f"u{i}", "attributes": {"EMAIL": f"u{i}@example.com",
                                                "COUNTRY": countries[i % 4],
                                                "TIER": tiers[(i // 4) % 2]}}
                for i in range(lo, min(lo + 1000, contacts))]})
        log(f"{contacts:,} contacts created in {time.monotonic() - t0:.1f} s")
        ids = {}
        for k in range(100):
            kind, trig, f1, f2 = k // 20, f"t{k % 20}", f"f{k % 10}", f"f{(k + 1) % 10}"
            ep = eps[k % 4]
            hook = {"id": "hook", "type": "webhook", "endpointId": ep,
                    "params": ["amount", "sku"], "attributes": ["EMAIL"], "next": "end"}
            end = {"id": "end", "type": "exit"}
            if kind == 0:
                d = {"reentry": "afterExit", "nodes": [
                    {"id": "start", "type": "trigger", "activity": trig,
                     "filter": {"amount": {"$gte": 50}}, "next": "hook"}, hook, end]}
            elif kind == 1:
                d = {"reentry": "afterExit", "nodes": [
                    {"id": "start", "type": "trigger", "activity": trig, "next": "wait"},
                    {"id": "wait", "type": "waitFor", "activity": f1, "within": "1h",
                     "filter": {"sku": {"$in": [f"s{k % 10}", f"s{(k + 3) % 10}"]}},
                     "matched": "end", "timedOut": "hook"}, hook, end]}
            elif kind == 2:
                d = {"reentry": "afterExit", "nodes": [
                    {"id": "start", "type": "trigger", "activity": trig,
                     "contactFilter": {"COUNTRY": {"$in": ["CA", "US"]}}, "next": "cond"},
                    {"id": "cond", "type": "condition", "on": "contact",
                     "filter": {"TIER": "gold"}, "then": "hook", "else": "end"}, hook, end]}
            elif kind == 3:
                d = {"reentry": "perKey", "correlationKey": "cartId", "nodes": [
                    {"id": "start", "type": "trigger", "activity": trig, "next": "wait"},
                    {"id": "wait", "type": "waitFor", "activity": f1, "within": "30m",
                     "correlate": True, "matched": "hook", "timedOut": "end"}, hook, end]}
            else:
                d = {"reentry": "once", "nodes": [
                    {"id": "start", "type": "trigger", "activity": trig, "next": "both"},
                    {"id": "both", "type": "allOf", "within": "1d", "activities": [
                        {"activity": f1},
                        {"activity": f2, "filter": {"amount": {"$lt": 500}}}],
                     "matched": "hook", "timedOut": "end"}, hook, end]}
            d["name"] = f"journey {k} (kind {'abcde'[kind]}, trigger {trig})"
            ids[k] = api.call("POST", f"/api/v1/app/{app}/journey", {"definition": d})["id"]
        log("100 journeys created")
        out = {"contacts": contacts}
        single = self.mode["single"]
        out["single"] = self._activities(h, "activities-single", f"/api/v1/app/{app}/activity",
                                         "act", single, 1, contacts)
        batched = self.mode["batched"]
        out["batched"] = self._activities(h, "activities-batch100",
                                          f"/api/v1/app/{app}/activity/batch", "batch",
                                          batched // 100, 100, contacts)
        # what the journeys did, summed by kind: proof that they were live
        kinds: dict[str, dict] = {}
        for k, jid in ids.items():
            s = api.call("GET", f"/api/v1/app/{app}/journey/{jid}/stats")
            agg = kinds.setdefault("abcde"[k // 20], {"entered": 0, "waiting": 0, "webhooks": 0})
            for v in s["versions"]:
                agg["entered"] += v["entered"]
                agg["waiting"] += sum(v["waiting"].values())
                agg["webhooks"] += sum(sum(x.values()) for x in v["webhooks"].values())
        out["by_kind"] = kinds
        m = h.metrics()
        out["webhooks"] = m.get("hookd_journey_webhooks_total", 0)
        out["runs_started"] = m.get("hookd_journey_runs_started_total", 0)
        out["delivered"] = m.get("hookd_deliveries_succeeded_total", 0)
        out["rss_peak"] = h.status().get("VmHWM", 0)
        log(f"journeys by kind: {kinds}; {out['webhooks']:,.0f} webhooks, "
            f"{out['delivered']:,.0f} delivered so far")
        return out

    def _activities(self, h: Hookd, label: str, path: str, mode: str, requests: int, batch: int,
                    contacts: int) -> dict:
        before = h.metrics()
        applied0 = before.get("hookd_journey_activities_applied_total", 0)
        hooks0 = before.get("hookd_journey_webhooks_total", 0)
        mark = CpuMark(h.proc.pid)
        r = self.wrk(label, h.base, path, mode, requests, batch=batch, contacts=contacts,
                     cap_s=240, seed=3 if batch > 1 else 2)
        want = applied0 + r["ok"] * batch
        # applied by the time the last POST was answered: the backlog left then
        at_end = [m for t, m in h.samples if t <= r["end"]]
        applied_at_end = (at_end[-1] if at_end else before).get(
            "hookd_journey_activities_applied_total", 0)
        t_done, m = h.wait_for(f"{label}: every activity applied", lambda m: m.get(
            "hookd_journey_activities_applied_total", 0) >= want and m.get(
            "hookd_journey_activities_pending", 1) == 0, timeout=300)
        r["cpu"] = mark.since()
        applied = m["hookd_journey_activities_applied_total"] - applied0
        seconds = max(t_done - r["start"], 1e-3)
        r.update({"activities": r["ok"] * batch, "accepted_rate": r["ok"] * batch / max(
            r["seconds"], 1e-6), "applied": applied, "processed_seconds": seconds,
            "processed_rate": applied / seconds,
            "backlog_at_end": want - applied_at_end, "drain_after_s": max(0.0, t_done - r["end"]),
            "drain_rate": (want - applied_at_end) / (t_done - r["end"]) if t_done - r["end"] >= 1
            else 0.0,
            "webhooks": m.get("hookd_journey_webhooks_total", 0) - hooks0})
        if applied > r["ok"] * batch + CONNS * batch:
            self.notes.append(f"{label}: {applied:,.0f} applied for {r['ok'] * batch:,} accepted")
        log(f"{label}: {r['activities']:,} activities accepted at {r['accepted_rate']:,.0f}/s; "
            f"all applied {seconds:.2f} s after the first POST: {r['processed_rate']:,.0f}/s "
            f"(backlog {r['backlog_at_end']:,.0f} when the POSTs ended); "
            f"{r['webhooks']:,.0f} webhooks")
        log(f"{label}: CPU until then: {cpu_text(r['cpu'])}")
        return r

    def sample_runs(self, h: Hookd, app: str, jid: str, lo: int, hi: int, within_s: float,
                    label: str) -> dict:
        """Lateness from the runs themselves, for a random sample of the contacts w<lo>..w<hi-1>:
        when the run's path reached the timed-out webhook (the engine planning the firing, just
        before its commit) minus its deadline (when its path entered the waitFor, + within)."""
        rnd = random.Random(5)
        keys = rnd.sample(range(lo, hi), min(hi - lo, SAMPLED_RUNS))
        late, missing = [], 0
        for k in keys:
            runs = h.api.call("GET", f"/api/v1/app/{app}/journey/{jid}/contact/w{k}")["data"]
            at = {s["node"]: rfc3339(s["at"]) for r in runs[:1] for s in r["path"]}
            if "hook" not in at or "wait" not in at:
                missing += 1
                continue
            late.append(at["hook"] - (at["wait"] + within_s))
        if missing:
            self.notes.append(f"waiting, {label}: {missing} of {len(keys)} sampled runs had not "
                              f"fired")
        return {"sampled_runs": len(late), "sampled_p50": pct(late, 50),
                "sampled_p90": pct(late, 90), "sampled_p99": pct(late, 99),
                "sampled_max": max(late or [0.0])}

    def paced_load(self, h: Hookd, app: str, lo: int, hi: int, rate: float) -> dict:
        """POSTs the triggers `steady` of contacts w<lo>..w<hi-1> to /activity/batch at `rate`
        activities/s: batches of rate/200 (at least 1, at most 1,000), two connections, each
        request sent at its scheduled time (one that is late goes at once), so that the times
        hookd received them, hence the deadlines, are spread evenly."""
        count = hi - lo
        batch = max(1, min(1000, round(rate / 200)))
        requests = (count + batch - 1) // batch
        nthreads = 2
        path = f"/api/v1/app/{app}/activity/batch"
        start = time.time() + 0.2
        sent: list[tuple[float, float, float, int]] = []  # sent at, late by, seconds, activities
        errors: list[str] = []
        lock = threading.Lock()

        def run(k: int) -> None:
            client = Client(h.base, 30)
            mine, bad = [], []
            for g in range(k, requests, nthreads):
                a, b = lo + g * batch, min(lo + (g + 1) * batch, hi)
                body = ('{"activities":[' + ",".join(
                    f'{{"name":"steady","contact":"w{i}","id":"steady-w{i}"}}'
                    for i in range(a, b)) + "]}").encode()
                due = start + g * batch / rate
                delay = due - time.time()
                if delay > 0:
                    time.sleep(delay)
                t = time.time()
                try:
                    client.call("POST", path, body, expect=(202,))
                    mine.append((t, t - due, time.time() - t, b - a))
                except Exception as e:  # counted and reported, never as accepted
                    bad.append(str(e)[:200])
            client.close()
            with lock:
                sent.extend(mine)
                errors.extend(bad)

        threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(nthreads)]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.5)
        sent.sort()
        ok = sum(c for *_, c in sent)
        if not sent:
            raise BenchError(f"waiting-paced: nothing accepted (first error: "
                             f"{errors[0] if errors else '-'})")
        first, last = sent[0][0], sent[-1][0]
        peak, j, inside = 0, 0, 0  # the busiest second of receipts, hence of deadlines
        for i, (t, *_, c) in enumerate(sent):
            while j < len(sent) and sent[j][0] < t + 1.0:
                inside += sent[j][3]
                j += 1
            peak = max(peak, inside)
            inside -= c
        lat = [s for _, _, s, _ in sent]
        out = {"activities": ok, "batch": batch, "requests": requests, "start": first,
               "end": last, "seconds": last - first,
               "rate": (ok - sent[-1][3]) / (last - first) if last > first else float(ok),
               "peak_1s": peak, "late_max_ms": max(d for _, d, _, _ in sent) * 1e3,
               "p50_ms": pct(lat, 50) * 1e3, "p99_ms": pct(lat, 99) * 1e3, "bad": len(errors)}
        if errors:
            self.notes.append(f"waiting-paced: {len(errors)} requests failed (first: "
                              f"{errors[0]})")
        if ok < count:
            raise BenchError(f"waiting-paced: {ok} of {count} triggers accepted")
        log(f"waiting-paced: {ok:,} triggers posted in {out['seconds']:.1f} s, {out['rate']:,.0f}/s "
            f"(busiest second {peak:,}; {batch} per request, p50 {out['p50_ms']:.1f} ms, p99 "
            f"{out['p99_ms']:.1f} ms; the latest request went {out['late_max_ms']:.0f} ms after "
            f"its time)")
        return out

    # ---- 3. waiting contacts
    def waiting(self) -> dict:
        with Hookd(self, "waiting", "all") as h:
            return self._waiting(h)

    def _waiting(self, h: Hookd) -> dict:
        api = h.api
        n = self.mode["waiting"]
        n1 = n // 2  # capacity: w0 .. w<n1-1>, loaded at once
        n2 = n - n1  # latency: w<n1> .. w<n-1>, loaded at the due rate
        rate = self.args.due_rate
        within1 = self.args.within or self.mode["within"]
        within1_s = parse_duration(within1)
        app = api.call("POST", "/api/v1/app", {"name": "waiting", "uid": "waiting"})["id"]
        if self.args.sink == "nginx":
            ep = api.call("POST", f"/api/v1/app/{app}/endpoint",
                          {"url": f"{self.nginx_url}/fired", "description": "fired"})["id"]
            hook = {"id": "hook", "type": "webhook", "endpointId": ep, "next": "end"}
        else:
            api.call("POST", "/api/v1/event-type", {"name": "bench.fired",
                                                    "description": "no endpoint"})
            hook = {"id": "hook", "type": "webhook", "eventType": "bench.fired", "next": "end"}

        def journey(name: str, trigger: str, within: str) -> str:
            return api.call("POST", f"/api/v1/app/{app}/journey", {"definition": {
                "name": name, "nodes": [
                    {"id": "start", "type": "trigger", "activity": trigger, "next": "wait"},
                    {"id": "wait", "type": "waitFor", "activity": "never", "within": within,
                     "matched": "end", "timedOut": "hook"}, hook,
                    {"id": "end", "type": "exit"}]}})["id"]

        jid1 = journey("waiting: capacity", "enter", within1)
        log(f"capacity journey {jid1}: waitFor within {within1}, webhook to "
            f"{'nginx' if self.args.sink == 'nginx' else 'an event type with no endpoint'}")
        # capacity half: every deadline falls due within the few seconds the load takes
        mark = CpuMark(h.proc.pid)
        requests = (n1 + 999) // 1000
        load = self.wrk("waiting-load", h.base, f"/api/v1/app/{app}/activity/batch", "load",
                        requests, conns=16, batch=1000, contacts=n1, cap_s=300)
        if load["ok"] < requests:
            raise BenchError(f"waiting-load: {load['ok']} of {requests} batches accepted")
        first_due1, last_due1 = load["start"] + within1_s, load["end"] + within1_s
        t_applied1, _ = h.wait_for("waiting: the capacity half's triggers applied", lambda m: m.get(
            "hookd_journey_activities_applied_total", 0) >= n1 and m.get(
            "hookd_journey_activities_pending", 1) == 0,
            timeout=max(30.0, first_due1 + 120 - time.time()))
        cpu_load1 = mark.since()
        applied_rate = n1 / max(t_applied1 - load["start"], 1e-3)
        log(f"{n1:,} capacity triggers applied {t_applied1 - load['start']:.1f} s after the first "
            f"POST ({applied_rate:,.0f}/s)")
        # latency half: its deadlines start `gap` after the capacity half's first one, time for
        # those to fire at any rate above the due rate, and then fall due at the due rate
        gap = n2 / rate + 10
        within2_s = max(1, int(first_due1 + gap - (time.time() + 0.3) + 0.999))
        within2 = f"{within2_s}s"
        jid2 = journey("waiting: latency", "steady", within2)
        log(f"latency journey {jid2}: waitFor within {within2}; {n2:,} triggers paced at "
            f"{rate:,}/s")
        mark = CpuMark(h.proc.pid)
        paced = self.paced_load(h, app, n1, n, rate)
        first_due2, last_due2 = paced["start"] + within2_s, paced["end"] + within2_s
        t_applied, m = h.wait_for("waiting: every trigger applied", lambda m: m.get(
            "hookd_journey_activities_applied_total", 0) >= n and m.get(
            "hookd_journey_activities_pending", 1) == 0,
            timeout=max(30.0, first_due1 + 60 - time.time()))
        cpu_load2 = mark.since()
        if within2_s < paced["seconds"] + 1:
            self.notes.append(f"waiting: the latency half's deadlines began while its triggers "
                              f"were still being posted (W = {within1} too short)")
        fired_early = m.get("hookd_journey_timers_fired_total", 0)
        st = h.status()
        m_applied = m
        out = {"n": n, "sink": self.args.sink, "rss_waiting": st.get("VmRSS", 0),
               "hwm_waiting": st.get("VmHWM", 0), "fired_before_applied": fired_early,
               "cpu_load": cpu_load1, "cpu_paced": cpu_load2, "gap_s": first_due2 - first_due1}
        log(f"{n:,} triggers applied; RSS {st.get('VmRSS', 0) / 2**20:.0f} MB, "
            f"VmHWM {st.get('VmHWM', 0) / 2**20:.0f} MB")
        waiting = 0
        for jid in (jid1, jid2):
            stats = api.call("GET", f"/api/v1/app/{app}/journey/{jid}/stats", expect=(200,))
            waiting += sum(sum(v["waiting"].values()) for v in stats["versions"])
        out["stats_waiting"] = waiting
        if fired_early:
            self.notes.append(f"waiting: {fired_early:,.0f} runs fired before every trigger was "
                              f"applied (W = {within1} was too short for this machine)")
        elif waiting != n:
            self.notes.append(f"waiting: stats say {waiting:,} waiting, not {n:,}")
        if t_applied > first_due1 - 1:
            self.notes.append(f"waiting: the paced triggers were applied only "
                              f"{first_due1 - t_applied:+.1f} s from the first capacity deadline "
                              f"(W = {within1} too short): the capacity phase overlapped them")
        log(f"load and apply: CPU {cpu_text(cpu_load1)}; paced: CPU {cpu_text(cpu_load2)}")
        log(f"stats: {waiting:,} waiting; first capacity deadline in "
            f"{first_due1 - time.time():.1f} s, first latency deadline "
            f"{first_due2 - first_due1:.1f} s after it")
        # background activities from now until the last firing
        bg = Background(h.base, app, n, max(self.args.background, 1))
        if self.args.background > 0:
            bg.start()
        try:
            while time.time() < first_due1 - 0.5:
                time.sleep(0.05)
            mark = CpuMark(h.proc.pid)
            t_all1, m_all1 = h.wait_for("waiting: every capacity run fired", lambda m: m.get(
                "hookd_journey_timers_fired_total", 0) >= n1,
                timeout=max(30.0, last_due1 + 240 - time.time()))
            cpu_fire1 = mark.since()
            log(f"capacity phase: {n1:,} fired {t_all1 - first_due1:.1f} s after the first "
                f"deadline; CPU {cpu_text(cpu_fire1)}")
            if t_all1 > first_due2:
                self.notes.append(f"waiting: the capacity phase had not drained when the latency "
                                  f"phase's deadlines began ({t_all1 - first_due2:.1f} s later): "
                                  f"the latency figures include its tail")
            while time.time() < first_due2 - 0.5:
                time.sleep(0.05)
            mark = CpuMark(h.proc.pid)
            t_all2, m_all2 = h.wait_for("waiting: every latency run fired", lambda m: m.get(
                "hookd_journey_timers_fired_total", 0) >= n,
                timeout=max(30.0, last_due2 + 240 - time.time()))
            cpu_fire2 = mark.since()
        finally:
            out["background"] = bg.finish()
        samples = [(t, s) for t, s in h.samples if t <= t_all2 + 1e-6]
        st = h.status()
        cum0, cum1, cum2 = (lateness_buckets(x) for x in (m_applied, m_all1, m_all2))
        sum0, sum1, sum2 = (x.get("hookd_journey_timer_lateness_seconds_sum", 0)
                            for x in (m_applied, m_all1, m_all2))
        cap = {"n": n1, "within": within1, "load": load, "applied_at": t_applied1 - load["start"],
               "applied_rate": applied_rate, "due_rate": n1 / max(load["seconds"], 1e-3),
               "first_due": first_due1, "cpu_fire": cpu_fire1,
               "background": bg.window(first_due1, t_all1),
               **firing_stats(samples, 0, n1, t_all1, first_due1),
               **histogram_stats([b - a for a, b in zip(cum0, cum1)], sum1 - sum0)}
        lat = {"n": n2, "within": within2, "paced": paced, "due_rate": paced["rate"],
               "due_peak_1s": paced["peak_1s"], "first_due": first_due2, "cpu_fire": cpu_fire2,
               "drained_before_s": first_due2 - t_all1,
               "background": bg.window(first_due2, t_all2),
               **firing_stats(samples, n1, n, t_all2, first_due2),
               **histogram_stats([b - a for a, b in zip(cum1, cum2)], sum2 - sum1)}
        if self.args.sink == "nginx":
            before2 = [s for t, s in samples if t <= first_due2]
            if before2:
                cap["delivered_by_latency_phase"] = before2[-1].get(
                    "hookd_deliveries_succeeded_total", 0)
                if cap["delivered_by_latency_phase"] < n1:
                    self.notes.append(
                        f"waiting: {n1 - cap['delivered_by_latency_phase']:,.0f} webhooks of the "
                        f"capacity phase were still undelivered when the latency phase began")
        out.update({"capacity": cap, "latency": lat,
                    "bg_applied": m_all2.get("hookd_journey_activities_applied_total", 0) - n,
                    "webhooks": m_all2.get("hookd_journey_webhooks_total", 0),
                    "delivered_when_fired": m_all2.get("hookd_deliveries_succeeded_total", 0),
                    "rss_peak": st.get("VmHWM", 0), "rss_sampled_max": h.rss_max_sampled})
        for name, r in (("capacity", cap), ("latency", lat)):
            log(f"{name}: {r['n']:,} fired in {r['fire_seconds']:.2f} s: {r['fire_rate']:,.0f}/s "
                f"(busiest second {r['fire_peak_1s']:,.0f}/s; deadlines fell due at "
                f"{r['due_rate']:,.0f}/s); lateness p50 {r['lateness_p50_text']}, p99 "
                f"{r['lateness_p99_text']}; background {r['background']['rate']:,.0f}/s; first "
                f"firing {r['first_fire_vs_due']:+.2f} s from the first deadline")
        log(f"latency phase: CPU {cpu_text(cpu_fire2)}; VmHWM {st.get('VmHWM', 0) / 2**20:.0f} MB")
        cap.update(self.sample_runs(h, app, jid1, 0, n1, within1_s, "capacity"))
        lat.update(self.sample_runs(h, app, jid2, n1, n, within2_s, "latency"))
        if self.args.sink == "nginx":
            try:
                t_del, m_del = h.wait_for("waiting: every webhook delivered", lambda m: m.get(
                    "hookd_deliveries_succeeded_total", 0) >= n, timeout=60 if n > 100_000 else 20)
                out["delivered_after_fired_s"] = t_del - t_all2
            except BenchError as e:
                self.notes.append(str(e))
            out["rss_peak"] = h.status().get("VmHWM", 0)
        return out


def firing_stats(samples: list, lo: float, hi: float, t_end: float, first_due: float) -> dict:
    """Timer firings lo..hi (hookd_journey_timers_fired_total) from the sampled metrics: from the
    last sample at or below lo before the first one above it, to t_end; and the busiest window
    of at least 1 s."""
    fired = [(t, s.get("hookd_journey_timers_fired_total", 0)) for t, s in samples]
    firing = [(t, v) for t, v in fired if v > lo]
    t_first = firing[0][0] if firing else t_end
    t_first_lo = max([t for t, v in fired if v <= lo and t < t_first] or [t_first])
    secs = max(t_end - t_first_lo, 1e-3)
    peak = 0.0
    for i, (t, v) in enumerate(firing):
        j = i
        while j < len(firing) and firing[j][0] - t < 1.0:
            j += 1
        if j < len(firing):
            peak = max(peak, (firing[j][1] - v) / (firing[j][0] - t))
    return {"fire_seconds": secs, "fire_rate": (hi - lo) / secs, "fire_peak_1s": peak,
            "first_fire_vs_due": t_first_lo - first_due}


def histogram_stats(cum: list[float], total_sum: float) -> dict:
    """p50 / p90 / p99 and mean of a cumulative hookd_journey_timer_lateness_seconds delta."""
    return {"lateness_p50": bucket_quantile(cum, 0.5)[0],
            "lateness_p90": bucket_quantile(cum, 0.9)[0],
            "lateness_p99": bucket_quantile(cum, 0.99)[0],
            "lateness_p50_text": bucket_quantile(cum, 0.5)[1],
            "lateness_p99_text": bucket_quantile(cum, 0.99)[1],
            "lateness_count": cum[-1], "lateness_mean": total_sum / max(cum[-1], 1),
            "lateness_buckets": dict(zip([f"{b:g}" for b in LATENESS_BOUNDS] + ["+Inf"], cum))}


def rfc3339(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def parse_duration(text: str) -> float:
    for suffix, mult in (("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)):
        if text.endswith(suffix) and text[:-len(suffix)].isdigit():
            return int(text[:-len(suffix)]) * mult
    if text.isdigit():
        return int(text) / 1000
    raise ValueError(f"not a duration: {text}")


def report(b: Bench, res: dict, load_start: float) -> None:
    mode = "quick" if b.args.quick else "full"
    ing = res["ingest"]
    ceiling = sum(r["rate"] for r in ing) / len(ing) if ing else float("nan")
    mb = 2 ** 20
    lines = []
    lines.append(f"\nhookd journeys benchmark, {mode} mode, {time.strftime('%Y-%m-%d %H:%MZ', time.gmtime())}, "
                 f"{os.cpu_count()} cores, load average (1 min) {load_start:.2f} at the start and "
                 f"{os.getloadavg()[0]:.2f} at the end; wrk -t{WRK_THREADS}, requests formatted "
                 f"before the first one, fixed counts")
    lines.append("")
    lines.append("| scenario | figure | ceiling | ratio | target |")
    lines.append("|---|---|---|---|---|")
    ing_txt = "; ".join(f"{fmt(r['rate'])} msg/s (p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms)"
                        for r in ing)
    lines.append(f"| ceiling: message ingest, POST /msg (1 KB payload), role api, 1 endpoint at "
                 f"nginx, {fmt(b.mode['messages'])} messages, wrk -c{CONNS}; before / after the "
                 f"journeys | {ing_txt} | — | — | — |")
    j = res.get("journeys")
    if j:
        for key, what in (("single", "single POST /activity"),
                          ("batched", "POST /activity/batch, 100 per request")):
            r = j[key]
            lines.append(
                f"| activities with 100 live journeys, {fmt(j['contacts'])} contacts: {what}, "
                f"{fmt(r['activities'])} activities, wrk -c{CONNS} | accepted {fmt(r['accepted_rate'])}/s "
                f"(p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms per request); processed "
                f"{fmt(r['processed_rate'])}/s (all applied {r['processed_seconds']:.1f} s after the "
                f"first POST, {r['drain_after_s']:.1f} s after the last"
                + (f", the backlog of {fmt(r['backlog_at_end'])} left then drained at "
                   f"{fmt(r['drain_rate'])}/s" if r["drain_rate"] else "")
                + f"; {fmt(r['webhooks'])} webhooks) | ingest {fmt(ceiling)} msg/s (mean) | accepted "
                f"{r['accepted_rate'] / ceiling:.2f}, processed {r['processed_rate'] / ceiling:.2f} "
                f"| processed >= 0.5 |")
    w = res.get("waiting")
    if w:
        n, cap, lat = w["n"], w.get("capacity"), w.get("latency")
        sink = ("webhook to an endpoint at nginx (every firing also delivered)"
                if w["sink"] == "nginx" else "webhook to an event type with no endpoint "
                "(message committed, nothing delivered)")
        lines.append(
            f"| {fmt(n)} waiting contacts, two journeys (trigger -> waitFor -> {sink}): "
            f"{fmt(cap['n'])} loaded by /activity/batch, 1,000 per request, wrk -c16, then "
            f"{fmt(lat['n'])} paced at {fmt(b.args.due_rate)}/s ({lat['paced']['batch']} per "
            f"request) | peak RSS {w['hwm_waiting'] / mb:,.0f} MB (VmHWM) once all waiting, "
            f"{w['rss_peak'] / mb:,.0f} MB at the end (after firing"
            f"{' and delivering' if w['sink'] == 'nginx' else ''}); first half loaded at "
            f"{fmt(cap['load']['rate'] * 1000)}/s, applied at {fmt(cap['applied_rate'])}/s "
            f"| — | — | <= 300 MB |")

        def bg_text(r: dict) -> str:
            g = r["background"]
            return (f"background {fmt(g['rate'])} activities/s posted meanwhile (POST p50 "
                    f"{g['p50_ms']:.1f} ms, p99 {g['p99_ms']:.1f} ms)")

        def late_text(r: dict) -> str:
            return (f"histogram: p50 {r['lateness_p50_text']}, p99 {r['lateness_p99_text']} "
                    f"(mean {r['lateness_mean']:.2f} s); {fmt(r['sampled_runs'])} sampled runs: "
                    f"p50 {r['sampled_p50']:.2f} s, p99 {r['sampled_p99']:.2f} s, max "
                    f"{r['sampled_max']:.2f} s")
        lines.append(
            f"| capacity: timer firings of {fmt(cap['n'])} runs (within {cap['within']}) whose "
            f"deadlines fell due at once ({fmt(cap['due_rate'])}/s, as fast as they were "
            f"loaded, far above any firing rate) | {fmt(cap['fire_rate'])} firings/s over "
            f"{cap['fire_seconds']:.1f} s (busiest second {fmt(cap['fire_peak_1s'])}/s); "
            f"{bg_text(cap)} | — | — | >= 20,000/s |")
        lines.append(
            f"| capacity phase, deadline to firing: the queue behind deadlines due faster than "
            f"any firing rate, not a latency (hookd_journey_timer_lateness_seconds; sampled runs: "
            f"path time at the webhook - deadline) | {late_text(cap)} | — | — | — |")
        lines.append(
            f"| latency: timer firings of the other {fmt(lat['n'])} runs (within {lat['within']}), "
            f"deadlines falling due at a steady {fmt(lat['due_rate'])}/s (busiest second "
            f"{fmt(lat['due_peak_1s'])}) from {lat['drained_before_s']:.1f} s after the capacity "
            f"phase drained | {fmt(lat['fire_rate'])} firings/s over {lat['fire_seconds']:.1f} s "
            f"(busiest second {fmt(lat['fire_peak_1s'])}/s) | — | — | — |")
        lines.append(
            f"| latency: lateness of those firings (deadline to commit: "
            f"hookd_journey_timer_lateness_seconds, interpolated in its buckets; and runs sampled "
            f"at random: the time their path reached the webhook - the deadline) | "
            f"{late_text(lat)}; {bg_text(lat)} | — | — | p99 <= 1 s |")
    print("\n".join(lines))
    if j:
        peaks = ", ".join(f"{r['rss_peak'] / mb:.0f}" for r in ing)
        kinds = ", ".join(f"{k}: {v['entered']:,}/{v['waiting']:,}/{v['webhooks']:,}"
                          for k, v in sorted(j["by_kind"].items()))
        print(f"\nhookd peak RSS: ingest {peaks} MB; 100 journeys {j['rss_peak'] / mb:.0f} MB; "
              f"journeys by kind (entered / waiting / webhooks): {kinds}")
    print("\nCPU while measuring (hookd's threads summed by name, % of one core; the machine: % "
          f"of all {os.cpu_count()} cores, every process):")
    for r in ing:
        print(f"- message ingest: {cpu_text(r['cpu'])}")
    if j:
        print(f"- activities single, until all applied: {cpu_text(j['single']['cpu'])}")
        print(f"- activities batched, until all applied: {cpu_text(j['batched']['cpu'])}")
    if w:
        print(f"- waiting contacts, first half loaded until applied: {cpu_text(w['cpu_load'])}")
        print(f"- waiting contacts, second half paced until applied: {cpu_text(w['cpu_paced'])}")
        print(f"- waiting contacts, capacity phase firing: "
              f"{cpu_text(w['capacity']['cpu_fire'])}")
        print(f"- waiting contacts, latency phase firing: {cpu_text(w['latency']['cpu_fire'])}")
    if b.notes:
        print("\nNotes:")
        for note in b.notes:
            print(f"- {note}")
    print("\nRaw figures (JSON):")
    print(json.dumps(res, indent=1, sort_keys=True, default=str))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--bin", default=str(ROOT / "build-rel/hookd"))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--sink", choices=["nginx", "none"], default="nginx")
    parser.add_argument("--within", default="")
    parser.add_argument("--background", type=int, default=BACKGROUND_RATE,
                        help="activities/s posted while the runs fire (default 1000)")
    parser.add_argument("--due-rate", type=int, default=DUE_RATE,
                        help="deadlines/s of the latency phase (default 10000)")
    parser.add_argument("--only", default="", help=argparse.SUPPRESS)  # ingest,journeys,waiting
    args = parser.parse_args()
    mode = MODES["quick" if args.quick else "full"]
    if args.within:
        parse_duration(args.within)
    if args.due_rate <= 0:
        parser.error("--due-rate must be positive")
    if not os.access(args.bin, os.X_OK):
        log(f"no hookd binary at {args.bin} (build Release into build-rel/, or pass --bin)")
        return 2
    tools = {}
    for tool in ("wrk", "nginx"):
        tools[tool] = shutil.which(tool) or (f"/usr/sbin/{tool}" if os.access(
            f"/usr/sbin/{tool}", os.X_OK) else None)
        if not tools[tool]:
            log(f"{tool} is needed (apt-get install {tool if tool == 'wrk' else 'nginx-light'})")
            return 2
    limit = int(os.environ.get("BENCH_TIME_LIMIT", mode["limit"]))

    def on_signal(signum, frame):
        if signum == signal.SIGALRM:
            raise TimeLimit(f"time limit of {limit} s reached")
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)  # also when started with SIGINT ignored (a `&` job)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(limit)
    load_start = os.getloadavg()[0]
    bench = Bench(args, mode)
    bench.wrk_bin, bench.nginx_bin = tools["wrk"], tools["nginx"]
    only = set(args.only.split(",")) if args.only else {"ingest", "journeys", "waiting"}
    res: dict = {"ingest": []}
    rc = 0
    t0 = time.monotonic()
    log(f"{'quick' if args.quick else 'full'} mode, binary {args.bin}, temp dir {bench.tmp}")
    try:
        bench.start_nginx()
        if "ingest" in only:
            res["ingest"].append(bench.ingest("ingest-1"))
        if "journeys" in only:
            res["journeys"] = bench.journeys()
        if "ingest" in only:
            res["ingest"].append(bench.ingest("ingest-2"))
        if "waiting" in only:
            res["waiting"] = bench.waiting()
    except (BenchError, TimeLimit, KeyboardInterrupt) as e:
        log(f"stopped: {e}")
        bench.notes.append(f"the run stopped early: {e}")
        rc = 1
    finally:
        signal.alarm(0)
        bench.cleanup()
    log(f"done in {time.monotonic() - t0:.0f} s")
    res["notes"] = bench.notes
    report(bench, res, load_start)
    return rc


if __name__ == "__main__":
    sys.exit(main())
