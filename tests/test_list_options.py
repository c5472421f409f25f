"""Svix's list options honored with real data: `channel`, `before`/`after` and `event_types` on
messages, attempts and an endpoint's messages, `status_code_class` on attempts, `order` on
applications, endpoints and event types, and `exclude_apps_with_no_endpoints`.

Each option is checked with items it must keep and items it must drop, so that a server that
ignored the option would fail. Every test runs the real hookd binary against real receivers.
"""

from __future__ import annotations

import time

import pytest

from hookd_support import Reply, assert_error, free_port
from svix_route_support import STEADY, SUCCESS, ep_msg_ids, iso, ms_of, send_spaced, wait_status

# One attempt per delivery: a failed first attempt waits an hour for its retry, so the failing
# endpoints have exactly one attempt per message and are never disabled.
ONE_ATTEMPT = {**STEADY, "HOOKD_RETRY_SCHEDULE": "1h"}


@pytest.fixture
def one_attempt(hookd_factory):
    return hookd_factory(env=ONE_ATTEMPT)


# ---- helpers -------------------------------------------------------------------------------


def ids(rows: list[dict]) -> list[str]:
    return [r["id"] for r in rows]


def msg_ids(api, app: str, **params) -> list[str]:
    return ids(api.list_all(f"/api/v1/app/{app}/msg", params))


def ep_attempts(api, app: str, ep: str, **params) -> list[dict]:
    return api.list_all(f"/api/v1/app/{app}/attempt/endpoint/{ep}", params)


def msg_attempts(api, app: str, msg: str, **params) -> list[dict]:
    return api.list_all(f"/api/v1/app/{app}/attempt/msg/{msg}", params)


def mid(a: str, b: str) -> str:
    """The RFC 3339 time halfway between two timestamps that are at least 2 ms apart."""
    ta, tb = ms_of(a), ms_of(b)
    assert tb - ta >= 2, f"timestamps too close to put a time between them: {a} {b}"
    return iso((ta + tb) // 2)


def pages(api, path: str, params: dict, limit: int) -> list[list[str]]:
    """The ids of every page of a list, following `iterator` until `done`."""
    p = {**params, "limit": limit}
    out: list[list[str]] = []
    for _ in range(100):
        r = api.get(path, params=p)
        assert r.status_code == 200, f"GET {path} {p}: {r.status_code} {r.text}"
        body = r.json()
        out.append(ids(body["data"]))
        if body["done"]:
            return out
        p["iterator"] = body["iterator"]
    raise AssertionError(f"paging {path} {params} never finished: {out[:5]}...")


# ---- GET /api/v1/app/{app}/msg -------------------------------------------------------------


def test_messages_filter_by_channel(api):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    red = api.send(app, et, channels=["red"])["id"]
    both = api.send(app, et, channels=["blue", "red"])["id"]
    blue = api.send(app, et, channels=["blue"])["id"]
    plain = api.send(app, et)["id"]
    assert msg_ids(api, app) == [plain, blue, both, red]
    assert msg_ids(api, app, channel="red") == [both, red]
    assert msg_ids(api, app, channel="blue") == [blue, both]
    assert msg_ids(api, app, channel="green") == []
    assert msg_ids(api, app, channel="red", event_types=et) == [both, red]


def test_messages_filter_by_channel_is_exact(api):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.send(app, et, channels=["red-1"])
    upper = api.send(app, et, channels=["Red"])["id"]
    assert msg_ids(api, app, channel="red") == []
    assert msg_ids(api, app, channel="Red") == [upper]


def test_messages_before_and_after(api):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    m = send_spaced(api, app, et, [{"i": 0}, {"i": 1}, {"i": 2}])
    m0, m1, m2 = ids(m)
    t01 = mid(m[0]["timestamp"], m[1]["timestamp"])
    t12 = mid(m[1]["timestamp"], m[2]["timestamp"])
    assert msg_ids(api, app) == [m2, m1, m0]
    assert msg_ids(api, app, after=t01) == [m2, m1]
    assert msg_ids(api, app, after=t12) == [m2]
    assert msg_ids(api, app, before=t12) == [m1, m0]
    assert msg_ids(api, app, before=t01) == [m0]
    assert msg_ids(api, app, after=t01, before=t12) == [m1]
    assert msg_ids(api, app, after=t12, before=t01) == []


def test_messages_before_and_after_exclude_their_own_instant(api):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    m = send_spaced(api, app, et, [{"i": 0}, {"i": 1}, {"i": 2}])
    m0, m1, m2 = ids(m)
    t1 = ms_of(m[1]["timestamp"])
    assert msg_ids(api, app, after=iso(t1)) == [m2]
    assert msg_ids(api, app, after=iso(t1 - 1)) == [m2, m1]
    assert msg_ids(api, app, before=iso(t1)) == [m0]
    assert msg_ids(api, app, before=iso(t1 + 1)) == [m1, m0]
    assert msg_ids(api, app, after=iso(t1 - 1), before=iso(t1 + 1)) == [m1]


def test_messages_before_and_after_with_paging(api):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    m = send_spaced(api, app, et, [{"i": i} for i in range(5)])
    t01 = mid(m[0]["timestamp"], m[1]["timestamp"])
    t34 = mid(m[3]["timestamp"], m[4]["timestamp"])
    got = pages(api, f"/api/v1/app/{app}/msg", {"after": t01, "before": t34}, 2)
    assert got == [[m[3]["id"], m[2]["id"]], [m[1]["id"]]], got


def test_messages_before_and_after_take_utc_offsets(api):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    m = send_spaced(api, app, et, [{"i": 0}, {"i": 1}])
    cut = (ms_of(m[0]["timestamp"]) + ms_of(m[1]["timestamp"])) // 2
    assert msg_ids(api, app, after=iso(cut, offset_minutes=120)) == [m[1]["id"]]
    assert msg_ids(api, app, before=iso(cut, offset_minutes=-330)) == [m[0]["id"]]


def test_messages_before_and_after_refuse_bad_times(api):
    app = api.create_app()["id"]
    for name in ("before", "after"):
        assert_error(api.get(f"/api/v1/app/{app}/msg", params={name: "yesterday"}),
                     422, "validation", name)


def test_messages_filter_by_event_types(api):
    app = api.create_app()["id"]
    a, b, c = (api.create_event_type()["name"] for _ in range(3))
    ma = api.send(app, a)["id"]
    mb = api.send(app, b)["id"]
    mc = api.send(app, c)["id"]
    assert msg_ids(api, app, event_types=a) == [ma]
    assert msg_ids(api, app, event_types=f"{a},{c}") == [mc, ma]
    assert msg_ids(api, app, event_types=f"{c},{b},{a}") == [mc, mb, ma]
    assert msg_ids(api, app, event_types="evt.nope") == []


def test_messages_tag_is_refused(api):
    app = api.create_app()["id"]
    api.send(app, api.create_event_type()["name"])
    assert_error(api.get(f"/api/v1/app/{app}/msg", params={"tag": "x"}), 422, "validation", "tag")


# ---- GET .../attempt/endpoint/{ep} and .../attempt/msg/{msg} ------------------------------


@pytest.fixture
def three_outcomes(one_attempt, make_receiver):
    """An application with endpoints answering 200 (`ok`), 500 (`bad`) and none at all (`down`,
    a closed port), and two messages of two event types and channels, sent 50 ms apart, each
    attempted once at every endpoint."""
    api = one_attempt.api()
    ok_rcv, bad_rcv = make_receiver(200), make_receiver(500)
    app = api.create_app()["id"]
    et_a, et_b = api.create_event_type()["name"], api.create_event_type()["name"]
    eps = {"ok": api.create_endpoint(app, ok_rcv.url("/ok"))["id"],
           "bad": api.create_endpoint(app, bad_rcv.url("/bad"))["id"],
           "down": api.create_endpoint(app, f"http://127.0.0.1:{free_port()}/down")["id"]}
    m1 = api.send(app, et_a, {"n": 1}, channels=["red"])["id"]
    att1 = api.wait_attempts(app, m1, 3)
    time.sleep(0.05)
    m2 = api.send(app, et_b, {"n": 2}, channels=["blue"])["id"]
    att2 = api.wait_attempts(app, m2, 3)

    def by_ep(atts: list[dict]) -> dict[str, dict]:
        return {name: next(a for a in atts if a["endpointId"] == ep) for name, ep in eps.items()}

    return {"api": api, "app": app, "et_a": et_a, "et_b": et_b, "eps": eps, "m1": m1, "m2": m2,
            "att1": by_ep(att1), "att2": by_ep(att2)}


def test_attempts_are_what_the_setup_says(three_outcomes):
    s = three_outcomes
    for att in (s["att1"], s["att2"]):
        assert {k: a["responseStatusCode"] for k, a in att.items()} == \
            {"ok": 200, "bad": 500, "down": 0}, att
    assert ms_of(s["att1"]["ok"]["timestamp"]) < ms_of(s["att2"]["ok"]["timestamp"])


def test_attempts_by_endpoint_filter_by_status_code_class(three_outcomes):
    s = three_outcomes
    api, app, eps = s["api"], s["app"], s["eps"]
    pair = {name: [s["att2"][name]["id"], s["att1"][name]["id"]] for name in eps}
    assert ids(ep_attempts(api, app, eps["ok"], status_code_class=200)) == pair["ok"]
    assert ids(ep_attempts(api, app, eps["ok"], status_code_class=500)) == []
    assert ids(ep_attempts(api, app, eps["ok"], status_code_class=0)) == []
    assert ids(ep_attempts(api, app, eps["bad"], status_code_class=500)) == pair["bad"]
    assert ids(ep_attempts(api, app, eps["bad"], status_code_class=200)) == []
    assert ids(ep_attempts(api, app, eps["bad"], status_code_class=400)) == []
    assert ids(ep_attempts(api, app, eps["down"], status_code_class=0)) == pair["down"]
    assert ids(ep_attempts(api, app, eps["down"], status_code_class=500)) == []
    assert ids(ep_attempts(api, app, eps["down"], status_code_class=200)) == []


def test_attempts_by_message_filter_by_status_code_class(three_outcomes):
    s = three_outcomes
    api, app, m1 = s["api"], s["app"], s["m1"]
    assert len(msg_attempts(api, app, m1)) == 3
    assert ids(msg_attempts(api, app, m1, status_code_class=200)) == [s["att1"]["ok"]["id"]]
    assert ids(msg_attempts(api, app, m1, status_code_class=500)) == [s["att1"]["bad"]["id"]]
    assert ids(msg_attempts(api, app, m1, status_code_class=0)) == [s["att1"]["down"]["id"]]
    assert ids(msg_attempts(api, app, m1, status_code_class=300)) == []
    assert ids(msg_attempts(api, app, m1, status_code_class=100)) == []


def test_status_code_class_bounds_a_class_of_codes(one_attempt, make_receiver):
    api = one_attempt.api()
    rcv = make_receiver(299)
    rcv.script(Reply(201), Reply(404), Reply(503))
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, rcv.url())["id"]
    sent = []
    for i in range(4):  # answered 201, 404, 503, 299
        sent.append(api.send(app, et, {"i": i})["id"])
        api.wait_attempts(app, sent[-1], 1)
    by_code = {a["responseStatusCode"]: a["id"] for a in ep_attempts(api, app, ep)}
    assert sorted(by_code) == [201, 299, 404, 503], by_code
    assert ids(ep_attempts(api, app, ep, status_code_class=200)) == [by_code[299], by_code[201]]
    assert ids(ep_attempts(api, app, ep, status_code_class=400)) == [by_code[404]]
    assert ids(ep_attempts(api, app, ep, status_code_class=500)) == [by_code[503]]
    assert ids(ep_attempts(api, app, ep, status_code_class=300)) == []
    assert ids(ep_attempts(api, app, ep, status_code_class=0)) == []


def test_status_code_class_refuses_other_values(three_outcomes):
    s = three_outcomes
    api, app = s["api"], s["app"]
    for path in (f"/api/v1/app/{app}/attempt/endpoint/{s['eps']['ok']}",
                 f"/api/v1/app/{app}/attempt/msg/{s['m1']}"):
        for value in ("201", "2xx", "-100", "600"):
            assert_error(api.get(path, params={"status_code_class": value}),
                         422, "validation", "status_code_class")


def test_attempts_by_endpoint_before_and_after(api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    atts = []
    for i in range(3):
        if i:
            time.sleep(0.05)
        msg = api.send(app, et, {"i": i})["id"]
        [att] = api.wait_attempts(app, msg, 1)
        atts.append(att)
    a0, a1, a2 = ids(atts)
    t01 = mid(atts[0]["timestamp"], atts[1]["timestamp"])
    t12 = mid(atts[1]["timestamp"], atts[2]["timestamp"])
    assert ids(ep_attempts(api, app, ep)) == [a2, a1, a0]
    assert ids(ep_attempts(api, app, ep, after=t01)) == [a2, a1]
    assert ids(ep_attempts(api, app, ep, before=t12)) == [a1, a0]
    assert ids(ep_attempts(api, app, ep, after=t01, before=t12)) == [a1]
    assert ids(ep_attempts(api, app, ep, after=t12, before=t01)) == []


def test_attempts_before_and_after_exclude_their_own_instant(api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    msg = api.send(app, et)["id"]
    [att] = api.wait_attempts(app, msg, 1)
    t = ms_of(att["timestamp"])
    for path in (f"/api/v1/app/{app}/attempt/endpoint/{ep}",
                 f"/api/v1/app/{app}/attempt/msg/{msg}"):
        assert api.list_all(path, {"after": iso(t)}) == [], path
        assert api.list_all(path, {"before": iso(t)}) == [], path
        assert ids(api.list_all(path, {"after": iso(t - 1), "before": iso(t + 1)})) == \
            [att["id"]], path


def test_attempts_by_message_before_and_after(api, receiver):
    """One message attempted three times (its delivery, then two resends) 50 ms apart."""
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    msg = api.send(app, et)["id"]
    api.wait_attempts(app, msg, 1)
    for n in (2, 3):
        time.sleep(0.05)
        r = api.post(f"/api/v1/app/{app}/msg/{msg}/endpoint/{ep}/resend")
        assert r.status_code == 202, r.text
        api.wait_attempts(app, msg, n)
    atts = msg_attempts(api, app, msg)[::-1]  # oldest first
    a0, a1, a2 = ids(atts)
    t01 = mid(atts[0]["timestamp"], atts[1]["timestamp"])
    t12 = mid(atts[1]["timestamp"], atts[2]["timestamp"])
    assert ids(msg_attempts(api, app, msg, after=t01)) == [a2, a1]
    assert ids(msg_attempts(api, app, msg, before=t12)) == [a1, a0]
    assert ids(msg_attempts(api, app, msg, after=t01, before=t12)) == [a1]
    assert ids(msg_attempts(api, app, msg, after=t12, before=t01)) == []


def test_attempts_before_and_after_refuse_bad_times(three_outcomes):
    s = three_outcomes
    api, app = s["api"], s["app"]
    for path in (f"/api/v1/app/{app}/attempt/endpoint/{s['eps']['ok']}",
                 f"/api/v1/app/{app}/attempt/msg/{s['m1']}"):
        for name in ("before", "after"):
            assert_error(api.get(path, params={name: "2026-13-45T00:00:00Z"}),
                         422, "validation", name)


def test_attempts_filter_by_event_types(three_outcomes):
    s = three_outcomes
    api, app, ok = s["api"], s["app"], s["eps"]["ok"]
    a1, a2 = s["att1"]["ok"]["id"], s["att2"]["ok"]["id"]
    assert ids(ep_attempts(api, app, ok, event_types=s["et_a"])) == [a1]
    assert ids(ep_attempts(api, app, ok, event_types=s["et_b"])) == [a2]
    assert ids(ep_attempts(api, app, ok, event_types=f"{s['et_b']},{s['et_a']}")) == [a2, a1]
    assert ids(ep_attempts(api, app, ok, event_types="evt.nope")) == []
    assert len(msg_attempts(api, app, s["m1"], event_types=s["et_a"])) == 3
    assert msg_attempts(api, app, s["m1"], event_types=s["et_b"]) == []


def test_attempts_filter_by_channel(three_outcomes):
    s = three_outcomes
    api, app, bad = s["api"], s["app"], s["eps"]["bad"]
    assert ids(ep_attempts(api, app, bad, channel="red")) == [s["att1"]["bad"]["id"]]
    assert ids(ep_attempts(api, app, bad, channel="blue")) == [s["att2"]["bad"]["id"]]
    assert ep_attempts(api, app, bad, channel="green") == []
    assert {a["id"] for a in msg_attempts(api, app, s["m2"], channel="blue")} == \
        {a["id"] for a in s["att2"].values()}
    assert msg_attempts(api, app, s["m2"], channel="red") == []


def test_attempt_filters_combine(three_outcomes):
    s = three_outcomes
    api, app = s["api"], s["app"]
    assert ids(msg_attempts(api, app, s["m1"], channel="red", status_code_class=500)) == \
        [s["att1"]["bad"]["id"]]
    assert msg_attempts(api, app, s["m1"], channel="blue", status_code_class=500) == []
    assert ids(ep_attempts(api, app, s["eps"]["down"], event_types=s["et_b"],
                           status_code_class=0)) == [s["att2"]["down"]["id"]]


def test_attempts_tag_is_refused(three_outcomes):
    s = three_outcomes
    api, app = s["api"], s["app"]
    for path in (f"/api/v1/app/{app}/attempt/endpoint/{s['eps']['ok']}",
                 f"/api/v1/app/{app}/attempt/msg/{s['m1']}"):
        assert_error(api.get(path, params={"tag": "x"}), 422, "validation", "tag")


# ---- GET .../endpoint/{ep}/msg -------------------------------------------------------------


def test_endpoint_messages_filter_by_channel_and_event_types(api, receiver):
    app = api.create_app()["id"]
    et_a, et_b = api.create_event_type()["name"], api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    red_a = api.send(app, et_a, channels=["red"])["id"]
    blue_b = api.send(app, et_b, channels=["blue"])["id"]
    red_b = api.send(app, et_b, channels=["red", "blue"])["id"]
    plain_a = api.send(app, et_a)["id"]
    for m in (red_a, blue_b, red_b, plain_a):
        wait_status(api, app, m, ep, SUCCESS)
    assert ep_msg_ids(api, app, ep) == [plain_a, red_b, blue_b, red_a]
    assert ep_msg_ids(api, app, ep, channel="red") == [red_b, red_a]
    assert ep_msg_ids(api, app, ep, channel="blue") == [red_b, blue_b]
    assert ep_msg_ids(api, app, ep, channel="green") == []
    assert ep_msg_ids(api, app, ep, event_types=et_a) == [plain_a, red_a]
    assert ep_msg_ids(api, app, ep, event_types=f"{et_a},{et_b}") == \
        [plain_a, red_b, blue_b, red_a]
    assert ep_msg_ids(api, app, ep, event_types="evt.nope") == []
    assert ep_msg_ids(api, app, ep, event_types=et_b, channel="red") == [red_b]
    assert ep_msg_ids(api, app, ep, event_types=et_a, channel="blue") == []


def test_endpoint_messages_tag_is_refused(api, receiver):
    app = api.create_app()["id"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    assert_error(api.get(f"/api/v1/app/{app}/endpoint/{ep}/msg", params={"tag": "x"}),
                 422, "validation", "tag")


# ---- order=descending ----------------------------------------------------------------------


def _check_descending(api, path: str, made: list[str], extra: dict | None = None) -> None:
    """`made` (the ids of the list, in ascending order): descending is its reverse, and pages of
    2 walk it once, in that order."""
    params = dict(extra or {})
    ascending = ids(api.list_all(path, params))
    assert ascending == made, (ascending, made)
    assert ids(api.list_all(path, {**params, "order": "ascending"})) == made
    descending = ids(api.list_all(path, {**params, "order": "descending"}))
    assert descending == made[::-1]
    got = pages(api, path, {**params, "order": "descending"}, 2)
    assert [len(p) for p in got] == [2] * (len(made) // 2) + [1] * (len(made) % 2), got
    assert [i for p in got for i in p] == made[::-1], got
    got_up = pages(api, path, {**params, "order": "ascending"}, 2)
    assert [i for p in got_up for i in p] == made, got_up
    assert_error(api.get(path, params={**params, "order": "sideways"}), 422, "validation", "order")


def test_applications_in_descending_order(api):
    made = [api.create_app(f"app-{i}")["id"] for i in range(5)]
    _check_descending(api, "/api/v1/app", made)


def test_endpoints_in_descending_order(api, receiver):
    app = api.create_app()["id"]
    other = api.create_app()["id"]
    api.create_endpoint(other, receiver.url("/other"))
    made = [api.create_endpoint(app, receiver.url(f"/{i}"))["id"] for i in range(5)]
    _check_descending(api, f"/api/v1/app/{app}/endpoint", made)


def test_event_types_in_descending_order(api):
    names = ["ord.c", "ord.a", "ord.e", "ord.b", "ord.d"]
    for n in names:
        api.create_event_type(n)
    made = sorted(names)
    assert [e["name"] for e in api.list_all("/api/v1/event-type")] == made
    descending = [e["name"] for e in api.list_all("/api/v1/event-type", {"order": "descending"})]
    assert descending == made[::-1]
    got = _name_pages(api, {"order": "descending"}, 2)
    assert got == [["ord.e", "ord.d"], ["ord.c", "ord.b"], ["ord.a"]], got
    assert_error(api.get("/api/v1/event-type", params={"order": "sideways"}),
                 422, "validation", "order")


def test_event_types_descending_with_archived(api):
    for n in ("arc.a", "arc.b", "arc.c", "arc.d"):
        api.create_event_type(n)
    assert api.delete("/api/v1/event-type/arc.c").status_code == 204
    assert [e["name"] for e in api.list_all("/api/v1/event-type", {"order": "descending"})] == \
        ["arc.d", "arc.b", "arc.a"]
    got = _name_pages(api, {"order": "descending", "include_archived": "true"}, 2)
    assert got == [["arc.d", "arc.c"], ["arc.b", "arc.a"]], got


def _name_pages(api, params: dict, limit: int) -> list[list[str]]:
    """Event type names, page by page (event types are keyed by name)."""
    p = {**params, "limit": limit}
    out: list[list[str]] = []
    for _ in range(100):
        r = api.get("/api/v1/event-type", params=p)
        assert r.status_code == 200, f"GET event types {p}: {r.status_code} {r.text}"
        body = r.json()
        out.append([e["name"] for e in body["data"]])
        if body["done"]:
            return out
        p["iterator"] = body["iterator"]
    raise AssertionError(f"paging event types {params} never finished: {out[:5]}...")


# ---- exclude_apps_with_no_endpoints --------------------------------------------------------


def test_exclude_apps_with_no_endpoints(api, receiver):
    with_ep = api.create_app("with")["id"]
    api.create_endpoint(with_ep, receiver.url())
    without = api.create_app("without")["id"]
    disabled = api.create_app("disabled")["id"]
    api.create_endpoint(disabled, receiver.url(), disabled=True)
    emptied = api.create_app("emptied")["id"]
    gone = api.create_endpoint(emptied, receiver.url())["id"]
    assert api.delete(f"/api/v1/app/{emptied}/endpoint/{gone}").status_code == 204
    everything = [with_ep, without, disabled, emptied]
    assert ids(api.list_all("/api/v1/app")) == everything
    assert ids(api.list_all("/api/v1/app", {"exclude_apps_with_no_endpoints": "false"})) == \
        everything
    assert ids(api.list_all("/api/v1/app", {"exclude_apps_with_no_endpoints": "true"})) == \
        [with_ep, disabled]
    assert ids(api.list_all("/api/v1/app", {"exclude_apps_with_no_endpoints": "true",
                                            "order": "descending"})) == [disabled, with_ep]


def test_exclude_apps_with_no_endpoints_pages(api, receiver):
    apps = [api.create_app(f"p{i}")["id"] for i in range(6)]
    for a in apps[::2]:
        api.create_endpoint(a, receiver.url())
    got = pages(api, "/api/v1/app", {"exclude_apps_with_no_endpoints": "true"}, 2)
    assert got == [[apps[0], apps[2]], [apps[4]]], got


def test_exclude_apps_with_no_endpoints_refuses_non_booleans(api):
    for value in ("yes", "1", "TRUE", "maybe"):
        assert_error(api.get("/api/v1/app", params={"exclude_apps_with_no_endpoints": value}),
                     422, "validation", "exclude_apps_with_no_endpoints")
