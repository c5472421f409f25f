"""POST .../endpoint/{id}/test and requireTest (docs/endpoint-options.md, "Testing an endpoint")."""

from __future__ import annotations

import json

from hookd_support import Reply, verify_signature


def test_a_test_sends_the_example_payload_signed_and_reports_the_answer(api, receiver):
    app = api.create_app()
    et = api.create_event_type(example={"email": "ada@example.com"})
    ep = api.create_endpoint(app["id"], receiver.url("/t"), headers={"X-Team": "growth"})
    r = api.post(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/test", {"eventType": et["name"]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["statusCode"], out["success"], out["errorClass"]) == (200, True, "none")
    assert out["durationMs"] >= 0 and out["payload"] == {"email": "ada@example.com"}
    [got] = receiver.snapshot()
    assert json.loads(got.body) == {"email": "ada@example.com"}
    assert got.headers["x-team"] == "growth"
    secret = api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/secret").json()["key"]
    assert verify_signature(secret, got.headers, got.body)
    # a test is not a delivery: no message, no attempt
    assert api.get(f"/api/v1/app/{app['id']}/msg").json()["data"] == []
    shown = api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}").json()
    assert shown["lastTest"]["status"] == 200


def test_a_failing_receiver_and_a_missing_example(api, receiver):
    app = api.create_app()
    et = api.create_event_type()  # no example
    ep = api.create_endpoint(app["id"], receiver.url("/t"))
    r = api.post(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/test", {"eventType": et["name"]})
    assert r.status_code == 422 and "payload" in r.json()["detail"], r.text
    receiver.script(503)
    r = api.post(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/test", {"payload": {"k": 1}})
    assert r.status_code == 200, r.text
    assert (r.json()["statusCode"], r.json()["success"]) == (503, False)


def test_require_test_gates_enabling(api, receiver):
    app = api.create_app()
    base = f"/api/v1/app/{app['id']}/endpoint"
    r = api.post(base, {"url": receiver.url("/g"), "requireTest": True})
    assert r.status_code == 409 and r.json()["code"] == "test_required", r.text
    r = api.post(base, {"url": receiver.url("/g"), "requireTest": True, "disabled": True})
    assert r.status_code == 201, r.text
    ep = r.json()
    receiver.script(500)
    assert api.post(f"{base}/{ep['id']}/test", {}).json()["statusCode"] == 500
    r = api.patch(f"{base}/{ep['id']}", {"disabled": False})
    assert r.status_code == 409, r.text
    assert api.post(f"{base}/{ep['id']}/test", {}).json()["statusCode"] == 200
    r = api.patch(f"{base}/{ep['id']}", {"disabled": False})
    assert r.status_code == 200 and r.json()["disabled"] is False, r.text


def test_extra_fields_and_field_selection_shape_what_is_sent(api, receiver):
    app = api.create_app()
    et = api.create_event_type()
    ep = api.create_endpoint(app["id"], receiver.url("/shape"),
                             fieldSelection=["contact.email", "event", "missing.path"],
                             extraFields={"source": "hookd", "event": "renamed"})
    shown = api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}").json()
    assert shown["fieldSelection"] == ["contact.email", "event", "missing.path"]
    assert shown["extraFields"] == {"source": "hookd", "event": "renamed"}
    api.send(app["id"], et["name"], {"contact": {"email": "a@b.c", "phone": "1"},
                                     "event": "open", "other": True})
    [got] = receiver.wait_for(1)
    assert json.loads(got.body) == {"contact": {"email": "a@b.c"}, "event": "renamed",
                                    "source": "hookd"}
    secret = api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/secret").json()["key"]
    assert verify_signature(secret, got.headers, got.body)  # the signature covers what is sent
    for bad in ({"fieldSelection": ["a..b"]}, {"fieldSelection": "a"}, {"extraFields": [1]}):
        r = api.patch(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}", bad)
        assert r.status_code == 422 and list(bad)[0] in r.json()["detail"], r.text
    r = api.patch(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}",
                  {"fieldSelection": None, "extraFields": None})
    assert r.status_code == 200 and r.json()["fieldSelection"] is None, r.text


def test_payload_filters_choose_the_endpoints(api, make_receiver):
    """docs/endpoint-options.md "Filters": evaluated when the message is accepted."""
    app = api.create_app()
    et = api.create_event_type()
    thane, vip, everyone = make_receiver(), make_receiver(), make_receiver()
    api.create_endpoint(app["id"], thane.url("/t"), filter={"att_params.CITY": "Thane"})
    api.create_endpoint(app["id"], vip.url("/v"),
                        filter={"$or": [{"tags": "vip"}, {"score": {"$gte": 5}}],
                                "channel": {"$in": ["email", "sms"]}})
    api.create_endpoint(app["id"], everyone.url("/e"))
    payloads = [
        {"channel": "email", "att_params": {"CITY": "Thane"}, "tags": ["vip"], "score": 1},
        {"channel": "sms", "att_params": {"CITY": "Pune"}, "score": 5},
        {"channel": "apn", "att_params": {"CITY": "Thane"}, "tags": ["vip"]},
        {"channel": "email", "att_params": {"CITY": "Pune"}, "score": 2},
    ]
    msgs = [api.send(app["id"], et["name"], p) for p in payloads]
    everyone.wait_for(4)
    thane.wait_for(2)
    vip.wait_for(2)
    import time
    time.sleep(0.5)
    by_id = lambda r: sorted(x.headers["webhook-id"] for x in r.snapshot())
    assert by_id(thane) == sorted([msgs[0]["id"], msgs[2]["id"]])
    assert by_id(vip) == sorted([msgs[0]["id"], msgs[1]["id"]])
    assert len(everyone.snapshot()) == 4


def test_malformed_filters_are_refused_naming_the_problem(api, receiver):
    app = api.create_app()
    base = f"/api/v1/app/{app['id']}/endpoint"
    r = api.post(base, {"url": receiver.url(), "filter": {"city": {"$like": "T%"}}})
    assert r.status_code == 422 and r.json()["detail"] == "filter: city: unknown operator $like"
    r = api.post(base, {"url": receiver.url(), "filter": {"$or": []}})
    assert r.status_code == 422 and "$or" in r.json()["detail"], r.text
    assert api.get(base).json()["data"] == []


def test_a_test_shows_the_request_sent_and_the_receivers_headers(api, receiver):
    """The answer has the request exactly as the receiver got it (its signing headers, custom
    headers and body; a basic auth password masked) and the headers the receiver answered with."""
    app = api.create_app()
    ep = api.create_endpoint(app["id"], receiver.url("/t"), headers={"X-Team": "growth"},
                             format="form", basicAuth={"username": "u", "password": "pw"})
    receiver.script(Reply(202, headers={"X-Receiver": "kept", "Content-Type": "text/plain"},
                          body=b"queued"))
    r = api.post(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/test", {"payload": {"k": "v w"}})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["statusCode"] == 202 and out["response"] == "queued"
    assert out["responseHeaders"]["X-Receiver"] == "kept", out["responseHeaders"]
    [got] = receiver.snapshot()
    sent = out["request"]
    assert (sent["method"], sent["url"]) == ("POST", receiver.url("/t"))
    assert sent["body"].encode() == got.body  # the form body, byte for byte
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature", "X-Team", "Content-Type"):
        assert sent["headers"][name] == got.headers[name.lower()], name
    assert sent["headers"]["User-Agent"] == got.headers["user-agent"]
    assert got.headers["authorization"] == "Basic dTpwdw==" and "dTpwdw==" not in r.text
    assert sent["headers"]["Authorization"] == "Basic ********"
    assert "Expect" not in sent["headers"]
