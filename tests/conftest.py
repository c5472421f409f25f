"""Fixtures that run the real hookd binary and real webhook receivers on loopback.

Run: /usr/bin/python3 -m pytest -q tests        (HOOKD_BIN overrides <repo>/build/hookd)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import pytest

from hookd_support import NODE_DIR, Api, HookdServer, Receiver, Reply  # noqa: F401

DEFAULT_TEST_TIMEOUT_S = 90


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout_s(seconds): per-test time limit (default 90 s)")
    config.addinivalue_line("markers", "sqlite_only: reads or damages the SQLite file itself; "
                            "skipped when the suite runs on PostgreSQL (HOOKD_TEST_POSTGRES)")
    config.addinivalue_line("markers", "stops_postgres: stops the shared PostgreSQL server for a "
                            "while; scripts/test.sh runs these after the others, one at a time")


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("HOOKD_TEST_POSTGRES"):
        return
    skip = pytest.mark.skip(reason="SQLite store only (the suite runs on PostgreSQL)")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


# ---- per-test time limit (pytest-timeout is not a Debian dependency we rely on) ------------


class HookdTestTimeout(Exception):
    pass


@pytest.fixture(autouse=True)
def _time_limit(request):
    marker = request.node.get_closest_marker("timeout_s")
    limit = marker.args[0] if marker else DEFAULT_TEST_TIMEOUT_S

    def on_alarm(signum, frame):
        raise HookdTestTimeout(f"test exceeded its {limit}s limit")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ---- attach hookd's log to failing tests ---------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for i, srv in enumerate(getattr(item, "_hookd_servers", [])):
            rep.sections.append((f"hookd log #{i} (port {srv.port})", srv.log_tail(80)))


# ---- the server --------------------------------------------------------------------------


@pytest.fixture
def hookd_factory(request, tmp_path):
    """start(env=None, args=(), data_dir=None, token="default") -> a running HookdServer.

    Every server started through the factory is stopped (SIGTERM, then SIGKILL) at teardown,
    and a server that died during the test on its own fails the test.
    """
    servers: list[HookdServer] = []
    request.node._hookd_servers = servers
    counter = [0]

    def start(env=None, args=(), data_dir=None, token="default", ready_timeout=20.0):
        counter[0] += 1
        srv = HookdServer(data_dir or (tmp_path / f"data{counter[0]}"), env=env, args=args,
                          token=token, log_path=tmp_path / f"hookd{counter[0]}.log")
        servers.append(srv)
        srv.start(ready_timeout)
        return srv

    yield start

    died = []
    for srv in servers:
        if srv.proc is not None and srv.proc.poll() is not None and not srv.expected_exit:
            died.append(f"port {srv.port}: exit code {srv.proc.returncode}\n{srv.log_tail(40)}")
        srv.stop()
    if died:
        pytest.fail("hookd exited during the test:\n" + "\n".join(died), pytrace=False)


@pytest.fixture
def hookd(hookd_factory):
    """A fresh hookd with the test defaults (loopback allowed, 200ms x3 retries, no jitter)."""
    return hookd_factory()


@pytest.fixture
def api(hookd) -> Api:
    return hookd.api()


# ---- receivers ---------------------------------------------------------------------------


@pytest.fixture
def make_receiver():
    made: list[Receiver] = []

    def make(default=200) -> Receiver:
        r = Receiver(default)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture
def receiver(make_receiver) -> Receiver:
    return make_receiver()


# ---- node clients ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def node_dir():
    """tests/node with its npm dependencies installed (runs `npm ci` once when missing)."""
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH; the Node client tests need Node.js and npm")
    if not all((NODE_DIR / "node_modules" / m).exists()
               for m in ("standardwebhooks", "svix", "axios", "playwright-core")):
        if shutil.which("npm") is None:
            pytest.fail("tests/node/node_modules is missing and npm is not on PATH")
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            pytest.fail(f"npm ci failed in {NODE_DIR}:\n{r.stdout}\n{r.stderr}")
    return NODE_DIR


@pytest.fixture
def app_setup(api, receiver):
    """An application, an event type and one endpoint pointed at `receiver`."""
    app = api.create_app()
    et = api.create_event_type()
    ep = api.create_endpoint(app["id"], receiver.url())
    return app, et, ep


def pytest_report_header(config):
    from hookd_support import hookd_binary
    b = hookd_binary()
    return f"hookd binary: {b} ({'present' if b.exists() else 'MISSING'})"
