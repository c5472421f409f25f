"""The PostgreSQL store under faults of its server: the database stopped under load and started
again. Runs when the suite runs on PostgreSQL and scripts/test.sh says where its server lives
(HOOKD_TEST_POSTGRES_DIR, HOOKD_TEST_POSTGRES_PORT); skipped otherwise."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from hookd_support import TEST_POSTGRES, wait_until

PG_DIR = os.environ.get("HOOKD_TEST_POSTGRES_DIR", "")
PG_PORT = os.environ.get("HOOKD_TEST_POSTGRES_PORT", "")
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres.sh"

pytestmark = pytest.mark.skipif(not (TEST_POSTGRES and PG_DIR and PG_PORT),
                                reason="needs the test PostgreSQL server (scripts/test.sh)")


def postgres(*args: str) -> None:
    subprocess.run([str(SCRIPT), *args], check=True, timeout=90, capture_output=True)


@pytest.fixture
def restart_postgres():
    """Stops the server; the test starts it again (and teardown makes sure it runs)."""
    yield lambda: postgres("start", PG_DIR, PG_PORT)
    subprocess.run([str(SCRIPT), "start", PG_DIR, PG_PORT], timeout=90, capture_output=True)

def post_until_stopped(api, app, et, accepted: list[str], refused: list[int],
                       stop: threading.Event) -> None:
    """Posts messages one by one until `stop`, recording the ids of the 202s and the codes of
    everything else."""
    i = 0
    while not stop.is_set():
        i += 1
        r = api.post(f"/api/v1/app/{app}/msg", {"eventType": et, "payload": {"i": i}})
        if r.status_code == 202:
            accepted.append(r.json()["id"])
        else:
            refused.append(r.status_code)
            time.sleep(0.02)


@pytest.mark.stops_postgres
def test_a_database_restart_under_load_loses_nothing_acknowledged(hookd, api, receiver,
                                                                   restart_postgres):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, receiver.url("/pg"))
    accepted: list[str] = []
    refused: list[int] = []
    stop = threading.Event()
    poster = threading.Thread(target=post_until_stopped,
                              args=(api, app, et, accepted, refused, stop))
    poster.start()
    try:
        wait_until(lambda: len(accepted) >= 50, 10, what="messages accepted before the stop")
        postgres("stop", PG_DIR)
        wait_until(lambda: len(refused) >= 5, 10, what="writes refused while the database is down")
        assert set(refused) == {503}, f"refused with {sorted(set(refused))}, not only 503"
        r = api.get("/health")
        assert r.status_code == 503 and r.json()["code"] == "store_unavailable", r.text
        r = api.get(f"/api/v1/app/{app}/msg")
        assert r.status_code == 503 and r.json()["code"] == "store_unavailable", r.text
        before = len(accepted)
        restart_postgres()
        wait_until(lambda: len(accepted) >= before + 50, 30,
                   what="messages accepted again once the database is back")
    finally:
        stop.set()
        poster.join(30)
    assert hookd.alive(), "hookd exited instead of waiting for its database"
    receiver.wait_for(len(set(accepted)), timeout=60,
                      where=lambda r: r.headers.get("webhook-id") in set(accepted))
    got = {r.headers.get("webhook-id") for r in receiver.snapshot()}
    assert set(accepted) <= got, f"{len(set(accepted) - got)} acknowledged messages never arrived"
    assert api.get("/health").status_code in (200, 204)
