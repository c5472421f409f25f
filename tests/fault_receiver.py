"""A fault-injecting HTTP receiver for hookd's failure tests (docs/failures.md).

Standard library only. It listens on 127.0.0.1 on a free port, parses HTTP/1.1 itself (so it can
misbehave in ways `http.server` cannot: reset the connection, never answer, dribble a body), and
answers each request by the behaviour set for its path:

    rcv = FaultReceiver()
    rcv.set("/down", Status(503, headers={"Retry-After": "1"}))
    rcv.script("/flaky", Status(500), Status(500))   # the next two requests, then the default
    rcv.set("/hang", Hang())          # read the request, never answer (until hookd or close() hangs up)
    rcv.set("/reset", Reset())        # read the request, then close with SO_LINGER 0 (a TCP RST)
    rcv.set("/slow", SlowBody(2000, seconds=1.5))   # 200 and headers at once, body over 1.5 s
    rcv.set("/big", BigBody(5 * 1024 * 1024))       # a 5 MB body
    rcv.set("/pick", Dynamic(lambda req: Status(200) if b"ok" in req.body else Status(500)))
    rcv.url("/down")  -> "http://127.0.0.1:<port>/down"

A path's behaviour is looked up by the request path without its query string; paths with no
behaviour get `default` (200). Every request is recorded (`Recorded`: monotonic and wall time,
method, path, lower-case headers, body, the behaviour used) before it is answered, so tests can
assert counts, timing and signatures. The receiver also measures concurrency: requests counted
from the moment their head has been read until just before their answer starts.

`FaultReceiver(port=N)` listens on a given port (e.g. one that was closed until then).
A "closed port" needs no server: `hookd_support.free_port()` gives a port nobody listens on.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from hookd_support import wait_for_matching


# ---- behaviours -----------------------------------------------------------------------------


@dataclass
class Status:
    """Answer `code` with `headers` and `body`, after `delay` seconds (cut short by close())."""
    code: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0


@dataclass
class Hang:
    """Read the request and never answer; ends when the client hangs up or the receiver closes."""


@dataclass
class Reset:
    """Read the request, then close the socket with SO_LINGER {1, 0}: the peer gets a TCP RST."""


@dataclass
class SlowBody:
    """Answer `code` with the headers (Content-Length: size) at once, then `size` body bytes in
    `pieces` writes spread evenly over `seconds`."""
    size: int = 2000
    seconds: float = 1.5
    code: int = 200
    pieces: int = 10


@dataclass
class BigBody:
    """Answer `code` with a `size`-byte body (a repeating, printable pattern; see big_body())."""
    size: int = 5 * 1024 * 1024
    code: int = 200


@dataclass
class Dynamic:
    """Chooses the behaviour per request: fn(Recorded) -> behaviour."""
    fn: Callable


def big_body(size: int) -> bytes:
    """The bytes BigBody sends: a printable pattern whose first 4 KiB are not all alike."""
    pattern = b"".join(b"%07d\n" % i for i in range(1 + size // 8))
    return pattern[:size]


# ---- records --------------------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str      # with the query string
    route: str     # without it: the key behaviours are set under
    headers: dict  # lower-case names
    body: bytes
    time: float    # time.monotonic() once the whole request had been read
    wall: float    # time.time() at the same moment
    behaviour: object = None


class _Closed(Exception):
    pass


# ---- the server -----------------------------------------------------------------------------


class FaultReceiver:
    def __init__(self, default=None, port: int = 0):
        self.default = default if default is not None else Status(200, body=b"ok")
        self.requests: list[Recorded] = []
        self._behaviours: dict[str, object] = {}
        self._scripts: dict[str, list] = {}
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._conns: set[socket.socket] = set()
        self._in_flight: dict[str, int] = {}
        self._peak: dict[str, int] = {}
        self._in_flight_all = 0
        self._peak_all = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))  # port 0: a free one
        self._listener.listen(256)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name=f"fault-receiver-{self.port}")
        self._thread.start()

    # ---- configuration ----------------------------------------------------------------------

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, behaviour) -> None:
        """The behaviour for every request to `path` (after any scripted ones)."""
        with self._cond:
            self._behaviours[path] = behaviour

    def script(self, path: str, *behaviours) -> None:
        """Behaviours for the next requests to `path`, one each, before the path's own."""
        with self._cond:
            self._scripts[path] = list(behaviours)

    # ---- what happened ----------------------------------------------------------------------

    def snapshot(self, route: Optional[str] = None) -> list[Recorded]:
        with self._cond:
            return [r for r in self.requests if route is None or r.route == route]

    def count(self, route: Optional[str] = None) -> int:
        return len(self.snapshot(route))

    def peak_concurrency(self, route: Optional[str] = None) -> int:
        with self._cond:
            return self._peak_all if route is None else self._peak.get(route, 0)

    def wait_for(self, n: int, timeout: float = 10.0, route: Optional[str] = None,
                 where: Optional[Callable[[Recorded], bool]] = None) -> list[Recorded]:
        """Waits until at least `n` recorded requests (to `route`, matching `where`) arrived."""
        return wait_for_matching(
            self._cond,
            lambda: [r for r in self.requests
                     if (route is None or r.route == route) and (where is None or where(r))],
            n, timeout,
            lambda got: f"fault receiver :{self.port} got {len(got)} matching request(s) of {n} "
                        f"expected within {timeout}s (route {route}; {len(self.requests)} in all)")

    def by_webhook_id(self, msg_id: str, route: Optional[str] = None) -> list[Recorded]:
        return [r for r in self.snapshot(route) if r.headers.get("webhook-id") == msg_id]

    def close(self) -> None:
        self._closing.set()
        try:
            self._listener.close()
        except OSError:
            pass
        with self._cond:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass
        self._thread.join(5)

    # ---- internals --------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._cond:
                self._conns.add(conn)
            threading.Thread(target=self._serve_conn, args=(conn,), daemon=True).start()

    def _choose(self, req: Recorded):
        with self._cond:
            script = self._scripts.get(req.route)
            if script:
                b = script.pop(0)
            else:
                b = self._behaviours.get(req.route, self.default)
        while isinstance(b, Dynamic):
            b = b.fn(req)
        return b

    def _record(self, req: Recorded) -> None:
        with self._cond:
            self.requests.append(req)
            self._in_flight[req.route] = self._in_flight.get(req.route, 0) + 1
            self._peak[req.route] = max(self._peak.get(req.route, 0), self._in_flight[req.route])
            self._in_flight_all += 1
            self._peak_all = max(self._peak_all, self._in_flight_all)
            self._cond.notify_all()

    def _done(self, req: Recorded) -> None:
        with self._cond:
            self._in_flight[req.route] -= 1
            self._in_flight_all -= 1

    def _serve_conn(self, conn: socket.socket) -> None:
        buf = bytearray()
        try:
            while not self._closing.is_set():
                req, buf = self._read_request(conn, buf)
                if req is None:
                    return
                behaviour = self._choose(req)
                req.behaviour = behaviour
                self._record(req)
                if not self._answer(conn, req, behaviour):
                    return
        except (_Closed, OSError):
            return
        finally:
            with self._cond:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _recv_more(self, conn: socket.socket, buf: bytearray) -> None:
        data = conn.recv(65536)
        if not data:
            raise _Closed()
        buf.extend(data)

    def _read_request(self, conn: socket.socket, buf: bytearray):
        while b"\r\n\r\n" not in buf:
            try:
                self._recv_more(conn, buf)
            except _Closed:
                return None, buf
            if len(buf) > 1 << 20:
                return None, buf
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _version = (lines[0].split(" ", 2) + ["", ""])[:3]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        rest = bytearray(rest)
        if headers.get("expect", "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = bytearray()
            while True:
                while b"\r\n" not in rest:
                    self._recv_more(conn, rest)
                size_line, _, tail = bytes(rest).partition(b"\r\n")
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                rest = bytearray(tail)
                if size == 0:
                    while b"\r\n\r\n" not in b"\r\n" + rest:
                        self._recv_more(conn, rest)
                    rest = bytearray((b"\r\n" + rest).partition(b"\r\n\r\n")[2])
                    break
                while len(rest) < size + 2:
                    self._recv_more(conn, rest)
                body.extend(rest[:size])
                rest = rest[size + 2:]
            body = bytes(body)
        else:
            n = int(headers.get("content-length") or 0)
            while len(rest) < n:
                self._recv_more(conn, rest)
            body, rest = bytes(rest[:n]), rest[n:]
        req = Recorded(method=method, path=path, route=path.split("?", 1)[0], headers=headers,
                       body=body, time=time.monotonic(), wall=time.time())
        return req, bytearray(rest)

    @staticmethod
    def _head(code: int, headers: dict, length: int) -> bytes:
        lines = [f"HTTP/1.1 {code} {_REASONS.get(code, 'Status')}"]
        for k, v in headers.items():
            lines.append(f"{k}: {v}")
        lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _answer(self, conn: socket.socket, req: Recorded, b) -> bool:
        """Answers one request; returns whether the connection may serve another."""
        if isinstance(b, int):
            b = Status(b)
        if isinstance(b, Status):
            if b.delay:
                self._closing.wait(b.delay)
            self._done(req)
            conn.sendall(self._head(b.code, b.headers, len(b.body)) + b.body)
            return True
        if isinstance(b, Hang):
            # never answer; notice the client hanging up (recv gives b"" or an error)
            conn.settimeout(0.1)
            try:
                while not self._closing.is_set():
                    try:
                        if not conn.recv(65536):
                            break
                    except socket.timeout:
                        continue
            finally:
                self._done(req)
            return False
        if isinstance(b, Reset):
            self._done(req)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            return False
        if isinstance(b, SlowBody):
            self._done(req)
            body = b"s" * b.size
            conn.sendall(self._head(b.code, {"Content-Type": "text/plain"}, b.size))
            pieces = max(1, b.pieces)
            step = (b.size + pieces - 1) // pieces
            for i in range(pieces):
                if self._closing.wait(b.seconds / pieces):
                    return False
                conn.sendall(body[i * step:(i + 1) * step])
            return True
        if isinstance(b, BigBody):
            self._done(req)
            payload = big_body(b.size)
            try:
                conn.sendall(self._head(b.code, {"Content-Type": "text/plain"}, b.size))
                view = memoryview(payload)
                for off in range(0, len(payload), 65536):
                    conn.sendall(view[off:off + 65536])
            except OSError:
                return False  # the client stopped reading (max_response_bytes): expected
            return True
        raise TypeError(f"unknown behaviour {b!r}")


_REASONS = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently",
            302: "Found", 307: "Temporary Redirect", 400: "Bad Request", 404: "Not Found",
            410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable"}
