"""Helpers of the Svix route tests (test_svix_stats.py, test_svix_send_expunge.py,
test_svix_routes.py): delivery status numbers, stats and listing shortcuts, RFC 3339 times."""

from __future__ import annotations

import datetime as dt
import time

from hookd_support import TIMESTAMP_RE, wait_until

# No circuit breaker and no auto-disable: an endpoint that answers 500 stays reachable, so each
# delivery to it runs out the 3 fast retries (200 ms apart) and ends `fail`.
STEADY = {"HOOKD_CIRCUIT_WINDOW": "0", "HOOKD_DISABLE_AFTER_EXHAUSTED": "0"}
ZERO = {"success": 0, "pending": 0, "sending": 0, "fail": 0, "canceled": 0}
SUCCESS, PENDING, FAIL, SENDING = 0, 1, 2, 3
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


# ---- helpers -------------------------------------------------------------------------------


def iso(ms: int, offset_minutes: int = 0) -> str:
    """Unix ms as RFC 3339 with milliseconds: `Z`, or the given UTC offset."""
    tz = dt.timezone(dt.timedelta(minutes=offset_minutes))
    t = (EPOCH + dt.timedelta(milliseconds=ms)).astimezone(tz)
    text = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}"
    if offset_minutes == 0:
        return text + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    return text + f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"


def ms_of(ts: str) -> int:
    assert TIMESTAMP_RE.match(ts), f"not RFC 3339 UTC with ms: {ts!r}"
    t = dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return (t - EPOCH) // dt.timedelta(milliseconds=1)


def stats(api, app: str, ep: str, **params) -> dict:
    r = api.get(f"/api/v1/app/{app}/endpoint/{ep}/stats", params=params or None)
    assert r.status_code == 200, f"stats {params}: {r.status_code} {r.text}"
    return r.json()


def ep_msgs(api, app: str, ep: str, **params) -> list[dict]:
    return api.list_all(f"/api/v1/app/{app}/endpoint/{ep}/msg", params)


def ep_msg_ids(api, app: str, ep: str, **params) -> list[str]:
    return [m["id"] for m in ep_msgs(api, app, ep, **params)]


def get_msg(api, app: str, msg: str) -> dict:
    r = api.get(f"/api/v1/app/{app}/msg/{msg}", params={"with_content": "true"})
    assert r.status_code == 200, f"get message: {r.status_code} {r.text}"
    return r.json()


def get_attempt(api, app: str, msg: str, att: str) -> dict:
    r = api.get(f"/api/v1/app/{app}/msg/{msg}/attempt/{att}")
    assert r.status_code == 200, f"get attempt: {r.status_code} {r.text}"
    return r.json()


def wait_status(api, app: str, msg: str, ep: str, status: int, timeout: float = 10) -> None:
    wait_until(lambda: api.delivery_status(app, msg, ep) == status, timeout, 0.05,
               f"delivery of {msg} to {ep} to reach status {status}")


def send_spaced(api, app: str, et: str, payloads: list, gap: float = 0.05, **fields) -> list[dict]:
    """Sends one message per payload, `gap` seconds apart, so their timestamps differ."""
    out = []
    for i, p in enumerate(payloads):
        if i:
            time.sleep(gap)
        out.append(api.send(app, et, p, **fields))
    return out


def app_token(api, app: str) -> str:
    r = api.post("/api/v1/auth/token", {"appId": app})
    assert r.status_code in (200, 201), f"create app token: {r.status_code} {r.text}"
    token = r.json()["token"]
    assert token.startswith("appsk_"), token
    return token


def app_endpoint(api, url: str) -> tuple[str, str, str]:
    """A new application, event type and endpoint at `url`: their ids (the type's name)."""
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    return app, et, api.create_endpoint(app, url)["id"]
