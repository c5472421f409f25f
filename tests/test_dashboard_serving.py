"""The dashboard's files as a real hookd serves them at /ui/ (docs/dashboard.md, "Serving"): the
HTML shell for every page with `no-cache`, the files it names under a versioned path cached for a
year, unknown /api/ paths still JSON 404s, no token needed for the files, HEAD answered with the
head alone, and `--web-root` serving edits at once and nothing outside its folder.
"""

from __future__ import annotations

import gzip
import http.client
import re
import subprocess
from pathlib import Path

import requests

from hookd_support import hookd_binary

IMMUTABLE = "public, max-age=31536000, immutable"


def asset_paths(shell: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/ui/v/[^"]+)"', shell)


def test_every_page_is_the_shell_and_its_files_are_versioned(hookd):
    base = hookd.base_url
    shell = requests.get(base + "/ui/", timeout=10)
    assert shell.status_code == 200, shell.text[:200]
    assert shell.headers["Content-Type"] == "text/html; charset=utf-8"
    assert shell.headers["Cache-Control"] == "no-cache"
    assert "default-src 'self'" in shell.headers["Content-Security-Policy"]
    assert shell.headers["X-Content-Type-Options"] == "nosniff"
    paths = asset_paths(shell.text)
    assert any(p.endswith("/main.js") for p in paths) and any(p.endswith(".css") for p in paths)
    for page in ("/ui/apps/app_1/endpoints", "/ui/journeys?x=1", "/ui/index.html"):
        r = requests.get(base + page, timeout=10)
        assert (r.status_code, r.text) == (200, shell.text), page
    for path in paths:
        r = requests.get(base + path, timeout=10)
        assert r.status_code == 200, path
        assert r.headers["Cache-Control"] == IMMUTABLE, path
    js = requests.get(base + next(p for p in paths if p.endswith("/main.js")), timeout=10)
    assert js.headers["Content-Type"] == "text/javascript; charset=utf-8"
    redirect = requests.get(base + "/ui", allow_redirects=False, timeout=10)
    assert (redirect.status_code, redirect.headers["Location"]) == (308, "/ui/")


def test_missing_files_and_api_paths_are_404s(hookd):
    base = hookd.base_url
    version = asset_paths(requests.get(base + "/ui/", timeout=10).text)[0].split("/")[3]
    missing = requests.get(f"{base}/ui/v/{version}/nothing.js", timeout=10)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("text/plain")
    for path in (f"/ui/v/{version}/../index.html", f"/ui/v/{version}/%2e%2e/index.html"):
        assert requests.get(base + path, timeout=10).status_code in (404,), path
    api = requests.get(base + "/api/v1/no-such-route",
                       headers={"Authorization": f"Bearer {hookd.token}"}, timeout=10)
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"
    assert requests.get(base + "/uix", timeout=10).json()["code"] == "not_found"
    post = requests.post(base + "/ui/", data=b"x", timeout=10)
    assert post.status_code == 405
    assert post.headers["Allow"] == "GET, HEAD"


def test_head_answers_the_head_alone_on_a_kept_connection(hookd):
    conn = http.client.HTTPConnection("127.0.0.1", hookd.port, timeout=10)
    try:
        for path in ("/ui/", "/api/v1/openapi.json"):
            conn.request("HEAD", path)
            head = conn.getresponse()
            assert head.status == 200, path
            assert head.read() == b""
            length = int(head.headers["Content-Length"])
            conn.request("GET", path)  # the same connection: no stray body before this answer
            got = conn.getresponse()
            body = got.read()
            assert got.status == 200, path
            assert len(body) == length, path
    finally:
        conn.close()


def test_a_web_root_is_served_as_it_is_on_disk(hookd_factory, tmp_path):
    root = tmp_path / "web"
    root.mkdir()
    (root / "index.html").write_text('<script type="module" src="{{assets}}/app.js"></script>')
    (root / "app.js").write_text("export const one = 1;\n")
    (tmp_path / "outside.txt").write_text("not served")
    srv = hookd_factory(args=["--web-root", str(root)])
    base = srv.base_url
    assert requests.get(base + "/ui/", timeout=10).text == (
        '<script type="module" src="/ui/v/dev/app.js"></script>')
    first = requests.get(base + "/ui/v/dev/app.js", timeout=10)
    assert first.text == "export const one = 1;\n"
    assert first.headers["Cache-Control"] == "no-cache"
    (root / "app.js").write_text("export const two = 2;\n")
    assert requests.get(base + "/ui/v/dev/app.js", timeout=10).text == "export const two = 2;\n"
    assert requests.get(base + "/ui/v/dev/..%2foutside.txt", timeout=10).status_code == 404
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:  # a raw path, as no client library would normalise it
        conn.request("GET", "/ui/v/dev/../../outside.txt")
        r = conn.getresponse()
        assert r.status in (200, 404)
        assert b"not served" not in r.read()
    finally:
        conn.close()


def test_a_web_root_without_an_index_is_refused_at_start(tmp_path):
    r = subprocess.run([str(hookd_binary()), "serve", "--data-dir", str(tmp_path / "d"),
                        "--web-root", str(tmp_path)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 2, r.stderr
    assert "web_root:" in r.stderr and "index.html" in r.stderr


def test_the_whole_dashboard_is_well_under_300_kb_compressed(hookd):
    """Every file built in, fetched from hookd and gzip-compressed (level 9, as a server or a
    proxy in front of it would), adds up to well under 300 KB."""
    web = Path(__file__).resolve().parent.parent / "web"
    base = hookd.base_url
    version = asset_paths(requests.get(base + "/ui/", timeout=10).text)[0].split("/")[3]
    total = 0
    for path in sorted(p for p in web.rglob("*") if p.is_file()):
        name = path.relative_to(web).as_posix()
        r = requests.get(f"{base}/ui/v/{version}/{name}", timeout=10)
        assert r.status_code == 200, name
        assert r.content == path.read_bytes(), f"{name}: hookd serves other bytes than web/ holds"
        total += len(gzip.compress(r.content, 9))
    print(f"dashboard: {total} bytes gzip-compressed")
    assert total < 150_000, f"the dashboard is {total} bytes compressed"
