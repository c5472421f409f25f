"""Helpers for hookd's integration tests: the server process, an API client and a webhook receiver.

Only the Python standard library plus `requests` is used, so the suite runs with Debian's
python3-pytest and python3-requests (`/usr/bin/python3 -m pytest tests`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable

import requests

REPO = Path(__file__).resolve().parent.parent
TESTS_DIR = Path(__file__).resolve().parent
NODE_DIR = TESTS_DIR / "node"

# RFC 3339 UTC with milliseconds, as docs/api.md promises (`2026-11-25T13:19:07.123Z`).
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# Settings that make retries fast and deterministic and let deliveries reach loopback receivers.
DEFAULT_ENV = {
    "HOOKD_SSRF_ALLOW": "127.0.0.0/8",
    "HOOKD_RETRY_SCHEDULE": "200ms,200ms,200ms",
    "HOOKD_RETRY_JITTER": "0",
    "HOOKD_REQUEST_TIMEOUT_MS": "5000",
    "HOOKD_CONNECT_TIMEOUT_MS": "2000",
}


def wait_for_matching(cond: threading.Condition, matching: Callable[[], list], n: int,
                      timeout: float, failure: Callable[[list], str], poll: float = 0.2) -> list:
    """Holding `cond` (notified on every new item), waits until `matching()` returns at least
    `n` items and returns them; after `timeout` seconds raises AssertionError(failure(items))."""
    deadline = time.monotonic() + timeout
    with cond:
        while True:
            got = matching()
            if len(got) >= n:
                return got
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(failure(got))
            cond.wait(min(left, poll))


def hookd_binary() -> Path:
    return Path(os.environ.get("HOOKD_BIN", str(REPO / "build" / "hookd")))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.05,
               what: str = "condition") -> Any:
    """Polls `predicate` until it returns something truthy; returns that value or raises."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------------------------


# With HOOKD_TEST_POSTGRES set (a server's URL without a database, postgres://user@host:port),
# every server runs on the PostgreSQL store, in a database of its own named after its data dir
# (a server restarted on the same data dir finds its database again).
TEST_POSTGRES = os.environ.get("HOOKD_TEST_POSTGRES", "").rstrip("/")


def postgres_database_for(data_dir: Path) -> str:
    """The URL of the test database of `data_dir`, created when missing."""
    name = "t_" + hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:20]
    r = subprocess.run(["psql", "-qAt", f"{TEST_POSTGRES}/postgres", "-c",
                        f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"psql: {r.stderr}"
    if r.stdout.strip() != "1":
        r = subprocess.run(["psql", "-q", f"{TEST_POSTGRES}/postgres", "-c",
                            f"CREATE DATABASE {name}"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 or "already exists" in r.stderr, f"createdb: {r.stderr}"
    return f"{TEST_POSTGRES}/{name}"


class HookdServer:
    """One `hookd serve` process on 127.0.0.1 with its own data dir and log file."""

    def __init__(self, data_dir: Path, env: dict[str, str | None] | None = None,
                 args: Iterable[str] = (), token: str | None = "default",
                 port: int | None = None, log_path: Path | None = None):
        self.binary = hookd_binary()
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.args = list(args)
        self.log_path = log_path or (self.data_dir.parent / f"hookd-{self.port}.log")
        if token == "default":
            token = "test-" + secrets.token_hex(16)
        self.token = token  # None: let hookd generate one (read from <data dir>/admin_token)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKD_")}
        self.env.update(DEFAULT_ENV)
        self.env["HOOKD_LISTEN"] = f"127.0.0.1:{self.port}"
        self.env["HOOKD_DATA_DIR"] = str(self.data_dir)
        if token is not None:
            self.env["HOOKD_ADMIN_TOKEN"] = token
        if TEST_POSTGRES and "HOOKD_DATABASE_URL" not in (env or {}):
            self.env["HOOKD_DATABASE_URL"] = postgres_database_for(self.data_dir)
        for k, v in (env or {}).items():
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = v
        self.proc: subprocess.Popen | None = None
        self._log_file = None
        self.expected_exit = False  # set once the test itself stops or kills the process

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 20.0) -> "HookdServer":
        if not self.binary.exists():
            raise AssertionError(f"hookd binary not found at {self.binary} (set HOOKD_BIN)")
        self._log_file = open(self.log_path, "ab")
        self._log_file.write(f"\n=== start {time.strftime('%H:%M:%S')} port {self.port}\n".encode())
        self._log_file.flush()
        self.proc = subprocess.Popen([str(self.binary), "serve", *self.args], env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, cwd=str(self.data_dir))
        self.wait_ready(ready_timeout)
        if self.token is None:
            token_file = self.data_dir / "admin_token"
            wait_until(token_file.exists, 5, what=f"{token_file} to exist")
            self.token = token_file.read_text().strip()
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.expected_exit = True  # reported here; not again at teardown
                raise AssertionError(f"hookd exited with {self.proc.returncode} before becoming "
                                     f"ready; log:\n{self.log_tail()}")
            try:
                r = requests.get(self.base_url + "/health", timeout=1)
                last = r.status_code
                if r.status_code == 204:
                    return
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.05)
        raise AssertionError(f"hookd not ready after {timeout}s (last /health: {last}); log:\n"
                             f"{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit code."""
        if self.proc is None:
            return None
        self.expected_exit = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close_log()
        return self.proc.returncode

    def kill9(self) -> None:
        self.expected_exit = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def api(self, token: str | None = None) -> "Api":
        return Api(self.base_url, token if token is not None else self.token)


# --------------------------------------------------------------------------------------------
# The API client
# --------------------------------------------------------------------------------------------

_UNSET = object()


class Api:
    """A thin `requests` wrapper that adds the bearer token and a few checked shortcuts."""

    def __init__(self, base_url: str, token: str | None):
        self.base_url = base_url
        self.token = token
        self.session = requests.Session()

    def request(self, method: str, path: str, *, json_body: Any = _UNSET, data: Any = None,
                params: dict | None = None, headers: dict | None = None, auth: bool = True,
                timeout: float = 15) -> requests.Response:
        h = {}
        if auth and self.token is not None:
            h["Authorization"] = f"Bearer {self.token}"
        if json_body is not _UNSET:
            data = json.dumps(json_body).encode()
            h["Content-Type"] = "application/json"
        elif data is not None and isinstance(data, (str, bytes)):
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        return self.session.request(method, self.base_url + path, data=data, params=params,
                                    headers=h, timeout=timeout)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body: Any = _UNSET, **kw):
        return self.request("POST", path, json_body=body, **kw)

    def put(self, path, body: Any = _UNSET, **kw):
        return self.request("PUT", path, json_body=body, **kw)

    def patch(self, path, body: Any = _UNSET, **kw):
        return self.request("PATCH", path, json_body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # ---- checked shortcuts -----------------------------------------------------------------

    def create_app(self, name: str | None = None, **fields) -> dict:
        body = {"name": name or f"app-{secrets.token_hex(4)}", **fields}
        r = self.post("/api/v1/app", body)
        assert r.status_code == 201, f"create app: {r.status_code} {r.text}"
        return r.json()

    def create_event_type(self, name: str | None = None, **fields) -> dict:
        body = {"name": name or f"evt.{secrets.token_hex(4)}", "description": "a test event",
                **fields}
        r = self.post("/api/v1/event-type", body)
        assert r.status_code == 201, f"create event type: {r.status_code} {r.text}"
        return r.json()

    def create_endpoint(self, app_id: str, url: str, **fields) -> dict:
        r = self.post(f"/api/v1/app/{app_id}/endpoint", {"url": url, **fields})
        assert r.status_code == 201, f"create endpoint: {r.status_code} {r.text}"
        return r.json()

    def endpoint_secret(self, app_id: str, ep_id: str) -> str:
        r = self.get(f"/api/v1/app/{app_id}/endpoint/{ep_id}/secret")
        assert r.status_code == 200, f"get secret: {r.status_code} {r.text}"
        return r.json()["key"]

    def send(self, app_id: str, event_type: str, payload: Any = None, **fields) -> dict:
        body = {"eventType": event_type, "payload": payload if payload is not None else {"k": 1},
                **fields}
        r = self.post(f"/api/v1/app/{app_id}/msg", body)
        assert r.status_code == 202, f"send message: {r.status_code} {r.text}"
        return r.json()

    def send_raw(self, app_id: str, raw_body: bytes | str) -> requests.Response:
        return self.request("POST", f"/api/v1/app/{app_id}/msg", data=raw_body)

    def list_all(self, path: str, params: dict | None = None, limit: int = 250) -> list[dict]:
        out: list[dict] = []
        p = dict(params or {})
        p["limit"] = limit
        for _ in range(1000):
            r = self.get(path, params=p)
            assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text}"
            body = r.json()
            out.extend(body["data"])
            if body["done"]:
                return out
            p["iterator"] = body["iterator"]
        raise AssertionError(f"pagination of {path} never finished")

    def attempts_by_msg(self, app_id: str, msg_id: str, **params) -> list[dict]:
        return self.list_all(f"/api/v1/app/{app_id}/attempt/msg/{msg_id}", params)

    def wait_attempts(self, app_id: str, msg_id: str, count: int, timeout: float = 10,
                      **params) -> list[dict]:
        def enough():
            atts = self.attempts_by_msg(app_id, msg_id, **params)
            return atts if len(atts) >= count else None
        return wait_until(enough, timeout, 0.1, f"{count} attempt(s) of {msg_id}")

    def msg_endpoints(self, app_id: str, msg_id: str) -> list[dict]:
        return self.list_all(f"/api/v1/app/{app_id}/msg/{msg_id}/endpoint")

    def delivery_status(self, app_id: str, msg_id: str, ep_id: str) -> int | None:
        for row in self.msg_endpoints(app_id, msg_id):
            if row.get("id") == ep_id:
                return row.get("status")
        return None


def assert_error(r: requests.Response, status: int, code: str | None = None,
                 field_name: str | None = None) -> dict:
    """An error response: the status, a JSON `{code, detail}` body, and `detail` naming the field."""
    assert r.status_code == status, (
        f"{r.request.method} {r.request.url}: expected {status}, got {r.status_code} {r.text[:500]}")
    try:
        body = r.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {r.text[:500]!r}")
    assert isinstance(body, dict), body
    assert isinstance(body.get("code"), str) and body["code"], f"no code in {body}"
    assert isinstance(body.get("detail"), str) and body["detail"], f"no detail in {body}"
    if code is not None:
        assert body["code"] == code, f"expected code {code!r}, got {body}"
    if field_name is not None:
        assert field_name in body["detail"], f"detail does not name {field_name!r}: {body}"
    return body


# --------------------------------------------------------------------------------------------
# Signatures (a Python re-implementation of Standard Webhooks)
# --------------------------------------------------------------------------------------------


def secret_bytes(secret: str) -> bytes:
    assert secret.startswith("whsec_"), secret
    return base64.b64decode(secret[len("whsec_"):], validate=True)


def sign(secret: str, msg_id: str, timestamp: str | int, body: bytes) -> str:
    mac = hmac.new(secret_bytes(secret), f"{msg_id}.{timestamp}.".encode() + body,
                   hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_entries(header: str) -> list[str]:
    return [e for e in header.split(" ") if e]


def verify_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    expected = sign(secret, headers["webhook-id"], headers["webhook-timestamp"], body)
    return any(hmac.compare_digest(e, expected)
               for e in signature_entries(headers["webhook-signature"]))


def node_verify(secret: str, headers: dict[str, str], body: bytes, tmp_dir: Path) -> subprocess.CompletedProcess:
    """Runs tests/node/verify.mjs (npm `standardwebhooks`) on one delivery."""
    f = Path(tmp_dir) / f"verify-{secrets.token_hex(4)}.json"
    f.write_text(json.dumps({
        "secret": secret,
        "headers": {k: headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")},
        "body_b64": base64.b64encode(body).decode(),
    }))
    return subprocess.run(["node", str(NODE_DIR / "verify.mjs"), str(f)], capture_output=True,
                          text=True, timeout=30)


# --------------------------------------------------------------------------------------------
# The webhook receiver
# --------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0  # seconds to wait before answering (a hang, cut short by close())


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    time: float  # time.monotonic() when the whole request had been read
    wall: float  # time.time() at the same moment


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hookd-test-receiver"

    def log_message(self, format, *args):  # quiet
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _handle(self):
        rcv: Receiver = self.server.receiver  # type: ignore[attr-defined]
        body = self._read_body()
        req = Received(self.command, self.path,
                       {k.lower(): v for k, v in self.headers.items()}, body,
                       time.monotonic(), time.time())
        reply = rcv._record(req)
        if reply.delay:
            rcv._closing.wait(reply.delay)
        try:
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # hookd being killed or timing out mid-request is expected in these tests
        import sys
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class Receiver:
    """A real HTTP server on 127.0.0.1 that records every request and answers from a script.

    `script` is consumed one entry per request (an int status or a Reply); when it is empty,
    `default` answers.
    """

    def __init__(self, default: Reply | int = 200):
        self.requests: list[Received] = []
        self.default = default if isinstance(default, Reply) else Reply(default)
        self._script: list[Reply] = []
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, *replies: Reply | int) -> None:
        with self._cond:
            self._script = [r if isinstance(r, Reply) else Reply(r) for r in replies]

    def _record(self, req: Received) -> Reply:
        with self._cond:
            self.requests.append(req)
            reply = self._script.pop(0) if self._script else self.default
            self._cond.notify_all()
            return reply

    def snapshot(self) -> list[Received]:
        with self._cond:
            return list(self.requests)

    def count(self) -> int:
        with self._cond:
            return len(self.requests)

    def wait_for(self, n: int, timeout: float = 10.0,
                 where: Callable[[Received], bool] | None = None) -> list[Received]:
        """Waits until at least `n` recorded requests match `where`; returns the matching ones."""
        return wait_for_matching(
            self._cond, lambda: [r for r in self.requests if where is None or where(r)], n,
            timeout, lambda got: f"receiver :{self.port} got {len(got)} matching request(s) of "
                                 f"{n} expected within {timeout}s ({len(self.requests)} in all)",
            poll=0.5)

    def by_webhook_id(self, msg_id: str) -> list[Received]:
        return [r for r in self.snapshot() if r.headers.get("webhook-id") == msg_id]

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def metric_value(metrics_text: str, name: str) -> float | None:
    """Sum of all samples of `name` (any labels) in Prometheus text, None when absent."""
    total = None
    for line in metrics_text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if m and m.group(1) == name:
            total = (total or 0.0) + float(m.group(3))
    return total


# --------------------------------------------------------------------------------------------
# Server-Sent Events (the live tail)
# --------------------------------------------------------------------------------------------


class EventStreamReader:
    """A text/event-stream GET on a socket of its own, read on a thread of its own: `status` and
    `headers` (lower-case names) of the answer; `events` gets one (event, data) pair per event,
    `comments` each comment line. close() shuts the socket, which ends the stream."""

    def __init__(self, base_url: str, path: str, headers: dict[str, str] | None = None):
        host, port = base_url.split("://", 1)[1].rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.file = self.sock.makefile("rb")
        status_line = self.file.readline().decode()
        self.status = int(status_line.split(" ")[1])
        self.headers: dict[str, str] = {}
        while (line := self.file.readline().decode().rstrip("\r\n")) != "":
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.sock.settimeout(None)
        self.events: "queue.Queue[tuple[str, str]]" = queue.Queue()
        self.comments: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event, data = "message", []
        try:
            for raw in self.file:
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if data:
                        self.events.put((event, "\n".join(data)))
                    event, data = "message", []
                elif line.startswith(":"):
                    self.comments.append(line[1:].strip())
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
        except (OSError, ValueError):  # the socket was shut under the reader
            pass

    def next(self, timeout: float = 10.0) -> tuple[str, str]:
        return self.events.get(timeout=timeout)

    def next_attempt(self, timeout: float = 10.0) -> dict:
        """The data of the next `attempt` event, parsed."""
        end = time.monotonic() + timeout
        while True:
            event, data = self.next(max(0.01, end - time.monotonic()))
            if event == "attempt":
                return json.loads(data)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(timeout=5)
