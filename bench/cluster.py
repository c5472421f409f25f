#!/usr/bin/env python3
"""Cluster benchmark: end-to-end messages/s of one, two and three hookd nodes on one PostgreSQL
database, beside one node on SQLite and beside PostgreSQL's own ceiling for hookd's statements
(pgbench), all measured in the same run on this machine.

    bench/cluster.py [--bin PATH] [--messages N] [--keep]

Everything runs on 127.0.0.1 and is stopped on exit; every step is bounded in time.
  1. nginx `return 200` on a free port: the receiver of every delivery.
  2. PostgreSQL 15 (scripts/postgres.sh) in a temporary directory on a free port.
  3. pgbench ceiling: 64 clients, each transaction what one message costs hookd end to end
     (insert the message and its delivery, insert the attempt, mark the delivery sent), with
     synchronous_commit=on. Figure: transactions/s = messages/s if every message had its own
     transaction (hookd's group commit shares transactions, so it may pass this).
  4. For SQLite (one node) and for PostgreSQL with 1, 2 and 3 nodes (a fresh database each):
     one application with 6 endpoints at nginx, each subscribed to its own event type (so that
     the endpoints spread over the nodes that own them); N messages posted by 6 libcurl loops
     (bench/curl_ceiling.c, 64 requests in flight in all), loop k posting event type k to node
     k mod nodes. Figure: N / seconds from the first POST until the nodes' summed
     hookd_deliveries_succeeded_total reaches N.
  5. Then, on the same nodes, messages paced at half that rate for 10 s to a second application
     whose six endpoints nginx logs: the time from the start of each POST to nginx's receipt
     of its delivery (joined on webhook-id), p50 and p99; and the claims the nodes made
     meanwhile (hookd_claim_duration_seconds: count, and the bucket bounds of p50 and p99).
The table at the end is Markdown for docs/benchmarks.md. Every process shares the machine's
cores: the figures bound how the parts interact here, not what separate hosts would reach.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = 6
CONNS = 64
TOKEN = "bench-cluster-token-0123456789"
LATENCY_S = 10
CLAIM_BOUNDS = ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                "0.5", "1", "2.5"]  # hookd_claim_duration_seconds's buckets


def log(msg: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        text = r.read().decode()
        return json.loads(text) if text.startswith("{") else text


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q / 100 * (len(values) - 1) + 0.5))] if values else 0.0


def bucket_pct(cumulative: list[int], q: float) -> str:
    """The bound of the bucket holding the q-th percentile of a cumulative histogram."""
    if not cumulative[-1]:
        return "-"
    for bound, count in zip(CLAIM_BOUNDS + ["+Inf"], cumulative):
        if count >= q / 100 * cumulative[-1]:
            return f"<= {float(bound) * 1e3:g} ms" if bound != "+Inf" else "> 2.5 s"
    return "> 2.5 s"


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="hookd-cluster-"))
        os.chmod(self.tmp, 0o755)
        self.procs: list[subprocess.Popen] = []
        self.pg_dir = self.tmp / "pg"
        self.pg_port = free_port()
        self.pg_started = False

    # ---- processes
    def spawn(self, cmd, env=None, log_name="proc"):
        out = open(self.tmp / f"{log_name}.log", "ab")
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def stop(self, p: subprocess.Popen) -> None:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

    def cleanup(self) -> None:
        for p in reversed(self.procs):
            self.stop(p)
        if self.pg_started:
            subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop", str(self.pg_dir)],
                           capture_output=True, timeout=60)
        if self.args.keep:
            log(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- receiver, tools, database
    def start_nginx(self) -> None:
        self.nginx_port = free_port()
        conf = self.tmp / "nginx.conf"
        conf.write_text(f"""daemon off; worker_processes 1; pid {self.tmp}/nginx.pid;
error_log {self.tmp}/nginx-error.log; events {{ worker_connections 4096; }}
http {{ access_log off; client_body_temp_path {self.tmp}/nginx-body;
  log_format receipt '$msec $http_webhook_id';
  server {{ listen 127.0.0.1:{self.nginx_port} backlog=4096; keepalive_requests 1000000;
    location / {{ return 200; }}
    location /latency/ {{ access_log {self.tmp}/receipts.log receipt; return 200; }} }} }}
""")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.spawn([nginx, "-c", str(conf), "-p", str(self.tmp)], log_name="nginx")
        self.wait_port(self.nginx_port)

    def build_curl(self) -> None:
        self.curl = self.tmp / "curl_ceiling"
        subprocess.run(["cc", "-O2", str(ROOT / "bench/curl_ceiling.c"), "-lcurl", "-o",
                        str(self.curl)], check=True, timeout=120)

    def start_postgres(self) -> None:
        subprocess.run([str(ROOT / "scripts/postgres.sh"), "start", str(self.pg_dir),
                        str(self.pg_port)], check=True, capture_output=True, timeout=120)
        self.pg_started = True
        self.pg_url = f"postgres://postgres@127.0.0.1:{self.pg_port}"

    def create_db(self, name: str) -> str:
        subprocess.run(["psql", "-q", f"{self.pg_url}/postgres", "-c", f"CREATE DATABASE {name}"],
                       check=True, capture_output=True, timeout=60)
        return f"{self.pg_url}/{name}"

    @staticmethod
    def wait_port(port: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"nothing listens on port {port}")

    # ---- hookd
    def start_node(self, name: str, db_url: str | None) -> str:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKD_")}
        env.update({"HOOKD_LISTEN": f"127.0.0.1:{port}", "HOOKD_DATA_DIR": str(self.tmp / name),
                    "HOOKD_ADMIN_TOKEN": TOKEN, "HOOKD_SSRF_ALLOW": "127.0.0.0/8",
                    "HOOKD_NODE_ID": name, "HOOKD_LOG_LEVEL": "warn"})
        if db_url:
            env["HOOKD_DATABASE_URL"] = db_url
        self.spawn([self.args.bin, "serve"], env=env, log_name=name)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=2)
                return base
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def setup_app(self, bases: list[str], path: str = "") -> str:
        app = http("POST", bases[0] + "/api/v1/app", {"name": "bench" + path})["id"]
        for k in range(ENDPOINTS):
            if not path:
                http("POST", bases[0] + "/api/v1/event-type", {"name": f"bench.t{k}",
                                                              "description": "bench"})
            http("POST", bases[0] + f"/api/v1/app/{app}/endpoint",
                 {"url": f"http://127.0.0.1:{self.nginx_port}{path}/e{k}",
                  "filterTypes": [f"bench.t{k}"]})
        for base in bases[1:]:  # every node routes to all six before the load starts
            deadline = time.monotonic() + 10
            while len(http("GET", base + f"/api/v1/app/{app}/endpoint")["data"]) < ENDPOINTS:
                if time.monotonic() > deadline:
                    raise RuntimeError("the endpoints did not reach every node")
                time.sleep(0.05)
        return app

    def delivered(self, bases: list[str]) -> int:
        total = 0
        for base in bases:
            for line in http("GET", base + "/metrics").splitlines():
                if line.startswith("hookd_deliveries_succeeded_total "):
                    total += int(float(line.split()[1]))
        return total

    def post(self, label: str, bases: list[str], app: str, per: int, rate: float = 0,
             record: str = "") -> list[subprocess.Popen]:
        """Six libcurl loops, loop k posting `per` messages of event type k to node k mod nodes
        (paced at `rate` msg/s in all when given, recording each POST's start when asked)."""
        loaders = []
        for k in range(ENDPOINTS):
            body = self.tmp / f"body{k}.json"
            body.write_text(json.dumps({"eventType": f"bench.t{k}", "payload": {"x": "y" * 1000}}))
            cmd = [str(self.curl), "-n", str(per), "-c", str(CONNS // ENDPOINTS), "-b", str(body),
                   "-s", "202", "-H", f"Authorization: Bearer {TOKEN}"]
            if rate:
                cmd += ["-r", f"{rate / ENDPOINTS:.1f}"]
            if record:
                cmd += ["-o", str(self.tmp / f"{record}{k}.txt")]
            loaders.append(self.spawn(cmd + [bases[k % len(bases)] + f"/api/v1/app/{app}/msg"],
                                      log_name=f"{label}-post{k}"))
        return loaders

    def wait_delivered(self, label: str, bases: list[str], want: int) -> None:
        deadline = time.monotonic() + 300
        got = 0
        while time.monotonic() < deadline:
            got = self.delivered(bases)
            if got >= want:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{label}: {got} of {want} delivered within the window")

    def end_to_end(self, label: str, nodes: int, db: str | None) -> dict:
        names = [f"{label}-{i}" for i in range(nodes)]
        bases = [self.start_node(n, db) for n in names]
        app = self.setup_app(bases)
        per = self.args.messages // ENDPOINTS
        want = per * ENDPOINTS
        t0 = time.monotonic()
        for p in self.post(label, bases, app, per):
            p.wait(300)
        self.wait_delivered(label, bases, want)
        seconds = time.monotonic() - t0
        rate = want / seconds
        log(f"{label}: {want} messages end to end in {seconds:.1f} s: {rate:,.0f} msg/s")
        row = {"rate": rate, **self.half_load(label, bases, rate, want)}
        for p in self.procs[-(nodes + 2 * ENDPOINTS):]:
            self.stop(p)
        return row

    def half_load(self, label: str, bases: list[str], rate: float, before: int) -> dict:
        """Messages paced at half the measured rate for LATENCY_S seconds to a second app whose
        endpoints nginx logs: POST start -> nginx receipt, joined on the message id; and the
        claims the nodes made meanwhile."""
        app = self.setup_app(bases, "/latency")
        per = max(int(rate / 2 * LATENCY_S / ENDPOINTS), 10)
        claims_before = self.claim_buckets(bases)
        receipts = self.tmp / "receipts.log"
        receipts.write_text("")
        for p in self.post(label + "-lat", bases, app, per, rate / 2, "sent-" + label):
            p.wait(LATENCY_S * 3 + 60)
        self.wait_delivered(label, bases, before + per * ENDPOINTS)
        time.sleep(0.3)
        sent = {}
        for k in range(ENDPOINTS):
            for line in (self.tmp / f"sent-{label}{k}.txt").read_text().splitlines():
                t, _, mid = line.partition(" ")
                sent[mid] = float(t)
        seen: dict[str, float] = {}
        for line in receipts.read_text().splitlines():
            t, _, mid = line.partition(" ")
            if mid in sent:
                seen[mid] = min(seen.get(mid, float("inf")), float(t))
        lat = sorted(seen[m] - sent[m] for m in seen)
        if len(lat) < len(sent):
            raise RuntimeError(f"{label}: nginx logged {len(lat)} of {len(sent)} messages")
        claims = [a - b for a, b in zip(self.claim_buckets(bases), claims_before)]
        out = {"half": rate / 2, "p50": pct(lat, 50) * 1e3, "p99": pct(lat, 99) * 1e3,
               "claims": claims[-1], "claim_p50": bucket_pct(claims, 50),
               "claim_p99": bucket_pct(claims, 99)}
        log(f"{label} at {rate / 2:,.0f} msg/s: POST to receipt p50 {out['p50']:.1f} ms, "
            f"p99 {out['p99']:.1f} ms; {claims[-1]} claims, p99 {out['claim_p99']}")
        return out

    def claim_buckets(self, bases: list[str]) -> list[int]:
        """The nodes' summed hookd_claim_duration_seconds buckets, cumulative, +Inf last."""
        total = [0] * (len(CLAIM_BOUNDS) + 1)
        for base in bases:
            for line in http("GET", base + "/metrics").splitlines():
                if line.startswith("hookd_claim_duration_seconds_bucket{le="):
                    le = line.split('"')[1]
                    i = len(CLAIM_BOUNDS) if le == "+Inf" else CLAIM_BOUNDS.index(le)
                    total[i] += int(float(line.split()[1]))
        return total

    def pgbench(self) -> float:
        db = self.create_db("bench_pgbench")
        self.start_node("schema", db)  # hookd creates its schema
        self.stop(self.procs[-1])
        script = self.tmp / "message.sql"
        script.write_text(r"""\set n random(1, 9000000000000)
BEGIN;
INSERT INTO messages (id, app_id, event_type, payload, created_at) VALUES ('msg_' || :client_id || '_' || :n, 'app', 'bench.t0', convert_to(repeat('x', 1000), 'UTF8'), 1);
INSERT INTO deliveries (msg_id, endpoint_id, app_id, status, attempts, next_attempt_at, updated_at, owner, claim) VALUES ('msg_' || :client_id || '_' || :n, 'ep', 'app', 1, 0, 1, 1, 'n', 1);
INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, status_code, response, duration_ms, trigger_type, error_class, created_at) VALUES ('atmpt_' || :client_id || '_' || :n, 'msg_' || :client_id || '_' || :n, 'ep', 'app', 'http://127.0.0.1/', 0, 200, '', 1, 0, '', 2);
UPDATE deliveries SET status = 0, attempts = 1, updated_at = 2, owner = NULL, claim = 0 WHERE msg_id = 'msg_' || :client_id || '_' || :n AND endpoint_id = 'ep' AND claim = 1;
COMMIT;
""")
        r = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", str(CONNS), "-j", "2", "-T",
                            str(self.args.pgbench_seconds), "-f", str(script), db],
                           capture_output=True, text=True, timeout=120)
        tps = [line for line in r.stdout.splitlines() if line.startswith("tps")]
        if r.returncode != 0 or not tps:
            raise RuntimeError(f"pgbench failed: {r.stderr}")
        value = float(tps[0].split("=")[1].split()[0])
        log(f"pgbench ceiling: {value:,.0f} message transactions/s")
        return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=str(ROOT / "build-rel/hookd"))
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--pgbench-seconds", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if not os.access(args.bin, os.X_OK):
        log(f"no hookd binary at {args.bin} (build Release into build-rel/, or pass --bin)")
        return 2
    bench = Bench(args)
    try:
        bench.start_nginx()
        bench.build_curl()
        bench.start_postgres()
        rows = {"SQLite, 1 node": bench.end_to_end("sqlite", 1, None)}
        ceiling = bench.pgbench()
        for nodes in (1, 2, 3):
            rows[f"PostgreSQL, {nodes} node{'s' if nodes > 1 else ''}"] = bench.end_to_end(
                f"pg{nodes}", nodes, bench.create_db(f"bench_{nodes}"))
    finally:
        bench.cleanup()
    sqlite = rows["SQLite, 1 node"]["rate"]
    print(f"\n| setup ({args.messages:,} messages, {ENDPOINTS} endpoints) | end to end msg/s | "
          f"ratio to SQLite, 1 node | ratio to pgbench | at half load: msg/s, POST to receipt "
          f"p50 / p99 | claims at half load: count, p50 / p99 |")
    print("|---|---|---|---|---|---|")
    for label, r in rows.items():
        claims = (f"{r['claims']:,}, {r['claim_p50']} / {r['claim_p99']}" if r["claims"]
                  else "none")
        print(f"| {label} | {r['rate']:,.0f} | {r['rate'] / sqlite:.2f} | "
              f"{r['rate'] / ceiling:.2f} | {r['half']:,.0f}: {r['p50']:.1f} / {r['p99']:.1f} ms "
              f"| {claims} |")
    print(f"| pgbench: hookd's statements for one message per transaction, {CONNS} clients | "
          f"{ceiling:,.0f} | | 1.00 | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
