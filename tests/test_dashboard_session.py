"""Signing in to the dashboard (docs/dashboard.md, "Signing in"), against a real hookd: a token
posted once to /ui/session becomes an HttpOnly, SameSite=Strict session cookie; API calls made
with the cookie act as that token, changes need the session's CSRF token, a revoked token ends
its sessions, signing out ends the session, and a sign-in that is not JSON (what a form on
another site would send) is refused.
"""

from __future__ import annotations

import requests

from hookd_support import assert_error


def sign_in(base: str, token: str) -> tuple[requests.Session, dict, requests.Response]:
    browser = requests.Session()
    r = browser.post(base + "/ui/session", json={"token": token}, timeout=10)
    return browser, (r.json() if r.headers.get("Content-Type", "").startswith("application/json")
                     else {}), r


def test_a_token_becomes_an_http_only_strict_cookie(hookd, api):
    app = api.create_app()
    r = api.post("/api/v1/auth/token", {"name": "ui", "appId": app["id"]})
    assert r.status_code == 201, r.text
    token = r.json()
    browser, body, signed_in = sign_in(hookd.base_url, token["token"])
    assert signed_in.status_code == 201, signed_in.text
    cookie = signed_in.headers["Set-Cookie"]
    assert cookie.startswith("hookd_session=")
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute in cookie, cookie
    assert token["token"] not in cookie
    assert signed_in.headers["Cache-Control"] == "no-store"
    assert body["kind"] == "application" and body["appId"] == app["id"]
    assert body["tokenId"] == token["id"] and len(body["csrfToken"]) == 64
    assert token["token"] not in signed_in.text

    # The cookie alone reads; what it reads is the token's application only.
    r = browser.get(f"{hookd.base_url}/api/v1/app/{app['id']}/endpoint", timeout=10)
    assert r.status_code == 200, r.text
    other = api.create_app()
    assert_error(browser.get(f"{hookd.base_url}/api/v1/app/{other['id']}", timeout=10), 403,
                 "forbidden")
    again = browser.get(hookd.base_url + "/ui/session", timeout=10)
    assert again.status_code == 200 and again.json()["csrfToken"] == body["csrfToken"]


def test_changes_through_a_session_need_its_csrf_token(hookd, api, receiver):
    app = api.create_app()
    browser, body, _ = sign_in(hookd.base_url, hookd.token)
    assert body["kind"] == "admin" and body["appId"] is None
    url = f"{hookd.base_url}/api/v1/app/{app['id']}/endpoint"
    endpoint = {"url": receiver.url()}
    assert_error(browser.post(url, json=endpoint, timeout=10), 403, "csrf", "X-CSRF-Token")
    assert_error(browser.post(url, json=endpoint, headers={"X-CSRF-Token": "0" * 64}, timeout=10),
                 403, "csrf")
    assert api.get(f"/api/v1/app/{app['id']}/endpoint").json()["data"] == []
    r = browser.post(url, json=endpoint, headers={"X-CSRF-Token": body["csrfToken"]}, timeout=10)
    assert r.status_code == 201, r.text
    # The CSRF token of one session is no good for another.
    second, _, _ = sign_in(hookd.base_url, hookd.token)
    assert_error(second.post(url, json=endpoint, headers={"X-CSRF-Token": body["csrfToken"]},
                             timeout=10), 403, "csrf")
    # A bearer token needs no CSRF token: it is not sent by the browser on its own.
    assert api.post(f"/api/v1/app/{app['id']}/endpoint", endpoint).status_code == 201


def test_revoking_the_token_ends_its_sessions(hookd, api):
    app = api.create_app()
    token = api.post("/api/v1/auth/token", {"appId": app["id"]}).json()
    browser, _, _ = sign_in(hookd.base_url, token["token"])
    assert browser.get(f"{hookd.base_url}/api/v1/app/{app['id']}", timeout=10).status_code == 200
    assert api.delete(f"/api/v1/auth/token/{token['id']}").status_code == 204
    assert_error(browser.get(f"{hookd.base_url}/api/v1/app/{app['id']}", timeout=10), 401,
                 "authentication_failed", "token revoked")
    assert_error(browser.get(hookd.base_url + "/ui/session", timeout=10), 401,
                 "authentication_failed", "token revoked")


def test_signing_out_ends_the_session_and_clears_the_cookie(hookd, api):
    app = api.create_app()
    browser, body, _ = sign_in(hookd.base_url, hookd.token)
    session = browser.cookies.get("hookd_session")
    assert_error(browser.delete(hookd.base_url + "/ui/session", timeout=10), 403, "csrf")
    out = browser.delete(hookd.base_url + "/ui/session",
                         headers={"X-CSRF-Token": body["csrfToken"]}, timeout=10)
    assert out.status_code == 204
    assert "Max-Age=0" in out.headers["Set-Cookie"]
    # The old cookie, kept by a copy, no longer works.
    stale = requests.get(f"{hookd.base_url}/api/v1/app/{app['id']}",
                         cookies={"hookd_session": session}, timeout=10)
    assert_error(stale, 401, "authentication_failed", "session")
    assert_error(requests.get(hookd.base_url + "/ui/session", cookies={"hookd_session": session},
                              timeout=10), 401, "authentication_failed")
    # The token itself still works: signing out of the dashboard is not revoking it.
    assert api.get(f"/api/v1/app/{app['id']}").status_code == 200


def test_a_sign_in_must_be_json_with_a_valid_token(hookd):
    base = hookd.base_url
    form = requests.post(base + "/ui/session", data={"token": hookd.token}, timeout=10)
    assert_error(form, 415, "unsupported_media_type", "Content-Type")
    assert "Set-Cookie" not in form.headers
    plain = requests.post(base + "/ui/session", data=hookd.token,
                          headers={"Content-Type": "text/plain"}, timeout=10)
    assert_error(plain, 415, "unsupported_media_type")
    for body, field in (({"token": "hksk_nope"}, "token: invalid token"), ({}, "token"),
                        ({"token": 5}, "token"), ({"token": hookd.token, "x": 1}, "x")):
        r = requests.post(base + "/ui/session", json=body, timeout=10)
        assert r.status_code in (401, 422), (body, r.status_code, r.text)
        assert field in r.json()["detail"], (body, r.text)
        assert "Set-Cookie" not in r.headers
    assert_error(requests.post(base + "/ui/session", data=b"{", timeout=10,
                               headers={"Content-Type": "application/json"}), 400)
    bad_method = requests.put(base + "/ui/session", json={}, timeout=10)
    assert_error(bad_method, 405, "method_not_allowed")
    assert bad_method.headers["Allow"] == "GET, HEAD, POST, DELETE"
    assert_error(requests.get(base + "/ui/session", timeout=10), 401, "authentication_failed")
    unknown = requests.get(base + "/api/v1/app", cookies={"hookd_session": "f" * 64}, timeout=10)
    assert_error(unknown, 401, "authentication_failed", "session")
