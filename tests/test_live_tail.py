"""The live tail (GET /api/v1/app/{app}/attempt/live, docs/dashboard.md): every attempt a real
hookd makes for an application, or one endpoint, arrives as a Server-Sent Event while it happens,
with its outcome, the event type and the next retry; other applications' attempts never do; the
stream needs the application's token; a node that does not deliver says so.
"""

from __future__ import annotations

import queue
import time

import pytest
import requests

from hookd_support import EventStreamReader, assert_error


def follow(hookd, app_id: str, token: str | None = None, query: str = "") -> EventStreamReader:
    stream = EventStreamReader(hookd.base_url, f"/api/v1/app/{app_id}/attempt/live{query}",
                               {"Authorization": f"Bearer {token or hookd.token}"})
    assert stream.status == 200, stream.headers
    assert stream.headers["content-type"] == "text/event-stream"
    assert stream.headers["cache-control"] == "no-cache"
    assert "content-length" not in stream.headers
    return stream


def test_attempts_arrive_as_they_happen_with_their_outcome(hookd, api, make_receiver):
    ok, failing = make_receiver(), make_receiver()
    failing.script(500, 500, 500, 500)
    app = api.create_app()
    et = api.create_event_type()
    good = api.create_endpoint(app["id"], ok.url())
    bad = api.create_endpoint(app["id"], failing.url())
    stream = follow(hookd, app["id"])
    try:
        msg = api.send(app["id"], et["name"], {"cart": "c_1"})
        seen: dict[str, list[dict]] = {good["id"]: [], bad["id"]: []}
        while len(seen[good["id"]]) < 1 or len(seen[bad["id"]]) < 4:
            attempt = stream.next_attempt(timeout=10)
            assert attempt["msgId"] == msg["id"] and attempt["eventType"] == et["name"], attempt
            seen[attempt["endpointId"]].append(attempt)
        success = seen[good["id"]][0]
        assert (success["statusText"], success["responseStatusCode"]) == ("success", 200)
        assert success["nextAttempt"] is None and success["url"] == ok.url()
        failures = seen[bad["id"]]
        assert [a["responseStatusCode"] for a in failures] == [500] * 4
        # The first three failures name the retry they scheduled; the last one had none left.
        assert all(a["nextAttempt"] for a in failures[:3]) and failures[3]["nextAttempt"] is None
        assert all(a["statusText"] == "fail" for a in failures)
        # What streamed is what the attempt log holds.
        logged = api.get(f"/api/v1/app/{app['id']}/attempt/endpoint/{good['id']}").json()["data"]
        assert [a["id"] for a in logged] == [success["id"]]
    finally:
        stream.close()


def test_a_stream_shows_its_application_or_endpoint_only(hookd, api, receiver):
    mine, other = api.create_app(), api.create_app()
    et = api.create_event_type()
    first = api.create_endpoint(mine["id"], receiver.url("/a"))
    second = api.create_endpoint(mine["id"], receiver.url("/b"))
    api.create_endpoint(other["id"], receiver.url("/c"))
    one = follow(hookd, mine["id"], query=f"?endpoint_id={first['id']}")
    whole = follow(hookd, mine["id"])
    try:
        api.send(other["id"], et["name"])
        sent = api.send(mine["id"], et["name"])
        got = {whole.next_attempt()["endpointId"], whole.next_attempt()["endpointId"]}
        assert got == {first["id"], second["id"]}
        attempt = one.next_attempt()
        assert (attempt["endpointId"], attempt["msgId"]) == (first["id"], sent["id"])
        with pytest.raises(queue.Empty):
            one.next_attempt(timeout=1.0)  # second's attempt and the other app's never come
        with pytest.raises(queue.Empty):
            whole.next_attempt(timeout=0.5)
    finally:
        one.close()
        whole.close()


def test_the_stream_needs_the_applications_token(hookd, api):
    app, other = api.create_app(), api.create_app()
    token = api.post("/api/v1/auth/token", {"appId": other["id"]}).json()["token"]
    path = f"{hookd.base_url}/api/v1/app/{app['id']}/attempt/live"
    assert_error(requests.get(path, timeout=10), 401, "authentication_failed")
    assert_error(requests.get(path, headers={"Authorization": f"Bearer {token}"}, timeout=10),
                 403, "forbidden")
    assert_error(requests.get(path, params={"endpoint_id": "ep_none"},
                              headers={"Authorization": f"Bearer {hookd.token}"}, timeout=10),
                 404, "not_found", "endpoint")
    own = follow(hookd, other["id"], token=token)
    own.close()


def test_a_node_that_does_not_deliver_says_so(hookd_factory):
    node = hookd_factory(env={"HOOKD_ROLE": "api"})
    app = requests.post(f"{node.base_url}/api/v1/app", json={"name": "a"},
                        headers={"Authorization": f"Bearer {node.token}"}, timeout=10).json()
    r = requests.get(f"{node.base_url}/api/v1/app/{app['id']}/attempt/live",
                     headers={"Authorization": f"Bearer {node.token}"}, timeout=10)
    assert_error(r, 409, "conflict", "role api")


def test_closed_streams_free_their_place(hookd, api):
    """At most 64 streams are open at once; one the client closes is freed at once (hookd reads
    the connection while it streams), not when a write to it would fail."""
    app = api.create_app()
    streams = [follow(hookd, app["id"]) for _ in range(64)]
    try:
        full = EventStreamReader(hookd.base_url, f"/api/v1/app/{app['id']}/attempt/live",
                                 {"Authorization": f"Bearer {hookd.token}"})
        assert full.status == 429, full.headers
        full.close()
        streams.pop().close()
        deadline = time.monotonic() + 3
        while True:
            again = EventStreamReader(hookd.base_url, f"/api/v1/app/{app['id']}/attempt/live",
                                      {"Authorization": f"Bearer {hookd.token}"})
            if again.status == 200 or time.monotonic() > deadline:
                break
            again.close()
            time.sleep(0.1)
        assert again.status == 200, "the closed stream's place was not freed within 3 s"
        streams.append(again)
    finally:
        for s in streams:
            s.close()
