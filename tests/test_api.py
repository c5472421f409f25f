"""The HTTP API against docs/api.md: CRUD of every resource, pagination, and bad input."""

from __future__ import annotations

import base64
import json
import secrets
import socket
import time

import pytest
import requests

from hookd_support import TIMESTAMP_RE, assert_error, wait_until


def _ids(rows):
    return [r["id"] for r in rows]


# ---- health and auth ---------------------------------------------------------------------


def test_health_needs_no_token(hookd):
    for path in ("/health", "/api/v1/health"):
        r = requests.get(hookd.base_url + path, timeout=5)
        assert r.status_code == 204, (path, r.status_code, r.text)


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic dXNlcjpwYXNz"},
], ids=["missing", "wrong", "empty", "basic"])
@pytest.mark.parametrize("method,path", [
    ("GET", "/api/v1/app"),
    ("POST", "/api/v1/app"),
    ("GET", "/api/v1/event-type"),
])
def test_bad_token_is_401(hookd, headers, method, path):
    r = requests.request(method, hookd.base_url + path, headers=headers,
                         data=b'{"name":"x"}' if method == "POST" else None, timeout=5)
    assert_error(r, 401, "authentication_failed")


def test_token_prefix_is_not_enough(hookd, api):
    r = requests.get(hookd.base_url + "/api/v1/app",
                     headers={"Authorization": f"Bearer {hookd.token[:-1]}"}, timeout=5)
    assert_error(r, 401, "authentication_failed")
    r = requests.get(hookd.base_url + "/api/v1/app",
                     headers={"Authorization": f"Bearer {hookd.token}x"}, timeout=5)
    assert_error(r, 401, "authentication_failed")
    # the 401s above created nothing and the real token still works
    assert api.get("/api/v1/app").status_code == 200


def test_generated_admin_token_is_kept_and_printed_once(hookd_factory, tmp_path):
    data = tmp_path / "gen"
    srv = hookd_factory(env={"HOOKD_ADMIN_TOKEN": None}, data_dir=data, token=None)
    token = srv.token
    assert token and token == (data / "admin_token").read_text().strip()
    assert token in srv.log_text(), "the generated token was not printed on first start"
    assert srv.api().get("/api/v1/app").status_code == 200
    assert srv.api("not-" + token).get("/api/v1/app").status_code == 401
    srv.stop()
    srv2 = hookd_factory(env={"HOOKD_ADMIN_TOKEN": None}, data_dir=data, token=None)
    assert srv2.token == token, "the token changed across restarts"
    assert srv2.api().get("/api/v1/app").status_code == 200
    assert token not in srv2.log_text(), "the kept token was printed again on the second start"


def test_config_file_and_flag_precedence(hookd_factory, tmp_path):
    data = tmp_path / "cfg"
    data.mkdir()
    (data / "hookd.toml").write_text('admin_token = "toml-token-0123456789"\n')
    srv = hookd_factory(env={"HOOKD_ADMIN_TOKEN": None}, data_dir=data, token="toml-token-0123456789")
    assert srv.api().get("/api/v1/app").status_code == 200
    srv.stop()
    # the environment beats the file
    srv = hookd_factory(env={"HOOKD_ADMIN_TOKEN": "env-token-0123456789"}, data_dir=data,
                        token="env-token-0123456789")
    assert srv.api().get("/api/v1/app").status_code == 200
    assert srv.api("toml-token-0123456789").get("/api/v1/app").status_code == 401
    srv.stop()
    # a flag beats the environment
    srv = hookd_factory(env={"HOOKD_ADMIN_TOKEN": "env-token-0123456789"}, data_dir=data,
                        args=["--admin-token", "flag-token-0123456789"], token="flag-token-0123456789")
    assert srv.api().get("/api/v1/app").status_code == 200
    assert srv.api("env-token-0123456789").get("/api/v1/app").status_code == 401


# ---- applications ------------------------------------------------------------------------


def _check_app(app, name=None, uid=None, metadata=None):
    for k in ("id", "uid", "name", "metadata", "throttleRate", "createdAt", "updatedAt"):
        assert k in app, f"ApplicationOut lacks {k}: {app}"
    assert app["id"].startswith("app_"), app
    assert TIMESTAMP_RE.match(app["createdAt"]), app["createdAt"]
    assert TIMESTAMP_RE.match(app["updatedAt"]), app["updatedAt"]
    if name is not None:
        assert app["name"] == name
    if uid is not None:
        assert app["uid"] == uid
    if metadata is not None:
        assert app["metadata"] == metadata


def test_application_crud(api):
    uid = "acme-" + secrets.token_hex(3)
    r = api.post("/api/v1/app", {"name": "Acme", "uid": uid, "metadata": {"tier": "gold"}})
    assert r.status_code == 201, r.text
    app = r.json()
    _check_app(app, "Acme", uid, {"tier": "gold"})

    # get by id and by uid
    for key in (app["id"], uid):
        r = api.get(f"/api/v1/app/{key}")
        assert r.status_code == 200, r.text
        assert r.json() == app

    # duplicate uid: 409; with get_if_exists: 200 and the same app
    assert_error(api.post("/api/v1/app", {"name": "Other", "uid": uid}), 409, "conflict")
    r = api.post("/api/v1/app", {"name": "Other", "uid": uid}, params={"get_if_exists": "true"})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == app["id"] and r.json()["name"] == "Acme"
    # get_if_exists with a new uid creates
    r = api.post("/api/v1/app", {"name": "New", "uid": uid + "-2"},
                 params={"get_if_exists": "true"})
    assert r.status_code == 201, r.text
    assert r.json()["id"] != app["id"]

    # PUT replaces
    time.sleep(0.01)
    r = api.put(f"/api/v1/app/{app['id']}", {"name": "Acme 2", "uid": uid,
                                            "metadata": {"tier": "silver"}})
    assert r.status_code == 200, r.text
    put = r.json()
    _check_app(put, "Acme 2", uid, {"tier": "silver"})
    assert put["id"] == app["id"] and put["createdAt"] == app["createdAt"]
    assert put["updatedAt"] > app["updatedAt"]

    # PATCH changes only what it names
    r = api.patch(f"/api/v1/app/{uid}", {"metadata": {"tier": "bronze", "x": "y"}})
    assert r.status_code == 200, r.text
    _check_app(r.json(), "Acme 2", uid, {"tier": "bronze", "x": "y"})
    r = api.patch(f"/api/v1/app/{app['id']}", {"name": "Acme 3"})
    assert r.status_code == 200, r.text
    _check_app(r.json(), "Acme 3", uid, {"tier": "bronze", "x": "y"})
    assert api.get(f"/api/v1/app/{app['id']}").json()["name"] == "Acme 3"

    # DELETE: 204, then 404 for get, delete and its sub-resources
    r = api.delete(f"/api/v1/app/{app['id']}")
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_error(api.get(f"/api/v1/app/{app['id']}"), 404, "not_found")
    assert_error(api.get(f"/api/v1/app/{uid}"), 404, "not_found")
    assert_error(api.delete(f"/api/v1/app/{app['id']}"), 404, "not_found")
    assert_error(api.get(f"/api/v1/app/{app['id']}/endpoint"), 404, "not_found")
    # the uid is free again
    r = api.post("/api/v1/app", {"name": "Reborn", "uid": uid})
    assert r.status_code == 201, r.text


def test_application_delete_removes_endpoints_and_messages(api, receiver):
    app = api.create_app()
    et = api.create_event_type()
    ep = api.create_endpoint(app["id"], receiver.url())
    msg = api.send(app["id"], et["name"])
    receiver.wait_for(1)
    assert api.delete(f"/api/v1/app/{app['id']}").status_code == 204
    assert_error(api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}"), 404, "not_found")
    assert_error(api.get(f"/api/v1/app/{app['id']}/msg/{msg['id']}"), 404, "not_found")
    assert_error(api.get(f"/api/v1/app/{app['id']}/attempt/msg/{msg['id']}"), 404, "not_found")


def test_application_list_pagination(api):
    created = [api.create_app(f"page-{i}")["id"] for i in range(7)]
    seen, pages = [], 0
    params = {"limit": 3}
    while True:
        r = api.get("/api/v1/app", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) >= {"data", "iterator", "prevIterator", "done"}, body
        assert len(body["data"]) <= 3
        for a in body["data"]:
            _check_app(a)
        seen.extend(_ids(body["data"]))
        pages += 1
        assert pages <= 4, "pagination does not end"
        if body["done"]:
            break
        assert isinstance(body["iterator"], str) and body["iterator"], body
        params = {"limit": 3, "iterator": body["iterator"]}
    assert seen == created, "applications must list oldest first, each exactly once"
    assert pages == 3


def test_list_default_limit_is_50(api):
    created = [api.create_app(f"many-{i}")["id"] for i in range(52)]
    r = api.get("/api/v1/app")
    assert r.status_code == 200
    body = r.json()
    assert _ids(body["data"]) == created[:50]
    assert body["done"] is False
    r = api.get("/api/v1/app", params={"iterator": body["iterator"]})
    assert _ids(r.json()["data"]) == created[50:]
    assert r.json()["done"] is True


@pytest.mark.parametrize("limit", ["0", "251", "-1", "abc"])
def test_list_limit_out_of_range_is_422(api, limit):
    assert_error(api.get("/api/v1/app", params={"limit": limit}), 422, "validation", "limit")


def test_application_validation(api):
    assert_error(api.post("/api/v1/app", {}), 422, "validation", "name")
    assert_error(api.post("/api/v1/app", {"name": 123}), 422, "validation", "name")
    assert_error(api.post("/api/v1/app", {"name": "x", "metadata": "nope"}), 422, "validation",
                 "metadata")
    app = api.create_app()
    assert_error(api.put(f"/api/v1/app/{app['id']}", {"metadata": {}}), 422, "validation", "name")


# ---- event types -------------------------------------------------------------------------

SCHEMA = {"1": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}}


def test_event_type_crud_and_archive(api):
    name = f"invoice.paid.{secrets.token_hex(3)}"
    r = api.post("/api/v1/event-type", {"name": name, "description": "An invoice was paid",
                                        "schemas": SCHEMA, "example": {"id": "inv_1"}})
    assert r.status_code == 201, r.text
    et = r.json()
    for k in ("name", "description", "archived", "deprecated", "schemas", "createdAt",
              "updatedAt"):
        assert k in et, f"EventTypeOut lacks {k}: {et}"
    assert et["name"] == name and et["description"] == "An invoice was paid"
    assert et["archived"] is False and et["deprecated"] is False
    assert et["schemas"] == SCHEMA
    assert et.get("example") == {"id": "inv_1"}, et
    assert TIMESTAMP_RE.match(et["createdAt"])

    assert_error(api.post("/api/v1/event-type", {"name": name, "description": "again"}), 409,
                 "conflict")

    r = api.get(f"/api/v1/event-type/{name}")
    assert r.status_code == 200 and r.json()["name"] == name

    r = api.put(f"/api/v1/event-type/{name}", {"description": "Paid!", "schemas": SCHEMA})
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "Paid!"
    r = api.patch(f"/api/v1/event-type/{name}", {"deprecated": True})
    assert r.status_code == 200, r.text
    assert r.json()["deprecated"] is True and r.json()["description"] == "Paid!"

    # messages of the type are accepted until it is archived
    app = api.create_app()
    api.send(app["id"], name, {"id": "inv_1"})

    r = api.delete(f"/api/v1/event-type/{name}")
    assert r.status_code == 204, r.text
    r = api.get(f"/api/v1/event-type/{name}")
    assert r.status_code == 200, r.text
    assert r.json()["archived"] is True
    assert name not in [e["name"] for e in api.list_all("/api/v1/event-type")]
    assert name in [e["name"] for e in api.list_all("/api/v1/event-type",
                                                    {"include_archived": "true"})]
    assert_error(api.post(f"/api/v1/app/{app['id']}/msg",
                          {"eventType": name, "payload": {"id": "inv_2"}}),
                 422, "validation", "eventType")

    # unarchiving by PATCH makes it usable again
    r = api.patch(f"/api/v1/event-type/{name}", {"archived": False})
    assert r.status_code == 200 and r.json()["archived"] is False
    api.send(app["id"], name, {"id": "inv_3"})

    assert_error(api.get("/api/v1/event-type/no.such.type"), 404, "not_found")


def test_event_types_list_by_name(api):
    names = ["zz.first", "mm.second", "aa.third"]  # creation order is not name order
    for n in names:
        api.create_event_type(n)
    listed = [e["name"] for e in api.list_all("/api/v1/event-type")]
    assert listed == sorted(names), f"event types must list by name, as Svix does: {listed}"
    paged = [e["name"] for e in api.list_all("/api/v1/event-type", limit=1)]
    assert paged == sorted(names)


def test_event_type_example_must_be_an_object(api):
    assert_error(api.post("/api/v1/event-type", {"name": "ex.bad", "description": "d",
                                                 "example": "not an object"}),
                 422, "validation", "example")


@pytest.mark.parametrize("name", ["", "has space", "slash/y", "x" * 257, "ümlaut"])
def test_event_type_bad_name_is_422(api, name):
    assert_error(api.post("/api/v1/event-type", {"name": name, "description": "d"}), 422,
                 "validation", "name")


def test_event_type_name_limits_accepted(api):
    for name in ("a", "A-b_c.9", "n" * 256):
        r = api.post("/api/v1/event-type", {"name": name, "description": "d"})
        assert r.status_code == 201, (name, r.text)


# ---- endpoints ---------------------------------------------------------------------------

ENDPOINT_FIELDS = ("id", "uid", "url", "description", "eventTypes", "filterTypes", "channels",
                   "disabled", "metadata", "throttleRate", "version", "createdAt", "updatedAt")


def _check_endpoint(ep):
    for k in ENDPOINT_FIELDS:
        assert k in ep, f"EndpointOut lacks {k}: {ep}"
    assert ep["id"].startswith("ep_"), ep
    assert TIMESTAMP_RE.match(ep["createdAt"]) and TIMESTAMP_RE.match(ep["updatedAt"]), ep


def test_endpoint_crud(api, receiver):
    app = api.create_app()
    t1, t2 = api.create_event_type()["name"], api.create_event_type()["name"]
    base = f"/api/v1/app/{app['id']}/endpoint"
    r = api.post(base, {"url": receiver.url("/a"), "description": "primary", "eventTypes": [t1],
                        "channels": ["eu"], "uid": "primary-ep", "metadata": {"team": "x"}})
    assert r.status_code == 201, r.text
    ep = r.json()
    _check_endpoint(ep)
    assert ep["url"] == receiver.url("/a")
    assert ep["description"] == "primary"
    assert ep["eventTypes"] == [t1] and ep["filterTypes"] == [t1]
    assert ep["channels"] == ["eu"]
    assert ep["disabled"] is False
    assert ep["uid"] == "primary-ep"
    assert ep["metadata"] == {"team": "x"}

    # filterTypes is an alias of eventTypes
    r = api.post(base, {"url": receiver.url("/b"), "filterTypes": [t2]})
    assert r.status_code == 201, r.text
    ep2 = r.json()
    assert ep2["eventTypes"] == [t2] and ep2["filterTypes"] == [t2]

    for key in (ep["id"], "primary-ep"):
        r = api.get(f"{base}/{key}")
        assert r.status_code == 200, r.text
        assert r.json() == ep
    # the app's uid works in the path too
    app_uid = "ep-owner-" + secrets.token_hex(3)
    assert api.patch(f"/api/v1/app/{app['id']}", {"uid": app_uid}).status_code == 200
    assert api.get(f"/api/v1/app/{app_uid}/endpoint/primary-ep").json()["id"] == ep["id"]

    r = api.get(base)
    assert r.status_code == 200
    assert _ids(r.json()["data"]) == [ep["id"], ep2["id"]], "endpoints list oldest first"
    assert r.json()["done"] is True
    r = api.get(base, params={"limit": 1})
    assert _ids(r.json()["data"]) == [ep["id"]] and r.json()["done"] is False
    r = api.get(base, params={"limit": 1, "iterator": r.json()["iterator"]})
    assert _ids(r.json()["data"]) == [ep2["id"]]

    # PUT: url required
    assert_error(api.put(f"{base}/{ep['id']}", {"description": "no url"}), 422, "validation",
                 "url")
    r = api.put(f"{base}/{ep['id']}", {"url": receiver.url("/a2"), "description": "replaced",
                                       "eventTypes": [t1, t2]})
    assert r.status_code == 200, r.text
    put = r.json()
    assert put["id"] == ep["id"] and put["url"] == receiver.url("/a2")
    assert put["description"] == "replaced" and sorted(put["eventTypes"]) == sorted([t1, t2])

    r = api.patch(f"{base}/{ep['id']}", {"disabled": True, "description": "patched"})
    assert r.status_code == 200, r.text
    assert r.json()["disabled"] is True and r.json()["description"] == "patched"
    assert r.json()["url"] == receiver.url("/a2")
    assert api.get(f"{base}/{ep['id']}").json()["disabled"] is True

    r = api.delete(f"{base}/{ep['id']}")
    assert r.status_code == 204, r.text
    assert_error(api.get(f"{base}/{ep['id']}"), 404, "not_found")
    assert_error(api.delete(f"{base}/{ep['id']}"), 404, "not_found")
    assert _ids(api.get(base).json()["data"]) == [ep2["id"]]


def _b64(n: int) -> str:
    return base64.b64encode(secrets.token_bytes(n)).decode()


def test_endpoint_secret_get_and_rotate(api, receiver):
    app = api.create_app()
    ep = api.create_endpoint(app["id"], receiver.url())
    base = f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/secret"
    r = api.get(base)
    assert r.status_code == 200, r.text
    key = r.json()["key"]
    assert key.startswith("whsec_")
    raw = base64.b64decode(key[6:], validate=True)
    assert 24 <= len(raw) <= 64

    r = api.post(base + "/rotate", {})
    assert r.status_code == 204, r.text
    key2 = api.get(base).json()["key"]
    assert key2.startswith("whsec_") and key2 != key

    given = "whsec_" + _b64(32)
    r = api.post(base + "/rotate", {"key": given})
    assert r.status_code == 204, r.text
    assert api.get(base).json()["key"] == given

    r = api.post(base + "/rotate", {"key": "whsec_short"})
    assert_error(r, 422, "validation")
    assert api.get(base).json()["key"] == given, "a refused rotation changed the key"

    # a secret given at creation is the one served
    mine = "whsec_" + _b64(24)
    ep2 = api.create_endpoint(app["id"], receiver.url(), secret=mine)
    assert api.endpoint_secret(app["id"], ep2["id"]) == mine
    assert_error(api.get(f"/api/v1/app/{app['id']}/endpoint/ep_nope/secret"), 404, "not_found")


def test_rotate_with_bad_key_names_key(api, receiver):
    app = api.create_app()
    ep = api.create_endpoint(app["id"], receiver.url())
    r = api.post(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/secret/rotate",
                 {"key": "whsec_short"})
    assert_error(r, 422, "validation", "key")


@pytest.mark.parametrize("secret", ["whsec_" + "QUJD", "whsec_!!!notbase64!!!", "nokey",
                                    "whsec_" + base64.b64encode(b"x" * 65).decode()])
def test_endpoint_bad_secret_is_422(api, receiver, secret):
    app = api.create_app()
    assert_error(api.post(f"/api/v1/app/{app['id']}/endpoint",
                          {"url": receiver.url(), "secret": secret}),
                 422, "validation", "secret")


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "http://", "https://", "not a url",
                                 "//example.com/x", "file:///etc/passwd", "", "http:///path"])
def test_endpoint_bad_url_is_422(api, url):
    app = api.create_app()
    assert_error(api.post(f"/api/v1/app/{app['id']}/endpoint", {"url": url}), 422, "validation",
                 "url")


def test_endpoint_validation(api, receiver):
    app = api.create_app()
    base = f"/api/v1/app/{app['id']}/endpoint"
    assert_error(api.post(base, {}), 422, "validation", "url")
    assert_error(api.post(base, {"url": 5}), 422, "validation", "url")
    assert_error(api.post(base, {"url": receiver.url(), "channels": "eu"}), 422, "validation",
                 "channels")
    assert_error(api.post(base, {"url": receiver.url(), "eventTypes": "a.b"}), 422,
                 "validation", "eventTypes")
    assert_error(api.post(base, {"url": receiver.url(), "disabled": "yes"}), 422, "validation",
                 "disabled")
    ep = api.create_endpoint(app["id"], receiver.url())
    assert_error(api.patch(f"{base}/{ep['id']}", {"url": "ftp://x.org/"}), 422, "validation",
                 "url")


# ---- messages ----------------------------------------------------------------------------


def _check_msg(m):
    for k in ("id", "eventType", "eventId", "payload", "channels", "timestamp"):
        assert k in m, f"MessageOut lacks {k}: {m}"
    assert m["id"].startswith("msg_"), m
    assert TIMESTAMP_RE.match(m["timestamp"]), m["timestamp"]


def test_message_create_get_list(api, receiver):
    app = api.create_app()
    t1, t2 = api.create_event_type()["name"], api.create_event_type()["name"]
    r = api.post(f"/api/v1/app/{app['id']}/msg",
                 {"eventType": t1, "payload": {"n": 0, "nested": {"a": [1, 2]}},
                  "eventId": "evt-0", "channels": ["eu"]})
    assert r.status_code == 202, r.text
    m0 = r.json()
    _check_msg(m0)
    assert m0["eventType"] == t1 and m0["eventId"] == "evt-0" and m0["channels"] == ["eu"]
    assert m0["payload"] == {"n": 0, "nested": {"a": [1, 2]}}

    r = api.get(f"/api/v1/app/{app['id']}/msg/{m0['id']}")
    assert r.status_code == 200, r.text
    got = r.json()
    _check_msg(got)
    assert got["id"] == m0["id"] and got["payload"] == m0["payload"]
    assert got["eventId"] == "evt-0" and got["eventType"] == t1

    sent = [m0["id"]]
    for i in range(1, 5):
        sent.append(api.send(app["id"], t2 if i % 2 else t1, {"n": i})["id"])
    listed = api.list_all(f"/api/v1/app/{app['id']}/msg", limit=2)
    assert _ids(listed) == sent[::-1], "messages list newest first"
    r = api.get(f"/api/v1/app/{app['id']}/msg", params={"limit": 2})
    assert len(r.json()["data"]) == 2 and r.json()["done"] is False

    only_t2 = api.list_all(f"/api/v1/app/{app['id']}/msg", {"event_types": t2})
    assert _ids(only_t2) == [sent[3], sent[1]]
    both = api.list_all(f"/api/v1/app/{app['id']}/msg", {"event_types": f"{t1},{t2}"})
    assert _ids(both) == sent[::-1]

    assert_error(api.get(f"/api/v1/app/{app['id']}/msg/msg_doesnotexist"), 404, "not_found")


def test_message_with_content_false_leaves_the_payload_out(api, receiver):
    """`with_content=false` (create, get, list) answers `"payload": {}` as the Svix API does;
    the message itself keeps its payload and is delivered with it."""
    app = api.create_app()
    et = api.create_event_type()["name"]
    api.create_endpoint(app["id"], receiver.url())
    payload = {"order": 7, "items": ["a", "b"]}
    base = f"/api/v1/app/{app['id']}/msg"
    r = api.post(base, {"eventType": et, "payload": payload, "eventId": "wc-1"},
                 params={"with_content": "false"})
    assert r.status_code == 202, r.text
    created = r.json()
    _check_msg(created)
    assert created["payload"] == {} and created["eventId"] == "wc-1", created

    receiver.wait_for(1)
    assert json.loads(receiver.snapshot()[0].body) == payload, "delivered without its payload"

    plain = api.get(f"{base}/{created['id']}").json()
    assert plain["payload"] == payload
    assert api.get(f"{base}/{created['id']}", params={"with_content": "true"}).json() == plain
    lean = api.get(f"{base}/{created['id']}", params={"with_content": "false"}).json()
    assert lean == {**plain, "payload": {}}

    second = api.send(app["id"], et, {"n": 2})
    listed = api.get(base, params={"with_content": "false"}).json()["data"]
    assert _ids(listed) == [second["id"], created["id"]]
    assert all(m["payload"] == {} for m in listed), listed
    full = api.get(base).json()["data"]
    assert [m["payload"] for m in full] == [{"n": 2}, payload]


@pytest.mark.parametrize("value", ["no", "1", "", "False"])
def test_message_with_content_must_be_true_or_false(api, value):
    app = api.create_app()
    et = api.create_event_type()["name"]
    base = f"/api/v1/app/{app['id']}/msg"
    r = api.post(base, {"eventType": et, "payload": {"a": 1}}, params={"with_content": value})
    assert_error(r, 422, "validation", "with_content")
    assert api.get(base).json()["data"] == [], "a refused message was stored"
    assert_error(api.get(base, params={"with_content": value}), 422, "validation", "with_content")
    m = api.send(app["id"], et, {"a": 1})
    assert_error(api.get(f"{base}/{m['id']}", params={"with_content": value}), 422, "validation",
                 "with_content")


def test_message_duplicate_event_id_is_409_without_delivery(api, receiver):
    app = api.create_app()
    et = api.create_event_type()["name"]
    api.create_endpoint(app["id"], receiver.url())
    first = api.send(app["id"], et, {"try": 1}, eventId="order-42")
    receiver.wait_for(1)
    r = api.post(f"/api/v1/app/{app['id']}/msg",
                 {"eventType": et, "payload": {"try": 2}, "eventId": "order-42"})
    assert_error(r, 409, "conflict")
    time.sleep(1.0)
    reqs = receiver.snapshot()
    assert len(reqs) == 1, f"the duplicate was delivered: {len(reqs)} requests"
    assert reqs[0].headers["webhook-id"] == first["id"]
    msgs = api.list_all(f"/api/v1/app/{app['id']}/msg")
    assert _ids(msgs) == [first["id"]]
    # the same eventId in another application is a different message
    app2 = api.create_app()
    api.send(app2["id"], et, {"try": 3}, eventId="order-42")


def test_message_payload_near_limit_is_accepted(api):
    app = api.create_app()
    et = api.create_event_type()["name"]
    big = "x" * (1024 * 1024 - 200)
    body = json.dumps({"eventType": et, "payload": {"blob": big}})
    assert len(body) <= 1024 * 1024
    r = api.send_raw(app["id"], body)
    assert r.status_code == 202, r.text[:300]
    got = api.get(f"/api/v1/app/{app['id']}/msg/{r.json()['id']}").json()
    assert got["payload"]["blob"] == big


# ---- bad input matrix --------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b'{"name": "x"', b"{name: 'x'}", b"not json", b'{"a":1}}',
                                 b"\xff\xfe{}", b'{"name":"x",}'])
def test_malformed_json_is_400(api, raw):
    assert_error(api.request("POST", "/api/v1/app", data=raw), 400, "invalid_json")


def test_malformed_json_message_is_400(api):
    app = api.create_app()
    et = api.create_event_type()["name"]
    r = api.send_raw(app["id"], '{"eventType": "%s", "payload": {"a": 1}' % et)
    assert_error(r, 400, "invalid_json")
    ep_base = f"/api/v1/app/{app['id']}/endpoint"
    assert_error(api.request("POST", ep_base, data=b'{"url": '), 400, "invalid_json")


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "42", "null", "true"])
def test_payload_not_object_is_422(api, payload):
    app = api.create_app()
    et = api.create_event_type()["name"]
    r = api.send_raw(app["id"], '{"eventType": "%s", "payload": %s}' % (et, payload))
    assert_error(r, 422, "validation", "payload")


def test_message_missing_fields_are_422(api):
    app = api.create_app()
    et = api.create_event_type()["name"]
    assert_error(api.post(f"/api/v1/app/{app['id']}/msg", {"eventType": et}), 422, "validation",
                 "payload")
    assert_error(api.post(f"/api/v1/app/{app['id']}/msg", {"payload": {}}), 422, "validation",
                 "eventType")
    assert_error(api.post(f"/api/v1/app/{app['id']}/msg", [1, 2]), 422, "validation")
    assert_error(api.post(f"/api/v1/app/{app['id']}/msg",
                          {"eventType": et, "payload": {}, "channels": "eu"}),
                 422, "validation", "channels")


def test_unknown_event_type_is_422(api):
    app = api.create_app()
    r = api.post(f"/api/v1/app/{app['id']}/msg", {"eventType": "never.created", "payload": {}})
    assert_error(r, 422, "validation", "eventType")
    assert api.list_all(f"/api/v1/app/{app['id']}/msg") == []


def test_body_over_1mib_is_413(api):
    app = api.create_app()
    et = api.create_event_type()["name"]
    body = json.dumps({"eventType": et, "payload": {"blob": "y" * (1024 * 1024 + 10)}})
    r = api.send_raw(app["id"], body)
    assert_error(r, 413, "payload_too_large")
    # also when the client announces the size without sending it all (raw socket)
    host, port = api.base_url.rsplit("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall((f"POST /api/v1/app/{app['id']}/msg HTTP/1.1\r\nHost: {host}\r\n"
                   f"Authorization: Bearer {api.token}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {5 * 1024 * 1024}\r\n\r\n").encode() + b'{"eventType":')
        head = s.recv(65536).decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head[:200]
    assert api.list_all(f"/api/v1/app/{app['id']}/msg") == []
    assert api.get("/health", auth=False).status_code == 204


def _raw_exchange(api, request: bytes, done) -> bytes:
    """Sends `request` on a new connection; reads until done(data) or the server closes."""
    host, port = api.base_url.rsplit("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request)
        data = b""
        while not done(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_responses_on_the_wire(api):
    host = api.base_url.rsplit("//", 1)[1]
    auth = f"Authorization: Bearer {api.token}\r\n"
    # HTTP/1.1, kept alive: status line, Server, Content-Type, an exact Content-Length, no
    # Connection header; then 204 without Content-Length on the same connection.
    app = api.create_app()["id"]
    raw = _raw_exchange(api, (f"GET /api/v1/app/{app} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n"
                              f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n").encode(),
                        lambda d: d.count(b"HTTP/1.1 ") == 2 and d.endswith(b"\r\n\r\n"))
    first, _, rest = raw.partition(b"\r\n\r\n")
    lines = first.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK", lines
    fields = dict(line.split(": ", 1) for line in lines[1:])
    assert fields["Server"].startswith("hookd/")
    assert fields["Content-Type"] == "application/json"
    assert "Connection" not in fields
    length = int(fields["Content-Length"])
    assert json.loads(rest[:length])["id"] == app
    second = rest[length:].decode()
    assert second.startswith("HTTP/1.1 204 No Content\r\n"), second
    assert "Content-Length" not in second and second.endswith("\r\n\r\n"), second
    # HTTP/1.0 asking for keep-alive is told so.
    raw = _raw_exchange(api, b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                        lambda d: b"\r\n\r\n" in d)
    assert raw.startswith(b"HTTP/1.0 204 No Content\r\n"), raw
    assert b"\r\nConnection: keep-alive\r\n" in raw, raw
    # HTTP/1.1 without Host: 400 naming the header, and the connection is closed.
    raw = _raw_exchange(api, b"GET /health HTTP/1.1\r\n\r\n", lambda d: False)  # until closed
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n"), raw
    assert b"\r\nConnection: close" in head, raw
    assert json.loads(body)["code"] == "bad_request" and "Host" in json.loads(body)["detail"]


def test_max_body_bytes_is_configurable(hookd_factory):
    srv = hookd_factory(env={"HOOKD_MAX_BODY_BYTES": "2000"})
    api = srv.api()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    small = json.dumps({"eventType": et, "payload": {"s": "a" * 1500}})
    big = json.dumps({"eventType": et, "payload": {"s": "a" * 2500}})
    assert api.send_raw(app, small).status_code == 202
    assert_error(api.send_raw(app, big), 413, "payload_too_large")


def test_unknown_ids_are_404(api, receiver):
    app = api.create_app()
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app["id"], receiver.url())
    msg = api.send(app["id"], et)
    a = app["id"]
    cases = [
        ("GET", "/api/v1/app/app_nope", None),
        ("PATCH", "/api/v1/app/app_nope", {"name": "x"}),
        ("DELETE", "/api/v1/app/app_nope", None),
        ("GET", "/api/v1/app/app_nope/endpoint", None),
        ("POST", "/api/v1/app/app_nope/endpoint", {"url": receiver.url()}),
        ("POST", "/api/v1/app/app_nope/msg", {"eventType": et, "payload": {}}),
        ("GET", "/api/v1/app/app_nope/msg", None),
        ("GET", f"/api/v1/app/{a}/endpoint/ep_nope", None),
        ("PATCH", f"/api/v1/app/{a}/endpoint/ep_nope", {"description": "x"}),
        ("DELETE", f"/api/v1/app/{a}/endpoint/ep_nope", None),
        ("POST", f"/api/v1/app/{a}/endpoint/ep_nope/secret/rotate", {}),
        ("GET", f"/api/v1/app/{a}/msg/msg_nope", None),
        ("GET", f"/api/v1/app/{a}/msg/msg_nope/endpoint", None),
        ("GET", f"/api/v1/app/{a}/attempt/msg/msg_nope", None),
        ("GET", f"/api/v1/app/{a}/attempt/endpoint/ep_nope", None),
        ("GET", f"/api/v1/app/{a}/msg/{msg['id']}/attempt/atmpt_nope", None),
        ("POST", f"/api/v1/app/{a}/msg/msg_nope/endpoint/{ep['id']}/resend", None),
        ("POST", f"/api/v1/app/{a}/msg/{msg['id']}/endpoint/ep_nope/resend", None),
        ("GET", "/api/v1/event-type/nope.nope", None),
        ("PATCH", "/api/v1/event-type/nope.nope", {"description": "x"}),
        ("DELETE", "/api/v1/event-type/nope.nope", None),
        ("GET", "/api/v1/no-such-route", None),
    ]
    failures = []
    for method, path, body in cases:
        r = api.request(method, path, json_body=body) if body is not None \
            else api.request(method, path)
        try:
            assert_error(r, 404, "not_found")
        except AssertionError as e:
            failures.append(f"{method} {path}: {e}")
    assert not failures, "\n".join(failures)


def test_message_of_other_app_is_404(api, receiver):
    a1, a2 = api.create_app(), api.create_app()
    et = api.create_event_type()["name"]
    ep1 = api.create_endpoint(a1["id"], receiver.url())
    m1 = api.send(a1["id"], et)
    assert_error(api.get(f"/api/v1/app/{a2['id']}/msg/{m1['id']}"), 404, "not_found")
    assert_error(api.get(f"/api/v1/app/{a2['id']}/endpoint/{ep1['id']}"), 404, "not_found")


def test_wrong_method_is_405(api):
    r = api.request("PATCH", "/api/v1/app", json_body={})
    assert_error(r, 405, "method_not_allowed")
    assert_error(api.request("DELETE", "/api/v1/event-type"), 405, "method_not_allowed")


def test_hostile_bodies_do_not_crash_the_server(hookd, api):
    app = api.create_app()
    et = api.create_event_type()["name"]
    deep = b"[" * 200000 + b"]" * 200000
    deep_payload = ('{"eventType":"%s","payload":{"a":' % et).encode() + b'{"a":' * 100000 + \
        b"1" + b"}" * 100000 + b"}}"
    bodies = [
        (f"/api/v1/app/{app['id']}/msg", deep),
        (f"/api/v1/app/{app['id']}/msg", deep_payload),
        ("/api/v1/app", b""),
        ("/api/v1/app", b"\x00\x01\x02"),
        ("/api/v1/app", b'{"name": "\xc3\x28"}'),
        ("/api/v1/app", b'{"name": "x", "metadata": {"k": 1e999999}}'),
        ("/api/v1/app", b'{"name": "\\ud800"}'),
        ("/api/v1/event-type", b'{"name": null, "description": null}'),
        (f"/api/v1/app/{app['id']}/endpoint", b'{"url": "http://[::1"}'),
        (f"/api/v1/app/{app['id']}/endpoint", b'{"url": "http://a:99999999/"}'),
        (f"/api/v1/app/{app['id']}/msg", b'{"eventType": [], "payload": {}}'),
        (f"/api/v1/app/{app['id']}/msg", ('{"eventType":"%s","payload":{},"eventId":%s}'
                                          % (et, "1" * 5000)).encode()),
    ]
    for path, body in bodies:
        r = api.request("POST", path, data=body)
        assert 400 <= r.status_code < 500 or r.status_code in (201, 202), \
            (path, body[:60], r.status_code, r.text[:200])
        if r.status_code >= 400:
            assert_error(r, r.status_code)
        assert hookd.alive(), f"hookd died on {path} {body[:60]!r}"
    # garbage on the socket
    host, port = hookd.base_url.rsplit("//", 1)[1].split(":")
    for junk in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x16\x03\x01\x02\x00\x01",
                 b"POST /api/v1/app HTTP/1.1\r\nContent-Length: -5\r\n\r\n"):
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(junk)
            try:
                s.recv(1024)
            except (socket.timeout, ConnectionResetError):
                pass
    wait_until(lambda: api.get("/health", auth=False).status_code == 204, 5, what="health")
    assert hookd.alive()
    assert api.get(f"/api/v1/app/{app['id']}").status_code == 200
