"""Batching (docs/endpoint-options.md, "Batching"), with real deliveries to loopback receivers.

An endpoint with `batch: {maxEvents, maxWaitMs, envelopeKey}` gets up to maxEvents events per
request, waiting at most maxWaitMs for a batch to fill, in the body {"<key>": [event, ...]}
that Netcore CE's samples show (default key: the application's uid). One request covers the batch, every
message gets an attempt, a failed batch is retried whole, and the signature covers the whole
body, in both formats.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.parse

from hookd_support import node_verify, verify_signature, wait_until

# Netcore CE's second sample, decoded: one request carrying two events under "qa_manual1".
NETCORE_BATCH = (
    '{"qa_manual1":[{"channel":"sms","event":"delivered","custom_params":{"Action":"SMS Deliver"},'
    '"att_params":{"LASTNAME":"","FIRSTNAME":"","MOBILE":"9999999999","EMAIL":"abcd@gmail.com"},'
    '"msgid":"1318","webhook_name":"testqa112","event_params":{"foreignkey":"abcd@gmail.com",'
    '"timestamp":"2022-12-01T18:12:46","ts":221201181246,"name":"WebHook Test_SMS",'
    '"mobile":"8281904975"},"journey_name":"Webhook Journey_SMS"},{"channel":"email",'
    '"event":"open","custom_params":{"Action":"Email Open"},"att_params":{"LASTNAME":"Thomas",'
    '"FIRSTNAME":"RMT","MOBILE":"1234567890","EMAIL":"abcde@gmail.com"},"msgid":"4930",'
    '"webhook_name":"testqa112","event_params":{"ip_addr":"66.249.84.250",'
    '"foreignkey":"abcde@gmail.com","timestamp":"2022-12-01T18:12:54","ts":221201181254,'
    '"user_agent":"Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com '
    'GoogleImageProxy)","name":null,"mobile":"1234567890"},"journey_name":"Webhook Journey_Email"}]}')


def ep_path(app: str, ep_id: str, suffix: str = "") -> str:
    return f"/api/v1/app/{app}/endpoint/{ep_id}{suffix}"


def envelope(req, key: str) -> list:
    """The events of a batch request (json or form), checking the envelope's shape."""
    body = req.body
    if req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        assert body.startswith(b"data="), body[:80]
        body = urllib.parse.unquote_to_bytes(body[5:])
    doc = json.loads(body)
    assert isinstance(doc, dict) and list(doc) == [key], f"envelope keys {list(doc)} != [{key!r}]"
    assert isinstance(doc[key], list) and doc[key], doc
    return doc[key]


def send_many(api, app: str, et: str, n: int, tag: str) -> list[dict]:
    return [api.send(app, et, {"tag": tag, "i": i}) for i in range(n)]


def test_batches_fill_to_max_events_and_cover_every_message_once(api, receiver):
    app = api.create_app(uid="pod2_email_rashmi")["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url(), batch={"maxEvents": 5, "maxWaitMs": 3000})
    assert ep["batch"] == {"maxEvents": 5, "maxWaitMs": 3000, "envelopeKey": None}, ep["batch"]
    secret = api.endpoint_secret(app, ep["id"])

    msgs = send_many(api, app, et, 12, "fill")
    reqs = receiver.wait_for(3, timeout=15)
    time.sleep(0.5)
    reqs = receiver.snapshot()
    assert len(reqs) == 3, f"12 events at 5 a batch make 3 requests, got {len(reqs)}"
    sizes = sorted(len(envelope(q, "pod2_email_rashmi")) for q in reqs)
    assert sizes == [2, 5, 5], sizes
    events = [e for q in reqs for e in envelope(q, "pod2_email_rashmi")]
    assert sorted(e["i"] for e in events) == list(range(12)), events
    for q in reqs:
        assert q.headers["content-type"] == "application/json", q.headers
        assert q.headers["webhook-id"].startswith("batch_"), q.headers["webhook-id"]
        assert verify_signature(secret, q.headers, q.body), "the signature must cover the body"
        items = envelope(q, "pod2_email_rashmi")
        assert [e["i"] for e in items] == sorted(e["i"] for e in items), \
            f"a batch keeps the order events were sent in: {items}"
    assert len({q.headers["webhook-id"] for q in reqs}) == 3, "each batch has its own id"

    # One attempt per message, all successful; the three attempts of a batch share its outcome.
    for m in msgs:
        atts = api.wait_attempts(app, m["id"], 1)
        assert len(atts) == 1 and atts[0]["status"] == 0 and atts[0]["responseStatusCode"] == 200
        wait_until(lambda m=m: api.delivery_status(app, m["id"], ep["id"]) == 0, 10,
                   what="the delivery to be marked successful")


def test_a_partial_batch_goes_when_its_wait_ends(api, receiver):
    app = api.create_app()  # no uid: the envelope key is the app's id
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app["id"], receiver.url(), batch={"maxEvents": 100, "maxWaitMs": 700})
    start = time.monotonic()
    send_many(api, app["id"], et, 3, "wait")
    [req] = receiver.wait_for(1, timeout=10)
    waited = req.time - start
    assert waited >= 0.6, f"sent after {waited:.3f}s, before maxWaitMs (700 ms) had passed"
    assert waited < 5, f"sent after {waited:.3f}s, long after maxWaitMs"
    assert [e["i"] for e in envelope(req, app["id"])] == [0, 1, 2]
    time.sleep(0.3)
    assert receiver.count() == 1, "three events under maxEvents make one request"
    assert ep["batch"]["maxEvents"] == 100


def test_zero_wait_sends_what_is_ready(api, receiver):
    app = api.create_app(uid="now")["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, receiver.url(), batch={"maxEvents": 50, "maxWaitMs": 0})
    api.send(app, et, {"only": True})
    [req] = receiver.wait_for(1, timeout=5)
    assert envelope(req, "now") == [{"only": True}], "a batch of one is still an envelope"


def test_form_format_batch_is_netcores_shape(api, receiver):
    app = api.create_app(uid="ignored-app-uid")["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url(), format="form",
                             batch={"maxEvents": 2, "maxWaitMs": 5000, "envelopeKey": "qa_manual1"})
    secret = api.endpoint_secret(app, ep["id"])
    events = json.loads(NETCORE_BATCH)["qa_manual1"]
    for event in events:
        raw = json.dumps({"eventType": et, "payload": event}, separators=(",", ":"))
        r = api.send_raw(app, raw)
        assert r.status_code == 202, r.text
    [req] = receiver.wait_for(1, timeout=10)
    assert req.headers["content-type"] == "application/x-www-form-urlencoded", req.headers
    assert req.body.startswith(b"data=") and b"+" not in req.body, req.body[:80]
    decoded = urllib.parse.unquote_to_bytes(req.body[5:])
    assert decoded.decode() == NETCORE_BATCH, \
        f"the decoded data must be Netcore's envelope byte for byte:\n{decoded!r}"
    assert verify_signature(secret, req.headers, req.body), "the signature covers the form body"


def test_batch_signature_verifies_with_the_standardwebhooks_library(api, receiver, tmp_path):
    app = api.create_app(uid="lib")["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url(), batch={"maxEvents": 3, "maxWaitMs": 3000})
    secret = api.endpoint_secret(app, ep["id"])
    send_many(api, app, et, 3, "lib")
    [req] = receiver.wait_for(1, timeout=10)
    assert len(envelope(req, "lib")) == 3
    out = node_verify(secret, req.headers, req.body, tmp_path)
    assert out.returncode == 0, f"standardwebhooks refused the batch: {out.stdout} {out.stderr}"
    tampered = dict(req.headers)
    out = node_verify(secret, tampered, req.body.replace(b'"i": 2', b'"i": 9'), tmp_path)
    assert out.returncode != 0, "a changed batch body must not verify"


def test_a_failed_batch_is_retried_whole(api, make_receiver):
    receiver = make_receiver()
    receiver.script(500, 503)
    app = api.create_app(uid="retry")["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url(), batch={"maxEvents": 4, "maxWaitMs": 3000})
    msgs = send_many(api, app, et, 4, "retry")
    reqs = receiver.wait_for(3, timeout=15)
    time.sleep(0.5)
    reqs = receiver.snapshot()
    assert len(reqs) == 3, f"500, 503, then 200: three requests in all, got {len(reqs)}"
    assert len({q.body for q in reqs}) == 1, "each retry sends the same batch again"
    assert len({q.headers["webhook-id"] for q in reqs}) == 1, "a retried batch keeps its id"
    assert [e["i"] for e in envelope(reqs[0], "retry")] == [0, 1, 2, 3]
    for m in msgs:
        atts = api.wait_attempts(app, m["id"], 3)
        codes = sorted(a["responseStatusCode"] for a in atts)
        assert codes == [200, 500, 503], f"{m['id']}: attempts {codes}"
        wait_until(lambda m=m: api.delivery_status(app, m["id"], ep["id"]) == 0, 10,
                   what="the delivery to succeed on the third try")


def test_an_exhausted_batch_fails_every_message_with_one_request_per_try(api, make_receiver):
    receiver = make_receiver(500)
    app = api.create_app(uid="dead")["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url(), batch={"maxEvents": 3, "maxWaitMs": 3000})
    msgs = send_many(api, app, et, 3, "dead")
    for m in msgs:
        wait_until(lambda m=m: api.delivery_status(app, m["id"], ep["id"]) == 2, 15,
                   what="the delivery to fail after the whole schedule")
    # The test schedule is 200ms x3: four tries, each one request for all three messages.
    assert receiver.count() == 4, f"expected 4 requests, got {receiver.count()}"
    for m in msgs:
        assert len(api.attempts_by_msg(app, m["id"])) == 4


def test_reshaping_applies_to_each_event_of_a_batch(api, receiver):
    app = api.create_app(uid="shape")["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, receiver.url(), fieldSelection=["i"], extraFields={"src": "hookd"},
                        batch={"maxEvents": 2, "maxWaitMs": 3000})
    send_many(api, app, et, 2, "shape")
    [req] = receiver.wait_for(1, timeout=10)
    assert envelope(req, "shape") == [{"i": 0, "src": "hookd"}, {"i": 1, "src": "hookd"}]


def test_batching_can_be_changed_and_removed(api, receiver):
    app = api.create_app(uid="switch")["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url(), batch={"maxEvents": 2})
    assert ep["batch"] == {"maxEvents": 2, "maxWaitMs": 1000, "envelopeKey": None}, \
        "maxWaitMs defaults to 1000"
    r = api.patch(ep_path(app, ep["id"]), {"batch": {"maxEvents": 2, "maxWaitMs": 0,
                                                     "envelopeKey": "k2"}})
    assert r.status_code == 200, r.text
    assert r.json()["batch"] == {"maxEvents": 2, "maxWaitMs": 0, "envelopeKey": "k2"}
    api.send(app, et, {"n": 1})
    [first] = receiver.wait_for(1, timeout=5)
    assert envelope(first, "k2") == [{"n": 1}]

    r = api.patch(ep_path(app, ep["id"]), {"description": "other field"})
    assert r.json()["batch"]["envelopeKey"] == "k2", "PATCH without batch keeps it"
    r = api.patch(ep_path(app, ep["id"]), {"batch": None})
    assert r.status_code == 200 and r.json()["batch"] is None, r.text
    msg = api.send(app, et, {"n": 2})
    reqs = receiver.wait_for(2, timeout=5)
    assert reqs[1].body == b'{"n": 2}', "without batching the payload goes alone, as sent"
    assert reqs[1].headers["webhook-id"] == msg["id"]


def test_batch_settings_survive_a_restart(hookd_factory, receiver):
    srv = hookd_factory()
    api = srv.api()
    app = api.create_app(uid="kept")["id"]
    ep = api.create_endpoint(app, receiver.url(),
                             batch={"maxEvents": 7, "maxWaitMs": 250, "envelopeKey": "env"})
    srv.stop()
    again = hookd_factory(data_dir=srv.data_dir, token=srv.token).api()
    r = again.get(ep_path(app, ep["id"]))
    assert r.status_code == 200 and r.json()["batch"] == {
        "maxEvents": 7, "maxWaitMs": 250, "envelopeKey": "env"}, r.text


def test_endpoint_test_sends_a_batch_of_one(api, receiver):
    app = api.create_app(uid="tested")["id"]
    ep = api.create_endpoint(app, receiver.url(), batch={"maxEvents": 10})
    r = api.post(ep_path(app, ep["id"], "/test"), {"payload": {"hello": "batch"}})
    assert r.status_code == 200 and r.json()["statusCode"] == 200, r.text
    [req] = receiver.wait_for(1, timeout=5)
    assert envelope(req, "tested") == [{"hello": "batch"}]


def test_invalid_batch_settings_are_refused(api, receiver):
    app = api.create_app()["id"]
    base = f"/api/v1/app/{app}/endpoint"
    ep = api.create_endpoint(app, receiver.url(), batch={"maxEvents": 3})
    cases = [
        ("x", "batch"),
        ([5], "batch"),
        ({}, "batch.maxEvents"),
        ({"maxEvents": 0}, "batch.maxEvents"),
        ({"maxEvents": 1001}, "batch.maxEvents"),
        ({"maxEvents": "5"}, "batch.maxEvents"),
        ({"maxEvents": 2.5}, "batch.maxEvents"),
        ({"maxEvents": 5, "maxWaitMs": -1}, "batch.maxWaitMs"),
        ({"maxEvents": 5, "maxWaitMs": 300_001}, "batch.maxWaitMs"),
        ({"maxEvents": 5, "envelopeKey": ""}, "batch.envelopeKey"),
        ({"maxEvents": 5, "envelopeKey": 7}, "batch.envelopeKey"),
        ({"maxEvents": 5, "envelopeKey": "k" * 257}, "batch.envelopeKey"),
        ({"maxEvents": 5, "size": 9}, "batch.size"),
    ]
    for bad, named in cases:
        for r in (api.post(base, {"url": receiver.url(), "batch": bad}),
                  api.patch(ep_path(app, ep["id"]), {"batch": bad})):
            assert r.status_code == 422, f"batch={bad!r}: {r.status_code} {r.text}"
            assert named in r.json()["detail"], f"batch={bad!r}: detail {r.json()} lacks {named}"
    assert api.get(ep_path(app, ep["id"])).json()["batch"]["maxEvents"] == 3, "nothing changed"
    assert len(api.list_all(base)) == 1, "no refused endpoint was created"


def test_unbatched_endpoints_of_the_same_app_are_unaffected(api, make_receiver):
    batched, plain = make_receiver(), make_receiver()
    app = api.create_app(uid="mixed")["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, batched.url(), batch={"maxEvents": 3, "maxWaitMs": 3000})
    api.create_endpoint(app, plain.url())
    tag = secrets.token_hex(3)
    msgs = send_many(api, app, et, 3, tag)
    plain_reqs = plain.wait_for(3, timeout=10)
    assert sorted(q.headers["webhook-id"] for q in plain_reqs) == sorted(m["id"] for m in msgs)
    [req] = batched.wait_for(1, timeout=10)
    assert [e["i"] for e in envelope(req, "mixed")] == [0, 1, 2]


def test_a_manual_resend_to_a_batching_endpoint_is_an_envelope(api, receiver):
    app = api.create_app(uid="again")["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url(), batch={"maxEvents": 5, "maxWaitMs": 0})
    secret = api.endpoint_secret(app, ep["id"])
    msg = api.send(app, et, {"resend": 1})
    receiver.wait_for(1, timeout=5)
    r = api.post(f"/api/v1/app/{app}/msg/{msg['id']}/endpoint/{ep['id']}/resend")
    assert r.status_code == 202, r.text
    first, again = receiver.wait_for(2, timeout=5)[:2]
    assert envelope(again, "again") == [{"resend": 1}]
    assert again.headers["webhook-id"] == first.headers["webhook-id"], \
        "the same message alone makes the same batch id"
    assert verify_signature(secret, again.headers, again.body)
    atts = api.wait_attempts(app, msg["id"], 2)
    assert sorted(a["triggerType"] for a in atts) == [0, 1], atts


def test_an_exhausted_batch_counts_each_message_for_auto_disable(api, make_receiver):
    # docs/endpoint-options.md: failure handling counts messages, so one exhausted batch of five
    # events is five exhausted deliveries in a row (the default disable_after_exhausted).
    receiver = make_receiver(500)
    app = api.create_app(uid="five")["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url(), batch={"maxEvents": 5, "maxWaitMs": 3000})
    send_many(api, app, et, 5, "five")
    wait_until(lambda: api.get(ep_path(app, ep["id"])).json()["disabled"], 15,
               what="the endpoint to be disabled after its batch was exhausted")
    got = api.get(ep_path(app, ep["id"])).json()
    assert got["disabledReason"] == "exhausted", got
    assert receiver.count() == 4, f"four tries of one request each, got {receiver.count()}"
