"""Contacts and their activities through the API (docs/journeys.md): attributes merged (and
removed with null), batches of up to 1,000, activities acknowledged only once durable (also
across kill -9) and de-duplicated by id, a contact's history newest first, every bad field
named, and applications kept apart. Runs on SQLite, and on PostgreSQL when HOOKD_TEST_POSTGRES is
set."""

from __future__ import annotations

import os
import signal
import urllib.parse

import pytest

from hookd_support import assert_error


@pytest.fixture
def app(api):
    return api.create_app("shop")["id"]


def contact_url(app: str, key: str) -> str:
    return f"/api/v1/app/{app}/contact/{urllib.parse.quote(key, safe='')}"


def test_attributes_are_merged_and_null_removes_one(api, app):
    r = api.post(f"/api/v1/app/{app}/contact", {"key": "ana@example.com", "attributes": {
        "CITY": "Toronto", "COUNTRY": "Canada", "AGE": 31, "TAGS": ["vip"]}})
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["attributes"] == {"CITY": "Toronto", "COUNTRY": "Canada", "AGE": 31,
                                   "TAGS": ["vip"]}
    merged = api.post(f"/api/v1/app/{app}/contact", {"key": "ana@example.com", "attributes": {
        "CITY": "Montreal", "AGE": None, "MOBILE": "+15145550100"}}).json()
    assert merged["attributes"] == {"CITY": "Montreal", "COUNTRY": "Canada", "TAGS": ["vip"],
                                    "MOBILE": "+15145550100"}
    assert merged["createdAt"] == first["createdAt"]
    assert api.get(contact_url(app, "ana@example.com")).json() == merged
    assert api.get(contact_url(app, "nobody@example.com")).status_code == 404


def test_contacts_in_a_batch(api, app):
    contacts = [{"key": f"c{i}", "attributes": {"N": i}} for i in range(3)]
    # The same contact twice in one batch: the later value wins.
    contacts.append({"key": "c1", "attributes": {"N": 100}})
    r = api.post(f"/api/v1/app/{app}/contact/batch", {"contacts": contacts})
    assert r.status_code == 200 and r.json() == {"count": 4}, r.text
    assert [api.get(contact_url(app, f"c{i}")).json()["attributes"]["N"] for i in range(3)] == [
        0, 100, 2]
    too_many = [{"key": f"k{i}"} for i in range(1001)]
    assert_error(api.post(f"/api/v1/app/{app}/contact/batch", {"contacts": too_many}), 422)


def test_an_activity_is_stored_once_per_id_and_carries_attributes(api, app):
    body = {"id": "evt-1", "name": "added_to_cart", "contact": "bo@example.com",
            "params": {"cartId": "c-9", "total": 42.5}, "attributes": {"CITY": "Paris"},
            "timestamp": "2026-12-01T10:00:00Z"}
    r = api.post(f"/api/v1/app/{app}/activity", body)
    assert r.status_code == 202 and r.json() == {"id": "evt-1", "duplicate": False}, r.text
    again = api.post(f"/api/v1/app/{app}/activity", body)
    assert again.status_code == 202 and again.json() == {"id": "evt-1", "duplicate": True}
    # Its attributes made the contact.
    assert api.get(contact_url(app, "bo@example.com")).json()["attributes"] == {"CITY": "Paris"}
    history = api.get(contact_url(app, "bo@example.com") + "/activity").json()
    assert len(history["data"]) == 1, history
    stored = history["data"][0]
    assert stored["params"] == {"cartId": "c-9", "total": 42.5}
    assert stored["timestamp"].startswith("2026-12-01T10:00:00")
    anonymous = api.post(f"/api/v1/app/{app}/activity", {"name": "viewed", "contact": "bo@example.com"})
    assert anonymous.json()["id"].startswith("act_")


def test_a_batch_of_activities_and_the_history_newest_first(api, app):
    items = [{"id": f"a{i}", "name": "viewed", "contact": "cy", "params": {"i": i}}
             for i in range(5)]
    items.append({"id": "a2", "name": "viewed", "contact": "cy"})  # a repeat inside the batch
    r = api.post(f"/api/v1/app/{app}/activity/batch", {"activities": items})
    assert r.status_code == 202, r.text
    assert [x["duplicate"] for x in r.json()["data"]] == [False] * 5 + [True]
    seen, iterator = [], None
    while True:
        page = api.get(contact_url(app, "cy") + "/activity",
                       params={"limit": 2, **({"iterator": iterator} if iterator else {})}).json()
        assert "data" in page, page
        seen += [a["id"] for a in page["data"]]
        if page["done"]:
            break
        iterator = page["iterator"]
    assert seen == ["a4", "a3", "a2", "a1", "a0"]
    assert_error(api.get(contact_url(app, "cy") + "/activity", params={"iterator": "x"}), 422)


@pytest.mark.parametrize("body, field", [
    ({"activities": [{"name": "ok", "contact": "c"}, {"contact": "c"}]}, "activities[1].name"),
    ({"activities": [{"name": "ok"}]}, "activities[0].contact"),
    ({"activities": [{"name": "ok", "contact": "c", "params": [1]}]}, "activities[0].params"),
    ({"activities": [{"name": "ok", "contact": "c", "colour": 1}]}, "activities[0].colour"),
    ({"activities": [{"name": "ok", "contact": "c", "timestamp": "yesterday"}]},
     "activities[0].timestamp"),
    ({"activities": [{"name": "ok", "contact": "c", "attributes": {"bad name": 1}}]},
     "activities[0].attributes.bad name"),
    ({"activities": []}, "activities"),
])
def test_a_bad_activity_is_refused_naming_its_field_and_nothing_is_stored(api, app, body, field):
    r = assert_error(api.post(f"/api/v1/app/{app}/activity/batch", body), 422)
    assert r["detail"].startswith(field + ":"), r
    assert api.get(contact_url(app, "c")).status_code == 404


def test_acknowledged_activities_survive_kill_9(hookd, api, app):
    items = [{"id": f"k{i}", "name": "tick", "contact": "dee"} for i in range(200)]
    for start in range(0, 200, 50):
        r = api.post(f"/api/v1/app/{app}/activity/batch", {"activities": items[start:start + 50]})
        assert r.status_code == 202, r.text
    os.kill(hookd.proc.pid, signal.SIGKILL)
    hookd.proc.wait(10)
    hookd.start()
    api = hookd.api()
    ids = []
    iterator = None
    while True:
        page = api.get(contact_url(app, "dee") + "/activity",
                       params={"limit": 250, **({"iterator": iterator} if iterator else {})}).json()
        ids += [a["id"] for a in page["data"]]
        if page["done"]:
            break
        iterator = page["iterator"]
    assert sorted(ids) == sorted(f"k{i}" for i in range(200))
    # Repeats after the restart are still known.
    again = api.post(f"/api/v1/app/{app}/activity/batch", {"activities": items[:3]}).json()
    assert [x["duplicate"] for x in again["data"]] == [True] * 3


def test_applications_are_kept_apart(hookd, api, app):
    other = api.create_app("other")["id"]
    api.post(f"/api/v1/app/{app}/contact", {"key": "same", "attributes": {"A": 1}})
    api.post(f"/api/v1/app/{other}/contact", {"key": "same", "attributes": {"A": 2}})
    assert api.get(contact_url(app, "same")).json()["attributes"] == {"A": 1}
    assert api.get(contact_url(other, "same")).json()["attributes"] == {"A": 2}
    foreign = hookd.api(api.post("/api/v1/auth/token", {"appId": other}).json()["token"])
    assert foreign.get(contact_url(app, "same")).status_code == 403
    assert foreign.post(f"/api/v1/app/{app}/activity", {"name": "x", "contact": "same"}
                        ).status_code == 403
    assert api.delete(f"/api/v1/app/{other}").status_code == 204
    assert api.get(contact_url(app, "same")).status_code == 200
