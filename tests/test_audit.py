"""The audit log (docs/auth.md, "Audit log"): one entry per successful configuration change with
its route, object, token and masked body; its filters and pagination; what an application token
may see; and what is not recorded (refused changes, message sends, resends, retries, tests)."""

from __future__ import annotations

import base64
import secrets
import time
from datetime import datetime, timezone


from hookd_support import TIMESTAMP_RE, assert_error

MASK = "********"
ENTRY_FIELDS = {"id", "at", "tokenId", "tokenKind", "appId", "method", "route", "path",
                "objectId", "changes", "status"}
EP_ROUTE = "/api/v1/app/{app_id}/endpoint/{endpoint_id}"


class _Any:
    """Equal to anything: a member the test leaves to another test."""

    def __eq__(self, other):
        return True

    def __repr__(self):
        return "ANY"


ANY = _Any()


# ---- helpers -------------------------------------------------------------------------------


def _whsec(fill: bytes) -> str:
    return "whsec_" + base64.b64encode(fill * 24).decode()


def _audit(api, limit: int = 250, **params) -> list[dict]:
    rows = api.list_all("/api/v1/audit", params, limit=limit)
    for e in rows:
        assert set(e) == ENTRY_FIELDS, e
        assert e["id"].startswith("aud_"), e
        assert TIMESTAMP_RE.match(e["at"]), e
    return rows


def _key(e: dict) -> tuple:
    return (e["method"], e["route"], e["path"], e["objectId"], e["appId"], e["tokenId"],
            e["tokenKind"], e["status"])


def _rfc3339(unix_s: float) -> str:
    t = datetime.fromtimestamp(unix_s, timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _ok(r, status: int):
    assert r.status_code == status, (
        f"{r.request.method} {r.request.url}: expected {status}, got {r.status_code} {r.text}")
    return r.json() if r.content else None


def _token(api, **body) -> dict:
    return _ok(api.post("/api/v1/auth/token", body), 201)


# ---- what is recorded ----------------------------------------------------------------------


def test_each_change_is_recorded_with_route_object_and_token(hookd, api):
    """A sequence of changes by the admin token, a stored admin token and an application token
    gives one entry each, newest first, naming route, path, object, app, token and status."""
    uid = "aud-" + secrets.token_hex(3)
    et_name = "evt.aud." + secrets.token_hex(3)
    want = []  # (method, route, path, objectId, appId, tokenId, tokenKind, status), oldest first

    app = _ok(api.post("/api/v1/app", {"name": "Audited", "uid": uid}), 201)
    A = app["id"]
    want.append(("POST", "/api/v1/app", "/api/v1/app", A, A, "admin", "admin", 201))
    _ok(api.patch(f"/api/v1/app/{uid}", {"name": "Audited 2"}), 200)
    want.append(("PATCH", "/api/v1/app/{app_id}", f"/api/v1/app/{uid}", A, A, "admin", "admin",
                 200))
    _ok(api.post("/api/v1/event-type", {"name": et_name, "description": "d"}), 201)
    want.append(("POST", "/api/v1/event-type", "/api/v1/event-type", et_name, None, "admin",
                 "admin", 201))
    _ok(api.patch(f"/api/v1/event-type/{et_name}", {"description": "d2"}), 200)
    want.append(("PATCH", "/api/v1/event-type/{event_type_name}",
                 f"/api/v1/event-type/{et_name}", et_name, None, "admin", "admin", 200))
    ep = _ok(api.post(f"/api/v1/app/{A}/endpoint", {"url": "http://127.0.0.1:9/a"}), 201)
    E = ep["id"]
    want.append(("POST", "/api/v1/app/{app_id}/endpoint", f"/api/v1/app/{A}/endpoint", E, A,
                 "admin", "admin", 201))
    _ok(api.put(f"/api/v1/app/{A}/endpoint/{E}/headers", {"headers": {"X-A": "1"}}), 204)
    want.append(("PUT", EP_ROUTE + "/headers", f"/api/v1/app/{A}/endpoint/{E}/headers", E, A,
                 "admin", "admin", 204))
    _ok(api.post(f"/api/v1/app/{A}/endpoint/{E}/secret/rotate", {}), 204)
    want.append(("POST", EP_ROUTE + "/secret/rotate",
                 f"/api/v1/app/{A}/endpoint/{E}/secret/rotate", E, A, "admin", "admin", 204))

    app_tok = _token(api, name="ci", appId=uid)
    T = app_tok["id"]
    want.append(("POST", "/api/v1/auth/token", "/api/v1/auth/token", T, A, "admin", "admin", 201))
    t = hookd.api(app_tok["token"])
    _ok(t.patch(f"/api/v1/app/{A}/endpoint/{E}", {"description": "by the app"}), 200)
    want.append(("PATCH", EP_ROUTE, f"/api/v1/app/{A}/endpoint/{E}", E, A, T, "application",
                 200))
    src = _ok(t.post(f"/api/v1/app/{A}/source", {"name": "s"}), 201)
    want.append(("POST", "/api/v1/app/{app_id}/source", f"/api/v1/app/{A}/source", src["id"], A,
                 T, "application", 201))
    _ok(t.delete(f"/api/v1/app/{A}/source/{src['id']}"), 204)
    want.append(("DELETE", "/api/v1/app/{app_id}/source/{source_id}",
                 f"/api/v1/app/{A}/source/{src['id']}", src["id"], A, T, "application", 204))

    glob = _token(api, name="ops")
    G = glob["id"]
    want.append(("POST", "/api/v1/auth/token", "/api/v1/auth/token", G, None, "admin", "admin",
                 201))
    g = hookd.api(glob["token"])
    _ok(g.put(f"/api/v1/app/{A}", {"name": "Audited 3", "uid": uid}), 200)
    want.append(("PUT", "/api/v1/app/{app_id}", f"/api/v1/app/{A}", A, A, G, "admin", 200))
    portal = _ok(g.post(f"/api/v1/auth/app-portal-access/{uid}", {"sessionId": "s1"}), 200)
    want.append(("POST", "/api/v1/auth/app-portal-access/{app_id}",
                 f"/api/v1/auth/app-portal-access/{uid}", portal["id"], A, G, "admin", 200))
    _ok(g.post(f"/api/v1/auth/app/{A}/expire-all", {"sessionIds": ["s1"]}), 204)
    want.append(("POST", "/api/v1/auth/app/{app_id}/expire-all",
                 f"/api/v1/auth/app/{A}/expire-all", A, A, G, "admin", 204))
    _ok(g.post("/api/v1/auth/logout"), 204)
    want.append(("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", G, None, G, "admin", 204))
    _ok(t.post("/api/v1/auth/logout"), 204)
    # which app a token's logout belongs to is checked in test_token_entries_name_its_app
    want.append(("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", T, ANY, T,
                 "application", 204))
    _ok(api.delete(f"/api/v1/app/{A}/endpoint/{E}"), 204)
    want.append(("DELETE", EP_ROUTE, f"/api/v1/app/{A}/endpoint/{E}", E, A, "admin", "admin",
                 204))

    entries = _audit(api)
    got = [_key(e) for e in entries]
    assert got == list(reversed(want)), "\n".join(
        ["expected (newest first):"] + [repr(w) for w in reversed(want)] +
        ["got:"] + [repr(x) for x in got])
    ats = [e["at"] for e in entries]
    assert ats == sorted(ats, reverse=True), ats
    assert len({e["id"] for e in entries}) == len(entries)
    by_path = {(e["method"], e["path"]): e for e in entries}
    assert by_path[("POST", "/api/v1/app")]["changes"] == {"name": "Audited", "uid": uid}
    assert by_path[("PATCH", f"/api/v1/app/{A}/endpoint/{E}")]["changes"] == \
        {"description": "by the app"}
    assert by_path[("POST", f"/api/v1/auth/app/{A}/expire-all")]["changes"] == \
        {"sessionIds": ["s1"]}
    assert [e["changes"] for e in entries if e["route"] == "/api/v1/auth/token"] == \
        [{"name": "ops"}, {"name": "ci", "appId": uid}]
    assert by_path[("POST", f"/api/v1/auth/app-portal-access/{uid}")]["changes"] == \
        {"sessionId": "s1"}
    assert by_path[("POST", "/api/v1/auth/logout")]["changes"] == {}


def test_secret_values_are_masked(hookd, api):
    """Endpoint secrets, rotated keys, header values, passwords and nested secret-named members
    are "********" in `changes`; other values are kept; no secret appears in the audit log."""
    app = api.create_app()
    A = app["id"]
    s1, s2 = _whsec(b"a"), _whsec(b"b")
    body = {"url": "http://127.0.0.1:9/m", "description": "masked", "secret": s1,
            "headers": {"X-Api-Key": "hdr-key-1", "X-Team": "growth"},
            "metadata": {"team": "core", "apiToken": "meta-token-1",
                         "nested": {"Password": "meta-pass-1", "list": [{"privateKey": "pk-1"}],
                                    "X_AUTHORIZATION": "meta-auth-1"}}}
    ep = _ok(api.post(f"/api/v1/app/{A}/endpoint", body), 201)
    E = ep["id"]
    _ok(api.put(f"/api/v1/app/{A}/endpoint/{E}/headers",
                {"headers": {"X-Api-Key": "hdr-key-2", "X-Custom": "Bearer hdr-auth-2",
                             "X-Team": "sales"}}), 204)
    _ok(api.patch(f"/api/v1/app/{A}/endpoint/{E}/headers",
                  {"headers": {"X-Team": "support", "X-Api-Key": None}}), 204)
    _ok(api.post(f"/api/v1/app/{A}/endpoint/{E}/secret/rotate", {"key": s2}), 204)
    _ok(api.patch(f"/api/v1/app/{A}/endpoint/{E}",
                  {"basicAuth": {"username": "ada", "password": "basic-pass-1"}}), 200)
    src_body = {"name": "hmac", "kind": "generic",
                "verification": {"type": "hmac", "secret": "src-hmac-secret-1",
                                 "header": "X-Sig"}}
    src = _ok(api.post(f"/api/v1/app/{A}/source", src_body), 201)

    entries = _audit(api, objectId=E)
    by = {(e["method"], e["route"]): e["changes"] for e in entries}
    assert by[("POST", "/api/v1/app/{app_id}/endpoint")] == {
        "url": "http://127.0.0.1:9/m", "description": "masked", "secret": MASK,
        "headers": {"X-Api-Key": MASK, "X-Team": MASK},
        "metadata": {"team": "core", "apiToken": MASK,
                     "nested": {"Password": MASK, "list": [{"privateKey": MASK}],
                                "X_AUTHORIZATION": MASK}}}
    assert by[("PUT", EP_ROUTE + "/headers")] == {
        "headers": {"X-Api-Key": MASK, "X-Custom": MASK, "X-Team": MASK}}
    assert by[("PATCH", EP_ROUTE + "/headers")] == {
        "headers": {"X-Team": MASK, "X-Api-Key": None}}
    assert by[("POST", EP_ROUTE + "/secret/rotate")] == {"key": MASK}
    assert by[("PATCH", EP_ROUTE)] == {"basicAuth": {"username": "ada", "password": MASK}}
    [src_entry] = _audit(api, objectId=src["id"])
    assert src_entry["changes"] == {"name": "hmac", "kind": "generic",
                                    "verification": {"type": "hmac", "secret": MASK,
                                                     "header": "X-Sig"}}
    text = api.get("/api/v1/audit", params={"limit": 250}).text
    for plain in (s1, s2, s1[len("whsec_"):], "hdr-key-1", "hdr-key-2", "hdr-auth-2", "growth",
                  "sales", "support", "meta-token-1", "meta-auth-1", "meta-pass-1", "pk-1",
                  "basic-pass-1", "src-hmac-secret-1"):
        assert plain not in text, f"{plain!r} is in the audit log"


def test_failed_changes_are_not_recorded(hookd, api):
    """Refused changes (400, 401, 403, 404, 409, 422) leave no entry."""
    app = api.create_app(uid="fail-" + secrets.token_hex(3))
    A = app["id"]
    tok = _token(api, appId=A)
    t = hookd.api(tok["token"])
    before = _audit(api)
    assert len(before) == 2, before  # the app and the token
    refused = [
        (api.post("/api/v1/app", {"name": 5}), 422),
        (api.post("/api/v1/app", {"name": "dup", "uid": app["uid"]}), 409),
        (api.request("POST", "/api/v1/app", data=b"{not json"), 400),
        (api.patch("/api/v1/app/app_missing", {"name": "x"}), 404),
        (api.post(f"/api/v1/app/{A}/endpoint", {"url": "ftp://nope"}), 422),
        (api.delete(f"/api/v1/app/{A}/endpoint/ep_missing"), 404),
        (api.post("/api/v1/event-type", {"description": "no name"}), 422),
        (api.post("/api/v1/auth/token", {"nope": 1}), 422),
        (api.post("/api/v1/auth/token", {"appId": "app_missing"}), 422),
        (api.delete("/api/v1/auth/token/tok_missing"), 404),
        (api.post("/api/v1/auth/logout"), 422),
        (api.post("/api/v1/auth/app-portal-access/missing-app", {}), 404),
        (api.post(f"/api/v1/auth/app-portal-access/{A}", {"featureFlags": ["x"]}), 422),
        (api.post("/api/v1/auth/app/app_missing/expire-all", {}), 404),
        (t.patch(f"/api/v1/app/{A}", {"name": "x"}), 403),
        (t.post("/api/v1/event-type", {"name": "evt.t", "description": "d"}), 403),
        (t.post("/api/v1/auth/token", {}), 403),
        (hookd.api("wrong-token").post("/api/v1/app", {"name": "x"}), 401),
    ]
    for r, status in refused:
        assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text)
    assert _audit(api) == before
    assert all(200 <= e["status"] < 300 for e in before), before


def test_message_sends_resends_retries_and_tests_are_not_recorded(hookd, api, receiver):
    """Sending, resending and retrying messages and testing an endpoint are not configuration
    changes: the audit log does not grow."""
    app = api.create_app()
    A = app["id"]
    et = api.create_event_type(example={"k": "v"})["name"]
    ep = api.create_endpoint(A, receiver.url("/r"))
    before = _audit(api)
    assert len(before) == 3, before
    msg = api.send(A, et, {"n": 1})
    api.wait_attempts(A, msg["id"], 1)
    tok = _token(api, appId=A)
    after_token = _audit(api)
    assert len(after_token) == 4, after_token
    hookd.api(tok["token"]).send(A, et, {"n": 2})
    r = api.post(f"/api/v1/app/{A}/msg/{msg['id']}/endpoint/{ep['id']}/resend", {})
    assert r.status_code == 202, r.text
    api.wait_attempts(A, msg["id"], 2)
    r = api.post(f"/api/v1/app/{A}/retry", {})
    assert r.status_code == 202, r.text
    r = api.post(f"/api/v1/app/{A}/endpoint/{ep['id']}/test", {"eventType": et})
    assert r.status_code == 200, r.text
    receiver.wait_for(4, timeout=10)
    assert _audit(api) == after_token


# ---- filters and pages ---------------------------------------------------------------------


def test_filters_by_object_app_and_time(hookd, api):
    """objectId, appId (id or uid), since (inclusive) and until (exclusive) select entries."""
    a = api.create_app(uid="fa-" + secrets.token_hex(3))
    b = api.create_app()
    time.sleep(0.03)
    ep_a = api.create_endpoint(a["id"], "http://127.0.0.1:9/a")
    time.sleep(0.03)
    t1 = time.time()
    time.sleep(0.03)
    ep_b = api.create_endpoint(b["id"], "http://127.0.0.1:9/b")
    time.sleep(0.03)
    t2 = time.time()
    time.sleep(0.03)
    _ok(api.patch(f"/api/v1/app/{a['id']}/endpoint/{ep_a['id']}", {"description": "x"}), 200)
    time.sleep(0.03)
    t3 = time.time()
    time.sleep(0.03)
    api.create_event_type()

    everything = _audit(api)
    assert len(everything) == 6, everything
    et_e, patch_a, create_b, create_a, app_b, app_a = everything
    assert (create_a["objectId"], create_b["objectId"], patch_a["objectId"]) == \
        (ep_a["id"], ep_b["id"], ep_a["id"])

    def ids(**params):
        return [e["id"] for e in _audit(api, **params)]

    cases = {
        "objectId=ep_a": ({"objectId": ep_a["id"]}, [patch_a, create_a]),
        "objectId=ep_b": ({"objectId": ep_b["id"]}, [create_b]),
        "objectId=nothing": ({"objectId": "ep_nothing"}, []),
        "appId=a": ({"appId": a["id"]}, [patch_a, create_a, app_a]),
        "appId=a uid": ({"appId": a["uid"]}, [patch_a, create_a, app_a]),
        "appId=b": ({"appId": b["id"]}, [create_b, app_b]),
        "since=t1": ({"since": _rfc3339(t1)}, [et_e, patch_a, create_b]),
        "until=t1": ({"until": _rfc3339(t1)}, [create_a, app_b, app_a]),
        "since=t1 until=t2": ({"since": _rfc3339(t1), "until": _rfc3339(t2)}, [create_b]),
        "since=t3": ({"since": _rfc3339(t3)}, [et_e]),
        "appId=a since=t1": ({"appId": a["id"], "since": _rfc3339(t1)}, [patch_a]),
        "objectId+until": ({"objectId": ep_a["id"], "until": _rfc3339(t2)}, [create_a]),
        "since an entry's at": ({"since": create_b["at"]}, [et_e, patch_a, create_b]),
        "until an entry's at": ({"until": create_b["at"]}, [create_a, app_b, app_a]),
        "until before all": ({"until": "2020-01-01T00:00:00Z"}, []),
    }
    failures = []
    for label, (params, want) in cases.items():
        got = ids(**params)
        if got != [e["id"] for e in want]:
            failures.append(f"{label} {params}: expected {[e['id'] for e in want]}, got {got}")
    assert not failures, "\n".join(failures)
    for bad in ({"since": "yesterday"}, {"until": "2021-13-01T00:00:00Z"}):
        [(name, _)] = bad.items()
        assert_error(api.get("/api/v1/audit", params=bad), 422, "validation", name)


def test_pagination_with_limit_and_iterator(hookd, api):
    """limit=2 pages walk every entry once, newest first, in pages of at most two."""
    names = [f"evt.page{i}.{secrets.token_hex(2)}" for i in range(7)]
    for n in names:
        api.create_event_type(n)
    full = _audit(api)
    assert [e["objectId"] for e in full] == list(reversed(names))
    pages, p = [], {"limit": 2}
    for _ in range(10):
        r = api.get("/api/v1/audit", params=p)
        assert r.status_code == 200, r.text
        body = r.json()
        assert {"data", "iterator", "prevIterator", "done"} <= set(body), body
        pages.append(body["data"])
        if body["done"]:
            break
        assert isinstance(body["iterator"], str) and body["iterator"], body
        p["iterator"] = body["iterator"]
    assert [len(x) for x in pages] == [2, 2, 2, 1], [len(x) for x in pages]
    assert [e for page in pages for e in page] == full
    # a filter pages too
    obj = names[3]
    r = api.get("/api/v1/audit", params={"objectId": obj, "limit": 2})
    assert r.status_code == 200 and r.json()["done"] is True, r.text
    assert [e["objectId"] for e in r.json()["data"]] == [obj]


# ---- who sees what -------------------------------------------------------------------------


def test_application_token_sees_only_its_application(hookd, api):
    """An application token lists only its app's entries (its own changes included), with or
    without appId=its app; appId of another or an unknown app is 403."""
    a = api.create_app(uid="sees-a-" + secrets.token_hex(3))
    b = api.create_app(uid="sees-b-" + secrets.token_hex(3))
    api.create_event_type()
    api.create_endpoint(a["id"], "http://127.0.0.1:9/a")
    api.create_endpoint(b["id"], "http://127.0.0.1:9/b")
    tok = _token(api, appId=a["id"])
    t = hookd.api(tok["token"])
    ep = _ok(t.post(f"/api/v1/app/{a['id']}/endpoint", {"url": "http://127.0.0.1:9/t"}), 201)

    admin_view = _audit(api, appId=a["id"])
    assert all(e["appId"] == a["id"] for e in admin_view), admin_view
    assert len(admin_view) == 4, admin_view  # app, endpoint, token, the token's endpoint
    mine = _audit(t)
    assert mine == admin_view
    assert (mine[0]["objectId"], mine[0]["tokenId"], mine[0]["tokenKind"]) == \
        (ep["id"], tok["id"], "application"), mine[0]
    assert _audit(t, appId=a["id"]) == admin_view
    assert _audit(t, appId=a["uid"]) == admin_view
    assert len(_audit(api)) == 7, "the admin token sees every entry"
    for other in (b["id"], b["uid"], "app_doesnotexist"):
        assert_error(t.get("/api/v1/audit", params={"appId": other}), 403, "forbidden")
    # a read-only token of every application sees everything
    ro = hookd.api(_token(api, readOnly=True)["token"])
    assert len(_audit(ro)) == 8


def test_entries_name_objects_by_id_when_paths_use_uids(hookd, api):
    """A change made through uids in the path is recorded with the app's and the object's ids,
    so the appId and objectId filters find it (deletes included)."""
    app = api.create_app(uid="byuid-" + secrets.token_hex(3))
    ep = api.create_endpoint(app["id"], "http://127.0.0.1:9/u", uid="ep-uid-1")
    base = f"/api/v1/app/{app['uid']}/endpoint/{ep['uid']}"
    _ok(api.patch(base, {"description": "x"}), 200)
    _ok(api.put(base + "/headers", {"headers": {"X": "1"}}), 204)
    _ok(api.delete(base), 204)
    _ok(api.delete(f"/api/v1/app/{app['uid']}"), 204)
    entries = _audit(api)
    got = [(e["method"], e["route"], e["objectId"], e["appId"]) for e in entries]
    want = [("DELETE", "/api/v1/app/{app_id}", app["id"], app["id"]),
            ("DELETE", EP_ROUTE, ep["id"], app["id"]),
            ("PUT", EP_ROUTE + "/headers", ep["id"], app["id"]),
            ("PATCH", EP_ROUTE, ep["id"], app["id"]),
            ("POST", "/api/v1/app/{app_id}/endpoint", ep["id"], app["id"]),
            ("POST", "/api/v1/app", app["id"], app["id"])]
    assert got == want, "\n".join(["expected:"] + [repr(w) for w in want] +
                                  ["got:"] + [repr(g) for g in got])
    assert len(_audit(api, objectId=ep["id"])) == 4
    assert len(_audit(api, appId=app["id"])) == 6


def test_token_entries_name_the_tokens_application(hookd, api):
    """Creating, revoking and logging out an application token are entries of its application:
    appId is the token's app, so the application's own token sees them."""
    app = api.create_app()
    A = app["id"]
    viewer = _token(api, appId=A)
    other = _token(api, appId=A)
    _ok(api.delete(f"/api/v1/auth/token/{other['id']}"), 204)
    leaving = _token(api, appId=A)
    _ok(hookd.api(leaving["token"]).post("/api/v1/auth/logout"), 204)
    got = [(e["method"], e["route"], e["objectId"], e["appId"], e["tokenId"])
           for e in _audit(api)]
    want = [("POST", "/api/v1/auth/logout", leaving["id"], A, leaving["id"]),
            ("POST", "/api/v1/auth/token", leaving["id"], A, "admin"),
            ("DELETE", "/api/v1/auth/token/{token_id}", other["id"], A, "admin"),
            ("POST", "/api/v1/auth/token", other["id"], A, "admin"),
            ("POST", "/api/v1/auth/token", viewer["id"], A, "admin"),
            ("POST", "/api/v1/app", A, A, "admin")]
    assert got == want, "\n".join(["expected:"] + [repr(w) for w in want] +
                                  ["got:"] + [repr(g) for g in got])
    assert [e["id"] for e in _audit(hookd.api(viewer["token"]))] == \
        [e["id"] for e in _audit(api)]
