"""The store under faults (docs/failures.md, "When the store fails"; docs/inbound.md): a full
disk pauses deliveries instead of re-sending them and recovers when space returns; refused
inbound requests keep a bounded sample; a damaged index of pending deliveries shows in /health."""

from __future__ import annotations

import collections
import os
import re
import sqlite3
import subprocess
import time

import pytest
import requests

from hookd_support import HookdServer, Reply, wait_until

pytestmark = pytest.mark.sqlite_only  # reads or damages hookd.db itself

# ---- helpers -------------------------------------------------------------------------------


def _metric(srv, name: str) -> int:
    text = requests.get(srv.base_url + "/metrics", timeout=5).text
    m = re.search(rf"^{name} (\d+)", text, re.MULTILINE)
    assert m, f"{name} not in /metrics:\n{text}"
    return int(m.group(1))


def _health(srv) -> requests.Response:
    return requests.get(srv.base_url + "/health", timeout=5)


def _per_message(receiver) -> collections.Counter:
    return collections.Counter(r.headers.get("webhook-id") for r in receiver.snapshot())


def _fill(path) -> None:
    """Writes zeros to `path` until the file system has no byte left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 512, 1):
            chunk = b"\0" * size
            try:
                while True:
                    os.write(fd, chunk)
            except OSError:
                pass
    finally:
        os.close(fd)


@pytest.fixture
def small_disk(tmp_path):
    """A 8 MiB tmpfs, unmounted at teardown (after the servers using it have stopped)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or r.returncode}); "
                    "the full-disk test needs root and permission to mount")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], capture_output=True)


class _AnswersAtAll(HookdServer):
    """A server counted as started once it answers /metrics, whatever /health says."""

    def wait_ready(self, timeout: float) -> None:
        def answers():
            if self.proc.poll() is not None:
                raise AssertionError(f"hookd exited with {self.proc.returncode}:\n"
                                     f"{self.log_tail()}")
            try:
                return requests.get(self.base_url + "/metrics", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        wait_until(answers, timeout, what="hookd to answer /metrics")


# ---- a full disk ---------------------------------------------------------------------------


@pytest.mark.timeout_s(150)
def test_full_disk_pauses_deliveries_and_recovers(small_disk, hookd_factory, make_receiver):
    receiver = make_receiver(Reply(200, delay=2.0))  # every delivery in flight when the disk fills
    srv = hookd_factory(data_dir=small_disk / "data",
                        env={"HOOKD_ENDPOINT_MAX_IN_FLIGHT": "200"})
    api = srv.api()
    app, spare = api.create_app()["id"], api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())["id"]
    sent = [api.send(app, et, {"n": i})["id"] for i in range(100)]
    receiver.wait_for(100, timeout=20)

    _fill(small_disk / "filler")
    # Large messages to an application without endpoints, until the store refuses one.
    for _ in range(200):
        r = api.post(f"/api/v1/app/{spare}/msg", {"eventType": et, "payload": {"pad": "x" * 300_000}})
        if r.status_code == 503:
            break
        assert r.status_code == 202, (r.status_code, r.text)
    else:
        pytest.fail("the store accepted 200 large messages on a full disk")

    # The deliveries in flight end now; their outcomes cannot be recorded.
    passes_before = _metric(srv, "hookd_loader_passes_total")
    time.sleep(10)
    counts = _per_message(receiver)
    assert max(counts[m] for m in sent) <= 2, (
        f"deliveries re-sent while the store refuses writes: {sum(counts.values())} requests for "
        f"{len(sent)} messages, up to {max(counts.values())} per message")
    passes_after = _metric(srv, "hookd_loader_passes_total")
    assert passes_after == passes_before, (
        f"the loader kept reading the store: {passes_after - passes_before} passes in 10 s")
    h = _health(srv)
    assert h.status_code == 503, (h.status_code, h.text)
    body = h.json()
    assert body["status"] == "degraded", body
    assert any(r.startswith("store writer: ") for r in body["reasons"]), body

    # Space returns: the store accepts writes again, and the pending deliveries complete.
    receiver.default = Reply(200)
    os.unlink(small_disk / "filler")
    wait_until(lambda: _health(srv).status_code == 204, 15, 0.2, "/health 204 after space returned")
    late = api.send(app, et, {"n": "late"})["id"]
    sent.append(late)

    def all_delivered():
        return all(api.delivery_status(app, m, ep) == 0 for m in sent)
    wait_until(all_delivered, 30, 0.5, "every delivery recorded as a success")
    counts = _per_message(receiver)
    assert all(1 <= counts[m] <= 2 for m in sent), {m: counts[m] for m in sent if counts[m] != 1}
    assert counts[late] == 1, counts[late]
    assert srv.alive()


# ---- refused inbound requests ----------------------------------------------------------------


@pytest.mark.timeout_s(150)
def test_rejections_keep_a_capped_sample_and_count_them_all(hookd_factory):
    srv = hookd_factory()
    api = srv.api()
    app = api.create_app()["id"]
    r = api.post(f"/api/v1/app/{app}/source", {"name": "flooded", "kind": "skalin"})
    assert r.status_code == 201, r.text
    src = r.json()
    path = f"/api/v1/app/{app}/source/{src['id']}/rejection"

    session = requests.Session()
    url = f"{srv.base_url}/webhook/{src['webhookId']}"
    for i in range(3000):
        # Two reasons: a wrong client id, and none at all.
        params = {"client_id": "wrong-client-id-0000"} if i % 3 else {}
        assert session.post(url, params=params, data=b"{}", timeout=10).status_code == 401
    session.close()

    def settled():
        # Every refusal written: counted, or (without counters) stored.
        total = api.get(path, params={"limit": 1}).json().get("totalCount")
        return total == 3000 or len(api.list_all(path)) >= 3000
    wait_until(settled, 15, 0.2, "3000 rejections written")
    rows = api.list_all(path)
    assert len(rows) == 1000, f"{len(rows)} rejection rows kept for 3000 refusals"
    ids = [row["id"] for row in rows]
    assert ids == sorted(ids, reverse=True), "newest first"
    body = api.get(path, params={"limit": 1}).json()
    assert body["totalCount"] == 3000, body
    reasons = {c["reason"]: c["count"] for c in body["reasons"]}
    assert reasons == {"client_id: does not match this webhook": 2000,
                       "client_id: required as a query parameter": 1000}, body["reasons"]
    assert _metric(srv, "hookd_inbound_rejections_total") == 3000

    srv.stop()
    db = sqlite3.connect(srv.data_dir / "hookd.db")
    try:
        (stored,) = db.execute("SELECT count(*) FROM inbound_rejections WHERE source_id = ?",
                               (src["id"],)).fetchone()
    finally:
        db.close()
    assert stored == 1000, f"{stored} rows in inbound_rejections"


# ---- a damaged index -----------------------------------------------------------------------


def _clobber_index(db_path, index: str) -> None:
    db = sqlite3.connect(db_path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE type = 'index' AND name = ?",
                             (index,)).fetchone()
        (page_size,) = db.execute("PRAGMA page_size").fetchone()
    finally:
        db.close()
    with open(db_path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\0" * page_size)  # page type 0: not a B-tree page


def test_damaged_pending_index_shows_in_health(tmp_path, hookd_factory, receiver):
    srv = hookd_factory()
    api = srv.api()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, receiver.url())
    api.send(app, et, {"n": 1})
    receiver.wait_for(1)
    srv.stop()
    _clobber_index(srv.data_dir / "hookd.db", "deliveries_pending")

    damaged = _AnswersAtAll(srv.data_dir, token=srv.token, log_path=tmp_path / "damaged.log")
    try:
        damaged.start()
        passes = _metric(damaged, "hookd_loader_passes_total")
        wait_until(lambda: _metric(damaged, "hookd_loader_passes_total") >= passes + 2, 10, 0.2,
                   "two more loader passes")
        h = _health(damaged)
        assert h.status_code == 503, f"/health answered {h.status_code} while the loader fails"
        body = h.json()
        assert body["status"] == "degraded", body
        loader = [r for r in body["reasons"] if r.startswith("loader: ")]
        assert loader and "malformed" in loader[0], body
    finally:
        damaged.stop()
