"""Helpers for tests/test_openapi.py: validate hookd's real answers against its OpenAPI document.

`Contract.check(method, path_template, response)` finds the documented operation, asserts the
status is one of its documented responses, validates the JSON body against the documented
schema and records the operation as exercised.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import requests
from jsonschema import Draft202012Validator

DOC_PATH = Path(__file__).resolve().parents[1] / "src/api/openapi.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def load_doc() -> dict:
    return json.loads(DOC_PATH.read_text(encoding="utf-8"))


class Contract:
    def __init__(self, doc: dict):
        self.doc = doc
        self.exercised: set[tuple[str, str]] = set()
        self.exercised_errors: set[tuple[str, str, int]] = set()
        self._validators: dict[str, Draft202012Validator] = {}

    # ---- schemas ---------------------------------------------------------------------------

    def validator(self, schema: dict) -> Draft202012Validator:
        key = json.dumps(schema, sort_keys=True)
        v = self._validators.get(key)
        if v is None:
            root = {**schema, "components": self.doc["components"]}
            Draft202012Validator.check_schema(root)
            v = self._validators[key] = Draft202012Validator(root)
        return v

    def validate(self, schema: dict, instance: Any, what: str) -> None:
        errors = sorted(self.validator(schema).iter_errors(instance),
                        key=lambda e: list(e.absolute_path))
        if errors:
            lines = [f"  at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                     f" (schema {'/'.join(map(str, e.absolute_schema_path))})" for e in errors[:10]]
            raise AssertionError(f"{what} does not match its schema:\n" + "\n".join(lines)
                                 + f"\ninstance: {json.dumps(instance)[:1500]}")

    def component(self, name: str) -> dict:
        return {"$ref": f"#/components/schemas/{name}"}

    def validate_component(self, name: str, instance: Any, what: str = "") -> None:
        self.validate(self.component(name), instance, what or name)

    # ---- operations ------------------------------------------------------------------------

    def documented(self) -> set[tuple[str, str]]:
        return {(m.upper(), p) for p, item in self.doc["paths"].items() for m in item
                if m in METHODS}

    def operation(self, method: str, path: str) -> dict:
        item = self.doc["paths"].get(path)
        assert item is not None, f"path {path} is not documented"
        op = item.get(method.lower())
        assert op is not None, f"{method.upper()} {path} is not documented"
        return op

    def resolve(self, obj: dict) -> dict:
        while "$ref" in obj and obj["$ref"].startswith("#/components/"):
            node: Any = self.doc
            for part in obj["$ref"][2:].split("/"):
                node = node[part]
            obj = node
        return obj

    def check_request(self, method: str, path: str, body: Any,
                      content_type: str = "application/json") -> None:
        op = self.operation(method, path)
        rb = op.get("requestBody")
        assert rb is not None, f"{method} {path} documents no request body, but one was sent"
        media = self.resolve(rb)["content"].get(content_type)
        assert media is not None, f"{method} {path}: {content_type} is not a documented body"
        if "schema" in media:
            self.validate(media["schema"], body, f"request body of {method} {path}")

    def check_query(self, method: str, path: str, query: dict) -> None:
        """Each query parameter sent is documented, and its value matches its schema."""
        op = self.operation(method, path)
        params = [self.resolve(p) for p in
                  self.doc["paths"][path].get("parameters", []) + op.get("parameters", [])]
        by_name = {p["name"]: p for p in params if p["in"] == "query"}
        for name, value in query.items():
            p = by_name.get(name)
            assert p is not None, f"{method} {path}: query parameter {name} is not documented"
            schema = p.get("schema", {})
            raw = str(value)
            candidates: list[Any] = [raw, raw.split(",")]
            if raw.lstrip("-").isdigit():
                candidates.append(int(raw))
            if raw in ("true", "false"):
                candidates.append(raw == "true")
            v = self.validator(schema)
            if not any(v.is_valid(c) for c in candidates):
                self.validate(schema, raw, f"query parameter {name} of {method} {path}")

    def check(self, method: str, path: str, r: requests.Response,
              status: int | None = None, record: bool = True) -> Any:
        """Validates `r` against the documented responses of `method path`; returns its JSON."""
        method = method.upper()
        op = self.operation(method, path)
        where = f"{method} {path} ({r.request.method} {r.request.url})"
        if status is not None:
            assert r.status_code == status, f"{where}: expected {status}, got {r.status_code} {r.text[:500]}"
        responses = op["responses"]
        resp = responses.get(str(r.status_code)) or responses.get(f"{r.status_code // 100}XX") \
            or responses.get("default")
        assert resp is not None, (f"{where}: status {r.status_code} is not documented "
                                  f"({sorted(responses)}); body {r.text[:300]}")
        resp = self.resolve(resp)
        content = resp.get("content") or {}
        body = None
        if method == "HEAD":
            pass
        elif "application/json" in content:
            ctype = r.headers.get("Content-Type", "")
            assert ctype.startswith("application/json"), f"{where}: Content-Type {ctype!r}"
            try:
                body = r.json()
            except ValueError:
                raise AssertionError(f"{where}: body is not JSON: {r.text[:300]!r}")
            schema = content["application/json"].get("schema")
            if schema is not None:
                self.validate(schema, body, f"{where} -> {r.status_code}")
            if 400 <= r.status_code < 500:
                self.validate_component("HttpErrorOut", body, f"{where} -> {r.status_code}")
                known = {(e["code"], e["status"]) for e in self.doc["x-hookd-error-codes"]}
                assert (body["code"], r.status_code) in known, (
                    f"{where}: {r.status_code} {body['code']} is not in x-hookd-error-codes")
        elif not content:
            assert r.content == b"", f"{where}: {r.status_code} documents no body, got {r.text[:300]!r}"
        if 200 <= r.status_code < 300:
            if record:
                self.exercised.add((method, path))
        else:
            self.exercised_errors.add((method, path, r.status_code))
        return body


class CheckedApi:
    """Calls the API through `requests` and checks each answer against the document."""

    def __init__(self, contract: Contract, base_url: str, token: str | None, record: bool = True):
        self.c = contract
        self.record = record  # False: successes are not counted as exercised
        self.base_url = base_url
        self.token = token
        self.session = requests.Session()

    def with_token(self, token: str | None, record: bool = True) -> "CheckedApi":
        return CheckedApi(self.c, self.base_url, token, record)

    def call(self, method: str, template: str, body: Any = None,
             status: int | None = None, query: dict | None = None, headers: dict | None = None,
             raw: bytes | None = None, validate_body: bool = True, **path_params) -> Any:
        path = template.format(**path_params)
        h = {}
        if self.token is not None:
            h["Authorization"] = f"Bearer {self.token}"
        data = raw
        if body is not None:
            if validate_body and status is not None and 200 <= status < 300:
                self.c.check_request(method, template, body)
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if query and status is not None and 200 <= status < 300:
            self.c.check_query(method, template, query)
        h.update(headers or {})
        r = self.session.request(method, self.base_url + path, params=query, data=data,
                                 headers=h, timeout=15)
        self.last = r
        return self.c.check(method, template, r, status, self.record)


# --------------------------------------------------------------------------------------------
# Scenario helpers
# --------------------------------------------------------------------------------------------

APP = "/api/v1/app/{app_id}"
EP = APP + "/endpoint/{endpoint_id}"
SRC = APP + "/source/{source_id}"
AUTH = "/api/v1/auth"
WHSEC = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="

# One inbound source verification of each type (docs/inbound.md).
SOURCE_VERIFICATIONS = [
    {"type": "none"},
    {"type": "hmac", "secret": "s", "header": "X-Sig", "algorithm": "sha512",
     "encoding": "base64", "timestampHeader": "X-Ts", "toleranceSeconds": 60},
    {"type": "standard_webhooks", "secret": WHSEC},
    {"type": "basic", "username": "u", "password": "p"},
    {"type": "api_key", "header": "X-Api-Key", "key": "k"},
]


def every_endpoint_option(url: str) -> dict:
    """An EndpointIn with Svix's options set."""
    return {"url": url, "description": "all options", "label": "Full", "channels": ["c1"],
            "metadata": {"team": "a"}, "throttleRate": 100, "maxConcurrency": 4,
            "headers": {"X-Team": "a"}, "format": "json", "retrySchedule": ["1s", "2s"],
            "successPolicy": "2xx", "secret": WHSEC}


def hookd_endpoint_options(url: str) -> dict:
    """An EndpointIn with hookd's own options set (docs/endpoint-options.md)."""
    return {"url": url, "format": "form", "successPolicy": "200", "label": "L",
            "basicAuth": {"username": "u", "password": "p"}, "alertEmails": ["ops@example.com"],
            "alertFrequency": "hourly", "batch": {"maxEvents": 5, "maxWaitMs": 0,
                                                  "envelopeKey": "k"},
            "filter": {"kind": {"$in": ["a", "b"]}, "$not": {"x": 1}}, "fieldSelection": ["kind"],
            "extraFields": {"source": "hookd"}, "retrySchedule": ["30s"], "requireTest": False,
            "signing": {"type": "rsa", "header": "X-DI-Signature"}, "rateLimit": 10}


def hmac_hex(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def wait_status(capi: CheckedApi, app: str, msg: str, ep: str, status: int,
                timeout: float = 15.0) -> None:
    """Waits until the delivery of `msg` to `ep` is in `status` (MessageEndpointOut)."""
    from hookd_support import wait_until

    def done():
        rows = capi.call("GET", APP + "/msg/{msg_id}/endpoint", status=200, app_id=app,
                         msg_id=msg)["data"]
        return any(r["id"] == ep and r["status"] == status for r in rows)
    wait_until(done, timeout, 0.1, f"delivery of {msg} to {ep} in status {status}")


def wait_attempts(capi: CheckedApi, app: str, msg: str, n: int, timeout: float = 10.0,
                  **query) -> list[dict]:
    """Waits until `msg` has `n` attempts (filtered by `query`); returns them."""
    from hookd_support import wait_until

    def enough():
        atts = capi.call("GET", APP + "/attempt/msg/{msg_id}", status=200, app_id=app,
                         msg_id=msg, query=query or None)["data"]
        return atts if len(atts) >= n else None
    return wait_until(enough, timeout, 0.1, f"{n} attempt(s) of {msg}")


def sweep_params(template: str, app: str | None, ep: str | None = None) -> dict:
    """Path parameters: `app`/`ep` where given (None: a missing one), every other one missing."""
    names = [part[1:-1] for part in template.split("/") if part.startswith("{")]
    real = {"app_id": app, "endpoint_id": ep}
    return {n: real.get(n) or f"x_missing_{n}" for n in names}


def error_sweep(capi: CheckedApi, foreign: CheckedApi, readonly: CheckedApi, app: str,
                ep: str) -> None:
    """Calls every documented operation of `capi.c` in ways that should fail: missing path
    objects, malformed, non-object, oversized and text/plain bodies, `limit` out of range,
    no token (401 unless the operation has `security: []`), `foreign` (an application token of
    another application) on every route under an app, and `readonly` on every change."""
    anon = capi.with_token(None, record=False)
    json_type = {"Content-Type": "application/json"}
    oversized = b'{"name": "' + b"x" * (1 << 20) + b'"}'
    skip = {"/api/v1/openapi.json", "/api/v1/health", "/api/v1/health/ping"}
    for method, template in sorted(capi.c.documented(), key=lambda mp: (mp[1], mp[0])):
        if method == "HEAD" or template in skip:
            continue
        op = capi.c.operation(method, template)
        variants = [sweep_params(template, None)] if "{" in template else []
        if template.count("{") > 1 and template.startswith(APP):
            variants.append(sweep_params(template, app))
            if "{endpoint_id}" in template and template.count("{") > 2:
                variants.append(sweep_params(template, app, ep))
        for params in variants:
            capi.call(method, template, **params)
            if "requestBody" in op:
                capi.call(method, template, raw=b"{oops", headers=json_type, **params)
                capi.call(method, template, raw=b"[]", headers=json_type, **params)
        real = sweep_params(template, app, ep)
        if op.get("security", capi.c.doc["security"]):
            anon.call(method, template, status=401, raw=b"{}", headers=json_type, **real)
            if method != "GET" and template != "/api/v1/auth/logout":
                readonly.call(method, template, status=403, raw=b"{}", headers=json_type, **real)
        if "requestBody" in op:
            capi.call(method, template, raw=b"{oops", headers=json_type, **real)
            capi.call(method, template, raw=oversized, headers=json_type, **real)
            capi.call(method, template, raw=b"{}", headers={"Content-Type": "text/plain"}, **real)
        if template.startswith(APP):
            foreign.call(method, template, raw=b"{}", status=403, headers=json_type, **real)
        if any(capi.c.resolve(x).get("name") == "limit" for x in op.get("parameters", [])):
            for query in ({"limit": "0"}, {"limit": "251"}, {"limit": "x"}, {"iterator": "!!"}):
                capi.call(method, template, query=query, **real)
                if "limit" in query:
                    assert capi.last.status_code in (404, 422), (method, template, query,
                                                                 capi.last.text)
