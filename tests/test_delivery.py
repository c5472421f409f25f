"""Delivery against docs/api.md: bytes, headers, signatures, filters, retries, isolation, SSRF."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from hookd_support import (TIMESTAMP_RE, Reply, assert_error, free_port, metric_value,
                           node_verify, sign, signature_entries, verify_signature, wait_until)

ATTEMPT_FIELDS = ("id", "msgId", "endpointId", "url", "response", "responseStatusCode",
                  "responseDurationMs", "status", "statusText", "triggerType", "timestamp",
                  "errorClass")


def _check_attempt(a, msg_id=None, ep_id=None):
    for k in ATTEMPT_FIELDS:
        assert k in a, f"MessageAttemptOut lacks {k}: {a}"
    assert a["id"].startswith("atmpt_"), a
    assert TIMESTAMP_RE.match(a["timestamp"]), a
    assert a["status"] in (0, 2), f"attempts are never pending: {a}"
    assert a["statusText"] == {0: "success", 2: "fail"}[a["status"]], a
    if msg_id:
        assert a["msgId"] == msg_id, a
    if ep_id:
        assert a["endpointId"] == ep_id, a


def _setup(api, url, **ep_fields):
    app = api.create_app()
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app["id"], url, **ep_fields)
    return app["id"], et, ep


# ---- what a delivery looks like ----------------------------------------------------------

RAW_PAYLOADS = [
    b'{"a":  1,"b":[1, 2]}',
    b'{\n  "s" : "caf\\u00e9 \xe2\x98\x95 \\"q\\"",\t"n":1.50, "e":1E3 ,"z":null, "t":true}',
    b'{}',
    b'{"b":2,"a":1,"a2":[{"x":{}}, [] ,""]}',
]


# How the payload sits inside the request body: packed, or with whitespace around the value
# (that whitespace belongs to the envelope, not to the payload).
ENVELOPES = {
    "packed": b'{"eventType":"%(et)s","payload":%(p)s,"eventId":"e-%(i)d"}',
    "payload-last": b'{"eventId":"e-%(i)d","eventType":"%(et)s","payload":%(p)s}',
    "spaced": b'{ "eventType" : "%(et)s" ,\n  "payload" :  %(p)s\n , "eventId": "e-%(i)d" }',
}


@pytest.mark.parametrize("envelope", list(ENVELOPES))
def test_payload_bytes_headers_and_signature(api, receiver, node_dir, tmp_path, envelope):
    app, et, ep = _setup(api, receiver.url("/in?x=1&y=two"))
    secret = api.endpoint_secret(app, ep["id"])
    for i, payload in enumerate(RAW_PAYLOADS):
        raw = ENVELOPES[envelope] % {b"et": et.encode(), b"p": payload, b"i": i}
        r = api.send_raw(app, raw)
        assert r.status_code == 202, r.text
        msg = r.json()
        [got] = receiver.wait_for(1, where=lambda q, m=msg: q.headers.get("webhook-id") == m["id"])
        assert got.body == payload, f"payload bytes changed: sent {payload!r}, got {got.body!r}"
        assert got.method == "POST"
        assert got.path == "/in?x=1&y=two"
        h = got.headers
        assert h.get("content-type", "").split(";")[0].strip() == "application/json", h
        assert re.match(r"^hookd/\S+", h.get("user-agent", "")), h.get("user-agent")
        assert h["webhook-id"] == msg["id"]
        assert re.fullmatch(r"\d+", h["webhook-timestamp"]), h["webhook-timestamp"]
        assert abs(int(h["webhook-timestamp"]) - time.time()) < 60
        entries = signature_entries(h["webhook-signature"])
        assert entries and all(e.startswith("v1,") for e in entries), entries
        assert verify_signature(secret, h, got.body), (
            f"HMAC mismatch: header {h['webhook-signature']!r}, expected "
            f"{sign(secret, h['webhook-id'], h['webhook-timestamp'], got.body)!r}")
        res = node_verify(secret, h, got.body, tmp_path)
        assert res.returncode == 0, f"standardwebhooks rejected it: {res.stdout}{res.stderr}"
        # the stored message has the same payload
        stored = api.get(f"/api/v1/app/{app}/msg/{msg['id']}").json()
        assert stored["payload"] == json.loads(payload)


def test_node_verifier_rejects_tampering(api, receiver, node_dir, tmp_path):
    """Guards the guard: verify.mjs must fail on a changed body, id, or secret."""
    app, et, ep = _setup(api, receiver.url())
    secret = api.endpoint_secret(app, ep["id"])
    msg = api.send(app, et, {"amount": 100})
    [got] = receiver.wait_for(1)
    assert node_verify(secret, got.headers, got.body, tmp_path).returncode == 0
    bad_body = got.body.replace(b"100", b"999")
    assert node_verify(secret, got.headers, bad_body, tmp_path).returncode != 0
    bad_headers = dict(got.headers, **{"webhook-id": msg["id"] + "x"})
    assert node_verify(secret, bad_headers, got.body, tmp_path).returncode != 0
    other = "whsec_" + "A" * 32
    assert node_verify(other, got.headers, got.body, tmp_path).returncode != 0


def test_rotated_secret_signs_beside_old_one(api, receiver, node_dir, tmp_path):
    app, et, ep = _setup(api, receiver.url())
    old = api.endpoint_secret(app, ep["id"])
    r = api.post(f"/api/v1/app/{app}/endpoint/{ep['id']}/secret/rotate", {})
    assert r.status_code == 204, r.text
    new = api.endpoint_secret(app, ep["id"])
    assert new != old
    api.send(app, et, {"after": "rotation"})
    [got] = receiver.wait_for(1)
    entries = signature_entries(got.headers["webhook-signature"])
    assert len(entries) == 2, f"expected one signature per active secret: {entries}"
    ts, mid = got.headers["webhook-timestamp"], got.headers["webhook-id"]
    assert sorted(entries) == sorted([sign(old, mid, ts, got.body), sign(new, mid, ts, got.body)])
    for s in (old, new):
        res = node_verify(s, got.headers, got.body, tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr


def test_rotation_with_zero_grace_drops_old_key(api, receiver):
    app, et, ep = _setup(api, receiver.url())
    old = api.endpoint_secret(app, ep["id"])
    r = api.post(f"/api/v1/app/{app}/endpoint/{ep['id']}/secret/rotate",
                 {"gracePeriodSeconds": 0})
    assert r.status_code == 204, r.text
    new = api.endpoint_secret(app, ep["id"])
    api.send(app, et)
    [got] = receiver.wait_for(1)
    assert signature_entries(got.headers["webhook-signature"]) == \
        [sign(new, got.headers["webhook-id"], got.headers["webhook-timestamp"], got.body)]
    assert not verify_signature(old, got.headers, got.body)


# ---- who receives what --------------------------------------------------------------------


def test_event_type_filtering(api, make_receiver):
    ra, rb, rall = make_receiver(), make_receiver(), make_receiver()
    app = api.create_app()["id"]
    t1, t2, t3 = (api.create_event_type()["name"] for _ in range(3))
    ep_a = api.create_endpoint(app, ra.url(), eventTypes=[t1])
    ep_b = api.create_endpoint(app, rb.url(), filterTypes=[t2, t3])
    ep_all = api.create_endpoint(app, rall.url())
    m1 = api.send(app, t1, {"n": 1})
    ra.wait_for(1)
    rall.wait_for(1)
    m3 = api.send(app, t3, {"n": 3})
    rb.wait_for(1)
    rall.wait_for(2)
    time.sleep(0.5)
    assert [q.headers["webhook-id"] for q in ra.snapshot()] == [m1["id"]]
    assert [q.headers["webhook-id"] for q in rb.snapshot()] == [m3["id"]]
    assert sorted(q.headers["webhook-id"] for q in rall.snapshot()) == sorted([m1["id"], m3["id"]])
    assert {row["id"] for row in api.msg_endpoints(app, m1["id"])} == {ep_a["id"], ep_all["id"]}
    assert_error(api.get(f"/api/v1/app/{app}/attempt/endpoint/{ep_b['id']}",
                         params={"status": 9}), 422, "validation", "status")
    assert [a["msgId"] for a in api.list_all(f"/api/v1/app/{app}/attempt/endpoint/{ep_b['id']}")] \
        == [m3["id"]]


def test_channels(api, make_receiver):
    r_eu, r_us, r_none = make_receiver(), make_receiver(), make_receiver()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, r_eu.url(), channels=["eu", "shared"])
    api.create_endpoint(app, r_us.url(), channels=["us"])
    api.create_endpoint(app, r_none.url())
    m_eu = api.send(app, et, {"c": "eu"}, channels=["eu"])
    m_shared = api.send(app, et, {"c": "shared"}, channels=["shared", "nobody"])
    m_plain = api.send(app, et, {"c": None})
    r_eu.wait_for(2)
    r_none.wait_for(1, where=lambda q: q.headers.get("webhook-id") == m_plain["id"])
    time.sleep(0.5)
    assert sorted(q.headers["webhook-id"] for q in r_eu.snapshot()) == \
        sorted([m_eu["id"], m_shared["id"]])
    assert r_us.snapshot() == [], "an endpoint on channel us got messages of other channels"
    assert m_plain["id"] not in [q.headers["webhook-id"] for q in r_eu.snapshot()]


def test_disabled_endpoint_gets_nothing(api, make_receiver):
    on, off, later_off = make_receiver(), make_receiver(), make_receiver()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, on.url())
    api.create_endpoint(app, off.url(), disabled=True)
    ep3 = api.create_endpoint(app, later_off.url())
    api.send(app, et, {"n": 1})
    on.wait_for(1)
    later_off.wait_for(1)
    r = api.patch(f"/api/v1/app/{app}/endpoint/{ep3['id']}", {"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    api.send(app, et, {"n": 2})
    on.wait_for(2)
    time.sleep(0.5)
    assert off.count() == 0
    assert later_off.count() == 1
    # enabling it again brings new messages
    api.patch(f"/api/v1/app/{app}/endpoint/{ep3['id']}", {"disabled": False})
    api.send(app, et, {"n": 3})
    later_off.wait_for(2)


def test_deliveries_kept_while_disabled_resume_when_enabled(hookd_factory, receiver):
    srv = hookd_factory(env={"HOOKD_RETRY_SCHEDULE": "1s,1s,1s,1s,1s"})
    api = srv.api()
    receiver.script(Reply(500, body=b"down"))  # then the default 200
    app, et, ep = _setup(api, receiver.url())
    msg = api.send(app, et, {"kept": True})
    receiver.wait_for(1)
    r = api.patch(f"/api/v1/app/{app}/endpoint/{ep['id']}", {"disabled": True})
    assert r.status_code == 200
    time.sleep(2.5)  # the retry fell due while disabled: nothing is sent, nothing is dropped
    assert receiver.count() == 1
    assert api.delivery_status(app, msg["id"], ep["id"]) == 3, "the delivery must wait (sending)"
    r = api.patch(f"/api/v1/app/{app}/endpoint/{ep['id']}", {"disabled": False})
    assert r.status_code == 200
    reqs = receiver.wait_for(2, timeout=10)
    assert reqs[1].headers["webhook-id"] == msg["id"]
    wait_until(lambda: api.delivery_status(app, msg["id"], ep["id"]) == 0, 10,
               what="delivery status 0 after re-enabling")


# ---- retries and attempts -----------------------------------------------------------------


def test_fails_twice_then_succeeds_three_attempts(api, receiver):
    receiver.script(Reply(500, body=b"first"), Reply(500, body=b"second"), Reply(200, body=b"yay"))
    app, et, ep = _setup(api, receiver.url())
    msg = api.send(app, et, {"retry": True})
    reqs = receiver.wait_for(3, timeout=10)
    wait_until(lambda: api.delivery_status(app, msg["id"], ep["id"]) == 0, 10,
               what="delivery status 0")
    time.sleep(0.8)  # nothing more may come
    assert receiver.count() == 3
    assert len({q.headers["webhook-id"] for q in reqs}) == 1
    assert {q.body for q in reqs} == {reqs[0].body}
    gaps = [b.time - a.time for a, b in zip(reqs, reqs[1:])]
    assert all(0.15 <= g <= 2.0 for g in gaps), f"retry gaps {gaps} for a 200ms schedule"

    atts = api.attempts_by_msg(app, msg["id"])
    assert len(atts) == 3, atts
    for a in atts:
        _check_attempt(a, msg["id"], ep["id"])
        assert a["triggerType"] == 0 and a["url"] == receiver.url()
    # newest first
    assert [a["status"] for a in atts] == [0, 2, 2]
    assert [a["responseStatusCode"] for a in atts] == [200, 500, 500]
    assert [a["response"] for a in atts] == ["yay", "second", "first"]
    assert [a["errorClass"] for a in atts] == ["none", "http_status", "http_status"]
    assert [a["timestamp"] for a in atts] == sorted((a["timestamp"] for a in atts), reverse=True)
    assert all(isinstance(a["responseDurationMs"], int) and a["responseDurationMs"] >= 0
               for a in atts)

    # filters
    assert [a["id"] for a in api.attempts_by_msg(app, msg["id"], status=2)] == \
        [atts[1]["id"], atts[2]["id"]]
    assert [a["id"] for a in api.attempts_by_msg(app, msg["id"], status=0)] == [atts[0]["id"]]
    by_ep = api.list_all(f"/api/v1/app/{app}/attempt/endpoint/{ep['id']}", {"status": 2})
    assert [a["id"] for a in by_ep] == [atts[1]["id"], atts[2]["id"]]
    assert api.attempts_by_msg(app, msg["id"], endpoint_id=ep["id"]) == atts
    r = api.get(f"/api/v1/app/{app}/msg/{msg['id']}/attempt/{atts[1]['id']}")
    assert r.status_code == 200 and r.json() == atts[1]


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_is_honoured(api, receiver, status):
    receiver.script(Reply(status, headers={"Retry-After": "2"}), Reply(200))
    app, et, ep = _setup(api, receiver.url())
    msg = api.send(app, et)
    first, second = receiver.wait_for(2, timeout=10)
    gap = second.time - first.time
    assert 1.9 <= gap <= 5.0, f"Retry-After: 2 gave a {gap:.2f}s gap (schedule says 200ms)"
    atts = api.wait_attempts(app, msg["id"], 2)
    assert [a["responseStatusCode"] for a in atts] == [200, status]


@pytest.mark.parametrize("status", [302, 307])
def test_redirect_is_a_failure_and_not_followed(api, make_receiver, status):
    target = make_receiver()
    src = make_receiver(Reply(status, headers={"Location": target.url("/moved")}))
    app, et, ep = _setup(api, src.url())
    msg = api.send(app, et)
    wait_until(lambda: api.delivery_status(app, msg["id"], ep["id"]) == 2, 10,
               what="delivery marked failed")
    atts = api.attempts_by_msg(app, msg["id"])
    assert len(atts) == 4, f"3xx must be retried like a failure: {len(atts)} attempts"
    for a in atts:
        _check_attempt(a, msg["id"], ep["id"])
        assert a["status"] == 2 and a["responseStatusCode"] == status, a
        assert a["errorClass"] in ("redirect", "http_status"), a
    time.sleep(0.3)
    assert target.count() == 0, "the redirect was followed"
    assert src.count() == 4


def test_exhausted_schedule_marks_failed_then_resend(api, receiver):
    receiver.default = Reply(500, body=b"E" * 10000)
    app, et, ep = _setup(api, receiver.url())
    msg = api.send(app, et)
    wait_until(lambda: api.delivery_status(app, msg["id"], ep["id"]) == 2, 10,
               what="delivery marked failed")
    time.sleep(0.8)
    atts = api.attempts_by_msg(app, msg["id"])
    assert len(atts) == 4, f"schedule of 3 delays means 4 attempts, got {len(atts)}"
    assert receiver.count() == 4
    for a in atts:
        _check_attempt(a, msg["id"], ep["id"])
        assert (a["status"], a["responseStatusCode"], a["errorClass"]) == (2, 500, "http_status")
        assert a["response"] == "E" * 4096, f"response must be the first 4 KiB ({len(a['response'])})"
    [row] = [x for x in api.msg_endpoints(app, msg["id"]) if x["id"] == ep["id"]]
    assert row["status"] == 2 and "nextAttempt" in row and row["nextAttempt"] is None, row

    # a manual resend is one new attempt with triggerType 1
    receiver.default = Reply(200, body=b"fine now")
    r = api.post(f"/api/v1/app/{app}/msg/{msg['id']}/endpoint/{ep['id']}/resend")
    assert r.status_code == 202, r.text
    atts = api.wait_attempts(app, msg["id"], 5)
    time.sleep(0.5)
    atts = api.attempts_by_msg(app, msg["id"])
    assert len(atts) == 5
    assert (atts[0]["triggerType"], atts[0]["status"], atts[0]["responseStatusCode"]) == (1, 0, 200)
    assert all(a["triggerType"] == 0 for a in atts[1:])
    assert receiver.count() == 5


def test_resend_of_delivered_message(api, receiver):
    app, et, ep = _setup(api, receiver.url())
    secret = api.endpoint_secret(app, ep["id"])
    msg = api.send(app, et, {"x": 1})
    api.wait_attempts(app, msg["id"], 1)
    r = api.post(f"/api/v1/app/{app}/msg/{msg['id']}/endpoint/{ep['id']}/resend")
    assert r.status_code == 202, r.text
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == msg["id"]
    assert first.body == second.body
    assert verify_signature(secret, second.headers, second.body)
    atts = api.wait_attempts(app, msg["id"], 2)
    assert [a["triggerType"] for a in atts] == [1, 0]
    assert [a["status"] for a in atts] == [0, 0]


def test_connection_refused_is_recorded_as_connect_error(api):
    url = f"http://127.0.0.1:{free_port()}/nobody-listens"
    app, et, ep = _setup(api, url)
    msg = api.send(app, et)
    [a, *_] = api.wait_attempts(app, msg["id"], 1)
    _check_attempt(a, msg["id"], ep["id"])
    assert (a["status"], a["responseStatusCode"], a["errorClass"]) == (2, 0, "connect"), a


def test_deleting_endpoint_drops_pending_deliveries(hookd_factory, receiver):
    srv = hookd_factory(env={"HOOKD_RETRY_SCHEDULE": "1s,1s,1s,1s"})
    api = srv.api()
    receiver.default = Reply(500)
    app, et, ep = _setup(api, receiver.url())
    api.send(app, et)
    receiver.wait_for(1)
    assert api.delete(f"/api/v1/app/{app}/endpoint/{ep['id']}").status_code == 204
    time.sleep(2.5)
    assert receiver.count() == 1, "a deleted endpoint kept receiving retries"


# ---- isolation ----------------------------------------------------------------------------


@pytest.mark.timeout_s(60)
def test_hanging_endpoint_does_not_delay_another(hookd_factory, make_receiver):
    srv = hookd_factory(env={"HOOKD_REQUEST_TIMEOUT_MS": "3000"})
    api = srv.api()
    hang = make_receiver(Reply(200, delay=30))
    healthy = make_receiver()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep_hang = api.create_endpoint(app, hang.url())
    api.create_endpoint(app, healthy.url())
    sent_at = {}
    t0 = time.monotonic()
    for i in range(50):
        m = api.send(app, et, {"i": i})
        sent_at[m["id"]] = time.monotonic()
    got = healthy.wait_for(50, timeout=10)
    t_all = max(q.time for q in got) - t0
    latencies = {q.headers["webhook-id"]: q.time - sent_at[q.headers["webhook-id"]] for q in got}
    assert set(latencies) == set(sent_at)
    worst = max(latencies.values())
    assert worst < 2.0, f"a healthy endpoint waited {worst:.2f}s behind a hanging one"
    assert t_all < 8.0, f"50 deliveries took {t_all:.2f}s"

    # the hanging endpoint's requests were capped at 32 in flight and timed out after ~3 s
    first_hang = hang.wait_for(1)[0].time
    early = [q for q in hang.snapshot() if q.time < first_hang + 2.5]
    assert len(early) <= 32, f"{len(early)} concurrent requests to one endpoint (cap is 32)"
    first_msg = next(iter(sent_at))
    [a, *_] = api.wait_attempts(app, first_msg, 1, timeout=10, endpoint_id=ep_hang["id"])
    assert (a["status"], a["responseStatusCode"], a["errorClass"]) == (2, 0, "timeout"), a
    assert 2500 <= a["responseDurationMs"] <= 6000, a


# ---- SSRF ---------------------------------------------------------------------------------


def test_ssrf_refused_by_default(hookd_factory, receiver):
    srv = hookd_factory(env={"HOOKD_SSRF_ALLOW": None})
    api = srv.api()
    app = api.create_app()["id"]
    port = receiver.port
    refused_literals = [f"http://127.0.0.1:{port}/hook", "http://10.0.0.1/", f"http://[::1]:{port}/",
                        "http://169.254.169.254/latest/meta-data", "http://192.168.1.1/",
                        "http://172.16.0.1/", f"http://127.0.0.2:{port}/",
                        f"http://[::ffff:127.0.0.1]:{port}/"]
    failures = []
    for url in refused_literals:
        r = api.post(f"/api/v1/app/{app}/endpoint", {"url": url})
        if r.status_code == 201:
            api.delete(f"/api/v1/app/{app}/endpoint/{r.json()['id']}")  # never deliver there
        try:
            assert_error(r, 422, "validation", "url")
        except AssertionError as e:
            failures.append(f"{url}: {e}")
    assert not failures, "\n".join(failures)

    # names that resolve to loopback: refused at creation, or blocked at delivery
    et = api.create_event_type()["name"]
    for host in ("localhost", "2130706433", "127.1", "0x7f.0.0.1", "0.0.0.0"):
        app2 = api.create_app()["id"]
        r = api.post(f"/api/v1/app/{app2}/endpoint", {"url": f"http://{host}:{port}/hook"})
        if r.status_code == 422:
            assert_error(r, 422, "validation", "url")
            continue
        assert r.status_code == 201, (host, r.status_code, r.text)
        ep = r.json()
        msg = api.send(app2, et)
        [a, *_] = api.wait_attempts(app2, msg["id"], 1, timeout=10)
        assert (a["status"], a["responseStatusCode"], a["errorClass"]) == (2, 0, "ssrf_blocked"), \
            (host, a)
        api.delete(f"/api/v1/app/{app2}/endpoint/{ep['id']}")
    time.sleep(0.3)
    assert receiver.count() == 0, "a loopback receiver was reached with SSRF protection on"


def test_ssrf_checked_again_at_delivery(hookd_factory, receiver, tmp_path):
    """Endpoints created while loopback was allowed are blocked once it no longer is."""
    data = tmp_path / "ssrf-data"
    srv = hookd_factory(data_dir=data, token="ssrf-token-0123456789")
    api = srv.api()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    eps = [api.create_endpoint(app, receiver.url("/literal")),
           api.create_endpoint(app, f"http://localhost:{receiver.port}/name")]
    api.send(app, et)
    receiver.wait_for(2)
    srv.stop()

    srv2 = hookd_factory(env={"HOOKD_SSRF_ALLOW": None}, data_dir=data,
                         token="ssrf-token-0123456789")
    api2 = srv2.api()
    msg = api2.send(app, et)
    atts = api2.wait_attempts(app, msg["id"], 2, timeout=10)
    for ep in eps:
        mine = [a for a in atts if a["endpointId"] == ep["id"]]
        assert mine, (ep["url"], atts)
        assert (mine[-1]["status"], mine[-1]["responseStatusCode"], mine[-1]["errorClass"]) == \
            (2, 0, "ssrf_blocked"), (ep["url"], mine[-1])
    time.sleep(0.5)
    assert receiver.count() == 2, "a loopback receiver was reached after SSRF protection came on"


def test_ssrf_allow_list_is_respected(hookd_factory, receiver):
    srv = hookd_factory(env={"HOOKD_SSRF_ALLOW": "127.0.0.1/32"})
    api = srv.api()
    app, et, ep = _setup(api, receiver.url())
    api.send(app, et)
    receiver.wait_for(1)
    r = api.post(f"/api/v1/app/{app}/endpoint", {"url": "http://10.0.0.1/"})
    if r.status_code == 201:
        api.delete(f"/api/v1/app/{app}/endpoint/{r.json()['id']}")
    assert_error(r, 422, "validation", "url")


# ---- metrics ------------------------------------------------------------------------------


def test_metrics_count_accepted_messages(hookd, api, receiver):
    receiver.script(500)  # one failed attempt, then success on the retry
    app, et, ep = _setup(api, receiver.url())
    for i in range(5):
        api.send(app, et, {"i": i}, eventId=f"m-{i}")
    assert api.post(f"/api/v1/app/{app}/msg",
                    {"eventType": et, "payload": {}, "eventId": "m-0"}).status_code == 409
    assert api.post(f"/api/v1/app/{app}/msg",
                    {"eventType": "nope", "payload": {}}).status_code == 422
    receiver.wait_for(6)

    def scrape():
        r = requests.get(hookd.base_url + "/metrics", timeout=5)
        assert r.status_code == 200, r.status_code
        assert r.headers.get("content-type", "").startswith("text/plain"), r.headers
        return r.text

    wait_until(lambda: metric_value(scrape(), "hookd_deliveries_succeeded_total") == 5, 5,
               what="hookd_deliveries_succeeded_total == 5")
    text = scrape()
    assert metric_value(text, "hookd_messages_accepted_total") == 5
    assert metric_value(text, "hookd_attempts_failed_total") == 1
    assert metric_value(text, "hookd_delivery_queue_depth") == 0
    assert metric_value(text, "hookd_delivery_latency_seconds_count") is not None, text
    assert metric_value(text, "hookd_delivery_latency_seconds_bucket") is not None, text
    assert re.search(r'^hookd_delivery_latency_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} ', text, re.M)
    # Messages and attempt records took at least two commits, and no more commits than writes:
    # 3 set-up objects and their 3 audit entries, 6 message writes (one refused as a duplicate),
    # 6 attempt records.
    commits = metric_value(text, "hookd_store_commits_total")
    assert commits is not None and 2 <= commits <= 3 + 3 + 6 + 6, text
    api.send(app, et, {"i": 99})
    wait_until(lambda: metric_value(scrape(), "hookd_store_commits_total") > commits, 5,
               what="a new message to add a commit")


# ---- at-least-once without needless copies ---------------------------------------------------


def _post_many(srv, app, et, count):
    """Posts `count` messages {"i": n} over one kept-alive connection; each must get a 202."""
    session = requests.Session()
    url = f"{srv.base_url}/api/v1/app/{app}/msg"
    headers = {"Authorization": f"Bearer {srv.token}"}
    for i in range(count):
        r = session.post(url, json={"eventType": et, "payload": {"i": i}}, headers=headers,
                         timeout=10)
        assert r.status_code == 202, r.text


def test_fan_out_sends_each_delivery_once(hookd_factory, receiver):
    """In normal operation (no crash, no failure) every (message, endpoint) pair is sent exactly
    once, even while the loader rescans the store for due deliveries under load."""
    srv = hookd_factory()
    api = srv.api()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    endpoints = 10
    for i in range(endpoints):
        api.create_endpoint(app, receiver.url(f"/fan/{i}"))
    messages = 700
    _post_many(srv, app, et, messages)
    total = messages * endpoints
    receiver.wait_for(total, timeout=60)
    time.sleep(3)  # past a loader rescan (2 s): a stale re-read would show up as a copy now
    pairs = [(q.headers["webhook-id"], q.path) for q in receiver.snapshot()]
    copies = len(pairs) - len(set(pairs))
    assert len(set(pairs)) == total
    assert copies == 0, f"{copies} deliveries were sent more than once"


@pytest.mark.parametrize("threads", [1, 2])
def test_one_endpoints_backlog_is_shared_by_the_delivery_threads(hookd_factory, receiver,
                                                                 tmp_path, threads):
    """A restart's backlog for a single endpoint. With two delivery threads the endpoint's owner
    lends requests to the other thread, which runs them on its own connections; every message
    still goes out once and every outcome is recorded. With one thread nothing is lent."""
    data = tmp_path / "backlog"
    srv = hookd_factory(env={"HOOKD_ROLE": "api"}, data_dir=data)
    api = srv.api()
    app, et, ep = _setup(api, receiver.url())
    messages = 300
    _post_many(srv, app, et, messages)
    time.sleep(0.5)
    assert receiver.count() == 0, "role api delivered"
    srv.stop()

    srv = hookd_factory(env={"HOOKD_DELIVERY_THREADS": str(threads)}, data_dir=data)

    def scrape():
        return requests.get(srv.base_url + "/metrics", timeout=5).text

    receiver.wait_for(messages, timeout=60)
    wait_until(lambda: metric_value(scrape(), "hookd_delivery_queue_depth") == 0, 10,
               what="every outcome recorded (nothing held)")
    time.sleep(1)  # a copy would show up now
    ids = [q.headers["webhook-id"] for q in receiver.snapshot()]
    assert len(ids) == messages and len(set(ids)) == messages, \
        f"{len(ids)} requests for {len(set(ids))} messages"
    text = scrape()
    assert metric_value(text, "hookd_deliveries_succeeded_total") == messages
    lent = metric_value(text, "hookd_delivery_requests_lent_total")
    if threads == 1:
        assert lent == 0, text
    else:
        assert lent and lent > 0, "the second delivery thread ran none of the backlog"
    attempts = srv.api().list_all(f"/api/v1/app/{app}/attempt/endpoint/{ep['id']}")
    assert sorted(a["msgId"] for a in attempts) == sorted(ids)
    assert all(a["status"] == 0 and a["responseStatusCode"] == 200 for a in attempts)


def test_a_full_endpoint_queue_sends_the_loader_back_to_the_store_only_once_it_has_room(
        hookd_factory, make_receiver):
    """An endpoint that answers slowly holds at most endpoint_max_queued due deliveries in memory;
    the rest stay pending in the store and come back when its queue is down to half. A full queue
    does not send the loader over the store again for every delivery it sheds; every message
    still goes out once."""
    receiver = make_receiver(Reply(200, delay=0.02))
    srv = hookd_factory(env={"HOOKD_ENDPOINT_MAX_QUEUED": "10",
                             "HOOKD_ENDPOINT_MAX_IN_FLIGHT": "1",
                             "HOOKD_DELIVERY_THREADS": "1"})
    app, et, _ = _setup(srv.api(), receiver.url())

    def passes():
        text = requests.get(srv.base_url + "/metrics", timeout=5).text
        return metric_value(text, "hookd_loader_passes_total")

    before = passes()
    assert before is not None and before >= 1, "the start-up pass is counted"
    started = time.monotonic()
    messages = 120
    _post_many(srv, app, et, messages)
    receiver.wait_for(messages, timeout=60)
    time.sleep(0.5)  # a copy would show up now
    ids = [q.headers["webhook-id"] for q in receiver.snapshot()]
    assert len(ids) == messages and len(set(ids)) == messages, \
        f"{len(ids)} requests for {len(set(ids))} messages"
    # A delivery thread asks at most once per survey of its queues (every 100 ms), and the
    # loader passes once per rescan interval (2 s) besides. Asked for on every shed delivery
    # instead, the loader ran pass after pass while the queue stayed full (thousands).
    during = passes() - before
    elapsed = time.monotonic() - started
    assert during <= elapsed * 10.5 + 5, \
        f"{during} loader passes in {elapsed:.1f} s for {messages} messages"


def test_shed_deliveries_come_back_at_once_when_the_queue_empties_between_surveys(
        hookd_factory, receiver, tmp_path):
    """A queue that shed deliveries and then emptied before its thread's next survey (a fast
    endpoint, a small endpoint_max_queued) still asks the loader back for them at that survey:
    the idle thread does not sleep through it (up to 1 s) each time the queue fills again."""
    data = tmp_path / "shed"
    srv = hookd_factory(env={"HOOKD_ROLE": "api"}, data_dir=data)
    app, et, _ = _setup(srv.api(), receiver.url())
    messages = 60
    _post_many(srv, app, et, messages)
    srv.stop()

    started = time.monotonic()
    srv = hookd_factory(env={"HOOKD_ENDPOINT_MAX_QUEUED": "4", "HOOKD_DELIVERY_THREADS": "1"},
                        data_dir=data)
    # 4 at a time: 15 loader passes. One per survey (100 ms) took 1.6 s here; one per wake-up of
    # an idle thread (1 s) took 14.6 s.
    receiver.wait_for(messages, timeout=8)
    elapsed = time.monotonic() - started
    time.sleep(0.5)  # a copy would show up now
    ids = [q.headers["webhook-id"] for q in receiver.snapshot()]
    assert len(ids) == messages and len(set(ids)) == messages, \
        f"{len(ids)} requests for {len(set(ids))} messages in {elapsed:.1f} s"
