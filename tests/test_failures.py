"""When receivers fail (docs/failures.md): the fault matrix, auto-disable, circuit breaking, email
alerts over real SMTP, operational webhooks, replay, throttleRate/maxConcurrency, network safety
and retention, against the real hookd binary and real receivers on 127.0.0.1.

Run: /usr/bin/python3 -m pytest -q tests/test_failures.py
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import pytest
import requests

from fault_receiver import (BigBody, Dynamic, FaultReceiver, Hang, Reset, SlowBody, Status,
                            big_body)
from hookd_support import (TIMESTAMP_RE, assert_error, free_port, metric_value, verify_signature,
                           wait_for_matching, wait_until)

# Fast, deterministic retries: three attempts 200 ms apart.
FAST = {"HOOKD_RETRY_SCHEDULE": "200ms,200ms", "HOOKD_RETRY_JITTER": "0"}

# RFC 3339 in general (the operational payload's timestamps need not carry milliseconds).
RFC3339_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")

OPERATIONAL_EVENT_TYPES = ("endpoint.disabled", "endpoint.enabled", "message.attempt.exhausted",
                           "message.attempt.failing", "message.attempt.recovered",
                           "endpoint.created", "endpoint.updated", "endpoint.deleted")


# ---- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def faults():
    """make(default=None, port=0) -> a running FaultReceiver, closed at teardown."""
    made: list[FaultReceiver] = []

    def make(default=None, port=0) -> FaultReceiver:
        r = FaultReceiver(default, port)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def _start(hookd_factory, **env):
    e = dict(FAST)
    e.update(env)
    srv = hookd_factory(env=e)
    return srv, srv.api()


def _setup(api, url, **ep_fields):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, url, **ep_fields)
    return app, et, ep


def _endpoint(api, app, ep_id) -> dict:
    r = api.get(f"/api/v1/app/{app}/endpoint/{ep_id}")
    assert r.status_code == 200, f"GET endpoint: {r.status_code} {r.text}"
    return r.json()


def _health(api, app, ep_id) -> dict:
    r = api.get(f"/api/v1/app/{app}/endpoint/{ep_id}/health")
    assert r.status_code == 200, f"GET health: {r.status_code} {r.text}"
    return r.json()


def _ep_attempts(api, app, ep_id, **params) -> list[dict]:
    return api.list_all(f"/api/v1/app/{app}/attempt/endpoint/{ep_id}", params)


def _wait_delivery(api, app, msg_id, ep_id, status, timeout=10.0):
    names = {0: "success", 1: "pending", 2: "failed", 3: "sending (waiting to retry)"}
    wait_until(lambda: api.delivery_status(app, msg_id, ep_id) == status, timeout, 0.1,
               f"delivery of {msg_id} to {ep_id} to be {names[status]} ({status})")


def _wait_disabled(api, app, ep_id, timeout=10.0) -> dict:
    return wait_until(lambda: (lambda e: e if e["disabled"] else None)(_endpoint(api, app, ep_id)),
                      timeout, 0.1, f"endpoint {ep_id} disabled")


def _outcomes(atts) -> list[tuple]:
    return [(a["status"], a["responseStatusCode"], a["errorClass"]) for a in atts]


def _parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _send_many(srv, app, et, payloads, threads=8) -> list[tuple[dict, float]]:
    """POSTs many messages in parallel; returns (MessageOut, monotonic time accepted) per message."""
    url = f"{srv.base_url}/api/v1/app/{app}/msg"
    headers = {"Authorization": f"Bearer {srv.token}"}
    local = threading.local()

    def one(payload):
        s = getattr(local, "s", None) or requests.Session()
        local.s = s
        r = s.post(url, json={"eventType": et, "payload": payload}, headers=headers, timeout=15)
        assert r.status_code == 202, r.text
        return r.json(), time.monotonic()

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, payloads))


# ---- the fault matrix -------------------------------------------------------------------------


def test_fault_500_is_retried_then_failed(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    rcv = faults()
    rcv.set("/500", Status(500, body=b"boom"))
    app, et, ep = _setup(api, rcv.url("/500"))
    msg = api.send(app, et)
    _wait_delivery(api, app, msg["id"], ep["id"], 2)
    time.sleep(0.6)
    reqs = rcv.by_webhook_id(msg["id"])
    assert len(reqs) == 3, f"a 200ms,200ms schedule means 3 attempts, receiver got {len(reqs)}"
    gaps = [b.time - a.time for a, b in zip(reqs, reqs[1:])]
    assert all(0.15 <= g <= 2.0 for g in gaps), gaps
    atts = _ep_attempts(api, app, ep["id"])
    assert _outcomes(atts) == [(2, 500, "http_status")] * 3, atts
    assert all(a["response"] == "boom" and a["triggerType"] == 0 for a in atts), atts
    e = _endpoint(api, app, ep["id"])
    assert e["disabled"] is False, f"one exhausted delivery must not disable (default 5): {e}"


def test_fault_503_with_retry_after_waits(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    rcv = faults()
    rcv.script("/503", Status(503, headers={"Retry-After": "1"}, body=b"busy"))
    rcv.set("/503", Status(200))
    app, et, ep = _setup(api, rcv.url("/503"))
    msg = api.send(app, et)
    first, second = rcv.wait_for(2, route="/503")
    gap = second.time - first.time
    assert 0.9 <= gap <= 3.0, f"Retry-After: 1 gave a {gap:.2f}s gap (the schedule says 200ms)"
    _wait_delivery(api, app, msg["id"], ep["id"], 0)
    atts = _ep_attempts(api, app, ep["id"])
    assert _outcomes(atts) == [(0, 200, "none"), (2, 503, "http_status")], atts
    time.sleep(0.5)
    assert rcv.count("/503") == 2


def test_fault_429_is_retried(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    rcv = faults()
    rcv.script("/429", Status(429, body=b"slow down"), Status(429, body=b"slow down"))
    rcv.set("/429", Status(200))
    app, et, ep = _setup(api, rcv.url("/429"))
    msg = api.send(app, et)
    rcv.wait_for(3, route="/429")
    _wait_delivery(api, app, msg["id"], ep["id"], 0)
    atts = _ep_attempts(api, app, ep["id"])
    assert _outcomes(atts) == [(0, 200, "none"), (2, 429, "http_status"),
                               (2, 429, "http_status")], atts
    time.sleep(0.5)
    assert rcv.count("/429") == 3


def test_fault_410_disables_at_once_and_keeps_the_delivery(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    rcv = faults()
    rcv.set("/gone", Status(410, body=b"gone"))
    app, et, ep = _setup(api, rcv.url("/gone"))
    before = time.time()
    msg = api.send(app, et, {"n": 1})
    e = _wait_disabled(api, app, ep["id"])
    assert e["disabledReason"] == "gone", e
    assert TIMESTAMP_RE.match(e["disabledAt"] or ""), e
    assert before - 1 <= _parse_time(e["disabledAt"]) <= time.time() + 1, e
    time.sleep(1.0)  # two retries would have been due by now
    assert rcv.count("/gone") == 1, "a 410 must disable at once: no retry"
    assert api.delivery_status(app, msg["id"], ep["id"]) == 3, "that delivery waits (sending)"
    atts = _ep_attempts(api, app, ep["id"])
    assert _outcomes(atts) == [(2, 410, "http_status")], atts

    # re-enabling clears the reason and delivers the kept delivery once the receiver answers 200
    rcv.set("/gone", Status(200))
    r = api.patch(f"/api/v1/app/{app}/endpoint/{ep['id']}", {"disabled": False})
    assert r.status_code == 200, r.text
    e = r.json()
    assert e["disabled"] is False and e.get("disabledReason") is None \
        and e.get("disabledAt") is None, e
    rcv.wait_for(2, route="/gone")
    _wait_delivery(api, app, msg["id"], ep["id"], 0)
    assert [q.headers["webhook-id"] for q in rcv.snapshot("/gone")] == [msg["id"]] * 2
    assert _outcomes(_ep_attempts(api, app, ep["id"])) == [(0, 200, "none"), (2, 410, "http_status")]


def test_fault_301_is_a_failure_and_not_followed(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    rcv = faults()
    rcv.set("/301", Status(301, headers={"Location": rcv.url("/moved")}))
    app, et, ep = _setup(api, rcv.url("/301"))
    msg = api.send(app, et)
    _wait_delivery(api, app, msg["id"], ep["id"], 2)
    time.sleep(0.5)
    atts = _ep_attempts(api, app, ep["id"])
    assert len(atts) == 3, atts
    for a in atts:
        assert (a["status"], a["responseStatusCode"]) == (2, 301), a
        assert a["errorClass"] in ("redirect", "http_status"), a
    assert rcv.count("/301") == 3
    assert rcv.count("/moved") == 0, "the redirect was followed"


def test_fault_timeout(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_REQUEST_TIMEOUT_MS="1000", HOOKD_RETRY_SCHEDULE="200ms")
    rcv = faults()
    rcv.set("/hang", Hang())
    app, et, ep = _setup(api, rcv.url("/hang"))
    msg = api.send(app, et)
    _wait_delivery(api, app, msg["id"], ep["id"], 2, timeout=10)
    atts = _ep_attempts(api, app, ep["id"])
    assert _outcomes(atts) == [(2, 0, "timeout")] * 2, atts
    for a in atts:
        assert 900 <= a["responseDurationMs"] <= 3000, a
    assert rcv.count("/hang") == 2


def test_fault_connection_reset(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    rcv = faults()
    rcv.set("/reset", Reset())
    app, et, ep = _setup(api, rcv.url("/reset"))
    msg = api.send(app, et)
    _wait_delivery(api, app, msg["id"], ep["id"], 2)
    atts = _ep_attempts(api, app, ep["id"])
    assert _outcomes(atts) == [(2, 0, "network")] * 3, atts
    time.sleep(0.3)
    assert rcv.count("/reset") == 3


def test_fault_slow_body_within_timeout_succeeds(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_REQUEST_TIMEOUT_MS="5000")
    rcv = faults()
    rcv.set("/slow", SlowBody(2000, seconds=1.5))
    app, et, ep = _setup(api, rcv.url("/slow"))
    msg = api.send(app, et)
    _wait_delivery(api, app, msg["id"], ep["id"], 0, timeout=10)
    [a] = _ep_attempts(api, app, ep["id"])
    assert (a["status"], a["responseStatusCode"], a["errorClass"]) == (0, 200, "none"), a
    assert a["response"] == "s" * 2000, a["response"][:100]
    assert a["responseDurationMs"] >= 1300, f"the body took 1.5 s to arrive: {a}"
    assert rcv.count("/slow") == 1


def test_fault_slow_body_beyond_timeout_is_a_timeout(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_REQUEST_TIMEOUT_MS="1000", HOOKD_RETRY_SCHEDULE="200ms")
    rcv = faults()
    rcv.set("/slower", SlowBody(2000, seconds=3.0))
    app, et, ep = _setup(api, rcv.url("/slower"))
    msg = api.send(app, et)
    _wait_delivery(api, app, msg["id"], ep["id"], 2, timeout=10)
    atts = _ep_attempts(api, app, ep["id"])
    assert [(a["status"], a["errorClass"]) for a in atts] == [(2, "timeout")] * 2, atts


def test_fault_big_response_succeeds_with_a_4k_excerpt(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    rcv = faults()
    size = 5 * 1024 * 1024
    rcv.set("/big", BigBody(size))
    app, et, ep = _setup(api, rcv.url("/big"))
    msg = api.send(app, et)
    _wait_delivery(api, app, msg["id"], ep["id"], 0, timeout=15)
    [a] = _ep_attempts(api, app, ep["id"])
    assert (a["status"], a["responseStatusCode"], a["errorClass"]) == (0, 200, "none"), a
    assert len(a["response"].encode()) <= 4096, len(a["response"])
    assert a["response"] == big_body(4096).decode(), "the attempt keeps the first 4 KiB"
    assert rcv.count("/big") == 1
    assert requests.get(srv.base_url + "/health", timeout=5).status_code == 204


def test_fault_big_error_response_status_counts(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_MAX_RESPONSE_BYTES="8192", HOOKD_RETRY_SCHEDULE="200ms")
    rcv = faults()
    rcv.set("/bigerr", BigBody(1024 * 1024, code=500))
    app, et, ep = _setup(api, rcv.url("/bigerr"))
    msg = api.send(app, et)
    _wait_delivery(api, app, msg["id"], ep["id"], 2)
    atts = _ep_attempts(api, app, ep["id"])
    assert _outcomes(atts) == [(2, 500, "http_status")] * 2, atts
    assert all(a["response"] == big_body(4096).decode() for a in atts)


def test_fault_closed_port(hookd_factory):
    srv, api = _start(hookd_factory)
    app, et, ep = _setup(api, f"http://127.0.0.1:{free_port()}/nobody")
    msg = api.send(app, et)
    _wait_delivery(api, app, msg["id"], ep["id"], 2)
    atts = _ep_attempts(api, app, ep["id"])
    assert _outcomes(atts) == [(2, 0, "connect")] * 3, atts


# ---- the health record ------------------------------------------------------------------------


def test_health_record_follows_failures_and_success(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_RETRY_SCHEDULE="1500ms")
    rcv = faults()
    rcv.script("/h", Status(503, body=b"x"))
    rcv.set("/h", Status(200))
    app, et, ep = _setup(api, rcv.url("/h"))
    h = _health(api, app, ep["id"])
    assert h["state"] == "closed" and h["consecutiveFailures"] == 0, h
    assert h["disabled"] is False and h["disabledReason"] is None, h
    api.send(app, et)
    rcv.wait_for(1, route="/h")
    h = wait_until(lambda: (lambda x: x if x["consecutiveFailures"] == 1 else None)(
        _health(api, app, ep["id"])), 5, 0.05, "consecutiveFailures == 1")
    assert h["state"] == "closed", h
    assert h["lastStatus"] == 503 and h["lastError"] == "http_status", h
    assert h["consecutiveExhausted"] == 0, h
    assert TIMESTAMP_RE.match(h["failingSince"] or ""), h
    assert h.get("circuitOpenUntil") is None, h
    rcv.wait_for(2, route="/h", timeout=5)
    h = wait_until(lambda: (lambda x: x if x["consecutiveFailures"] == 0 else None)(
        _health(api, app, ep["id"])), 5, 0.05, "consecutiveFailures back to 0")
    assert h["failingSince"] is None, h
    assert h["state"] == "closed", h
    # disabled by its owner: no reason
    r = api.patch(f"/api/v1/app/{app}/endpoint/{ep['id']}", {"disabled": True})
    assert r.status_code == 200, r.text
    assert r.json()["disabled"] is True and r.json()["disabledReason"] is None, r.json()
    h = _health(api, app, ep["id"])
    assert h["disabled"] is True and h["disabledReason"] is None, h


# ---- auto-disable -----------------------------------------------------------------------------


@pytest.mark.timeout_s(60)
def test_auto_disable_after_exhausted_keeps_and_resumes(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_DISABLE_AFTER_EXHAUSTED="3",
                      HOOKD_RETRY_SCHEDULE="2s", HOOKD_CIRCUIT_WINDOW="0")
    rcv = faults()
    rcv.set("/x", Status(500))
    app, et, ep = _setup(api, rcv.url("/x"))
    t0 = time.monotonic()
    first = [api.send(app, et, {"n": i}) for i in range(3)]  # exhaust at ~t0+2 s
    rcv.wait_for(3, route="/x")
    time.sleep(max(0.0, t0 + 1.0 - time.monotonic()))
    later = [api.send(app, et, {"n": i}) for i in (3, 4)]    # retries due at ~t0+3 s
    rcv.wait_for(5, route="/x")
    e = _wait_disabled(api, app, ep["id"], timeout=6)
    assert e["disabledReason"] == "exhausted", e
    assert TIMESTAMP_RE.match(e["disabledAt"] or ""), e
    assert time.monotonic() < t0 + 3.0, "disabled only after the later deliveries' retries: " \
        "the test's timing does not hold on this machine"
    for m in first:
        _wait_delivery(api, app, m["id"], ep["id"], 2, timeout=3)
    time.sleep(max(0.0, t0 + 4.5 - time.monotonic()))
    assert rcv.count("/x") == 8, "the kept deliveries' retries must not be sent while disabled"
    for m in later:
        assert api.delivery_status(app, m["id"], ep["id"]) == 3, "kept deliveries wait (sending)"
    after = api.send(app, et, {"n": "while disabled"})
    time.sleep(0.5)
    assert rcv.by_webhook_id(after["id"]) == [], "a disabled endpoint receives nothing"

    rcv.set("/x", Status(200))
    r = api.patch(f"/api/v1/app/{app}/endpoint/{ep['id']}", {"disabled": False})
    assert r.status_code == 200, r.text
    assert r.json()["disabled"] is False and r.json().get("disabledReason") is None, r.json()
    h = _health(api, app, ep["id"])
    assert h["disabled"] is False and h["consecutiveExhausted"] == 0, \
        f"the counts start over when the endpoint is enabled again: {h}"
    for m in later:
        _wait_delivery(api, app, m["id"], ep["id"], 0, timeout=10)
        assert len(rcv.by_webhook_id(m["id"])) == 2
    time.sleep(0.5)
    for m in first:
        assert api.delivery_status(app, m["id"], ep["id"]) == 2
        assert len(rcv.by_webhook_id(m["id"])) == 2, "exhausted deliveries are not resumed"


def test_disabled_endpoint_and_kept_delivery_survive_a_restart(hookd_factory, faults):
    rcv = faults()
    rcv.set("/gone", Status(410))
    srv, api = _start(hookd_factory)
    app, et, ep = _setup(api, rcv.url("/gone"))
    msg = api.send(app, et)
    _wait_disabled(api, app, ep["id"])
    srv.stop()
    srv2 = hookd_factory(env=dict(FAST), data_dir=srv.data_dir, token=srv.token)
    api2 = srv2.api()
    e = _endpoint(api2, app, ep["id"])
    assert e["disabled"] is True and e["disabledReason"] == "gone", e
    assert api2.delivery_status(app, msg["id"], ep["id"]) == 3  # kept: attempted, waiting
    time.sleep(0.5)
    assert rcv.count("/gone") == 1
    rcv.set("/gone", Status(200))
    assert api2.patch(f"/api/v1/app/{app}/endpoint/{ep['id']}", {"disabled": False}).status_code == 200
    _wait_delivery(api2, app, msg["id"], ep["id"], 0)
    assert rcv.count("/gone") == 2


def test_auto_disable_count_is_reset_by_a_success(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_DISABLE_AFTER_EXHAUSTED="2",
                      HOOKD_RETRY_SCHEDULE="200ms", HOOKD_CIRCUIT_WINDOW="0")
    rcv = faults()
    rcv.set("/p", Dynamic(lambda q: Status(200) if b'"ok"' in q.body else Status(500)))
    app, et, ep = _setup(api, rcv.url("/p"))
    m1 = api.send(app, et, {"fail": 1})
    _wait_delivery(api, app, m1["id"], ep["id"], 2)
    m2 = api.send(app, et, {"ok": True})
    _wait_delivery(api, app, m2["id"], ep["id"], 0)
    m3 = api.send(app, et, {"fail": 3})
    _wait_delivery(api, app, m3["id"], ep["id"], 2)
    time.sleep(0.5)
    e = _endpoint(api, app, ep["id"])
    assert e["disabled"] is False, f"2 exhausted deliveries, but not in a row: {e}"
    m4 = api.send(app, et, {"fail": 4})
    _wait_delivery(api, app, m4["id"], ep["id"], 2)
    e = _wait_disabled(api, app, ep["id"], timeout=5)
    assert e["disabledReason"] == "exhausted", e


def test_auto_disable_after_failing_for(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_DISABLE_AFTER_EXHAUSTED="0",
                      HOOKD_DISABLE_AFTER_FAILING_FOR="1s", HOOKD_RETRY_SCHEDULE="200ms",
                      HOOKD_CIRCUIT_WINDOW="0")
    rcv = faults()
    rcv.set("/f", Status(500))
    app, et, ep = _setup(api, rcv.url("/f"))
    t0 = time.monotonic()
    m1 = api.send(app, et)
    _wait_delivery(api, app, m1["id"], ep["id"], 2)
    time.sleep(max(0.0, t0 + 1.5 - time.monotonic()))
    e = _endpoint(api, app, ep["id"])
    assert e["disabled"] is False, f"disabled before an exhausted delivery arrived late: {e}"
    m2 = api.send(app, et)
    _wait_delivery(api, app, m2["id"], ep["id"], 2)
    e = _wait_disabled(api, app, ep["id"], timeout=5)
    assert e["disabledReason"] == "failing", e


# ---- circuit breaking ---------------------------------------------------------------------------


@pytest.mark.timeout_s(60)
def test_circuit_opens_probes_and_closes(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_CIRCUIT_WINDOW="6", HOOKD_CIRCUIT_MIN_ATTEMPTS="4",
                      HOOKD_CIRCUIT_FAILURE_RATIO="0.5", HOOKD_CIRCUIT_COOLDOWN="2s",
                      HOOKD_CIRCUIT_MAX_COOLDOWN="8s", HOOKD_DISABLE_AFTER_EXHAUSTED="0",
                      HOOKD_RETRY_SCHEDULE="300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms")
    rcv = faults()
    rcv.set("/bad", Status(500))
    rcv.set("/good", Status(200))
    app = api.create_app()["id"]
    t_bad = api.create_event_type()["name"]
    t_good = api.create_event_type()["name"]
    ep_bad = api.create_endpoint(app, rcv.url("/bad"), eventTypes=[t_bad])
    api.create_endpoint(app, rcv.url("/good"), eventTypes=[t_good])

    bad_msgs = [api.send(app, t_bad, {"b": i}) for i in range(5)]
    h = wait_until(lambda: (lambda x: x if x["state"] == "open" else None)(
        _health(api, app, ep_bad["id"])), 5, 0.05, "circuit open")
    rcv.set("/bad", Status(500, delay=0.8))  # the probe will take 0.8 s: half_open is visible
    burst = rcv.snapshot("/bad")
    n_burst = len(burst)
    last_burst = burst[-1]
    assert n_burst in (4, 5), f"opens after 4 failures of a window of 6: {n_burst} requests"
    assert TIMESTAMP_RE.match(h["circuitOpenUntil"] or ""), h
    until = _parse_time(h["circuitOpenUntil"]) - last_burst.wall
    assert 1.5 <= until <= 2.7, f"circuitOpenUntil {until:.2f}s after the last failure (cool-down 2s)"

    # a healthy endpoint of the same application keeps its pace meanwhile
    good = _send_many(srv, app, t_good, [{"g": i} for i in range(40)], threads=4)
    sent_at = {m["id"]: t for m, t in good}
    got = rcv.wait_for(40, route="/good", timeout=5)
    worst = max(q.time - sent_at[q.headers["webhook-id"]] for q in got)
    assert worst < 1.0, f"a healthy endpoint waited {worst:.2f}s while another's circuit was open"
    early = [q for q in rcv.snapshot("/bad")[n_burst:] if q.time < last_burst.time + 1.8]
    assert not early, "requests were sent while the circuit was open"

    # after the cool-down: exactly one probe, shown as half_open while in flight
    probe = rcv.wait_for(n_burst + 1, route="/bad", timeout=5)[-1]
    gap = probe.time - last_burst.time
    assert 1.8 <= gap <= 3.5, f"the probe came {gap:.2f}s after the last failure (cool-down 2s)"
    seen = wait_until(lambda: (lambda x: x if x["state"] == "half_open" else None)(
        _health(api, app, ep_bad["id"])), 0.7, 0.05, "state half_open during the probe")
    assert seen["state"] == "half_open"
    time.sleep(0.5)
    assert rcv.count("/bad") == n_burst + 1, "more than one probe was sent"

    # the failed probe reopens the circuit for twice the cool-down
    h = wait_until(lambda: (lambda x: x if x["state"] == "open" else None)(
        _health(api, app, ep_bad["id"])), 2, 0.05, "circuit open again after the failed probe")
    until = _parse_time(h["circuitOpenUntil"]) - (probe.wall + 0.8)
    assert 3.4 <= until <= 4.7, f"reopened for {until:.2f}s (twice the 2s cool-down expected)"
    rcv.set("/bad", Status(200))
    probe2 = rcv.wait_for(n_burst + 2, route="/bad", timeout=8)[-1]
    gap2 = probe2.time - probe.time
    assert gap2 >= 0.8 + 3.4, f"second probe {gap2:.2f}s after the first (0.8s + 4s expected)"

    # success closes the circuit and the backlog goes out
    for m in bad_msgs:
        _wait_delivery(api, app, m["id"], ep_bad["id"], 0, timeout=10)
    h = _health(api, app, ep_bad["id"])
    assert h["state"] == "closed" and h["consecutiveFailures"] == 0, h
    time.sleep(0.5)
    assert rcv.count("/bad") == n_burst + 1 + 5, \
        f"{rcv.count('/bad')} requests: {n_burst} before opening, 1 failed probe, 5 successes"
    failed = sum(1 for a in _ep_attempts(api, app, ep_bad["id"]) if a["status"] == 2)
    assert failed == n_burst + 1, f"attempt counts grew while the circuit was open: {failed}"


@pytest.mark.timeout_s(60)
def test_circuit_cooldown_doubles_up_to_the_maximum(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_CIRCUIT_WINDOW="4", HOOKD_CIRCUIT_MIN_ATTEMPTS="2",
                      HOOKD_CIRCUIT_FAILURE_RATIO="1", HOOKD_CIRCUIT_COOLDOWN="1s",
                      HOOKD_CIRCUIT_MAX_COOLDOWN="2s", HOOKD_DISABLE_AFTER_EXHAUSTED="0",
                      HOOKD_RETRY_SCHEDULE=",".join(["100ms"] * 30))
    rcv = faults()
    rcv.set("/c", Status(500))
    app, et, ep = _setup(api, rcv.url("/c"))
    api.send(app, et, {"a": 1})
    api.send(app, et, {"a": 2})
    wait_until(lambda: _health(api, app, ep["id"])["state"] == "open", 5, 0.05, "circuit open")
    n0 = rcv.count("/c")
    reqs = rcv.wait_for(n0 + 4, route="/c", timeout=15)
    times = [q.time for q in reqs[n0 - 1:n0 + 4]]  # the last failure before opening, 4 probes
    gaps = [round(b - a, 2) for a, b in zip(times, times[1:])]
    expected = [1.0, 2.0, 2.0, 2.0]  # cool-down 1 s, doubled to 2 s, then capped at 2 s
    assert all(e - 0.15 <= g <= e + 0.8 for g, e in zip(gaps, expected)), \
        f"gaps between probes {gaps}, expected about {expected}"


def test_circuit_probe_success_clears_the_window(hookd_factory, faults):
    """"success closes the circuit and clears the window": one failure after closing does not
    reopen it (with the old window kept, 5 of 6 attempts would have failed)."""
    srv, api = _start(hookd_factory, HOOKD_CIRCUIT_WINDOW="6", HOOKD_CIRCUIT_MIN_ATTEMPTS="4",
                      HOOKD_CIRCUIT_FAILURE_RATIO="0.5", HOOKD_CIRCUIT_COOLDOWN="1s",
                      HOOKD_DISABLE_AFTER_EXHAUSTED="0", HOOKD_RETRY_SCHEDULE="5s")
    rcv = faults()
    rcv.set("/w", Status(500))
    app, et, ep = _setup(api, rcv.url("/w"))
    msgs = [api.send(app, et, {"i": i}) for i in range(4)]
    wait_until(lambda: _health(api, app, ep["id"])["state"] == "open", 5, 0.05, "circuit open")
    rcv.set("/w", Status(200))
    probe_msg = api.send(app, et, {"probe": True})  # due now: the probe after the cool-down
    _wait_delivery(api, app, probe_msg["id"], ep["id"], 0, timeout=8)
    wait_until(lambda: _health(api, app, ep["id"])["state"] == "closed", 3, 0.05, "circuit closed")
    rcv.set("/w", Status(500))
    one = api.send(app, et, {"after": "closing"})
    rcv.wait_for(1, route="/w", where=lambda q: q.headers.get("webhook-id") == one["id"])
    time.sleep(0.3)
    h = _health(api, app, ep["id"])
    assert h["state"] == "closed", f"one failure after closing reopened the circuit: {h}"
    for m in msgs:
        assert api.delivery_status(app, m["id"], ep["id"]) in (0, 1, 3)  # not failed


def test_circuit_state_starts_over_after_a_restart(hookd_factory, faults):
    """"The counts live in memory and start over when the server restarts"."""
    env = dict(FAST, HOOKD_CIRCUIT_WINDOW="4", HOOKD_CIRCUIT_MIN_ATTEMPTS="2",
               HOOKD_CIRCUIT_COOLDOWN="60s", HOOKD_DISABLE_AFTER_EXHAUSTED="0",
               HOOKD_RETRY_SCHEDULE="100ms,100ms,100ms,100ms,100ms")
    rcv = faults()
    rcv.set("/c", Status(500))
    srv = hookd_factory(env=env)
    api = srv.api()
    app, et, ep = _setup(api, rcv.url("/c"))
    msgs = [api.send(app, et, {"i": i}) for i in range(3)]
    wait_until(lambda: _health(api, app, ep["id"])["state"] == "open", 5, 0.05, "circuit open")
    n = rcv.count("/c")
    srv.stop()
    rcv.set("/c", Status(200))
    srv2 = hookd_factory(env=env, data_dir=srv.data_dir, token=srv.token)
    api2 = srv2.api()
    for m in msgs:
        _wait_delivery(api2, app, m["id"], ep["id"], 0, timeout=10)
    h = _health(api2, app, ep["id"])
    assert h["state"] == "closed" and h["consecutiveFailures"] == 0, h
    assert rcv.count("/c") == n + 3


def test_circuit_breaking_off_with_window_zero(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_CIRCUIT_WINDOW="0", HOOKD_DISABLE_AFTER_EXHAUSTED="0")
    rcv = faults()
    rcv.set("/b", Status(500))
    app, et, ep = _setup(api, rcv.url("/b"))
    msgs = [api.send(app, et, {"i": i}) for i in range(6)]
    rcv.wait_for(18, route="/b", timeout=10)  # every attempt of every delivery is made
    for m in msgs:
        _wait_delivery(api, app, m["id"], ep["id"], 2)
    assert _health(api, app, ep["id"])["state"] == "closed"


# ---- email alerts -------------------------------------------------------------------------------


@dataclass
class Mail:
    time: float
    mail_from: str
    rcpt_tos: list
    subject: str
    body: str


class SmtpSink:
    """Debian's aiosmtpd on a free loopback port, keeping every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        self.mails: list[Mail] = []
        self.data_commands: list[float] = []
        self._cond = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    refuse = 0  # answer the next DATA commands with 451

    async def handle_DATA(self, server, session, envelope):
        with self._cond:
            self.data_commands.append(time.monotonic())
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 try again later"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else msg.get_payload(decode=True).decode()
        with self._cond:
            self.mails.append(Mail(time.monotonic(), envelope.mail_from, list(envelope.rcpt_tos),
                                   str(msg["subject"]), body))
            self._cond.notify_all()
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def snapshot(self, subject_prefix: str | None = None) -> list[Mail]:
        with self._cond:
            return [m for m in self.mails
                    if subject_prefix is None or m.subject.startswith(subject_prefix)]

    def wait_for(self, n: int, timeout: float, where=None) -> list[Mail]:
        return wait_for_matching(
            self._cond, lambda: [m for m in self.mails if where is None or where(m)], n, timeout,
            lambda got: f"SMTP server got {len(got)} matching email(s) of {n} within {timeout}s; "
                        f"all: {[(m.subject, m.rcpt_tos) for m in self.mails]}")

    def stop(self):
        self.controller.stop()


@pytest.fixture
def smtp():
    sink = SmtpSink()
    yield sink
    sink.stop()


SMTP_FROM = "alerts@hookd.test"


def _smtp_env(smtp, **extra):
    env = {"HOOKD_SMTP_URL": smtp.url, "HOOKD_SMTP_FROM": SMTP_FROM,
           "HOOKD_DISABLE_AFTER_EXHAUSTED": "0", "HOOKD_CIRCUIT_WINDOW": "0"}
    env.update(extra)
    return env


# How a failure email states the number of failed attempts it covers. The wording is not in the
# contract; these are the forms that read naturally ("3 failed attempts", "Failed attempts: 3").
COUNT_PATTERNS = [
    re.compile(r"(\d+)\s+failed\s+attempts?", re.I),
    re.compile(r"failed\s+attempts?\s*[:=]\s*(\d+)", re.I),
    re.compile(r"failures?\s*[:=]\s*(\d+)", re.I),
    re.compile(r"(\d+)\s+failures?", re.I),
    re.compile(r"attempts?\s+failed\s*[:=]\s*(\d+)", re.I),
]


def _failure_count(body: str) -> int:
    for p in COUNT_PATTERNS:
        m = p.search(body)
        if m:
            return int(m.group(1))
    raise AssertionError(f"the email does not state how many failed attempts it covers:\n{body}")


def _check_failure_mail(m: Mail, app: dict, ep: dict, url: str, codes=("500",),
                        errors=("http_status",)):
    assert m.subject == f"[hookd] Endpoint failing: {url}", m.subject
    assert m.mail_from == SMTP_FROM, m.mail_from
    body = m.body
    assert ep["id"] in body, f"the email does not name the endpoint id:\n{body}"
    assert url in body, f"the email does not name the URL:\n{body}"
    assert app["name"] in body or app["id"] in body, f"no application in:\n{body}"
    for c in codes:
        assert c in body, f"status {c} missing:\n{body}"
    for e in errors:
        assert e in body, f"error {e} missing:\n{body}"
    assert RFC3339_RE.search(body), f"no RFC 3339 time in:\n{body}"
    _failure_count(body)


@pytest.mark.timeout_s(60)
def test_email_immediate_then_at_most_one_per_interval(hookd_factory, faults, smtp):
    srv, api = _start(hookd_factory, **_smtp_env(smtp, HOOKD_ALERT_IMMEDIATE_INTERVAL="2s"))
    rcv = faults()
    rcv.set("/fail", Status(500, body=b"down"))
    app = api.create_app(alertEmails=["app-team@example.com"])
    et = api.create_event_type()["name"]
    url = rcv.url("/fail")
    ep = api.create_endpoint(app["id"], url, alertEmails=["ops@example.com", "app-team@example.com"],
                             alertFrequency="immediate")
    t0 = time.monotonic()
    n = 0
    while time.monotonic() < t0 + 5.0:  # failures keep coming for 5 s: 3 attempts per message
        api.send(app["id"], et, {"n": n})
        n += 1
        time.sleep(0.25)
    rcv.wait_for(3 * n, route="/fail", timeout=5)
    first_failure = rcv.snapshot("/fail")[0].time
    time.sleep(max(0.0, t0 + 9.0 - time.monotonic()))
    mails = smtp.snapshot()
    assert mails, "no failure email at all"
    assert mails[0].time - first_failure <= 1.5, \
        f"the first failure email came {mails[0].time - first_failure:.2f}s after the failure"
    gaps = [b.time - a.time for a, b in zip(mails, mails[1:])]
    assert all(g >= 1.8 for g in gaps), f"emails closer than the 2s interval: gaps {gaps}"
    assert 3 <= len(mails) <= 5, f"{len(mails)} emails for 5.5 s of failures at a 2 s interval"
    for m in mails:
        _check_failure_mail(m, app, ep, url)
        assert sorted(m.rcpt_tos) == ["app-team@example.com", "ops@example.com"], \
            f"recipients must be the endpoint's plus the application's, each once: {m.rcpt_tos}"
    total = sum(_failure_count(m.body) for m in mails)
    assert total == 3 * n, f"the emails cover {total} failed attempts of {3 * n}"


@pytest.mark.timeout_s(60)
@pytest.mark.parametrize("ep_freq,app_freq", [("hourly", "immediate"), ("daily", None),
                                              (None, "hourly")],
                         ids=["hourly-endpoint-wins", "daily", "hourly-from-app"])
def test_email_digest(hookd_factory, faults, smtp, ep_freq, app_freq):
    srv, api = _start(hookd_factory, **_smtp_env(smtp, HOOKD_ALERT_HOURLY_INTERVAL="3s",
                                                  HOOKD_ALERT_DAILY_INTERVAL="3s",
                                                  HOOKD_ALERT_IMMEDIATE_INTERVAL="1s"))
    rcv = faults()
    rcv.set("/d", Status(502, body=b"bad gateway"))
    app = api.create_app(alertEmails=["app@example.com"],
                         **({"alertFrequency": app_freq} if app_freq else {}))
    et = api.create_event_type()["name"]
    url = rcv.url("/d")
    ep = api.create_endpoint(app["id"], url, alertEmails=["digest@example.com"],
                             **({"alertFrequency": ep_freq} if ep_freq else {}))
    msg = api.send(app["id"], et)
    rcv.wait_for(3, route="/d")
    first_failure = rcv.snapshot("/d")[0].time
    _wait_delivery(api, app["id"], msg["id"], ep["id"], 2)
    time.sleep(max(0.0, first_failure + 2.5 - time.monotonic()))
    assert smtp.snapshot() == [], "an hourly digest went out before its period"
    [m] = smtp.wait_for(1, timeout=first_failure + 5.5 - time.monotonic())
    delay = m.time - first_failure
    assert 2.7 <= delay <= 5.5, f"the digest came {delay:.2f}s after the first failure (period 3s)"
    _check_failure_mail(m, app, ep, url, codes=("502",))
    assert sorted(m.rcpt_tos) == ["app@example.com", "digest@example.com"], m.rcpt_tos
    assert _failure_count(m.body) == 3, m.body
    time.sleep(max(0.0, first_failure + 8.0 - time.monotonic()))
    assert len(smtp.snapshot()) == 1, [x.subject for x in smtp.snapshot()]


@pytest.mark.timeout_s(60)
def test_email_disabled_and_recovered(hookd_factory, faults, smtp):
    srv, api = _start(hookd_factory, **_smtp_env(
        smtp, HOOKD_DISABLE_AFTER_EXHAUSTED="1", HOOKD_RETRY_SCHEDULE="200ms",
        HOOKD_ALERT_IMMEDIATE_INTERVAL="2s"))  # hourly stays 1h: no digest during the test
    rcv = faults()
    rcv.set("/exh", Status(500))
    rcv.set("/gone", Status(410))
    rcv.script("/rec", Status(500, body=b"once"))
    rcv.set("/rec", Status(200))
    rcv.set("/ok", Status(200))
    app = api.create_app()
    et = api.create_event_type()["name"]
    ep_exh = api.create_endpoint(app["id"], rcv.url("/exh"), alertEmails=["exh@example.com"],
                                 alertFrequency="hourly")
    ep_gone = api.create_endpoint(app["id"], rcv.url("/gone"), alertEmails=["gone@example.com"],
                                  alertFrequency="hourly")
    ep_rec = api.create_endpoint(app["id"], rcv.url("/rec"), alertEmails=["rec@example.com"])
    api.create_endpoint(app["id"], rcv.url("/ok"), alertEmails=["ok@example.com"])
    api.send(app["id"], et)

    # disabled: sent at once whatever the frequency, naming the reason
    for ep, path, reason, to in ((ep_exh, "/exh", "exhausted", "exh@example.com"),
                                 (ep_gone, "/gone", "gone", "gone@example.com")):
        _wait_disabled(api, app["id"], ep["id"], timeout=5)
        disabled_at = time.monotonic()
        [m] = smtp.wait_for(1, timeout=3, where=lambda x, to=to: to in x.rcpt_tos)
        assert m.time - disabled_at <= 2.5
        assert m.subject == f"[hookd] Endpoint disabled: {rcv.url(path)}", m.subject
        assert m.rcpt_tos == [to], m.rcpt_tos
        assert ep["id"] in m.body and rcv.url(path) in m.body, m.body
        assert reason in m.body, f"the disabled email does not give the reason {reason!r}:\n{m.body}"
        assert app["name"] in m.body or app["id"] in m.body, m.body
        assert RFC3339_RE.search(m.body), m.body

    # recovered: the first success after a failure alert, sent at once
    mails = smtp.wait_for(2, timeout=5, where=lambda x: "rec@example.com" in x.rcpt_tos)
    assert mails[0].subject == f"[hookd] Endpoint failing: {rcv.url('/rec')}", \
        [x.subject for x in mails]
    assert mails[1].subject == f"[hookd] Endpoint recovered: {rcv.url('/rec')}", \
        [x.subject for x in mails]
    success = rcv.snapshot("/rec")[1].time
    assert mails[1].time - success <= 2.5, "the recovered email was not sent at once"
    assert ep_rec["id"] in mails[1].body and rcv.url("/rec") in mails[1].body, mails[1].body

    time.sleep(2.5)
    assert not [m for m in smtp.snapshot() if "ok@example.com" in m.rcpt_tos], \
        "an endpoint that never failed got an email"
    subjects = sorted(m.subject for m in smtp.snapshot())
    assert len(subjects) == 4, f"exactly: 2 disabled, 1 failing, 1 recovered; got {subjects}"


@pytest.mark.timeout_s(60)
def test_email_recovery_joins_pending_failures(hookd_factory, faults, smtp):
    """"A recovery that comes while failures still wait for their interval joins them: one
    recovered email covering them goes out when they are due" (failures.md, as amended)."""
    srv, api = _start(hookd_factory, **_smtp_env(smtp, HOOKD_ALERT_IMMEDIATE_INTERVAL="3s"))
    rcv = faults()
    rcv.script("/r", Status(500), Status(503))
    rcv.set("/r", Status(200))
    app = api.create_app()
    et = api.create_event_type()["name"]
    url = rcv.url("/r")
    ep = api.create_endpoint(app["id"], url, alertEmails=["r@example.com"])
    msg = api.send(app["id"], et)
    _wait_delivery(api, app["id"], msg["id"], ep["id"], 0)
    assert rcv.count("/r") == 3
    [first] = smtp.wait_for(1, timeout=3)
    _check_failure_mail(first, app, ep, url)
    assert _failure_count(first.body) == 1, first.body  # sent at the first failure
    mails = smtp.wait_for(2, timeout=first.time + 4.5 - time.monotonic())
    rec = mails[1]
    assert rec.subject == f"[hookd] Endpoint recovered: {url}", [m.subject for m in mails]
    delay = rec.time - first.time
    assert 2.7 <= delay <= 4.0, f"the recovered email came {delay:.2f}s after the first (3s interval)"
    assert ep["id"] in rec.body and url in rec.body and RFC3339_RE.search(rec.body), rec.body
    assert _failure_count(rec.body) == 1 and "503" in rec.body, \
        f"the recovered email covers the failure that waited:\n{rec.body}"
    time.sleep(max(0.0, first.time + 7.0 - time.monotonic()))
    assert len(smtp.snapshot()) == 2, [m.subject for m in smtp.snapshot()]


@pytest.mark.timeout_s(60)
def test_email_refused_by_the_mail_server_is_retried(hookd_factory, faults, smtp):
    """"A send the mail server refuses is retried after 10 s, 1 min and 5 min"."""
    smtp.refuse = 1
    srv, api = _start(hookd_factory, **_smtp_env(smtp))
    rcv = faults()
    rcv.set("/x", Status(500))
    app = api.create_app()
    et = api.create_event_type()["name"]
    url = rcv.url("/x")
    ep = api.create_endpoint(app["id"], url, alertEmails=["x@example.com"])
    api.send(app["id"], et)
    wait_until(lambda: smtp.data_commands, 5, 0.05, "a first SMTP send")
    refused_at = smtp.data_commands[0]
    [m] = smtp.wait_for(1, timeout=refused_at + 14 - time.monotonic())
    assert 9.0 <= m.time - refused_at <= 13.0, f"resent {m.time - refused_at:.2f}s after the refusal"
    _check_failure_mail(m, app, ep, url)
    assert len(smtp.data_commands) == 2


def test_email_to_application_recipients_alone(hookd_factory, faults, smtp):
    srv, api = _start(hookd_factory, **_smtp_env(smtp))
    rcv = faults()
    rcv.set("/gone", Status(410))
    app = api.create_app(alertEmails=["team@example.com"], alertFrequency="hourly")
    et = api.create_event_type()["name"]
    url = rcv.url("/gone")
    ep = api.create_endpoint(app["id"], url)  # no recipients of its own
    api.send(app["id"], et)
    _wait_disabled(api, app["id"], ep["id"])
    [m] = smtp.wait_for(1, timeout=3)
    assert m.subject == f"[hookd] Endpoint disabled: {url}" and m.rcpt_tos == ["team@example.com"], m
    assert ep["id"] in m.body and "gone" in m.body, m.body
    time.sleep(1.0)
    assert len(smtp.snapshot()) == 1


def test_alert_settings_are_validated(api):
    app = api.create_app(alertEmails=["a@example.com"], alertFrequency="daily")
    assert app["alertEmails"] == ["a@example.com"] and app["alertFrequency"] == "daily", app
    ep = api.create_endpoint(app["id"], "https://example.com/hook", alertEmails=["b@example.com"],
                             alertFrequency="hourly", maxConcurrency=3)
    assert (ep["alertEmails"], ep["alertFrequency"], ep["maxConcurrency"]) == \
        (["b@example.com"], "hourly", 3), ep
    base = f"/api/v1/app/{app['id']}/endpoint"
    assert_error(api.post(base, {"url": "https://example.com/", "alertFrequency": "weekly"}),
                 422, "validation", "alertFrequency")
    assert_error(api.post(base, {"url": "https://example.com/", "alertEmails": ["nope"]}),
                 422, "validation", "alertEmails")
    for bad in (0, 1001):
        assert_error(api.post(base, {"url": "https://example.com/", "maxConcurrency": bad}),
                     422, "validation", "maxConcurrency")
    assert_error(api.post("/api/v1/app", {"name": "x", "alertFrequency": "sometimes"}),
                 422, "validation", "alertFrequency")


# ---- operational webhooks ---------------------------------------------------------------------


def _ops_events(rcv: FaultReceiver, route: str, secret: str) -> list[dict]:
    """Every operational event received at `route`, each checked for signature and shape."""
    out = []
    for q in rcv.snapshot(route):
        assert verify_signature(secret, q.headers, q.body), \
            f"operational webhook not signed with the endpoint's secret: {q.headers}"
        ev = json.loads(q.body)
        assert set(ev) == {"type", "timestamp", "data"}, ev
        assert ev["type"] in OPERATIONAL_EVENT_TYPES, ev
        assert RFC3339_RE.fullmatch(ev["timestamp"]), ev
        assert isinstance(ev["data"], dict), ev
        ev["_webhook_id"] = q.headers["webhook-id"]
        out.append(ev)
    return out


def _of(events, type_, **data):
    return [e for e in events if e["type"] == type_
            and all(e["data"].get(k) == v for k, v in data.items())]


def _check_attempt_event(api, e, app, msg, ep_id, status_code):
    d = e["data"]
    assert d["appId"] == app and d["msgId"] == msg["id"] and d["endpointId"] == ep_id, e
    assert d["msgEventId"] == msg.get("eventId"), e
    la = d["lastAttempt"]
    assert la["id"].startswith("atmpt_") and RFC3339_RE.fullmatch(la["timestamp"]), e
    assert la["responseStatusCode"] == status_code, e
    r = api.get(f"/api/v1/app/{app}/msg/{msg['id']}/attempt/{la['id']}")
    assert r.status_code == 200, f"lastAttempt.id is not an attempt of the message: {r.text}"
    assert r.json()["responseStatusCode"] == status_code


@pytest.mark.timeout_s(90)
def test_operational_webhooks(hookd_factory, faults):
    ops_uid = "ops-" + secrets.token_hex(4)
    env = dict(FAST, HOOKD_OPERATIONAL_APP=ops_uid, HOOKD_DISABLE_AFTER_EXHAUSTED="2",
               HOOKD_CIRCUIT_WINDOW="0")  # three attempts per delivery
    srv = hookd_factory(env=env)
    api = srv.api()
    ops = api.create_app(name="operations", uid=ops_uid)["id"]
    ops_rcv = faults()
    ops_rcv.set("/ops", Status(200))
    ops_rcv.set("/ops-bad", Status(500))
    ops_ep = api.create_endpoint(ops, ops_rcv.url("/ops"))
    ops_bad = api.create_endpoint(ops, ops_rcv.url("/ops-bad"))  # its failures must not loop
    secret = api.endpoint_secret(ops, ops_ep["id"])
    # the application exists when hookd starts (the contract does not say it must; see
    # test_operational_app_created_after_start for the other order)
    srv.stop()
    srv = hookd_factory(env=env, data_dir=srv.data_dir, token=srv.token)
    api = srv.api()
    for name in OPERATIONAL_EVENT_TYPES:
        r = api.get(f"/api/v1/event-type/{name}")
        assert r.status_code == 200, f"event type {name} not created at start: {r.status_code}"

    rcv = faults()
    rcv.set("/bad", Status(500, body=b"nope"))
    cust = api.create_app()["id"]
    et = api.create_event_type()["name"]
    bad = api.create_endpoint(cust, rcv.url("/bad"), uid="bad-ep")
    m1 = api.send(cust, et, {"n": 1}, eventId="ev-1")
    m2 = api.send(cust, et, {"n": 2}, eventId="ev-2")
    e = _wait_disabled(api, cust, bad["id"], timeout=5)
    assert e["disabledReason"] == "exhausted", e

    def have(type_, n, **data):
        return lambda: len(_of(_ops_events(ops_rcv, "/ops", secret), type_, **data)) >= n
    wait_until(have("endpoint.disabled", 1), 5, 0.1, "endpoint.disabled at the ops endpoint")
    wait_until(have("message.attempt.exhausted", 2), 5, 0.1, "2 message.attempt.exhausted")
    time.sleep(1.0)
    events = _ops_events(ops_rcv, "/ops", secret)
    [dis] = _of(events, "endpoint.disabled")
    d = dis["data"]
    assert (d["appId"], d["endpointId"], d["endpointUid"], d["reason"], d["trigger"]) == \
        (cust, bad["id"], "bad-ep", "exhausted", "automatic"), dis
    assert RFC3339_RE.fullmatch(d["failSince"] or ""), dis
    exhausted = _of(events, "message.attempt.exhausted")
    assert sorted(x["data"]["msgId"] for x in exhausted) == sorted([m1["id"], m2["id"]]), exhausted
    for x in exhausted:
        msg = m1 if x["data"]["msgId"] == m1["id"] else m2
        _check_attempt_event(api, x, cust, msg, bad["id"], 500)
        newest = api.attempts_by_msg(cust, msg["id"])[0]
        assert x["data"]["lastAttempt"]["id"] == newest["id"], (x, newest)
    failing = _of(events, "message.attempt.failing")
    assert sorted(x["data"]["msgId"] for x in failing) == sorted([m1["id"], m2["id"]]), \
        f"message.attempt.failing: at most once per delivery, its first failure: {failing}"
    for x in failing:
        _check_attempt_event(api, x, cust, m1 if x["data"]["msgId"] == m1["id"] else m2,
                             bad["id"], 500)
    # no loops: nothing about the operational application's own endpoints
    assert not [x for x in events if x["data"].get("endpointId") == ops_bad["id"]
                or x["data"].get("appId") in (ops, ops_uid)], events
    # the events are messages of the operational application
    ops_msgs = api.list_all(f"/api/v1/app/{ops}/msg")
    assert dis["_webhook_id"] in {m["id"] for m in ops_msgs}
    [stored] = [m for m in ops_msgs if m["id"] == dis["_webhook_id"]]
    assert stored["eventType"] == "endpoint.disabled" and stored["payload"]["data"] == d, stored

    # enabling publishes endpoint.enabled; a success after a failure publishes recovered
    rcv.script("/bad", Status(500), Status(503))
    rcv.set("/bad", Status(200))
    r = api.patch(f"/api/v1/app/{cust}/endpoint/{bad['id']}", {"disabled": False})
    assert r.status_code == 200, r.text
    wait_until(have("endpoint.enabled", 1), 5, 0.1, "endpoint.enabled")
    [en] = _of(_ops_events(ops_rcv, "/ops", secret), "endpoint.enabled")
    assert (en["data"]["appId"], en["data"]["endpointId"], en["data"]["endpointUid"]) == \
        (cust, bad["id"], "bad-ep"), en
    m3 = api.send(cust, et, {"n": 3}, eventId="ev-3")
    _wait_delivery(api, cust, m3["id"], bad["id"], 0)
    wait_until(have("message.attempt.recovered", 1, msgId=m3["id"]), 5, 0.1,
               "message.attempt.recovered")
    events = _ops_events(ops_rcv, "/ops", secret)
    [rec] = _of(events, "message.attempt.recovered")
    _check_attempt_event(api, rec, cust, m3, bad["id"], 200)
    assert len(_of(events, "message.attempt.failing", msgId=m3["id"])) == 1
    assert len(_of(events, "endpoint.disabled")) == 1, "the ops app's own endpoint was published"


def test_operational_app_named_by_id(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    ops = api.create_app(name="operations")["id"]
    rcv = faults()
    rcv.set("/ops", Status(200))
    rcv.set("/gone", Status(410))
    ops_ep = api.create_endpoint(ops, rcv.url("/ops"))
    secret = api.endpoint_secret(ops, ops_ep["id"])
    srv.stop()
    srv2 = hookd_factory(env=dict(FAST, HOOKD_OPERATIONAL_APP=ops), data_dir=srv.data_dir,
                         token=srv.token)
    api2 = srv2.api()
    app, et, ep = _setup(api2, rcv.url("/gone"))
    api2.send(app, et)
    _wait_disabled(api2, app, ep["id"])
    wait_until(lambda: _of(_ops_events(rcv, "/ops", secret), "endpoint.disabled"), 5, 0.1,
               "endpoint.disabled published to the operational app named by its id")
    [dis] = _of(_ops_events(rcv, "/ops", secret), "endpoint.disabled")
    assert (dis["data"]["appId"], dis["data"]["endpointId"], dis["data"]["reason"],
            dis["data"]["trigger"]) == (app, ep["id"], "gone", "automatic"), dis


def test_operational_app_created_after_start(hookd_factory, faults):
    """The contract names the application by id or uid without requiring it to exist at start."""
    ops_uid = "ops-late-" + secrets.token_hex(4)
    srv, api = _start(hookd_factory, HOOKD_OPERATIONAL_APP=ops_uid)
    ops = api.create_app(name="operations", uid=ops_uid)["id"]
    rcv = faults()
    rcv.set("/ops", Status(200))
    rcv.set("/gone", Status(410))
    ops_ep = api.create_endpoint(ops, rcv.url("/ops"))
    secret = api.endpoint_secret(ops, ops_ep["id"])
    app, et, ep = _setup(api, rcv.url("/gone"))
    api.send(app, et)
    _wait_disabled(api, app, ep["id"])
    wait_until(lambda: _of(_ops_events(rcv, "/ops", secret), "endpoint.disabled"), 5, 0.1,
               "endpoint.disabled published to an operational app created after start")
    [dis] = _of(_ops_events(rcv, "/ops", secret), "endpoint.disabled")
    assert (dis["data"]["endpointId"], dis["data"]["reason"]) == (ep["id"], "gone"), dis


# ---- replay -------------------------------------------------------------------------------------


@pytest.mark.timeout_s(60)
def test_recover_requeues_exactly_the_failed_window(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_RETRY_SCHEDULE="200ms", HOOKD_DISABLE_AFTER_EXHAUSTED="0",
                      HOOKD_CIRCUIT_WINDOW="0")
    rcv = faults()
    rcv.set("/r", Dynamic(lambda q: Status(200) if b'"ok"' in q.body else Status(500)))
    app, et, ep = _setup(api, rcv.url("/r"))
    msgs = {}
    for name in ("before1", "before2", "first", "inside", "ok-inside", "until", "after"):
        payload = {"ok": True} if name == "ok-inside" else {"name": name}
        msgs[name] = api.send(app, et, payload)
        time.sleep(0.05)  # distinct creation times (ms)
    for name, m in msgs.items():
        _wait_delivery(api, app, m["id"], ep["id"], 0 if name == "ok-inside" else 2)
    time.sleep(0.3)
    since, until = msgs["first"]["timestamp"], msgs["until"]["timestamp"]
    assert since < msgs["inside"]["timestamp"] < until
    base_count = rcv.count("/r")
    window = ("first", "inside")

    # a replay that fails again leaves the deliveries failed: one manual attempt each
    r = api.post(f"/api/v1/app/{app}/endpoint/{ep['id']}/recover", {"since": since, "until": until})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["id"].startswith("rcv_") and body["count"] == 2, body
    rcv.wait_for(base_count + 2, route="/r", timeout=5)
    time.sleep(0.8)
    assert rcv.count("/r") == base_count + 2, "a replay is one attempt, not a new schedule"
    for name in window:
        atts = api.attempts_by_msg(app, msgs[name]["id"])
        assert (atts[0]["triggerType"], atts[0]["status"]) == (1, 2), atts[0]
        assert api.delivery_status(app, msgs[name]["id"], ep["id"]) == 2

    # with the receiver healthy, the same window succeeds; nothing outside it is sent
    rcv.set("/r", Status(200))
    r = api.post(f"/api/v1/app/{app}/endpoint/{ep['id']}/recover", {"since": since, "until": until})
    assert r.status_code == 202, r.text
    assert r.json()["count"] == 2, r.json()
    for name in window:
        _wait_delivery(api, app, msgs[name]["id"], ep["id"], 0)
        atts = api.attempts_by_msg(app, msgs[name]["id"])
        assert _outcomes(atts[:1]) == [(0, 200, "none")] and atts[0]["triggerType"] == 1, atts
        assert len(rcv.by_webhook_id(msgs[name]["id"])) == 4  # 2 automatic, 2 manual
    time.sleep(0.5)
    for name in ("before1", "before2", "until", "after"):
        assert api.delivery_status(app, msgs[name]["id"], ep["id"]) == 2, name
        assert len(rcv.by_webhook_id(msgs[name]["id"])) == 2, f"{name} was replayed"
    assert len(rcv.by_webhook_id(msgs["ok-inside"]["id"])) == 1, "a successful delivery was replayed"

    # without until: everything failed from since on
    r = api.post(f"/api/v1/app/{app}/endpoint/{ep['id']}/recover", {"since": until})
    assert r.status_code == 202 and r.json()["count"] == 2, r.text
    for name in ("until", "after"):
        _wait_delivery(api, app, msgs[name]["id"], ep["id"], 0)
    assert_error(api.post(f"/api/v1/app/{app}/endpoint/{ep['id']}/recover", {"since": "yesterday"}),
                 422, "validation", "since")
    assert_error(api.post(f"/api/v1/app/{app}/endpoint/{ep['id']}/recover", {}),
                 422, "validation", "since")


@pytest.mark.timeout_s(60)
def test_a_second_replay_call_sends_nothing_twice(hookd_factory, faults):
    """Replays in flight are not sent again by a retry call made before their outcome is
    recorded (before the fix, a quick second call sent most of them twice)."""
    srv, api = _start(hookd_factory, HOOKD_RETRY_SCHEDULE="100ms", HOOKD_DISABLE_AFTER_EXHAUSTED="0",
                      HOOKD_CIRCUIT_WINDOW="0")
    rcv = faults()
    rcv.set("/s", Status(500))
    app, et, ep = _setup(api, rcv.url("/s"))
    msgs = [api.send(app, et, {"n": i}) for i in range(20)]
    for m in msgs:
        _wait_delivery(api, app, m["id"], ep["id"], 2)
    base = rcv.count("/s")
    rcv.set("/s", Status(200, delay=0.5))  # slow: the first replays are still in flight
    first = api.post(f"/api/v1/app/{app}/retry", {})
    second = api.post(f"/api/v1/app/{app}/retry", {})
    assert first.status_code == 202 and first.json()["count"] == 20, first.text
    assert second.status_code == 202, second.text
    for m in msgs:
        _wait_delivery(api, app, m["id"], ep["id"], 0)
    time.sleep(1.0)
    assert rcv.count("/s") == base + 20, "a delivery was replayed twice"
    for m in msgs:
        manual = [a for a in api.attempts_by_msg(app, m["id"]) if a["triggerType"] == 1]
        assert len(manual) == 1, manual


def test_bulk_retry_filters_by_event_type_and_endpoint(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_RETRY_SCHEDULE="200ms", HOOKD_DISABLE_AFTER_EXHAUSTED="0",
                      HOOKD_CIRCUIT_WINDOW="0")
    rcv = faults()
    rcv.set("/x", Status(500))
    rcv.set("/y", Status(500))
    app = api.create_app()["id"]
    ta, tb = api.create_event_type()["name"], api.create_event_type()["name"]
    ex = api.create_endpoint(app, rcv.url("/x"))
    ey = api.create_endpoint(app, rcv.url("/y"))
    a_msgs = [api.send(app, ta, {"k": f"a{i}"}) for i in range(3)]
    start = a_msgs[0]["timestamp"]
    b_msgs = [api.send(app, tb, {"k": f"b{i}"}) for i in range(3)]
    all_msgs = a_msgs + b_msgs
    for m in all_msgs:
        for e in (ex, ey):
            _wait_delivery(api, app, m["id"], e["id"], 2)
    rcv.set("/x", Status(200))
    rcv.set("/y", Status(200))
    before = rcv.count()

    r = api.post(f"/api/v1/app/{app}/retry", {"since": start, "eventTypes": [ta]})
    assert r.status_code == 202, r.text
    assert r.json()["count"] == 6, f"3 messages of type a x 2 endpoints: {r.json()}"
    rcv.wait_for(before + 6, timeout=5)
    time.sleep(0.5)
    assert rcv.count() == before + 6
    for m in b_msgs:
        for e in (ex, ey):
            assert api.delivery_status(app, m["id"], e["id"]) == 2

    r = api.post(f"/api/v1/app/{app}/retry", {"since": start, "eventTypes": [tb],
                                              "endpointId": ey["id"]})
    assert r.status_code == 202 and r.json()["count"] == 3, r.text
    for m in b_msgs:
        _wait_delivery(api, app, m["id"], ey["id"], 0)
        atts = api.attempts_by_msg(app, m["id"], endpoint_id=ey["id"])
        assert atts[0]["triggerType"] == 1, atts
    time.sleep(0.5)
    for m in b_msgs:
        assert api.delivery_status(app, m["id"], ex["id"]) == 2, "another endpoint was retried"
    for m in a_msgs:
        for e in (ex, ey):
            assert api.delivery_status(app, m["id"], e["id"]) == 0
    assert rcv.count() == before + 9


@pytest.mark.timeout_s(240)
def test_bulk_retry_takes_at_most_10000_per_call(hookd_factory, faults):
    """"At most 10,000 deliveries per call (count says how many); call again for more"."""
    srv, api = _start(hookd_factory, HOOKD_RETRY_SCHEDULE="100ms", HOOKD_CIRCUIT_WINDOW="0",
                      HOOKD_DISABLE_AFTER_EXHAUSTED="0")
    port = free_port()  # nothing listens yet: every attempt fails at once (connection refused)
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    eps = [api.create_endpoint(app, f"http://127.0.0.1:{port}/e{i}") for i in range(10)]
    sent = _send_many(srv, app, et, [{"i": i} for i in range(1001)], threads=4)
    since = min(m["timestamp"] for m, _ in sent)
    last = max(sent, key=lambda x: x[0]["timestamp"])[0]
    for e in eps:
        _wait_delivery(api, app, last["id"], e["id"], 2, timeout=120)

    def metric(name):
        r = requests.get(srv.base_url + "/metrics", timeout=5)
        return metric_value(r.text, name) or 0
    wait_until(lambda: metric("hookd_attempts_failed_total") >= 20020, 120, 0.5,
               "20,020 failed attempts")
    rcv = faults(port=port)
    r = api.post(f"/api/v1/app/{app}/retry", {"since": since})
    assert r.status_code == 202, r.text
    assert r.json()["count"] == 10000, r.json()
    rcv.wait_for(10000, timeout=120)
    # the replays' outcomes are recorded before the next call (one made while replays are still
    # in flight finds those deliveries still failed)
    wait_until(lambda: metric("hookd_deliveries_succeeded_total") >= 10000, 30, 0.2,
               "10,000 replayed deliveries counted as succeeded")
    wait_until(lambda: sum(len(_ep_attempts(api, app, e["id"], status=0)) for e in eps) >= 10000,
               30, 0.5, "10,000 successful attempts stored")
    r = api.post(f"/api/v1/app/{app}/retry", {"since": since})
    assert r.status_code == 202, r.text
    assert r.json()["count"] == 10, f"the second call takes the 10 left: {r.json()}"
    rcv.wait_for(10010, timeout=30)
    time.sleep(1.0)
    assert rcv.count() == 10010
    pairs = {(q.headers["webhook-id"], q.route) for q in rcv.snapshot()}
    assert len(pairs) == 10010, "some delivery was replayed twice, another not at all"


def test_replay_sends_nothing_to_a_disabled_endpoint(hookd_factory, faults):
    """"A disabled endpoint receives nothing", replays included."""
    srv, api = _start(hookd_factory, HOOKD_RETRY_SCHEDULE="100ms", HOOKD_CIRCUIT_WINDOW="0",
                      HOOKD_DISABLE_AFTER_EXHAUSTED="0")
    rcv = faults()
    rcv.set("/on", Status(500))
    rcv.set("/off", Status(500))
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    on = api.create_endpoint(app, rcv.url("/on"))
    off = api.create_endpoint(app, rcv.url("/off"))
    msg = api.send(app, et)
    for e in (on, off):
        _wait_delivery(api, app, msg["id"], e["id"], 2)
    assert api.patch(f"/api/v1/app/{app}/endpoint/{off['id']}", {"disabled": True}).status_code == 200
    rcv.set("/on", Status(200))
    rcv.set("/off", Status(200))
    r = api.post(f"/api/v1/app/{app}/retry", {"since": msg["timestamp"]})
    assert r.status_code == 202, r.text
    r = api.post(f"/api/v1/app/{app}/endpoint/{off['id']}/recover", {"since": msg["timestamp"]})
    assert r.status_code in (202, 422), r.text
    _wait_delivery(api, app, msg["id"], on["id"], 0)
    time.sleep(1.0)
    assert rcv.count("/off") == 2, "a replay reached a disabled endpoint"


# ---- protecting receivers -------------------------------------------------------------------------


# The token bucket's rates (the 1 s burst, 20/s, 1/s) are checked exactly on a fake clock in
# src/delivery/endpoint_gate_test.cpp; this test proves the wiring end to end: an endpoint's
# throttleRate reaches its bucket and the receiver sees requests spaced by it.
def test_throttle_rate_of_one_per_second(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    rcv = faults()
    app, et, ep = _setup(api, rcv.url("/t1"), throttleRate=1)
    _send_many(srv, app, et, [{"i": i} for i in range(6)], threads=3)
    reqs = rcv.wait_for(6, route="/t1", timeout=10)
    times = sorted(q.time for q in reqs)
    gaps = [round(b - a, 2) for a, b in zip(times, times[1:])]
    assert all(0.9 <= g <= 1.1 for g in gaps), f"throttleRate 1 (burst 1) gave gaps {gaps}"


def test_max_concurrency(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    rcv = faults()
    rcv.set("/capped", Status(200, delay=0.2))
    rcv.set("/free", Status(200, delay=0.2))
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, rcv.url("/capped"), maxConcurrency=2)
    api.create_endpoint(app, rcv.url("/free"))
    _send_many(srv, app, et, [{"i": i} for i in range(20)], threads=4)
    rcv.wait_for(20, route="/capped", timeout=15)
    rcv.wait_for(20, route="/free", timeout=15)
    assert rcv.peak_concurrency("/free") > 2, \
        f"control: without maxConcurrency the receiver saw {rcv.peak_concurrency('/free')} at once"
    assert rcv.peak_concurrency("/capped") <= 2, \
        f"maxConcurrency 2, but {rcv.peak_concurrency('/capped')} requests were in flight at once"
    assert rcv.peak_concurrency("/capped") == 2, "maxConcurrency 2 never used its second slot"


def test_max_concurrency_change_applies(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    rcv = faults()
    rcv.set("/one", Status(200, delay=0.15))
    app, et, ep = _setup(api, rcv.url("/one"))
    r = api.patch(f"/api/v1/app/{app}/endpoint/{ep['id']}", {"maxConcurrency": 1})
    assert r.status_code == 200 and r.json()["maxConcurrency"] == 1, r.text
    _send_many(srv, app, et, [{"i": i} for i in range(10)], threads=4)
    rcv.wait_for(10, route="/one", timeout=10)
    assert rcv.peak_concurrency("/one") == 1


def test_throttled_endpoint_does_not_slow_others(hookd_factory, faults):
    srv, api = _start(hookd_factory)
    rcv = faults()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, rcv.url("/slowpoke"), throttleRate=2)
    api.create_endpoint(app, rcv.url("/fast"))
    sent = _send_many(srv, app, et, [{"i": i} for i in range(60)], threads=4)
    sent_at = {m["id"]: t for m, t in sent}
    got = rcv.wait_for(60, route="/fast", timeout=5)
    worst = max(q.time - sent_at[q.headers["webhook-id"]] for q in got)
    assert worst < 1.0, f"an unthrottled endpoint waited {worst:.2f}s behind a throttled one"
    assert rcv.count("/slowpoke") <= 2 + 2 * (time.monotonic() - min(sent_at.values())) + 1


# ---- network safety -------------------------------------------------------------------------------


@pytest.mark.parametrize("allow", [None, "192.168.0.0/16"], ids=["default", "other-allow-list"])
def test_ssrf_refusals(hookd_factory, faults, allow):
    srv, api = _start(hookd_factory, HOOKD_SSRF_ALLOW=allow)
    rcv = faults()
    app = api.create_app()["id"]
    for url, host in (("http://10.0.0.1/", "10.0.0.1"),
                      ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
                      (f"http://[::1]:{rcv.port}/", "::1")):
        r = api.post(f"/api/v1/app/{app}/endpoint", {"url": url})
        if r.status_code == 201:
            api.delete(f"/api/v1/app/{app}/endpoint/{r.json()['id']}")
        body = assert_error(r, 422, "validation", "url")
        assert host in body["detail"], f"the error does not name the address: {body}"

    # names that resolve to 127.0.0.1: refused at creation (hookd knows "localhost"), or accepted
    # there and refused on every connect, after DNS resolution
    et = api.create_event_type()["name"]
    for host in ["localhost"] + _hosts_file_loopback_aliases():
        r = api.post(f"/api/v1/app/{app}/endpoint", {"url": f"http://{host}:{rcv.port}/ssrf"})
        if r.status_code == 422:
            body = assert_error(r, 422, "validation", "url")
            assert host in body["detail"], body
            continue
        assert r.status_code == 201, (host, r.status_code, r.text)
        ep = r.json()
        _check_blocked_on_every_attempt(api, app, et, ep, host)
        api.delete(f"/api/v1/app/{app}/endpoint/{ep['id']}")
    assert rcv.count() == 0, "the loopback receiver was reached"


def _hosts_file_loopback_aliases() -> list[str]:
    """Names in /etc/hosts for 127.0.0.1 other than localhost (e.g. the machine's own name)."""
    import socket
    names = []
    try:
        lines = open("/etc/hosts").read().splitlines()
    except OSError:
        return names
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2 or fields[0] != "127.0.0.1":
            continue
        for name in fields[1:]:
            if name == "localhost" or name.endswith(".localhost") or name in names:
                continue
            try:
                addrs = {a[4][0] for a in socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP)}
            except OSError:
                continue
            if addrs == {"127.0.0.1"}:
                names.append(name)
    return names[:2]


def _check_blocked_on_every_attempt(api, app, et, ep, host):
    msg = api.send(app, et)
    _wait_delivery(api, app, msg["id"], ep["id"], 2)
    atts = api.attempts_by_msg(app, msg["id"], endpoint_id=ep["id"])
    assert _outcomes(atts) == [(2, 0, "ssrf_blocked")] * 3, \
        f"{host}: refused on every connect, so on every retry: {atts}"
    for a in atts:
        # (libcurl resolves "localhost" itself, to ::1 as well as 127.0.0.1)
        assert "127.0.0.1" in a["response"] or "::1" in a["response"], \
            f"the attempt does not say which address was refused: {a}"
    h = _health(api, app, ep["id"])
    assert h["lastError"] == "ssrf_blocked", h


def test_ssrf_name_resolving_to_loopback_is_refused_on_the_attempt(hookd_factory, faults):
    """An endpoint whose host name resolves to 127.0.0.1, made while loopback was allowed, is
    refused on every attempt once it is not (portable: needs no /etc/hosts entry but localhost)."""
    rcv = faults()
    srv, api = _start(hookd_factory, HOOKD_SSRF_ALLOW="127.0.0.0/8")
    app, et, ep = _setup(api, f"http://localhost:{rcv.port}/name")
    srv.stop()
    srv2 = hookd_factory(env=dict(FAST, HOOKD_SSRF_ALLOW=None), data_dir=srv.data_dir,
                         token=srv.token)
    _check_blocked_on_every_attempt(srv2.api(), app, et, ep, "localhost")
    assert rcv.count() == 0, "the loopback receiver was reached"


def test_https_only(hookd_factory):
    srv, api = _start(hookd_factory, HOOKD_HTTPS_ONLY="true")
    app = api.create_app()["id"]
    r = api.post(f"/api/v1/app/{app}/endpoint", {"url": "http://example.com/hook"})
    if r.status_code == 201:
        api.delete(f"/api/v1/app/{app}/endpoint/{r.json()['id']}")
    body = assert_error(r, 422, "validation", "url")
    assert "https" in body["detail"], body
    ep = api.create_endpoint(app, "https://example.com/hook")  # no message is sent to it
    assert ep["url"] == "https://example.com/hook"
    r = api.patch(f"/api/v1/app/{app}/endpoint/{ep['id']}", {"url": "http://example.com/hook"})
    assert_error(r, 422, "validation", "url")
    assert _endpoint(api, app, ep["id"])["url"] == "https://example.com/hook"


def test_https_only_applies_to_endpoints_made_before(hookd_factory, faults):
    """"endpoint URLs must be https://, and deliveries use nothing else" (configuration.md)."""
    rcv = faults()
    srv, api = _start(hookd_factory)
    app, et, ep = _setup(api, rcv.url("/plain"))
    srv.stop()
    srv2 = hookd_factory(env=dict(FAST, HOOKD_HTTPS_ONLY="true"), data_dir=srv.data_dir,
                         token=srv.token)
    api2 = srv2.api()
    msg = api2.send(app, et)
    time.sleep(1.5)
    assert rcv.count() == 0, "an http:// receiver was reached with https_only"
    assert api2.delivery_status(app, msg["id"], ep["id"]) != 0


# ---- retention ------------------------------------------------------------------------------------


def test_retention_keeps_recent_data(hookd_factory, faults):
    srv, api = _start(hookd_factory, HOOKD_RETENTION_DAYS="1", HOOKD_RETENTION_INTERVAL="300ms",
                      HOOKD_RETRY_SCHEDULE="200ms", HOOKD_DISABLE_AFTER_EXHAUSTED="0")
    rcv = faults()
    rcv.set("/ok", Status(200))
    rcv.set("/fail", Status(500))
    rcv.set("/gone", Status(410))
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    eps = [api.create_endpoint(app, rcv.url(p)) for p in ("/ok", "/fail", "/gone")]
    msg = api.send(app, et)
    for ep, st in zip(eps, (0, 2, 3)):
        _wait_delivery(api, app, msg["id"], ep["id"], st)
    time.sleep(1.5)  # several pruning runs
    r = api.get(f"/api/v1/app/{app}/msg/{msg['id']}")
    assert r.status_code == 200, f"a recent message was pruned: {r.status_code}"
    assert len(api.attempts_by_msg(app, msg["id"])) == 1 + 2 + 1
    assert [api.delivery_status(app, msg["id"], ep["id"]) for ep in eps] == [0, 2, 3]
    srv.stop()
    srv2 = hookd_factory(env=dict(FAST, HOOKD_RETENTION_DAYS="0"), data_dir=srv.data_dir,
                         token=srv.token)
    assert srv2.api().get(f"/api/v1/app/{app}/msg/{msg['id']}").status_code == 200


@pytest.mark.sqlite_only  # ages a message in hookd.db itself
def test_retention_deletes_old_messages_with_their_deliveries_and_attempts(hookd_factory, faults):
    """White-box: ages one message by rewriting its created_at in hookd.db (server stopped), as
    waiting retention_days is not an option; then checks through the API what was deleted."""
    import sqlite3
    rcv = faults()
    rcv.set("/ok", Status(200))
    rcv.set("/gone", Status(410))
    srv, api = _start(hookd_factory, HOOKD_RETENTION_DAYS="30")
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ok = api.create_endpoint(app, rcv.url("/ok"))
    gone = api.create_endpoint(app, rcv.url("/gone"))
    old = api.send(app, et, {"age": "old"})
    _wait_disabled(api, app, gone["id"])
    _wait_delivery(api, app, old["id"], ok["id"], 0)
    assert api.delivery_status(app, old["id"], gone["id"]) == 3  # kept for the disabled endpoint
    new = api.send(app, et, {"age": "new"})
    _wait_delivery(api, app, new["id"], ok["id"], 0)
    srv.stop()

    db = sqlite3.connect(srv.data_dir / "hookd.db")
    with db:
        n = db.execute("UPDATE messages SET created_at = created_at - ? WHERE id = ?",
                       (40 * 86_400_000, old["id"])).rowcount
    db.close()
    assert n == 1, "hookd.db has no messages.created_at to age (schema changed?)"

    srv2 = hookd_factory(env=dict(FAST, HOOKD_RETENTION_DAYS="30",
                                  HOOKD_RETENTION_INTERVAL="300ms"),
                         data_dir=srv.data_dir, token=srv.token)
    api2 = srv2.api()
    wait_until(lambda: api2.get(f"/api/v1/app/{app}/msg/{old['id']}").status_code == 404, 15, 0.2,
               "the 40-day-old message to be pruned")
    assert api2.get(f"/api/v1/app/{app}/msg/{new['id']}").status_code == 200
    ok_attempts = {a["msgId"] for a in _ep_attempts(api2, app, ok["id"])}
    assert ok_attempts == {new["id"]}, f"attempts of the pruned message remain: {ok_attempts}"
    assert _ep_attempts(api2, app, gone["id"]) == []
    # its pending delivery to the disabled endpoint went with it
    rcv.set("/gone", Status(200))
    r = api2.patch(f"/api/v1/app/{app}/endpoint/{gone['id']}", {"disabled": False})
    assert r.status_code == 200, r.text
    time.sleep(1.0)
    assert rcv.count("/gone") == 1, "a pruned delivery was sent after re-enabling"
