"""The SSRF policy with an egress proxy (docs/failures.md, "Network safety"): hookd resolves the
receiver's host itself, checks every address, and has the proxy CONNECT to the checked address.
The proxy (configured by the operator) is trusted: the policy applies to the target.

The proxy is Debian's tinyproxy; the receiver is a real HTTP server on 127.0.0.1, reached by a
host name that resolves to loopback (the machine's own name, from /etc/hosts)."""

from __future__ import annotations

import json
import socket

import pytest

from hookd_support import DEFAULT_ENV
from tinyproxy_support import TinyProxy


LOOPBACK_NAME = "hookd-loopback.test"  # .ci/run adds it to /etc/hosts


def _addresses(name: str) -> set[str]:
    try:
        return {info[4][0] for info in socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP)}
    except socket.gaierror:
        return set()


def _loopback_name() -> str:
    """A host name (not `localhost`, which endpoint creation refuses as such) that resolves to
    127.0.0.1 only: hookd-loopback.test, or the machine's own name."""
    for name in (LOOPBACK_NAME, socket.gethostname()):
        if _addresses(name) == {"127.0.0.1"}:
            return name
    raise AssertionError(f"neither {LOOPBACK_NAME} nor {socket.gethostname()} resolves to "
                         f"127.0.0.1 only: add '127.0.0.1 {LOOPBACK_NAME}' to /etc/hosts")


@pytest.fixture
def proxy_on_127_0_0_2():
    p = TinyProxy("127.0.0.2")
    yield p
    p.stop()


@pytest.fixture
def proxy_on_127_0_0_1():
    p = TinyProxy("127.0.0.1")
    yield p
    p.stop()


def _start(hookd_factory, proxy, allow):
    srv = hookd_factory(env={**DEFAULT_ENV, "HOOKD_EGRESS_PROXY": proxy.url,
                             "HOOKD_SSRF_ALLOW": allow})
    return srv.api()


def test_a_name_resolving_to_loopback_is_refused_through_the_proxy(hookd_factory, receiver,
                                                                    proxy_on_127_0_0_2):
    proxy = proxy_on_127_0_0_2
    # The allow-list opens the proxy's address only, not the receiver's.
    api = _start(hookd_factory, proxy, "127.0.0.2/32")
    app = api.create_app()
    et = api.create_event_type()
    ep = api.create_endpoint(app["id"], f"http://{_loopback_name()}:{receiver.port}/hook")
    msg = api.send(app["id"], et["name"], {"n": 1})
    [attempt] = api.wait_attempts(app["id"], msg["id"], 1)
    assert attempt["errorClass"] == "ssrf_blocked", attempt
    assert "127.0.0.1" in attempt["response"], attempt
    # The endpoint test (a request made outside the delivery threads) is refused the same way.
    r = api.post(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/test", {"payload": {"t": 1}})
    assert r.status_code == 200, r.text
    assert (r.json()["errorClass"], r.json()["success"]) == ("ssrf_blocked", False), r.text
    assert receiver.count() == 0
    assert proxy.requests() == [], "a refused target was handed to the proxy"


def test_the_policy_applies_to_the_target_not_to_the_proxy(hookd_factory, receiver,
                                                           proxy_on_127_0_0_2):
    api = _start(hookd_factory, proxy_on_127_0_0_2, "")  # nothing private allowed
    app = api.create_app()
    et = api.create_event_type()
    api.create_endpoint(app["id"], f"http://{_loopback_name()}:{receiver.port}/hook")
    msg = api.send(app["id"], et["name"], {"n": 1})
    [attempt] = api.wait_attempts(app["id"], msg["id"], 1)
    assert attempt["errorClass"] == "ssrf_blocked", attempt
    # The refused address is the receiver's, not the (loopback) proxy's.
    assert "127.0.0.1" in attempt["response"] and "127.0.0.2" not in attempt["response"], attempt
    assert receiver.count() == 0


def test_the_proxy_connects_to_the_checked_address(hookd_factory, receiver, proxy_on_127_0_0_1):
    proxy = proxy_on_127_0_0_1
    api = _start(hookd_factory, proxy, "127.0.0.0/8")
    app = api.create_app()
    et = api.create_event_type()
    name = _loopback_name()
    api.create_endpoint(app["id"], f"http://{name}:{receiver.port}/hook")
    msg = api.send(app["id"], et["name"], {"via": "proxy"})
    [got] = receiver.wait_for(1)
    assert json.loads(got.body) == {"via": "proxy"}
    assert got.headers["host"] == f"{name}:{receiver.port}"
    [attempt] = api.wait_attempts(app["id"], msg["id"], 1)
    assert attempt["responseStatusCode"] == 200, attempt
    # A tunnel to the address hookd checked, never the name for the proxy to resolve.
    assert proxy.requests() == [f"CONNECT 127.0.0.1:{receiver.port} HTTP/1.1"], proxy.log_text()


def test_a_target_hookd_cannot_resolve_is_not_handed_to_the_proxy(hookd_factory,
                                                                  proxy_on_127_0_0_1):
    proxy = proxy_on_127_0_0_1
    api = _start(hookd_factory, proxy, "127.0.0.0/8")
    app = api.create_app()
    et = api.create_event_type()
    api.create_endpoint(app["id"], "http://receiver.invalid/hook")
    msg = api.send(app["id"], et["name"], {"n": 1})
    [attempt] = api.wait_attempts(app["id"], msg["id"], 1)
    assert attempt["errorClass"] == "dns", attempt
    assert proxy.requests() == []
