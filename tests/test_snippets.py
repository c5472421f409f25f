"""The verification snippets of docs/verify/ (Python, Node, PHP) run against real deliveries:
each accepts a delivery's signature and refuses a tampered body (the C# one is shown only: no
.NET on Debian's package list)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hookd_support import REPO

VERIFY = REPO / "docs" / "verify"
RUNNERS = {
    "python": ["/usr/bin/python3", str(VERIFY / "verify.py")],
    "node": ["node", str(VERIFY / "verify.mjs")],
    "php": ["php", str(VERIFY / "verify.php")],
}


@pytest.mark.parametrize("language", sorted(RUNNERS))
@pytest.mark.parametrize("fmt", ["json", "form"])
def test_snippet_verifies_a_real_delivery(api, receiver, tmp_path, language, fmt):
    runner = RUNNERS[language]
    assert shutil.which(runner[0]), f"{runner[0]} is not installed"
    app = api.create_app()
    et = api.create_event_type()
    ep = api.create_endpoint(app["id"], receiver.url("/v"), format=fmt)
    secret = api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/secret").json()["key"]
    api.send(app["id"], et["name"], {"name": "Ada Lovelace", "city": "Paris & Lyon", "n": 1.5})
    [got] = receiver.wait_for(1)
    body = tmp_path / "body"
    body.write_bytes(got.body)
    args = [secret, got.headers["webhook-id"], got.headers["webhook-timestamp"],
            got.headers["webhook-signature"], str(body)]
    ok = subprocess.run(runner + args, capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    body.write_bytes(got.body + b" ")
    tampered = subprocess.run(runner + args, capture_output=True, text=True, timeout=30)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
