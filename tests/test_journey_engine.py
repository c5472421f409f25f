"""The journey engine end to end (docs/journeys.md): activities posted to an application move its
contacts through its active journeys, and webhook nodes send real, signed hookd messages in
Netcore's payload shape to receivers on loopback.

Covered: Netcore's four cases (one action; several actions in any order within a time; an action
but not another one in time, correlated on a key; an action by who the contact is), fan-out by
event type, each webhook sent exactly once, the re-entry policies, pause (activities held, timers
kept) and resume, runs finishing on the version they entered, the observability endpoints (stats,
a contact's runs, the waiting list with paging), and kill -9 before and while timers fire.

Waits poll with a bound. To show that something did *not* happen, a test posts a "barrier"
activity for the same contact after the ones under test: activities are applied in order per
contact, so once the barrier journey's own webhook has arrived the earlier activities have been
applied, and the application's messages show everything they sent. Runs on SQLite, and on
PostgreSQL when HOOKD_TEST_POSTGRES is set."""

from __future__ import annotations

import copy
import json
import re
import secrets
import time
import urllib.parse
from datetime import datetime
from typing import Callable

import pytest

from hookd_support import TIMESTAMP_RE, Api, Received, Reply, verify_signature, wait_until

BARRIER = "barrier"  # the barrier journey's name and trigger activity
NETCORE_KEYS = {"journey_name", "channel", "event", "msgid", "webhook_name", "custom_params",
                "att_params", "event_params"}


# ---- reading what arrived ------------------------------------------------------------------


def netcore(body) -> tuple[str, dict]:
    """The top-level key and the one item of a Netcore-shaped webhook body (bytes, text or the
    payload already parsed)."""
    doc = json.loads(body) if isinstance(body, (bytes, str)) else body
    assert isinstance(doc, dict) and len(doc) == 1, f"not Netcore's shape: {doc!r}"
    [(key, items)] = doc.items()
    assert isinstance(items, list) and len(items) == 1, f"not Netcore's shape: {doc!r}"
    assert isinstance(items[0], dict), doc
    return key, items[0]


def item_of(q: Received) -> dict | None:
    try:
        return netcore(q.body)[1]
    except (ValueError, AssertionError):
        return None


def sent_by(contact: str | None = None, journey_name: str | None = None
            ) -> Callable[[Received], bool]:
    """A receiver filter: webhooks about `contact` (their foreignkey) from journey `journey_name`."""
    def where(q: Received) -> bool:
        item = item_of(q)
        if item is None:
            return False
        params = item.get("event_params") or {}
        return ((contact is None or params.get("foreignkey") == contact)
                and (journey_name is None or item.get("journey_name") == journey_name))
    return where


def iso_seconds(text) -> float:
    """A time from the API (RFC 3339 UTC with milliseconds, as docs/api.md promises) as unix s."""
    assert isinstance(text, str) and TIMESTAMP_RE.match(text), f"not an API time: {text!r}"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def path_nodes(run: dict) -> list[str]:
    return [step["node"] for step in run["path"]]


def stays_quiet(receiver, where, until: float, what: str) -> None:
    """Polls until wall time `until`: no request matching `where` may arrive meanwhile."""
    while True:
        got = [q for q in receiver.snapshot() if where(q)]
        assert not got, f"{what}: {len(got)} request(s) arrived, first {got[0].body[:300]!r}"
        if time.time() >= until:
            return
        time.sleep(0.1)


def count_stays(receiver, where, n: int, until: float, what: str) -> list[Received]:
    """Polls until wall time `until`: exactly `n` requests match `where` the whole time."""
    while True:
        got = [q for q in receiver.snapshot() if where(q)]
        assert len(got) == n, f"{what}: {len(got)} request(s) instead of {n}: " + \
            ", ".join(repr(q.body[:200]) for q in got)
        if time.time() >= until:
            return got
        time.sleep(0.1)


def webhook_ids_by_msgid(requests: list[Received]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for q in requests:
        item = item_of(q)
        assert item is not None, f"not a Netcore body: {q.body[:300]!r}"
        out.setdefault(item["msgid"], set()).add(q.headers.get("webhook-id"))
    return out


def assert_each_run_sent_once(requests: list[Received], expected: set[str]) -> None:
    """Every run's webhook arrived, as one message: a repeat of the same webhook-id is
    at-least-once delivery (allowed), two webhook-ids for one msgid are two messages (not)."""
    by_msgid = webhook_ids_by_msgid(requests)
    missing = expected - set(by_msgid)
    extra = set(by_msgid) - expected
    assert not missing, f"{len(missing)} run(s) never delivered, e.g. {sorted(missing)[:5]}"
    assert not extra, f"webhooks of runs that should not exist: {sorted(extra)[:5]}"
    twice = {m: ids for m, ids in by_msgid.items() if len(ids) != 1}
    assert not twice, (f"{len(twice)} run(s) sent as more than one message, e.g. "
                       f"{list(twice.items())[:3]}")


def nonzero(counts: dict) -> dict:
    return {k: v for k, v in (counts or {}).items() if v}


# ---- the application under test ------------------------------------------------------------


class Shop:
    """An application (with a uid unless told otherwise), an endpoint on `receiver`, and the
    barrier journey, which sends to an endpoint and receiver of its own."""

    def __init__(self, api: Api, make_receiver, uid: str | None = "default"):
        self.api = api
        fields = {}
        if uid is not None:
            fields["uid"] = "shop-" + secrets.token_hex(4) if uid == "default" else uid
        app = api.create_app("shop", **fields)
        self.app = app["id"]
        self.key = app.get("uid") or app["id"]  # the webhook body's top-level key
        self.receiver = make_receiver()
        self.ep = api.create_endpoint(self.app, self.receiver.url())["id"]
        self.barrier_receiver = make_receiver()
        barrier_ep = api.create_endpoint(self.app, self.barrier_receiver.url("/barrier"))["id"]
        self.journey({"name": BARRIER, "reentry": "afterExit", "nodes": [
            {"id": "start", "type": "trigger", "activity": BARRIER, "next": "hook"},
            {"id": "hook", "type": "webhook", "endpointId": barrier_ep, "params": ["nonce"]}]})

    @property
    def base(self) -> str:
        return f"/api/v1/app/{self.app}"

    def journey_url(self, journey: str) -> str:
        return f"{self.base}/journey/{journey}"

    def journey(self, definition: dict, **fields) -> str:
        r = self.api.post(f"{self.base}/journey", {"definition": definition, **fields})
        assert r.status_code == 201, f"create journey: {r.status_code} {r.text}"
        return r.json()["id"]

    def contact(self, key: str, **attributes) -> None:
        r = self.api.post(f"{self.base}/contact", {"key": key, "attributes": attributes})
        assert r.status_code == 200, f"contact: {r.status_code} {r.text}"

    def act(self, name: str, contact: str, params: dict | None = None, **fields) -> str:
        body = {"name": name, "contact": contact, **fields}
        if params is not None:
            body["params"] = params
        r = self.api.post(f"{self.base}/activity", body)
        assert r.status_code == 202, f"activity: {r.status_code} {r.text}"
        return r.json()["id"]

    def act_batch(self, activities: list[dict]) -> None:
        for start in range(0, len(activities), 1000):
            r = self.api.post(f"{self.base}/activity/batch",
                              {"activities": activities[start:start + 1000]})
            assert r.status_code == 202, f"activity batch: {r.status_code} {r.text}"

    def pause(self, journey: str) -> None:
        r = self.api.post(self.journey_url(journey) + "/pause")
        assert r.status_code == 200 and r.json()["status"] == "paused", r.text

    def resume(self, journey: str) -> None:
        r = self.api.post(self.journey_url(journey) + "/resume")
        assert r.status_code == 200 and r.json()["status"] == "active", r.text

    # ---- observability ----

    def runs(self, journey: str, key: str) -> list[dict]:
        r = self.api.get(f"{self.journey_url(journey)}/contact/{urllib.parse.quote(key, safe='')}")
        assert r.status_code == 200, f"contact runs: {r.status_code} {r.text}"
        return r.json()["data"]

    def wait_runs(self, journey: str, key: str, pred: Callable[[list[dict]], bool],
                  what: str, timeout: float = 15) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            runs = self.runs(journey, key)
            if pred(runs):
                return runs
            if time.monotonic() >= deadline:
                raise AssertionError(f"{key}'s runs never became {what} in {timeout}s: {runs}")
            time.sleep(0.05)

    def wait_waiting(self, journey: str, key: str, node: str) -> dict:
        [run] = self.wait_runs(journey, key, lambda rs: len(rs) == 1 and rs[0]["status"] ==
                               "waiting", f"one run waiting at {node}")
        assert run["node"] == node, run
        return run

    def wait_ended(self, journey: str, key: str, timeout: float = 15) -> dict:
        [run] = self.wait_runs(journey, key, lambda rs: len(rs) == 1 and rs[0]["status"] ==
                               "ended", "one ended run", timeout)
        return run

    def stats(self, journey: str) -> dict:
        r = self.api.get(self.journey_url(journey) + "/stats")
        assert r.status_code == 200, f"stats: {r.status_code} {r.text}"
        return r.json()

    def version_stats(self, journey: str, version: int = 1) -> dict:
        """One version's counts with the zero ones left out (the API may leave them out too)."""
        found = [v for v in self.stats(journey)["versions"] if v["version"] == version]
        if not found:
            return {"entered": 0, "waiting": {}, "exited": {}, "webhooks": {}}
        [v] = found
        return {"entered": v.get("entered", 0), "waiting": nonzero(v.get("waiting")),
                "exited": nonzero(v.get("exited")),
                "webhooks": {n: nonzero(c) for n, c in (v.get("webhooks") or {}).items()
                             if nonzero(c)}}

    def wait_stats(self, journey: str, expected: dict, version: int = 1,
                   timeout: float = 20) -> None:
        last = [None]

        def matches():
            last[0] = self.version_stats(journey, version)
            return last[0] == expected
        try:
            wait_until(matches, timeout, 0.1, "stats")
        except AssertionError:
            raise AssertionError(f"version {version}'s stats never became {expected} in "
                                 f"{timeout}s; last {last[0]}") from None

    def waiting_pages(self, journey: str, limit: int, node: str | None = None) -> list[dict]:
        params: dict = {"limit": limit}
        if node is not None:
            params["node"] = node
        pages = []
        for _ in range(100):
            r = self.api.get(self.journey_url(journey) + "/waiting", params=params)
            assert r.status_code == 200, f"waiting: {r.status_code} {r.text}"
            page = r.json()
            pages.append(page)
            if page["done"]:
                return pages
            params["iterator"] = page["iterator"]
        raise AssertionError("the waiting list never finished")

    def waiting(self, journey: str, node: str | None = None) -> list[dict]:
        return [run for page in self.waiting_pages(journey, 250, node) for run in page["data"]]

    # ---- what was sent ----

    def messages(self, journey_name: str) -> list[dict]:
        """The application's messages that carry a webhook of journey `journey_name`."""
        out = []
        for m in self.api.list_all(f"{self.base}/msg"):
            try:
                _, item = netcore(m.get("payload"))
            except (AssertionError, TypeError, ValueError):
                continue
            if item.get("journey_name") == journey_name:
                out.append(m)
        return out

    def barrier(self, contact: str, timeout: float = 15) -> None:
        """Returns once every activity posted for `contact` before it has been applied."""
        nonce = secrets.token_hex(6)
        self.act(BARRIER, contact, {"nonce": nonce})
        self.barrier_receiver.wait_for(
            1, timeout, where=lambda q: ((item_of(q) or {}).get("custom_params") or {}).get(
                "nonce") == nonce)


@pytest.fixture
def shop(api, make_receiver) -> Shop:
    return Shop(api, make_receiver)


def wait_runs_ended_through(shop: Shop, journey: str, key: str, nodes: list[str]) -> dict:
    run = shop.wait_ended(journey, key)
    assert path_nodes(run) == nodes, run
    assert run["node"] == nodes[-1] and run["wakeAt"] is None, run
    return run


# ---- 1. a contact performed an action --------------------------------------------------------


def test_case1_one_action_sends_one_signed_netcore_webhook(shop):
    j = shop.journey({"name": "signed up", "nodes": [
        {"id": "start", "type": "trigger", "activity": "signed_up", "next": "hook"},
        {"id": "hook", "type": "webhook", "endpointId": shop.ep, "name": "welcome",
         "params": ["plan"], "attributes": ["EMAIL", "CITY"]}]})
    ana = "ana@example.com"
    shop.contact(ana, EMAIL=ana, CITY="Toronto", AGE=31)
    shop.act("signed_in", ana)  # not the trigger's activity
    shop.act("signed_up", ana, {"plan": "pro", "source": "ad"})

    [q] = shop.receiver.wait_for(1, 15, sent_by(ana))
    key, item = netcore(q.body)
    assert key == shop.key, f"the body's key is the application's uid: {key!r} vs {shop.key!r}"
    assert NETCORE_KEYS <= set(item), item
    assert item["journey_name"] == "signed up" and item["event"] == "signed_up", item
    assert item["webhook_name"] == "welcome" and item["channel"] == "webhook", item
    assert item["custom_params"] == {"plan": "pro"}, item
    assert item["att_params"] == {"EMAIL": ana, "CITY": "Toronto"}, item
    event_params = item["event_params"]
    assert event_params["plan"] == "pro" and event_params["source"] == "ad", event_params
    assert event_params["foreignkey"] == ana, event_params
    assert isinstance(event_params["timestamp"], str) and re.match(
        r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", event_params["timestamp"]), event_params
    assert isinstance(event_params["ts"], int), event_params

    # A normal hookd message: signed with the endpoint's secret, of type journey.webhook, its
    # eventId naming the run and the node.
    for h in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert q.headers.get(h), f"no {h} header: {q.headers}"
    assert verify_signature(shop.api.endpoint_secret(shop.app, shop.ep), q.headers, q.body)
    r = shop.api.get(f"{shop.base}/msg/{q.headers['webhook-id']}")
    assert r.status_code == 200, r.text
    msg = r.json()
    assert msg["eventType"] == "journey.webhook", msg
    assert netcore(msg["payload"]) == (key, item)
    [run] = shop.runs(j, ana)
    assert item["msgid"] == run["id"], (item, run)
    assert re.fullmatch(re.escape(run["id"]) + r":hook:\d+", msg["eventId"]), msg

    # Someone who only signs in gets nothing, and nothing more comes for ana.
    bob = "bob@example.com"
    shop.act("signed_in", bob)
    shop.act("signed_up_twice", bob)
    shop.barrier(bob)
    shop.barrier(ana)
    assert shop.runs(j, bob) == []
    assert len(shop.messages("signed up")) == 1
    assert len([x for x in shop.receiver.snapshot() if sent_by()(x)]) == 1


def test_a_webhook_node_with_an_event_type_goes_through_fan_out(shop, make_receiver):
    api = shop.api
    et, other = api.create_event_type()["name"], api.create_event_type()["name"]
    subscribed, not_subscribed = make_receiver(), make_receiver()
    sub_ep = api.create_endpoint(shop.app, subscribed.url(), filterTypes=[et])["id"]
    api.create_endpoint(shop.app, not_subscribed.url(), filterTypes=[other])
    shop.journey({"name": "fan out", "nodes": [
        {"id": "start", "type": "trigger", "activity": "ordered", "next": "hook"},
        {"id": "hook", "type": "webhook", "eventType": et, "params": ["orderId"]}]})
    shop.act("ordered", "cy", {"orderId": "o-1"})
    [q] = subscribed.wait_for(1, 15, sent_by("cy", "fan out"))
    _, item = netcore(q.body)
    assert item["custom_params"] == {"orderId": "o-1"}, item
    msg = api.get(f"{shop.base}/msg/{q.headers['webhook-id']}").json()
    assert msg["eventType"] == et, msg
    assert verify_signature(api.endpoint_secret(shop.app, sub_ep), q.headers, q.body)
    shop.barrier("cy")
    assert len(shop.messages("fan out")) == 1
    assert not_subscribed.count() == 0, not_subscribed.snapshot()[0].body


# ---- 2. several actions, in any order, within a time ---------------------------------------


def engaged(ep: str, within: str) -> dict:
    return {"name": "engaged", "nodes": [
        {"id": "start", "type": "trigger", "activity": "email_sent", "next": "both"},
        {"id": "both", "type": "allOf", "within": within, "activities": [
            {"activity": "email_opened"},
            {"activity": "link_clicked", "filter": {"url": {"$regex": "^https://shop"}}}],
         "matched": "hook", "timedOut": "end"},
        {"id": "hook", "type": "webhook", "endpointId": ep, "next": "end"},
        {"id": "end", "type": "exit"}]}


def test_case2_all_of_in_any_order_within_the_time(shop):
    j = shop.journey(engaged(shop.ep, "2s"))
    for key in ("reversed", "only_one", "wrong_url"):
        shop.act("email_sent", key, {"campaign": "c1"})
    # Both, the second one first.
    shop.act("link_clicked", "reversed", {"url": "https://shop.example/x"})
    shop.act("email_opened", "reversed", {"campaign": "c1", "client": "mail"})
    # One of them only.
    shop.act("email_opened", "only_one")
    # Both names, but the link does not pass the filter.
    shop.act("email_opened", "wrong_url")
    shop.act("link_clicked", "wrong_url", {"url": "http://elsewhere.example/"})

    [q] = shop.receiver.wait_for(1, 15, sent_by("reversed"))
    _, item = netcore(q.body)
    assert item["journey_name"] == "engaged" and item["event"] == "email_opened", item
    assert item["event_params"]["client"] == "mail", item
    wait_runs_ended_through(shop, j, "reversed", ["start", "both", "hook", "end"])
    # The others time out to their timedOut branch, never through the hook.
    for key in ("only_one", "wrong_url"):
        wait_runs_ended_through(shop, j, key, ["start", "both", "end"])
    for key in ("reversed", "only_one", "wrong_url"):
        shop.barrier(key)
    assert len(shop.messages("engaged")) == 1
    assert len([x for x in shop.receiver.snapshot() if sent_by()(x)]) == 1


# ---- 3. an action, but not another one in time -----------------------------------------------


def no_booking(ep: str, within: str) -> dict:
    return {"name": "no booking", "reentry": "perKey", "correlationKey": "searchId", "nodes": [
        {"id": "start", "type": "trigger", "activity": "flight_search",
         "filter": {"cabin": "business"}, "next": "wait"},
        {"id": "wait", "type": "waitFor", "activity": "booking", "within": within,
         "correlate": True, "matched": "end", "timedOut": "hook"},
        {"id": "hook", "type": "webhook", "endpointId": ep, "params": ["searchId"],
         "next": "end"},
        {"id": "end", "type": "exit"}]}


def test_case3_no_booking_fires_once_after_the_period_and_the_deadline_never_moves(shop):
    within = 3.0
    j = shop.journey(no_booking(shop.ep, "3s"))
    posted = {}
    for key in ("quiet", "busy"):
        before = time.time()
        shop.act("flight_search", key, {"cabin": "business", "searchId": f"s-{key}"})
        posted[key] = (before, time.time())
    wake = {}
    for key, (before, after) in posted.items():
        run = shop.wait_waiting(j, key, "wait")
        wake[key] = run["wakeAt"]
        assert before + within - 0.01 <= iso_seconds(run["wakeAt"]) <= after + within + 0.01, (
            run, posted[key])

    # Halfway through, "busy" does other things: an activity the wait does not listen for, a
    # booking for another search, the same search again (perKey: no second run).
    wait_until(lambda: time.time() >= posted["busy"][0] + within / 2, within, what="halfway")
    shop.act("page_view", "busy", {"searchId": "s-busy"})
    shop.act("booking", "busy", {"searchId": "s-other"})
    shop.act("flight_search", "busy", {"cabin": "business", "searchId": "s-busy"})
    shop.barrier("busy")
    [run] = shop.runs(j, "busy")
    assert run["status"] == "waiting" and run["wakeAt"] == wake["busy"], (
        f"the deadline moved: {wake['busy']} -> {run}")

    for key, (before, after) in posted.items():
        [q] = shop.receiver.wait_for(1, within + 10, sent_by(key))
        late = q.wall - (after + within)
        assert q.wall >= before + within - 0.02, (
            f"{key}: fired {before + within - q.wall:.3f}s before its deadline")
        # A deadline moved by the activities halfway would be 1.5 s later than this.
        assert late < 1.2, f"{key}: fired {late:.3f}s after its deadline"
        _, item = netcore(q.body)
        assert item["event"] == "flight_search", item
        assert item["custom_params"] == {"searchId": f"s-{key}"}, item
        assert item["event_params"]["cabin"] == "business", item
        wait_runs_ended_through(shop, j, key, ["start", "wait", "hook", "end"])
    count_stays(shop.receiver, sent_by(), 2, time.time() + 1.0, "one webhook per search")
    assert len(shop.messages("no booking")) == 2


def test_case3_a_booking_for_the_same_search_cancels_for_another_search_does_not(shop):
    j = shop.journey(no_booking(shop.ep, "2s"))
    t0 = time.time()
    shop.act("flight_search", "booker", {"cabin": "business", "searchId": "s-1"})
    shop.act("flight_search", "other", {"cabin": "business", "searchId": "s-2"})
    shop.act("flight_search", "economy", {"cabin": "economy", "searchId": "s-3"})
    shop.act("flight_search", "two", {"cabin": "business", "searchId": "s-4"})
    shop.act("flight_search", "two", {"cabin": "business", "searchId": "s-5"})
    shop.act("booking", "booker", {"searchId": "s-1"})
    shop.act("booking", "other", {"searchId": "s-9"})
    shop.act("booking", "two", {"searchId": "s-4"})

    # The same searchId: matched, the run ends without the hook.
    wait_runs_ended_through(shop, j, "booker", ["start", "wait", "end"])
    # Another searchId: the wait goes on and times out to the hook.
    [q] = shop.receiver.wait_for(1, 15, sent_by("other"))
    assert netcore(q.body)[1]["custom_params"] == {"searchId": "s-2"}
    # Two searches, one booked: only the other one fires.
    [q] = shop.receiver.wait_for(1, 15, sent_by("two"))
    assert netcore(q.body)[1]["custom_params"] == {"searchId": "s-5"}
    runs = shop.wait_runs(j, "two", lambda rs: len(rs) == 2 and all(
        r["status"] == "ended" for r in rs), "two ended runs")
    assert sorted(path_nodes(r) for r in runs) == [["start", "wait", "end"],
                                                    ["start", "wait", "hook", "end"]], runs
    # Economy: the trigger's filter does not pass, no run.
    shop.barrier("economy")
    assert shop.runs(j, "economy") == []
    # Past every deadline, still nothing for the booker.
    stays_quiet(shop.receiver, sent_by("booker"), t0 + 3.0, "webhook for a booked search")
    for key in ("booker", "other", "two"):
        shop.barrier(key)
    assert len(shop.messages("no booking")) == 2
    assert len([x for x in shop.receiver.snapshot() if sent_by()(x)]) == 2


# ---- 4. an action by who the contact is ------------------------------------------------------


def test_case4_purchased_and_lives_in_canada(api, make_receiver):
    shop = Shop(api, make_receiver, uid=None)  # no uid: the body's key is the application's id
    assert shop.key == shop.app
    by_trigger = shop.journey({"name": "canadian buyers", "nodes": [
        {"id": "start", "type": "trigger", "activity": "purchase",
         "contactFilter": {"COUNTRY": "Canada"}, "next": "hook"},
        {"id": "hook", "type": "webhook", "endpointId": shop.ep,
         "attributes": ["EMAIL", "CITY"]}]})
    by_condition = shop.journey({"name": "canadian buyers by condition", "nodes": [
        {"id": "start", "type": "trigger", "activity": "purchase", "next": "where"},
        {"id": "where", "type": "condition", "on": "contact", "filter": {"COUNTRY": "Canada"},
         "then": "hook", "else": "end"},
        {"id": "hook", "type": "webhook", "endpointId": shop.ep, "attributes": ["EMAIL", "CITY"],
         "next": "end"},
        {"id": "end", "type": "exit"}]})
    shop.contact("ca@example.com", COUNTRY="Canada", CITY="Toronto", EMAIL="ca@example.com")
    shop.contact("fr@example.com", COUNTRY="France", CITY="Paris", EMAIL="fr@example.com")
    shop.act("purchase", "ca@example.com", {"sku": "a"})
    shop.act("purchase", "fr@example.com", {"sku": "b"})
    shop.act("purchase", "nowhere@example.com", {"sku": "c"})  # no COUNTRY at all
    # The attributes an activity carries are the contact's by the time it is applied.
    shop.act("purchase", "ca2@example.com", {"sku": "d"}, attributes={
        "COUNTRY": "Canada", "CITY": "Vancouver", "EMAIL": "ca2@example.com"})

    for key, city in (("ca@example.com", "Toronto"), ("ca2@example.com", "Vancouver")):
        got = shop.receiver.wait_for(2, 15, sent_by(key))
        names = set()
        for q in got:
            app_key, item = netcore(q.body)
            assert app_key == shop.app, app_key
            assert item["att_params"] == {"EMAIL": key, "CITY": city}, item
            assert item["event"] == "purchase", item
            names.add(item["journey_name"])
        assert names == {"canadian buyers", "canadian buyers by condition"}, names
    for key in ("fr@example.com", "nowhere@example.com"):
        shop.barrier(key)
        assert shop.runs(by_trigger, key) == []
        wait_runs_ended_through(shop, by_condition, key, ["start", "where", "end"])
    wait_runs_ended_through(shop, by_condition, "ca@example.com", ["start", "where", "hook", "end"])
    for key in ("ca@example.com", "ca2@example.com"):
        shop.barrier(key)
    assert len(shop.messages("canadian buyers")) == 2
    assert len(shop.messages("canadian buyers by condition")) == 2
    assert len([x for x in shop.receiver.snapshot() if sent_by()(x)]) == 4


# ---- 5. exactly once, and what a contact's runs show -------------------------------------------


def test_a_webhook_is_sent_once_and_the_contacts_run_shows_its_path(shop):
    j = shop.journey({"name": "ping", "nodes": [
        {"id": "start", "type": "trigger", "activity": "ping", "next": "wait"},
        {"id": "wait", "type": "waitFor", "activity": "pong", "within": "1s",
         "matched": "answered", "timedOut": "hook"},
        {"id": "hook", "type": "webhook", "endpointId": shop.ep, "next": "gone"},
        {"id": "gone", "type": "exit"},
        {"id": "answered", "type": "exit"}]})
    before = time.time()
    shop.act("ping", "pat", {"n": 7})
    after = time.time()
    waiting = shop.wait_waiting(j, "pat", "wait")
    assert waiting["wakeAt"] is not None and waiting["path"][-1]["node"] == "wait", waiting

    [q] = shop.receiver.wait_for(1, 10, sent_by("pat"))
    assert q.wall >= before + 1.0 - 0.02, "fired before its deadline"
    # Well past the period (four times it), still that one request.
    count_stays(shop.receiver, sent_by(), 1, before + 4.0, "the webhook of one run")
    [m] = shop.messages("ping")
    assert m["id"] == q.headers["webhook-id"], m
    attempts = shop.api.attempts_by_msg(shop.app, m["id"])
    assert len(attempts) == 1, attempts

    [run] = shop.runs(j, "pat")
    assert run["id"].startswith("run_") and run["id"] == waiting["id"], run
    assert (run["version"], run["contactKey"], run["status"]) == (1, "pat", "ended"), run
    assert run["node"] == "gone" and run["wakeAt"] is None, run
    assert path_nodes(run) == ["start", "wait", "hook", "gone"], run
    times = [iso_seconds(step["at"]) for step in run["path"]]
    assert times == sorted(times), run["path"]
    assert before - 0.01 <= times[0] <= after + 0.01, (run["path"], before, after)
    assert times[2] - times[1] >= 1.0 - 0.01, f"left the wait before its time: {run['path']}"
    assert times[2] - times[1] < 3.0, run["path"]
    created, updated = iso_seconds(run["createdAt"]), iso_seconds(run["updatedAt"])
    assert before - 0.01 <= created <= updated, run
    assert updated >= times[2] - 0.01, run


# ---- 6. re-entry -----------------------------------------------------------------------------


def test_reentry_once_starts_one_run_per_contact_ever(shop):
    j = shop.journey({"name": "first visit", "reentry": "once", "nodes": [
        {"id": "start", "type": "trigger", "activity": "visit", "next": "hook"},
        {"id": "hook", "type": "webhook", "endpointId": shop.ep, "params": ["n"]}]})
    shop.act("visit", "vi", {"n": 1})
    shop.receiver.wait_for(1, 15, sent_by("vi"))
    shop.wait_ended(j, "vi")
    shop.act("visit", "vi", {"n": 2})
    shop.act("visit", "vo", {"n": 3})  # someone else still enters
    shop.receiver.wait_for(1, 15, sent_by("vo"))
    shop.barrier("vi")
    assert len(shop.runs(j, "vi")) == 1
    got = [item_of(q) for q in shop.receiver.snapshot() if sent_by("vi")(q)]
    assert [g["custom_params"] for g in got] == [{"n": 1}], got
    assert len(shop.messages("first visit")) == 2


def test_reentry_after_exit_starts_again_once_the_run_ended(shop):
    j = shop.journey({"name": "membership", "reentry": "afterExit", "nodes": [
        {"id": "start", "type": "trigger", "activity": "join", "next": "wait"},
        {"id": "wait", "type": "waitFor", "activity": "leave", "within": "1m",
         "matched": "hook", "timedOut": "done"},
        {"id": "hook", "type": "webhook", "endpointId": shop.ep, "next": "done"},
        {"id": "done", "type": "exit"}]})
    shop.act("join", "mo", {"n": 1})
    first = shop.wait_waiting(j, "mo", "wait")
    shop.act("join", "mo", {"n": 2})  # still waiting: no second run
    shop.barrier("mo")
    assert [r["id"] for r in shop.runs(j, "mo")] == [first["id"]]
    shop.act("leave", "mo")
    shop.receiver.wait_for(1, 15, sent_by("mo"))
    shop.wait_ended(j, "mo")
    shop.act("join", "mo", {"n": 3})  # the first one ended: a new run
    runs = shop.wait_runs(j, "mo", lambda rs: len(rs) == 2, "two runs")
    assert runs[0]["id"] == first["id"] and runs[0]["status"] == "ended", runs
    assert runs[1]["status"] == "waiting" and runs[1]["node"] == "wait", runs
    assert iso_seconds(runs[0]["createdAt"]) <= iso_seconds(runs[1]["createdAt"]), runs
    shop.act("leave", "mo")
    got = shop.receiver.wait_for(2, 15, sent_by("mo"))
    assert {item_of(q)["msgid"] for q in got} == {r["id"] for r in runs}, got
    shop.barrier("mo")
    assert len(shop.messages("membership")) == 2


def test_reentry_per_key_starts_one_run_per_value_of_the_key(shop):
    j = shop.journey({"name": "per search", "reentry": "perKey", "correlationKey": "searchId",
                      "nodes": [
        {"id": "start", "type": "trigger", "activity": "search", "next": "hook"},
        {"id": "hook", "type": "webhook", "endpointId": shop.ep, "params": ["searchId"]}]})
    for sid in ("s1", "s1", "s2", "s1"):
        shop.act("search", "pk", {"searchId": sid})
    shop.barrier("pk")
    got = shop.receiver.wait_for(2, 15, sent_by("pk"))
    assert sorted(item_of(q)["custom_params"]["searchId"] for q in got) == ["s1", "s2"]
    assert len(shop.runs(j, "pk")) == 2
    assert len(shop.messages("per search")) == 2


# ---- 7. pause ----------------------------------------------------------------------------------


def answer_journey(ep: str, within: str) -> dict:
    return {"name": "answer", "nodes": [
        {"id": "start", "type": "trigger", "activity": "ask", "next": "wait"},
        {"id": "wait", "type": "waitFor", "activity": "answer", "within": within,
         "matched": "yes", "timedOut": "no"},
        {"id": "yes", "type": "webhook", "endpointId": ep, "name": "answered", "next": "end"},
        {"id": "no", "type": "webhook", "endpointId": ep, "name": "timed out", "next": "end"},
        {"id": "end", "type": "exit"}]}


def test_pause_holds_activities_and_resume_applies_them_in_order(shop):
    j = shop.journey(answer_journey(shop.ep, "6s"))
    shop.act("ask", "pia")
    shop.wait_waiting(j, "pia", "wait")
    shop.pause(j)
    shop.act("answer", "pia", {"choice": "yes"})
    shop.act("answer", "pia", {"choice": "second"})  # held too, applied after the first
    shop.act("ask", "newcomer")  # no one enters a paused journey
    shop.barrier("pia")
    shop.barrier("newcomer")
    [run] = shop.runs(j, "pia")
    assert run["status"] == "waiting" and run["node"] == "wait", f"moved while paused: {run}"
    assert shop.messages("answer") == [] and not any(
        sent_by(journey_name="answer")(q) for q in shop.receiver.snapshot())
    assert shop.runs(j, "newcomer") == []

    shop.resume(j)
    [q] = shop.receiver.wait_for(1, 15, sent_by("pia"))
    _, item = netcore(q.body)
    assert item["webhook_name"] == "answered" and item["event"] == "answer", item
    assert item["event_params"]["choice"] == "yes", f"not applied in order: {item}"
    wait_runs_ended_through(shop, j, "pia", ["start", "wait", "yes", "end"])
    shop.barrier("newcomer")
    assert shop.runs(j, "newcomer") == [], "a trigger seen while paused started a run later"
    shop.barrier("pia")
    assert len(shop.messages("answer")) == 1


def test_a_timer_due_during_a_pause_fires_after_resume_not_during_it(shop):
    j = shop.journey(answer_journey(shop.ep, "2s"))
    shop.act("ask", "tim")
    run = shop.wait_waiting(j, "tim", "wait")
    shop.pause(j)
    wake = iso_seconds(run["wakeAt"])
    assert time.time() < wake - 0.3, "the test paused too late to mean anything"
    stays_quiet(shop.receiver, sent_by("tim"), wake + 1.5, "webhook while paused")
    [run] = shop.runs(j, "tim")
    assert run["status"] == "waiting" and run["node"] == "wait", f"moved while paused: {run}"
    assert shop.messages("answer") == []

    resumed = time.time()
    shop.resume(j)
    [q] = shop.receiver.wait_for(1, 15, sent_by("tim"))
    assert q.wall >= resumed, "fired before the resume"
    _, item = netcore(q.body)
    assert item["webhook_name"] == "timed out" and item["event"] == "ask", item
    wait_runs_ended_through(shop, j, "tim", ["start", "wait", "no", "end"])
    count_stays(shop.receiver, sent_by("tim"), 1, time.time() + 1.0, "one webhook")


# ---- 8. stats and the waiting list --------------------------------------------------------------


def test_stats_and_the_waiting_list_with_paging(shop, make_receiver):
    failing = make_receiver(Reply(503, body=b"down"))
    failing_ep = shop.api.create_endpoint(shop.app, failing.url())["id"]
    j = shop.journey({"name": "stats", "nodes": [
        {"id": "start", "type": "trigger", "activity": "enter", "next": "tier"},
        {"id": "tier", "type": "condition", "on": "trigger", "filter": {"tier": "gold"},
         "then": "vip", "else": "wait"},
        {"id": "vip", "type": "waitFor", "activity": "leave", "within": "1m",
         "matched": "done", "timedOut": "done"},
        {"id": "wait", "type": "waitFor", "activity": "leave", "within": "1m",
         "matched": "hook", "timedOut": "done"},
        {"id": "hook", "type": "webhook", "endpointId": shop.ep, "next": "bad"},
        {"id": "bad", "type": "webhook", "endpointId": failing_ep, "next": "done"},
        {"id": "done", "type": "exit"}]})
    basic = [f"s{i}" for i in range(5)]
    shop.act_batch([{"name": "enter", "contact": k, "params": {"tier": "basic"}} for k in basic]
                   + [{"name": "enter", "contact": "g0", "params": {"tier": "gold"}}])
    shop.act_batch([{"name": "leave", "contact": k} for k in basic[:2]])

    # 6 entered, 2 left through both webhooks (one endpoint answers 200, the other 503 until
    # the retries run out: failed for good), 3 wait at "wait" and 1 at "vip".
    shop.wait_stats(j, {"entered": 6, "waiting": {"wait": 3, "vip": 1}, "exited": {"done": 2},
                        "webhooks": {"hook": {"sent": 2}, "bad": {"failed": 2}}})
    stats = shop.stats(j)
    assert stats["journeyId"] == j and [v["version"] for v in stats["versions"]] == [1], stats
    assert failing.count() == 2 * 4, "each failed webhook had its four attempts"

    pages = shop.waiting_pages(j, 2, node="wait")
    assert [len(p["data"]) for p in pages] == [2, 1], pages
    assert pages[0]["done"] is False and pages[-1]["done"] is True, pages
    for key in ("iterator", "prevIterator", "done"):
        assert key in pages[0], pages[0]
    runs = [r for p in pages for r in p["data"]]
    assert sorted(r["contactKey"] for r in runs) == basic[2:], runs
    assert len({r["id"] for r in runs}) == 3, runs
    for r in runs:
        assert r["status"] == "waiting" and r["node"] == "wait" and r["version"] == 1, r
        assert iso_seconds(r["wakeAt"]) > time.time() + 30, r
        assert path_nodes(r) == ["start", "tier", "wait"], r
    assert [r["contactKey"] for r in shop.waiting(j, "vip")] == ["g0"]
    assert sorted(r["contactKey"] for r in shop.waiting(j)) == sorted(basic[2:] + ["g0"])
    assert shop.waiting(j, "done") == []


def test_runs_finish_on_the_version_they_entered(shop):
    v1 = {"name": "versions", "nodes": [
        {"id": "start", "type": "trigger", "activity": "go", "next": "wait"},
        {"id": "wait", "type": "waitFor", "activity": "never", "within": "2s",
         "matched": "done", "timedOut": "hook"},
        {"id": "hook", "type": "webhook", "endpointId": shop.ep, "name": "v1", "next": "done"},
        {"id": "done", "type": "exit"}]}
    j = shop.journey(v1)
    shop.act("go", "old")
    shop.wait_waiting(j, "old", "wait")
    v2 = copy.deepcopy(v1)
    v2["nodes"][2]["name"] = "v2"
    r = shop.api.put(shop.journey_url(j), {"definition": v2})
    assert r.status_code == 200 and r.json()["version"] == 2, r.text
    shop.act("go", "new")
    assert shop.wait_waiting(j, "new", "wait")["version"] == 2
    for key, name in (("old", "v1"), ("new", "v2")):
        [q] = shop.receiver.wait_for(1, 15, sent_by(key))
        assert item_of(q)["webhook_name"] == name, item_of(q)
        assert shop.wait_ended(j, key)["version"] == int(name[1])
    for version in (1, 2):
        shop.wait_stats(j, {"entered": 1, "waiting": {}, "exited": {"done": 1},
                            "webhooks": {"hook": {"sent": 1}}}, version=version)


# ---- 9. kill -9 ----------------------------------------------------------------------------------


def timer_journey(ep: str, within: str) -> dict:
    return {"name": "timers", "nodes": [
        {"id": "start", "type": "trigger", "activity": "tick", "next": "wait"},
        {"id": "wait", "type": "waitFor", "activity": "tock", "within": within,
         "matched": "end", "timedOut": "hook"},
        {"id": "hook", "type": "webhook", "endpointId": ep, "params": ["i"], "next": "end"},
        {"id": "end", "type": "exit"}]}


def wait_distinct(receiver, n: int, timeout: float) -> list[Received]:
    def enough():
        got = [q for q in receiver.snapshot() if item_of(q) is not None]
        return got if len(webhook_ids_by_msgid(got)) >= n else None
    try:
        return wait_until(enough, timeout, 0.2, f"{n} distinct runs' webhooks")
    except AssertionError:
        got = [q for q in receiver.snapshot() if item_of(q)]
        raise AssertionError(f"{len(webhook_ids_by_msgid(got))} distinct runs' webhooks of {n} "
                             f"in {timeout}s ({len(got)} requests)") from None


def enter_many(shop: Shop, j: str, n: int, waiting: bool) -> float:
    """n contacts (k000, k001, ...) enter the timer journey in one batch; returns when the batch
    was posted, once all n runs have started (and, with `waiting`, all n wait)."""
    before = time.time()
    shop.act_batch([{"name": "tick", "contact": f"k{i:03d}", "params": {"i": i}}
                    for i in range(n)])
    if waiting:
        wait_until(lambda: shop.version_stats(j)["waiting"].get("wait") == n, 15, 0.05,
                   f"{n} runs waiting")
    else:
        wait_until(lambda: shop.version_stats(j)["entered"] == n, 15, 0.05, f"{n} runs started")
    return before


def run_ids(shop: Shop, j: str, n: int) -> set[str]:
    """The run ids of k000...: one run each."""
    ids = set()
    for i in range(n):
        [run] = shop.runs(j, f"k{i:03d}")
        ids.add(run["id"])
    assert len(ids) == n
    return ids


@pytest.mark.timeout_s(150)
def test_timers_waiting_at_a_kill_9_fire_once_after_the_restart(hookd, shop):
    within = 4.0
    j = shop.journey(timer_journey(shop.ep, "4s"))
    before = enter_many(shop, j, 20, waiting=True)
    hookd.kill9()
    assert time.time() < before + within - 0.5, "the kill came too late to mean anything"
    assert shop.receiver.count() == 0
    hookd.start()
    shop.api = hookd.api()

    got = wait_distinct(shop.receiver, 20, 30)
    for q in got:
        assert q.wall >= before + within - 0.02, "a timer fired before its deadline"
    time.sleep(1.5)  # anything more would come now
    got = shop.receiver.snapshot()
    assert_each_run_sent_once(got, run_ids(shop, j, 20))
    assert {item_of(q)["event_params"]["foreignkey"] for q in got} == {
        f"k{i:03d}" for i in range(20)}
    msgs = shop.messages("timers")
    assert len(msgs) == 20 and len({m["eventId"] for m in msgs}) == 20, msgs
    shop.wait_stats(j, {"entered": 20, "waiting": {}, "exited": {"end": 20},
                        "webhooks": {"hook": {"sent": 20}}})


@pytest.mark.timeout_s(180)
def test_a_kill_9_while_timers_fire_sends_each_webhook_once(hookd, shop):
    n = 200
    j = shop.journey(timer_journey(shop.ep, "2s"))
    shop.receiver.default = Reply(200, delay=0.05)  # spread the deliveries out a little
    enter_many(shop, j, n, waiting=False)
    shop.receiver.wait_for(1, 20)  # the first timers have fired
    hookd.kill9()
    delivered = len(webhook_ids_by_msgid(shop.receiver.snapshot()))
    print(f"\n{delivered} of {n} runs delivered before kill -9")
    hookd.start()
    shop.api = hookd.api()

    wait_distinct(shop.receiver, n, 60)
    time.sleep(2.0)  # anything more (a second message for a run) would come now
    got = shop.receiver.snapshot()
    assert_each_run_sent_once(got, run_ids(shop, j, n))
    assert {item_of(q)["event_params"]["foreignkey"] for q in got} == {
        f"k{i:03d}" for i in range(n)}
    msgs = shop.messages("timers")
    assert len(msgs) == n and len({m["eventId"] for m in msgs}) == n, (
        f"{len(msgs)} messages, {len({m['eventId'] for m in msgs})} distinct eventIds")
    shop.wait_stats(j, {"entered": n, "waiting": {}, "exited": {"end": n},
                        "webhooks": {"hook": {"sent": n}}})
