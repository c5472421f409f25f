"""The dashboard's pure functions (tests/node/dashboard_units.test.mjs, Node's own test runner):
metric parsing and quantiles, Copy as curl (run against a real server), header parsing, and
where a journey's error belongs."""

from __future__ import annotations

import subprocess


def test_the_dashboards_functions(node_dir):
    r = subprocess.run(["node", "--test", "dashboard_units.test.mjs"], cwd=node_dir,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "# fail 0" in r.stdout and "# pass 5" in r.stdout, r.stdout
