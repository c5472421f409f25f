"""Svix routes: health/ping, the refusal of an application's throttleRate, application tokens
on the Svix routes, and the same routes driven by the npm `svix` SDK
(tests/node/svix_resources.mjs).

Every test runs the real hookd binary against real HTTP receivers on loopback.
"""

from __future__ import annotations

import json
import subprocess

import requests

from hookd_support import TIMESTAMP_RE, Reply, assert_error, verify_signature
from svix_route_support import (ZERO, SUCCESS, app_token, ep_msg_ids, get_attempt, get_msg, stats,
                                wait_status)


# ---- 5. GET /api/v1/health/ping --------------------------------------------------------------


def test_health_ping_needs_no_token(hookd, api):
    url = hookd.base_url + "/api/v1/health/ping"
    r = requests.get(url, timeout=5)
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.text)
    r = requests.get(url, headers={"Authorization": "Bearer not-a-token"}, timeout=5)
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.text)
    r = requests.get(url, headers={"Authorization": f"Bearer {hookd.token}"}, timeout=5)
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.text)
    r = requests.head(url, timeout=5)
    assert r.status_code == 204, r.status_code


# ---- 6. an application's throttleRate / rateLimit ------------------------------------------


def test_application_throttle_rate_is_refused(api):
    for field_name in ("throttleRate", "rateLimit"):
        assert_error(api.post("/api/v1/app", {"name": "throttled", field_name: 10}),
                     422, "validation", field_name)
        assert_error(api.post("/api/v1/app", {"name": "throttled", field_name: 0}),
                     422, "validation", field_name)
    assert api.list_all("/api/v1/app") == [], "a refused POST made an application"

    made = api.create_app("nulls", throttleRate=None, rateLimit=None)
    assert made["throttleRate"] is None, made
    app = made["id"]
    for field_name in ("throttleRate", "rateLimit"):
        assert_error(api.put(f"/api/v1/app/{app}", {"name": "renamed", field_name: 5}),
                     422, "validation", field_name)
        assert_error(api.patch(f"/api/v1/app/{app}", {"name": "renamed", field_name: 5}),
                     422, "validation", field_name)
    shown = api.get(f"/api/v1/app/{app}").json()
    assert (shown["name"], shown["throttleRate"]) == ("nulls", None), shown

    r = api.put(f"/api/v1/app/{app}", {"name": "put", "throttleRate": None})
    assert r.status_code == 200 and r.json()["name"] == "put", r.text
    r = api.patch(f"/api/v1/app/{app}", {"name": "patched", "rateLimit": None})
    assert r.status_code == 200 and r.json()["name"] == "patched", r.text
    assert [a["id"] for a in api.list_all("/api/v1/app")] == [app]


def test_application_throttle_rate_is_refused_with_get_if_exists(api):
    """POST /api/v1/app?get_if_exists=true is still POST /api/v1/app: a non-null throttleRate is
    422, whether the uid names a new application or an existing one."""
    assert_error(api.post("/api/v1/app?get_if_exists=true",
                          {"name": "new", "uid": "gie-new", "throttleRate": 5}),
                 422, "validation", "throttleRate")
    assert api.get("/api/v1/app/gie-new").status_code == 404
    existing = api.create_app("existing", uid="gie-old")
    for field_name in ("throttleRate", "rateLimit"):
        assert_error(api.post("/api/v1/app?get_if_exists=true",
                              {"name": "existing", "uid": "gie-old", field_name: 5}),
                     422, "validation", field_name)
    r = api.post("/api/v1/app?get_if_exists=true",
                 {"name": "existing", "uid": "gie-old", "throttleRate": None})
    assert r.status_code == 200 and r.json()["id"] == existing["id"], r.text


# ---- 7. application tokens ---------------------------------------------------------------


def test_application_token_is_refused_on_another_applications_routes(hookd, api, make_receiver):
    rcv_a, rcv_b = make_receiver(Reply(200, body=b"from a")), make_receiver(Reply(200, body=b"from b"))
    et = api.create_event_type(example={"ex": 1})["name"]
    a, b = api.create_app()["id"], api.create_app()["id"]
    ep_a = api.create_endpoint(a, rcv_a.url())["id"]
    ep_b = api.create_endpoint(b, rcv_b.url())["id"]
    msg_a = api.send(a, et, {"a": 1})["id"]
    msg_b = api.send(b, et, {"b": 1})["id"]
    wait_status(api, a, msg_a, ep_a, SUCCESS)
    wait_status(api, b, msg_b, ep_b, SUCCESS)
    [att_a] = api.attempts_by_msg(a, msg_a)
    [att_b] = api.attempts_by_msg(b, msg_b)
    t = hookd.api(app_token(api, a))

    def calls(app, ep, msg, att):
        return [("GET", f"/api/v1/app/{app}/endpoint/{ep}/stats", None),
                ("GET", f"/api/v1/app/{app}/endpoint/{ep}/msg", None),
                ("POST", f"/api/v1/app/{app}/endpoint/{ep}/send-example", {"eventType": et}),
                ("DELETE", f"/api/v1/app/{app}/msg/{msg}/attempt/{att}/content", None),
                ("DELETE", f"/api/v1/app/{app}/msg/{msg}/content", None)]

    for method, path, body in calls(b, ep_b, msg_b, att_b["id"]):
        kw = {"json_body": body} if body is not None else {}
        assert_error(t.request(method, path, **kw), 403, "forbidden")
    # an application that does not exist is answered the same
    for method, path, body in calls("app_nope", "ep_nope", "msg_nope", "atmpt_nope"):
        kw = {"json_body": body} if body is not None else {}
        assert_error(t.request(method, path, **kw), 403, "forbidden")
    # nothing happened to B
    assert get_msg(api, b, msg_b)["payload"] == {"b": 1}
    assert get_attempt(api, b, msg_b, att_b["id"])["response"] == "from b"
    assert [m["id"] for m in api.list_all(f"/api/v1/app/{b}/msg")] == [msg_b]
    assert rcv_b.count() == 1

    # the same token may use them on A
    assert stats(t, a, ep_a) == {**ZERO, "success": 1}
    assert ep_msg_ids(t, a, ep_a) == [msg_a]
    r = t.post(f"/api/v1/app/{a}/endpoint/{ep_a}/send-example", {"eventType": et})
    assert r.status_code == 200 and r.json()["payload"] == {"ex": 1}, r.text
    rcv_a.wait_for(2)
    r = t.delete(f"/api/v1/app/{a}/msg/{msg_a}/attempt/{att_a['id']}/content")
    assert r.status_code == 204, r.text
    r = t.delete(f"/api/v1/app/{a}/msg/{msg_a}/content")
    assert r.status_code == 204, r.text
    assert get_msg(api, a, msg_a)["payload"] == {}
    assert get_attempt(api, a, msg_a, att_a["id"])["response"] == ""
    r = requests.get(hookd.base_url + "/api/v1/health/ping",
                     headers={"Authorization": f"Bearer {t.token}"}, timeout=5)
    assert r.status_code == 204


# ---- the npm svix SDK ----------------------------------------------------------------------


def test_svix_sdk_resources(hookd, api, receiver, node_dir, tmp_path):
    example = {"sdk": "example", "n": 5}
    et = api.create_event_type(example=example)["name"]
    app = api.create_app()["id"]
    other_app = api.create_app()["id"]
    ep = api.create_endpoint(app, receiver.url("/sdk"))["id"]
    cfg = tmp_path / "sdk.json"
    cfg.write_text(json.dumps({"serverUrl": hookd.base_url, "token": hookd.token, "appId": app,
                               "endpointId": ep, "eventType": et, "otherAppId": other_app}))
    res = subprocess.run(["node", str(node_dir / "svix_resources.mjs"), str(cfg)],
                         capture_output=True, text=True, timeout=60, cwd=node_dir)
    assert res.returncode == 0, f"svix_resources.mjs failed ({res.returncode}):\n{res.stdout}\n" \
                                f"{res.stderr}"
    out = json.loads(res.stdout)

    def ok(name):
        step = out[name]
        assert step["ok"], f"SDK call {name} was refused: {step}"
        return step["value"]

    def refused(name, status):
        step = out[name]
        assert not step["ok"], f"SDK call {name} should have been refused: {step}"
        assert step["error"]["code"] == status, f"SDK call {name}: {step}"
        return step["error"]["body"]

    assert ok("health") is None

    msg = ok("sendExample")
    assert msg["id"].startswith("msg_") and msg["eventType"] == et and msg["payload"] == example
    assert TIMESTAMP_RE.match(msg["timestamp"]), msg
    got = receiver.by_webhook_id(msg["id"])
    assert len(got) == 1 and json.loads(got[0].body) == example
    assert verify_signature(api.endpoint_secret(app, ep), got[0].headers, got[0].body)
    [att] = [a for a in ok("attempts")["data"] if a["status"] == SUCCESS]
    assert att["msgId"] == msg["id"] and att["endpointId"] == ep

    assert ok("stats") == {**ZERO, "success": 1}
    assert ok("statsWindow") == {**ZERO, "success": 1}
    assert ok("statsBefore") == ZERO
    assert ok("statsFuture") == ZERO
    assert refused("statsBackwards", 422)["code"] == "validation"

    lean = ok("attempted")
    assert lean["done"] is True and len(lean["data"]) == 1, lean
    row = lean["data"][0]
    assert (row["id"], row["eventType"], row["status"], row["statusText"]) == \
        (msg["id"], et, SUCCESS, "success"), row
    assert row["payload"] == {}, "the SDK asks with_content=false by default"
    assert row["nextAttempt"] is None and row["timestamp"] == msg["timestamp"], row
    assert ok("attemptedWithContent")["data"] == [{**row, "payload": example}]
    assert [m["id"] for m in ok("attemptedSuccess")["data"]] == [msg["id"]]
    assert ok("attemptedFail")["data"] == []

    before = ok("attemptBefore")
    assert before["id"] == att["id"] and before["response"] == "ok", before
    assert ok("expungeAttempt") is None
    assert ok("attemptAfter") == {**before, "response": ""}
    assert ok("expungeMessage") is None
    after = ok("messageAfter")
    assert after == {**msg, "payload": {}}, after
    assert get_msg(api, app, msg["id"])["payload"] == {}

    # app portal access, with the application made on the way
    portal = ok("portal")
    assert portal["token"].startswith("appsk_") and "/ui/#token=" + portal["token"] in portal["url"]
    uid = out["portalUid"]
    portal_app = ok("portalAppGet")
    assert portal_app["uid"] == uid and portal_app["name"] == "SDK portal app", portal_app
    assert api.get(f"/api/v1/app/{uid}").json()["id"] == portal_app["id"]
    assert ok("portalOwnStats") == ZERO
    assert refused("portalOtherApp", 403)["code"] == "forbidden"

    portal2 = ok("portal2")
    assert portal2["token"].startswith("appsk_") and portal2["token"] != portal["token"]
    assert ok("logout") is None
    assert refused("afterLogout", 401)["code"] == "authentication_failed"
    assert ok("beforeExpireAll")["id"] == portal_app["id"]
    assert ok("expireAll") is None
    assert refused("afterExpireAll", 401)["code"] == "authentication_failed"

    listed = [t for t in api.list_all("/api/v1/auth/token") if t["appId"] == portal_app["id"]]
    assert sorted((t["sessionId"], t["status"]) for t in listed) == \
        [("sdk-s1", "expired"), ("sdk-s2", "revoked")], listed
