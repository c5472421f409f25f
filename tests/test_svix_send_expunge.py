"""Svix's send-example (the event type's examples, picked by exampleIndex) and the expunging
of a message's payload or an attempt's response (an expunged message is not sent again).

Every test runs the real hookd binary against real HTTP receivers on loopback.
"""

from __future__ import annotations

import json
import time


from hookd_support import TIMESTAMP_RE, Reply, assert_error, verify_signature, wait_until
from svix_route_support import (STEADY, ZERO, SUCCESS, FAIL, app_endpoint, ep_msg_ids, ep_msgs,
                                get_attempt, get_msg, iso, stats, wait_status)


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


def test_send_example_picks_svix_schema_examples_by_index(api, receiver):
    """Svix's event types carry examples in `schemas` ({"1": {"examples": [...]}}); hookd's own
    `example` comes first, then the newest schema version's, chosen by `exampleIndex`."""
    app = api.create_app()["id"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    schemas = {"1": {"type": "object", "examples": [{"old": 1}]},
               "2": {"type": "object", "examples": [{"svix": 1}, {"svix": 2}]}}
    svix_only = api.create_event_type(schemas=schemas)["name"]
    both = api.create_event_type(schemas=schemas, example={"own": True})["name"]
    path = f"/api/v1/app/{app}/endpoint/{ep}/send-example"
    sent = []
    for body, payload in (({"eventType": svix_only}, {"svix": 1}),
                          ({"eventType": svix_only, "exampleIndex": 1}, {"svix": 2}),
                          ({"eventType": both}, {"own": True}),
                          ({"eventType": both, "exampleIndex": 2}, {"svix": 2})):
        r = api.post(path, body)
        assert r.status_code == 200 and r.json()["payload"] == payload, (body, r.text)
        sent.append(payload)
    for bad in (-1, "1", 1.5):
        assert_error(api.post(path, {"eventType": svix_only, "exampleIndex": bad}), 422,
                     "validation", "exampleIndex")
    body = assert_error(api.post(path, {"eventType": svix_only, "exampleIndex": 2}), 422,
                        "validation", "exampleIndex")
    assert "from 0 to 1" in body["detail"], body
    got = receiver.wait_for(len(sent))
    assert sorted((json.loads(q.body) for q in got), key=json.dumps) == \
        sorted(sent, key=json.dumps)


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


def test_an_expunged_message_is_not_resent_or_replayed(hookd_factory, make_receiver):
    """Svix: a message can't be replayed or resent once its payload has been deleted."""
    srv = hookd_factory(env={**STEADY, "HOOKD_RETRY_SCHEDULE": "100ms"})
    api = srv.api()
    rcv = make_receiver(500)
    app, et, ep = app_endpoint(api, rcv.url())
    since = iso(int(time.time() * 1000) - 5_000)
    gone = api.send(app, et, {"secret": "oops"}, eventId="evt-expunged")["id"]
    kept = api.send(app, et, {"fine": True})["id"]
    for m in (gone, kept):
        wait_status(api, app, m, ep, FAIL)
    r = api.delete(f"/api/v1/app/{app}/msg/evt-expunged/content")  # by its eventId
    assert r.status_code == 204, r.text
    assert get_msg(api, app, gone)["payload"] == {}
    sent = {m: len(rcv.by_webhook_id(m)) for m in (gone, kept)}

    body = assert_error(api.post(f"/api/v1/app/{app}/msg/{gone}/endpoint/{ep}/resend"), 409,
                        "conflict")
    assert "expunged" in body["detail"] and gone in body["detail"], body
    r = api.post(f"/api/v1/app/{app}/endpoint/{ep}/recover", {"since": since})
    assert r.status_code == 202 and r.json()["count"] == 1, r.text
    wait_until(lambda: len(rcv.by_webhook_id(kept)) == sent[kept] + 1, 5,
               what="the kept message recovered")
    wait_until(lambda: [a["triggerType"] for a in api.attempts_by_msg(app, kept)].count(1) == 1,
               5, what="the recovery's attempt recorded")
    r = api.post(f"/api/v1/app/{app}/retry", {})
    assert r.status_code == 202 and r.json()["count"] == 1, r.text
    wait_until(lambda: len(rcv.by_webhook_id(kept)) == sent[kept] + 2, 5,
               what="the kept message retried")
    time.sleep(0.5)
    assert len(rcv.by_webhook_id(gone)) == sent[gone], "the expunged message was sent again"
    assert [a["triggerType"] for a in api.attempts_by_msg(app, gone)].count(1) == 0
    r = api.post(f"/api/v1/app/{app}/msg/{kept}/endpoint/{ep}/resend")
    assert r.status_code == 202, r.text


def test_expunge_attempt_content(api, make_receiver):
    rcv = make_receiver(Reply(200, body=b"all good"))
    rcv.script(Reply(500, body=b'{"error":"temporary","token":"abc"}'))
    app, et, ep = app_endpoint(api, rcv.url())
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
