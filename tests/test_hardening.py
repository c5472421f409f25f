"""Hostile and careless inputs that must never stop hookd or lose control of its data: regex
filters on long and catastrophic inputs, deep JSON nesting, file-descriptor exhaustion, endpoint
tests against hanging receivers, and behaviour Svix users rely on (channels, resend, unknown
fields, operational events, inbound retries, big integers, `hookd listen`)."""

from __future__ import annotations

import json
import os
import resource
import secrets
import socket
import subprocess
import threading
import time

import pytest
import requests

from hookd_support import (Reply, assert_error, free_port, hookd_binary, metric_value,
                           wait_until)


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _skalin_source_forwarding_to(api, dst_app: str, event_type: str) -> dict:
    src_app = api.create_app()["id"]
    r = api.post(f"/api/v1/app/{src_app}/source",
                 {"forward": {"appId": dst_app, "eventType": event_type}})
    assert r.status_code == 201, r.text
    return r.json()


def _generic_source_forwarding_to(api, dst_app: str, event_type: str) -> dict:
    src_app = api.create_app()["id"]
    r = api.post(f"/api/v1/app/{src_app}/source",
                 {"kind": "generic", "forward": {"appId": dst_app, "eventType": event_type}})
    assert r.status_code == 201, r.text
    return r.json()


def _post_hook(srv, src, body: bytes, headers=None) -> requests.Response:
    h = {"Content-Type": "application/json", **(headers or {})}
    params = {"client_id": src["clientId"]} if src.get("clientId") else None
    return requests.post(f"{srv.base_url}/webhook/{src['webhookId']}",
                         params=params, data=body, headers=h, timeout=15)


# ---- regular expressions in filters ---------------------------------------------------------


@pytest.mark.parametrize("pattern", [".*urgent", "^[a-z ]*$", "(a|b)*c"])
def test_regex_filter_on_a_long_inbound_field_neither_crashes_nor_stalls(hookd, api, receiver,
                                                                          pattern):
    """An anonymous POST /webhook/{id} forwards into an app whose endpoint filters with $regex
    on a 30,000-character field: the regex engine must not recurse or backtrack."""
    dst = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(dst, receiver.url(), filter={"detail": {"$regex": pattern}})
    src = _generic_source_forwarding_to(api, dst, et)
    body = {"detail": "a" * 29_990 + " urgent c"}
    r = _post_hook(hookd, src, json.dumps(body).encode())
    assert r.status_code in (200, 201), r.text
    [got] = receiver.wait_for(1, timeout=10)
    assert json.loads(got.body) == body
    assert hookd.alive(), "hookd died on a regex filter over a long field"
    assert requests.get(hookd.base_url + "/health", timeout=5).status_code == 204


def test_catastrophic_regex_patterns_do_not_pin_the_io_threads(hookd, api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url(), filter={"v": {"$regex": "(a+)+$"}})
    evil = "a" * 40 + "!"
    started = time.monotonic()
    for _ in range(4):  # more than the I/O threads
        r = api.post(f"/api/v1/app/{app}/msg", {"eventType": et, "payload": {"v": evil}},
                     timeout=10)
        assert r.status_code == 202, r.text
    matching = api.send(app, et, {"v": "aaaa"})
    assert time.monotonic() - started < 5, "ingest stalled behind a catastrophic pattern"
    [got] = receiver.wait_for(1, timeout=10)
    assert got.headers["webhook-id"] == matching["id"]
    assert api.msg_endpoints(app, matching["id"])[0]["id"] == ep["id"]


def test_regex_syntax_that_re2_refuses_is_a_422_naming_the_field(api):
    app = api.create_app()["id"]
    for pattern, why in (("(a)\\1", "backreference"), ("(?=a)", "lookahead"), ("(", "paren")):
        body = assert_error(api.post(f"/api/v1/app/{app}/endpoint",
                                     {"url": "http://127.0.0.1:9/x",
                                      "filter": {"data.city": {"$regex": pattern}}}),
                            422, "validation", "data.city")
        assert "$regex" in body["detail"], (why, body)


# ---- deep nesting ---------------------------------------------------------------------------


def _deep(levels: int, leaf: str = "1") -> str:
    return '{"a":' * levels + leaf + "}" * levels


DEEP = 100_000


@pytest.mark.parametrize("where", ["metadata", "filter", "extraFields"])
def test_deeply_nested_endpoint_fields_are_refused_by_name(hookd, api, where):
    app = api.create_app()["id"]
    raw = '{"url":"http://127.0.0.1:9/x","' + where + '":' + _deep(DEEP) + "}"
    r = api.request("POST", f"/api/v1/app/{app}/endpoint", data=raw)
    body = assert_error(r, 422 if r.status_code == 422 else 400)
    assert "128" in body["detail"] and "nest" in body["detail"], body
    assert hookd.alive()


@pytest.mark.parametrize("path,wrap", [
    ("/api/v1/event-type", lambda d: '{"name":"deep.x","description":"x","schemas":' + d + "}"),
    ("/api/v1/event-type", lambda d: '{"name":"deep.y","description":"x","example":' + d + "}"),
    ("/api/v1/app", lambda d: '{"name":"deep","metadata":' + d + "}"),
])
def test_deeply_nested_catalog_bodies_are_refused(hookd, api, path, wrap):
    r = api.request("POST", path, data=wrap(_deep(DEEP)))
    body = assert_error(r, r.status_code if r.status_code in (400, 422) else 422)
    assert "nest" in body["detail"], body
    assert hookd.alive()


def test_deeply_nested_message_payload_and_test_payload_are_refused(hookd, api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())
    r = api.send_raw(app, '{"eventType":"' + et + '","payload":' + _deep(DEEP) + "}")
    assert_error(r, r.status_code if r.status_code in (400, 422) else 422)
    r = api.request("POST", f"/api/v1/app/{app}/endpoint/{ep['id']}/test",
                    data='{"payload":' + _deep(DEEP) + "}")
    body = assert_error(r, r.status_code if r.status_code in (400, 422) else 422)
    assert "nest" in body["detail"], body
    # within the limit is fine
    assert api.send_raw(app, '{"eventType":"' + et + '","payload":' + _deep(100) + "}"
                        ).status_code == 202
    assert hookd.alive()


def test_deeply_nested_inbound_body_is_refused(hookd, api):
    dst = api.create_app()["id"]
    et = api.create_event_type()["name"]
    src = _skalin_source_forwarding_to(api, dst, et)
    raw = ('{"eventId":"' + secrets.token_hex(8) + '","customerId":"c","event":{"name":"n",'
           '"extra":' + _deep(DEEP) + "}}")
    r = _post_hook(hookd, src, raw.encode())
    assert r.status_code in (400, 422), r.text
    assert "nest" in r.json()["detail"], r.text
    assert hookd.alive()


def test_nesting_limit_is_a_setting(hookd_factory):
    srv = hookd_factory(env={"HOOKD_MAX_JSON_DEPTH": "8"})
    api = srv.api()
    r = api.post("/api/v1/app", {"name": "x", "metadata": json.loads(_deep(9))})
    body = assert_error(r, 422)
    assert "8" in body["detail"], body
    assert api.post("/api/v1/app", {"name": "y", "metadata": json.loads(_deep(5))}
                    ).status_code == 201


# ---- file descriptors -----------------------------------------------------------------------


def _limit_fds(n: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return apply


def _start_with_fd_limit(hookd_factory, limit: int, env: dict):
    """hookd under RLIMIT_NOFILE=limit (soft = hard, so raising the soft limit cannot help)."""
    import hookd_support
    original = subprocess.Popen

    def popen(*a, **kw):
        kw.setdefault("preexec_fn", _limit_fds(limit))
        return original(*a, **kw)

    hookd_support.subprocess.Popen = popen
    try:
        return hookd_factory(env=env)
    finally:
        hookd_support.subprocess.Popen = original


def _hold_connections(port: int, n: int) -> list[socket.socket]:
    held = []
    for _ in range(n):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        except OSError:
            break
    return held


@pytest.mark.timeout_s(60)
def test_running_out_of_descriptors_backs_off_instead_of_spinning(hookd_factory):
    srv = _start_with_fd_limit(hookd_factory, 512, {"HOOKD_MAX_CONNECTIONS": "100000"})
    held = _hold_connections(srv.port, 600)
    try:
        time.sleep(0.5)
        log_before = srv.log_path.stat().st_size
        cpu_before = _cpu_seconds(srv.proc.pid)
        time.sleep(3)
        cpu = _cpu_seconds(srv.proc.pid) - cpu_before
        logged = srv.log_path.stat().st_size - log_before
        assert cpu < 0.6, f"hookd used {cpu:.2f} s of CPU in 3 s with its descriptors exhausted"
        assert logged < 4096, f"{logged} bytes of log in 3 s"
    finally:
        for s in held:
            s.close()
    wait_until(lambda: requests.get(srv.base_url + "/health", timeout=2).status_code == 204, 10,
               what="hookd answering once descriptors are free")
    assert srv.alive()


@pytest.mark.timeout_s(60)
def test_connections_past_the_cap_are_closed_and_the_server_stays_healthy(hookd_factory):
    srv = hookd_factory(env={"HOOKD_MAX_CONNECTIONS": "20"})
    held = _hold_connections(srv.port, 20)
    try:
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
        extra.settimeout(3)
        extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            got = extra.recv(1024)
        except (ConnectionResetError, socket.timeout):
            got = b""
        extra.close()
        assert b"204" not in got, "a connection past the cap was served"
    finally:
        for s in held:
            s.close()
    def healthy() -> bool:
        try:  # until hookd has seen the held connections close, new ones are still refused
            return requests.get(srv.base_url + "/health", timeout=2).status_code == 204
        except requests.ConnectionError:
            return False

    wait_until(healthy, 10, what="hookd answering below the cap")
    metrics = requests.get(srv.base_url + "/metrics", timeout=5).text
    assert (metric_value(metrics, "hookd_connections_refused_total") or 0) >= 1, metrics


def test_soft_descriptor_limit_is_raised_to_the_hard_one(hookd_factory):
    import hookd_support
    original = subprocess.Popen

    def popen(*a, **kw):
        kw.setdefault("preexec_fn",
                      lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 4096)))
        return original(*a, **kw)

    hookd_support.subprocess.Popen = popen
    try:
        srv = hookd_factory()
    finally:
        hookd_support.subprocess.Popen = original
    limits = open(f"/proc/{srv.proc.pid}/limits").read()
    line = next(x for x in limits.splitlines() if x.startswith("Max open files"))
    assert line.split()[3] == "4096", line


# ---- endpoint tests against hanging receivers ----------------------------------------------


@pytest.mark.timeout_s(60)
def test_endpoint_tests_against_a_hanging_receiver_do_not_block_the_api(hookd, api,
                                                                        make_receiver):
    hanging = make_receiver(Reply(200, delay=30))
    app = api.create_app()["id"]
    eps = [api.create_endpoint(app, hanging.url(f"/h{i}"))["id"] for i in range(6)]
    results: list = []

    def test_one(ep):
        started = time.monotonic()
        r = api.post(f"/api/v1/app/{app}/endpoint/{ep}/test", {}, timeout=30)
        results.append((r, time.monotonic() - started))

    threads = [threading.Thread(target=test_one, args=(ep,)) for ep in eps]
    for t in threads:
        t.start()
    time.sleep(0.5)
    started = time.monotonic()
    r = api.get("/api/v1/app", timeout=10)
    took = time.monotonic() - started
    assert r.status_code == 200 and took < 1.5, f"a CRUD call took {took:.1f} s during tests"
    assert api.post("/api/v1/app", {"name": "during-tests"}).status_code == 201
    for t in threads:
        t.join(30)
    assert len(results) == len(eps)
    for r, took in results:
        assert r.status_code == 200, r.text
        assert r.json()["success"] is False and r.json()["errorClass"] == "timeout", r.json()
        assert took < 8, f"a test send took {took:.1f} s (request timeout 5 s)"


# ---- Svix behaviour ------------------------------------------------------------------------


def test_an_endpoint_without_channels_receives_messages_with_channels(api, make_receiver):
    all_rx, news_rx = make_receiver(), make_receiver()
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, all_rx.url())
    api.create_endpoint(app, news_rx.url(), channels=["news"])
    with_channel = api.send(app, et, {"n": 1}, channels=["news"])
    other_channel = api.send(app, et, {"n": 2}, channels=["sports"])
    plain = api.send(app, et, {"n": 3})
    got = all_rx.wait_for(3, timeout=10)
    assert {g.headers["webhook-id"] for g in got} == {with_channel["id"], other_channel["id"],
                                                     plain["id"]}
    [news] = news_rx.wait_for(1, timeout=10)
    assert news.headers["webhook-id"] == with_channel["id"]
    time.sleep(0.5)
    assert news_rx.count() == 1


def test_resend_answers_a_json_body(api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())
    msg = api.send(app, et)
    receiver.wait_for(1)
    r = api.post(f"/api/v1/app/{app}/msg/{msg['id']}/endpoint/{ep['id']}/resend")
    assert r.status_code == 202
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {}
    receiver.wait_for(2)


def test_svix_sdk_resend_does_not_throw(api, receiver, node_dir, tmp_path):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    ep = api.create_endpoint(app, receiver.url())
    msg = api.send(app, et)
    receiver.wait_for(1)
    script = tmp_path / "resend.mjs"
    script.write_text(
        "import { Svix } from 'svix';\n"
        "const [url, token, app, msg, ep] = process.argv.slice(2);\n"
        "const svix = new Svix(token, { serverUrl: url });\n"
        "await svix.messageAttempt.resend(app, msg, ep);\n"
        "console.log('resent');\n")
    env = {**os.environ, "NODE_PATH": str(node_dir / "node_modules")}
    link = tmp_path / "node_modules"
    link.symlink_to(node_dir / "node_modules")
    r = subprocess.run(["node", str(script), api.base_url, api.token, app, msg["id"], ep["id"]],
                       capture_output=True, text=True, timeout=30, env=env, cwd=tmp_path)
    assert r.returncode == 0 and "resent" in r.stdout, r.stdout + r.stderr
    receiver.wait_for(2)


def test_operational_webhooks_report_endpoint_created_updated_and_deleted(hookd_factory,
                                                                          receiver):
    ops_uid = "ops-" + secrets.token_hex(3)
    srv = hookd_factory(env={"HOOKD_OPERATIONAL_APP": ops_uid})
    api = srv.api()
    api.create_app("ops", uid=ops_uid)
    api.create_endpoint(ops_uid, receiver.url("/ops"))
    app = api.create_app()["id"]
    ep = api.create_endpoint(app, "http://127.0.0.1:9/x", uid="watched")
    assert api.patch(f"/api/v1/app/{app}/endpoint/{ep['id']}", {"description": "d"}
                     ).status_code == 200
    assert api.delete(f"/api/v1/app/{app}/endpoint/{ep['id']}").status_code == 204
    got = receiver.wait_for(3, timeout=10, where=lambda g: json.loads(g.body)["type"].startswith(
        "endpoint."))
    kinds = [json.loads(g.body)["type"] for g in got]
    assert kinds == ["endpoint.created", "endpoint.updated", "endpoint.deleted"], kinds
    for g in got:
        data = json.loads(g.body)["data"]
        assert data == {"appId": app, "appUid": None, "endpointId": ep["id"],
                        "endpointUid": "watched"}, data


@pytest.mark.parametrize("path,body,field_name", [
    ("/api/v1/app/{app}/endpoint", {"url": "http://127.0.0.1:9/x", "evenTypes": ["a.b"]},
     "evenTypes"),
    ("/api/v1/app", {"name": "x", "nmae": "y"}, "nmae"),
    ("/api/v1/event-type", {"name": "a.unknown", "description": "d", "descripton": "x"},
     "descripton"),
    ("/api/v1/app/{app}/msg", {"eventType": "a.b", "payload": {}, "evnetId": "x"}, "evnetId"),
    ("/api/v1/app/{app}/source", {"nmae": "x"}, "nmae"),
])
def test_unknown_fields_are_refused_by_name(api, path, body, field_name):
    app = api.create_app()["id"]
    api.post("/api/v1/event-type", {"name": "a.b", "description": "d"})
    r = api.post(path.format(app=app), body)
    assert_error(r, 422, "validation", field_name)


def test_unsupported_svix_fields_are_refused_unless_null(api):
    app = api.create_app()["id"]
    api.post("/api/v1/event-type", {"name": "a.c", "description": "d"})
    r = api.post("/api/v1/app/" + app + "/msg",
                 {"eventType": "a.c", "payload": {}, "payloadRetentionPeriod": 5})
    assert_error(r, 422, "validation", "payloadRetentionPeriod")
    assert api.post("/api/v1/app/" + app + "/msg",
                    {"eventType": "a.c", "payload": {}, "payloadRetentionPeriod": None}
                    ).status_code == 202


def test_inbound_standard_webhooks_retry_is_not_forwarded_twice(hookd, api, receiver):
    from hookd_support import sign
    dst = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(dst, receiver.url())
    src_app = api.create_app()["id"]
    secret = "whsec_" + __import__("base64").b64encode(os.urandom(24)).decode()
    r = api.post(f"/api/v1/app/{src_app}/source",
                 {"kind": "generic", "verification": {"type": "standard_webhooks",
                                                      "secret": secret},
                  "forward": {"appId": dst, "eventType": et}})
    assert r.status_code == 201, r.text
    src = r.json()
    body = b'{"type":"order.paid","id":42}'
    msg_id = "msg_" + secrets.token_hex(8)
    for _ in range(3):
        ts = str(int(time.time()))
        r = requests.post(f"{hookd.base_url}/webhook/{src['webhookId']}", data=body,
                          params={"client_id": src["clientId"]} if src.get("clientId") else None,
                          headers={"Content-Type": "application/json", "webhook-id": msg_id,
                                   "webhook-timestamp": ts,
                                   "webhook-signature": sign(secret, msg_id, ts, body)},
                          timeout=10)
        assert r.status_code in (200, 201), r.text
    receiver.wait_for(1)
    time.sleep(1.0)
    assert receiver.count() == 1, "a sender's retry of one webhook-id was forwarded again"


BIG = "123456789012345678901234567890"


def test_integers_beyond_64_bits_are_accepted_and_stored_verbatim(hookd, api, receiver):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(app, receiver.url())
    raw = '{"eventType":"' + et + '","payload":{"big":' + BIG + ',"neg":-' + BIG + '}}'
    r = api.send_raw(app, raw)
    assert r.status_code == 202, r.text
    [got] = receiver.wait_for(1)
    assert got.body == ('{"big":' + BIG + ',"neg":-' + BIG + "}").encode()
    dst = api.create_app()["id"]
    api.create_endpoint(dst, receiver.url("/fwd"))
    src = _generic_source_forwarding_to(api, dst, et)
    raw = '{"order":{"id":' + BIG + '}}'
    r = _post_hook(hookd, src, raw.encode())
    assert r.status_code in (200, 201), r.text
    [fwd] = receiver.wait_for(1, where=lambda g: g.path == "/fwd")
    assert BIG.encode() in fwd.body


def test_listen_without_a_secret_says_signatures_are_not_checked(api, tmp_path):
    app = api.create_app()["id"]
    et = api.create_event_type()["name"]
    port = free_port()
    api.create_endpoint(app, f"http://127.0.0.1:{port}/in")
    out = tmp_path / "listen.out"
    with open(out, "wb") as sink:
        listener = subprocess.Popen([str(hookd_binary()), "listen", "--port", str(port)],
                                    stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: b"waiting for webhooks" in out.read_bytes(), 10, what="the listener")
        api.send(app, et, {"x": 1})
        wait_until(lambda: b"answered" in out.read_bytes(), 10, what="the printed request")
        assert "signature: not checked" in out.read_text(), out.read_text()
    finally:
        listener.terminate()
        listener.wait(timeout=10)


def test_skalin_events_and_filters_with_integers_beyond_64_bits(hookd, api, receiver):
    dst = api.create_app()["id"]
    et = api.create_event_type()["name"]
    api.create_endpoint(dst, receiver.url("/big"), filter={"event.orderId": {"$gt": 1e20}})
    api.create_endpoint(dst, receiver.url("/small"), filter={"event.orderId": {"$lt": 1e20}})
    src = _skalin_source_forwarding_to(api, dst, et)
    raw = ('{"eventId":"' + secrets.token_hex(8) + '","customerId":"c","event":{"name":"n",'
           '"score":3,"orderId":' + BIG + "}}")
    r = _post_hook(hookd, src, raw.encode())
    assert r.status_code == 201, r.text
    [got] = receiver.wait_for(1, where=lambda g: g.path == "/big")
    assert got.body == raw.encode(), "the event is forwarded byte for byte"
    time.sleep(0.5)
    assert not [g for g in receiver.snapshot() if g.path == "/small"]
    # a big integer where Skalin wants a score of 0 to 10 is still a validation error
    bad = ('{"eventId":"' + secrets.token_hex(8) + '","customerId":"c","event":{"name":"n",'
           '"score":' + BIG + "}}")
    assert_error(_post_hook(hookd, src, bad.encode()), 422, "validation", "score")
