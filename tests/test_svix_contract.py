"""The Svix contract suite: every method of the npm `svix` SDK's application, authentication,
endpoint, eventType, health, message and messageAttempt resources against a running hookd, for
two SDK versions (tests/node: `svix` ^2.5.0, and `svix1`, npm:svix@1.99.1).

tests/node/svix_contract.mjs drives one SDK version (one hookd, two real receivers) and prints
each step's result; the tests below judge them. A method of those resources that is neither
called nor in NOT_COVERED (tests/node/svix_contract_lib.mjs, each with its reason and route,
each called once and required to get a clear 404/405 error) fails
test_every_sdk_method_is_called_or_listed, so a new SDK version shows what is new. Each test
gathers its failed checks and fails once with all of them; a check under a key of
KNOWN_SERVER_DEFECTS is where hookd answers otherwise than Svix's contract, and fails until the
server is fixed (its message says so).
"""

from __future__ import annotations

import json
import time

import pytest

from hookd_support import TIMESTAMP_RE, verify_signature
from svix_contract_checks import Checks, Run, contract_run, paged, pick, sizes

VERSIONS = ["svix", "svix1"]
EXAMPLE = {"sdk": "example", "n": 5}
P1, P2, P3 = {"hello": "contract", "n": 1}, {"hello": "rotated", "n": 2}, {"hello": "fails", "n": 3}
ZERO_STATS = {"success": 0, "pending": 0, "sending": 0, "fail": 0, "canceled": 0}

# Where hookd answers otherwise than Svix's contract: name -> why (none today).
KNOWN_SERVER_DEFECTS: dict[str, str] = {}


def checks(run: Run) -> Checks:
    return Checks(run, KNOWN_SERVER_DEFECTS)


@pytest.fixture(scope="module", params=VERSIONS)
def run(request, node_dir, tmp_path_factory):
    """One pass of svix_contract.mjs with SDK `request.param` against a fresh hookd."""
    with contract_run(request.param, node_dir, tmp_path_factory.mktemp(request.param),
                      EXAMPLE) as r:
        yield r


@pytest.fixture(autouse=True)
def _server_log(request, run):
    request.node._hookd_servers = [run.server]  # conftest attaches its log to a failure
    yield
    assert run.server.alive(), f"hookd exited:\n{run.server.log_tail(40)}"


# ---- coverage of the SDK ---------------------------------------------------------------------


def test_every_sdk_method_is_called_or_listed(run):
    c = checks(run)
    methods, nc = set(run.out["methods"]), run.out["notCovered"]
    served, unserved = set(run.out["calls"]["served"]), set(run.out["calls"]["unserved"])
    c.that("methods", len(methods) >= 40, f"only {sorted(methods)} found on the resources")
    c.eq("methods.neitherCalledNorListed", sorted(methods - served - set(nc)), [])
    c.eq("methods.listedButCalled", sorted(served & set(nc)), [])
    c.eq("methods.listedButNotProbed", sorted(set(nc) - unserved), [])
    c.eq("methods.unknownCalls", sorted((served | unserved) - methods), [])
    for name, entry in nc.items():
        c.that(f"notCovered.{name}", entry["reason"] and entry["route"], f"no reason: {entry}")
    print(f"\n{run.module} {run.out['sdk']['version']}: {len(methods)} methods, "
          f"{len(served)} called, {len(nc)} not covered")
    c.done()


def test_unserved_methods_get_a_clear_error(run):
    c = checks(run)
    for name, step in run.out["unserved"].items():
        # 405 where the path reads like a served one (POST .../msg/{msg_id}), otherwise 404
        status = 405 if (step.get("error") or {}).get("code") == 405 else 404
        c.refused(name, status, {404: "not_found", 405: "method_not_allowed"}[status],
                  step=step, key=f"unserved.{name}")
    c.done()


# ---- resources ---------------------------------------------------------------------------------


def test_event_types(run):
    c, ids = checks(run), run.ids
    c.void("health.get", "eventType.delete")

    def schema(title):
        return {"1": {"title": title, "type": "object", "required": ["n"],
                      "properties": {"n": {"type": "integer"}}}}

    a = c.ok("eventType.create")
    c.eq("eventType.create", pick(a, "name", "description", "schemas", "archived", "deprecated"),
         (ids["etA"], "Contract A", schema("A"), False, False))
    c.ts("eventType.create.createdAt", a.get("createdAt"))
    c.eq("eventType.get", c.ok("eventType.get"), a)
    c.eq("eventType.update", pick(c.ok("eventType.update"), "description", "deprecated",
                                  "schemas"), ("Contract A2", True, schema("A2")))
    p = c.ok("eventType.patch")
    c.eq("eventType.patch", pick(p, "description", "deprecated", "schemas"),
         ("Contract A3", True, schema("A2")))
    c.eq("eventType.getAfter", c.ok("eventType.getAfter"), p)
    c.eq("eventType.updateCreates", pick(c.ok("eventType.updateCreates"), "name", "description"),
         (ids["etPut"], "made"))
    c.eq("eventType.getArchived", c.ok("eventType.getArchived").get("archived"), True)
    c.refused("message.createArchivedType", 422, "validation", ["eventType"])
    pages = c.ok("eventType.pages")
    live = sorted([run.example_type, ids["etA"], ids["etB"], ids["etC"], ids["etPut"]])
    c.eq("eventType.list", [e["name"] for e in pages.get("items", [])], live)
    c.eq("eventType.list.pages", sizes(pages), paged(len(live), 2))
    archived = {e["name"]: e["archived"] for e in c.ok("eventType.listArchived").get("items", [])}
    c.eq("eventType.list.includeArchived", archived.get(ids["etArchived"]), True)
    if again := c.ok("eventType.createUnarchives"):
        c.eq("eventType.createUnarchives", pick(again, "archived", "description"),
             (False, "back again"))
    if run.steps["eventType.deleteExpunge"]["ok"]:
        c.refused("eventType.getExpunged", 404, "not_found", key="eventType.deleteExpunge")
    else:
        c.refused("eventType.deleteExpunge", 422, "validation", ["expunge"])
    c.done()


def test_applications(run):
    c, ids = checks(run), run.ids
    a1 = c.ok("application.create")
    c.eq("application.create", pick(a1, "name", "uid", "metadata", "throttleRate"),
         ("Contract A1", ids["a1Uid"], {"team": "x"}, None))
    c.that("application.create.id", str(a1.get("id")).startswith("app_"), a1)
    c.ts("application.create.createdAt", a1.get("createdAt"))
    c.eq("application.getOrCreate.existing", c.ok("application.getOrCreateExisting"), a1)
    a2 = c.ok("application.getOrCreateNew")
    c.eq("application.getOrCreate.new", pick(a2, "name", "uid"), ("Contract A2", ids["a2Uid"]))
    c.that("application.getOrCreate.newId", a2.get("id") not in (None, a1.get("id")), a2)
    c.eq("application.get.uid", c.ok("application.getByUid"), a1)
    c.eq("application.get.id", c.ok("application.getById"), a1)
    c.eq("application.update", pick(c.ok("application.update"), "id", "name", "metadata"),
         (a1.get("id"), "Contract A1 v2", {"team": "y"}))
    p = c.ok("application.patch")
    c.eq("application.patch", pick(p, "name", "uid", "metadata"),
         ("Contract A1 v2", ids["a1Uid"], {"team": "z"}))
    c.eq("application.getAfter", c.ok("application.getAfter"), p)
    if made := c.ok("application.updateCreates"):
        c.eq("application.updateCreates", pick(made, "uid", "name"), (ids["a3Uid"], "Contract A3"))
    pages = c.ok("application.pages")
    want = [ids["mainApp"], a1.get("id"), a2.get("id")] + ([made["id"]] if made else [])
    c.eq("application.list", [a["id"] for a in pages.get("items", [])], want)
    c.eq("application.list.pages", sizes(pages), paged(len(want), 2))
    c.void("application.delete")
    c.refused("application.getDeleted", 404, "not_found")
    c.done()


def test_endpoints(run):
    c, ids, sfx = checks(run), run.ids, run.out["suffix"]
    main = c.ok("endpoint.create")
    c.eq("endpoint.create", pick(main, "url", "uid", "description", "metadata", "disabled",
                                 "filterTypes" if run.v1 else "eventTypes"),
         (run.ok.url("/main"), f"ct-main-{sfx}", "main endpoint", {"role": "main"}, False,
          [ids["etA"], ids["etB"]]))
    c.that("endpoint.create.id", str(main.get("id")).startswith("ep_"), main)
    c.ts("endpoint.create.createdAt", main.get("createdAt"))
    c.eq("endpoint.createTmp", pick(c.ok("endpoint.createTmp"), "disabled", "channels",
                                    "metadata"), (True, ["ch-a"], {"k": "1"}))
    c.eq("endpoint.get", c.ok("endpoint.get"), main)
    c.eq("endpoint.get.uid", c.ok("endpoint.getByUid").get("id"), main.get("id"))
    u = c.ok("endpoint.update")
    c.eq("endpoint.update", pick(u, "id", "url", "description", "metadata", "disabled", "uid"),
         (ids["epTmp"], run.ok.url("/tmp2"), "tmp v2", {"k": "2"}, True, f"ct-tmp-{sfx}"))
    c.that("endpoint.update.channels", u.get("channels") in (None, []), f"PUT kept {u}")
    p = c.ok("endpoint.patch")
    c.eq("endpoint.patch", pick(p, "description", "url", "metadata"),
         ("tmp v3", run.ok.url("/tmp2"), {"k": "2"}))
    c.eq("endpoint.getAfter", c.ok("endpoint.getAfter"), p)
    if made := c.ok("endpoint.updateCreates"):
        c.eq("endpoint.updateCreates", pick(made, "uid", "url"), (f"ct-put-{sfx}",
                                                                 run.ok.url("/put")))
    pages = c.ok("endpoint.pages")
    want = [ids["epMain"], ids["epFail"], ids["epTmp"], ids["epGone"]] + \
        ([made["id"]] if made else [])
    c.eq("endpoint.list", [e["id"] for e in pages.get("items", [])], want)
    c.eq("endpoint.list.pages", sizes(pages), paged(len(want), 1))
    c.void("endpoint.delete")
    c.refused("endpoint.getDeleted", 404, "not_found")

    # headers, and what a delivery carries
    def hdrs(name):
        return {k.lower(): v for k, v in c.ok(name).get("headers", {}).items()}

    c.void("endpoint.setHeaders", "endpoint.patchHeaders", "endpoint.setHeadersAlias",
           "endpoint.patchHeadersAlias")
    c.eq("endpoint.getHeaders", hdrs("endpoint.getHeaders1"), {"x-contract": "one", "x-drop": "x"})
    c.eq("endpoint.getHeaders.sensitive", c.ok("endpoint.getHeaders1").get("sensitive"), [])
    c.eq("endpoint.patchHeaders", hdrs("endpoint.getHeaders2"),
         {"x-contract": "one", "x-drop": "x", "x-extra": "two"})
    if run.steps["endpoint.patchHeadersDelete"]["ok"]:
        c.eq("endpoint.patchHeadersDelete", hdrs("endpoint.getHeaders3"),
             {"x-contract": "one", "x-extra": "two"})
    else:
        c.refused("endpoint.patchHeadersDelete", 422, "validation", ["deleteHeaders"])
    c.eq("endpoint.setHeadersAlias", hdrs("endpoint.getHeaders4"),
         {"x-contract": "one", "x-extra": "two"})
    c.eq("endpoint.patchHeadersAlias", hdrs("endpoint.getHeaders5"),
         {"x-contract": "one", "x-extra": "two", "x-alias": "three"})
    m1 = run.ok.by_webhook_id(ids.get("m1"))
    if c.that("delivery.m1", m1, "the receiver got no m1"):
        c.eq("delivery.headers", pick(m1[0].headers, "x-contract", "x-extra", "x-alias", "x-drop"),
             ("one", "two", "three", None))

    # secrets: m1 is signed with the first; m2 with the key given and (grace period) the first
    s0 = c.ok("endpoint.getSecret").get("key", "")
    c.that("endpoint.getSecret", s0.startswith("whsec_"), s0)
    c.void("endpoint.rotateSecretKey", "endpoint.rotateSecret")
    c.eq("endpoint.rotateSecret.key", c.ok("endpoint.getSecretRotated").get("key"), ids["k1"])
    s2 = c.ok("endpoint.getSecretRandom").get("key", "")
    c.that("endpoint.rotateSecret.new", s2.startswith("whsec_") and s2 not in (s0, ids["k1"]), s2)
    if m1 and s0:
        c.that("delivery.m1.signature", verify_signature(s0, m1[0].headers, m1[0].body))
    m2 = run.ok.by_webhook_id(ids.get("m2"))
    if c.that("delivery.m2", len(m2) == 1, f"{len(m2)} deliveries of m2") and s0:
        c.that("delivery.m2.newKey", verify_signature(ids["k1"], m2[0].headers, m2[0].body))
        c.that("delivery.m2.oldKey", verify_signature(s0, m2[0].headers, m2[0].body))

    # stats, send-example
    c.eq("endpoint.getStats", c.ok("endpoint.getStats"), {**ZERO_STATS, "success": 2})
    c.eq("endpoint.getStats.fail", c.ok("endpoint.getStatsFail"), {**ZERO_STATS, "fail": 1})
    c.eq("endpoint.sendExample", pick(c.ok("endpoint.sendExample"), "eventType", "payload"),
         (run.example_type, EXAMPLE))
    c.eq("endpoint.sendExample.delivered", [(r.path, json.loads(r.body))
                                            for r in run.ok.by_webhook_id(ids.get("mExample"))],
         [("/main", EXAMPLE)])
    c.refused("endpoint.sendExampleNoExample", 422, "validation", ["example"])
    c.done()


def test_messages(run):
    c, ids = checks(run), run.ids
    m1 = c.ok("message.create")
    c.eq("message.create", pick(m1, "eventType", "eventId"),
         (ids["etA"], f"ct-evt-{run.out['suffix']}"))
    c.that("message.create.id", str(m1.get("id")).startswith("msg_"), m1)
    c.ts("message.create.timestamp", m1.get("timestamp"))
    # 2.x asks for no payload back unless told; 1.x puts the payload it sent back itself
    c.eq("message.create.payload", m1.get("payload"), P1 if run.v1 else {})
    c.eq("message.create.withContent", c.ok("message.createB").get("payload"), P2)
    c.eq("message.get", c.ok("message.get"), {**m1, "payload": P1})
    c.eq("message.get.default", c.ok("message.getDefault"), {**m1, "payload": P1 if run.v1 else {}})
    c.eq("message.get.withoutContent", c.ok("message.getLean"), {**m1, "payload": {}})
    pages = c.ok("message.pages")
    c.eq("message.list", [(m["id"], m["payload"]) for m in pages.get("items", [])],
         [(ids["m3"], P3), (ids["m2"], P2), (ids["m1"], P1)])
    c.eq("message.list.pages", sizes(pages), paged(3, 1))
    c.eq("message.list.eventTypes", [m["id"] for m in c.ok("message.listByType").get("data", [])],
         [ids["m2"]])
    c.eq("message.delivered", [(r.path, json.loads(r.body))
                               for r in run.ok.by_webhook_id(ids.get("m1"))],
         [("/main", P1), ("/main", P1)])  # the first attempt and the resend
    c.void("message.expungeContent")
    c.eq("message.expungeContent.get", c.ok("message.getExpunged"), {**m1, "payload": {}})

    c.eq("message.idempotencyKey", c.ok("message.createIdem2").get("id"),
         c.ok("message.createIdem1").get("id"))

    def once(r):
        return json.loads(r.body) == {"hello": "once", "n": 4}

    try:
        run.ok.wait_for(1, timeout=5, where=once)
        time.sleep(0.5)
    except AssertionError:
        pass
    c.eq("message.idempotencyKey.deliveries", len([r for r in run.ok.snapshot() if once(r)]), 1)
    c.done()


def test_attempts(run):
    c, ids = checks(run), run.ids
    [att] = c.ok("messageAttempt.firstOfM1").get("data") or [{}]
    c.eq("messageAttempt.listByMsg", pick(att, "msgId", "endpointId", "url", "status",
                                          "statusText", "responseStatusCode", "response",
                                          "triggerType"),
         (ids["m1"], ids["epMain"], run.ok.url("/main"), 0, "success", 200, "ok", 0))
    c.that("messageAttempt.id", str(att.get("id")).startswith("atmpt_"), att)
    c.ts("messageAttempt.timestamp", att.get("timestamp"))
    c.eq("messageAttempt.listByMsg.status0",
         c.ok("messageAttempt.listByMsgSuccess").get("data"), [att])
    c.eq("messageAttempt.listByMsg.status2", c.ok("messageAttempt.listByMsgFail").get("data"), [])
    c.eq("messageAttempt.listByMsg.endpointId",
         c.ok("messageAttempt.listByMsgOtherEndpoint").get("data"), [])
    pages = c.ok("messageAttempt.listByEndpoint")
    c.eq("messageAttempt.listByEndpoint",
         [pick(a, "msgId", "status") for a in pages.get("items", [])],
         [(ids["m2"], 0), (ids["m1"], 0)])
    c.eq("messageAttempt.listByEndpoint.pages", sizes(pages), paged(2, 1))
    c.eq("messageAttempt.get", c.ok("messageAttempt.get"), att)
    c.eq("messageAttempt.listAttemptedDestinations",
         [pick(d, "id", "status", "statusText", "url", "nextAttempt")
          for d in c.ok("messageAttempt.listAttemptedDestinations").get("data", [])],
         [(ids["epMain"], 0, "success", run.ok.url("/main"), None)])
    msgs = c.ok("messageAttempt.listAttemptedMessages")
    c.eq("messageAttempt.listAttemptedMessages",
         [pick(m, "id", "status", "statusText", "payload") for m in msgs.get("items", [])],
         [(ids["m2"], 0, "success", P2), (ids["m1"], 0, "success", P1)])
    c.eq("messageAttempt.listAttemptedMessages.pages", sizes(msgs), paged(2, 1))
    c.eq("messageAttempt.resend", c.ok("messageAttempt.resend"), {})
    c.eq("messageAttempt.resend.attempts", [pick(a, "status", "triggerType") for a in
                                            c.ok("messageAttempt.listByMsgResent").get("data", [])],
         [(0, 1), (0, 0)])
    c.void("messageAttempt.expungeContent")
    c.eq("messageAttempt.expungeContent.get", c.ok("messageAttempt.getExpunged"),
         {**att, "response": ""})
    c.done()


def test_recover(run):
    c, ids = checks(run), run.ids
    dest = c.ok("messageAttempt.listAttemptedDestinationsFail").get("data", [])
    c.eq("recover.exhausted", [pick(d, "id", "status", "statusText") for d in dest],
         [(ids["epFail"], 2, "fail")])
    c.eq("recover.failedAttempts", [pick(a, "status", "responseStatusCode", "url") for a in
                                    c.ok("messageAttempt.listByMsgFailed").get("data", [])],
         [(2, 500, run.fail.url("/fail"))] * 4)
    c.eq("recover.failReceiver", len(run.fail.by_webhook_id(ids["m3"])), 4)
    c.eq("endpoint.patch.url", c.ok("endpoint.patchUrl").get("url"), run.ok.url("/recovered"))
    rec = c.ok("endpoint.recover")
    c.that("endpoint.recover", rec.get("id") and rec.get("status") in ("running", "finished")
           and rec.get("task") == "endpoint.recover"
           and TIMESTAMP_RE.match(str(rec.get("updatedAt"))), f"RecoverOut {rec}")
    c.eq("recover.attempt", [pick(a, "url", "responseStatusCode") for a in
                             c.ok("messageAttempt.listByMsgRecovered").get("data", [])
                             if a["status"] == 0], [(run.ok.url("/recovered"), 200)])
    c.eq("recover.delivered", [(r.path, json.loads(r.body))
                               for r in run.ok.by_webhook_id(ids["m3"])], [("/recovered", P3)])
    c.done()


def test_authentication(run):
    c, ids = checks(run), run.ids
    p1 = c.ok("authentication.appPortalAccess")
    c.that("authentication.appPortalAccess", p1.get("token") and p1["token"] in p1.get("url", ""),
           p1)
    c.eq("portal.appGet", c.ok("portal.appGet").get("id"), ids["mainApp"])
    c.that("portal.endpointList",
           ids["epMain"] in [e["id"] for e in c.ok("portal.endpointList").get("data", [])])
    c.refused("portal.otherApp", 403, "forbidden")
    c.that("authentication.appPortalAccessCreates",
           c.ok("authentication.appPortalAccessCreates").get("token"))
    c.eq("portal2.appGet", pick(c.ok("portal2.appGet"), "uid", "name"),
         (ids["portalUid"], "Contract portal"))
    c.void("authentication.logout", "authentication.expireAll")
    c.refused("portal2.afterLogout", 401, "authentication_failed")
    c.eq("portal.beforeExpireAll", c.ok("portal.beforeExpireAll").get("id"), ids["mainApp"])
    c.refused("portal.afterExpireAll", 401, "authentication_failed")
    c.done()


# ---- what hookd does not support must be refused, not ignored --------------------------------


def test_unsupported_fields_are_refused_with_422(run):
    c = checks(run)
    want = {"application.create.throttleRate", "application.patch.throttleRate",
            "application.update.throttleRate", "application.getOrCreate.throttleRate",
            "eventType.create.groupName", "eventType.create.featureFlags",
            "eventType.patch.groupName", "message.create.tags", "message.create.deliverAt",
            "message.create.payloadRetentionPeriod", "message.create.payloadRetentionHours",
            "message.create.transformationsParams", "message.create.application",
            "endpoint.sendExample.exampleIndex", "authentication.appPortalAccess.featureFlags",
            "authentication.appPortalAccess.capabilities"}
    if run.v1:
        want |= {"application.create.rateLimit", "endpoint.create.version", "endpoint.patch.secret"}
    c.eq("unsupported.checks", sorted(run.out["unsupported"]), sorted(want))
    for name, step in run.out["unsupported"].items():
        c.refused(name, 422, "validation", [name.rsplit(".", 1)[1]], step=step,
                  key=f"unsupported.{name}")
    c.done()


def test_list_options_are_honored_or_refused(run):
    c, ids, api = checks(run), run.ids, run.server.api()
    first = {  # what a descending list starts with
        "application.list.order": ("id", api.list_all("/api/v1/app")[-1]["id"]),
        "endpoint.list.order":
            ("id", api.list_all(f"/api/v1/app/{ids['mainApp']}/endpoint")[-1]["id"]),
        "eventType.list.order": ("name", api.list_all("/api/v1/event-type")[-1]["name"])}
    for name, step in run.out["filters"].items():
        param = name.rsplit(".", 1)[1]
        camel = param.split("_")[0] + "".join(w.title() for w in param.split("_")[1:])
        key = f"filter.{name}"
        if not step["ok"]:
            c.refused(name, 422, "validation", [param, camel], step=step, key=key)
        elif name in first:
            attr, want = first[name]
            got = [x.get(attr) for x in step["value"]["data"]][:1]
            c.that(key, got == [want], f"order=descending ignored: first {got}, expected {want}")
        else:
            c.that(key, step["value"]["data"] == [], f"{param} ignored: "
                   f"{len(step['value']['data'])} item(s) came back, none match")
    c.done()
