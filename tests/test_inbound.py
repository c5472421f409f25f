"""Inbound webhooks against docs/inbound.md: the Skalin connector (Skalin's own curl,
Python, Node and PHP clients), validation, de-duplication, reading events back, generic sources
with HMAC / Standard Webhooks / basic / API-key verification, forms, routing to outbound
endpoints, and durability across kill -9."""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import json
import os
import secrets
import shutil
import subprocess
import threading
import time
import urllib.parse

import pytest
import requests

from hookd_support import (NODE_DIR, TESTS_DIR, TIMESTAMP_RE, assert_error, node_verify, sign,
                           verify_signature, wait_until)

CLIENTS_DIR = TESTS_DIR / "inbound_clients"
PLACEHOLDER = "@HOOKD_BASE_URL@"  # stands for https://connector.skalin.io in Skalin's clients

SKALIN_WEBHOOK_ID = "05cb3204b49ff92d"
SKALIN_CLIENT_ID = "2bb91c92dr779103"
SKALIN_EVENT_ID = "e07595f29f1928y5"
SKALIN_BODY = {"eventId": SKALIN_EVENT_ID, "customerId": "customer1234",
             "event": {"name": "ActivationService", "score": 5}}

SERVER_MAX_BODY = 1048576  # docs/configuration.md: max_body_bytes default
MASK = "********"

SOURCE_FIELDS = ("id", "appId", "uid", "name", "kind", "webhookId", "clientId", "url",
                 "verification", "maxBodyBytes", "forward", "idHeader", "idField", "activities",
                 "createdAt", "updatedAt")
EVENT_FIELDS = ("id", "sourceId", "eventId", "customerId", "name", "score", "ts", "localtime",
                "occurredAt", "receivedAt", "revision", "contentType", "payload", "messageId")
SUMMARY_FIELDS = ("customerId", "eventCount", "averageScore", "latestScore", "lastEventAt")
REJECTION_FIELDS = ("id", "sourceId", "status", "reason", "receivedAt")

_OMIT = object()


# ---- helpers -------------------------------------------------------------------------------


def _eid() -> str:
    """A fresh 16-character Skalin eventId."""
    return secrets.token_hex(8)


def _body(event_id, customer="customer1234", name="ActivationService", score=5, **extra) -> dict:
    event = {"name": name}
    if score is not _OMIT:
        event["score"] = score
    return {"eventId": event_id, "customerId": customer, **extra, "event": event}


def _create_source(api, app, **fields) -> dict:
    r = api.post(f"/api/v1/app/{app}/source", fields)
    assert r.status_code == 201, f"create source: {r.status_code} {r.text}"
    src = r.json()
    _check_source(src)
    return src


def _src_path(src, suffix="") -> str:
    return f"/api/v1/app/{src['appId']}/source/{src['id']}{suffix}"


def _hook(srv, src, body=None, *, raw=None, client_id=_OMIT, webhook_id=None,
          content_type="application/json", headers=None, auth=None,
          method="POST") -> requests.Response:
    """The third party's request: no bearer token, the source's webhook id and client id."""
    params = {}
    cid = src.get("clientId") if client_id is _OMIT else client_id
    if cid is not None:
        params["client_id"] = cid
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"Content-Type": content_type} if content_type else {}
    h.update(headers or {})
    return requests.request(method, f"{srv.base_url}/webhook/{webhook_id or src['webhookId']}",
                            params=params, data=data, headers=h, auth=auth, timeout=15)


def _accepted(r, event_id, revision) -> dict:
    """A 201 `created` (revision 1) or 200 `replaced` (later revisions) answer."""
    want = 201 if revision == 1 else 200
    assert r.status_code == want, (
        f"POST {r.request.url}: expected {want}, got {r.status_code} {r.text[:500]}")
    body = r.json()
    assert body["id"].startswith("ine_"), body
    assert body["eventId"] == event_id, body
    assert body["revision"] == revision, body
    assert body["status"] == ("created" if revision == 1 else "replaced"), body
    assert body["replaced"] is (revision != 1), body
    return body


def _events(api, src, limit=250, **params) -> list[dict]:
    return api.list_all(_src_path(src, "/event"), params, limit=limit)


def _event_ids(api, src, limit=250, **params) -> list[str]:
    return [e["eventId"] for e in _events(api, src, limit, **params)]


def _get_event(api, src, key) -> dict:
    r = api.get(_src_path(src, f"/event/{key}"))
    assert r.status_code == 200, f"GET event {key}: {r.status_code} {r.text}"
    e = r.json()
    _check_event(e, src)
    return e


def _rejections(api, src) -> list[dict]:
    rows = api.list_all(_src_path(src, "/rejection"))
    for row in rows:
        for k in REJECTION_FIELDS:
            assert k in row, f"rejection lacks {k}: {row}"
        assert row["id"].startswith("inr_"), row
        assert row["sourceId"] == src["id"], row
        assert isinstance(row["reason"], str) and row["reason"], row
        assert TIMESTAMP_RE.match(row["receivedAt"]), row
    return rows


def _wait_rejections(api, src, count) -> list[dict]:
    """The rejection log once it holds `count` rows, and no more.

    A 401 may be answered before its rejection row is committed (docs/inbound.md promises the
    log, not that it is written before the answer), so this waits a little."""
    if count:
        wait_until(lambda: len(_rejections(api, src)) >= count, 5, 0.05,
                   f"{count} rejection(s) of {src['id']}")
    time.sleep(0.3)
    rows = _rejections(api, src)
    assert len(rows) == count, f"{count} refusals, {len(rows)} rejections: {rows}"
    return rows


def _check_source(src):
    for k in SOURCE_FIELDS:
        assert k in src, f"source lacks {k}: {src}"
    assert src["id"].startswith("src_"), src
    assert src["appId"].startswith("app_"), src
    assert src["kind"] in ("skalin", "generic"), src
    assert TIMESTAMP_RE.match(src["createdAt"]), src
    assert TIMESTAMP_RE.match(src["updatedAt"]), src
    assert isinstance(src["verification"], dict) and "type" in src["verification"], src


def _check_event(e, src=None):
    for k in EVENT_FIELDS:
        assert k in e, f"event lacks {k}: {e}"
    assert e["id"].startswith("ine_"), e
    if src is not None:
        assert e["sourceId"] == src["id"], e
    assert TIMESTAMP_RE.match(e["occurredAt"]), e
    assert TIMESTAMP_RE.match(e["receivedAt"]), e
    assert isinstance(e["revision"], int) and e["revision"] >= 1, e


def _mac(secret: str, content: bytes, algorithm="sha256", encoding="hex") -> str:
    digest = hmac.new(secret.encode(), content, getattr(hashlib, algorithm)).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


def _whsec() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def _std_headers(secret, msg_id, body: bytes, timestamp=None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"webhook-id": msg_id, "webhook-timestamp": ts,
            "webhook-signature": sign(secret, msg_id, ts, body)}


def _check_refused(cases):
    """Each (label, response) must be a 401 authentication_failed; returns how many."""
    failures = []
    for label, r in cases:
        try:
            assert_error(r, 401, "authentication_failed")
        except AssertionError as e:
            failures.append(f"{label}: {e}")
    assert not failures, "\n".join(failures)
    return len(cases)


# ---- Skalin's own clients ------------------------------------------------------------------

SKALIN_CLIENTS = {
    "curl": "curl.sh",
    "python-requests": "requests_client.py",
    "node-axios": "axios_client.mjs",
    "php-file_get_contents": "file_get_contents.php",
}


def _skalin_source(api) -> tuple[dict, dict]:
    app = api.create_app("Skalin")
    src = _create_source(api, app["id"], name="Skalin connector", kind="skalin",
                         webhookId=SKALIN_WEBHOOK_ID, clientId=SKALIN_CLIENT_ID)
    assert src["webhookId"] == SKALIN_WEBHOOK_ID and src["clientId"] == SKALIN_CLIENT_ID, src
    assert src["url"] == f"/webhook/{SKALIN_WEBHOOK_ID}?client_id={SKALIN_CLIENT_ID}", src
    return app, src


def _run_skalin_client(kind, base_url, work_dir) -> subprocess.CompletedProcess:
    """Runs a copy of tests/inbound_clients/<file> with the host replaced by hookd's."""
    name = SKALIN_CLIENTS[kind]
    text = (CLIENTS_DIR / name).read_text()
    assert text.count(PLACEHOLDER) == 1, f"{name} must hold {PLACEHOLDER} exactly once"
    assert "connector.skalin.io" not in text
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / name
    path.write_text(text.replace(PLACEHOLDER, base_url))
    if kind == "curl":
        if shutil.which("curl") is None:
            pytest.fail("curl is not on PATH")
        cmd = ["sh", str(path)]
    elif kind == "python-requests":
        cmd = ["/usr/bin/python3", str(path)]
    elif kind == "node-axios":
        link = work_dir / "node_modules"
        if not link.exists():
            link.symlink_to(NODE_DIR / "node_modules", target_is_directory=True)
        cmd = ["node", str(path)]
    else:
        if shutil.which("php") is None:
            pytest.fail("php is not on PATH (Debian: apt-get install php-cli; see "
                        "scripts/install-deps.sh)")
        cmd = ["php", str(path)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=work_dir)
    assert res.returncode == 0, (f"{kind} client exited {res.returncode}:\n"
                                 f"stdout: {res.stdout}\nstderr: {res.stderr}")
    if kind == "php-file_get_contents":  # die('Error') exits 0
        assert "Error" not in res.stdout, f"file_get_contents failed: {res.stdout}{res.stderr}"
    return res


def _check_skalin_event(api, src, revision) -> dict:
    e = _get_event(api, src, SKALIN_EVENT_ID)
    assert e["revision"] == revision, e
    assert (e["eventId"], e["customerId"], e["name"], e["score"]) == \
        (SKALIN_EVENT_ID, "customer1234", "ActivationService", 5), e
    assert e["ts"] is None and e["localtime"] is None, e
    assert e["occurredAt"] == e["receivedAt"], "without ts, occurredAt is receivedAt"
    assert e["contentType"].split(";")[0] == "application/json", e
    assert e["payload"] == SKALIN_BODY, e
    assert e["messageId"] is None, e
    assert [x["id"] for x in _events(api, src)] == [e["id"]], "never two events per eventId"
    return e


def test_skalin_clients_in_turn_store_then_replace_one_event(hookd, api, node_dir, tmp_path):
    """curl creates the event; the Python, Node and PHP snippets each replace it."""
    app, src = _skalin_source(api)
    prev = None
    for revision, kind in enumerate(SKALIN_CLIENTS, start=1):
        res = _run_skalin_client(kind, hookd.base_url, tmp_path / "clients")
        if kind == "curl":  # curl prints the response body
            out = json.loads(res.stdout)
            assert out["status"] == "created" and out["revision"] == 1, out
        e = _check_skalin_event(api, src, revision)
        if prev is not None:
            assert e["id"] == prev["id"], f"{kind}: the replaced event must keep its id"
            assert e["receivedAt"] > prev["receivedAt"], f"{kind}: receivedAt did not change"
        prev = e
    assert _wait_rejections(api, src, 0) == []


@pytest.mark.parametrize("kind", list(SKALIN_CLIENTS))
def test_skalin_client_alone_creates_then_replaces(hookd, api, node_dir, tmp_path, kind):
    app, src = _skalin_source(api)
    e1 = None
    for revision in (1, 2):
        res = _run_skalin_client(kind, hookd.base_url, tmp_path / f"run{revision}")
        if kind == "curl":
            out = json.loads(res.stdout)
            assert (out["status"], out["revision"], out["replaced"]) == \
                (("created", 1, False) if revision == 1 else ("replaced", 2, True)), out
        e = _check_skalin_event(api, src, revision)
        e1 = e1 or e
        assert e["id"] == e1["id"]


# ---- de-duplication -------------------------------------------------------------------------


def test_same_event_id_twice_keeps_one_event_with_the_later_content(hookd, api):
    app = api.create_app()["id"]
    src = _create_source(api, app, name="dedup")
    eid = _eid()
    first = _body(eid, customer="c-first", name="First", score=1, ts="2021-05-08T12:00:05",
                  localtime="08:00:05", note="one")
    r1 = _accepted(_hook(hookd, src, first), eid, 1)
    e1 = _get_event(api, src, eid)
    assert e1["revision"] == 1 and e1["payload"] == first
    assert e1["occurredAt"] == "2021-05-08T12:00:05.000Z", e1

    time.sleep(0.05)  # receivedAt has millisecond resolution
    second = _body(eid, customer="c-second", name="Second", score="4", note="two")
    r2 = _accepted(_hook(hookd, src, second), eid, 2)
    assert r2["id"] == r1["id"], "a replaced event keeps its id"

    events = _events(api, src)
    assert len(events) == 1, f"one eventId gave {len(events)} stored events: {events}"
    [e] = events
    _check_event(e, src)
    assert e["id"] == r1["id"] and e["revision"] == 2, e
    assert (e["customerId"], e["name"], e["score"]) == ("c-second", "Second", 4), e
    assert e["ts"] is None and e["localtime"] is None, "the old ts/localtime must be gone"
    assert e["payload"] == second, e
    assert e["receivedAt"] > e1["receivedAt"], (e1["receivedAt"], e["receivedAt"])
    assert e["occurredAt"] == e["receivedAt"], e
    assert _get_event(api, src, eid) == e
    assert _get_event(api, src, e["id"]) == e

    # a third time, and another eventId beside it
    other = _eid()
    _accepted(_hook(hookd, src, _body(other, customer="c-second")), other, 1)
    third = _body(eid, customer="c-second", name="Third", score=2)
    r3 = _accepted(_hook(hookd, src, third), eid, 3)
    assert r3["id"] == r1["id"]
    assert sorted(_event_ids(api, src)) == sorted([eid, other])
    assert _get_event(api, src, eid)["payload"] == third

    # the summaries are over what is stored now: c-first has no event any more
    rows = api.list_all(_src_path(src, "/customer"))
    assert [row["customerId"] for row in rows] == ["c-second"], rows
    assert rows[0]["eventCount"] == 2, rows


def test_concurrent_resends_never_make_two_events(hookd, api):
    """The same eventId sent by several threads at once: one `created`, the rest `replaced`
    with distinct revisions, and one stored event holding the last revision."""
    app = api.create_app()["id"]
    src = _create_source(api, app)
    url = f"{hookd.base_url}/webhook/{src['webhookId']}"
    event_ids = [_eid() for _ in range(15)]
    senders = 6
    answers = collections.defaultdict(list)
    lock = threading.Lock()
    barrier = threading.Barrier(senders)

    def send(n):
        session = requests.Session()
        for eid in event_ids:
            try:
                barrier.wait(10)
            except threading.BrokenBarrierError:
                return
            r = session.post(url, params={"client_id": src["clientId"]},
                             json=_body(eid, customer=f"sender-{n}"), timeout=15)
            with lock:
                answers[eid].append((r.status_code, r.text))

    threads = [threading.Thread(target=send, args=(n,), daemon=True) for n in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    stored = {e["eventId"]: e for e in _events(api, src)}
    assert sorted(stored) == sorted(event_ids), "one stored event per eventId"
    for eid in event_ids:
        got = answers[eid]
        assert len(got) == senders, got
        assert sorted(code for code, _ in got) == [200] * (senders - 1) + [201], got
        bodies = [json.loads(text) for _, text in got]
        assert sorted(b["revision"] for b in bodies) == list(range(1, senders + 1)), bodies
        assert len({b["id"] for b in bodies}) == 1, bodies
        assert stored[eid]["revision"] == senders and stored[eid]["id"] == bodies[0]["id"]


def test_event_ids_are_per_source(hookd, api):
    app = api.create_app()["id"]
    a = _create_source(api, app, name="a")
    b = _create_source(api, app, name="b")
    eid = _eid()
    ra = _accepted(_hook(hookd, a, _body(eid, customer="in-a")), eid, 1)
    rb = _accepted(_hook(hookd, b, _body(eid, customer="in-b")), eid, 1)
    assert ra["id"] != rb["id"]
    assert _get_event(api, a, eid)["customerId"] == "in-a"
    assert _get_event(api, b, eid)["customerId"] == "in-b"
    # a source does not show another source's event
    assert_error(api.get(_src_path(a, f"/event/{rb['id']}")), 404, "not_found")


# ---- the skalin body: accepted shapes ------------------------------------------------------

ACCEPTED = {
    # label: (body changes, expected stored fields)
    "minimal": ({"event": {"name": "Login"}},
                {"score": None, "ts": None, "localtime": None, "name": "Login"}),
    "score-number-1": ({"event": {"name": "n", "score": 1}}, {"score": 1}),
    "score-number-5": ({"event": {"name": "n", "score": 5}}, {"score": 5}),
    "score-string-4": ({"event": {"name": "n", "score": "4"}}, {"score": 4}),
    "score-string-1": ({"event": {"name": "n", "score": "1"}}, {"score": 1}),
    "score-null": ({"event": {"name": "n", "score": None}}, {"score": None}),
    "ts-and-localtime": ({"ts": "2021-05-08T12:00:05", "localtime": "08:00:05"},
                         {"ts": "2021-05-08T12:00:05", "localtime": "08:00:05",
                          "occurredAt": "2021-05-08T12:00:05.000Z"}),
    "ts-with-z": ({"ts": "2021-05-08T12:00:05Z"}, {"occurredAt": "2021-05-08T12:00:05.000Z"}),
    "ts-with-fraction": ({"ts": "2021-05-08T12:00:05.250"},
                         {"occurredAt": "2021-05-08T12:00:05.250Z"}),
    "ts-leap-day": ({"ts": "2024-02-29T23:59:59"}, {"occurredAt": "2024-02-29T23:59:59.000Z"}),
    "ts-and-localtime-null": ({"ts": None, "localtime": None}, {"ts": None, "localtime": None}),
    "customer-domain": ({"customerId": "acme.example.com"}, {"customerId": "acme.example.com"}),
    "customer-email-like": ({"customerId": "ops@acme.io"}, {"customerId": "ops@acme.io"}),
    "customer-colon-underscore": ({"customerId": "urn:cust_42-A"},
                                  {"customerId": "urn:cust_42-A"}),
    "customer-255": ({"customerId": "c" * 255}, {"customerId": "c" * 255}),
    "name-255": ({"event": {"name": "n" * 255, "score": 3}}, {"name": "n" * 255, "score": 3}),
    "extra-fields-kept": ({"origin": {"app": "billing", "tags": [1, "two"]},
                           "event": {"name": "n", "score": 2, "detail": "kept"}},
                          {"score": 2}),
}


@pytest.mark.parametrize("label", list(ACCEPTED))
def test_valid_skalin_bodies_are_stored(hookd, api, label):
    changes, expected = ACCEPTED[label]
    app = api.create_app()["id"]
    src = _create_source(api, app)
    eid = _eid()
    body = {"eventId": eid, "customerId": "customer1234",
            "event": {"name": "ActivationService", "score": 5}}
    body.update(changes)
    r = _hook(hookd, src, body)
    created = _accepted(r, eid, 1)
    assert "messageId" not in created or created["messageId"] is None, created
    e = _get_event(api, src, eid)
    assert e["id"] == created["id"]
    assert e["payload"] == body, "the stored payload is the JSON sent, extra fields included"
    for k, v in expected.items():
        assert e[k] == v, f"{k}: expected {v!r}, got {e[k]!r} in {e}"
    if "ts" not in body or body["ts"] is None:
        assert e["occurredAt"] == e["receivedAt"], e


def test_content_type_missing_or_with_charset_is_json(hookd, api):
    app = api.create_app()["id"]
    src = _create_source(api, app)
    e1, e2 = _eid(), _eid()
    _accepted(_hook(hookd, src, _body(e1), content_type=None), e1, 1)
    _accepted(_hook(hookd, src, _body(e2), content_type="application/json; charset=utf-8"), e2, 1)
    assert sorted(_event_ids(api, src)) == sorted([e1, e2])


# ---- the validation matrix -------------------------------------------------------------------


def _pop(*path):
    def change(b):
        target = b
        for k in path[:-1]:
            target = target[k]
        target.pop(path[-1])
    return change


def _set(*path_and_value):
    *path, value = path_and_value

    def change(b):
        target = b
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = value
    return change


INVALID = {
    # label: (change, field the detail starts with, text the rule must show)
    "missing-eventId": (_pop("eventId"), "eventId", None),
    "eventId-15-chars": (_set("eventId", "e07595f29f1928y"), "eventId", "16"),
    "eventId-17-chars": (_set("eventId", "e07595f29f1928y55"), "eventId", "16"),
    "eventId-empty": (_set("eventId", ""), "eventId", "16"),
    "eventId-number": (_set("eventId", 1234567890123456), "eventId", None),
    "eventId-null": (_set("eventId", None), "eventId", None),
    "missing-customerId": (_pop("customerId"), "customerId", None),
    "customerId-empty": (_set("customerId", ""), "customerId", None),
    "customerId-space": (_set("customerId", "customer 1234"), "customerId", None),
    "customerId-slash": (_set("customerId", "acme.com/x"), "customerId", None),
    "customerId-256": (_set("customerId", "c" * 256), "customerId", None),
    "customerId-number": (_set("customerId", 1234), "customerId", None),
    "ts-space": (_set("ts", "2021-05-08 12:00:05"), "ts", None),
    "ts-date-only": (_set("ts", "2021-05-08"), "ts", None),
    "ts-not-a-real-date": (_set("ts", "2021-02-30T12:00:05"), "ts", None),
    "ts-hour-25": (_set("ts", "2021-05-08T25:00:05"), "ts", None),
    "ts-words": (_set("ts", "yesterday"), "ts", None),
    "ts-number": (_set("ts", 1620475205), "ts", None),
    "ts-offset-not-utc": (_set("ts", "2021-05-08T12:00:05+02:00"), "ts", None),
    "localtime-no-seconds": (_set("localtime", "08:00"), "localtime", None),
    "localtime-words": (_set("localtime", "8am"), "localtime", None),
    "missing-event": (_pop("event"), "event", None),
    "event-string": (_set("event", "ActivationService"), "event", None),
    "missing-event-name": (_pop("event", "name"), "event.name", None),
    "event-name-empty": (_set("event", "name", ""), "event.name", None),
    "event-name-256": (_set("event", "name", "n" * 256), "event.name", None),
    "event-name-number": (_set("event", "name", 5), "event.name", None),
    "score-0": (_set("event", "score", 0), "event.score", "5"),
    "score-6": (_set("event", "score", 6), "event.score", "5"),
    "score-abc": (_set("event", "score", "abc"), "event.score", "5"),
    "score-string-6": (_set("event", "score", "6"), "event.score", "5"),
    "score-negative": (_set("event", "score", -1), "event.score", "5"),
    "score-2.5": (_set("event", "score", 2.5), "event.score", "5"),
    "score-true": (_set("event", "score", True), "event.score", "5"),
}


@pytest.mark.parametrize("label", list(INVALID))
def test_invalid_field_is_422_naming_field_and_rule(hookd, api, label):
    change, field_name, rule_text = INVALID[label]
    app = api.create_app()["id"]
    src = _create_source(api, app)
    eid = _eid()
    body = _body(eid, ts="2021-05-08T12:00:05", localtime="08:00:05")
    change(body)
    r = _hook(hookd, src, body)
    err = assert_error(r, 422, "validation", field_name)
    assert err["detail"].startswith(field_name + ":"), \
        f"detail must be '<field>: <rule>' for {field_name}: {err}"
    rule = err["detail"][len(field_name) + 1:].strip()
    assert rule, f"detail names no rule: {err}"
    if rule_text is not None:
        assert rule_text in rule, f"the rule does not show {rule_text!r}: {err}"
    assert _events(api, src) == [], "a refused body stored an event"
    assert _rejections(api, src) == [], "422s are not verification rejections"
    # nothing was stored under that eventId: the corrected body is a new event
    _accepted(_hook(hookd, src, _body(eid)), eid, 1)


def test_request_level_refusals(hookd_factory, tmp_path):
    srv = hookd_factory()
    api = srv.api()
    app = api.create_app()["id"]
    src = _create_source(api, app, maxBodyBytes=1024)
    other = _create_source(api, app)
    eid = _eid()
    good = _body(eid)

    # unknown webhook id: 404 about the webhook, not "no such route"
    for wid in ("ffffffffffffffff", "nope"):
        err = assert_error(_hook(srv, src, good, webhook_id=wid), 404, "not_found")
        assert "webhook" in err["detail"] and "no such route" not in err["detail"], err

    # client id: missing, wrong, another source's, a prefix of the right one
    cid = src["clientId"]
    refused = [("missing client_id", _hook(srv, src, good, client_id=None)),
               ("wrong client_id", _hook(srv, src, good, client_id="0" * 16)),
               ("other source's client_id", _hook(srv, src, good, client_id=other["clientId"])),
               ("client_id prefix", _hook(srv, src, good, client_id=cid[:-1])),
               ("client_id longer", _hook(srv, src, good, client_id=cid + "0"))]
    for label, r in refused:
        err = assert_error(r, 401, "authentication_failed")
        assert err["detail"].startswith("client_id"), (label, err)

    # bodies that are not JSON
    for raw in (b'{"eventId": ', b"hello", b"", b'{"eventId":"e07595f29f1928y5",}'):
        err = assert_error(_hook(srv, src, raw=raw), 400, "invalid_json")
        assert err["detail"].startswith("body"), (raw, err)

    # content types that are neither JSON nor a form
    for ct in ("text/plain", "application/xml", "multipart/form-data; boundary=x"):
        err = assert_error(_hook(srv, src, good, content_type=ct), 415, "unsupported_media_type")
        assert "Content-Type" in err["detail"], (ct, err)

    # the source's maxBodyBytes: exactly the limit passes, one byte more is 413
    def padded(size, event_id):
        b = _body(event_id, pad="")
        base = len(json.dumps(b).encode())
        b["pad"] = "p" * (size - base)
        raw = json.dumps(b).encode()
        assert len(raw) == size
        return raw
    err = assert_error(_hook(srv, src, raw=padded(1025, _eid())), 413, "payload_too_large")
    assert err["detail"].startswith("body"), err
    at_limit = _eid()
    _accepted(_hook(srv, src, raw=padded(1024, at_limit)), at_limit, 1)

    # the server's limit for a source without its own
    big = padded(SERVER_MAX_BODY + 100, _eid())
    assert_error(_hook(srv, other, raw=big), 413, "payload_too_large")

    # only POST
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        r = _hook(srv, src, good, method=method)
        assert r.status_code == 405, (method, r.status_code, r.text)

    assert _event_ids(api, src) == [at_limit]
    assert _events(api, other) == []
    # the client id refusals were logged as rejections of that source, newest first; the 400,
    # 413 and 415 answers were not
    rows = _wait_rejections(api, src, len(refused))
    assert all(row["status"] == 401 for row in rows), rows
    assert [row["receivedAt"] for row in rows] == sorted((row["receivedAt"] for row in rows),
                                                         reverse=True)
    assert _rejections(api, other) == []
    # and the good request still works
    _accepted(_hook(srv, src, good), eid, 1)
    assert requests.get(srv.base_url + "/health", timeout=5).status_code == 204


def test_non_object_json_body_is_refused(hookd, api):
    """A JSON array or scalar is JSON but no skalin body: 400 or 422, never stored.

    docs/inbound.md does not say which of the two; both name the body or a field."""
    app = api.create_app()["id"]
    src = _create_source(api, app)
    for raw in (b"[1, 2]", b'"text"', b"42", b"null"):
        r = _hook(hookd, src, raw=raw)
        assert r.status_code in (400, 422), (raw, r.status_code, r.text)
        assert_error(r, r.status_code, "invalid_json" if r.status_code == 400 else "validation")
    assert _events(api, src) == []


# ---- reading what came in ------------------------------------------------------------------


LISTED = [  # customer, name, score, ts
    ("alpha", "Login", 3, "2021-05-01T10:00:00"),
    ("beta", "Login", 4, "2021-05-02T10:00:00"),
    ("alpha", "Export", 5, "2021-05-03T10:00:00"),
    ("beta", "Export", None, "2021-05-04T10:00:00"),
    ("alpha", "Login", "1", "2021-05-05T10:00:00"),
    ("gamma", "Login", 2, None),  # occurredAt = now
]


def _send_listed(srv, src):
    ids = []
    for customer, name, score, ts in LISTED:
        eid = _eid()
        extra = {"ts": ts} if ts else {}
        body = _body(eid, customer=customer, name=name,
                     score=_OMIT if score is None else score, **extra)
        _accepted(_hook(srv, src, body), eid, 1)
        ids.append(eid)
        time.sleep(0.003)
    return ids


def test_list_events_with_each_filter(hookd, api):
    app = api.create_app()["id"]
    src = _create_source(api, app)
    e = _send_listed(hookd, src)
    newest_first = list(reversed(e))  # sent in occurredAt order, so both orders agree

    events = _events(api, src)
    for ev in events:
        _check_event(ev, src)
    assert [ev["eventId"] for ev in events] == newest_first
    assert [ev["score"] for ev in events] == [2, 1, None, 5, 4, 3]

    cases = {
        "customerId=alpha": ({"customerId": "alpha"}, [e[4], e[2], e[0]]),
        "customerId=gamma": ({"customerId": "gamma"}, [e[5]]),
        "customerId=nobody": ({"customerId": "nobody"}, []),
        "name=Login": ({"name": "Login"}, [e[5], e[4], e[1], e[0]]),
        "name=Export": ({"name": "Export"}, [e[3], e[2]]),
        "customerId+name": ({"customerId": "alpha", "name": "Login"}, [e[4], e[0]]),
        "since": ({"since": "2021-05-02T12:00:00Z"}, [e[5], e[4], e[3], e[2]]),
        "since with millis": ({"since": "2021-05-04T09:59:59.999Z"}, [e[5], e[4], e[3]]),
        "until": ({"until": "2021-05-03T12:00:00Z"}, [e[2], e[1], e[0]]),
        "since+until": ({"since": "2021-05-01T12:00:00Z", "until": "2021-05-04T12:00:00Z"},
                        [e[3], e[2], e[1]]),
        "since with an offset": ({"since": "2021-05-03T13:00:00+02:00"}, [e[5], e[4], e[3]]),
        "until before all": ({"until": "2020-01-01T00:00:00Z"}, []),
        "all filters": ({"customerId": "beta", "name": "Login", "since": "2021-05-01T12:00:00Z",
                         "until": "2021-05-02T12:00:00Z"}, [e[1]]),
    }
    failures = []
    for label, (params, want) in cases.items():
        got = _event_ids(api, src, **params)
        if got != want:
            failures.append(f"{label} {params}: expected {want}, got {got}")
    assert not failures, "\n".join(failures)

    # pagination walks the same list
    pages, p = [], {"limit": 2}
    for _ in range(10):
        r = api.get(_src_path(src, "/event"), params=p)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["data"]) <= 2
        pages.extend(x["eventId"] for x in body["data"])
        if body["done"]:
            break
        p["iterator"] = body["iterator"]
    assert pages == newest_first
    assert _event_ids(api, src, customerId="alpha", limit=1) == [e[4], e[2], e[0]]

    for bad in ({"since": "yesterday"}, {"until": "2021-13-01T00:00:00Z"}):
        [(name, _)] = bad.items()
        assert_error(api.get(_src_path(src, "/event"), params=bad), 422, "validation", name)


def test_get_event_by_id_and_by_event_id(hookd, api):
    app = api.create_app()["id"]
    src = _create_source(api, app)
    e = _send_listed(hookd, src)
    listed = {ev["eventId"]: ev for ev in _events(api, src)}
    for eid in e:
        ev = listed[eid]
        assert _get_event(api, src, ev["id"]) == ev
        assert _get_event(api, src, eid) == ev
    ev = listed[e[0]]
    assert (ev["customerId"], ev["name"], ev["score"], ev["ts"], ev["occurredAt"]) == \
        ("alpha", "Login", 3, "2021-05-01T10:00:00", "2021-05-01T10:00:00.000Z"), ev
    assert ev["contentType"].split(";")[0] == "application/json" and ev["revision"] == 1
    assert listed[e[4]]["score"] == 1, "a numeric string score is stored as a number"
    for missing in ("ine_nope", "zzzzzzzzzzzzzzzz"):
        assert_error(api.get(_src_path(src, f"/event/{missing}")), 404, "not_found")
    assert_error(api.get(f"/api/v1/app/{app}/source/src_nope/event"), 404, "not_found")
    # the source's app by uid works too
    uid_app = api.create_app(uid="inbound-" + secrets.token_hex(3))
    src2 = _create_source(api, uid_app["uid"])
    assert src2["appId"] == uid_app["id"]
    eid = _eid()
    created = _accepted(_hook(hookd, src2, _body(eid)), eid, 1)
    r = api.get(f"/api/v1/app/{uid_app['uid']}/source/{src2['id']}/event/{eid}")
    assert r.status_code == 200 and r.json()["id"] == created["id"], r.text


def test_customer_summaries(hookd, api):
    app = api.create_app()["id"]
    src = _create_source(api, app)
    acme, beta, zeta = "acme.example.com", "beta-corp", "zeta@x.io"
    rows = [  # customer, score, ts; sent in this order, not in occurredAt order
        (acme, 2, "2021-05-01T10:00:00"),
        (acme, 5, "2021-05-03T10:00:00"),
        (acme, None, "2021-05-04T10:00:00"),
        (acme, "4", "2021-05-02T10:00:00"),
        (zeta, None, "2021-06-01T08:30:00.500"),
        (beta, 3, "2021-04-01T00:00:00"),
    ]
    ids = []
    for customer, score, ts in rows:
        eid = _eid()
        _accepted(_hook(hookd, src, _body(eid, customer=customer,
                                          score=_OMIT if score is None else score, ts=ts)),
                  eid, 1)
        ids.append(eid)

    def summary(customer):
        r = api.get(_src_path(src, f"/customer/{customer}"))
        assert r.status_code == 200, f"{customer}: {r.status_code} {r.text}"
        s = r.json()
        for k in SUMMARY_FIELDS:
            assert k in s, f"summary lacks {k}: {s}"
        return s

    s = summary(acme)
    assert s["customerId"] == acme and s["eventCount"] == 4, s
    assert s["averageScore"] == pytest.approx(11 / 3, abs=0.006), s
    assert s["latestScore"] == 5, "latest by occurredAt among events with a score"
    assert s["lastEventAt"] == "2021-05-04T10:00:00.000Z", s

    s = summary(zeta)
    assert (s["eventCount"], s["averageScore"], s["latestScore"], s["lastEventAt"]) == \
        (1, None, None, "2021-06-01T08:30:00.500Z"), s
    s = summary(beta)
    assert (s["eventCount"], s["averageScore"], s["latestScore"], s["lastEventAt"]) == \
        (1, 3, 3, "2021-04-01T00:00:00.000Z"), s

    listed = api.list_all(_src_path(src, "/customer"))
    assert [x["customerId"] for x in listed] == [acme, beta, zeta], "ordered by customerId"
    assert listed == [summary(acme), summary(beta), summary(zeta)]
    assert api.list_all(_src_path(src, "/customer"), limit=1) == listed
    assert_error(api.get(_src_path(src, "/customer/nobody")), 404, "not_found")

    # replacing the 05-03 event (score 5 -> 1) moves the average and the latest score
    _accepted(_hook(hookd, src, _body(ids[1], customer=acme, score=1, ts="2021-05-03T10:00:00")),
              ids[1], 2)
    s = summary(acme)
    assert s["eventCount"] == 4, "a replacement is not a new event"
    assert s["averageScore"] == pytest.approx(7 / 3, abs=0.006), s
    assert s["latestScore"] == 1 and s["lastEventAt"] == "2021-05-04T10:00:00.000Z", s
    # a newer event without a score moves lastEventAt but not latestScore
    late = _eid()
    _accepted(_hook(hookd, src, _body(late, customer=acme, score=_OMIT,
                                      ts="2021-07-01T00:00:00Z")), late, 1)
    s = summary(acme)
    assert (s["eventCount"], s["latestScore"], s["lastEventAt"]) == \
        (5, 1, "2021-07-01T00:00:00.000Z"), s


# ---- source management ---------------------------------------------------------------------


def test_source_crud_defaults_and_conflicts(hookd, api):
    app = api.create_app()
    a = app["id"]
    r = api.post(f"/api/v1/app/{a}/source", {})
    assert r.status_code == 201, r.text
    src = r.json()
    _check_source(src)
    assert src["appId"] == a and src["kind"] == "skalin" and src["uid"] is None, src
    for k in ("webhookId", "clientId"):
        assert isinstance(src[k], str) and len(src[k]) == 16 and \
            all(c in "0123456789abcdef" for c in src[k]), (k, src)
    assert src["url"] == f"/webhook/{src['webhookId']}?client_id={src['clientId']}", src
    assert src["verification"] == {"type": "none"}, src
    assert src["maxBodyBytes"] == SERVER_MAX_BODY, src
    assert (src["forward"], src["idHeader"], src["idField"]) == (None, None, None), src
    assert api.get(_src_path(src)).json() == src

    wid = "hook-" + secrets.token_hex(8)
    named = _create_source(api, a, name="Named", uid="named-src", webhookId=wid,
                           clientId="client_" + "x" * 57, maxBodyBytes=4096)
    assert (named["name"], named["uid"], named["webhookId"], named["maxBodyBytes"]) == \
        ("Named", "named-src", wid, 4096), named
    assert len(named["clientId"]) == 64
    generic = _create_source(api, a, kind="generic", webhookId="g" * 64)
    assert generic["kind"] == "generic" and generic["clientId"] is None, generic
    assert generic["url"] == "/webhook/" + "g" * 64, generic

    # oldest first
    assert [s["id"] for s in api.list_all(f"/api/v1/app/{a}/source")] == \
        [src["id"], named["id"], generic["id"]]
    assert [s["id"] for s in api.list_all(f"/api/v1/app/{a}/source", limit=1)] == \
        [src["id"], named["id"], generic["id"]]

    # webhookId is unique across all sources, in any app
    other_app = api.create_app()["id"]
    for app_id in (a, other_app):
        err = assert_error(api.post(f"/api/v1/app/{app_id}/source", {"webhookId": wid}), 409,
                           "conflict")
        assert "webhookId" in err["detail"], err

    bad = {
        "webhookId 15 chars": ({"webhookId": "a" * 15}, "webhookId"),
        "webhookId 65 chars": ({"webhookId": "a" * 65}, "webhookId"),
        "webhookId with !": ({"webhookId": "abcdefghijklmno!"}, "webhookId"),
        "webhookId with /": ({"webhookId": "abcdefgh/ijklmnop"}, "webhookId"),
        "clientId 15 chars": ({"clientId": "c" * 15}, "clientId"),
        "clientId with space": ({"clientId": "client id 123456"}, "clientId"),
        "kind": ({"kind": "github"}, "kind"),
        "maxBodyBytes 0": ({"maxBodyBytes": 0}, "maxBodyBytes"),
        "maxBodyBytes over the server's": ({"maxBodyBytes": SERVER_MAX_BODY + 1}, "maxBodyBytes"),
        "verification type": ({"kind": "generic", "verification": {"type": "oauth"}}, "type"),
        "hmac without secret": ({"kind": "generic", "verification": {
            "type": "hmac", "header": "X-Sig"}}, "secret"),
        "hmac without header": ({"kind": "generic", "verification": {
            "type": "hmac", "secret": "s3cret"}}, "header"),
        "hmac md5": ({"kind": "generic", "verification": {
            "type": "hmac", "secret": "s", "header": "X-Sig", "algorithm": "md5"}}, "algorithm"),
        "hmac encoding": ({"kind": "generic", "verification": {
            "type": "hmac", "secret": "s", "header": "X-Sig", "encoding": "base32"}}, "encoding"),
        "standard_webhooks without secret": ({"kind": "generic", "verification": {
            "type": "standard_webhooks"}}, "secret"),
        "basic without password": ({"kind": "generic", "verification": {
            "type": "basic", "username": "u"}}, "password"),
        "api_key without key": ({"kind": "generic", "verification": {
            "type": "api_key", "header": "X-Api-Key"}}, "key"),
        "api_key without header": ({"kind": "generic", "verification": {
            "type": "api_key", "key": "k"}}, "header"),
    }
    failures = []
    for label, (body, field_name) in bad.items():
        r = api.post(f"/api/v1/app/{a}/source", body)
        try:
            assert_error(r, 422, "validation", field_name)
        except AssertionError as e:
            failures.append(f"{label}: {e}")
    assert not failures, "\n".join(failures)
    assert len(api.list_all(f"/api/v1/app/{a}/source")) == 3, "a refused create made a source"

    assert_error(api.post("/api/v1/app/app_nope/source", {}), 404, "not_found")
    assert_error(api.get(f"/api/v1/app/{other_app}/source/{src['id']}"), 404, "not_found")
    assert_error(api.get(f"/api/v1/app/{a}/source/src_nope"), 404, "not_found")
    # the management routes need the bearer token
    r = requests.get(f"{hookd.base_url}/api/v1/app/{a}/source", timeout=5)
    assert_error(r, 401, "authentication_failed")


def test_patch_client_id_and_delete_source(hookd, api):
    a = api.create_app()["id"]
    src = _create_source(api, a)
    eid = _eid()
    _accepted(_hook(hookd, src, _body(eid)), eid, 1)

    new_cid = "new-client-" + secrets.token_hex(4)
    time.sleep(0.01)
    r = api.patch(_src_path(src), {"clientId": new_cid, "name": "renamed"})
    assert r.status_code == 200, r.text
    patched = r.json()
    _check_source(patched)
    assert (patched["clientId"], patched["name"], patched["webhookId"]) == \
        (new_cid, "renamed", src["webhookId"]), patched
    assert patched["url"] == f"/webhook/{src['webhookId']}?client_id={new_cid}"
    assert patched["updatedAt"] > src["updatedAt"] and patched["createdAt"] == src["createdAt"]
    assert_error(_hook(hookd, src, _body(_eid())), 401, "authentication_failed")
    e2 = _eid()
    _accepted(_hook(hookd, src, _body(e2), client_id=new_cid), e2, 1)

    r = api.delete(_src_path(src))
    assert r.status_code == 204, r.text
    err = assert_error(_hook(hookd, src, _body(_eid()), client_id=new_cid), 404, "not_found")
    assert "webhook" in err["detail"], err
    assert_error(api.get(_src_path(src)), 404, "not_found")
    assert_error(api.get(_src_path(src, "/event")), 404, "not_found")
    assert_error(api.get(_src_path(src, f"/event/{eid}")), 404, "not_found")
    assert_error(api.delete(_src_path(src)), 404, "not_found")
    assert api.list_all(f"/api/v1/app/{a}/source") == []


def test_secrets_are_never_returned(hookd, api):
    a = api.create_app()["id"]
    secret, password, key, whsec = ("hmac-" + secrets.token_hex(12), "pw-" + secrets.token_hex(12),
                                    "key-" + secrets.token_hex(12), _whsec())
    made = [
        (_create_source(api, a, kind="generic", verification={
            "type": "hmac", "secret": secret, "header": "X-Sig"}), "secret", secret),
        (_create_source(api, a, kind="generic", verification={
            "type": "standard_webhooks", "secret": whsec}), "secret", whsec),
        (_create_source(api, a, kind="generic", verification={
            "type": "basic", "username": "hookd-user", "password": password}), "password",
         password),
        (_create_source(api, a, kind="generic", verification={
            "type": "api_key", "header": "X-Api-Key", "key": key}), "key", key),
    ]
    listing = api.get(f"/api/v1/app/{a}/source", params={"limit": 250})
    assert listing.status_code == 200
    for src, field_name, value in made:
        got = api.get(_src_path(src))
        assert got.status_code == 200
        patched = api.patch(_src_path(src), {"name": "renamed"})
        assert patched.status_code == 200, patched.text
        for label, text, obj in (("create", json.dumps(src), src), ("get", got.text, got.json()),
                                 ("patch", patched.text, patched.json())):
            assert value not in text, f"{label} returned the {field_name}: {text}"
            assert obj["verification"][field_name] == MASK, (label, obj["verification"])
        assert value not in listing.text
    assert made[2][0]["verification"]["username"] == "hookd-user"
    assert made[0][0]["verification"]["header"] == "X-Sig"

    # the PATCH that did not touch verification kept the real secrets
    body = b'{"after":"patch"}'
    hmac_src = made[0][0]
    r = _hook(hookd, hmac_src, raw=body, headers={"X-Sig": _mac(secret, body)})
    assert r.status_code == 201, r.text
    r = _hook(hookd, made[2][0], raw=body, auth=("hookd-user", password))
    assert r.status_code == 201, r.text
    r = _hook(hookd, made[3][0], raw=body, headers={"X-Api-Key": key})
    assert r.status_code == 201, r.text
    r = _hook(hookd, made[1][0], raw=body, headers=_std_headers(whsec, "msg_patch", body))
    assert r.status_code == 201, r.text


# ---- generic sources: verification ----------------------------------------------------------


def _generic(api, verification, **fields):
    a = api.create_app()["id"]
    return _create_source(api, a, kind="generic", verification=verification, **fields)


def _assert_generic_event(e, src, payload):
    _check_event(e, src)
    for k in ("customerId", "name", "score", "ts", "localtime"):
        assert e[k] is None, f"a generic event has no {k}: {e}"
    assert e["payload"] == payload, e


def _after_refusals(api, src, good_bodies, refused_count):
    """Only the good requests were stored; each refusal was logged with status 401."""
    events = _events(api, src)
    assert sorted(json.dumps(e["payload"], sort_keys=True) for e in events) == \
        sorted(json.dumps(b, sort_keys=True) for b in good_bodies), \
        f"stored {len(events)} events for {len(good_bodies)} good requests: {events}"
    rows = _wait_rejections(api, src, refused_count)
    assert all(row["status"] == 401 for row in rows), rows
    assert [row["receivedAt"] for row in rows] == sorted((row["receivedAt"] for row in rows),
                                                         reverse=True), "newest first"
    return rows


def test_hmac_sha256_hex_with_prefix(hookd, api):
    secret = "gh-" + secrets.token_hex(16)
    src = _generic(api, {"type": "hmac", "secret": secret, "header": "X-Hub-Signature-256",
                         "algorithm": "sha256", "encoding": "hex", "prefix": "sha256="})
    assert src["clientId"] is None
    assert src["verification"]["type"] == "hmac" and src["verification"]["prefix"] == "sha256="
    payload = {"action": "opened", "number": 7}
    body = json.dumps(payload).encode()
    good = "sha256=" + _mac(secret, body)
    r = _hook(hookd, src, raw=body, headers={"X-Hub-Signature-256": good})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["eventId"] is None and created["revision"] == 1, created
    _assert_generic_event(_get_event(api, src, created["id"]), src, payload)
    # header names are case-insensitive
    r = _hook(hookd, src, raw=body, headers={"x-hub-signature-256": good})
    assert r.status_code == 201, r.text

    tampered = body.replace(b"7", b"8")
    cases = [
        ("no signature header", _hook(hookd, src, raw=body)),
        ("other secret", _hook(hookd, src, raw=body, headers={
            "X-Hub-Signature-256": "sha256=" + _mac(secret + "x", body)})),
        ("body changed", _hook(hookd, src, raw=tampered, headers={
            "X-Hub-Signature-256": good})),
        ("sha512 instead", _hook(hookd, src, raw=body, headers={
            "X-Hub-Signature-256": "sha256=" + _mac(secret, body, "sha512")})),
        ("signature in another header", _hook(hookd, src, raw=body, headers={
            "X-Signature": good})),
        ("empty signature", _hook(hookd, src, raw=body, headers={
            "X-Hub-Signature-256": "sha256="})),
        ("truncated signature", _hook(hookd, src, raw=body, headers={
            "X-Hub-Signature-256": good[:-2]})),
    ]
    n = _check_refused(cases)
    _after_refusals(api, src, [payload, payload], n)


def test_hmac_sha512_base64(hookd, api):
    secret = "s512-" + secrets.token_hex(16)
    src = _generic(api, {"type": "hmac", "secret": secret, "header": "X-Signature",
                         "algorithm": "sha512", "encoding": "base64"})
    payload = {"id": 1, "text": "caf\u00e9"}
    body = json.dumps(payload, ensure_ascii=False).encode()
    good = _mac(secret, body, "sha512", "base64")
    r = _hook(hookd, src, raw=body, headers={"X-Signature": good})
    assert r.status_code == 201, r.text
    cases = [
        ("sha256 base64", _hook(hookd, src, raw=body, headers={
            "X-Signature": _mac(secret, body, "sha256", "base64")})),
        ("sha512 hex", _hook(hookd, src, raw=body, headers={
            "X-Signature": _mac(secret, body, "sha512", "hex")})),
        ("wrong secret", _hook(hookd, src, raw=body, headers={
            "X-Signature": _mac("other", body, "sha512", "base64")})),
        ("missing", _hook(hookd, src, raw=body)),
    ]
    n = _check_refused(cases)
    _after_refusals(api, src, [payload], n)


def test_hmac_with_timestamp_header(hookd, api):
    secret = "ts-" + secrets.token_hex(16)
    src = _generic(api, {"type": "hmac", "secret": secret, "header": "X-Signature",
                         "timestampHeader": "X-Timestamp", "toleranceSeconds": 60})
    payload = {"charge": "ch_1", "amount": 1250}
    body = json.dumps(payload).encode()

    def signed(ts, content_ts=None):
        content_ts = ts if content_ts is None else content_ts
        return {"X-Timestamp": str(ts),
                "X-Signature": _mac(secret, f"{content_ts}.".encode() + body)}

    now = int(time.time())
    r = _hook(hookd, src, raw=body, headers=signed(now))
    assert r.status_code == 201, r.text
    r = _hook(hookd, src, raw=body, headers=signed(now - 30))
    assert r.status_code == 201, f"30 s old is within 60 s: {r.status_code} {r.text}"
    cases = [
        ("stale timestamp", _hook(hookd, src, raw=body, headers=signed(now - 120))),
        ("future timestamp", _hook(hookd, src, raw=body, headers=signed(now + 120))),
        ("timestamp header missing", _hook(hookd, src, raw=body, headers={
            "X-Signature": signed(now)["X-Signature"]})),
        ("signed with another timestamp", _hook(hookd, src, raw=body,
                                                headers=signed(now, now - 1))),
        ("signature over the body alone", _hook(hookd, src, raw=body, headers={
            "X-Timestamp": str(now), "X-Signature": _mac(secret, body)})),
        ("timestamp not a number", _hook(hookd, src, raw=body, headers={
            "X-Timestamp": "soon", "X-Signature": _mac(secret, b"soon." + body)})),
    ]
    n = _check_refused(cases)
    _after_refusals(api, src, [payload, payload], n)

    # the default tolerance is 300 s
    src2 = _generic(api, {"type": "hmac", "secret": secret, "header": "X-Signature",
                          "timestampHeader": "X-Timestamp"})
    assert src2["verification"]["toleranceSeconds"] == 300, src2["verification"]
    now = int(time.time())
    r = _hook(hookd, src2, raw=body, headers=signed(now - 200))
    assert r.status_code == 201, r.text
    assert_error(_hook(hookd, src2, raw=body, headers=signed(now - 400)), 401,
                 "authentication_failed")
    assert_error(_hook(hookd, src2, raw=body, headers=signed(now + 400)), 401,
                 "authentication_failed")
    _after_refusals(api, src2, [payload], 2)


def _node_sign(secret, msg_id, timestamp, body, tmp_path) -> dict:
    f = tmp_path / f"sign-{secrets.token_hex(4)}.json"
    f.write_text(json.dumps({"secret": secret, "msgId": msg_id, "timestamp": timestamp,
                             "body_b64": base64.b64encode(body).decode()}))
    res = subprocess.run(["node", str(NODE_DIR / "sign.mjs"), str(f)], capture_output=True,
                         text=True, timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr
    return json.loads(res.stdout)


def test_standard_webhooks_verification(hookd, api, node_dir, tmp_path):
    whsec = _whsec()
    src = _generic(api, {"type": "standard_webhooks", "secret": whsec})
    payload = {"type": "invoice.paid", "data": {"id": "in_1"}}
    body = json.dumps(payload).encode()
    msg_id = "msg_" + secrets.token_hex(8)

    r = _hook(hookd, src, raw=body, headers=_std_headers(whsec, msg_id, body))
    created = _accepted(r, msg_id, 1)  # webhook-id is the de-duplication key
    e = _get_event(api, src, msg_id)
    _assert_generic_event(e, src, payload)
    assert e["eventId"] == msg_id and e["id"] == created["id"]

    # signed by the npm standardwebhooks package, with a second (unknown) signature beside it
    node_id = "msg_node_" + secrets.token_hex(4)
    h = _node_sign(whsec, node_id, int(time.time()), body, tmp_path)
    assert h["webhook-signature"] == sign(whsec, node_id, h["webhook-timestamp"], body)
    h["webhook-signature"] = "v1," + base64.b64encode(b"x" * 32).decode() + " " + \
        h["webhook-signature"]
    _accepted(_hook(hookd, src, raw=body, headers=h), node_id, 1)

    # the same webhook-id again is the sender's retry: acknowledged, the first event kept
    payload2 = {"type": "invoice.paid", "data": {"id": "in_1", "again": True}}
    body2 = json.dumps(payload2).encode()
    r = _hook(hookd, src, raw=body2, headers=_std_headers(whsec, msg_id, body2))
    assert r.status_code == 200, r.text
    assert r.json() == {"id": created["id"], "eventId": msg_id, "status": "duplicate",
                        "replaced": False, "revision": 1}, r.json()
    assert _get_event(api, src, msg_id)["payload"] == payload

    now = int(time.time())
    good = _std_headers(whsec, "msg_x", body)
    cases = [
        ("other secret", _hook(hookd, src, raw=body, headers=_std_headers(_whsec(), "msg_x",
                                                                          body))),
        ("body changed", _hook(hookd, src, raw=body + b" ", headers=good)),
        ("id changed", _hook(hookd, src, raw=body, headers=dict(good, **{"webhook-id": "msg_y"}))),
        ("stale timestamp", _hook(hookd, src, raw=body,
                                  headers=_std_headers(whsec, "msg_x", body, now - 400))),
        ("future timestamp", _hook(hookd, src, raw=body,
                                   headers=_std_headers(whsec, "msg_x", body, now + 400))),
        ("no webhook-id", _hook(hookd, src, raw=body, headers={
            k: v for k, v in good.items() if k != "webhook-id"})),
        ("no signature", _hook(hookd, src, raw=body, headers={
            k: v for k, v in good.items() if k != "webhook-signature"})),
        ("v2 signature", _hook(hookd, src, raw=body, headers=dict(
            good, **{"webhook-signature": "v2," + good["webhook-signature"][3:]}))),
        ("no headers", _hook(hookd, src, raw=body)),
    ]
    n = _check_refused(cases)
    _after_refusals(api, src, [payload, payload], n)
    assert node_verify(whsec, good, body, tmp_path).returncode == 0, "the test's own signature"


def test_basic_auth_verification(hookd, api):
    password = "pa:ss-" + secrets.token_hex(8)  # a colon inside the password
    src = _generic(api, {"type": "basic", "username": "hookd-user", "password": password})
    payload = {"basic": True}
    body = json.dumps(payload).encode()
    r = _hook(hookd, src, raw=body, auth=("hookd-user", password))
    assert r.status_code == 201, r.text

    def basic(raw: str) -> dict:
        return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}

    cases = [
        ("wrong password", _hook(hookd, src, raw=body, auth=("hookd-user", password + "x"))),
        ("wrong user", _hook(hookd, src, raw=body, auth=("hookd-usr", password))),
        ("no credentials", _hook(hookd, src, raw=body)),
        ("password prefix", _hook(hookd, src, raw=body, headers=basic(
            "hookd-user:" + password[:-1]))),
        ("bearer instead", _hook(hookd, src, raw=body, headers={
            "Authorization": f"Bearer {password}"})),
        ("not base64", _hook(hookd, src, raw=body, headers={"Authorization": "Basic !!!"})),
        ("user only", _hook(hookd, src, raw=body, headers=basic("hookd-user"))),
    ]
    n = _check_refused(cases)
    _after_refusals(api, src, [payload], n)


def test_api_key_verification(hookd, api):
    key = "k-" + secrets.token_hex(16)
    src = _generic(api, {"type": "api_key", "header": "X-Api-Key", "key": key})
    payload = {"api_key": True}
    body = json.dumps(payload).encode()
    assert _hook(hookd, src, raw=body, headers={"X-Api-Key": key}).status_code == 201
    assert _hook(hookd, src, raw=body, headers={"x-api-key": key}).status_code == 201
    wrong = key[:-1] + ("1" if key.endswith("0") else "0")
    cases = [
        ("wrong key", _hook(hookd, src, raw=body, headers={"X-Api-Key": wrong})),
        ("key prefix", _hook(hookd, src, raw=body, headers={"X-Api-Key": key[:-1]})),
        ("key longer", _hook(hookd, src, raw=body, headers={"X-Api-Key": key + "x"})),
        ("missing", _hook(hookd, src, raw=body)),
        ("other header", _hook(hookd, src, raw=body, headers={"Authorization": key})),
        ("empty", _hook(hookd, src, raw=body, headers={"X-Api-Key": ""})),
    ]
    n = _check_refused(cases)
    _after_refusals(api, src, [payload, payload], n)


def test_generic_dedup_by_id_field_and_id_header(hookd, api):
    a = api.create_app()["id"]
    by_field = _create_source(api, a, kind="generic", idField="id")
    by_header = _create_source(api, a, kind="generic", idHeader="X-Delivery-Id")
    no_key = _create_source(api, a, kind="generic")

    # a repeated key is a duplicate: acknowledged with the stored event's id, the first kept
    r1 = _accepted(_hook(hookd, by_field, {"id": "evt_1", "v": 1}), "evt_1", 1)
    r2 = _hook(hookd, by_field, {"id": "evt_1", "v": 2})
    assert r2.status_code == 200 and r2.json()["status"] == "duplicate", r2.text
    assert r2.json()["id"] == r1["id"] and r2.json()["revision"] == 1, r2.text
    _accepted(_hook(hookd, by_field, {"id": 42, "v": 1}), "42", 1)  # a number key
    assert sorted(_event_ids(api, by_field)) == ["42", "evt_1"]
    assert _get_event(api, by_field, "evt_1")["payload"] == {"id": "evt_1", "v": 1}

    _accepted(_hook(hookd, by_header, {"v": 1}, headers={"X-Delivery-Id": "d-1"}), "d-1", 1)
    r = _hook(hookd, by_header, {"v": 2}, headers={"X-Delivery-Id": "d-1"})
    assert r.status_code == 200 and r.json()["status"] == "duplicate", r.text
    assert [e["payload"] for e in _events(api, by_header)] == [{"v": 1}]

    for v in (1, 1):
        r = _hook(hookd, no_key, {"v": v})
        assert r.status_code == 201 and r.json()["revision"] == 1, r.text
    assert len(_events(api, no_key)) == 2, "without a key every request is a new event"
    assert all(e["eventId"] is None for e in _events(api, no_key))


# ---- forms -----------------------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"


def test_form_bodies(hookd, api):
    a = api.create_app()["id"]
    skalin = _create_source(api, a)
    eid = _eid()
    body = _body(eid, customer="form-customer", score="4", ts="2021-05-08T12:00:05")
    raw = urllib.parse.urlencode({"data": json.dumps(body)}).encode()
    _accepted(_hook(hookd, skalin, raw=raw, content_type=FORM), eid, 1)
    e = _get_event(api, skalin, eid)
    assert e["payload"] == body, e
    assert (e["customerId"], e["score"], e["occurredAt"]) == \
        ("form-customer", 4, "2021-05-08T12:00:05.000Z"), e
    assert e["contentType"].split(";")[0] == FORM, e

    # a form of plain fields is an object of strings: for skalin, event is missing
    plain = urllib.parse.urlencode({"eventId": _eid(), "customerId": "c1"}).encode()
    err = assert_error(_hook(hookd, skalin, raw=plain, content_type=FORM), 422, "validation")
    assert err["detail"].startswith("event:"), err
    assert _event_ids(api, skalin) == [eid]

    # a generic source, HMAC over the raw form bytes
    secret = "form-" + secrets.token_hex(8)
    generic = _create_source(api, a, kind="generic", verification={
        "type": "hmac", "secret": secret, "header": "X-Signature"})
    raw = b"a=1&b=two+words&c=caf%C3%A9&empty="
    r = _hook(hookd, generic, raw=raw, content_type=FORM,
              headers={"X-Signature": _mac(secret, raw)})
    assert r.status_code == 201, r.text
    e = _get_event(api, generic, r.json()["id"])
    assert e["payload"] == {"a": "1", "b": "two words", "c": "caf\u00e9", "empty": ""}, e
    inner = {"order": {"id": 9, "lines": [1, 2]}}
    raw = urllib.parse.urlencode({"data": json.dumps(inner)}).encode()
    r = _hook(hookd, generic, raw=raw, content_type=FORM + "; charset=utf-8",
              headers={"X-Signature": _mac(secret, raw)})
    assert r.status_code == 201, r.text
    assert _get_event(api, generic, r.json()["id"])["payload"] == inner
    assert_error(_hook(hookd, generic, raw=raw, content_type=FORM,
                       headers={"X-Signature": _mac(secret, raw + b"&x=1")}), 401,
                 "authentication_failed")


def test_form_without_json_in_data_is_400(hookd, api):
    a = api.create_app()["id"]
    skalin = _create_source(api, a)
    generic = _create_source(api, a, kind="generic")
    failures = []
    for src in (skalin, generic):
        for bad in (b"data=%7Bnot+json", b"data=", b"data=%5B1%2C"):
            r = _hook(hookd, src, raw=bad, content_type=FORM)
            # docs/inbound.md: 400 {"code":"invalid_json","detail":"data: ..."} for a form without
            # valid JSON in its data field (the detail names the form field)
            if r.status_code != 400 or r.json().get("code") != "invalid_json" or \
                    not r.json().get("detail", "").startswith("data: not valid JSON"):
                failures.append(f"{src['kind']} {bad!r}: expected 400 invalid_json 'data: ...', "
                                f"got {r.status_code} {r.text}")
        assert _events(api, src) == []
    assert not failures, "\n".join(failures)


# ---- routing to outbound --------------------------------------------------------------------


def test_routed_event_is_delivered_signed(hookd, api, receiver, node_dir, tmp_path):
    src_app = api.create_app("inbound side")["id"]
    dst = api.create_app("crm", uid="crm-" + secrets.token_hex(3))
    et = api.create_event_type("customer.event." + secrets.token_hex(3))["name"]
    ep = api.create_endpoint(dst["id"], receiver.url("/crm"))
    ep_secret = api.endpoint_secret(dst["id"], ep["id"])

    # both must exist
    for fwd, field_name in (({"appId": "app_nope", "eventType": et}, "appId"),
                            ({"appId": dst["id"], "eventType": "never.made"}, "eventType")):
        assert_error(api.post(f"/api/v1/app/{src_app}/source", {"forward": fwd}), 422,
                     "validation", field_name)

    src = _create_source(api, src_app, forward={"appId": dst["uid"], "eventType": et})
    assert src["forward"]["eventType"] == et, src
    assert src["forward"]["appId"] in (dst["id"], dst["uid"]), src

    eid = _eid()
    body = _body(eid, customer="routed-customer", score=4, ts="2021-05-08T12:00:05")
    r = _hook(hookd, src, body)
    created = _accepted(r, eid, 1)
    msg_id = created.get("messageId")
    assert isinstance(msg_id, str) and msg_id.startswith("msg_"), created

    [got] = receiver.wait_for(1, timeout=10)
    assert got.path == "/crm" and got.method == "POST"
    assert got.headers["webhook-id"] == msg_id
    assert json.loads(got.body) == body, "the message payload is the event's JSON"
    assert verify_signature(ep_secret, got.headers, got.body), got.headers
    res = node_verify(ep_secret, got.headers, got.body, tmp_path)
    assert res.returncode == 0, f"standardwebhooks rejected the routed delivery: {res.stderr}"

    e = _get_event(api, src, eid)
    assert e["messageId"] == msg_id, e
    m = api.get(f"/api/v1/app/{dst['id']}/msg/{msg_id}")
    assert m.status_code == 200, m.text
    assert m.json()["eventType"] == et and m.json()["payload"] == body, m.json()
    assert api.msg_endpoints(dst["id"], msg_id)[0]["id"] == ep["id"]

    # refused requests forward nothing
    assert_error(_hook(hookd, src, body, client_id="0" * 16), 401, "authentication_failed")
    assert_error(_hook(hookd, src, _body("short")), 422, "validation", "eventId")
    time.sleep(0.5)
    assert receiver.count() == 1
    assert [x["id"] for x in api.list_all(f"/api/v1/app/{dst['id']}/msg")] == [msg_id]
    assert api.list_all(f"/api/v1/app/{src_app}/msg") == [], "the source's own app gets none"


# ---- durability --------------------------------------------------------------------------------

K9_TOTAL = 500
K9_THREADS = 8
K9_KILL_AFTER = 250


@pytest.mark.timeout_s(150)
def test_kill9_loses_no_acknowledged_event(hookd_factory, tmp_path):
    data_dir = tmp_path / "inbound-crash"
    token = "crash-" + secrets.token_hex(8)
    srv = hookd_factory(data_dir=data_dir, token=token)
    api = srv.api()
    app = api.create_app("inbound-crash")["id"]
    src = _create_source(api, app)
    url = f"{srv.base_url}/webhook/{src['webhookId']}"
    params = {"client_id": src["clientId"]}

    lock = threading.Lock()
    acked: dict[str, str] = {}            # eventId -> id, for every 201
    acked_revision: dict[str, int] = {}   # eventId -> highest revision acknowledged
    statuses = collections.Counter()
    errors = collections.Counter()
    enough, killed = threading.Event(), threading.Event()
    counter = iter(range(K9_TOTAL))

    def post(session, event_id, i, score) -> requests.Response | None:
        body = json.dumps(_body(event_id, customer=f"cust-{i % 7}", score=score, pad="p" * 200))
        try:
            return session.post(url, params=params, data=body,
                                headers={"Content-Type": "application/json"}, timeout=10)
        except requests.RequestException as e:
            with lock:
                errors[type(e).__name__] += 1
            return None

    def sender():
        session = requests.Session()
        while not killed.is_set():
            with lock:
                i = next(counter, None)
            if i is None:
                return
            event_id = f"k9-{i:013d}"
            # every fifth event is sent twice: the acknowledged replacement must survive too
            for attempt in range(2 if i % 5 == 0 else 1):
                r = post(session, event_id, i, attempt + 1)
                if r is None:
                    if killed.is_set():
                        return
                    break
                with lock:
                    if r.status_code in (200, 201):
                        out = r.json()
                        if r.status_code == 201:
                            acked[event_id] = out["id"]
                        acked_revision[event_id] = max(acked_revision.get(event_id, 0),
                                                       out["revision"])
                        if len(acked) >= K9_KILL_AFTER:
                            enough.set()
                    elif not killed.is_set():
                        statuses[r.status_code] += 1

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(K9_THREADS)]
    for t in threads:
        t.start()
    enough.wait(45)
    srv.kill9()
    killed.set()
    for t in threads:
        t.join(15)
    assert not any(t.is_alive() for t in threads), "senders did not stop after the kill"
    with lock:
        acked = dict(acked)
    assert len(acked) >= 100, f"only {len(acked)} events acknowledged; errors {dict(errors)}"
    assert not statuses, f"non-2xx answers before the kill: {dict(statuses)}"
    assert set(acked) == set(acked_revision), "a 200 came for an eventId never created"
    print(f"\n{len(acked)} inbound events acknowledged before kill -9")

    srv2 = hookd_factory(data_dir=data_dir, token=token)
    api2 = srv2.api()
    stored = api2.list_all(_src_path(src, "/event"))
    by_event_id = collections.defaultdict(list)
    for e in stored:
        by_event_id[e["eventId"]].append(e)
    dupes = {k: len(v) for k, v in by_event_id.items() if len(v) > 1}
    assert not dupes, f"eventIds stored more than once after the restart: {dupes}"
    missing = sorted(set(acked) - set(by_event_id))
    assert not missing, \
        f"{len(missing)} of {len(acked)} acknowledged events lost, e.g. {missing[:5]}"
    wrong = {k: (v, by_event_id[k][0]["id"]) for k, v in acked.items()
             if by_event_id[k][0]["id"] != v}
    assert not wrong, f"acknowledged ids changed: {list(wrong.items())[:5]}"
    lower = {k: (rev, by_event_id[k][0]["revision"]) for k, rev in acked_revision.items()
             if by_event_id[k][0]["revision"] < rev}
    assert not lower, f"acknowledged replacements lost (acked, stored): {list(lower.items())[:5]}"
    replaced = [k for k, rev in acked_revision.items() if rev == 2]
    assert replaced, "no replacement was acknowledged before the kill"
    for k in replaced:
        assert by_event_id[k][0]["score"] == 2, by_event_id[k][0]
    # de-duplication survived the crash
    some = next(k for k in sorted(acked) if acked_revision[k] == 1 and int(k[3:]) % 5)
    assert by_event_id[some][0]["revision"] == 1
    r = _hook(srv2, src, _body(some, customer="after-restart"))
    assert _accepted(r, some, 2)["id"] == acked[some]
