"""Endpoint options against docs/endpoint-options.md, with real deliveries to loopback receivers.

label, custom headers (endpoint object and .../headers), basic authentication, body format,
success policy and a per-endpoint retry schedule. Every option is checked where it is stored
(the API) and where it matters (the request the receiver gets).
"""

from __future__ import annotations

import base64
import re
import secrets
import time
import urllib.parse

import pytest

from hookd_support import Reply, sign, verify_signature, wait_until

MASK = "********"

# Names the contract reserves (any case), each tried as written here and in lower case.
RESERVED = ["Webhook-Id", "WEBHOOK-TIMESTAMP", "webhook-Signature", "Content-Type",
            "CONTENT-LENGTH", "Host", "Transfer-Encoding", "CONNECTION", "Expect"]


# ---- helpers -------------------------------------------------------------------------------


def ep_path(app: str, ep_id: str, suffix: str = "") -> str:
    return f"/api/v1/app/{app}/endpoint/{ep_id}{suffix}"


def get_ep(api, app: str, ep_id: str) -> dict:
    r = api.get(ep_path(app, ep_id))
    assert r.status_code == 200, f"GET endpoint: {r.status_code} {r.text}"
    return r.json()


def get_headers(api, app: str, ep_id: str) -> dict:
    """GET .../headers; checks the shape `{"headers": {...}, "sensitive": []}`."""
    r = api.get(ep_path(app, ep_id, "/headers"))
    assert r.status_code == 200, f"GET headers: {r.status_code} {r.text}"
    body = r.json()
    assert set(body) == {"headers", "sensitive"}, f"unexpected shape: {body}"
    assert body["sensitive"] == [], body
    return body["headers"]


def put_headers(api, app, ep_id, headers):
    return api.put(ep_path(app, ep_id, "/headers"), {"headers": headers})


def patch_headers(api, app, ep_id, headers):
    return api.patch(ep_path(app, ep_id, "/headers"), {"headers": headers})


def assert_204(r, what: str) -> None:
    assert r.status_code == 204, f"{what}: expected 204, got {r.status_code} {r.text[:500]}"
    assert r.content == b"", f"{what}: 204 with a body {r.content[:200]!r}"


def assert_422(r, *names: str, ci: bool = False) -> dict:
    """422 validation whose detail names every one of `names` (case-insensitively with `ci`)."""
    assert r.status_code == 422, (
        f"{r.request.method} {r.request.url} body={r.request.body!r}: expected 422, got "
        f"{r.status_code} {r.text[:500]}")
    body = r.json()
    assert body.get("code") == "validation", body
    detail = body.get("detail")
    assert isinstance(detail, str) and detail, body
    for n in names:
        if ci:
            assert n.lower() in detail.lower(), f"detail does not name {n!r}: {body}"
        else:
            assert n in detail, f"detail does not name {n!r}: {body}"
    return body


def assert_422_any(r, *names: str) -> dict:
    """422 validation whose detail names at least one of `names`."""
    body = assert_422(r)
    assert any(n in body["detail"] for n in names), f"detail names none of {names}: {body}"
    return body


def deliver(api, app: str, et: str, receivers, payload=None, timeout: float = 10):
    """Sends one message; returns it and the request each receiver got for it."""
    msg = api.send(app, et, payload if payload is not None else {"n": secrets.token_hex(4)})
    got = []
    for rc in receivers:
        reqs = rc.wait_for(1, timeout, where=lambda q, m=msg["id"]: q.headers.get("webhook-id") == m)
        got.append(reqs[0])
    return msg, got


def custom_of(req, control) -> dict:
    """The headers `req` carries that a plain endpoint's request (`control`) does not."""
    return {k: v for k, v in req.headers.items() if k not in control.headers}


def assert_custom(req, control, expected: dict) -> None:
    low = {k.lower(): v for k, v in expected.items()}
    leaked = [k for k in low if k in control.headers]
    assert not leaked, f"a plain endpoint got the custom headers {leaked}: {control.headers}"
    assert custom_of(req, control) == low, (
        f"delivered custom headers {custom_of(req, control)} != expected {low} "
        f"(all: {req.headers})")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def schedule_ms(schedule) -> list[int] | None:
    """A retrySchedule as shown by the API, in milliseconds (the API may normalise the unit:
    "5m" may come back as "300s")."""
    if schedule is None:
        return None
    out = []
    for entry in schedule:
        m = re.fullmatch(r"(\d+)(ms|s|m|h|d)", entry)
        assert m, f"retrySchedule entry {entry!r} is not a duration of the documented form"
        out.append(int(m.group(1)) * _UNIT_MS[m.group(2)])
    return out


def attempt_gaps(reqs) -> list[float]:
    return [b.time - a.time for a, b in zip(reqs, reqs[1:])]


# ---- label ---------------------------------------------------------------------------------


def test_label_set_shown_patched_cleared_and_validated(api, receiver):
    app = api.create_app()["id"]
    base = f"/api/v1/app/{app}/endpoint"

    plain = api.create_endpoint(app, receiver.url())
    assert plain.get("label") is None, f"an endpoint without a label shows {plain.get('label')!r}"

    ep = api.create_endpoint(app, receiver.url(), label="Email Open Webhook",
                             description="opens")
    assert ep["label"] == "Email Open Webhook", ep
    got = get_ep(api, app, ep["id"])
    assert got["label"] == "Email Open Webhook" and got["description"] == "opens", got
    assert any(e["id"] == ep["id"] and e["label"] == "Email Open Webhook"
               for e in api.list_all(base)), "the list does not show the label"

    r = api.patch(ep_path(app, ep["id"]), {"label": "Clicks"})
    assert r.status_code == 200, r.text
    assert r.json()["label"] == "Clicks"
    got = get_ep(api, app, ep["id"])
    assert got["label"] == "Clicks" and got["description"] == "opens", got

    # at most 256 characters
    r = api.patch(ep_path(app, ep["id"]), {"label": "L" * 256})
    assert r.status_code == 200, f"a 256-character label was refused: {r.text}"
    assert get_ep(api, app, ep["id"])["label"] == "L" * 256
    r = api.patch(ep_path(app, ep["id"]), {"label": "é" * 256})
    assert r.status_code == 200, f"a 256-character (512-byte) label was refused: {r.text}"
    assert get_ep(api, app, ep["id"])["label"] == "é" * 256
    assert_422(api.patch(ep_path(app, ep["id"]), {"label": "L" * 257}), "label")
    assert_422(api.post(base, {"url": receiver.url(), "label": "x" * 257}), "label")
    assert_422(api.patch(ep_path(app, ep["id"]), {"label": 5}), "label")
    assert get_ep(api, app, ep["id"])["label"] == "é" * 256, "a refused PATCH changed the label"

    r = api.patch(ep_path(app, ep["id"]), {"label": None})
    assert r.status_code == 200, r.text
    got = get_ep(api, app, ep["id"])
    assert "label" in got and got["label"] is None, f"null must clear the label: {got}"
    assert got["description"] == "opens"
    assert len(api.list_all(base)) == 2, "a refused POST created an endpoint"


# ---- custom headers ------------------------------------------------------------------------


def test_custom_headers_reach_the_receiver_after_each_change(api, make_receiver):
    rc, rs = make_receiver(), make_receiver()  # control (plain endpoint), subject
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, rc.url())
    first = {"X-Api-Key": "abc", "X-Team": "growth"}
    ep = api.create_endpoint(app, rs.url(), headers=first)
    assert ep["headers"] == first, ep
    assert get_ep(api, app, ep["id"])["headers"] == first
    assert get_headers(api, app, ep["id"]) == first
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert_custom(s, c, first)

    # PUT replaces all
    second = {"X-Region": "eu", "X-Trace": "t-1; a=b, c"}
    assert_204(put_headers(api, app, ep["id"], second), "PUT headers")
    assert get_headers(api, app, ep["id"]) == second
    assert get_ep(api, app, ep["id"])["headers"] == second
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert_custom(s, c, second)

    # PATCH edits, adds, and deletes with null
    assert_204(patch_headers(api, app, ep["id"], {"X-Region": "us", "X-Trace": None,
                                                  "X-New": "n"}), "PATCH headers")
    third = {"X-Region": "us", "X-New": "n"}
    assert get_headers(api, app, ep["id"]) == third
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert_custom(s, c, third)

    # the endpoint object takes headers too (same result whether PATCH merges or replaces)
    r = api.patch(ep_path(app, ep["id"]), {"headers": {"X-Region": "ap", "X-New": "n"}})
    assert r.status_code == 200, r.text
    fourth = {"X-Region": "ap", "X-New": "n"}
    assert r.json()["headers"] == fourth
    assert get_headers(api, app, ep["id"]) == fourth
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert_custom(s, c, fourth)

    # authorization is an ordinary header while basicAuth is not set
    assert_204(put_headers(api, app, ep["id"], {"Authorization": "Bearer tok-123"}), "PUT auth")
    assert get_headers(api, app, ep["id"]) == {"Authorization": "Bearer tok-123"}
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert_custom(s, c, {"Authorization": "Bearer tok-123"})

    # PUT {} removes them all
    assert_204(put_headers(api, app, ep["id"], {}), "PUT {}")
    assert get_headers(api, app, ep["id"]) == {}
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert_custom(s, c, {})
    # the standard headers are still hookd's own
    assert s.headers["content-type"].split(";")[0].strip() == "application/json"
    assert s.headers["webhook-id"] == c.headers["webhook-id"]


def test_headers_routes_on_unknown_endpoint_are_404(api):
    app = api.create_app()["id"]
    for r in (api.get(ep_path(app, "ep_nope", "/headers")),
              put_headers(api, app, "ep_nope", {"X-A": "1"}),
              patch_headers(api, app, "ep_nope", {"X-A": "1"})):
        assert r.status_code == 404, f"{r.request.method}: {r.status_code} {r.text}"
        assert r.json()["code"] == "not_found"


@pytest.mark.parametrize("name", RESERVED + [n.lower() for n in RESERVED])
def test_reserved_header_names_are_refused(api, receiver, name):
    app = api.create_app()["id"]
    base = f"/api/v1/app/{app}/endpoint"
    keep = {"X-Keep": "1"}
    ep = api.create_endpoint(app, receiver.url(), headers=keep)
    assert_422(put_headers(api, app, ep["id"], {"X-Ok": "1", name: "v"}), name, ci=True)
    assert_422(patch_headers(api, app, ep["id"], {name: "v"}), name, ci=True)
    assert_422(api.patch(ep_path(app, ep["id"]), {"headers": {name: "v"}}), name, ci=True)
    assert_422(api.put(ep_path(app, ep["id"]), {"url": receiver.url(), "headers": {name: "v"}}),
               name, ci=True)
    assert_422(api.post(base, {"url": receiver.url(), "headers": {name: "v"}}), name, ci=True)
    assert get_headers(api, app, ep["id"]) == keep, "a refused change altered the headers"
    assert len(api.list_all(base)) == 1, "a refused POST created an endpoint"


def test_header_crlf_nul_count_and_size_limits(api, receiver):
    app = api.create_app()["id"]
    base = f"/api/v1/app/{app}/endpoint"
    ep = api.create_endpoint(app, receiver.url())
    eid = ep["id"]

    # CR, LF or NUL in a name
    for name in ("X-A\rB", "X-A\nB", "X-A\r\nB", "X-A\x00B", "X-A\r\nX-Injected"):
        for r in (put_headers(api, app, eid, {name: "v"}),
                  patch_headers(api, app, eid, {name: "v"}),
                  api.post(base, {"url": receiver.url(), "headers": {name: "v"}})):
            assert_422(r)
    # ... or in a value
    for value in ("a\rb", "a\nb", "a\r\nX-Injected: 1", "a\x00b", "trailing\r\n"):
        for r in (put_headers(api, app, eid, {"X-Inject": value}),
                  patch_headers(api, app, eid, {"X-Inject": value}),
                  api.patch(ep_path(app, eid), {"headers": {"X-Inject": value}}),
                  api.post(base, {"url": receiver.url(), "headers": {"X-Inject": value}})):
            assert_422(r, "X-Inject", ci=True)
    assert get_headers(api, app, eid) == {}

    # names are HTTP tokens
    for name in ("X Team", "X:Team", "", "X/Team", "X(Team)", "Équipe", "X\tT"):
        assert_422(put_headers(api, app, eid, {name: "v"}))
    odd = "X-Ok!#$%&'*+-.^_`|~9"
    assert_204(put_headers(api, app, eid, {odd: "v"}), "a name of token characters")
    assert get_headers(api, app, eid) == {odd: "v"}

    # name at most 256 characters, value at most 4,096
    long_name = "X-" + "n" * 254
    assert_204(put_headers(api, app, eid, {long_name: "v" * 4096}), "256-char name, 4096-char value")
    assert get_headers(api, app, eid) == {long_name: "v" * 4096}
    assert_422(put_headers(api, app, eid, {long_name + "n": "v"}))
    assert_422(put_headers(api, app, eid, {"X-Big": "v" * 4097}), "X-Big", ci=True)
    assert get_headers(api, app, eid) == {long_name: "v" * 4096}

    # at most 20
    twenty = {f"X-H{i}": str(i) for i in range(20)}
    assert_204(put_headers(api, app, eid, twenty), "20 headers")
    assert get_headers(api, app, eid) == twenty
    assert_422(patch_headers(api, app, eid, {"X-H20": "20"}), "headers")
    assert_422(put_headers(api, app, eid, {f"X-H{i}": str(i) for i in range(21)}), "headers")
    assert_422(api.post(base, {"url": receiver.url(),
                               "headers": {f"X-H{i}": str(i) for i in range(21)}}), "headers")
    assert get_headers(api, app, eid) == twenty
    # swapping one for another stays at 20
    assert_204(patch_headers(api, app, eid, {"X-H0": None, "X-H20": "20"}), "swap at 20")
    assert get_headers(api, app, eid) == {f"X-H{i}": str(i) for i in range(1, 21)}
    assert len(api.list_all(base)) == 1, "a refused POST created an endpoint"


def test_twenty_headers_are_all_delivered(api, make_receiver):
    rc, rs = make_receiver(), make_receiver()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, rc.url())
    twenty = {f"X-H{i}": f"value {i}" for i in range(20)}
    ep = api.create_endpoint(app, rs.url(), headers=twenty)
    assert get_headers(api, app, ep["id"]) == twenty
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert_custom(s, c, twenty)


def test_empty_header_value_is_sent_or_refused(api, make_receiver):
    """A header the API accepts is "sent with every delivery": an empty value is either refused
    or delivered as an empty header, never stored and silently dropped."""
    rc, rs = make_receiver(), make_receiver()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, rc.url())
    ep = api.create_endpoint(app, rs.url())
    r = put_headers(api, app, ep["id"], {"X-Empty": "", "X-Full": "1"})
    if r.status_code == 422:
        assert_422(r, "X-Empty", ci=True)
        return
    assert_204(r, "PUT an empty value")
    assert get_headers(api, app, ep["id"]) == {"X-Empty": "", "X-Full": "1"}
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert_custom(s, c, {"X-Empty": "", "X-Full": "1"})


# ---- basic authentication ------------------------------------------------------------------


def test_basic_auth_sent_masked_kept_and_removed(api, make_receiver):
    rc, rs = make_receiver(), make_receiver()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, rc.url())
    pw = "pa:ss w@rd!"
    ep = api.create_endpoint(app, rs.url(), basicAuth={"username": "ada", "password": pw},
                             label="with auth")
    eid = ep["id"]
    assert ep["basicAuth"] == {"username": "ada", "password": MASK}, ep
    assert pw not in str(ep)
    got = get_ep(api, app, eid)
    assert got["basicAuth"] == {"username": "ada", "password": MASK}, got
    assert pw not in str(got) and pw not in api.get(f"/api/v1/app/{app}/endpoint").text
    assert get_headers(api, app, eid) == {}, "basic auth is not a custom header"

    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert s.headers.get("authorization") == basic("ada", pw), s.headers
    assert "authorization" not in c.headers
    assert_custom(s, c, {"Authorization": basic("ada", pw)})

    # GET-then-PUT round trip with the mask keeps the stored password
    got = get_ep(api, app, eid)
    put_body = {k: got[k] for k in ("url", "description", "label", "basicAuth")}
    r = api.put(ep_path(app, eid), put_body)
    assert r.status_code == 200, r.text
    assert r.json()["basicAuth"] == {"username": "ada", "password": MASK}
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert s.headers.get("authorization") == basic("ada", pw), \
        f"the mask sent back replaced the password: {s.headers.get('authorization')!r}"

    # a new password
    r = api.patch(ep_path(app, eid), {"basicAuth": {"username": "ada", "password": "n3w"}})
    assert r.status_code == 200, r.text
    assert r.json()["basicAuth"] == {"username": "ada", "password": MASK}
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert s.headers.get("authorization") == basic("ada", "n3w")
    # ... and the mask through PATCH keeps it
    r = api.patch(ep_path(app, eid), {"basicAuth": {"username": "ada", "password": MASK}})
    assert r.status_code == 200, r.text
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert s.headers.get("authorization") == basic("ada", "n3w")

    # a custom Authorization header is refused while basicAuth is set
    assert_422(put_headers(api, app, eid, {"Authorization": "Bearer x"}), "authorization", ci=True)
    assert_422(patch_headers(api, app, eid, {"AUTHORIZATION": "Bearer x"}), "authorization",
               ci=True)
    assert_422(api.patch(ep_path(app, eid), {"headers": {"authorization": "Bearer x"}}),
               "authorization", ci=True)
    assert get_headers(api, app, eid) == {}

    # the username must not contain ':'
    assert_422_any(api.patch(ep_path(app, eid), {"basicAuth": {"username": "a:b",
                                                               "password": "p"}}),
                   "basicAuth", "username")
    assert_422_any(api.post(f"/api/v1/app/{app}/endpoint",
                            {"url": rs.url(), "basicAuth": {"username": "x:", "password": "p"}}),
                   "basicAuth", "username")
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert s.headers.get("authorization") == basic("ada", "n3w"), "a refused change took effect"

    # null removes it
    r = api.patch(ep_path(app, eid), {"basicAuth": None})
    assert r.status_code == 200, r.text
    got = get_ep(api, app, eid)
    assert got.get("basicAuth") is None, got
    assert got["label"] == "with auth"
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert "authorization" not in s.headers, f"basicAuth null still sends {s.headers}"
    assert_custom(s, c, {})

    # without basicAuth a custom Authorization header is fine again
    assert_204(put_headers(api, app, eid, {"Authorization": "Bearer free"}), "PUT authorization")
    _, (s, c) = deliver(api, app, et, [rs, rc])
    assert s.headers.get("authorization") == "Bearer free"
    assert len(api.list_all(f"/api/v1/app/{app}/endpoint")) == 2, "a refused POST created one"


def test_basic_auth_and_authorization_header_together_are_refused(api, receiver):
    app = api.create_app()["id"]
    base = f"/api/v1/app/{app}/endpoint"
    auth = {"username": "ada", "password": "pw"}
    assert_422(api.post(base, {"url": receiver.url(), "basicAuth": auth,
                               "headers": {"Authorization": "Bearer x"}}), "authorization", ci=True)
    # an endpoint carrying a custom Authorization header cannot gain basicAuth beside it
    ep = api.create_endpoint(app, receiver.url(), headers={"Authorization": "Bearer x"})
    assert_422(api.patch(ep_path(app, ep["id"]), {"basicAuth": auth}))
    got = get_ep(api, app, ep["id"])
    assert got.get("basicAuth") is None and got["headers"] == {"Authorization": "Bearer x"}, got
    # replacing both at once is fine
    r = api.patch(ep_path(app, ep["id"]), {"basicAuth": auth, "headers": {"X-A": "1"}})
    assert r.status_code == 200, r.text
    assert r.json()["basicAuth"] == {"username": "ada", "password": MASK}
    assert r.json()["headers"] == {"X-A": "1"}


# ---- body format ---------------------------------------------------------------------------

FORM_PAYLOAD = ('{"name": "Ada Lovelace", "city": "Paris & Lyon", "note": "é", '
                '"math": "1+1=2 / 100%", "safe": "A-Z_a.z~09", "q": "say \\"hi\\""}').encode()
FORM_RE = re.compile(rb"(?:[A-Za-z0-9\-_.~]|%[0-9A-Fa-f]{2})*")


def _upper_hex(body: bytes) -> bytes:
    return re.sub(rb"%[0-9A-Fa-f]{2}", lambda m: m.group(0).upper(), body)


def test_form_format_body_and_signature(api, make_receiver):
    r_form, r_json, r_default = make_receiver(), make_receiver(), make_receiver()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep_form = api.create_endpoint(app, r_form.url(), format="form")
    ep_json = api.create_endpoint(app, r_json.url(), format="json")
    ep_default = api.create_endpoint(app, r_default.url())
    assert ep_form["format"] == "form" and get_ep(api, app, ep_form["id"])["format"] == "form"
    assert get_ep(api, app, ep_json["id"])["format"] == "json"
    assert get_ep(api, app, ep_default["id"])["format"] == "json", "json is the default"
    secrets_ = {e["id"]: api.endpoint_secret(app, e["id"]) for e in (ep_form, ep_json, ep_default)}

    raw = b'{"eventType": "' + et.encode() + b'", "payload": ' + FORM_PAYLOAD + b'}'
    r = api.send_raw(app, raw)
    assert r.status_code == 202, r.text
    msg = r.json()
    got = {}
    for rc in (r_form, r_json, r_default):
        got[rc] = rc.wait_for(1, where=lambda q: q.headers.get("webhook-id") == msg["id"])[0]

    f = got[r_form]
    ct = f.headers.get("content-type", "")
    assert ct.split(";")[0].strip() == "application/x-www-form-urlencoded", f.headers
    assert f.body.startswith(b"data="), f.body[:80]
    enc = f.body[5:]
    assert b"%20" in enc, f"spaces must be %20: {f.body!r}"
    assert b"+" not in f.body, f"no '+' may appear (spaces are %20, '+' is %2B): {f.body!r}"
    assert b"&" not in enc and b"=" not in enc, f"the data field must be one encoded value: {f.body!r}"
    assert FORM_RE.fullmatch(enc), f"bytes outside A-Z a-z 0-9 - _ . ~ left unencoded: {f.body!r}"
    assert urllib.parse.unquote_to_bytes(enc) == FORM_PAYLOAD, (
        f"decoding data does not give the payload back: {urllib.parse.unquote_to_bytes(enc)!r}")
    assert urllib.parse.unquote(enc.decode("ascii")) == FORM_PAYLOAD.decode("utf-8")
    expected = b"data=" + urllib.parse.quote(FORM_PAYLOAD, safe="").encode()
    assert _upper_hex(f.body) == expected, f"form body {f.body!r} != {expected!r}"
    assert int(f.headers.get("content-length", len(f.body))) == len(f.body)
    assert verify_signature(secrets_[ep_form["id"]], f.headers, f.body), (
        f"signature does not cover the form body as sent: {f.headers['webhook-signature']!r}, "
        f"expected {sign(secrets_[ep_form['id']], f.headers['webhook-id'], f.headers['webhook-timestamp'], f.body)!r}")

    for rc, ep in ((r_json, ep_json), (r_default, ep_default)):
        j = got[rc]
        assert j.body == FORM_PAYLOAD, f"json body changed: {j.body!r}"
        assert j.headers.get("content-type", "").split(";")[0].strip() == "application/json"
        assert verify_signature(secrets_[ep["id"]], j.headers, j.body)

    # switching format with PATCH applies to the next delivery
    r = api.patch(ep_path(app, ep_form["id"]), {"format": "json"})
    assert r.status_code == 200 and r.json()["format"] == "json", r.text
    r = api.patch(ep_path(app, ep_default["id"]), {"format": "form"})
    assert r.status_code == 200 and r.json()["format"] == "form", r.text
    msg2, (f2, d2) = deliver(api, app, et, [r_form, r_default], payload={"k": "a b"})
    assert f2.body == b'{"k": "a b"}', f2.body
    assert f2.headers["content-type"].split(";")[0].strip() == "application/json"
    assert d2.headers["content-type"].split(";")[0].strip() == "application/x-www-form-urlencoded"
    assert d2.body.startswith(b"data=")
    assert urllib.parse.unquote_to_bytes(d2.body[5:]) == f2.body, \
        "the form body must decode to the same payload bytes the json endpoint got"
    assert verify_signature(secrets_[ep_default["id"]], d2.headers, d2.body)


def test_manual_resend_applies_the_options(api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url(), headers={"X-K": "1"}, format="form",
                             basicAuth={"username": "u", "password": "p w"})
    secret = api.endpoint_secret(app, ep["id"])
    msg = api.send(app, et, {"a": "b c"})
    first = receiver.wait_for(1)[0]
    r = api.post(f"/api/v1/app/{app}/msg/{msg['id']}/endpoint/{ep['id']}/resend")
    assert r.status_code == 202, r.text
    again = receiver.wait_for(2)[1]
    for q in (first, again):
        assert q.headers.get("x-k") == "1", q.headers
        assert q.headers.get("authorization") == basic("u", "p w"), q.headers
        assert q.headers["content-type"].split(";")[0].strip() == \
            "application/x-www-form-urlencoded"
        assert q.body == b"data=%7B%22a%22%3A%20%22b%20c%22%7D", q.body
        assert verify_signature(secret, q.headers, q.body)


def test_invalid_format_is_refused(api, receiver):
    app = api.create_app()["id"]
    base = f"/api/v1/app/{app}/endpoint"
    ep = api.create_endpoint(app, receiver.url(), format="form")
    for bad in ("xml", "", "FORM-URLENCODED", 1, "multipart"):
        assert_422(api.post(base, {"url": receiver.url(), "format": bad}), "format")
        assert_422(api.patch(ep_path(app, ep["id"]), {"format": bad}), "format")
    assert get_ep(api, app, ep["id"])["format"] == "form"
    assert len(api.list_all(base)) == 1


# ---- success policy ------------------------------------------------------------------------


def test_success_policy_200_retries_201(api, make_receiver):
    r200 = make_receiver(Reply(201, body=b"created"))
    r2xx = make_receiver(Reply(201, body=b"created"))
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep200 = api.create_endpoint(app, r200.url(), successPolicy="200")
    ep2xx = api.create_endpoint(app, r2xx.url())
    assert ep200["successPolicy"] == "200"
    assert get_ep(api, app, ep200["id"])["successPolicy"] == "200"
    assert get_ep(api, app, ep2xx["id"])["successPolicy"] == "2xx", "2xx is the default"

    msg = api.send(app, et)
    wait_until(lambda: api.delivery_status(app, msg["id"], ep2xx["id"]) == 0, 10,
               what="the 2xx endpoint's delivery to succeed")
    wait_until(lambda: api.delivery_status(app, msg["id"], ep200["id"]) == 2, 15,
               what="the '200' endpoint's delivery to end failed")
    time.sleep(0.8)  # nothing more may come
    reqs = r200.snapshot()
    assert len(reqs) == 4, f"201 under policy 200 must be retried over the 200ms x3 schedule: {len(reqs)}"
    assert all(0.15 <= g <= 2.0 for g in attempt_gaps(reqs)), attempt_gaps(reqs)
    atts = api.attempts_by_msg(app, msg["id"], endpoint_id=ep200["id"])
    assert len(atts) == 4, atts
    assert all(a["status"] == 2 and a["responseStatusCode"] == 201 for a in atts), atts
    assert r2xx.count() == 1
    [a] = api.attempts_by_msg(app, msg["id"], endpoint_id=ep2xx["id"])
    assert (a["status"], a["responseStatusCode"]) == (0, 201), a

    # 204 and 201 are failures under "200", the 200 that follows is the success
    # (a 204 carries no body; the receiver's default "ok" body would corrupt the kept-alive
    # connection for the next answer)
    r200.script(Reply(204, body=b""), 201, 200)
    r2xx.script(Reply(204, body=b""))
    msg2 = api.send(app, et)
    wait_until(lambda: api.delivery_status(app, msg2["id"], ep200["id"]) == 0, 15,
               what="the '200' endpoint's delivery to succeed on a 200")
    wait_until(lambda: api.delivery_status(app, msg2["id"], ep2xx["id"]) == 0, 10,
               what="204 to be a success under 2xx")
    time.sleep(0.8)
    atts = api.attempts_by_msg(app, msg2["id"], endpoint_id=ep200["id"])
    assert [(a["status"], a["responseStatusCode"]) for a in atts] == \
        [(0, 200), (2, 201), (2, 204)], atts
    assert len(r200.by_webhook_id(msg2["id"])) == 3
    assert len(r2xx.by_webhook_id(msg2["id"])) == 1

    # a plain 200 succeeds at once; back to "2xx" a 201 is fine again
    r200.default = Reply(200)
    msg3 = api.send(app, et)
    wait_until(lambda: api.delivery_status(app, msg3["id"], ep200["id"]) == 0, 10,
               what="200 under policy 200")
    r = api.patch(ep_path(app, ep200["id"]), {"successPolicy": "2xx"})
    assert r.status_code == 200 and r.json()["successPolicy"] == "2xx", r.text
    r200.default = Reply(201)
    msg4 = api.send(app, et)
    wait_until(lambda: api.delivery_status(app, msg4["id"], ep200["id"]) == 0, 10,
               what="201 under policy 2xx")
    time.sleep(0.8)
    assert len(r200.by_webhook_id(msg3["id"])) == 1
    assert len(r200.by_webhook_id(msg4["id"])) == 1


def test_invalid_success_policy_is_refused(api, receiver):
    app = api.create_app()["id"]
    base = f"/api/v1/app/{app}/endpoint"
    ep = api.create_endpoint(app, receiver.url(), successPolicy="200")
    for bad in ("201", "3xx", "", "any", "2xx,3xx", "20"):
        assert_422(api.post(base, {"url": receiver.url(), "successPolicy": bad}), "successPolicy")
        assert_422(api.patch(ep_path(app, ep["id"]), {"successPolicy": bad}), "successPolicy")
    assert get_ep(api, app, ep["id"])["successPolicy"] == "200"
    assert len(api.list_all(base)) == 1


# ---- retry schedule ------------------------------------------------------------------------


@pytest.mark.timeout_s(120)
def test_endpoint_retry_schedule_replaces_the_servers(api, make_receiver):
    ra, rb = make_receiver(500), make_receiver(500)
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep_a = api.create_endpoint(app, ra.url(), retrySchedule=["300ms", "300ms"])
    ep_b = api.create_endpoint(app, rb.url())
    assert schedule_ms(ep_a["retrySchedule"]) == [300, 300], ep_a
    assert schedule_ms(get_ep(api, app, ep_a["id"])["retrySchedule"]) == [300, 300]
    assert get_ep(api, app, ep_b["id"]).get("retrySchedule") is None

    msg = api.send(app, et)
    for ep in (ep_a, ep_b):
        wait_until(lambda e=ep: api.delivery_status(app, msg["id"], e["id"]) == 2, 15,
                   what=f"delivery to {ep['id']} to end failed")
    time.sleep(1.2)  # nothing more may come
    a_reqs, b_reqs = ra.snapshot(), rb.snapshot()
    assert len(a_reqs) == 3, f"2 delays mean 3 attempts, got {len(a_reqs)}"
    gaps = attempt_gaps(a_reqs)
    assert all(0.25 <= g <= 1.0 for g in gaps), f"gaps {gaps} for a 300ms,300ms schedule"
    assert len(b_reqs) == 4, f"the server's 200ms x3 schedule means 4 attempts, got {len(b_reqs)}"
    assert all(0.15 <= g <= 2.0 for g in attempt_gaps(b_reqs)), attempt_gaps(b_reqs)
    assert len(api.attempts_by_msg(app, msg["id"], endpoint_id=ep_a["id"])) == 3
    assert len(api.attempts_by_msg(app, msg["id"], endpoint_id=ep_b["id"])) == 4

    # null goes back to the server's schedule; PATCH sets one on the other endpoint
    r = api.patch(ep_path(app, ep_a["id"]), {"retrySchedule": None})
    assert r.status_code == 200, r.text
    assert get_ep(api, app, ep_a["id"]).get("retrySchedule") is None
    r = api.patch(ep_path(app, ep_b["id"]), {"retrySchedule": ["700ms"]})
    assert r.status_code == 200 and schedule_ms(r.json()["retrySchedule"]) == [700], r.text
    msg2 = api.send(app, et)
    for ep in (ep_a, ep_b):
        wait_until(lambda e=ep: api.delivery_status(app, msg2["id"], e["id"]) == 2, 15,
                   what=f"second delivery to {ep['id']} to end failed")
    time.sleep(1.2)
    a2, b2 = ra.by_webhook_id(msg2["id"]), rb.by_webhook_id(msg2["id"])
    assert len(a2) == 4, f"after null: the server's schedule (4 attempts), got {len(a2)}"
    assert all(0.15 <= g <= 2.0 for g in attempt_gaps(a2)), attempt_gaps(a2)
    assert len(b2) == 2, f"one 700ms delay means 2 attempts, got {len(b2)}"
    assert 0.6 <= attempt_gaps(b2)[0] <= 1.5, attempt_gaps(b2)


def test_retry_schedule_longer_than_the_servers(api, receiver):
    receiver.default = Reply(500)
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url(), retrySchedule=["100ms"] * 6)
    msg = api.send(app, et)
    wait_until(lambda: api.delivery_status(app, msg["id"], ep["id"]) == 2, 15,
               what="delivery to end failed")
    time.sleep(1.0)
    reqs = receiver.snapshot()
    assert len(reqs) == 7, f"6 delays mean 7 attempts (the server's has 3), got {len(reqs)}"
    gaps = attempt_gaps(reqs)
    assert all(0.07 <= g <= 0.6 for g in gaps), f"gaps {gaps} for a 100ms x6 schedule"


def test_invalid_retry_schedules_are_refused(api, receiver):
    app = api.create_app()["id"]
    base = f"/api/v1/app/{app}/endpoint"
    good = ["5m", "10m", "15m", "30m", "60m"]
    ep = api.create_endpoint(app, receiver.url(), retrySchedule=good)
    assert schedule_ms(get_ep(api, app, ep["id"])["retrySchedule"]) == schedule_ms(good)
    bad_values = [
        ["soon"],
        ["8d"],
        ["169h"],
        ["5m", "10081m"],
        ["1s"] * 21,
        [],
        [""],
        ["-1s"],
        ["5 parsecs"],
        [5000],
        "5m",
    ]
    for bad in bad_values:
        assert_422(api.post(base, {"url": receiver.url(), "retrySchedule": bad}), "retrySchedule")
        assert_422(api.patch(ep_path(app, ep["id"]), {"retrySchedule": bad}), "retrySchedule")
        assert_422(api.put(ep_path(app, ep["id"]), {"url": receiver.url(), "retrySchedule": bad}),
                   "retrySchedule")
    assert schedule_ms(get_ep(api, app, ep["id"])["retrySchedule"]) == schedule_ms(good), \
        "a refused change took effect"
    assert len(api.list_all(base)) == 1, "a refused POST created an endpoint"

    # the limits themselves are fine: 20 entries, 7 days, every unit
    for ok in (["1s"] * 20, ["7d"], ["168h"], ["1ms", "1s", "1m", "1h", "1d"]):
        r = api.patch(ep_path(app, ep["id"]), {"retrySchedule": ok})
        assert r.status_code == 200, f"{ok} refused: {r.text}"
        assert schedule_ms(get_ep(api, app, ep["id"])["retrySchedule"]) == schedule_ms(ok)
    r = api.patch(ep_path(app, ep["id"]), {"retrySchedule": None})
    assert r.status_code == 200, r.text
    assert get_ep(api, app, ep["id"]).get("retrySchedule") is None


# ---- all together, and kept across a restart -----------------------------------------------


@pytest.mark.timeout_s(120)
def test_options_survive_restart(hookd_factory, make_receiver):
    rc, rs = make_receiver(), make_receiver()
    srv = hookd_factory()
    api = srv.api()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, rc.url())
    ep = api.create_endpoint(app, rs.url(), label="All options", headers={"X-Api-Key": "abc"},
                             basicAuth={"username": "ada", "password": "s3cret"}, format="form",
                             successPolicy="200", retrySchedule=["300ms"])
    before = get_ep(api, app, ep["id"])
    secret = api.endpoint_secret(app, ep["id"])
    srv.stop()

    srv2 = hookd_factory(data_dir=srv.data_dir)
    api2 = srv2.api()
    after = get_ep(api2, app, ep["id"])
    for k in ("label", "headers", "basicAuth", "format", "successPolicy", "retrySchedule"):
        assert after[k] == before[k], f"{k} changed across a restart: {before[k]!r} -> {after[k]!r}"
    assert after["basicAuth"] == {"username": "ada", "password": MASK}
    assert get_headers(api2, app, ep["id"]) == {"X-Api-Key": "abc"}

    rs.default = Reply(201)
    msg, (s, c) = deliver(api2, app, et, [rs, rc], payload={"who": "Ada Lovelace"})
    assert_custom(s, c, {"X-Api-Key": "abc", "Authorization": basic("ada", "s3cret")})
    assert s.headers["content-type"].split(";")[0].strip() == "application/x-www-form-urlencoded"
    assert urllib.parse.unquote_to_bytes(s.body[5:]) == c.body
    assert verify_signature(secret, s.headers, s.body)
    # 201 fails under "200"; one 300ms retry, then failed
    wait_until(lambda: api2.delivery_status(app, msg["id"], ep["id"]) == 2, 10,
               what="delivery to end failed")
    time.sleep(0.8)
    reqs = rs.by_webhook_id(msg["id"])
    assert len(reqs) == 2, f"retrySchedule ['300ms'] means 2 attempts, got {len(reqs)}"
    assert 0.25 <= attempt_gaps(reqs)[0] <= 1.0, attempt_gaps(reqs)
