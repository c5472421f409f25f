"""The dashboard in a real browser: tests/node/dashboard_e2e.mjs drives Debian's chromium
(through npm playwright-core) against this hookd and a receiver of its own, through every step
a person setting up a webhook takes (docs/dashboard.md). Screenshots of each screen at a laptop
and a phone width are written to build/ui-screenshots/ (HOOKD_UI_SCREENSHOTS elsewhere).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("HOOKD_CHROMIUM", "/usr/bin/chromium")


def test_the_dashboard_end_to_end_in_chromium(hookd, node_dir):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/install-deps.sh)")
    if not (node_dir / "node_modules" / "playwright-core").exists():
        pytest.fail("tests/node/node_modules/playwright-core is missing: run npm ci in tests/node")
    shots = Path(os.environ.get("HOOKD_UI_SCREENSHOTS", ROOT / "build" / "ui-screenshots"))
    shutil.rmtree(shots, ignore_errors=True)
    env = {**os.environ, "HOOKD_URL": hookd.base_url, "HOOKD_TOKEN": hookd.token,
           "SCREENSHOTS": str(shots), "CHROMIUM": CHROMIUM}
    r = subprocess.run(["node", "dashboard_e2e.mjs"], cwd=node_dir, env=env,
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n--- hookd log ---\n{hookd.log_tail(60)}"
    assert "steps passed" in r.stdout, r.stdout
    for screen in ("sign-in", "applications", "new-webhook", "webhook-tested", "delivery-log",
                   "recover", "webhooks", "signature-debugger", "event-catalogue", "operations", "inbound-source", "journey", "message", "webhooks-dark"):
        for width in ("wide", "narrow"):
            assert (shots / f"{screen}-{width}.png").stat().st_size > 1000, (screen, width)
