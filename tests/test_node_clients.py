"""Real Node clients against hookd: the npm `svix` SDK and the npm `standardwebhooks` verifier."""

from __future__ import annotations

import json
import subprocess

from hookd_support import node_verify, verify_signature


def _run_sdk(node_dir, server_url, token, endpoint_url):
    res = subprocess.run(["node", str(node_dir / "svix_sdk.mjs"), server_url, token, endpoint_url],
                         capture_output=True, text=True, timeout=60, cwd=node_dir)
    assert res.returncode == 0, f"svix_sdk.mjs failed ({res.returncode}):\n{res.stdout}\n{res.stderr}"
    return json.loads(res.stdout)


def test_svix_sdk_round_trip(hookd, api, receiver, node_dir, tmp_path):
    out = _run_sdk(node_dir, hookd.base_url, hookd.token, receiver.url("/sdk"))

    app, ep, msg = out["app"], out["endpoint"], out["message"]
    assert app["id"].startswith("app_") and app["name"] == "SDK app"
    assert app["createdAt"] is not None, "the SDK could not parse createdAt"
    assert out["appByUid"]["id"] == app["id"]
    assert out["appGetOrCreate"]["id"] == app["id"]
    assert out["eventType"]["name"].startswith("sdk.event.")
    assert ep["id"].startswith("ep_") and ep["url"] == receiver.url("/sdk")
    assert ep["eventTypes"] == [out["eventType"]["name"]]
    assert [e["id"] for e in out["endpoints"]["data"]] == [ep["id"]]
    assert out["secret"]["key"].startswith("whsec_")
    assert msg["id"].startswith("msg_") and msg["eventId"].startswith("sdk-evt-")
    # The SDK sends with_content=false unless told otherwise: the payload comes back as {}
    assert msg["payload"] == {}, msg
    assert msg["timestamp"] is not None, "the SDK could not parse the message timestamp"
    assert out["messageGet"]["id"] == msg["id"]
    assert out["messageGet"]["payload"] == {"hello": "from svix sdk", "n": 42}
    assert out["messageGetLean"] == {**out["messageGet"], "payload": {}}
    assert [(m["id"], m["payload"]) for m in out["messagesLean"]["data"]] == [(msg["id"], {})]

    # listByMsg came back with a successful attempt for this message and endpoint
    atts = out["attempts"]["data"]
    ok = [a for a in atts if a["status"] == 0]
    assert ok, atts
    a = ok[0]
    assert a["msgId"] == msg["id"] and a["endpointId"] == ep["id"]
    assert a["responseStatusCode"] == 200 and a["id"].startswith("atmpt_")
    assert a["triggerType"] == 0 and a["timestamp"] is not None
    assert "done" in out["attempts"]
    assert any(x["id"] == a["id"] for x in out["attemptsByEndpoint"]["data"])

    # the receiver really got the SDK's message, signed with the endpoint's secret
    got = receiver.by_webhook_id(msg["id"])
    assert len(got) == 1, f"{len(got)} deliveries of the SDK message"
    q = got[0]
    assert q.path == "/sdk"
    assert json.loads(q.body) == {"hello": "from svix sdk", "n": 42}
    assert verify_signature(out["secret"]["key"], q.headers, q.body)
    res = node_verify(out["secret"]["key"], q.headers, q.body, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr

    # and hookd's own API agrees with what the SDK saw
    assert api.get(f"/api/v1/app/{app['id']}/msg/{msg['id']}").json()["eventId"] == msg["eventId"]


def test_standardwebhooks_verifies_a_delivery(api, receiver, node_dir, tmp_path):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())
    secret = api.endpoint_secret(app, ep["id"])
    raw_payload = b'{"order":  {"id": "o_1", "total": 12.50},"items":[1, 2 ,3]}'
    r = api.send_raw(app, b'{"eventType":"%s","payload":%s}' % (et.encode(), raw_payload))
    assert r.status_code == 202, r.text
    [q] = receiver.wait_for(1)
    assert q.body == raw_payload
    res = node_verify(secret, q.headers, q.body, tmp_path)
    assert res.returncode == 0, f"standardwebhooks rejected hookd's signature: {res.stderr}"
    assert json.loads(res.stdout)["payload"] == json.loads(raw_payload)
