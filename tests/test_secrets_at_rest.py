"""Secrets at rest (docs/configuration.md, "Secrets at rest"): the data directory and every file
hookd keeps in it are private to its user, and with `secret_encryption_key` the endpoint
secrets, basic-auth passwords, signing keys and inbound source secrets are sealed (AES-256-GCM)
in the SQLite store."""

from __future__ import annotations

import base64
import os
import secrets
import stat
import subprocess
from pathlib import Path

import pytest

from hookd_support import DEFAULT_ENV, hookd_binary, verify_signature, wait_until

pytestmark = pytest.mark.sqlite_only  # reads or damages hookd.db itself


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _store_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("hookd.db*")))


KNOWN_SECRET = "whsec_" + base64.b64encode(b"known-secret-bytes-24-by").decode()
BASIC_PASSWORD = "basic-pa55word-at-rest"
SOURCE_SECRET = "source-hmac-secret-at-rest"


def _create_secrets(api, receiver):
    app = api.create_app()
    et = api.create_event_type()
    ep = api.create_endpoint(app["id"], receiver.url(), secret=KNOWN_SECRET,
                             basicAuth={"username": "ada", "password": BASIC_PASSWORD})
    signed = api.create_endpoint(app["id"], receiver.url("/ed"), signing={"type": "ed25519"})
    r = api.post(f"/api/v1/app/{app['id']}/source",
                 {"name": "s", "kind": "generic",
                  "verification": {"type": "hmac", "secret": SOURCE_SECRET,
                                   "header": "X-Sig"}})
    assert r.status_code == 201, r.text
    return app, et, ep, signed


def _assert_sealed(store: bytes):
    for plain in [KNOWN_SECRET, KNOWN_SECRET[len("whsec_"):], BASIC_PASSWORD, SOURCE_SECRET,
                  "PRIVATE KEY"]:
        assert plain.encode() not in store, f"{plain!r} is in the store in plain text"
    assert b"enc:v1:" in store


def test_the_data_directory_and_its_files_are_private(hookd_factory, tmp_path):
    data_dir = tmp_path / "fresh" / "data"  # hookd creates it
    srv = hookd_factory(env={**DEFAULT_ENV, "HOOKD_DATA_DIR": str(data_dir)},
                        data_dir=tmp_path / "fresh")
    srv.api().create_app()  # a write: the WAL and its index exist now
    assert _mode(data_dir) == 0o700
    for name in ["hookd.db", "hookd.db-wal", "hookd.db-shm"]:
        assert _mode(data_dir / name) == 0o600, f"{name}: {oct(_mode(data_dir / name))}"
    # The generated admin token too.
    srv = hookd_factory(token=None, data_dir=tmp_path / "generated")
    assert _mode(tmp_path / "generated" / "admin_token") == 0o600


def test_files_of_an_existing_data_directory_are_made_private(hookd_factory, tmp_path):
    data_dir = tmp_path / "old"
    srv = hookd_factory(data_dir=data_dir)
    srv.api().create_app()
    srv.stop()
    for p in data_dir.glob("hookd.db*"):
        p.chmod(0o644)
    srv.start()
    srv.api().create_app()
    for p in data_dir.glob("hookd.db*"):
        assert _mode(p) == 0o600, f"{p.name}: {oct(_mode(p))}"


def test_secrets_are_sealed_in_the_store_and_still_sign(hookd_factory, receiver, tmp_path):
    key = _key()
    data_dir = tmp_path / "sealed"
    env = {**DEFAULT_ENV, "HOOKD_SECRET_ENCRYPTION_KEY": key}
    srv = hookd_factory(env=env, data_dir=data_dir)
    app, et, ep, _ = _create_secrets(srv.api(), receiver)
    srv.stop()
    _assert_sealed(_store_bytes(data_dir))

    srv = hookd_factory(env=env, data_dir=data_dir)
    api = srv.api()
    assert api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/secret").json()["key"] == \
        KNOWN_SECRET
    msg = api.send(app["id"], et["name"], {"n": 1})
    got = receiver.wait_for(1, where=lambda r: r.path == "/hook")[0]
    assert got.headers["webhook-id"] == msg["id"]
    assert verify_signature(KNOWN_SECRET, got.headers, got.body)
    assert got.headers["authorization"] == "Basic " + base64.b64encode(
        f"ada:{BASIC_PASSWORD}".encode()).decode()
    srv.stop()

    # Without the key the sealed secrets cannot be read: hookd says so and does not start.
    r = subprocess.run([str(hookd_binary()), "serve"], capture_output=True, text=True, timeout=30,
                       env={**{k: v for k, v in os.environ.items() if not k.startswith("HOOKD_")},
                            "HOOKD_DATA_DIR": str(data_dir), "HOOKD_LISTEN": "127.0.0.1:0",
                            "HOOKD_ADMIN_TOKEN": "t" * 32})
    assert r.returncode != 0
    assert "secret_encryption_key" in r.stderr, r.stderr


def test_plain_rows_are_read_and_sealed_on_write_and_keys_rotate(hookd_factory, receiver, tmp_path):
    data_dir = tmp_path / "rotate"
    srv = hookd_factory(data_dir=data_dir)  # no key: plain text, as before a key was set
    app, et, ep, _ = _create_secrets(srv.api(), receiver)
    srv.stop()
    assert KNOWN_SECRET.encode() in _store_bytes(data_dir)

    old, new = _key(), _key()
    srv = hookd_factory(env={**DEFAULT_ENV, "HOOKD_SECRET_ENCRYPTION_KEY": old},
                        data_dir=data_dir)
    api = srv.api()
    r = api.patch(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}", {"description": "rewritten"})
    assert r.status_code == 200, r.text
    srv.stop()

    # Rotation: the new key writes, the old one still reads.
    srv = hookd_factory(env={**DEFAULT_ENV, "HOOKD_SECRET_ENCRYPTION_KEY": new,
                             "HOOKD_SECRET_ENCRYPTION_PREVIOUS_KEYS": old}, data_dir=data_dir)
    api = srv.api()
    msg = api.send(app["id"], et["name"], {"n": 2})
    got = receiver.wait_for(1, where=lambda r: r.headers.get("webhook-id") == msg["id"] and
                            r.path == "/hook")[0]
    assert verify_signature(KNOWN_SECRET, got.headers, got.body)


def test_a_bad_key_is_a_configuration_error(tmp_path):
    for value, what in [("c2hvcnQ=", "32 bytes"), ("not base64!", "base64")]:
        r = subprocess.run([str(hookd_binary()), "serve", "--data-dir", str(tmp_path / "d"),
                            "--secret-encryption-key", value], capture_output=True, text=True,
                           timeout=20)
        assert r.returncode == 2, r.stderr
        assert "secret_encryption_key:" in r.stderr and what in r.stderr, r.stderr
