"""Ready event catalogues (docs/api.md, Event types): list them, load one in a call, send its
examples."""

from __future__ import annotations

import json
import secrets

from hookd_support import assert_error

NETCORE = ["email.delivered", "email.opened", "email.clicked", "email.bounced",
           "sms.delivered", "sms.clicked", "apn.delivered", "apn.clicked", "bpn.delivered",
           "bpn.clicked", "whatsapp.delivered", "whatsapp.opened", "whatsapp.clicked",
           "whatsapp.failed", "rcs.delivered", "rcs.opened", "rcs.clicked", "rcs.failed",
           "custom.activity"]
CHATBOT = ["chatbot.response", "chatbot.option_chosen"]


def _load(api, name: str) -> dict:
    r = api.post(f"/api/v1/event-type/catalogue/{name}")
    assert r.status_code == 200, f"load {name}: {r.status_code} {r.text}"
    body = r.json()
    assert body["catalogue"] == name, body
    return body


def test_list_catalogues(api):
    r = api.get("/api/v1/event-type/catalogue")
    assert r.status_code == 200, r.text
    got = {c["name"]: c["eventTypes"] for c in r.json()["data"]}
    assert set(got) == {"netcore-channels", "chatbot"}, got
    assert sorted(got["netcore-channels"]) == sorted(NETCORE)
    assert got["chatbot"] == CHATBOT
    # listing loads nothing
    assert api.list_all("/api/v1/event-type") == []


def test_load_netcore_in_one_call_and_read_the_examples(api):
    body = _load(api, "netcore-channels")
    assert sorted(body["created"]) == sorted(NETCORE), body
    assert body["existing"] == [], body

    listed = {et["name"] for et in api.list_all("/api/v1/event-type")}
    assert listed == set(NETCORE)
    for name in NETCORE:
        r = api.get(f"/api/v1/event-type/{name}")
        assert r.status_code == 200, f"{name}: {r.status_code} {r.text}"
        et = r.json()
        assert et["description"], et
        assert isinstance(et["example"], dict) and et["example"], et
        assert et["archived"] is False and et["deprecated"] is False, et

    opened = api.get("/api/v1/event-type/email.opened").json()
    [activity] = opened["example"]["pod2_email_rashmi"]
    assert activity["webhook_name"] == "Email Open Webhook"
    assert (activity["channel"], activity["event"]) == ("email", "open")
    bounced = api.get("/api/v1/event-type/email.bounced").json()
    assert bounced["description"] == "Netcore email: the email bounced.", bounced
    assert bounced["example"]["pod2_email_rashmi"][0]["event"] == "bounce"


def test_loading_again_reports_existing_and_changes_nothing(api):
    # one of the catalogue's types exists beforehand, with the user's own description
    api.create_event_type("chatbot.response", description="ours")
    body = _load(api, "chatbot")
    assert body["created"] == ["chatbot.option_chosen"], body
    assert body["existing"] == ["chatbot.response"], body
    mine = api.get("/api/v1/event-type/chatbot.response").json()
    assert mine["description"] == "ours" and mine["example"] is None, mine

    again = _load(api, "chatbot")
    assert again["created"] == [] and again["existing"] == CHATBOT, again

    _load(api, "netcore-channels")
    again = _load(api, "netcore-channels")
    assert again["created"] == [], again
    assert sorted(again["existing"]) == sorted(NETCORE), again


def test_archived_type_stays_archived(api):
    _load(api, "chatbot")
    assert api.delete("/api/v1/event-type/chatbot.response").status_code == 204
    body = _load(api, "chatbot")
    assert body["existing"] == CHATBOT, body
    r = api.get("/api/v1/event-type/chatbot.response")
    assert r.json()["archived"] is True, r.text


def test_unknown_catalogue(api):
    body = assert_error(api.post("/api/v1/event-type/catalogue/no-such"), 404, "not_found")
    assert "no-such" in body["detail"], body
    assert api.list_all("/api/v1/event-type") == []
    assert_error(api.post("/api/v1/event-type/catalogue"), 405, "method_not_allowed")
    assert_error(api.get("/api/v1/event-type/catalogue", auth=False), 401,
                 "authentication_failed")


def test_example_payload_is_delivered(api, receiver):
    _load(api, "netcore-channels")
    _load(api, "chatbot")
    app = api.create_app()["id"]
    api.create_endpoint(app, receiver.url())
    for name in ("email.opened", "chatbot.option_chosen"):
        example = api.get(f"/api/v1/event-type/{name}").json()["example"]
        raw = json.dumps(example).encode()
        r = api.send_raw(app, b'{"eventType":"%s","payload":%s}' % (name.encode(), raw))
        assert r.status_code == 202, r.text
        msg = r.json()
        [got] = receiver.wait_for(1, where=lambda q, m=msg: q.headers.get("webhook-id") == m["id"])
        assert got.body == raw, (got.body, raw)
        assert json.loads(got.body) == example


def test_loaded_types_survive_a_restart(hookd_factory, tmp_path):
    data_dir = tmp_path / "catalogue-data"
    token = "cat-" + secrets.token_hex(8)
    srv = hookd_factory(data_dir=data_dir, token=token)
    _load(srv.api(), "chatbot")
    example = srv.api().get("/api/v1/event-type/chatbot.response").json()["example"]
    srv.stop()
    srv2 = hookd_factory(data_dir=data_dir, token=token)
    r = srv2.api().get("/api/v1/event-type/chatbot.response")
    assert r.status_code == 200, r.text
    assert r.json()["example"] == example
    assert r.json()["example"]["response"] == "John Doe"
