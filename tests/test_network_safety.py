"""Network safety beyond the proxy (docs/failures.md, "Network safety"): IPv6 addresses that
embed a refused IPv4 address, and credentials in endpoint URLs kept out of logs and emails."""

from __future__ import annotations

from hookd_support import assert_error


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
