"""Activities from the flows hookd already has (docs/journeys.md, "Activities from messages and
inbound events"): an outbound message that names a `contact` counts as an activity of that
contact named after its event type, and a Skalin source with `activities: true` feeds each event
in as an activity of `customerId` named `event.name`. Both are opt-in, de-duplicated like the
messages and events they come from, and move journeys like any activity. Runs on SQLite, and on
PostgreSQL when HOOKD_TEST_POSTGRES is set."""

from __future__ import annotations

import json

import requests

from hookd_support import assert_error, wait_until


def journey_on(api, app: str, activity: str, endpoint: str) -> dict:
    """A journey that sends one webhook when `activity` happens."""
    r = api.post(f"/api/v1/app/{app}/journey", {"definition": {
        "name": f"on {activity}", "reentry": "afterExit", "nodes": [
            {"id": "start", "type": "trigger", "activity": activity, "next": "hook"},
            {"id": "hook", "type": "webhook", "endpointId": endpoint,
             "params": ["cartId", "score"]}]}})
    assert r.status_code == 201, r.text
    return r.json()


def activities_of(api, app: str, contact: str) -> list[dict]:
    r = api.get(f"/api/v1/app/{app}/contact/{contact}/activity")
    return r.json()["data"] if r.status_code == 200 else []


def item(request) -> dict:
    [(_, items)] = json.loads(request.body).items()
    return items[0]


def test_a_message_naming_a_contact_is_an_activity_that_moves_journeys(api, make_receiver):
    app = api.create_app("shop", uid="shop")["id"]
    api.post("/api/v1/event-type", {"name": "cart.abandoned", "description": "cart left"})
    journey_rx = make_receiver()
    ep = api.create_endpoint(app, journey_rx.url())["id"]
    journey_on(api, app, "cart.abandoned", ep)
    body = {"eventType": "cart.abandoned", "eventId": "cart-7", "contact": "ana@example.com",
            "payload": {"cartId": "c7", "total": 12}}
    r = api.post(f"/api/v1/app/{app}/msg", body)
    assert r.status_code == 202, r.text
    acts = wait_until(lambda: activities_of(api, app, "ana%40example.com"), 10, 0.05,
                      "the message's activity")
    assert [(a["id"], a["name"], a["params"]) for a in acts] == \
        [("msg:cart-7", "cart.abandoned", {"cartId": "c7", "total": 12})], acts
    # The journey's webhook, besides the message's own delivery to the same endpoint.
    hooks = wait_until(lambda: [q for q in journey_rx.snapshot() if b"journey_name" in q.body],
                       10, 0.05, "the journey's webhook")
    assert item(hooks[0])["custom_params"] == {"cartId": "c7"}, hooks[0].body
    assert item(hooks[0])["event_params"]["foreignkey"] == "ana@example.com"
    # The same eventId again: 409 for the message, and no second activity.
    assert api.post(f"/api/v1/app/{app}/msg", body).status_code == 409
    plain = {"eventType": "cart.abandoned", "payload": {"cartId": "c8"}}
    assert api.post(f"/api/v1/app/{app}/msg", plain).status_code == 202  # no contact: none
    api.post(f"/api/v1/app/{app}/activity", {"name": "barrier", "contact": "ana@example.com"})
    wait_until(lambda: len(activities_of(api, app, "ana%40example.com")) == 2, 10, 0.05,
               "the barrier activity")
    assert [a["id"] for a in activities_of(api, app, "ana%40example.com")][1] == "msg:cart-7"
    assert len([q for q in journey_rx.snapshot() if b"journey_name" in q.body]) == 1


def test_a_message_contact_must_be_a_key(api):
    app = api.create_app("shop")["id"]
    api.post("/api/v1/event-type", {"name": "cart.abandoned", "description": "cart left"})
    for bad in ("", 7, "x" * 257):
        r = api.post(f"/api/v1/app/{app}/msg",
                      {"eventType": "cart.abandoned", "contact": bad, "payload": {}})
        assert_error(r, 422, field_name="contact")


def test_a_skalin_source_can_feed_its_events_in_as_activities(hookd, api, make_receiver):
    app = api.create_app("crm")["id"]
    rx = make_receiver()
    ep = api.create_endpoint(app, rx.url())["id"]
    journey_on(api, app, "ActivationService", ep)
    src = api.post(f"/api/v1/app/{app}/source", {"name": "skalin", "activities": True}).json()
    assert src["activities"] is True, src
    quiet = api.post(f"/api/v1/app/{app}/source", {"name": "quiet"}).json()
    assert quiet["activities"] is False, quiet

    def send(source, event_id, customer):
        body = {"eventId": event_id, "customerId": customer,
                "event": {"name": "ActivationService", "score": 5}}
        return requests.post(f"{hookd.base_url}/webhook/{source['webhookId']}", json=body,
                             params={"client_id": source["clientId"]} if source.get("clientId")
                             else {}, timeout=10)

    assert send(src, "e07595f29f1928y5", "customer1234").status_code == 201
    assert send(src, "e07595f29f1928y5", "customer1234").status_code == 200  # a correction
    assert send(quiet, "e07595f29f1928y6", "customer5678").status_code == 201
    acts = wait_until(lambda: activities_of(api, app, "customer1234"), 10, 0.05,
                      "the event's activity")
    assert [(a["id"], a["name"]) for a in acts] == \
        [(f"inbound:{src['id']}:e07595f29f1928y5", "ActivationService")], acts
    hooks = wait_until(lambda: rx.snapshot(), 10, 0.05, "the journey's webhook")
    assert item(hooks[0])["event_params"]["foreignkey"] == "customer1234"
    assert item(hooks[0])["custom_params"] == {}, hooks[0].body
    assert activities_of(api, app, "customer5678") == []  # that source does not feed activities


def test_only_skalin_sources_feed_activities(api):
    app = api.create_app("crm")["id"]
    r = api.post(f"/api/v1/app/{app}/source",
                 {"name": "generic", "kind": "generic", "activities": True})
    assert_error(r, 422, field_name="activities")
    r = api.post(f"/api/v1/app/{app}/source", {"name": "skalin", "activities": "yes"})
    assert_error(r, 422, field_name="activities")
