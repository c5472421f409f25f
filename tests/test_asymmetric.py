"""Asymmetric signatures (docs/endpoint-options.md): Ed25519 as Standard Webhooks v1a, checked by
the Node snippet; RSA-SHA256 in a header the owner names (Dialog Insight-style X-DI-Signature), checked by
OpenSSL's command line and by the PHP snippet with the downloaded PEM; the .NET XML key."""

from __future__ import annotations

import base64
import re
import subprocess

from hookd_support import REPO

VERIFY = REPO / "docs" / "verify"


def _setup(api, receiver, signing):
    app = api.create_app()
    et = api.create_event_type()
    ep = api.create_endpoint(app["id"], receiver.url("/a"), signing=signing)
    return app, et, ep


def test_ed25519_v1a_verified_by_the_node_snippet(api, receiver, tmp_path):
    app, et, ep = _setup(api, receiver, {"type": "ed25519"})
    public = ep["signing"]["publicKey"]
    assert public.startswith("whpk_") and len(base64.b64decode(public[5:])) == 32
    r = api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/public-key?format=whpk")
    assert r.status_code == 200 and r.text == public
    api.send(app["id"], et["name"], {"name": "Ada"})
    [got] = receiver.wait_for(1)
    assert got.headers["webhook-signature"].startswith("v1a,")
    body = tmp_path / "body"
    body.write_bytes(got.body)
    args = ["node", str(VERIFY / "verify_ed25519.mjs"), public, got.headers["webhook-id"],
            got.headers["webhook-timestamp"], got.headers["webhook-signature"], str(body)]
    ok = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    body.write_bytes(got.body + b" ")
    assert subprocess.run(args, capture_output=True, timeout=30).returncode == 1


def test_rsa_in_x_di_signature_verified_by_openssl_and_php(api, receiver, tmp_path):
    app, et, ep = _setup(api, receiver, {"type": "rsa", "header": "X-DI-Signature"})
    assert ep["signing"] == {"type": "rsa", "header": "X-DI-Signature"}
    pem = api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/public-key?format=pem")
    assert pem.status_code == 200 and pem.text.startswith("-----BEGIN PUBLIC KEY-----"), pem.text
    xml = api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/public-key?format=xml").text
    assert re.fullmatch(r"<RSAKeyValue><Modulus>[A-Za-z0-9+/=]+</Modulus>"
                        r"<Exponent>AQAB</Exponent></RSAKeyValue>", xml), xml
    api.send(app["id"], et["name"], {"name": "Ada"})
    [got] = receiver.wait_for(1)
    signature = got.headers["x-di-signature"]
    (tmp_path / "key.pem").write_text(pem.text)
    (tmp_path / "body").write_bytes(got.body)
    (tmp_path / "sig").write_bytes(base64.b64decode(signature))
    openssl = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "key.pem"),
                              "-signature", str(tmp_path / "sig"), str(tmp_path / "body")],
                             capture_output=True, text=True, timeout=30)
    assert openssl.returncode == 0 and "Verified OK" in openssl.stdout, openssl.stdout
    php = ["php", str(VERIFY / "verify_rsa.php"), str(tmp_path / "key.pem"), signature,
           str(tmp_path / "body")]
    assert subprocess.run(php, capture_output=True, timeout=30).returncode == 0
    (tmp_path / "body").write_bytes(got.body + b" ")
    assert subprocess.run(php, capture_output=True, timeout=30).returncode == 1


def test_hmac_endpoints_have_no_public_key_and_bad_settings_are_refused(api, receiver):
    app, et, ep = _setup(api, receiver, {"type": "hmac"})
    r = api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/public-key")
    assert r.status_code == 409, r.text
    for bad in ({"type": "dsa"}, {"type": "rsa", "header": "Content-Type"},
                {"type": "rsa", "header": "bad header"}):
        r = api.patch(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}", {"signing": bad})
        assert r.status_code == 422 and "signing" in r.json()["detail"], r.text
