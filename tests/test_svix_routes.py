"""Svix routes: an endpoint's stats and messages, send-example, expunging contents, health/ping,
the refusal of an application's throttleRate, and application tokens on these routes.

Every test runs the real hookd binary against real HTTP receivers on loopback; the last one
drives the same routes with the npm `svix` SDK (tests/node/svix_resources.mjs).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time

import pytest
import requests

from hookd_support import TIMESTAMP_RE, Reply, assert_error, verify_signature, wait_until

# No circuit breaker and no auto-disable: an endpoint that answers 500 stays reachable, so each
# delivery to it runs out the 3 fast retries (200 ms apart) and ends `fail`.
STEADY = {"HOOKD_CIRCUIT_WINDOW": "0", "HOOKD_DISABLE_AFTER_EXHAUSTED": "0"}
ZERO = {"success": 0, "pending": 0, "sending": 0, "fail": 0, "canceled": 0}
SUCCESS, PENDING, FAIL, SENDING = 0, 1, 2, 3
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


# ---- helpers -------------------------------------------------------------------------------


def iso(ms: int, offset_minutes: int = 0) -> str:
    """Unix ms as RFC 3339 with milliseconds: `Z`, or the given UTC offset."""
    tz = dt.timezone(dt.timedelta(minutes=offset_minutes))
    t = (EPOCH + dt.timedelta(milliseconds=ms)).astimezone(tz)
    text = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}"
    if offset_minutes == 0:
        return text + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    return text + f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"


def ms_of(ts: str) -> int:
    assert TIMESTAMP_RE.match(ts), f"not RFC 3339 UTC with ms: {ts!r}"
    t = dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return (t - EPOCH) // dt.timedelta(milliseconds=1)


def stats(api, app: str, ep: str, **params) -> dict:
    r = api.get(f"/api/v1/app/{app}/endpoint/{ep}/stats", params=params or None)
    assert r.status_code == 200, f"stats {params}: {r.status_code} {r.text}"
    return r.json()


def ep_msgs(api, app: str, ep: str, **params) -> list[dict]:
    return api.list_all(f"/api/v1/app/{app}/endpoint/{ep}/msg", params)


def ep_msg_ids(api, app: str, ep: str, **params) -> list[str]:
    return [m["id"] for m in ep_msgs(api, app, ep, **params)]


def get_msg(api, app: str, msg: str) -> dict:
    r = api.get(f"/api/v1/app/{app}/msg/{msg}", params={"with_content": "true"})
    assert r.status_code == 200, f"get message: {r.status_code} {r.text}"
    return r.json()


def get_attempt(api, app: str, msg: str, att: str) -> dict:
    r = api.get(f"/api/v1/app/{app}/msg/{msg}/attempt/{att}")
    assert r.status_code == 200, f"get attempt: {r.status_code} {r.text}"
    return r.json()


def wait_status(api, app: str, msg: str, ep: str, status: int, timeout: float = 10) -> None:
    wait_until(lambda: api.delivery_status(app, msg, ep) == status, timeout, 0.05,
               f"delivery of {msg} to {ep} to reach status {status}")


def send_spaced(api, app: str, et: str, payloads: list, gap: float = 0.05, **fields) -> list[dict]:
    """Sends one message per payload, `gap` seconds apart, so their timestamps differ."""
    out = []
    for i, p in enumerate(payloads):
        if i:
            time.sleep(gap)
        out.append(api.send(app, et, p, **fields))
    return out


def app_token(api, app: str) -> str:
    r = api.post("/api/v1/auth/token", {"appId": app})
    assert r.status_code in (200, 201), f"create app token: {r.status_code} {r.text}"
    token = r.json()["token"]
    assert token.startswith("appsk_"), token
    return token


@pytest.fixture
def steady(hookd_factory):
    return hookd_factory(env=STEADY)


# ---- 1. GET .../endpoint/{ep}/stats ----------------------------------------------------------


def test_stats_count_each_endpoints_deliveries_by_outcome(steady, make_receiver):
    api = steady.api()
    ok_rcv, bad_rcv = make_receiver(200), make_receiver(500)
    flaky_rcv = make_receiver(200)
    flaky_rcv.script(500, 500)  # two failed attempts in all, then 200s: every delivery succeeds
    app, other_app = api.create_app()["id"], api.create_app()["id"]
    et, et2 = api.create_event_type()["name"], api.create_event_type()["name"]
    ok = api.create_endpoint(app, ok_rcv.url("/ok"))["id"]
    bad = api.create_endpoint(app, bad_rcv.url("/bad"))["id"]
    flaky = api.create_endpoint(app, flaky_rcv.url("/flaky"))["id"]
    only_et2 = api.create_endpoint(app, ok_rcv.url("/et2"), eventTypes=[et2])["id"]
    other = api.create_endpoint(other_app, ok_rcv.url("/other"))["id"]
    assert stats(api, app, ok) == ZERO

    msgs = [api.send(app, et, {"n": i})["id"] for i in range(3)]
    other_msg = api.send(other_app, et, {"n": 99})["id"]
    for m in msgs:
        wait_status(api, app, m, ok, SUCCESS)
        wait_status(api, app, m, flaky, SUCCESS)
        wait_status(api, app, m, bad, FAIL)
    wait_status(api, other_app, other_msg, other, SUCCESS)
    assert flaky_rcv.count() == 5  # 3 deliveries, 5 attempts: stats count deliveries

    assert stats(api, app, ok) == {**ZERO, "success": 3}
    assert stats(api, app, bad) == {**ZERO, "fail": 3}
    assert stats(api, app, flaky) == {**ZERO, "success": 3}
    assert stats(api, app, only_et2) == ZERO  # the messages were not routed to it
    assert stats(api, other_app, other) == {**ZERO, "success": 1}
    late = api.create_endpoint(app, ok_rcv.url("/late"))["id"]
    assert stats(api, app, late) == ZERO  # made after the messages: none of them is its

    assert_error(api.get(f"/api/v1/app/{app}/endpoint/ep_nope/stats"), 404)
    assert_error(api.get(f"/api/v1/app/{app}/endpoint/{other}/stats"), 404)  # other app's
    assert_error(api.get(f"/api/v1/app/app_nope/endpoint/{ok}/stats"), 404)


def test_stats_since_until_window(api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    m = send_spaced(api, app, et, [{"i": 0}, {"i": 1}, {"i": 2}])
    for x in m:
        wait_status(api, app, x["id"], ep, SUCCESS)
    t = [ms_of(x["timestamp"]) for x in m]
    assert t[0] < t[1] < t[2], t

    def success(**params):
        got = stats(api, app, ep, **params)
        assert got == {**ZERO, "success": got["success"]}, got
        return got["success"]

    assert success() == 3
    assert success(since=iso(t[1])) == 2  # since is inclusive
    assert success(since=iso(t[1] + 1)) == 1
    assert success(until=iso(t[1])) == 1  # until is exclusive
    assert success(until=iso(t[1] + 1)) == 2
    assert success(since=iso(t[1]), until=iso(t[2])) == 1
    assert success(since=iso(t[0]), until=iso(t[2] + 1)) == 3
    assert success(since=iso(t[1]), until=iso(t[1])) == 0  # an empty range is not an error
    assert success(since=iso(t[2] + 1)) == 0
    assert success(until=iso(t[0])) == 0
    # RFC 3339 with a UTC offset names the same instants
    assert success(since=iso(t[1], offset_minutes=120)) == 2
    assert success(until=iso(t[1], offset_minutes=-330)) == 1

    assert_error(api.get(f"/api/v1/app/{app}/endpoint/{ep}/stats",
                         params={"since": iso(t[1]), "until": iso(t[1] - 1)}),
                 422, "validation", "until")
    assert_error(api.get(f"/api/v1/app/{app}/endpoint/{ep}/stats", params={"since": "yesterday"}),
                 422, "validation", "since")
    assert_error(api.get(f"/api/v1/app/{app}/endpoint/{ep}/stats",
                         params={"until": "2026-13-45T00:00:00Z"}), 422, "validation", "until")


@pytest.mark.timeout_s(120)
def test_windows_select_messages_by_their_timestamp(api, receiver):
    """A window [T, T+1 ms) holds exactly the messages whose `timestamp` is T, for stats and for
    the endpoint's message list (after T-1 ms, before T+1 ms), for every T of many messages.
    (A message's id encodes a time that may be 1 ms before its `timestamp`: a window computed
    from ids instead of timestamps misplaces such a message; with 1500 messages that shows.)"""
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    msgs = [api.send(app, et, {"i": i}) for i in range(1500)]
    by_ts: dict[int, list[str]] = {}
    for m in msgs:
        by_ts.setdefault(ms_of(m["timestamp"]), []).append(m["id"])
    wait_until(lambda: stats(api, app, ep)["success"] == len(msgs), 60, 0.2,
               what="every delivery to succeed")
    wrong = []
    for t, ids in sorted(by_ts.items()):
        got = stats(api, app, ep, since=iso(t), until=iso(t + 1))
        if got != {**ZERO, "success": len(ids)}:
            wrong.append(("stats", iso(t), sorted(ids), got))
        listed = ep_msg_ids(api, app, ep, after=iso(t - 1), before=iso(t + 1))
        if sorted(listed) != sorted(ids):
            wrong.append(("msg list", iso(t), sorted(ids), sorted(listed)))
    assert not wrong, f"{len(wrong)} window(s) of {len(by_ts)} disagree with the timestamps: " \
                      f"{wrong[:6]}"


def test_stats_and_messages_of_a_pending_delivery(hookd_factory, make_receiver):
    srv = hookd_factory(env={**STEADY, "HOOKD_RETRY_SCHEDULE": "1h"})
    api = srv.api()
    bad_rcv = make_receiver(500)
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, bad_rcv.url())["id"]
    msg = api.send(app, et, {"k": "pending"})
    [att] = api.wait_attempts(app, msg["id"], 1)
    assert att["responseStatusCode"] == 500
    wait_until(lambda: stats(api, app, ep)["pending"] == 1, 5, what="a pending delivery")
    assert stats(api, app, ep) == {**ZERO, "pending": 1}

    [row] = ep_msgs(api, app, ep)
    assert (row["id"], row["status"], row["statusText"]) == (msg["id"], PENDING, "pending")
    assert isinstance(row["nextAttempt"], str), row
    delay = ms_of(row["nextAttempt"]) - ms_of(att["timestamp"])
    assert 3_600_000 - 5_000 <= delay <= 3_600_000 + 5_000, (row["nextAttempt"], att)
    assert ep_msg_ids(api, app, ep, status=PENDING) == [msg["id"]]
    assert ep_msg_ids(api, app, ep, status=SUCCESS) == []
    assert ep_msg_ids(api, app, ep, status=FAIL) == []
    assert bad_rcv.count() == 1


def test_stats_and_messages_while_a_delivery_is_in_flight(api, make_receiver):
    slow = make_receiver(200)
    slow.script(Reply(200, delay=2.5))
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, slow.url())["id"]
    msg = api.send(app, et)["id"]
    slow.wait_for(1, timeout=5)
    during = stats(api, app, ep)
    [row] = ep_msgs(api, app, ep)
    # in flight: not settled, counted once, and the listing agrees with the counts
    assert during["success"] == during["fail"] == during["canceled"] == 0, during
    assert during["pending"] + during["sending"] == 1, during
    if during["sending"]:
        assert (row["status"], row["statusText"]) == (SENDING, "sending"), row
    else:
        assert (row["status"], row["statusText"]) == (PENDING, "pending"), row
    wait_status(api, app, msg, ep, SUCCESS)
    assert stats(api, app, ep) == {**ZERO, "success": 1}


# ---- 2. GET .../endpoint/{ep}/msg ----------------------------------------------------------


def test_endpoint_messages_list_what_was_routed_to_it(steady, make_receiver):
    api = steady.api()
    ok_rcv, bad_rcv = make_receiver(200), make_receiver(500)
    app, other_app = api.create_app()["id"], api.create_app()["id"]
    et, et2 = api.create_event_type()["name"], api.create_event_type()["name"]
    a = api.create_endpoint(app, ok_rcv.url("/a"))["id"]
    b = api.create_endpoint(app, bad_rcv.url("/b"))["id"]
    c = api.create_endpoint(app, ok_rcv.url("/c"), eventTypes=[et2])["id"]
    other = api.create_endpoint(other_app, ok_rcv.url("/other"))["id"]

    m1 = api.send(app, et, {"n": 1, "s": "one"})
    time.sleep(0.05)
    m2 = api.send(app, et2, {"n": 2, "nested": {"list": [1, "x", None]}}, eventId="evt-two")
    time.sleep(0.05)
    m3 = api.send(app, et, {"n": 3}, channels=["ch-1"])
    other_msg = api.send(other_app, et, {"n": 4})
    ids = [m3["id"], m2["id"], m1["id"]]  # newest first
    for m in ids:
        wait_status(api, app, m, a, SUCCESS)
        wait_status(api, app, m, b, FAIL)
    wait_status(api, app, m2["id"], c, SUCCESS)
    wait_status(api, other_app, other_msg["id"], other, SUCCESS)
    full = {m: get_msg(api, app, m) for m in ids}
    assert full[m2["id"]]["eventId"] == "evt-two" and full[m3["id"]]["channels"] == ["ch-1"]

    rows_a = ep_msgs(api, app, a)
    assert [r["id"] for r in rows_a] == ids
    for r in rows_a:
        assert r == {**full[r["id"]], "status": SUCCESS, "statusText": "success",
                     "nextAttempt": None}
    rows_b = ep_msgs(api, app, b)
    assert [r["id"] for r in rows_b] == ids
    for r in rows_b:
        assert r == {**full[r["id"]], "status": FAIL, "statusText": "fail", "nextAttempt": None}
    assert ep_msgs(api, app, c) == [{**full[m2["id"]], "status": SUCCESS,
                                     "statusText": "success", "nextAttempt": None}]
    assert ep_msg_ids(api, other_app, other) == [other_msg["id"]]
    late = api.create_endpoint(app, ok_rcv.url("/late"))["id"]
    assert ep_msgs(api, app, late) == []

    # status filter
    assert ep_msg_ids(api, app, a, status=SUCCESS) == ids
    for s in (PENDING, FAIL, SENDING):
        assert ep_msg_ids(api, app, a, status=s) == [], s
    assert ep_msg_ids(api, app, b, status=FAIL) == ids
    assert ep_msg_ids(api, app, b, status=SUCCESS) == []

    # with_content (default true)
    lean = ep_msgs(api, app, a, with_content="false")
    assert lean == [{**r, "payload": {}} for r in rows_a]
    assert ep_msgs(api, app, a, with_content="true") == rows_a

    # before / after: times between the messages
    t1, t2, t3 = (ms_of(full[m["id"]]["timestamp"]) for m in (m1, m2, m3))
    assert t1 < t2 < t3
    mid12, mid23 = (t1 + t2) // 2, (t2 + t3) // 2
    assert ep_msg_ids(api, app, a, before=iso(mid12)) == [m1["id"]]
    assert ep_msg_ids(api, app, a, after=iso(mid12)) == [m3["id"], m2["id"]]
    assert ep_msg_ids(api, app, a, after=iso(mid12), before=iso(mid23)) == [m2["id"]]
    assert ep_msg_ids(api, app, a, after=iso(t3 + 1000)) == []
    assert ep_msg_ids(api, app, b, status=FAIL, before=iso(mid23)) == [m2["id"], m1["id"]]

    # pagination
    path = f"/api/v1/app/{app}/endpoint/{a}/msg"
    p1 = api.get(path, params={"limit": 2})
    assert p1.status_code == 200, p1.text
    p1 = p1.json()
    assert [r["id"] for r in p1["data"]] == ids[:2] and p1["done"] is False, p1
    assert isinstance(p1["iterator"], str) and p1["iterator"], p1
    p2 = api.get(path, params={"limit": 2, "iterator": p1["iterator"]}).json()
    assert [r["id"] for r in p2["data"]] == ids[2:] and p2["done"] is True, p2
    assert ep_msg_ids(api, app, a, limit=1) == ids

    # refused queries
    for params, field_name in (({"channel": "ch-1"}, "channel"), ({"tag": "t"}, "tag"),
                               ({"event_types": et}, "event_types"),
                               ({"status": "4"}, "status"), ({"status": "-1"}, "status"),
                               ({"status": "fail"}, "status"), ({"status": "1.0"}, "status"),
                               ({"before": "not-a-time"}, "before"),
                               ({"after": "2026-02-30T00:00:00"}, "after")):
        assert_error(api.get(path, params=params), 422, "validation", field_name)
    assert_error(api.get(f"/api/v1/app/{app}/endpoint/ep_nope/msg"), 404)
    assert_error(api.get(f"/api/v1/app/{app}/endpoint/{other}/msg"), 404)
    assert_error(api.get(f"/api/v1/app/app_nope/endpoint/{a}/msg"), 404)


# ---- 3. POST .../endpoint/{ep}/send-example --------------------------------------------------


def test_send_example_delivers_the_example_to_that_endpoint_only(api, make_receiver):
    r1, r2 = make_receiver(200), make_receiver(200)
    example = {"hello": "example", "nested": {"n": 7, "list": [1, "two", None, True]}}
    et = api.create_event_type(example=example)["name"]
    app = api.create_app()["id"]
    ep1 = api.create_endpoint(app, r1.url("/one"))["id"]
    ep2 = api.create_endpoint(app, r2.url("/two"))["id"]

    r = api.post(f"/api/v1/app/{app}/endpoint/{ep1}/send-example", {"eventType": et})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["id"].startswith("msg_"), out
    assert (out["eventType"], out["payload"]) == (et, example), out
    assert TIMESTAMP_RE.match(out["timestamp"]), out
    assert out == get_msg(api, app, out["id"])  # a real, stored message

    [q] = r1.wait_for(1)
    assert q.path == "/one" and q.headers["webhook-id"] == out["id"]
    assert json.loads(q.body) == example
    assert verify_signature(api.endpoint_secret(app, ep1), q.headers, q.body)

    wait_status(api, app, out["id"], ep1, SUCCESS)
    [att] = api.attempts_by_msg(app, out["id"])
    assert (att["msgId"], att["endpointId"], att["status"], att["responseStatusCode"]) == \
        (out["id"], ep1, SUCCESS, 200), att
    assert [e["id"] for e in api.msg_endpoints(app, out["id"])] == [ep1]
    assert ep_msg_ids(api, app, ep1) == [out["id"]]
    assert ep_msgs(api, app, ep2) == []
    assert stats(api, app, ep1) == {**ZERO, "success": 1}
    assert stats(api, app, ep2) == ZERO
    assert [m["id"] for m in api.list_all(f"/api/v1/app/{app}/msg")] == [out["id"]]
    time.sleep(0.5)
    assert r2.count() == 0, "send-example reached another endpoint of the app"
    assert r1.count() == 1


def test_send_example_refusals(api, receiver):
    app = api.create_app()["id"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    no_example = api.create_event_type()["name"]
    with_example = api.create_event_type(example={"x": 1})["name"]
    archived = api.create_event_type(example={"a": 1})["name"]
    r = api.delete(f"/api/v1/event-type/{archived}")
    assert r.status_code == 204, r.text
    path = f"/api/v1/app/{app}/endpoint/{ep}/send-example"

    for body, field_name in (({"eventType": no_example}, "eventType"),
                             ({"eventType": "no.such.type"}, "eventType"),
                             ({"eventType": archived}, "eventType"),
                             ({}, "eventType"),
                             ({"eventType": 5}, "eventType"),
                             ({"eventType": with_example, "extra": 1}, "extra"),
                             ({"eventType": with_example, "payload": {"y": 2}}, "payload"),
                             ({"eventType": with_example, "payloadRetentionPeriod": 5},
                              "payloadRetentionPeriod")):
        assert_error(api.post(path, body), 422, "validation", field_name)
    assert_error(api.post(f"/api/v1/app/{app}/endpoint/ep_nope/send-example",
                          {"eventType": with_example}), 404)
    assert_error(api.post(f"/api/v1/app/app_nope/endpoint/{ep}/send-example",
                          {"eventType": with_example}), 404)
    assert api.list_all(f"/api/v1/app/{app}/msg") == [], "a refused send-example made a message"
    assert stats(api, app, ep) == ZERO

    r = api.post(path, {"eventType": with_example, "payloadRetentionPeriod": None})
    assert r.status_code == 200, r.text
    assert r.json()["payload"] == {"x": 1}
    # an example set later is the one sent
    r = api.patch(f"/api/v1/event-type/{no_example}", {"example": {"later": True}})
    assert r.status_code == 200, r.text
    r = api.post(path, {"eventType": no_example})
    assert r.status_code == 200, r.text
    assert r.json()["payload"] == {"later": True}
    got = receiver.wait_for(2)
    assert sorted((json.loads(q.body) for q in got), key=json.dumps) == [{"later": True}, {"x": 1}]
    time.sleep(0.3)
    assert receiver.count() == 2


# ---- 4. DELETE .../msg/{msg}/content and .../attempt/{attempt}/content ---------------------


def test_expunge_message_content(api, receiver):
    app, other_app = api.create_app()["id"], api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    api.create_endpoint(other_app, receiver.url("/other"))
    m = api.send(app, et, {"card": "4111 1111", "n": 1}, eventId="evt-expunge")["id"]
    keep = api.send(app, et, {"keep": True})["id"]
    theirs = api.send(other_app, et, {"theirs": True})["id"]
    for x in (m, keep):
        wait_status(api, app, x, ep, SUCCESS)
    before = get_msg(api, app, m)
    assert before["payload"] == {"card": "4111 1111", "n": 1}

    r = api.delete(f"/api/v1/app/{app}/msg/{m}/content")
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.text)
    assert get_msg(api, app, m) == {**before, "payload": {}}
    assert get_msg(api, app, keep)["payload"] == {"keep": True}
    listed = {x["id"]: x for x in api.list_all(f"/api/v1/app/{app}/msg",
                                              {"with_content": "true"})}
    assert set(listed) == {m, keep}
    assert listed[m]["payload"] == {} and listed[keep]["payload"] == {"keep": True}
    rows = {x["id"]: x for x in ep_msgs(api, app, ep)}
    assert rows[m]["payload"] == {} and rows[m]["status"] == SUCCESS
    assert len(api.attempts_by_msg(app, m)) == 1  # the attempts stay

    assert_error(api.delete(f"/api/v1/app/{app}/msg/msg_nope/content"), 404)
    assert_error(api.delete(f"/api/v1/app/{app}/msg/{theirs}/content"), 404)
    assert_error(api.delete(f"/api/v1/app/app_nope/msg/{m}/content"), 404)
    assert get_msg(api, other_app, theirs)["payload"] == {"theirs": True}


def test_expunge_attempt_content(api, make_receiver):
    rcv = make_receiver(Reply(200, body=b"all good"))
    rcv.script(Reply(500, body=b'{"error":"temporary","token":"abc"}'))
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, rcv.url())["id"]
    m1 = api.send(app, et, {"n": 1})["id"]
    wait_status(api, app, m1, ep, SUCCESS)
    m2 = api.send(app, et, {"n": 2})["id"]
    wait_status(api, app, m2, ep, SUCCESS)
    atts1 = api.attempts_by_msg(app, m1)
    assert sorted(a["responseStatusCode"] for a in atts1) == [200, 500], atts1
    failed = next(a for a in atts1 if a["responseStatusCode"] == 500)
    ok = next(a for a in atts1 if a["responseStatusCode"] == 200)
    [other] = api.attempts_by_msg(app, m2)
    failed_before = get_attempt(api, app, m1, failed["id"])
    assert failed_before["response"] == '{"error":"temporary","token":"abc"}'
    ok_before = get_attempt(api, app, m1, ok["id"])
    other_before = get_attempt(api, app, m2, other["id"])
    assert ok_before["response"] == other_before["response"] == "all good"

    r = api.delete(f"/api/v1/app/{app}/msg/{m1}/attempt/{failed['id']}/content")
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.text)
    assert get_attempt(api, app, m1, failed["id"]) == {**failed_before, "response": ""}
    assert get_attempt(api, app, m1, ok["id"]) == ok_before
    assert get_attempt(api, app, m2, other["id"]) == other_before
    listed = {a["id"]: a for a in api.attempts_by_msg(app, m1)}
    assert listed[failed["id"]]["response"] == "" and listed[ok["id"]]["response"] == "all good"
    assert get_msg(api, app, m1)["payload"] == {"n": 1}  # the message keeps its payload

    # the attempt must belong to the message in the path
    assert_error(api.delete(f"/api/v1/app/{app}/msg/{m2}/attempt/{ok['id']}/content"), 404)
    assert get_attempt(api, app, m1, ok["id"]) == ok_before
    assert_error(api.delete(f"/api/v1/app/{app}/msg/{m1}/attempt/atmpt_nope/content"), 404)
    assert_error(api.delete(f"/api/v1/app/{app}/msg/msg_nope/attempt/{ok['id']}/content"), 404)
    other_app = api.create_app()["id"]
    assert_error(api.delete(f"/api/v1/app/{other_app}/msg/{m1}/attempt/{ok['id']}/content"), 404)
    assert get_attempt(api, app, m1, ok["id"]) == ok_before


# ---- 5. GET /api/v1/health/ping --------------------------------------------------------------


def test_health_ping_needs_no_token(hookd, api):
    url = hookd.base_url + "/api/v1/health/ping"
    r = requests.get(url, timeout=5)
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.text)
    r = requests.get(url, headers={"Authorization": "Bearer not-a-token"}, timeout=5)
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.text)
    r = requests.get(url, headers={"Authorization": f"Bearer {hookd.token}"}, timeout=5)
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.text)
    r = requests.head(url, timeout=5)
    assert r.status_code == 204, r.status_code


# ---- 6. an application's throttleRate / rateLimit ------------------------------------------


def test_application_throttle_rate_is_refused(api):
    for field_name in ("throttleRate", "rateLimit"):
        assert_error(api.post("/api/v1/app", {"name": "throttled", field_name: 10}),
                     422, "validation", field_name)
        assert_error(api.post("/api/v1/app", {"name": "throttled", field_name: 0}),
                     422, "validation", field_name)
    assert api.list_all("/api/v1/app") == [], "a refused POST made an application"

    made = api.create_app("nulls", throttleRate=None, rateLimit=None)
    assert made["throttleRate"] is None, made
    app = made["id"]
    for field_name in ("throttleRate", "rateLimit"):
        assert_error(api.put(f"/api/v1/app/{app}", {"name": "renamed", field_name: 5}),
                     422, "validation", field_name)
        assert_error(api.patch(f"/api/v1/app/{app}", {"name": "renamed", field_name: 5}),
                     422, "validation", field_name)
    shown = api.get(f"/api/v1/app/{app}").json()
    assert (shown["name"], shown["throttleRate"]) == ("nulls", None), shown

    r = api.put(f"/api/v1/app/{app}", {"name": "put", "throttleRate": None})
    assert r.status_code == 200 and r.json()["name"] == "put", r.text
    r = api.patch(f"/api/v1/app/{app}", {"name": "patched", "rateLimit": None})
    assert r.status_code == 200 and r.json()["name"] == "patched", r.text
    assert [a["id"] for a in api.list_all("/api/v1/app")] == [app]


def test_application_throttle_rate_is_refused_with_get_if_exists(api):
    """POST /api/v1/app?get_if_exists=true is still POST /api/v1/app: a non-null throttleRate is
    422, whether the uid names a new application or an existing one."""
    assert_error(api.post("/api/v1/app?get_if_exists=true",
                          {"name": "new", "uid": "gie-new", "throttleRate": 5}),
                 422, "validation", "throttleRate")
    assert api.get("/api/v1/app/gie-new").status_code == 404
    existing = api.create_app("existing", uid="gie-old")
    for field_name in ("throttleRate", "rateLimit"):
        assert_error(api.post("/api/v1/app?get_if_exists=true",
                              {"name": "existing", "uid": "gie-old", field_name: 5}),
                     422, "validation", field_name)
    r = api.post("/api/v1/app?get_if_exists=true",
                 {"name": "existing", "uid": "gie-old", "throttleRate": None})
    assert r.status_code == 200 and r.json()["id"] == existing["id"], r.text


# ---- 7. application tokens ---------------------------------------------------------------


def test_application_token_is_refused_on_another_applications_routes(hookd, api, make_receiver):
    rcv_a, rcv_b = make_receiver(Reply(200, body=b"from a")), make_receiver(Reply(200, body=b"from b"))
    et = api.create_event_type(example={"ex": 1})["name"]
    a, b = api.create_app()["id"], api.create_app()["id"]
    ep_a = api.create_endpoint(a, rcv_a.url())["id"]
    ep_b = api.create_endpoint(b, rcv_b.url())["id"]
    msg_a = api.send(a, et, {"a": 1})["id"]
    msg_b = api.send(b, et, {"b": 1})["id"]
    wait_status(api, a, msg_a, ep_a, SUCCESS)
    wait_status(api, b, msg_b, ep_b, SUCCESS)
    [att_a] = api.attempts_by_msg(a, msg_a)
    [att_b] = api.attempts_by_msg(b, msg_b)
    t = hookd.api(app_token(api, a))

    def calls(app, ep, msg, att):
        return [("GET", f"/api/v1/app/{app}/endpoint/{ep}/stats", None),
                ("GET", f"/api/v1/app/{app}/endpoint/{ep}/msg", None),
                ("POST", f"/api/v1/app/{app}/endpoint/{ep}/send-example", {"eventType": et}),
                ("DELETE", f"/api/v1/app/{app}/msg/{msg}/attempt/{att}/content", None),
                ("DELETE", f"/api/v1/app/{app}/msg/{msg}/content", None)]

    for method, path, body in calls(b, ep_b, msg_b, att_b["id"]):
        kw = {"json_body": body} if body is not None else {}
        assert_error(t.request(method, path, **kw), 403, "forbidden")
    # an application that does not exist is answered the same
    for method, path, body in calls("app_nope", "ep_nope", "msg_nope", "atmpt_nope"):
        kw = {"json_body": body} if body is not None else {}
        assert_error(t.request(method, path, **kw), 403, "forbidden")
    # nothing happened to B
    assert get_msg(api, b, msg_b)["payload"] == {"b": 1}
    assert get_attempt(api, b, msg_b, att_b["id"])["response"] == "from b"
    assert [m["id"] for m in api.list_all(f"/api/v1/app/{b}/msg")] == [msg_b]
    assert rcv_b.count() == 1

    # the same token may use them on A
    assert stats(t, a, ep_a) == {**ZERO, "success": 1}
    assert ep_msg_ids(t, a, ep_a) == [msg_a]
    r = t.post(f"/api/v1/app/{a}/endpoint/{ep_a}/send-example", {"eventType": et})
    assert r.status_code == 200 and r.json()["payload"] == {"ex": 1}, r.text
    rcv_a.wait_for(2)
    r = t.delete(f"/api/v1/app/{a}/msg/{msg_a}/attempt/{att_a['id']}/content")
    assert r.status_code == 204, r.text
    r = t.delete(f"/api/v1/app/{a}/msg/{msg_a}/content")
    assert r.status_code == 204, r.text
    assert get_msg(api, a, msg_a)["payload"] == {}
    assert get_attempt(api, a, msg_a, att_a["id"])["response"] == ""
    r = requests.get(hookd.base_url + "/api/v1/health/ping",
                     headers={"Authorization": f"Bearer {t.token}"}, timeout=5)
    assert r.status_code == 204


# ---- the npm svix SDK ----------------------------------------------------------------------


def test_svix_sdk_resources(hookd, api, receiver, node_dir, tmp_path):
    example = {"sdk": "example", "n": 5}
    et = api.create_event_type(example=example)["name"]
    app = api.create_app()["id"]
    other_app = api.create_app()["id"]
    ep = api.create_endpoint(app, receiver.url("/sdk"))["id"]
    cfg = tmp_path / "sdk.json"
    cfg.write_text(json.dumps({"serverUrl": hookd.base_url, "token": hookd.token, "appId": app,
                               "endpointId": ep, "eventType": et, "otherAppId": other_app}))
    res = subprocess.run(["node", str(node_dir / "svix_resources.mjs"), str(cfg)],
                         capture_output=True, text=True, timeout=60, cwd=node_dir)
    assert res.returncode == 0, f"svix_resources.mjs failed ({res.returncode}):\n{res.stdout}\n" \
                                f"{res.stderr}"
    out = json.loads(res.stdout)

    def ok(name):
        step = out[name]
        assert step["ok"], f"SDK call {name} was refused: {step}"
        return step["value"]

    def refused(name, status):
        step = out[name]
        assert not step["ok"], f"SDK call {name} should have been refused: {step}"
        assert step["error"]["code"] == status, f"SDK call {name}: {step}"
        return step["error"]["body"]

    assert ok("health") is None

    msg = ok("sendExample")
    assert msg["id"].startswith("msg_") and msg["eventType"] == et and msg["payload"] == example
    assert TIMESTAMP_RE.match(msg["timestamp"]), msg
    got = receiver.by_webhook_id(msg["id"])
    assert len(got) == 1 and json.loads(got[0].body) == example
    assert verify_signature(api.endpoint_secret(app, ep), got[0].headers, got[0].body)
    [att] = [a for a in ok("attempts")["data"] if a["status"] == SUCCESS]
    assert att["msgId"] == msg["id"] and att["endpointId"] == ep

    assert ok("stats") == {**ZERO, "success": 1}
    assert ok("statsWindow") == {**ZERO, "success": 1}
    assert ok("statsBefore") == ZERO
    assert ok("statsFuture") == ZERO
    assert refused("statsBackwards", 422)["code"] == "validation"

    lean = ok("attempted")
    assert lean["done"] is True and len(lean["data"]) == 1, lean
    row = lean["data"][0]
    assert (row["id"], row["eventType"], row["status"], row["statusText"]) == \
        (msg["id"], et, SUCCESS, "success"), row
    assert row["payload"] == {}, "the SDK asks with_content=false by default"
    assert row["nextAttempt"] is None and row["timestamp"] == msg["timestamp"], row
    assert ok("attemptedWithContent")["data"] == [{**row, "payload": example}]
    assert [m["id"] for m in ok("attemptedSuccess")["data"]] == [msg["id"]]
    assert ok("attemptedFail")["data"] == []

    before = ok("attemptBefore")
    assert before["id"] == att["id"] and before["response"] == "ok", before
    assert ok("expungeAttempt") is None
    assert ok("attemptAfter") == {**before, "response": ""}
    assert ok("expungeMessage") is None
    after = ok("messageAfter")
    assert after == {**msg, "payload": {}}, after
    assert get_msg(api, app, msg["id"])["payload"] == {}

    # app portal access, with the application made on the way
    portal = ok("portal")
    assert portal["token"].startswith("appsk_") and "/ui/#token=" + portal["token"] in portal["url"]
    uid = out["portalUid"]
    portal_app = ok("portalAppGet")
    assert portal_app["uid"] == uid and portal_app["name"] == "SDK portal app", portal_app
    assert api.get(f"/api/v1/app/{uid}").json()["id"] == portal_app["id"]
    assert ok("portalOwnStats") == ZERO
    assert refused("portalOtherApp", 403)["code"] == "forbidden"

    portal2 = ok("portal2")
    assert portal2["token"].startswith("appsk_") and portal2["token"] != portal["token"]
    assert ok("logout") is None
    assert refused("afterLogout", 401)["code"] == "authentication_failed"
    assert ok("beforeExpireAll")["id"] == portal_app["id"]
    assert ok("expireAll") is None
    assert refused("afterExpireAll", 401)["code"] == "authentication_failed"

    listed = [t for t in api.list_all("/api/v1/auth/token") if t["appId"] == portal_app["id"]]
    assert sorted((t["sessionId"], t["status"]) for t in listed) == \
        [("sdk-s1", "expired"), ("sdk-s2", "revoked")], listed
