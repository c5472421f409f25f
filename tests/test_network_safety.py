"""Network safety beyond the proxy (docs/failures.md, "Network safety"): IPv6 addresses that
embed a refused IPv4 address, and credentials in endpoint URLs kept out of logs and emails."""

from __future__ import annotations

import pytest

from hookd_support import DEFAULT_ENV, assert_error, wait_until


def test_ipv6_forms_of_refused_ipv4_addresses_are_refused_at_creation(api):
    # The test defaults allow 127.0.0.0/8 only; these embed 10.0.0.1, 169.254.169.254, or are
    # IPv4-compatible / NAT64 addresses, which are refused whole.
    app = api.create_app()
    for host in ["[::127.0.0.1]", "[::10.0.0.1]", "[::ffff:10.0.0.1]", "[64:ff9b::a00:1]",
                 "[64:ff9b:1::808:808]", "[2002:a00:1::1]", "[2002:a9fe:a9fe::1]",
                 "[2001:0:4136:e378:8000:63bf:f5ff:fffe]"]:
        r = api.post(f"/api/v1/app/{app['id']}/endpoint", {"url": f"http://{host}/hook"})
        body = assert_error(r, 422, field_name="url")
        assert "ssrf_allow" in body["detail"], (host, body)
    # A 6to4 address of a public IPv4 address is an ordinary address.
    r = api.post(f"/api/v1/app/{app['id']}/endpoint", {"url": "http://[2002:808:808::1]/hook"})
    assert r.status_code == 201, r.text


PASSWORD = "pa55-Secret-in-url"


@pytest.fixture
def smtp():
    from test_failures import SmtpSink
    sink = SmtpSink()
    yield sink
    sink.stop()


def test_a_password_in_an_endpoint_url_stays_out_of_logs_and_emails(hookd_factory, make_receiver,
                                                                    smtp):
    receiver = make_receiver(500)
    srv = hookd_factory(env={**DEFAULT_ENV, "HOOKD_SMTP_URL": smtp.url,
                             "HOOKD_SMTP_FROM": "alerts@hookd.test",
                             "HOOKD_DISABLE_AFTER_EXHAUSTED": "1", "HOOKD_CIRCUIT_WINDOW": "0"})
    api = srv.api()
    app = api.create_app()
    et = api.create_event_type()
    url = f"http://ops:{PASSWORD}@127.0.0.1:{receiver.port}/hook"
    ep = api.create_endpoint(app["id"], url, alertEmails=["ops@example.com"])
    # The API answers what the user set, credentials included.
    assert api.get(f"/api/v1/app/{app['id']}/endpoint/{ep['id']}").json()["url"] == url
    api.send(app["id"], et["name"], {"n": 1})
    # One failure email and, once the delivery is exhausted, the "disabled" one.
    mails = smtp.wait_for(2, 20)
    wait_until(lambda: "disabled" in srv.log_text(), 10, what="the 'disabled' log line")
    for m in mails:
        assert f"127.0.0.1:{receiver.port}/hook" in m.subject, m.subject
        assert PASSWORD not in m.subject and PASSWORD not in m.body, (m.subject, m.body)
    log = srv.log_text()
    assert f"127.0.0.1:{receiver.port}/hook" in log, log
    assert PASSWORD not in log, log
