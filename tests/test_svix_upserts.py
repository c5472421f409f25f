"""Svix's upserts and related write options: PUT of an unknown application or endpoint creates it,
POST of an archived event type unarchives it, DELETE ?expunge=true of an event type, PATCH of an
endpoint's headers with deleteHeaders, idempotency keys, and the answer of an endpoint recover.

Every test runs the real hookd binary against real HTTP receivers on loopback.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from hookd_support import TIMESTAMP_RE, Reply, assert_error, verify_signature, wait_until
from svix_route_support import FAIL, STEADY, SUCCESS, app_token, iso, ms_of, wait_status

LIST_APPS = "/api/v1/app"


# ---- helpers -------------------------------------------------------------------------------


def get_json(api, path: str, **params) -> dict:
    r = api.get(path, params=params or None)
    assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text}"
    return r.json()


def event_type_names(api, **params) -> list[str]:
    return [e["name"] for e in api.list_all("/api/v1/event-type", params)]


def ep_path(app: str, ep: str, suffix: str = "") -> str:
    return f"/api/v1/app/{app}/endpoint/{ep}{suffix}"


def stays(predicate, seconds: float = 0.5, interval: float = 0.05) -> bool:
    """True when `predicate()` holds on every check for `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not predicate():
            return False
        time.sleep(interval)
    return bool(predicate())


def post_msg(api, app: str, body: dict, key: str | None = None):
    headers = {"idempotency-key": key} if key is not None else None
    return api.post(f"/api/v1/app/{app}/msg", body, headers=headers)


def post_app(api, body: dict, key: str | None = None):
    headers = {"idempotency-key": key} if key is not None else None
    return api.post(LIST_APPS, body, headers=headers)


# ---- PUT /api/v1/app/{uid} -----------------------------------------------------------------


def test_put_of_an_unknown_application_creates_it(api):
    r = api.put("/api/v1/app/put-made", {"name": "made by put"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["id"].startswith("app_") and made["uid"] == "put-made", made
    assert made["name"] == "made by put", made
    assert get_json(api, "/api/v1/app/put-made")["id"] == made["id"]
    assert get_json(api, f"/api/v1/app/{made['id']}")["uid"] == "put-made"
    assert [a["id"] for a in api.list_all(LIST_APPS)] == [made["id"]]


def test_second_put_of_an_application_updates_it(api):
    first = api.put("/api/v1/app/put-twice", {"name": "one"})
    assert first.status_code == 201, first.text
    second = api.put("/api/v1/app/put-twice", {"name": "two", "metadata": {"k": "v"}})
    assert second.status_code == 200, second.text
    body = second.json()
    assert (body["id"], body["name"], body["metadata"]) == \
        (first.json()["id"], "two", {"k": "v"}), body
    assert [a["name"] for a in api.list_all(LIST_APPS)] == ["two"]


def test_put_by_id_updates_the_application(api):
    made = api.create_app("by id", uid="put-by-id")
    r = api.put(f"/api/v1/app/{made['id']}", {"name": "renamed", "uid": "put-by-id"})
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["uid"], r.json()["name"]) == \
        (made["id"], "put-by-id", "renamed"), r.text
    assert len(api.list_all(LIST_APPS)) == 1


def test_repeated_puts_of_an_application_make_one(api):
    """PUT is idempotent: the same PUT /app/{uid} again and again is one application, still
    named by the path's uid."""
    answers = [api.put("/api/v1/app/put-thrice", {"name": "same"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1, [a.json() for a in answers]
    assert [a.json()["uid"] for a in answers] == ["put-thrice"] * 3, [a.json() for a in answers]
    assert len(api.list_all(LIST_APPS)) == 1


def test_put_creating_an_application_validates_its_body(api):
    assert_error(api.put("/api/v1/app/put-bad", {"metadata": {}}), 422, "validation", "name")
    assert api.get("/api/v1/app/put-bad").status_code == 404
    assert api.list_all(LIST_APPS) == []


# ---- PUT /api/v1/app/{app}/endpoint/{uid} --------------------------------------------------


def test_put_of_an_unknown_endpoint_creates_it(api, receiver):
    app = api.create_app()["id"]
    r = api.put(ep_path(app, "ep-put"), {"url": receiver.url("/put")})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["id"].startswith("ep_") and made["uid"] == "ep-put", made
    assert made["url"] == receiver.url("/put"), made
    assert api.endpoint_secret(app, "ep-put").startswith("whsec_")
    assert get_json(api, ep_path(app, made["id"]))["uid"] == "ep-put"
    assert [e["id"] for e in api.list_all(f"/api/v1/app/{app}/endpoint")] == [made["id"]]


def test_an_endpoint_made_by_put_receives_signed_messages(api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    r = api.put(ep_path(app, "ep-signed"), {"url": receiver.url("/signed")})
    assert r.status_code == 201, r.text
    ep = r.json()["id"]
    msg = api.send(app, et, {"put": True})["id"]
    wait_status(api, app, msg, ep, SUCCESS)
    [got] = receiver.by_webhook_id(msg)
    assert json.loads(got.body) == {"put": True}
    assert verify_signature(api.endpoint_secret(app, ep), got.headers, got.body)


def test_put_creating_an_endpoint_may_give_its_secret(api, receiver):
    app = api.create_app()["id"]
    secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"  # 24 bytes
    r = api.put(ep_path(app, "ep-secret"), {"url": receiver.url(), "secret": secret})
    assert r.status_code == 201, r.text
    assert api.endpoint_secret(app, "ep-secret") == secret


def test_second_put_of_an_endpoint_updates_it(api, receiver):
    app = api.create_app()["id"]
    first = api.put(ep_path(app, "ep-twice"), {"url": receiver.url("/one")})
    assert first.status_code == 201, first.text
    ep = first.json()["id"]
    secret = api.endpoint_secret(app, ep)
    second = api.put(ep_path(app, "ep-twice"),
                     {"url": receiver.url("/two"), "description": "second"})
    assert second.status_code == 200, second.text
    body = second.json()
    assert (body["id"], body["url"], body["description"]) == \
        (ep, receiver.url("/two"), "second"), body
    assert api.endpoint_secret(app, ep) == secret, "a PUT update changed the secret"
    assert len(api.list_all(f"/api/v1/app/{app}/endpoint")) == 1


def test_repeated_puts_of_an_endpoint_make_one(api, receiver):
    """PUT is idempotent: the same PUT .../endpoint/{uid} again and again is one endpoint, still
    named by the path's uid."""
    app = api.create_app()["id"]
    answers = [api.put(ep_path(app, "ep-thrice"), {"url": receiver.url()}) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1, [a.json() for a in answers]
    assert [a.json()["uid"] for a in answers] == ["ep-thrice"] * 3, [a.json() for a in answers]
    assert len(api.list_all(f"/api/v1/app/{app}/endpoint")) == 1


def test_put_of_an_existing_endpoint_refuses_a_secret(api, receiver):
    app = api.create_app()["id"]
    ep = api.create_endpoint(app, receiver.url("/a"))
    secret = api.endpoint_secret(app, ep["id"])
    other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    assert_error(api.put(ep_path(app, ep["id"]), {"url": receiver.url("/b"), "secret": other}),
                 422, "validation", "secret")
    assert api.endpoint_secret(app, ep["id"]) == secret
    assert get_json(api, ep_path(app, ep["id"]))["url"] == receiver.url("/a")


def test_patch_of_an_unknown_endpoint_is_not_found(api, receiver):
    app = api.create_app()["id"]
    assert_error(api.patch(ep_path(app, "ep-nope"), {"url": receiver.url()}), 404, "not_found")
    assert api.get(ep_path(app, "ep-nope")).status_code == 404
    assert api.list_all(f"/api/v1/app/{app}/endpoint") == []


def test_put_of_an_endpoint_in_an_unknown_application_is_not_found(api, receiver):
    assert_error(api.put(ep_path("app-nope", "ep-x"), {"url": receiver.url()}), 404, "not_found")
    assert api.get("/api/v1/app/app-nope").status_code == 404


def test_put_creating_an_endpoint_validates_its_body(api):
    app = api.create_app()["id"]
    assert_error(api.put(ep_path(app, "ep-bad"), {"description": "no url"}),
                 422, "validation", "url")
    assert api.get(ep_path(app, "ep-bad")).status_code == 404


# ---- POST /api/v1/event-type of an archived one; DELETE ?expunge=true ----------------------


def test_creating_an_archived_event_type_unarchives_it(api):
    et = api.create_event_type("unarc.one", description="first")
    assert api.delete("/api/v1/event-type/unarc.one").status_code == 204
    assert get_json(api, "/api/v1/event-type/unarc.one")["archived"] is True
    r = api.post("/api/v1/event-type", {"name": "unarc.one", "description": "second"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["name"], body["archived"], body["description"]) == \
        ("unarc.one", False, "second"), body
    shown = get_json(api, "/api/v1/event-type/unarc.one")
    assert (shown["archived"], shown["description"]) == (False, "second"), shown
    assert shown["createdAt"] == et["createdAt"], (shown, et)
    assert event_type_names(api) == ["unarc.one"]
    app = api.create_app()["id"]
    api.send(app, "unarc.one")


def test_creating_a_live_event_type_again_is_a_conflict(api):
    api.create_event_type("live.one", description="first")
    assert_error(api.post("/api/v1/event-type", {"name": "live.one", "description": "second"}),
                 409, "conflict")
    assert get_json(api, "/api/v1/event-type/live.one")["description"] == "first"


def test_delete_with_expunge_deletes_the_event_type(api):
    api.create_event_type("gone.one")
    api.create_event_type("kept.one")
    r = api.delete("/api/v1/event-type/gone.one", params={"expunge": "true"})
    assert r.status_code == 204, r.text
    assert_error(api.get("/api/v1/event-type/gone.one"), 404, "not_found")
    assert event_type_names(api, include_archived="true") == ["kept.one"]
    app = api.create_app()["id"]
    assert_error(api.post(f"/api/v1/app/{app}/msg", {"eventType": "gone.one", "payload": {}}),
                 422, "validation")
    made = api.create_event_type("gone.one", description="new")
    assert (made["archived"], made["description"]) == (False, "new"), made


def test_delete_with_expunge_deletes_an_archived_event_type(api):
    api.create_event_type("arch.gone")
    assert api.delete("/api/v1/event-type/arch.gone").status_code == 204
    assert event_type_names(api, include_archived="true") == ["arch.gone"]
    r = api.delete("/api/v1/event-type/arch.gone", params={"expunge": "true"})
    assert r.status_code == 204, r.text
    assert api.get("/api/v1/event-type/arch.gone").status_code == 404
    assert event_type_names(api, include_archived="true") == []


def test_plain_delete_archives_the_event_type(api):
    api.create_event_type("arch.one")
    for params in (None, {"expunge": "false"}):
        r = api.delete("/api/v1/event-type/arch.one", params=params)
        assert r.status_code == 204, (params, r.text)
        assert get_json(api, "/api/v1/event-type/arch.one")["archived"] is True, params
        assert event_type_names(api) == []
        assert event_type_names(api, include_archived="true") == ["arch.one"]


def test_delete_refuses_a_non_boolean_expunge(api):
    api.create_event_type("maybe.one")
    assert_error(api.delete("/api/v1/event-type/maybe.one", params={"expunge": "maybe"}),
                 422, "validation", "expunge")
    assert get_json(api, "/api/v1/event-type/maybe.one")["archived"] is False
    assert_error(api.delete("/api/v1/event-type/nope.one", params={"expunge": "true"}),
                 404, "not_found")


# ---- PATCH .../endpoint/{ep}/headers with deleteHeaders -------------------------------------


def get_headers(api, app: str, ep: str) -> dict:
    return get_json(api, ep_path(app, ep, "/headers"))["headers"]


def test_patch_headers_deletes_the_named_headers(api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    r = api.put(ep_path(app, ep, "/headers"), {"headers": {"X-A": "1", "X-B": "2", "X-C": "3"}})
    assert r.status_code == 204, r.text
    r = api.patch(ep_path(app, ep, "/headers"),
                  {"headers": {"X-D": "4"}, "deleteHeaders": ["x-a", "X-Nope"]})
    assert r.status_code == 204, r.text
    assert get_headers(api, app, ep) == {"X-B": "2", "X-C": "3", "X-D": "4"}
    msg = api.send(app, et)["id"]
    wait_status(api, app, msg, ep, SUCCESS)
    [got] = receiver.by_webhook_id(msg)
    assert "x-a" not in got.headers, got.headers
    assert (got.headers.get("x-b"), got.headers.get("x-c"), got.headers.get("x-d")) == \
        ("2", "3", "4"), got.headers


def test_patch_headers_with_only_deletions(api, receiver):
    app = api.create_app()["id"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    api.put(ep_path(app, ep, "/headers"), {"headers": {"X-A": "1", "X-B": "2"}})
    r = api.patch(ep_path(app, ep, "/headers"), {"headers": {}, "deleteHeaders": ["X-B"]})
    assert r.status_code == 204, r.text
    assert get_headers(api, app, ep) == {"X-A": "1"}


def test_put_headers_refuses_delete_headers(api, receiver):
    app = api.create_app()["id"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    api.put(ep_path(app, ep, "/headers"), {"headers": {"X-A": "1"}})
    assert_error(api.put(ep_path(app, ep, "/headers"),
                         {"headers": {"X-B": "2"}, "deleteHeaders": ["X-A"]}),
                 422, "validation", "deleteHeaders")
    assert get_headers(api, app, ep) == {"X-A": "1"}


def test_patch_headers_refuses_a_bad_delete_headers(api, receiver):
    app = api.create_app()["id"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    api.put(ep_path(app, ep, "/headers"), {"headers": {"X-A": "1"}})
    for bad in ("X-A", [1], {"X-A": True}):
        assert_error(api.patch(ep_path(app, ep, "/headers"), {"headers": {}, "deleteHeaders": bad}),
                     422, "validation", "deleteHeaders")
    assert get_headers(api, app, ep) == {"X-A": "1"}


# ---- idempotency keys ----------------------------------------------------------------------


def test_a_repeated_message_post_with_the_same_key_is_sent_once(api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    body = {"eventType": et, "payload": {"once": True}}
    first = post_msg(api, app, body, "key-once")
    assert first.status_code == 202, first.text
    receiver.wait_for(1)
    second = post_msg(api, app, body, "key-once")
    assert second.status_code == 202, second.text
    assert second.json() == first.json()
    msg = first.json()["id"]
    wait_status(api, app, msg, ep, SUCCESS)
    assert stays(lambda: receiver.count() == 1), f"{receiver.count()} deliveries"
    assert [m["id"] for m in api.list_all(f"/api/v1/app/{app}/msg")] == [msg]


def test_a_key_with_another_body_is_refused(api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, receiver.url())
    first = post_msg(api, app, {"eventType": et, "payload": {"n": 1}}, "key-body")
    assert first.status_code == 202, first.text
    assert_error(post_msg(api, app, {"eventType": et, "payload": {"n": 2}}, "key-body"),
                 422, "validation", "idempotency-key")
    receiver.wait_for(1)
    assert stays(lambda: receiver.count() == 1)
    assert [m["id"] for m in api.list_all(f"/api/v1/app/{app}/msg")] == [first.json()["id"]]


def test_without_a_key_every_post_runs(api):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    body = {"eventType": et, "payload": {"n": 1}}
    a, b = post_msg(api, app, body), post_msg(api, app, body)
    assert a.status_code == b.status_code == 202, (a.text, b.text)
    assert a.json()["id"] != b.json()["id"]


def test_the_same_key_on_another_path_is_independent(api):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    msg = post_msg(api, app, {"eventType": et, "payload": {}}, "key-paths")
    assert msg.status_code == 202, msg.text
    made = post_app(api, {"name": "by key"}, "key-paths")
    assert made.status_code == 201, made.text
    assert made.json()["id"].startswith("app_") and made.json()["name"] == "by key", made.text
    other_app = api.create_app()["id"]
    again = post_msg(api, other_app, {"eventType": et, "payload": {}}, "key-paths")
    assert again.status_code == 202, again.text
    assert again.json()["id"] != msg.json()["id"]
    assert len(api.list_all(f"/api/v1/app/{other_app}/msg")) == 1


def test_the_same_key_of_another_token_is_independent(hookd, api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    body = {"eventType": et, "payload": {"tok": 1}}
    by_admin = post_msg(api, app, body, "key-tokens")
    assert by_admin.status_code == 202, by_admin.text
    app_api = hookd.api(app_token(api, app))
    by_app = post_msg(app_api, app, body, "key-tokens")
    assert by_app.status_code == 202, by_app.text
    assert by_app.json()["id"] != by_admin.json()["id"]
    assert post_msg(app_api, app, body, "key-tokens").json()["id"] == by_app.json()["id"]
    for m in (by_admin.json()["id"], by_app.json()["id"]):
        wait_status(api, app, m, ep, SUCCESS)
    assert stays(lambda: receiver.count() == 2)


def test_the_same_key_of_another_admin_token_is_independent(hookd, api):
    r = api.post("/api/v1/auth/token", {"name": "second admin"})
    assert r.status_code == 201, r.text
    other = hookd.api(r.json()["token"])
    a = post_app(api, {"name": "same"}, "key-admins")
    b = post_app(other, {"name": "same"}, "key-admins")
    assert a.status_code == b.status_code == 201, (a.text, b.text)
    assert a.json()["id"] != b.json()["id"]
    assert len(api.list_all(LIST_APPS)) == 2


def test_a_repeated_application_post_makes_one_application(api):
    first = post_app(api, {"name": "idem app"}, "key-app")
    assert first.status_code == 201, first.text
    second = post_app(api, {"name": "idem app"}, "key-app")
    assert second.status_code == 201, second.text
    assert second.json()["id"] == first.json()["id"]
    assert [a["id"] for a in api.list_all(LIST_APPS)] == [first.json()["id"]]


def test_concurrent_posts_with_the_same_key_make_one_application(api, hookd):
    answers: list = [None] * 6

    def post(i: int) -> None:
        answers[i] = post_app(hookd.api(), {"name": "racing"}, "key-race")

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(answers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(a is not None and a.status_code == 201 for a in answers), \
        [(a.status_code, a.text) if a is not None else None for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1, [a.json()["id"] for a in answers]
    assert len(api.list_all(LIST_APPS)) == 1


def test_a_refusal_is_repeated_for_the_same_key(api):
    app = api.create_app()["id"]
    body = {"eventType": "evt.unknown", "payload": {}}
    assert_error(post_msg(api, app, body, "key-refused"), 422, "validation")
    api.create_event_type("evt.unknown")
    assert_error(post_msg(api, app, body, "key-refused"), 422, "validation")
    assert api.list_all(f"/api/v1/app/{app}/msg") == []
    r = post_msg(api, app, body, "key-fresh")
    assert r.status_code == 202, r.text


def test_a_key_over_256_characters_is_refused(api):
    assert_error(post_app(api, {"name": "long key"}, "k" * 257), 422, "validation",
                 "idempotency-key")
    assert api.list_all(LIST_APPS) == []
    r = post_app(api, {"name": "long key"}, "k" * 256)
    assert r.status_code == 201, r.text
    assert post_app(api, {"name": "long key"}, "k" * 256).json()["id"] == r.json()["id"]


# ---- POST .../endpoint/{ep}/recover --------------------------------------------------------


@pytest.fixture
def steady(hookd_factory):
    return hookd_factory(env={**STEADY, "HOOKD_RETRY_SCHEDULE": "100ms"})


def test_recover_answers_a_finished_task(steady, make_receiver):
    api = steady.api()
    rcv = make_receiver(500)
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, rcv.url())["id"]
    msgs = [api.send(app, et, {"i": i}) for i in range(2)]
    for m in msgs:
        wait_status(api, app, m["id"], ep, FAIL)
    failed_count = rcv.count()
    rcv.default = Reply(200)
    since = iso(ms_of(msgs[0]["timestamp"]) - 1000)
    before = time.time()
    r = api.post(ep_path(app, ep, "/recover"), {"since": since})
    assert r.status_code == 202, r.text
    body = r.json()
    assert set(body) == {"id", "status", "task", "updatedAt", "count"}, body
    assert body["id"].startswith("rcv_"), body
    assert (body["status"], body["task"], body["count"]) == ("finished", "endpoint.recover", 2)
    assert TIMESTAMP_RE.match(body["updatedAt"]), body
    assert abs(ms_of(body["updatedAt"]) / 1000 - before) < 5, (body, before)
    for m in msgs:
        wait_status(api, app, m["id"], ep, SUCCESS)
    wait_until(lambda: rcv.count() == failed_count + 2, 5, what="the two replays")
