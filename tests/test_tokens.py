"""Stored API tokens: their lifecycle (create, list, get, revoke, expiry, logout), survival across
a restart, secrets kept out of the store and the log, app portal access links, expire-all, and the
scope rules of application and read-only tokens."""

from __future__ import annotations

import secrets
import subprocess
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

import pytest
import requests

from hookd_support import (TEST_POSTGRES, TIMESTAMP_RE, assert_error, postgres_database_for,
                           wait_until)

TOKEN_FIELDS = {"id", "name", "kind", "appId", "readOnly", "sessionId", "status", "createdAt",
                "expiresAt", "revokedAt"}
LIST_KEYS = {"data", "iterator", "prevIterator", "done"}
REVOKED = "Authorization: token revoked"
EXPIRED = "Authorization: token expired"
INVALID = "Authorization: invalid token"


# ---- helpers -------------------------------------------------------------------------------


def _ts(value: str) -> float:
    """An RFC 3339 timestamp of the API as unix seconds."""
    assert TIMESTAMP_RE.match(value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _create_token(api, **body) -> dict:
    r = api.post("/api/v1/auth/token", body)
    assert r.status_code == 201, f"create token {body}: {r.status_code} {r.text}"
    return r.json()


def _portal(api, app, **body) -> dict:
    r = api.post(f"/api/v1/auth/app-portal-access/{app}", body)
    assert r.status_code == 200, f"portal access {app} {body}: {r.status_code} {r.text}"
    return r.json()


def _get_token(api, tok_id) -> dict:
    r = api.get(f"/api/v1/auth/token/{tok_id}")
    assert r.status_code == 200, f"GET token {tok_id}: {r.status_code} {r.text}"
    return r.json()


def _refused(r, detail: str):
    body = assert_error(r, 401, "authentication_failed")
    assert body["detail"] == detail, body


def _forbidden(r):
    assert_error(r, 403, "forbidden")


def _file_bytes(root: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()]


def _store_contents(data_dir: Path) -> list[tuple[Path, bytes]]:
    """The files under the data dir, and on PostgreSQL a dump of the server's database."""
    files = _file_bytes(data_dir)
    if not TEST_POSTGRES:
        assert any(p.name.startswith("hookd.db") for p, _ in files), [str(p) for p, _ in files]
        return files
    dump = subprocess.run(["pg_dump", "--data-only", postgres_database_for(data_dir)],
                          capture_output=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    return files + [(Path("pg_dump"), dump.stdout)]


def _assert_not_stored(data_dir: Path, secret_values: list[str], token_ids: list[str]):
    files = _store_contents(data_dir)
    everything = b"".join(content for _, content in files)
    for tok_id in token_ids:  # the scan does see the stored tokens
        assert tok_id.encode() in everything, f"token {tok_id} is in no file of {data_dir}"
    for value in secret_values:
        for path, content in files:
            assert value.encode() not in content, f"token secret {value[:12]}... is in {path}"


def _skalin_event(srv, src) -> requests.Response:
    body = {"eventId": secrets.token_hex(8), "customerId": "cust-1",
            "event": {"name": "Login", "score": 3}}
    return requests.post(f"{srv.base_url}/webhook/{src['webhookId']}",
                         params={"client_id": src["clientId"]}, json=body, timeout=10)


# ---- health/ping ---------------------------------------------------------------------------


def test_health_ping_needs_no_token(hookd):
    """GET /api/v1/health/ping answers 204 with an empty body and no Authorization header."""
    r = requests.get(hookd.base_url + "/api/v1/health/ping", timeout=5)
    assert r.status_code == 204, (r.status_code, r.text)
    assert r.content == b""


# ---- lifecycle -----------------------------------------------------------------------------


def test_token_create_list_get_and_revoke(hookd, api):
    """A created token is shown with its secret once; list and get omit it; a revoked token is
    refused with "token revoked" while the others keep working."""
    app = api.create_app(uid="lc-" + secrets.token_hex(3))
    tok = _create_token(api, name="ci", appId=app["uid"])
    assert set(tok) == TOKEN_FIELDS | {"token"}, tok
    assert tok["id"].startswith("tok_"), tok
    assert (tok["name"], tok["kind"], tok["appId"], tok["readOnly"], tok["sessionId"],
            tok["status"], tok["expiresAt"], tok["revokedAt"]) == \
        ("ci", "application", app["id"], False, None, "active", None, None), tok
    assert TIMESTAMP_RE.match(tok["createdAt"]), tok
    assert tok["token"].startswith("appsk_") and len(tok["token"]) > 30, tok

    admin = _create_token(api, name="ops")
    assert set(admin) == TOKEN_FIELDS | {"token"}, admin
    assert (admin["kind"], admin["appId"], admin["readOnly"], admin["status"]) == \
        ("admin", None, False, "active"), admin
    assert admin["token"].startswith("hksk_"), admin
    assert admin["id"] != tok["id"] and admin["token"] != tok["token"]

    app_api, admin_api = hookd.api(tok["token"]), hookd.api(admin["token"])
    assert app_api.get(f"/api/v1/app/{app['id']}").status_code == 200
    assert admin_api.get("/api/v1/app").status_code == 200

    r = api.get("/api/v1/auth/token")
    assert r.status_code == 200, r.text
    listed = r.json()
    assert set(listed) == LIST_KEYS and listed["done"] is True, listed
    assert [row["id"] for row in listed["data"]] == [tok["id"], admin["id"]], "oldest first"
    rows = {row["id"]: row for row in listed["data"]}
    for created in (tok, admin):
        row = rows[created["id"]]
        assert "token" not in row, row
        assert set(row) == TOKEN_FIELDS, row
        assert row == {k: v for k, v in created.items() if k != "token"}
        assert _get_token(api, created["id"]) == row
    assert tok["token"] not in r.text and admin["token"] not in r.text
    assert_error(api.get("/api/v1/auth/token/tok_doesnotexist"), 404, "not_found")

    r = api.delete(f"/api/v1/auth/token/{tok['id']}")
    assert r.status_code == 204, r.text
    shown = _get_token(api, tok["id"])
    assert shown["status"] == "revoked" and "token" not in shown, shown
    assert _ts(shown["revokedAt"]) >= _ts(shown["createdAt"]), shown
    _refused(app_api.get(f"/api/v1/app/{app['id']}"), REVOKED)
    _refused(app_api.get(f"/api/v1/app/{app['id']}/endpoint"), REVOKED)
    _refused(hookd.api("appsk_" + "0" * 64).get("/api/v1/app"), INVALID)
    _refused(hookd.api(tok["token"][:-1]).get(f"/api/v1/app/{app['id']}"), INVALID)
    assert admin_api.get("/api/v1/app").status_code == 200, "revoking one token ended another"
    assert _get_token(api, admin["id"])["status"] == "active"


def test_token_create_refuses_bad_bodies(hookd, api):
    """Unknown fields, an unknown appId and out-of-range expiresIn are 422 "validation", and no
    token is made."""
    app = api.create_app()
    for body in ({"name": "x", "scopes": ["all"]},
                 {"appId": "app_doesnotexist"},
                 {"appId": "no-such-uid"},
                 {"expiresIn": 0},
                 {"expiresIn": -5},
                 {"expiresIn": 316_000_000},  # more than 10 years
                 {"appId": app["id"], "readOnly": "yes"}):
        assert_error(api.post("/api/v1/auth/token", body), 422, "validation")
    r = api.get("/api/v1/auth/token")
    assert r.status_code == 200 and r.json()["data"] == [], r.text
    # the bounds themselves are accepted
    ten_years = _create_token(api, expiresIn=10 * 365 * 86_400)
    assert _ts(ten_years["expiresAt"]) == pytest.approx(time.time() + 10 * 365 * 86_400, abs=60)
    one = _create_token(api, expiresIn=1, appId=app["id"], readOnly=True)
    assert one["readOnly"] is True and one["kind"] == "application", one


def test_token_with_expires_in_expires(hookd, api):
    """A token made with expiresIn=1 works at first and within a few seconds is refused with
    "token expired"; its status says expired."""
    app = api.create_app()
    tok = _create_token(api, appId=app["id"], expiresIn=1)
    assert _ts(tok["expiresAt"]) - _ts(tok["createdAt"]) == pytest.approx(1.0, abs=0.01), tok
    tapi = hookd.api(tok["token"])
    path = f"/api/v1/app/{app['id']}"
    assert tapi.get(path).status_code == 200, "a fresh token was refused"

    def refused():
        r = tapi.get(path)
        return [r] if r.status_code != 200 else None

    [r] = wait_until(refused, 5, 0.1, "the token to expire")
    _refused(r, EXPIRED)
    assert _get_token(api, tok["id"])["status"] == "expired"
    listed = {row["id"]: row for row in api.get("/api/v1/auth/token").json()["data"]}
    assert listed[tok["id"]]["status"] == "expired"


def test_tokens_survive_a_restart(hookd_factory, tmp_path):
    """Active, revoked and expired tokens keep their state across a restart."""
    data = tmp_path / "restart"
    admin_token = "restart-" + secrets.token_hex(12)
    srv = hookd_factory(data_dir=data, token=admin_token)
    api = srv.api()
    app = api.create_app()
    live = _create_token(api, name="live", appId=app["id"])
    glob = _create_token(api, name="global", expiresIn=3600)
    revoked = _create_token(api, name="gone", appId=app["id"])
    short = _create_token(api, name="short", appId=app["id"], expiresIn=1)
    assert api.delete(f"/api/v1/auth/token/{revoked['id']}").status_code == 204
    path = f"/api/v1/app/{app['id']}"
    wait_until(lambda: srv.api(short["token"]).get(path).status_code == 401, 5, 0.1,
               "the short token to expire")
    before = api.get("/api/v1/auth/token").json()["data"]
    srv.stop()

    srv2 = hookd_factory(data_dir=data, token=admin_token)
    api2 = srv2.api()
    assert api2.get("/api/v1/auth/token").json()["data"] == before
    assert srv2.api(live["token"]).get(path).status_code == 200
    assert srv2.api(glob["token"]).get("/api/v1/app").status_code == 200
    _refused(srv2.api(revoked["token"]).get(path), REVOKED)
    _refused(srv2.api(short["token"]).get(path), EXPIRED)
    assert {r["id"]: r["status"] for r in before} == {
        live["id"]: "active", glob["id"]: "active", revoked["id"]: "revoked",
        short["id"]: "expired"}


def test_token_secrets_are_in_neither_the_store_nor_the_log(hookd_factory, tmp_path):
    """The secrets of created tokens, portal tokens and portal links occur in no file under the
    data dir nor in the PostgreSQL database (while running and after a stop) and not in the
    server log."""
    data = tmp_path / "hashed"
    srv = hookd_factory(data_dir=data)
    api = srv.api()
    app = api.create_app(uid="hashed-" + secrets.token_hex(3))
    made = [_create_token(api, name="a", appId=app["id"]),
            _create_token(api, name="b"),
            _create_token(api, name="c", readOnly=True, expiresIn=600)]
    portal = _portal(api, app["uid"], sessionId="sess-1")
    values = [t["token"] for t in made] + [portal["token"]]
    # use each of them, revoke one, log one out and try a revoked one
    for t in values:
        assert srv.api(t).get(f"/api/v1/app/{app['id']}").status_code == 200
    assert api.delete(f"/api/v1/auth/token/{made[0]['id']}").status_code == 204
    assert srv.api(made[1]["token"]).post("/api/v1/auth/logout").status_code == 204
    assert srv.api(made[0]["token"]).get("/api/v1/app").status_code == 401
    assert srv.api(portal["token"]).post(f"/api/v1/app/{app['id']}/endpoint",
                                         {"url": "http://127.0.0.1:9/x"}).status_code == 201
    values.append(portal["url"].split("#", 1)[1])
    ids = [t["id"] for t in made] + [portal["id"]]
    _assert_not_stored(data, values, ids)
    srv.stop()
    _assert_not_stored(data, values, ids)
    log = srv.log_text()
    assert log, "the server log is empty"
    for v in values:
        assert v not in log, f"token secret {v[:12]}... is in the server log"


# ---- logout --------------------------------------------------------------------------------


def test_logout_revokes_the_calling_token(hookd, api):
    """Logout with a stored token (either kind, read-only too) revokes it and only it; with the
    configured admin token it is 422."""
    app = api.create_app()
    app_tok = _create_token(api, appId=app["id"])
    admin_tok = _create_token(api)
    ro_tok = _create_token(api, appId=app["id"], readOnly=True)
    other = _create_token(api, appId=app["id"])
    for t in (app_tok, admin_tok, ro_tok):
        tapi = hookd.api(t["token"])
        r = tapi.post("/api/v1/auth/logout")
        assert r.status_code == 204, (t["id"], r.status_code, r.text)
        _refused(tapi.get(f"/api/v1/app/{app['id']}"), REVOKED)
        _refused(tapi.post("/api/v1/auth/logout"), REVOKED)
        shown = _get_token(api, t["id"])
        assert shown["status"] == "revoked" and shown["revokedAt"] is not None, shown
    assert hookd.api(other["token"]).get(f"/api/v1/app/{app['id']}").status_code == 200
    assert _get_token(api, other["id"])["status"] == "active"
    assert_error(api.post("/api/v1/auth/logout"), 422, "validation")
    assert api.get("/api/v1/app").status_code == 200, "the admin token stopped working"


# ---- app portal access ---------------------------------------------------------------------


def test_portal_access_link_and_token(hookd_factory):
    """The answer's url is <public_url>/ui/#token=...&app=... with the token in the fragment; the
    token is an application token of that app with the default 4h lifetime."""
    srv = hookd_factory(env={"HOOKD_PUBLIC_URL": "https://hooks.example.com"})
    api = srv.api()
    a = api.create_app(uid="portal-" + secrets.token_hex(3))
    b = api.create_app()
    started = time.time()
    out = _portal(api, a["uid"], sessionId="browser-1")
    assert set(out) == {"token", "url", "id", "appId"}, out
    assert out["appId"] == a["id"] and out["id"].startswith("tok_"), out
    assert out["token"].startswith("appsk_"), out
    assert out["url"] == f"https://hooks.example.com/ui/#token={out['token']}&app={a['id']}"
    parts = urllib.parse.urlsplit(out["url"])
    assert (parts.scheme, parts.netloc, parts.path, parts.query) == \
        ("https", "hooks.example.com", "/ui/", ""), parts
    assert urllib.parse.parse_qs(parts.fragment) == {"token": [out["token"]], "app": [a["id"]]}

    shown = _get_token(api, out["id"])
    assert (shown["kind"], shown["appId"], shown["readOnly"], shown["sessionId"],
            shown["status"]) == ("application", a["id"], False, "browser-1", "active"), shown
    assert _ts(shown["expiresAt"]) == pytest.approx(started + 4 * 3600, abs=30), shown

    tapi = srv.api(out["token"])
    assert tapi.get(f"/api/v1/app/{a['id']}").status_code == 200
    r = tapi.post(f"/api/v1/app/{a['id']}/endpoint", {"url": "http://127.0.0.1:9/p"})
    assert r.status_code == 201, r.text
    _forbidden(tapi.get(f"/api/v1/app/{b['id']}"))
    _forbidden(tapi.get(f"/api/v1/app/{b['id']}/endpoint"))
    _forbidden(tapi.get("/api/v1/app"))

    ro = _portal(api, a["id"], readOnly=True)
    assert _get_token(api, ro["id"])["readOnly"] is True
    rapi = srv.api(ro["token"])
    assert rapi.get(f"/api/v1/app/{a['id']}/endpoint").status_code == 200
    _forbidden(rapi.post(f"/api/v1/app/{a['id']}/endpoint", {"url": "http://127.0.0.1:9/q"}))


def test_portal_access_default_link_base_is_the_listen_address(hookd, api):
    """Without public_url the link starts with http://<listen> (docs/configuration.md)."""
    app = api.create_app()
    out = _portal(api, app["id"])
    assert out["url"] == f"{hookd.base_url}/ui/#token={out['token']}&app={app['id']}", out


def test_portal_access_creates_a_missing_application(hookd, api):
    """An unknown app with `application` is created (uid from the path unless the body has
    one); without `application` it is 404 and nothing is created; an existing app is reused."""
    uid = "made-" + secrets.token_hex(3)
    out = _portal(api, uid, application={"name": "Made by portal", "metadata": {"k": "v"}})
    r = api.get(f"/api/v1/app/{uid}")
    assert r.status_code == 200, r.text
    made = r.json()
    assert (made["id"], made["uid"], made["name"], made["metadata"]) == \
        (out["appId"], uid, "Made by portal", {"k": "v"}), made
    assert sorted(out) == ["appId", "id", "token", "url"]
    assert api.get(f"/api/v1/app/{uid}/endpoint").status_code == 200
    assert _get_token(api, out["id"])["appId"] == made["id"]

    path_uid, body_uid = "path-" + secrets.token_hex(3), "body-" + secrets.token_hex(3)
    out2 = _portal(api, path_uid, application={"name": "Own uid", "uid": body_uid})
    r = api.get(f"/api/v1/app/{body_uid}")
    assert r.status_code == 200 and r.json()["id"] == out2["appId"], r.text
    assert_error(api.get(f"/api/v1/app/{path_uid}"), 404, "not_found")

    missing = "missing-" + secrets.token_hex(3)
    assert_error(api.post(f"/api/v1/auth/app-portal-access/{missing}", {}), 404, "not_found")
    assert_error(api.post(f"/api/v1/auth/app-portal-access/{missing}", {"readOnly": True}),
                 404, "not_found")
    assert_error(api.get(f"/api/v1/app/{missing}"), 404, "not_found")

    count = len(api.list_all("/api/v1/app"))
    again = _portal(api, uid, application={"name": "Ignored"})
    assert again["appId"] == made["id"] and again["id"] != out["id"]
    assert len(api.list_all("/api/v1/app")) == count
    assert api.get(f"/api/v1/app/{uid}").json()["name"] == "Made by portal"
    assert len(api.get("/api/v1/auth/token").json()["data"]) == 3


def test_portal_access_refuses_feature_flags_capabilities_and_bad_expiry(hookd, api):
    """Non-empty featureFlags or capabilities and an expiry outside 60..604800 are 422; the
    bounds are accepted and set expiresAt."""
    app = api.create_app()
    path = f"/api/v1/auth/app-portal-access/{app['id']}"
    for body in ({"featureFlags": ["beta"]}, {"capabilities": ["ViewBase"]},
                 {"expiry": 59}, {"expiry": 604_801}, {"expiry": "3600"}):
        assert_error(api.post(path, body), 422, "validation")
    assert api.get("/api/v1/auth/token").json()["data"] == [], "a refused request made a token"
    for expiry in (60, 604_800):
        started = time.time()
        out = _portal(api, app["id"], expiry=expiry)
        got = _ts(_get_token(api, out["id"])["expiresAt"])
        assert got == pytest.approx(started + expiry, abs=5), (expiry, got - started)


def test_portal_access_accepts_empty_feature_flags_and_capabilities(hookd, api):
    """Only non-empty featureFlags/capabilities are refused: empty lists are accepted."""
    app = api.create_app()
    path = f"/api/v1/auth/app-portal-access/{app['id']}"
    for body in ({"featureFlags": []}, {"capabilities": []},
                 {"featureFlags": [], "capabilities": []}):
        r = api.post(path, body)
        assert r.status_code == 200, f"POST {path} {body}: {r.status_code} {r.text}"
        assert r.json()["appId"] == app["id"]


def test_portal_token_ttl_config(hookd_factory):
    """HOOKD_PORTAL_TOKEN_TTL sets the lifetime of portal tokens without an expiry."""
    srv = hookd_factory(env={"HOOKD_PORTAL_TOKEN_TTL": "2h"})
    api = srv.api()
    app = api.create_app()
    started = time.time()
    out = _portal(api, app["id"])
    got = _ts(_get_token(api, out["id"])["expiresAt"])
    assert got == pytest.approx(started + 2 * 3600, abs=30), got - started
    out = _portal(api, app["id"], expiry=600)
    got = _ts(_get_token(api, out["id"])["expiresAt"])
    assert got == pytest.approx(started + 600, abs=30), got - started


# ---- expire-all ----------------------------------------------------------------------------


def test_expire_all_by_session_and_for_the_whole_app(hookd, api):
    """expire-all with sessionIds expires only the app's tokens of those sessions; `expiry`
    delays it; without sessionIds every token of the app expires, other apps' tokens stay."""
    a, b = api.create_app(), api.create_app()
    s1 = _portal(api, a["id"], sessionId="s1")
    s1b = _portal(api, a["id"], sessionId="s1")
    s2 = _portal(api, a["id"], sessionId="s2")
    nosess = _portal(api, a["id"])
    plain = _create_token(api, appId=a["id"])  # no expiresAt of its own
    other_app = _portal(api, b["id"], sessionId="s1")
    global_tok = _create_token(api)
    path = f"/api/v1/app/{a['id']}"

    def works(t, p=path):
        return hookd.api(t["token"]).get(p).status_code == 200

    r = api.post(f"/api/v1/auth/app/{a['id']}/expire-all", {"sessionIds": ["s1"]})
    assert r.status_code == 204, r.text
    for t in (s1, s1b):
        _refused(hookd.api(t["token"]).get(path), EXPIRED)
        assert _get_token(api, t["id"])["status"] == "expired"
    assert works(s2) and works(nosess) and works(plain)
    assert works(other_app, f"/api/v1/app/{b['id']}")

    started = time.time()
    r = api.post(f"/api/v1/auth/app/{a['id']}/expire-all", {"expiry": 120, "sessionIds": ["s2"]})
    assert r.status_code == 204, r.text
    assert works(s2), "expiry 120 expired the token at once"
    shown = _get_token(api, s2["id"])
    assert shown["status"] == "active", shown
    assert _ts(shown["expiresAt"]) == pytest.approx(started + 120, abs=5), shown
    assert _get_token(api, plain["id"])["expiresAt"] is None

    r = api.post(f"/api/v1/auth/app/{a['id']}/expire-all", {})
    assert r.status_code == 204, r.text
    for t in (s2, nosess, plain):
        _refused(hookd.api(t["token"]).get(path), EXPIRED)
        assert _get_token(api, t["id"])["status"] == "expired"
    assert works(other_app, f"/api/v1/app/{b['id']}")
    assert works(global_tok, "/api/v1/app")
    assert _get_token(api, other_app["id"])["status"] == "active"


# ---- scopes --------------------------------------------------------------------------------


def test_application_token_scope(hookd, api, receiver):
    """An application token uses its own app's routes (by id or uid) and reads event types; it
    gets 403 for changing the app itself, for other or unknown apps, the app list, event type
    changes and the token/portal/expire-all routes; its refusals change nothing."""
    a = api.create_app(uid="scope-a-" + secrets.token_hex(3))
    b = api.create_app(uid="scope-b-" + secrets.token_hex(3))
    et = api.create_event_type()["name"]
    b_ep = api.create_endpoint(b["id"], receiver.url("/b"))
    tok = _create_token(api, appId=a["id"])
    t = hookd.api(tok["token"])
    A = f"/api/v1/app/{a['id']}"

    # allowed: its own application
    for key in (a["id"], a["uid"]):
        r = t.get(f"/api/v1/app/{key}")
        assert r.status_code == 200 and r.json()["id"] == a["id"], r.text
    r = t.post(f"/api/v1/app/{a['uid']}/endpoint", {"url": receiver.url("/a")})
    assert r.status_code == 201, r.text
    ep = r.json()["id"]
    assert [e["id"] for e in t.list_all(f"{A}/endpoint")] == [ep]
    assert t.get(f"{A}/endpoint/{ep}").status_code == 200
    assert t.patch(f"{A}/endpoint/{ep}", {"description": "mine"}).status_code == 200
    assert t.put(f"{A}/endpoint/{ep}/headers", {"headers": {"X-T": "1"}}).status_code == 204
    assert t.get(f"{A}/endpoint/{ep}/secret").status_code == 200
    assert t.post(f"{A}/endpoint/{ep}/secret/rotate", {}).status_code == 204
    msg = t.send(a["id"], et, {"mine": True})
    t.wait_attempts(a["id"], msg["id"], 1)
    assert t.get(f"{A}/msg").json()["data"][0]["id"] == msg["id"]
    assert t.get(f"{A}/msg/{msg['id']}").status_code == 200
    assert t.get(f"{A}/msg/{msg['id']}/endpoint").status_code == 200
    assert t.get(f"{A}/attempt/endpoint/{ep}").status_code == 200
    r = t.post(f"{A}/source", {"name": "mine"})
    assert r.status_code == 201, r.text
    src = r.json()
    assert _skalin_event(hookd, src).status_code == 201
    for suffix in ("", "/event", "/customer", "/customer/cust-1", "/rejection"):
        r = t.get(f"{A}/source/{src['id']}{suffix}")
        assert r.status_code == 200, (suffix, r.status_code, r.text)
    assert t.patch(f"{A}/source/{src['id']}", {"name": "renamed"}).status_code == 200
    assert t.delete(f"{A}/source/{src['id']}").status_code == 204
    assert t.get("/api/v1/event-type").status_code == 200
    assert t.get(f"/api/v1/event-type/{et}").status_code == 200
    assert t.delete(f"{A}/endpoint/{ep}").status_code == 204

    # refused
    B = f"/api/v1/app/{b['id']}"
    refused = [
        ("PUT", A, {"name": "taken", "uid": a["uid"]}), ("PATCH", A, {"name": "taken"}),
        ("DELETE", A, None),
        ("GET", "/api/v1/app", None), ("POST", "/api/v1/app", {"name": "new"}),
        ("POST", "/api/v1/event-type", {"name": "evt.new", "description": "d"}),
        ("PUT", f"/api/v1/event-type/{et}", {"description": "changed"}),
        ("PATCH", f"/api/v1/event-type/{et}", {"description": "changed"}),
        ("DELETE", f"/api/v1/event-type/{et}", None),
        ("GET", "/api/v1/auth/token", None), ("POST", "/api/v1/auth/token", {}),
        ("POST", "/api/v1/auth/token", {"appId": a["id"]}),
        ("GET", f"/api/v1/auth/token/{tok['id']}", None),
        ("DELETE", f"/api/v1/auth/token/{tok['id']}", None),
        ("POST", f"/api/v1/auth/app-portal-access/{a['id']}", {}),
        ("POST", f"/api/v1/auth/app/{a['id']}/expire-all", {}),
        ("GET", B, None), ("PATCH", B, {"name": "taken"}), ("DELETE", B, None),
        ("GET", f"/api/v1/app/{b['uid']}", None),
        ("GET", f"{B}/endpoint", None), ("GET", f"/api/v1/app/{b['uid']}/endpoint", None),
        ("POST", f"{B}/endpoint", {"url": receiver.url("/x")}),
        ("GET", f"{B}/endpoint/{b_ep['id']}", None),
        ("GET", f"{B}/endpoint/{b_ep['id']}/secret", None),
        ("DELETE", f"{B}/endpoint/{b_ep['id']}", None),
        ("POST", f"{B}/msg", {"eventType": et, "payload": {"k": 1}}),
        ("POST", f"/api/v1/app/{b['uid']}/msg", {"eventType": et, "payload": {"k": 1}}),
        ("POST", f"{B}/source", {}),
        ("GET", "/api/v1/app/app_doesnotexist/endpoint", None),
        ("GET", "/api/v1/app/no-such-app", None),
        ("POST", "/api/v1/app/no-such-app/endpoint", {"url": receiver.url("/x")}),
        ("POST", "/api/v1/app/no-such-app/msg", {"eventType": et, "payload": {"k": 1}}),
    ]
    failures = []
    for method, path, body in refused:
        r = t.request(method, path, **({} if body is None else {"json_body": body}))
        if r.status_code != 403 or r.json().get("code") != "forbidden":
            failures.append(f"{method} {path}: expected 403 forbidden, got {r.status_code} "
                            f"{r.text[:200]}")
    assert not failures, "\n".join(failures)

    # nothing changed
    assert api.get(A).json()["name"] == a["name"]
    assert api.get(B).json()["name"] == b["name"]
    assert [e["id"] for e in api.list_all(f"{B}/endpoint")] == [b_ep["id"]]
    assert api.list_all(f"{B}/msg") == [] and api.list_all(f"{B}/source") == []
    assert [x["id"] for x in api.get("/api/v1/auth/token").json()["data"]] == [tok["id"]]
    shown = api.get(f"/api/v1/event-type/{et}").json()
    assert shown["description"] == "a test event" and shown["archived"] is False, shown
    assert len(api.list_all("/api/v1/app")) == 2


def test_application_token_cannot_read_another_apps_messages_attempts_or_events(
        hookd, api, receiver):
    """B's messages, attempts, sources, inbound events, customers and rejections are 403 for
    A's token, by B's id or uid; through A's own path they are not found."""
    a = api.create_app()
    b = api.create_app(uid="other-" + secrets.token_hex(3))
    et = api.create_event_type()["name"]
    b_ep = api.create_endpoint(b["id"], receiver.url("/b"))
    msg = api.send(b["id"], et, {"secret-ish": "b only"})
    [att] = api.wait_attempts(b["id"], msg["id"], 1)
    r = api.post(f"/api/v1/app/{b['id']}/source", {"name": "b-source"})
    assert r.status_code == 201, r.text
    src = r.json()
    assert _skalin_event(hookd, src).status_code == 201
    events = api.list_all(f"/api/v1/app/{b['id']}/source/{src['id']}/event")
    assert len(events) == 1, events
    t = hookd.api(_create_token(api, appId=a["id"])["token"])

    failures = []
    for key in (b["id"], b["uid"]):
        B = f"/api/v1/app/{key}"
        S = f"{B}/source/{src['id']}"
        for path in (f"{B}/msg", f"{B}/msg/{msg['id']}", f"{B}/msg/{msg['id']}/endpoint",
                     f"{B}/msg/{msg['id']}/attempt/{att['id']}",
                     f"{B}/attempt/msg/{msg['id']}", f"{B}/attempt/endpoint/{b_ep['id']}",
                     f"{B}/source", S, f"{S}/event", f"{S}/event/{events[0]['id']}",
                     f"{S}/customer", f"{S}/customer/cust-1", f"{S}/rejection"):
            r = t.get(path)
            if r.status_code != 403 or r.json().get("code") != "forbidden":
                failures.append(f"GET {path}: expected 403 forbidden, got {r.status_code} "
                                f"{r.text[:200]}")
    assert not failures, "\n".join(failures)
    A = f"/api/v1/app/{a['id']}"
    assert_error(t.get(f"{A}/msg/{msg['id']}"), 404, "not_found")
    assert_error(t.get(f"{A}/source/{src['id']}/event"), 404, "not_found")
    assert_error(t.get(f"{A}/source/{src['id']}"), 404, "not_found")
    r = t.get(f"{A}/attempt/msg/{msg['id']}")
    assert r.status_code == 404 or (r.status_code == 200 and r.json()["data"] == []), r.text
    assert t.get(f"{A}/msg").json()["data"] == []


def test_read_only_tokens_may_only_read(hookd, api, receiver):
    """A read-only token of either kind may GET but gets 403 for every write; logout works."""
    app = api.create_app()
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app["id"], receiver.url())
    A = f"/api/v1/app/{app['id']}"
    ro_app = hookd.api(_create_token(api, appId=app["id"], readOnly=True)["token"])
    ro_all = hookd.api(_create_token(api, readOnly=True)["token"])
    for t in (ro_app, ro_all):
        for path in (A, f"{A}/endpoint", f"{A}/endpoint/{ep['id']}", f"{A}/msg",
                     "/api/v1/event-type", f"/api/v1/event-type/{et}"):
            r = t.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text)
        for method, path, body in (
                ("POST", f"{A}/endpoint", {"url": receiver.url("/n")}),
                ("PATCH", f"{A}/endpoint/{ep['id']}", {"description": "x"}),
                ("PUT", f"{A}/endpoint/{ep['id']}/headers", {"headers": {"X": "1"}}),
                ("POST", f"{A}/endpoint/{ep['id']}/secret/rotate", {}),
                ("DELETE", f"{A}/endpoint/{ep['id']}", None),
                ("POST", f"{A}/source", {}),
                ("POST", "/api/v1/event-type", {"name": "evt.ro", "description": "d"})):
            r = t.request(method, path, **({} if body is None else {"json_body": body}))
            assert_error(r, 403, "forbidden")
    assert ro_all.get("/api/v1/app").status_code == 200
    assert ro_all.get("/api/v1/auth/token").status_code == 200
    for method, path, body in (("POST", "/api/v1/app", {"name": "ro"}),
                               ("PATCH", A, {"name": "ro"}), ("DELETE", A, None),
                               ("POST", "/api/v1/auth/token", {}),
                               ("POST", f"/api/v1/auth/app-portal-access/{app['id']}", {}),
                               ("POST", f"/api/v1/auth/app/{app['id']}/expire-all", {})):
        r = ro_all.request(method, path, **({} if body is None else {"json_body": body}))
        assert_error(r, 403, "forbidden")
    assert api.get(A).json()["name"] == app["name"]
    assert [e["id"] for e in api.list_all(f"{A}/endpoint")] == [ep["id"]]
    assert api.get(f"{A}/endpoint/{ep['id']}").json()["description"] == ep["description"]
    assert len(api.list_all("/api/v1/app")) == 1 and api.list_all(f"{A}/source") == []
    assert len(api.get("/api/v1/auth/token").json()["data"]) == 2
    for t in (ro_app, ro_all):
        assert t.post("/api/v1/auth/logout").status_code == 204


def test_read_only_tokens_cannot_send_messages(hookd, api, receiver):
    """POST /app/{app}/msg is a write: 403 for a read-only token of either kind; nothing is
    sent."""
    app = api.create_app()
    et = api.create_event_type()["name"]
    api.create_endpoint(app["id"], receiver.url())
    body = {"eventType": et, "payload": {"k": 1}}
    failures = []
    for label, kw in (("application", {"appId": app["id"]}), ("admin", {})):
        t = hookd.api(_create_token(api, readOnly=True, **kw)["token"])
        r = t.post(f"/api/v1/app/{app['id']}/msg", body)
        if r.status_code != 403 or r.json().get("code") != "forbidden":
            failures.append(f"read-only {label} token: POST /api/v1/app/{{app}}/msg: expected "
                            f"403 forbidden, got {r.status_code} {r.text[:200]}")
    assert not failures, "\n".join(failures)
    assert api.list_all(f"/api/v1/app/{app['id']}/msg") == []
    time.sleep(0.3)
    assert receiver.count() == 0


def test_application_token_may_not_forward_into_another_app(hookd, api):
    """An application token's source may forward into its own app only: a forward to another
    app (by id or uid) on create, PUT or PATCH is 403 and changes nothing."""
    a = api.create_app()
    b = api.create_app(uid="fwd-b-" + secrets.token_hex(3))
    et = api.create_event_type()["name"]
    t = hookd.api(_create_token(api, appId=a["id"])["token"])
    A = f"/api/v1/app/{a['id']}"
    for target in (b["id"], b["uid"]):
        r = t.post(f"{A}/source", {"name": "s", "forward": {"appId": target, "eventType": et}})
        assert_error(r, 403, "forbidden")
    assert api.list_all(f"{A}/source") == []
    r = t.post(f"{A}/source", {"name": "own", "forward": {"appId": a["id"], "eventType": et}})
    assert r.status_code == 201, r.text
    src = r.json()
    S = f"{A}/source/{src['id']}"
    assert_error(t.patch(S, {"forward": {"appId": b["id"], "eventType": et}}), 403, "forbidden")
    assert_error(t.put(S, {"name": "own", "forward": {"appId": b["uid"], "eventType": et}}),
                 403, "forbidden")
    shown = api.get(S).json()
    assert shown["forward"]["appId"] in (a["id"], a["uid"]) and shown["name"] == "own", shown
    # the admin token may forward anywhere
    r = api.post(f"{A}/source", {"name": "adm", "forward": {"appId": b["id"], "eventType": et}})
    assert r.status_code == 201, r.text
