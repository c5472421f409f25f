"""Journeys through the API (docs/journeys.md): definitions validated as a whole before anything
is stored (a 422 names the node and the field), versions kept when a definition changes, pause
and resume, uids, application scope, and journeys kept across a restart and removed with their
application. Runs on SQLite, and on PostgreSQL when HOOKD_TEST_POSTGRES is set."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from hookd_support import assert_error


def cart_journey(endpoint_id: str) -> dict:
    """Netcore's third case: added to cart, did not buy within 30 minutes."""
    return {"name": "abandoned cart", "reentry": "perKey", "correlationKey": "cartId", "nodes": [
        {"id": "start", "type": "trigger", "activity": "added_to_cart", "next": "wait"},
        {"id": "wait", "type": "waitFor", "activity": "purchase", "within": "30m",
         "correlate": True, "matched": "done", "timedOut": "remind"},
        {"id": "remind", "type": "webhook", "endpointId": endpoint_id,
         "params": ["cartId"], "attributes": ["EMAIL"], "next": "done"},
        {"id": "done", "type": "exit"}]}


@pytest.fixture
def world(api, make_receiver):
    app = api.create_app("shop")["id"]
    ep = api.create_endpoint(app, make_receiver().url())["id"]
    return app, ep


def create(api, app: str, definition: dict, **fields):
    return api.post(f"/api/v1/app/{app}/journey", {"definition": definition, **fields})


def test_a_journey_is_created_read_and_listed(api, world):
    app, ep = world
    r = create(api, app, cart_journey(ep), uid="cart")
    assert r.status_code == 201, r.text
    j = r.json()
    assert j["id"].startswith("jrn_") and j["uid"] == "cart"
    assert (j["name"], j["status"], j["version"]) == ("abandoned cart", "active", 1)
    # Stored as rendered: durations in their largest whole unit, defaults written out.
    wait = j["definition"]["nodes"][1]
    assert wait["within"] == "30m" and wait["matched"] == "done", wait
    assert j["definition"]["nodes"][2]["endpointId"] == ep
    assert api.get(f"/api/v1/app/{app}/journey/cart").json() == j
    listed = api.get(f"/api/v1/app/{app}/journey").json()
    assert [x["id"] for x in listed["data"]] == [j["id"]] and listed["done"] is True


@pytest.mark.parametrize("change, field, words", [
    (lambda d: d["nodes"][1].update(within="0s"), "definition.nodes[1].within",
     'node "wait"'),
    (lambda d: d["nodes"][2].update(endpointId="ep_nope"), "definition.nodes[2].endpointId",
     'node "remind"'),
    (lambda d: d["nodes"][0].update(nxet="wait"), "definition.nodes[0].nxet", 'node "start"'),
    (lambda d: d["nodes"][1].update(timedOut="nowhere"), "definition.nodes[1].timedOut",
     "nowhere"),
    (lambda d: d["nodes"].append({"id": "lost", "type": "exit"}), "definition.nodes[4]",
     'node "lost"'),
])
def test_a_bad_definition_is_refused_naming_the_node_and_field(api, world, change, field, words):
    app, ep = world
    definition = cart_journey(ep)
    change(definition)
    body = assert_error(create(api, app, definition), 422)
    assert body["detail"].startswith(field + ":"), body
    assert words in body["detail"], body
    assert api.get(f"/api/v1/app/{app}/journey").json()["data"] == []  # nothing stored


def test_a_loop_that_never_waits_is_refused(api, world):
    app, ep = world
    definition = {"name": "spin", "nodes": [
        {"id": "start", "type": "trigger", "activity": "a", "next": "c"},
        {"id": "c", "type": "condition", "on": "contact", "filter": {"CITY": "Toronto"},
         "then": "hook", "else": "end"},
        {"id": "hook", "type": "webhook", "endpointId": ep, "next": "c"},
        {"id": "end", "type": "exit"}]}
    body = assert_error(create(api, app, definition), 422)
    assert "loop" in body["detail"] and "passes no waitFor" in body["detail"], body


def test_an_unknown_event_type_and_an_unknown_field_are_refused(api, world):
    app, ep = world
    definition = cart_journey(ep)
    definition["nodes"][2] = {"id": "remind", "type": "webhook", "eventType": "cart.left",
                              "next": "done"}
    body = assert_error(create(api, app, definition), 422)
    assert body["detail"].startswith("definition.nodes[2].eventType:"), body
    assert_error(api.post(f"/api/v1/app/{app}/journey",
                          {"definition": cart_journey(ep), "colour": "red"}), 422)
    assert_error(api.post(f"/api/v1/app/{app}/journey", {}), 422)


def test_a_changed_definition_is_a_new_version_and_the_old_one_is_kept(api, world):
    app, ep = world
    j = create(api, app, cart_journey(ep)).json()
    url = f"/api/v1/app/{app}/journey/{j['id']}"
    # The same definition again is not a new version.
    same = api.put(url, {"definition": cart_journey(ep)})
    assert same.status_code == 200 and same.json()["version"] == 1, same.text
    longer = cart_journey(ep)
    longer["nodes"][1]["within"] = "2h"
    changed = api.put(url, {"definition": longer})
    assert changed.status_code == 200 and changed.json()["version"] == 2, changed.text
    versions = api.get(url + "/version").json()["data"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["definition"]["nodes"][1]["within"] == "30m"
    assert versions[1]["definition"]["nodes"][1]["within"] == "2h"
    # A refused update changes nothing.
    broken = copy.deepcopy(longer)
    broken["nodes"][1]["within"] = "-5m"
    assert_error(api.put(url, {"definition": broken}), 422)
    assert api.get(url).json()["version"] == 2


def test_pause_and_resume(api, world):
    app, ep = world
    j = create(api, app, cart_journey(ep)).json()
    url = f"/api/v1/app/{app}/journey/{j['id']}"
    paused = api.post(url + "/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused", paused.text
    assert api.get(url).json()["status"] == "paused"
    assert api.post(url + "/resume").json()["status"] == "active"
    created_paused = create(api, app, cart_journey(ep), status="paused").json()
    assert created_paused["status"] == "paused"
    assert_error(create(api, app, cart_journey(ep), status="sleeping"), 422)


def test_uids_are_unique_within_the_application(api, world):
    app, ep = world
    assert create(api, app, cart_journey(ep), uid="cart").status_code == 201
    assert_error(create(api, app, cart_journey(ep), uid="cart"), 409)


def test_another_applications_token_cannot_see_the_journey(hookd, api, world):
    app, ep = world
    j = create(api, app, cart_journey(ep)).json()
    other = api.create_app("other")["id"]
    foreign = hookd.api(api.post("/api/v1/auth/token", {"appId": other}).json()["token"])
    assert foreign.get(f"/api/v1/app/{app}/journey/{j['id']}").status_code == 403
    assert foreign.get(f"/api/v1/app/{other}/journey/{j['id']}").status_code == 404


def test_journeys_survive_a_restart_and_go_with_their_application(hookd, api, world):
    app, ep = world
    j = create(api, app, cart_journey(ep), uid="cart").json()
    longer = cart_journey(ep)
    longer["nodes"][1]["within"] = "1h"
    api.put(f"/api/v1/app/{app}/journey/{j['id']}", {"uid": "cart", "definition": longer})
    hookd.stop()
    hookd.start()
    api = hookd.api()
    again = api.get(f"/api/v1/app/{app}/journey/cart").json()
    assert again["version"] == 2 and again["definition"]["nodes"][1]["within"] == "1h"
    assert len(api.get(f"/api/v1/app/{app}/journey/cart/version").json()["data"]) == 2
    assert api.delete(f"/api/v1/app/{app}").status_code == 204
    app2 = api.create_app("shop again")["id"]
    assert api.get(f"/api/v1/app/{app2}/journey").json()["data"] == []
    assert api.get(f"/api/v1/app/{app}/journey/cart").status_code == 404


def test_deleting_a_journey(api, world):
    app, ep = world
    j = create(api, app, cart_journey(ep)).json()
    url = f"/api/v1/app/{app}/journey/{j['id']}"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    assert api.get(url + "/version").status_code == 404


def test_the_four_cases_in_the_docs_are_accepted(api, world):
    """docs/journeys.md's curl examples, as the shell would send them."""
    app, ep = world
    text = (Path(__file__).resolve().parent.parent / "docs/journeys.md").read_text()
    bodies = re.findall(r"post '(.*?)'\n", text.replace("'$EP'", ep), re.S)
    assert len(bodies) == 4, bodies
    for body in bodies:
        r = api.post(f"/api/v1/app/{app}/journey", json.loads(body))
        assert r.status_code == 201, (body, r.text)
