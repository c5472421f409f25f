"""Where deliveries leave from: egress_interface (a local address receivers can allow-list) and
egress_proxy (an outbound HTTP proxy, tunnelled with CONNECT), both from docs/failures.md
"Network safety"."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hookd_support import DEFAULT_ENV, wait_until
from tinyproxy_support import TinyProxy


class _Recording(BaseHTTPRequestHandler):
    """Answers 200 and records (client address, request line target, Host header)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        self.server.seen.append((self.client_address[0], self.path, self.headers.get("Host"), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _serve() -> ThreadingHTTPServer:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Recording)
    srv.daemon_threads = True
    srv.seen = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def _loopback_alias_usable(address: str) -> bool:
    with socket.socket() as s:
        try:
            s.bind((address, 0))
            return True
        except OSError:
            return False


def test_deliveries_leave_from_the_egress_interface(hookd_factory):
    assert _loopback_alias_usable("127.0.0.2"), "127.0.0.2 is not bindable on this machine"
    receiver = _serve()
    try:
        hookd = hookd_factory(env={**DEFAULT_ENV, "HOOKD_EGRESS_INTERFACE": "127.0.0.2"})
        api = hookd.api()
        app = api.create_app()
        et = api.create_event_type()
        api.create_endpoint(app["id"], f"http://127.0.0.1:{receiver.server_address[1]}/in")
        api.send(app["id"], et["name"], {"n": 1})
        wait_until(lambda: receiver.seen, 10, what="the delivery")
        # The receiver sees the bound source address, not the default 127.0.0.1.
        assert receiver.seen[0][0] == "127.0.0.2"
    finally:
        receiver.shutdown()


def test_deliveries_go_through_the_egress_proxy(hookd_factory):
    # A real proxy (tinyproxy). hookd resolves and checks the receiver's address itself and has
    # the proxy open a CONNECT tunnel to that address (tests/test_egress_proxy_ssrf.py).
    receiver = _serve()
    proxy = TinyProxy("127.0.0.1")
    try:
        hookd = hookd_factory(env={**DEFAULT_ENV, "HOOKD_EGRESS_PROXY": proxy.url})
        api = hookd.api()
        app = api.create_app()
        et = api.create_event_type()
        port = receiver.server_address[1]
        ep = api.create_endpoint(app["id"], f"http://127.0.0.1:{port}/hook")
        msg = api.send(app["id"], et["name"], {"via": "proxy"})
        wait_until(lambda: receiver.seen, 10, what="the proxied request")
        client, target, host, body = receiver.seen[0]
        assert target == "/hook"
        assert host == f"127.0.0.1:{port}"
        assert json.loads(body) == {"via": "proxy"}
        assert proxy.requests() == [f"CONNECT 127.0.0.1:{port} HTTP/1.1"], proxy.log_text()
        attempts = api.wait_attempts(app["id"], msg["id"], 1)
        assert attempts[0]["responseStatusCode"] == 200
        assert attempts[0]["endpointId"] == ep["id"]
    finally:
        proxy.stop()
        receiver.shutdown()


def test_egress_settings_are_validated(tmp_path):
    from hookd_support import hookd_binary
    import subprocess
    r = subprocess.run([str(hookd_binary()), "serve", "--data-dir", str(tmp_path / "d"),
                        "--egress-proxy", "ftp://proxy:21"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2
    assert "egress_proxy:" in r.stderr
