"""Cluster mode: three hookd nodes on one PostgreSQL database (docs/cluster.md), with messages
spread over all of them, under the faults a cluster must survive: a node killed with SIGKILL, a
node paused past its claims' lease, the database restarted. Every acknowledged message must
reach the receiver; no outcome of a claim that was taken over may be recorded. Runs when the
suite runs on PostgreSQL (scripts/test.sh); skipped otherwise."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from hookd_support import (TEST_POSTGRES, Reply, metric_value, postgres_database_for,
                           wait_until)

pytestmark = pytest.mark.skipif(not TEST_POSTGRES, reason="needs the test PostgreSQL server")

LEASE_S = 6
CLUSTER_ENV = {
    "HOOKD_REQUEST_TIMEOUT_MS": "1000",
    "HOOKD_CONNECT_TIMEOUT_MS": "500",
    "HOOKD_CLAIM_LEASE": f"{LEASE_S}s",
    "HOOKD_POLL_INTERVAL": "500ms",
    "HOOKD_HEARTBEAT_INTERVAL": "500ms",
}
PG_DIR = os.environ.get("HOOKD_TEST_POSTGRES_DIR", "")
PG_PORT = os.environ.get("HOOKD_TEST_POSTGRES_PORT", "")
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres.sh"


class Cluster:
    """Three nodes sharing one database and one admin token."""

    def __init__(self, hookd_factory, tmp_path: Path, nodes: int = 3, **env: str):
        self.url = postgres_database_for(tmp_path / "cluster-db")
        self.token = "cluster-" + os.urandom(8).hex()
        self.nodes = [
            hookd_factory(data_dir=tmp_path / f"node{i}", token=self.token,
                          env={**CLUSTER_ENV, "HOOKD_DATABASE_URL": self.url,
                               "HOOKD_NODE_ID": f"node-{i}", **env})
            for i in range(nodes)]
        self.apis = [n.api() for n in self.nodes]

    def psql(self, sql: str) -> str:
        r = subprocess.run(["psql", "-qAt", self.url, "-c", sql], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def setup(self, receiver_url: str, **endpoint) -> tuple[str, str]:
        # Every node sees all three alive, so they agree on who owns the endpoint.
        for api in self.apis:
            wait_until(lambda a=api: metric_value(a.get("/metrics").text, "hookd_cluster_nodes")
                       == len(self.nodes), 10, what="every node alive in every node's view")
        api = self.apis[0]
        app = api.create_app("cluster")["id"]
        et = api.create_event_type()["name"]
        self.endpoint = api.create_endpoint(app, receiver_url, **endpoint)["id"]
        # Every node routes to the endpoint before the test posts through it.
        for other in self.apis[1:]:
            # 404 until the node has loaded the application, then its endpoints
            wait_until(lambda o=other: o.get(f"/api/v1/app/{app}/endpoint").json().get("data"),
                       5, what="the endpoint known to every node")
        return app, et

    def owner(self) -> int:
        """The index of the node that owns the endpoint: rendezvous hashing over the node ids,
        as docs/cluster.md describes it."""
        ids = [f"node-{i}" for i in range(len(self.nodes))]
        best = max(ids, key=lambda n: hashlib.sha256(f"{n} {self.endpoint}".encode()).digest())
        return ids.index(best)

    def wait_all_settled(self, timeout: float) -> None:
        """Every stored delivery succeeded (also those of messages a killed node committed
        without acknowledging them)."""
        wait_until(lambda: self.psql("SELECT count(*) FROM deliveries WHERE status <> 0") == "0",
                   timeout, interval=0.5, what="every stored delivery sent")

    def double_successes(self) -> str:
        """Deliveries with more than one successful attempt recorded: a stale outcome."""
        return self.psql("SELECT msg_id || ' ' || endpoint_id FROM attempts WHERE status = 0 "
                         "GROUP BY msg_id, endpoint_id HAVING count(*) > 1 LIMIT 5")


def post_spread(cluster: Cluster, app: str, et: str, count: int, accepted: dict[str, int],
                stop: threading.Event, alive=lambda i: True) -> None:
    """Posts `count` messages round-robin over the nodes that are up; records the 202s."""
    for i in range(count):
        if stop.is_set():
            return
        node = i % len(cluster.apis)
        if not alive(node):
            node = next(n for n in range(len(cluster.apis)) if alive(n))
        try:
            r = cluster.apis[node].post(f"/api/v1/app/{app}/msg",
                                        {"eventType": et, "payload": {"i": i}}, timeout=5)
        except Exception:  # a node killed mid-request: that message was never acknowledged
            continue
        if r.status_code == 202:
            accepted[r.json()["id"]] = node


def arrived(receiver, ids) -> set[str]:
    got = {r.headers.get("webhook-id") for r in receiver.snapshot()}
    return set(ids) & got


def duplicates(receiver) -> int:
    counts = Counter(r.headers.get("webhook-id") for r in receiver.snapshot())
    return sum(c - 1 for c in counts.values() if c > 1)


@pytest.mark.timeout_s(150)
def test_a_node_killed_mid_stream_loses_nothing(hookd_factory, make_receiver, tmp_path):
    receiver = make_receiver(Reply(200, delay=0.02))
    cluster = Cluster(hookd_factory, tmp_path)
    app, et = cluster.setup(receiver.url("/kill"))
    accepted: dict[str, int] = {}
    dead: set[int] = set()
    stop = threading.Event()
    poster = threading.Thread(target=post_spread,
                              args=(cluster, app, et, 3000, accepted, stop, lambda n: n not in dead))
    victim = cluster.owner()  # the node sending to the endpoint
    poster.start()
    wait_until(lambda: len(accepted) >= 1000, 30, what="1000 messages accepted")
    cluster.nodes[victim].kill9()
    dead.add(victim)
    killed_at = time.monotonic()
    poster.join(90)
    stop.set()
    from_dead = [m for m, n in accepted.items() if n == victim]
    assert from_dead, "the killed node had accepted messages"
    wait_until(lambda: len(arrived(receiver, accepted)) == len(accepted), LEASE_S + 40,
               interval=0.5, what="every acknowledged message delivered")
    took = time.monotonic() - killed_at
    print(f"{len(accepted)} accepted ({len(from_dead)} by the killed node), all delivered "
          f"{took:.1f}s after the kill; {duplicates(receiver)} duplicate receipts")
    cluster.wait_all_settled(LEASE_S + 20)
    assert cluster.double_successes() == ""


@pytest.mark.timeout_s(150)
def test_a_node_paused_past_its_lease_records_no_stale_outcome(hookd_factory, make_receiver,
                                                                tmp_path):
    receiver = make_receiver(Reply(200, delay=0.05))
    cluster = Cluster(hookd_factory, tmp_path)
    app, et = cluster.setup(receiver.url("/pause"))
    accepted: dict[str, int] = {}
    stop = threading.Event()
    victim = cluster.owner()
    paused = cluster.nodes[victim]
    poster = threading.Thread(target=post_spread,
                              args=(cluster, app, et, 1500, accepted, stop, lambda n: n != victim))
    poster.start()
    wait_until(lambda: len(accepted) >= 300, 30, what="300 messages accepted")
    before_pause = len(accepted)
    os.kill(paused.proc.pid, signal.SIGSTOP)
    try:
        time.sleep(LEASE_S + 4)
    finally:
        os.kill(paused.proc.pid, signal.SIGCONT)
    poster.join(90)
    stop.set()
    wait_until(lambda: len(arrived(receiver, accepted)) == len(accepted), 60, interval=0.5,
               what="every acknowledged message delivered")
    cluster.wait_all_settled(LEASE_S + 20)
    # Let the woken node finish whatever it still held before looking at the records.
    time.sleep(3)
    assert cluster.double_successes() == "", "an outcome under a taken-over claim was recorded"
    # Until the pause every message went to a node that did not own the endpoint, so those
    # deliveries were inserted unclaimed and reached a sender through a claim. (Once the paused
    # node counts as gone, the endpoint's new owner may be the node posted to.)
    texts = [n.api().get("/metrics").text for n in cluster.nodes]
    claimed = sum(metric_value(t, "hookd_deliveries_claimed_total") for t in texts)
    claims = sum(metric_value(t, "hookd_claim_duration_seconds_count") for t in texts)
    assert claimed >= before_pause, (claimed, before_pause)
    assert claims > 0
    metrics = texts[victim]
    print(f"{len(accepted)} accepted, {duplicates(receiver)} duplicate receipts; the paused "
          f"node: {[line for line in metrics.splitlines() if 'unclaimed_total ' in line]}")


def test_an_endpoint_change_on_one_node_reaches_the_others_within_a_second(
        hookd_factory, make_receiver, tmp_path):
    first, second = make_receiver(), make_receiver()
    cluster = Cluster(hookd_factory, tmp_path)
    app, et = cluster.setup(first.url("/a"))
    ep = cluster.apis[0].get(f"/api/v1/app/{app}/endpoint").json()["data"][0]["id"]
    r = cluster.apis[0].request("PATCH", f"/api/v1/app/{app}/endpoint/{ep}",
                                json_body={"url": second.url("/b")})
    assert r.status_code == 200, r.text
    changed_at = time.monotonic()
    for api in cluster.apis[1:]:
        wait_until(lambda a=api: a.get(f"/api/v1/app/{app}/endpoint/{ep}").json()["url"]
                   == second.url("/b"), 1.0, what="the new URL on another node")
    print(f"seen by both other nodes {time.monotonic() - changed_at:.3f}s after the change")
    msg = cluster.apis[2].send(app, et, {"after": "change"})["id"]
    second.wait_for(1, timeout=10, where=lambda r: r.headers.get("webhook-id") == msg)
    assert not first.by_webhook_id(msg)
    # Journeys are catalog objects too: one saved on a node is served by the others.
    journey = {"definition": {"name": "j", "nodes": [
        {"id": "start", "type": "trigger", "activity": "a", "next": "hook"},
        {"id": "hook", "type": "webhook", "endpointId": ep}]}}
    r = cluster.apis[1].post(f"/api/v1/app/{app}/journey", journey)
    assert r.status_code == 201, r.text
    for api in (cluster.apis[0], cluster.apis[2]):
        wait_until(lambda a=api: a.get(f"/api/v1/app/{app}/journey/{r.json()['id']}").status_code
                   == 200, 1.0, what="the journey on another node")


@pytest.mark.timeout_s(120)
def test_a_node_stopped_hands_back_what_it_held_without_waiting_for_the_lease(
        hookd_factory, make_receiver, tmp_path):
    receiver = make_receiver()
    cluster = Cluster(hookd_factory, tmp_path, HOOKD_CLAIM_LEASE="60s")
    app, et = cluster.setup(receiver.url("/stop"), rateLimit=50)
    victim = cluster.owner()
    accepted: dict[str, int] = {}
    post_spread(cluster, app, et, 400, accepted, threading.Event())
    assert len(accepted) == 400
    receiver.wait_for(40, timeout=10)
    cluster.nodes[victim].stop()
    stopped_at = time.monotonic()
    left = len(accepted) - len(arrived(receiver, accepted))
    assert left > 100, f"only {left} left when the owner stopped: the test proves nothing"
    wait_until(lambda: len(arrived(receiver, accepted)) == len(accepted), 30, interval=0.5,
               what="the stopped node's deliveries sent by the others before its lease ends")
    print(f"{left} left at the stop, all delivered {time.monotonic() - stopped_at:.1f}s after it "
          f"(lease 60s)")


@pytest.mark.timeout_s(120)
def test_an_endpoints_rate_limit_holds_for_the_cluster(hookd_factory, make_receiver, tmp_path):
    rate = 20
    receiver = make_receiver()
    cluster = Cluster(hookd_factory, tmp_path)
    app, et = cluster.setup(receiver.url("/rate"), rateLimit=rate)
    for api in cluster.apis[1:]:
        wait_until(lambda a=api: a.get(f"/api/v1/app/{app}/endpoint/{cluster.endpoint}")
                   .json().get("rateLimit") == rate, 2, what="the rate limit on every node")
    accepted: dict[str, int] = {}
    post_spread(cluster, app, et, 240, accepted, threading.Event())
    assert len(accepted) == 240
    got = receiver.wait_for(240, timeout=60)
    times = sorted(r.time for r in got)
    # After the first second's burst, the receive rate over the rest is the limit's, not three.
    span = times[-1] - times[rate]
    measured = (len(times) - rate - 1) / span
    unclaimed = [metric_value(a.get("/metrics").text, "hookd_deliveries_unclaimed_total")
                 for a in cluster.apis]
    print(f"received {len(times)} in {times[-1] - times[0]:.1f}s: {measured:.1f}/s for a limit "
          f"of {rate}/s on three nodes (owner node-{cluster.owner()}; jobs unclaimed: "
          f"{unclaimed})")
    assert measured <= rate * 1.25, f"{measured:.1f}/s exceeds the endpoint's {rate}/s"
    assert measured >= rate * 0.6, f"{measured:.1f}/s: far under the limit"


@pytest.mark.timeout_s(150)
@pytest.mark.stops_postgres
@pytest.mark.skipif(not (PG_DIR and PG_PORT), reason="needs scripts/test.sh's server")
def test_a_database_restart_under_cluster_load_loses_nothing(hookd_factory, make_receiver,
                                                             tmp_path):
    receiver = make_receiver()
    cluster = Cluster(hookd_factory, tmp_path)
    app, et = cluster.setup(receiver.url("/pg"))
    accepted: dict[str, int] = {}
    stop = threading.Event()
    poster = threading.Thread(target=post_spread,
                              args=(cluster, app, et, 100_000, accepted, stop))
    poster.start()
    try:
        wait_until(lambda: len(accepted) >= 300, 30, what="messages accepted before the stop")
        subprocess.run([str(SCRIPT), "stop", PG_DIR], check=True, timeout=90, capture_output=True)
        for api in cluster.apis:
            assert api.get("/health").status_code == 503
        before = len(accepted)
        subprocess.run([str(SCRIPT), "start", PG_DIR, PG_PORT], check=True, timeout=90,
                       capture_output=True)
        wait_until(lambda: len(accepted) >= before + 300, 30,
                   what="messages accepted again once the database is back")
    finally:
        stop.set()
        poster.join(30)
        subprocess.run([str(SCRIPT), "start", PG_DIR, PG_PORT], timeout=90, capture_output=True)
    assert all(n.alive() for n in cluster.nodes), "a node exited instead of waiting"
    wait_until(lambda: len(arrived(receiver, accepted)) == len(accepted), 60, interval=0.5,
               what="every acknowledged message delivered")


@pytest.mark.timeout_s(120)
def test_journeys_run_once_for_the_cluster_in_the_order_activities_came(hookd_factory,
                                                                      make_receiver, tmp_path):
    """Activities of one contact reach different nodes and are applied in the order they came;
    deadlines fire once for the whole cluster, also after the leader (whose engine fires them)
    is killed."""
    receiver = make_receiver()
    cluster = Cluster(hookd_factory, tmp_path)
    app, _ = cluster.setup(receiver.url("/journey"))
    api = cluster.apis[0]
    ep = cluster.endpoint
    # "second" only counts after "first": a contact whose activities were applied out of order
    # would wait for a "second" that never comes.
    in_order = {"definition": {"name": "in order", "nodes": [
        {"id": "start", "type": "trigger", "activity": "first", "next": "wait"},
        {"id": "wait", "type": "waitFor", "activity": "second", "within": "1h",
         "matched": "hook", "timedOut": "end"},
        {"id": "hook", "type": "webhook", "endpointId": ep, "name": "in-order", "next": "end"},
        {"id": "end", "type": "exit"}]}}
    timer = {"definition": {"name": "timer", "nodes": [
        {"id": "start", "type": "trigger", "activity": "armed", "next": "wait"},
        {"id": "wait", "type": "delay", "duration": "4s", "next": "hook"},
        {"id": "hook", "type": "webhook", "endpointId": ep, "name": "timer"}]}}
    for body in (in_order, timer):
        assert api.post(f"/api/v1/app/{app}/journey", body).status_code == 201
    for other in cluster.apis[1:]:
        wait_until(lambda o=other: len(o.get(f"/api/v1/app/{app}/journey").json()["data"]) == 2,
                   5, what="the journeys on every node")
    contacts = [f"c{i}" for i in range(30)]
    for i, contact in enumerate(contacts):
        for step, name in enumerate(("first", "second")):
            node = cluster.apis[(i + step) % 3]  # the two activities reach different nodes
            r = node.post(f"/api/v1/app/{app}/activity", {"name": name, "contact": contact})
            assert r.status_code == 202, r.text
        r = cluster.apis[i % 3].post(f"/api/v1/app/{app}/activity",
                                     {"name": "armed", "contact": contact})
        assert r.status_code == 202, r.text
    leader = next(i for i, a in enumerate(cluster.apis)
                  if metric_value(a.get("/metrics").text, "hookd_cluster_leader") == 1)

    def names() -> Counter:
        out: Counter = Counter()
        for q in receiver.snapshot():
            if b"webhook_name" in q.body:
                item = next(iter(json.loads(q.body).values()))[0]
                out[(item["webhook_name"], item["event_params"]["foreignkey"],
                     q.headers.get("webhook-id"))] += 1
        return out

    wait_until(lambda: len({k[1] for k in names() if k[0] == "in-order"}) == len(contacts), 20,
               interval=0.2, what="every contact's in-order webhook")
    cluster.nodes[leader].kill9()  # before the 4 s timers are due
    wait_until(lambda: len({k[1] for k in names() if k[0] == "timer"}) == len(contacts), 40,
               interval=0.5, what="every timer fired by the next leader")
    time.sleep(2)
    seen = names()
    for kind in ("in-order", "timer"):
        per_contact = Counter(k[1] for k in seen if k[0] == kind)  # distinct messages
        assert set(per_contact) == set(contacts), (kind, per_contact)
        assert set(per_contact.values()) == {1}, (kind, per_contact)
