#!/usr/bin/env python3
"""populate.py: create many hookd objects through the API, in parallel, for bench/run.sh.

    populate.py [-j THREADS] [-t SECONDS] [-f REQUESTS_FILE] BASE_URL TOKEN [< REQUESTS]

REQUESTS (the file, or standard input) is one request a line, "METHOD PATH JSON_BODY" (the body is the rest of the line).
A line "--" ends a phase: every request of a phase is answered before the next phase starts
(event types and applications before the endpoints that name them). Within a phase THREADS
workers (default 8), each with one kept-alive connection, send the requests in any order.
A request counts as done when hookd answers 201 (or 200 for POST ...?get_if_exists=true).

Prints one line:
    API requests=<answered> ok=<201/200> bad=<other status> errors=<transport errors>
        seconds=<s> rps=<answered/s> first_bad=<METHOD PATH: status body...>
Exit status 0 when every request was ok, 1 otherwise. The whole run stops after SECONDS
(default 600): what is left is counted as not done and reported.
"""
import http.client
import queue
import sys
import threading
import time
import urllib.parse


def main():
    args = sys.argv[1:]
    threads, limit, source = 8, 600.0, None
    while args and args[0].startswith("-"):
        if args[0] == "-j" and len(args) > 1:
            threads = int(args[1])
            args = args[2:]
        elif args[0] == "-t" and len(args) > 1:
            limit = float(args[1])
            args = args[2:]
        elif args[0] == "-f" and len(args) > 1:
            source = args[1]
            args = args[2:]
        else:
            sys.exit(__doc__)
    if len(args) != 2:
        sys.exit(__doc__)
    base, token = args
    u = urllib.parse.urlsplit(base)
    host, port = u.hostname, u.port or 80
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

    phases, cur = [], []
    lines = open(source) if source else sys.stdin
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.strip() == "--":
            if cur:
                phases.append(cur)
            cur = []
            continue
        method, path, body = (line.split(" ", 2) + [""])[:3]
        cur.append((method, path, body))
    if cur:
        phases.append(cur)
    total = sum(len(p) for p in phases)

    lock = threading.Lock()
    st = {"answered": 0, "ok": 0, "bad": 0, "errors": 0, "first_bad": None}
    start = time.monotonic()
    deadline = start + limit

    def record_bad(kind, what):
        with lock:
            st[kind] += 1
            if st["first_bad"] is None:
                st["first_bad"] = " ".join(what.split())[:300]

    def worker(q):
        conn = None
        while time.monotonic() < deadline:
            try:
                method, path, body = q.get_nowait()
            except queue.Empty:
                break
            for attempt in (1, 2):  # one reconnect when a kept-alive connection was closed
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(host, port, timeout=30)
                    conn.request(method, path, body=body.encode() if body else None,
                                 headers=headers)
                    r = conn.getresponse()
                    data = r.read()
                    with lock:
                        st["answered"] += 1
                    ok = r.status == 201 or (r.status == 200 and "get_if_exists" in path)
                    if ok:
                        with lock:
                            st["ok"] += 1
                    else:
                        record_bad("bad", f"{method} {path}: {r.status} "
                                   + data[:200].decode("utf-8", "replace"))
                    break
                except (OSError, http.client.HTTPException) as e:
                    if conn is not None:
                        conn.close()
                    conn = None
                    if attempt == 2:
                        record_bad("errors", f"{method} {path}: {type(e).__name__} {e}")
        if conn is not None:
            conn.close()

    for phase in phases:
        if time.monotonic() >= deadline:
            break
        q = queue.Queue()
        for item in phase:
            q.put(item)
        ws = [threading.Thread(target=worker, args=(q,), daemon=True)
              for _ in range(min(threads, len(phase)))]
        for w in ws:
            w.start()
        for w in ws:
            w.join(max(0.0, deadline - time.monotonic()) + 1)

    secs = max(time.monotonic() - start, 1e-9)
    if st["answered"] < total and st["first_bad"] is None:
        st["first_bad"] = f"time limit of {limit:.0f}s: {total - st['answered']} of {total} not sent"
    print(f"API requests={st['answered']} ok={st['ok']} bad={st['bad']} errors={st['errors']} "
          f"seconds={secs:.3f} rps={st['answered'] / secs:.1f} first_bad={st['first_bad'] or '-'}",
          flush=True)
    return 0 if st["ok"] == total else 1


if __name__ == "__main__":
    sys.exit(main())
