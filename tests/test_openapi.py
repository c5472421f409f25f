"""hookd's OpenAPI document (GET /api/v1/openapi.json) against the real answers of the running
server: every documented operation is called with real receivers on loopback, each answer's
status must be documented and its JSON body must match the documented schema (jsonschema,
Draft 2020-12), and every request body sent must match the documented requestBody schema.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
import requests

from openapi_support import (APP, AUTH, DOC_PATH, EP, SOURCE_VERIFICATIONS, SRC, CheckedApi,
                             Contract, error_sweep, every_endpoint_option, hmac_hex,
                             hookd_endpoint_options, load_doc, wait_attempts, wait_status)
from hookd_support import EventStreamReader, sign, wait_until

DOC = load_doc()
CONTRACT = Contract(DOC)

# Operations the scenarios cannot reach with a success answer, with the reason.
UNEXERCISED: dict[tuple[str, str], str] = {}

# The tests of this file share one record of what was exercised, so they run in one process
# (scripts/test.sh runs pytest-xdist with --dist loadgroup); RAN says which ones did.
pytestmark = pytest.mark.xdist_group("openapi")
RAN: set[str] = set()


@pytest.fixture(autouse=True)
def _record_ran(request):
    yield
    RAN.add(request.node.name)


@pytest.fixture
def capi(hookd) -> CheckedApi:
    return CheckedApi(CONTRACT, hookd.base_url, hookd.token)


def test_document_is_served_unauthenticated(hookd):
    r = requests.get(hookd.base_url + "/api/v1/openapi.json", timeout=10)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    CONTRACT.check("GET", "/api/v1/openapi.json", r, 200)
    assert r.json()["openapi"].startswith("3.1"), r.json()["openapi"]
    assert r.content == DOC_PATH.read_bytes(), (
        "served document differs from src/api/openapi.json (a binary built before its last edit?)")
    head = requests.head(hookd.base_url + "/api/v1/openapi.json", timeout=10)
    CONTRACT.check("HEAD", "/api/v1/openapi.json", head, 200)
    assert head.content == b"" and int(head.headers["Content-Length"]) == len(r.content), \
        head.headers


def test_every_component_schema_is_valid():
    for name in DOC["components"]["schemas"]:
        CONTRACT.validator(CONTRACT.component(name))


def test_health(hookd):
    for method, path in (("GET", "/api/v1/health"), ("HEAD", "/api/v1/health"),
                         ("GET", "/api/v1/health/ping"), ("HEAD", "/api/v1/health/ping")):
        r = requests.request(method, hookd.base_url + path, timeout=5)
        CONTRACT.check(method, path, r, 204)


def test_applications(capi):
    body = {"name": "shop", "uid": "shop-1", "metadata": {"k": "v"}}
    app = capi.call("POST", "/api/v1/app", body, 201)
    again = capi.call("POST", "/api/v1/app", body, 200, query={"get_if_exists": "true"})
    assert again["id"] == app["id"]
    capi.call("GET", "/api/v1/app", status=200)
    capi.call("GET", "/api/v1/app/{app_id}", status=200, app_id=app["id"])
    capi.call("PUT", "/api/v1/app/{app_id}", {"name": "shop2", "uid": "shop-1"}, 200,
              app_id="shop-1")
    capi.call("PATCH", "/api/v1/app/{app_id}", {"metadata": {"a": "b"}}, 200, app_id=app["id"])
    capi.call("DELETE", "/api/v1/app/{app_id}", status=204, app_id=app["id"])
    capi.call("GET", "/api/v1/app/{app_id}", status=404, app_id=app["id"])


def test_event_types_and_catalogues(capi):
    et = {"name": "order.paid", "description": "an order was paid", "example": {"orderId": 1},
          "schemas": {"1": {"type": "object", "examples": [{"orderId": 2}]}}}
    capi.call("POST", "/api/v1/event-type", et, 201)
    capi.call("GET", "/api/v1/event-type", status=200, query={"include_archived": "true"})
    capi.call("GET", "/api/v1/event-type/{event_type_name}", status=200,
              event_type_name="order.paid")
    capi.call("PUT", "/api/v1/event-type/{event_type_name}",
              {"description": "paid", "deprecated": False}, 200, event_type_name="order.paid")
    capi.call("PUT", "/api/v1/event-type/{event_type_name}", {"description": "made by PUT"},
              201, event_type_name="order.put")
    capi.call("PATCH", "/api/v1/event-type/{event_type_name}", {"featureFlag": None}, 200,
              event_type_name="order.paid")
    capi.call("DELETE", "/api/v1/event-type/{event_type_name}", status=204,
              event_type_name="order.put")
    cats = capi.call("GET", "/api/v1/event-type/catalogue", status=200)
    names = [c["name"] for c in cats["data"]]
    assert "netcore-channels" in names, names
    first = capi.call("POST", "/api/v1/event-type/catalogue/{name}", status=200, name="chatbot")
    again = capi.call("POST", "/api/v1/event-type/catalogue/{name}", status=200, name="chatbot")
    assert again["existing"] and not again["created"] and first["created"], (first, again)
    capi.call("POST", "/api/v1/event-type/catalogue/{name}", status=404, name="nope")


@pytest.fixture
def world(capi, receiver):
    """An application, an event type with an example and an endpoint pointed at `receiver`."""
    app = capi.call("POST", "/api/v1/app", {"name": "world", "uid": "world"}, 201)
    capi.call("POST", "/api/v1/event-type",
              {"name": "user.created", "description": "a user", "example": {"user": 1}}, 201)
    ep = capi.call("POST", APP + "/endpoint", {"url": receiver.url(), "uid": "main-ep",
                                                "eventTypes": ["user.created"]}, 201,
                   app_id=app["id"])
    return app["id"], ep["id"]


def test_endpoints(capi, world, receiver):
    app, ep = world
    ids = dict(app_id=app, endpoint_id=ep)
    full = every_endpoint_option(receiver.url("/full"))
    other = capi.call("POST", APP + "/endpoint", full, 201, app_id=app)
    capi.call("GET", APP + "/endpoint", status=200, app_id=app, query={"limit": 1})
    capi.call("GET", EP, status=200, app_id="world", endpoint_id="main-ep")
    capi.call("PUT", EP, {"url": receiver.url(), "uid": "main-ep",
                          "eventTypes": ["user.created"]}, 200, **ids)
    capi.call("PATCH", EP, {"description": "patched", "label": None}, 200, **ids)
    capi.call("PUT", EP + "/headers", {"headers": {"X-A": "1", "X-B": "2"}}, 204, **ids)
    capi.call("PATCH", EP + "/headers", {"headers": {"X-B": None}}, 204, **ids)
    h = capi.call("GET", EP + "/headers", status=200, **ids)
    assert h["headers"] == {"X-A": "1"}, h
    capi.call("GET", EP + "/secret", status=200, **ids)
    capi.call("POST", EP + "/secret/rotate", {"gracePeriodSeconds": 60}, 204, **ids)
    capi.call("GET", EP + "/health", status=200, **ids)
    capi.call("GET", EP + "/stats", status=200, **ids)
    capi.call("GET", EP + "/public-key", status=409, **ids)
    key = capi.call("GET", EP + "/secret", status=200, **ids)["key"]
    ts, body = str(int(time.time())), '{"a": 1}'
    received = {"webhook-id": "msg_x", "webhook-timestamp": ts,
                "webhook-signature": sign(key, "msg_x", ts, body.encode())}
    check = capi.call("POST", EP + "/verify-signature", {"headers": received, "body": body}, 200,
                      **ids)
    assert check["verified"] and check["matchedSecret"] == "current", check
    signed = capi.call("POST", APP + "/endpoint", {"url": receiver.url("/ed"),
                                                   "signing": {"type": "ed25519"}}, 201, app_id=app)
    assert signed["signing"]["publicKey"].startswith("whpk_"), signed
    for fmt in ("pem", "whpk"):
        capi.call("GET", EP + "/public-key", status=200, query={"format": fmt},
                  app_id=app, endpoint_id=signed["id"])
    rsa = capi.call("POST", APP + "/endpoint", {"url": receiver.url("/rsa"),
                                                "signing": {"type": "rsa"}}, 201, app_id=app)
    for fmt in ("pem", "xml"):
        capi.call("GET", EP + "/public-key", status=200, query={"format": fmt},
                  app_id=app, endpoint_id=rsa["id"])
    capi.call("DELETE", EP, status=204, app_id=app, endpoint_id=other["id"])
    capi.call("GET", EP, status=404, app_id=app, endpoint_id=other["id"])


def test_live_tail(capi, world, hookd):
    """GET .../attempt/live streams text/event-stream; each attempt event is a
    LiveAttemptOut (MessageAttemptOut with eventType and nextAttempt)."""
    app, ep = world
    path = f"/api/v1/app/{app}/attempt/live"
    stream = EventStreamReader(hookd.base_url, path, {"Authorization": f"Bearer {capi.token}"})
    try:
        assert stream.status == 200 and stream.headers["content-type"] == "text/event-stream"
        capi.call("POST", APP + "/msg", {"eventType": "user.created", "payload": {"u": 1}}, 202,
                  app_id=app)
        attempt = stream.next_attempt()
        CONTRACT.validate_component("LiveAttemptOut", attempt, "a live tail attempt")
        assert attempt["endpointId"] == ep and attempt["eventType"] == "user.created", attempt
        CONTRACT.exercised.add(("GET", APP + "/attempt/live"))
    finally:
        stream.close()


def test_messages_and_attempts(capi, world, receiver):
    app, ep = world
    ids = dict(app_id=app, endpoint_id=ep)
    msg = capi.call("POST", APP + "/msg", {"eventType": "user.created", "payload": {"a": 1},
                                           "eventId": "evt-1", "channels": ["c1"]}, 202, app_id=app)
    receiver.wait_for(1, where=lambda r: r.headers.get("webhook-id") == msg["id"])
    wait_status(capi, app, msg["id"], ep, 0)
    capi.call("POST", APP + "/msg", {"eventType": "user.created", "payload": {}}, 202,
              app_id=app, query={"with_content": "false"})
    capi.call("GET", APP + "/msg", status=200, app_id=app,
              query={"event_types": "user.created", "with_content": "false", "limit": 1})
    capi.call("GET", APP + "/msg/{msg_id}", status=200, app_id=app, msg_id=msg["id"])
    atts = capi.call("GET", APP + "/attempt/msg/{msg_id}", status=200, app_id=app,
                     msg_id=msg["id"], query={"endpoint_id": ep, "status": 0})["data"]
    assert len(atts) == 1, atts
    capi.call("GET", APP + "/attempt/endpoint/{endpoint_id}", status=200, **ids)
    att = atts[0]["id"]
    capi.call("GET", APP + "/msg/{msg_id}/attempt/{attempt_id}", status=200, app_id=app,
              msg_id=msg["id"], attempt_id=att)
    capi.call("GET", EP + "/msg", status=200, **ids, query={"status": 0, "with_content": "true"})
    capi.call("GET", EP + "/stats", status=200, **ids)
    capi.call("POST", APP + "/msg/{msg_id}/endpoint/{endpoint_id}/resend", status=202,
              msg_id=msg["id"], **ids)
    capi.call("DELETE", APP + "/msg/{msg_id}/attempt/{attempt_id}/content", status=204,
              app_id=app, msg_id=msg["id"], attempt_id=att)
    wait_attempts(capi, app, msg["id"], 2)
    capi.call("DELETE", APP + "/msg/{msg_id}/content", status=204, app_id=app, msg_id="evt-1")
    gone = capi.call("GET", APP + "/msg/{msg_id}", status=200, app_id=app, msg_id=msg["id"])
    assert gone["payload"] == {}, gone
    capi.call("POST", APP + "/msg/{msg_id}/endpoint/{endpoint_id}/resend", status=409,
              msg_id=msg["id"], **ids)
    capi.call("POST", EP + "/send-example", {"eventType": "user.created"}, 200, **ids)
    capi.call("PATCH", "/api/v1/event-type/{event_type_name}",
              {"schemas": {"1": {"examples": [{"user": 2}]}}}, 200, event_type_name="user.created")
    example = capi.call("POST", EP + "/send-example", {"eventType": "user.created",
                                                       "exampleIndex": 1}, 200, **ids)
    assert example["payload"] == {"user": 2}, example
    receiver.wait_for(1, where=lambda r: r.headers.get("webhook-id") == example["id"])
    for body in ({}, {"eventType": "user.created"}, {"payload": {"x": 1}}):
        out = capi.call("POST", EP + "/test", body, 200, **ids)
        assert out["success"] is True, out


def test_recover_and_retry(capi, world, make_receiver):
    app, _ = world
    down = make_receiver(500)
    ep = capi.call("POST", APP + "/endpoint", {"url": down.url(), "retrySchedule": ["100ms"]},
                   201, app_id=app)["id"]
    since = capi.call("GET", "/api/v1/app/{app_id}", status=200, app_id=app)["createdAt"]
    msg = capi.call("POST", APP + "/msg", {"eventType": "user.created", "payload": {}}, 202,
                    app_id=app)["id"]
    wait_status(capi, app, msg, ep, 2)
    out = capi.call("POST", EP + "/recover", {"since": since}, 202, app_id=app, endpoint_id=ep)
    assert out["count"] == 1, out
    wait_attempts(capi, app, msg, 3, endpoint_id=ep)
    out = capi.call("POST", APP + "/retry", {"since": since, "endpointId": ep,
                                             "eventTypes": ["user.created"]}, 202, app_id=app)
    assert out["count"] == 1, out
    down.wait_for(4)
    capi.call("GET", EP + "/health", status=200, app_id=app, endpoint_id=ep)


def test_sources_and_inbound(capi, world, receiver, hookd):
    app, ep = world
    src = capi.call("POST", APP + "/source", {
        "name": "skalin", "kind": "skalin", "uid": "sk", "webhookId": "wh-skalin-0000001",
        "clientId": "client-000000001", "maxBodyBytes": 65536,
        "forward": {"appId": app, "eventType": "user.created"}}, 201, app_id=app)
    gen = capi.call("POST", APP + "/source", {
        "name": "gen", "kind": "generic", "idField": "id",
        "verification": {"type": "hmac", "secret": "s3cret", "header": "X-Sig",
                         "prefix": "sha256="}}, 201, app_id=app)
    capi.call("GET", APP + "/source", status=200, app_id=app)
    ids = dict(app_id=app, source_id=src["id"])
    capi.call("GET", SRC, status=200, app_id="world", source_id="sk")
    capi.call("GET", SRC, status=200, app_id=app, source_id=gen["id"])
    capi.call("PUT", SRC, {"name": "skalin2", "kind": "skalin", "uid": "sk",
                           "webhookId": "wh-skalin-0000001", "clientId": "client-000000001",
                           "forward": {"appId": app, "eventType": "user.created"}}, 200, **ids)
    capi.call("PATCH", SRC, {"maxBodyBytes": 32768}, 200, **ids)

    public = capi.with_token(None)
    event = {"eventId": "e07595f29f1928y5", "customerId": "customer1234", "ts": "2021-05-08T12:00:05",
             "localtime": "08:00:05", "event": {"name": "ActivationService", "score": 5}}
    hook = "/webhook/{webhook_id}"

    def skalin(body=None, status=None, client="client-000000001", **kw):
        return public.call("POST", hook, body, status, query={"client_id": client},
                           webhook_id="wh-skalin-0000001", **kw)
    out = skalin(event, 201)
    assert out["messageId"].startswith("msg_"), out
    receiver.wait_for(1, where=lambda r: r.headers.get("webhook-id") == out["messageId"])
    event["event"]["score"] = 3
    assert skalin(event, 200)["status"] == "replaced"
    skalin(event, 401, client="wrong-client-0001")
    skalin({"eventId": "short"}, 422)
    skalin(raw=b"{not json", status=400, headers={"Content-Type": "application/json"})
    skalin(raw=b"x", status=415, headers={"Content-Type": "text/plain"})
    public.call("POST", hook, {}, 404, webhook_id="no-such-webhook-01")
    form = {"data": '{"id": "f1", "x": 1}'}
    capi.c.check_request("POST", hook, form, "application/x-www-form-urlencoded")
    raw = urlencode(form).encode()
    ctype = {"Content-Type": "application/x-www-form-urlencoded"}
    for sig, status in ((hmac_hex(b"s3cret", raw), 201), (hmac_hex(b"s3cret", raw), 200),
                        ("00", 401)):
        public.call("POST", hook, raw=raw, status=status, webhook_id=gen["webhookId"],
                    headers={**ctype, "X-Sig": "sha256=" + sig})
    capi.call("GET", SRC + "/event", status=200, **ids,
              query={"customerId": "customer1234", "name": "ActivationService",
                     "since": "2021-01-01T00:00:00Z", "until": "2030-01-01T00:00:00Z"})
    capi.call("GET", SRC + "/event/{event_id}", status=200, **ids, event_id="e07595f29f1928y5")
    capi.call("GET", SRC + "/customer", status=200, **ids)
    capi.call("GET", SRC + "/customer/{customer_id}", status=200, **ids,
              customer_id="customer1234")
    gids = dict(app_id=app, source_id=gen["id"])
    capi.call("GET", SRC + "/event", status=200, **gids)
    wait_until(lambda: capi.call("GET", SRC + "/rejection", status=200, **gids)["data"], 10, 0.1,
               "the rejection to be listed")
    capi.call("GET", SRC + "/rejection", status=200, **ids)
    capi.call("DELETE", SRC, status=204, **gids)
    capi.call("GET", SRC, status=404, **gids)


def test_journeys(capi, world):
    app, ep = world
    definition = {"name": "welcome", "nodes": [
        {"id": "start", "type": "trigger", "activity": "signed_up", "next": "wait"},
        {"id": "wait", "type": "waitFor", "activity": "opened", "within": "1h",
         "matched": "hook", "timedOut": "hook"},
        {"id": "hook", "type": "webhook", "endpointId": ep}]}
    jrn = APP + "/journey/{journey_id}"
    j = capi.call("POST", APP + "/journey", {"uid": "welcome", "definition": definition}, 201,
                  app_id=app)
    ids = dict(app_id=app, journey_id=j["id"])
    capi.call("GET", APP + "/journey", status=200, app_id=app)
    capi.call("GET", jrn, status=200, app_id=app, journey_id="welcome")
    definition["nodes"][0]["activity"] = "registered"
    capi.call("PUT", jrn, {"uid": "welcome", "definition": definition}, 200, **ids)
    capi.call("POST", jrn + "/pause", status=200, **ids)
    capi.call("POST", jrn + "/resume", status=200, **ids)
    capi.call("GET", jrn + "/version", status=200, **ids)
    capi.call("POST", APP + "/activity", {"name": "registered", "contact": "ana"}, 202,
              app_id=app)
    wait_until(lambda: capi.call("GET", jrn + "/waiting", status=200, **ids,
                                 query={"node": "wait", "limit": 1})["data"], 10, 0.05,
               "the run to wait")
    capi.call("GET", jrn + "/contact/{contact_key}", status=200, **ids, contact_key="ana")
    stats = capi.call("GET", jrn + "/stats", status=200, **ids)
    assert stats["versions"][0]["waiting"] == {"wait": 1}, stats
    capi.call("DELETE", jrn, status=204, **ids)


def test_contacts_and_activities(capi, world):
    app, _ = world
    capi.call("POST", APP + "/contact", {"key": "ana@example.com", "attributes": {"CITY": "Lyon"}},
              200, app_id=app)
    capi.call("POST", APP + "/contact/batch", {"contacts": [{"key": "bo"}, {"key": "cy"}]}, 200,
              app_id=app)
    capi.call("POST", APP + "/activity", {"id": "a-1", "name": "viewed", "contact": "bo",
                                          "params": {"page": 1}}, 202, app_id=app)
    capi.call("POST", APP + "/activity/batch", {"activities": [
        {"name": "clicked", "contact": "bo", "timestamp": "2026-12-01T10:00:00Z"}]}, 202,
        app_id=app)
    capi.call("GET", APP + "/contact/{contact_key}", status=200, app_id=app,
              contact_key="ana%40example.com")
    capi.call("GET", APP + "/contact/{contact_key}/activity", status=200, app_id=app,
              contact_key="bo")


def test_tokens_portal_and_audit(capi, world):
    app, _ = world
    tok = capi.call("POST", AUTH + "/token", {"name": "ci", "readOnly": False,
                                              "expiresIn": 3600}, 201)
    apptok = capi.call("POST", AUTH + "/token", {"name": "app", "appId": "world"}, 201)
    capi.call("GET", AUTH + "/token", status=200, query={"limit": 10})
    capi.call("GET", AUTH + "/token/{token_id}", status=200, token_id=apptok["id"])
    portal = capi.call("POST", AUTH + "/app-portal-access/{app_id}",
                       {"expiry": 600, "readOnly": True, "sessionId": "s1"}, 200, app_id=app)
    made = capi.call("POST", AUTH + "/app-portal-access/{app_id}",
                     {"application": {"name": "portal-made"}}, 200, app_id="portal-uid")
    assert made["appId"].startswith("app_"), made
    capi.with_token(portal["token"]).call("GET", "/api/v1/app/{app_id}", status=200, app_id=app)
    capi.call("POST", AUTH + "/app/{app_id}/expire-all", {"expiry": 0, "sessionIds": ["s1"]}, 204,
              app_id=app)
    capi.with_token(portal["token"]).call("GET", "/api/v1/app/{app_id}", status=401, app_id=app)
    capi.with_token(tok["token"]).call("POST", AUTH + "/logout", status=204)
    capi.with_token(tok["token"]).call("GET", "/api/v1/audit", status=401)
    capi.call("POST", AUTH + "/logout", status=422)  # the configured admin token
    capi.call("DELETE", AUTH + "/token/{token_id}", status=204, token_id=apptok["id"])
    capi.call("GET", AUTH + "/token/{token_id}", status=404, token_id="tok_nope")
    capi.call("GET", "/api/v1/audit", status=200, query={"appId": app, "limit": 5})
    capi.call("GET", "/api/v1/audit", status=200,
              query={"objectId": app, "since": "2020-01-01T00:00:00Z"})


def test_error_answers(capi, world):
    """Named error answers (test_error_sweep covers 401/403/404/400/413 on every operation)."""
    app, ep = world
    other = capi.call("POST", "/api/v1/app", {"name": "other"}, 201)["id"]
    capi.with_token("not-a-token").call("GET", "/api/v1/app", status=401)
    mine = capi.with_token(capi.call("POST", AUTH + "/token", {"appId": app}, 201)["token"])
    mine.call("GET", APP + "/endpoint", status=200, app_id=app)
    for method, template in (("GET", "/api/v1/app/{app_id}"), ("GET", APP + "/msg"),
                             ("DELETE", "/api/v1/app/{app_id}")):
        mine.call(method, template, status=403, app_id=other)
    mine.call("GET", "/api/v1/app", status=403)
    mine.call("POST", "/api/v1/event-type", {"name": "no.way", "description": "x"}, 403)
    mine.call("GET", "/api/v1/audit", status=403, query={"appId": other})
    capi.call("GET", EP, status=404, app_id=app, endpoint_id="ep_missing")
    capi.call("POST", "/api/v1/app", {}, 422)
    capi.call("POST", "/api/v1/app", {"name": "t", "throttleRate": 5}, 422)
    capi.call("POST", APP + "/endpoint", {"url": "ftp://x"}, 422, app_id=app)
    capi.call("POST", APP + "/msg", {"eventType": "unknown.type", "payload": {}}, 422, app_id=app)
    capi.call("GET", APP + "/msg", status=422, app_id=app, query={"with_content": "maybe"})
    capi.call("POST", "/api/v1/app", {"name": "dup", "uid": "world"}, 409)
    capi.call("POST", "/api/v1/event-type", {"name": "user.created", "description": "x"}, 409)
    capi.call("POST", APP + "/endpoint", {"url": "http://127.0.0.1:9/", "uid": "main-ep"}, 409,
              app_id=app)
    capi.call("POST", EP + "/send-example", {"eventType": "user.created", "exampleIndex": 1}, 422,
              app_id=app, endpoint_id=ep)


def test_endpoint_option_and_failure_shapes(capi, world, make_receiver):
    """Answers in their less common shapes: every endpoint option set, failed tests and
    attempts (a status, a refused connection), a delivery waiting for its retry."""
    app, _ = world
    down, closed = make_receiver(503), make_receiver()
    closed_url = closed.url()
    closed.close()
    rich = capi.call("POST", APP + "/endpoint", hookd_endpoint_options(down.url()), 201,
                     app_id=app)
    ep = rich["id"]
    ids = dict(app_id=app, endpoint_id=ep)
    assert rich["basicAuth"]["password"] == "********", rich
    capi.call("GET", EP, status=200, **ids)
    out = capi.call("POST", EP + "/test", {"payload": {"kind": "a"}}, 200, **ids)
    assert out["success"] is False and out["statusCode"] == 503, out
    msg = capi.call("POST", APP + "/msg", {"eventType": "user.created",
                                           "payload": {"kind": "a"}}, 202, app_id=app)["id"]
    wait_status(capi, app, msg, ep, 3)
    capi.call("GET", EP + "/msg", status=200, **ids, query={"status": 3})
    capi.call("GET", APP + "/msg/{msg_id}/endpoint", status=200, app_id=app, msg_id=msg)
    capi.call("GET", EP + "/stats", status=200, **ids,
              query={"since": "2020-01-01T00:00:00Z", "until": "2099-01-01T00:00:00Z"})
    health = capi.call("GET", EP + "/health", status=200, **ids)
    assert health["lastStatus"] == 503, health
    capi.call("GET", APP + "/attempt/endpoint/{endpoint_id}", status=200, **ids,
              query={"status": 2})
    capi.call("PATCH", EP, {"batch": None, "basicAuth": None, "filter": None, "signing": None,
                            "fieldSelection": None, "extraFields": None, "format": None,
                            "alertFrequency": None}, 200, **ids)

    gone = capi.call("POST", APP + "/endpoint", {"url": closed_url, "retrySchedule": ["30s"],
                                                 "disabled": True, "requireTest": True},
                     201, app_id=app)["id"]
    out = capi.call("POST", EP + "/test", {}, 200, app_id=app, endpoint_id=gone)
    assert out["success"] is False and out["errorClass"] == "connect", out
    capi.call("PATCH", EP, {"disabled": False}, 409, app_id=app, endpoint_id=gone)
    shown = capi.call("GET", EP, status=200, app_id=app, endpoint_id=gone)
    assert shown["lastTest"] is not None, shown

    refused = capi.call("POST", APP + "/endpoint", {"url": closed_url, "retrySchedule": ["30s"],
                                                    "eventTypes": ["user.created"]},
                        201, app_id=app)["id"]
    msg = capi.call("POST", APP + "/msg", {"eventType": "user.created", "payload": {}}, 202,
                    app_id=app)["id"]
    wait_status(capi, app, msg, refused, 3)
    atts = capi.call("GET", APP + "/attempt/endpoint/{endpoint_id}", status=200, app_id=app,
                     endpoint_id=refused)["data"]
    assert [(a["responseStatusCode"], a["errorClass"]) for a in atts] == [(0, "connect")], atts
    capi.call("GET", EP + "/health", status=200, app_id=app, endpoint_id=refused)


def test_pending_and_disabled_shapes(capi, world, make_receiver):
    """A delivery waiting in a batch (status 1, pending) and an endpoint hookd disabled (410)."""
    app, _ = world
    slow, gone = make_receiver(), make_receiver(410)
    ep = capi.call("POST", APP + "/endpoint", {"url": slow.url(), "batch": {
        "maxEvents": 10, "maxWaitMs": 60000}}, 201, app_id=app)["id"]
    msg = capi.call("POST", APP + "/msg", {"eventType": "user.created", "payload": {}}, 202,
                    app_id=app)["id"]
    wait_status(capi, app, msg, ep, 1)
    capi.call("GET", EP + "/msg", status=200, app_id=app, endpoint_id=ep, query={"status": 1})
    stats = capi.call("GET", EP + "/stats", status=200, app_id=app, endpoint_id=ep)
    assert stats["pending"] == 1, stats
    ep = capi.call("POST", APP + "/endpoint", {"url": gone.url()}, 201, app_id=app)["id"]
    capi.call("POST", APP + "/msg", {"eventType": "user.created", "payload": {}}, 202, app_id=app)
    shown = wait_until(lambda: (lambda e: e if e["disabled"] else None)(
        capi.call("GET", EP, status=200, app_id=app, endpoint_id=ep)), 10, 0.1, "disabling")
    assert shown["disabledReason"] == "gone" and shown["disabledAt"], shown
    capi.call("GET", EP + "/health", status=200, app_id=app, endpoint_id=ep)
    capi.call("GET", APP + "/endpoint", status=200, app_id=app)

def test_token_and_source_shapes(capi, world):
    app, _ = world
    short = capi.call("POST", AUTH + "/token", {"name": "short", "expiresIn": 1}, 201)
    gone = capi.call("POST", AUTH + "/token", {"appId": app, "readOnly": True}, 201)
    capi.call("DELETE", AUTH + "/token/{token_id}", status=204, token_id=gone["id"])
    wait_until(lambda: capi.call("GET", AUTH + "/token/{token_id}", status=200,
                                 token_id=short["id"])["status"] == "expired", 5, 0.2,
               "the token to expire")
    listed = capi.call("GET", AUTH + "/token", status=200)["data"]
    assert {t["status"] for t in listed} >= {"expired", "revoked"}, listed
    for v in SOURCE_VERIFICATIONS:
        src = capi.call("POST", APP + "/source", {"kind": "generic", "verification": v,
                                                  "idHeader": "X-Id"}, 201, app_id=app)
        shown = capi.call("GET", SRC, status=200, app_id=app, source_id=src["id"])
        assert shown["verification"]["type"] == v["type"], shown
    capi.call("GET", APP + "/source", status=200, app_id=app, query={"limit": 2})
    capi.call("GET", "/api/v1/audit", status=200)


def test_error_sweep(capi, world):
    """Every operation with missing objects, malformed, oversized and non-JSON bodies, a bad
    `limit` and another application's token: each status must be documented, with a body that
    matches it (openapi_support.error_sweep). Nothing here counts as exercised."""
    app, ep = world
    other = capi.call("POST", "/api/v1/app", {"name": "other"}, 201)["id"]
    token = capi.call("POST", AUTH + "/token", {"appId": other}, 201)["token"]
    ro = capi.call("POST", AUTH + "/token", {"readOnly": True}, 201)["token"]
    error_sweep(capi.with_token(capi.token, record=False), capi.with_token(token, record=False),
                capi.with_token(ro, record=False), app, ep)

def test_every_documented_operation_was_exercised(request):
    """Runs last: every documented operation got a documented success answer in a test above."""
    mine = [i.name for i in request.session.items if i.module is request.module]
    every = [n for n in globals() if n.startswith("test_")]
    others = [n for n in mine if n != request.node.name]
    if len(mine) < len(every) or not RAN.issuperset(others):
        pytest.skip("only meaningful when every test of this file ran in this process")
    missing = CONTRACT.documented() - CONTRACT.exercised - set(UNEXERCISED)
    assert not missing, "operations never exercised with a success answer:\n" + "\n".join(
        f"  {m} {p}" for m, p in sorted(missing, key=lambda mp: (mp[1], mp[0])))
    extra = CONTRACT.exercised - CONTRACT.documented()
    assert not extra, extra
