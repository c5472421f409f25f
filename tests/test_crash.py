"""Durability: every message answered 202 before a `kill -9` is delivered after a restart."""

from __future__ import annotations

import collections
import json
import secrets
import threading
import time

import pytest
import requests

from hookd_support import Reply

TOTAL = 3000          # messages the senders try to send
THREADS = 8
KILL_AFTER = 1500     # kill -9 once this many 202s have come back
SEND_BUDGET_S = 45    # kill anyway after this long
DELIVERY_BUDGET_S = 60


def _send_and_kill(srv, app, et, total, kill_after, prefix):
    """Sends `total` messages from THREADS threads and `kill -9`s hookd after `kill_after` 202s.

    Returns {eventId: msg id} for every 202 that came back.
    """
    url = f"{srv.base_url}/api/v1/app/{app}/msg"
    headers = {"Authorization": f"Bearer {srv.token}", "Content-Type": "application/json"}
    lock = threading.Lock()
    acked: dict[str, str] = {}
    statuses = collections.Counter()       # other answers seen before the kill
    errors = collections.Counter()
    enough = threading.Event()
    killed = threading.Event()
    counter = iter(range(total))

    def sender():
        session = requests.Session()
        while not killed.is_set():
            with lock:
                i = next(counter, None)
            if i is None:
                return
            event_id = f"{prefix}-{i}"
            body = json.dumps({"eventType": et, "eventId": event_id,
                               "payload": {"i": i, "pad": "p" * 200}})
            try:
                r = session.post(url, data=body, headers=headers, timeout=10)
            except requests.RequestException as e:
                with lock:
                    errors[type(e).__name__] += 1
                if killed.is_set():
                    return
                continue
            with lock:
                if r.status_code == 202:
                    acked[event_id] = r.json()["id"]
                    if len(acked) >= kill_after:
                        enough.set()
                elif not killed.is_set():
                    statuses[r.status_code] += 1

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(THREADS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    enough.wait(SEND_BUDGET_S)
    srv.kill9()
    killed.set()
    send_time = time.monotonic() - t0
    for t in threads:
        t.join(15)
    assert not any(t.is_alive() for t in threads), "senders did not stop after the kill"
    with lock:
        acked = dict(acked)
    assert len(acked) >= min(100, kill_after), (
        f"only {len(acked)} messages accepted in {send_time:.1f}s before the kill; "
        f"errors {dict(errors)}")
    assert not statuses, f"non-202 answers before the kill: {dict(statuses)}"
    print(f"\n{len(acked)} acknowledged in {send_time:.1f}s before kill -9")
    return acked


def _wait_all_arrive(receiver, want, since=0.0):
    def missing():
        got = {q.headers.get("webhook-id") for q in receiver.snapshot() if q.time >= since}
        return want - got

    deadline = time.monotonic() + DELIVERY_BUDGET_S
    left = missing()
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = missing()
    assert not left, (f"{len(left)} of {len(want)} acknowledged messages never arrived within "
                      f"{DELIVERY_BUDGET_S}s of the restart, e.g. {sorted(left)[:5]}")


def _check_store(api2, app, et, acked):
    """The store still knows the messages, and eventId idempotency survived the crash."""
    sample = list(acked.items())[:: max(1, len(acked) // 50)]
    for event_id, msg_id in sample:
        r = api2.get(f"/api/v1/app/{app}/msg/{msg_id}")
        assert r.status_code == 200, (msg_id, r.status_code, r.text)
        assert r.json()["eventId"] == event_id
    event_id, _ = sample[0]
    r = api2.post(f"/api/v1/app/{app}/msg", {"eventType": et, "eventId": event_id, "payload": {}})
    assert r.status_code == 409, (r.status_code, r.text)


@pytest.mark.timeout_s(170)
def test_kill9_mid_stream_loses_no_acknowledged_message(hookd_factory, receiver, tmp_path):
    data_dir = tmp_path / "crash-data"
    token = "crash-" + secrets.token_hex(8)
    srv = hookd_factory(data_dir=data_dir, token=token)
    api = srv.api()
    app = api.create_app("crash")["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, receiver.url())

    acked = _send_and_kill(srv, app, et, TOTAL, KILL_AFTER, "crash")
    before = len({q.headers.get("webhook-id") for q in receiver.snapshot()})
    print(f"{before} distinct messages delivered before the kill")

    # restart on the same data dir; every acknowledged message must reach the receiver
    srv2 = hookd_factory(data_dir=data_dir, token=token)
    _wait_all_arrive(receiver, set(acked.values()))
    _check_store(srv2.api(), app, et, acked)
    assert requests.get(srv2.base_url + "/health", timeout=5).status_code == 204


@pytest.mark.timeout_s(150)
def test_pending_retries_survive_kill9(hookd_factory, receiver, tmp_path):
    """The receiver is down (503) while messages are accepted; after kill -9 and a restart, each
    acknowledged message is delivered from the stored retry state alone."""
    data_dir = tmp_path / "retry-data"
    token = "crash-" + secrets.token_hex(8)
    env = {"HOOKD_RETRY_SCHEDULE": ",".join(["1s"] * 60)}
    srv = hookd_factory(env=env, data_dir=data_dir, token=token)
    api = srv.api()
    app = api.create_app("retry-crash")["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, receiver.url())
    receiver.default = Reply(503, body=b"down")

    acked = _send_and_kill(srv, app, et, 1000, 500, "retry")
    receiver.default = Reply(200)
    t_restart = time.monotonic()
    srv2 = hookd_factory(env=env, data_dir=data_dir, token=token)
    _wait_all_arrive(receiver, set(acked.values()), since=t_restart)
    _check_store(srv2.api(), app, et, acked)
