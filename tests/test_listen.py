"""`hookd listen` and `hookd verify`: a receiver's tool (docs/endpoint-options.md)."""

from __future__ import annotations

import subprocess
import time

from hookd_support import free_port, hookd_binary, wait_until


def test_listen_prints_a_verified_delivery_and_verify_checks_the_saved_copy(api, tmp_path):
    app = api.create_app()
    et = api.create_event_type()
    port = free_port()
    ep = api.create_endpoint(app["id"], f"http://127.0.0.1:{port}/in", format="form")
    secret = api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}/secret").json()["key"]
    out = tmp_path / "listen.out"
    saved = tmp_path / "saved"
    saved.mkdir()
    with open(out, "wb") as sink:
        listener = subprocess.Popen([str(hookd_binary()), "listen", "--port", str(port),
                                     "--secret", secret, "--save", str(saved), "--status", "202"],
                                    stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: b"waiting for webhooks" in out.read_bytes(), 10, what="the listener")
        msg = api.send(app["id"], et["name"], {"name": "Ada Lovelace"})
        wait_until(lambda: b"answered 202" in out.read_bytes(), 10, what="the printed request")
        text = out.read_text()
        assert f"webhook-id: {msg['id']}" in text
        assert 'body (form, data= decoded):\n{"name": "Ada Lovelace"}' in text
        assert "signature: verified" in text
        attempts = api.wait_attempts(app["id"], msg["id"], 1)
        assert attempts[0]["responseStatusCode"] == 202
    finally:
        listener.terminate()
        listener.wait(timeout=10)
    [request] = sorted(saved.iterdir())
    ok = subprocess.run([str(hookd_binary()), "verify", "--secret", secret, str(request)],
                        capture_output=True, text=True, timeout=20)
    assert ok.returncode == 0 and "signature: verified" in ok.stdout, ok.stdout + ok.stderr
    other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    bad = subprocess.run([str(hookd_binary()), "verify", "--secret", other, str(request)],
                         capture_output=True, text=True, timeout=20)
    assert bad.returncode == 1 and "NOT verified" in bad.stdout, bad.stdout + bad.stderr


def test_listen_answers_the_chosen_status_to_rehearse_failures(api, tmp_path):
    app = api.create_app()
    et = api.create_event_type()
    port = free_port()
    ep = api.create_endpoint(app["id"], f"http://127.0.0.1:{port}/in")
    listener = subprocess.Popen([str(hookd_binary()), "listen", "--port", str(port), "--status",
                                 "503"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        msg = api.send(app["id"], et["name"])
        attempts = api.wait_attempts(app["id"], msg["id"], 1)
        assert attempts[-1]["responseStatusCode"] == 503
        assert attempts[-1]["endpointId"] == ep["id"]
    finally:
        listener.terminate()
        listener.wait(timeout=10)
