"""Svix's endpoint statistics and an endpoint's messages: counts by status (sending:
attempted and waiting to retry), time windows, filters and paging.

Every test runs the real hookd binary against real HTTP receivers on loopback.
"""

from __future__ import annotations

import time

import pytest

from hookd_support import Reply, assert_error, wait_until
from svix_route_support import (STEADY, ZERO, SUCCESS, PENDING, FAIL, SENDING, app_endpoint,
                                ep_msg_ids, ep_msgs, get_msg, iso, ms_of, send_spaced, stats,
                                wait_status)


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
    app, et, ep = app_endpoint(api, receiver.url())
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
    app, et, ep = app_endpoint(api, receiver.url())
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


def test_stats_and_messages_of_a_delivery_waiting_for_its_retry(hookd_factory, make_receiver):
    """Svix's "sending": attempted, failed, and due to be retried; not yet attempted is pending."""
    srv = hookd_factory(env={**STEADY, "HOOKD_RETRY_SCHEDULE": "1h"})
    api = srv.api()
    bad_rcv = make_receiver(500)
    app, et, ep = app_endpoint(api, bad_rcv.url())
    msg = api.send(app, et, {"k": "retrying"})
    [att] = api.wait_attempts(app, msg["id"], 1)
    assert att["responseStatusCode"] == 500
    wait_until(lambda: stats(api, app, ep)["sending"] == 1, 5, what="a delivery waiting to retry")
    assert stats(api, app, ep) == {**ZERO, "sending": 1}

    [row] = ep_msgs(api, app, ep)
    assert (row["id"], row["status"], row["statusText"]) == (msg["id"], SENDING, "sending")
    assert isinstance(row["nextAttempt"], str), row
    delay = ms_of(row["nextAttempt"]) - ms_of(att["timestamp"])
    assert 3_600_000 - 5_000 <= delay <= 3_600_000 + 5_000, (row["nextAttempt"], att)
    assert ep_msg_ids(api, app, ep, status=SENDING) == [msg["id"]]
    for other in (PENDING, SUCCESS, FAIL):
        assert ep_msg_ids(api, app, ep, status=other) == [], other
    [dest] = api.msg_endpoints(app, msg["id"])
    assert (dest["status"], dest["statusText"], dest["attempts"]) == (SENDING, "sending", 1)
    assert bad_rcv.count() == 1


def test_stats_and_messages_while_a_first_attempt_is_in_flight(api, make_receiver):
    slow = make_receiver(200)
    slow.script(Reply(200, delay=2.5))
    app, et, ep = app_endpoint(api, slow.url())
    msg = api.send(app, et)["id"]
    slow.wait_for(1, timeout=5)
    # in flight and never attempted before: pending, counted once, the listing agrees
    assert stats(api, app, ep) == {**ZERO, "pending": 1}
    [row] = ep_msgs(api, app, ep)
    assert (row["status"], row["statusText"]) == (PENDING, "pending"), row
    assert ep_msg_ids(api, app, ep, status=PENDING) == [msg]
    assert ep_msg_ids(api, app, ep, status=SENDING) == []
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

    # channel and event_types narrow the list (tests/test_list_options.py covers them)
    assert ep_msg_ids(api, app, a, channel="ch-1") == [m3["id"]]
    assert ep_msg_ids(api, app, a, event_types=et) == [m3["id"], m1["id"]]

    # refused queries
    for params, field_name in (({"tag": "t"}, "tag"),
                               ({"status": "4"}, "status"), ({"status": "-1"}, "status"),
                               ({"status": "fail"}, "status"), ({"status": "1.0"}, "status"),
                               ({"before": "not-a-time"}, "before"),
                               ({"after": "2026-02-30T00:00:00"}, "after")):
        assert_error(api.get(path, params=params), 422, "validation", field_name)
    assert_error(api.get(f"/api/v1/app/{app}/endpoint/ep_nope/msg"), 404)
    assert_error(api.get(f"/api/v1/app/{app}/endpoint/{other}/msg"), 404)
    assert_error(api.get(f"/api/v1/app/app_nope/endpoint/{a}/msg"), 404)
