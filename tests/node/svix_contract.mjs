// The Svix contract suite's driver: calls every method of the SDK's application, authentication,
// endpoint, eventType, health, message and messageAttempt resources against a running hookd,
// with one given version of the official npm `svix` SDK.
// Usage: node svix_contract.mjs MODULE CONFIG.json
//   MODULE: `svix` (2.x) or `svix1` (the npm alias of svix@1.x)
//   CONFIG: {serverUrl, token (admin), okUrl (a receiver answering 200 "ok"), failUrl (one
//            answering 500), exampleType (an event type with an example payload)}
// Prints one JSON object: the SDK's version, the methods its resources have, the ones this run
// called (recorded by a proxy, per phase), the not-covered list with reasons, and every step's
// result ({ok, value} or {ok: false, error: {code, body}}); tests/test_svix_contract.py judges.
// The calls whose method names or argument shapes differ between 1.x and 2.x go through `api`.
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { allPages, listFilters, listMethods, loadSdk, notCoveredFor, otherResources, probeUnserved,
         stepper, tracker, unsupportedFields } from "./svix_contract_lib.mjs";

const [moduleName, cfgPath] = process.argv.slice(2);
if (!moduleName || !cfgPath) {
  console.error("usage: node svix_contract.mjs svix|svix1 CONFIG.json");
  process.exit(2);
}
const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
const { Svix, version, major } = await loadSdk(moduleName);
const rec = tracker();
const clientFor = (token) =>
  rec.track(new Svix(token, { serverUrl: cfg.serverUrl, requestTimeout: 10000 }));
const svix = clientFor(cfg.token);
const steps = {};
const { step, poll } = stepper(steps);
const sfx = randomBytes(4).toString("hex");
const V1 = major === 1;
const out = { sdk: { module: moduleName, version, major }, suffix: sfx, steps, ids: {}, crashes: {} };
const ids = out.ids;
ids.t0 = new Date(Date.now() - 2000).toISOString();
const newKey = () => "whsec_" + randomBytes(32).toString("base64");

// What differs between the two majors: 1.x update/updateHeaders/filterTypes, 2.x
// upsert/setHeaders/eventTypes; 2.x asks for no payload back unless told (with_content=false).
const api = {
  typesField: V1 ? "filterTypes" : "eventTypes",
  appPut: (s, id, body) => (V1 ? s.application.update(id, body) : s.application.upsert(id, body)),
  epPut: (s, a, e, body) => (V1 ? s.endpoint.update(a, e, body) : s.endpoint.upsert(a, e, body)),
  etPut: (s, n, body) => (V1 ? s.eventType.update(n, body) : s.eventType.upsert(n, body)),
  setHeaders: (s, a, e, body) =>
    V1 ? s.endpoint.updateHeaders(a, e, body) : s.endpoint.setHeaders(a, e, body),
  // the deprecated 1.x aliases, in 2.x the same calls again
  setHeadersAlias: (s, a, e, body) =>
    V1 ? s.endpoint.headersUpdate(a, e, body) : s.endpoint.setHeaders(a, e, body),
  patchHeadersAlias: (s, a, e, body) =>
    V1 ? s.endpoint.headersPatch(a, e, body) : s.endpoint.patchHeaders(a, e, body),
};

async function section(name, fn) {
  try {
    await fn();
  } catch (err) {
    out.crashes[name] = `${err?.name}: ${err?.message}\n${err?.stack ?? ""}`.slice(0, 2000);
  }
}

const schemaOf = (title) => ({
  1: { title, type: "object", properties: { n: { type: "integer" } }, required: ["n"] },
});

async function eventTypes() {
  const name = (x) => `ct.${sfx}.${x}`;
  ids.etA = name("a");
  ids.etB = name("b");
  ids.etC = name("c");
  await step("eventType.create", () =>
    svix.eventType.create({ name: ids.etA, description: "Contract A", schemas: schemaOf("A") }));
  await step("eventType.createB", () => svix.eventType.create({ name: ids.etB, description: "B" }));
  await step("eventType.createC", () => svix.eventType.create({ name: ids.etC, description: "C" }));
  await step("eventType.get", () => svix.eventType.get(ids.etA));
  await step("eventType.update", () =>
    api.etPut(svix, ids.etA, { description: "Contract A2", deprecated: true,
                               schemas: schemaOf("A2") }));
  await step("eventType.patch", () => svix.eventType.patch(ids.etA, { description: "Contract A3" }));
  await step("eventType.getAfter", () => svix.eventType.get(ids.etA));
  // Svix's PUT creates an event type that does not exist yet (201)
  ids.etPut = name("put");
  await step("eventType.updateCreates", () => api.etPut(svix, ids.etPut, { description: "made" }));

  ids.etArchived = name("archived");
  await step("eventType.createArchived", () =>
    svix.eventType.create({ name: ids.etArchived, description: "to archive" }));
  await step("eventType.delete", () => svix.eventType.delete(ids.etArchived));
  await step("eventType.getArchived", () => svix.eventType.get(ids.etArchived));
  await step("message.createArchivedType", () =>
    svix.message.create(ids.mainApp, { eventType: ids.etArchived, payload: { n: 1 } }));
  await step("eventType.pages", () => allPages((o) => svix.eventType.list(o), 2));
  await step("eventType.listArchived", () =>
    allPages((o) => svix.eventType.list({ ...o, includeArchived: true }), 250));
  // "An event type can be unarchived with the create operation" (Svix contract, DELETE)
  await step("eventType.createUnarchives", () =>
    svix.eventType.create({ name: ids.etArchived, description: "back again" }));
  await step("eventType.getUnarchived", () => svix.eventType.get(ids.etArchived));
  // expunge=true deletes for good instead of archiving
  ids.etExpunged = name("expunged");
  await step("eventType.createExpunged", () =>
    svix.eventType.create({ name: ids.etExpunged, description: "to expunge" }));
  await step("eventType.deleteExpunge", () =>
    svix.eventType.delete(ids.etExpunged, { expunge: true }));
  await step("eventType.getExpunged", () => svix.eventType.get(ids.etExpunged));
}

async function applications() {
  ids.a1Uid = `ct-a1-${sfx}`;
  const a1 = await step("application.create", () =>
    svix.application.create({ name: "Contract A1", uid: ids.a1Uid, metadata: { team: "x" } }));
  ids.a1 = a1?.id;
  await step("application.getOrCreateExisting", () =>
    svix.application.getOrCreate({ name: "not used", uid: ids.a1Uid }));
  ids.a2Uid = `ct-a2-${sfx}`;
  const a2 = await step("application.getOrCreateNew", () =>
    svix.application.getOrCreate({ name: "Contract A2", uid: ids.a2Uid }));
  ids.a2 = a2?.id;
  await step("application.getByUid", () => svix.application.get(ids.a1Uid));
  await step("application.getById", () => svix.application.get(ids.a1));
  await step("application.update", () =>
    api.appPut(svix, ids.a1, { name: "Contract A1 v2", uid: ids.a1Uid, metadata: { team: "y" } }));
  await step("application.patch", () => svix.application.patch(ids.a1, { metadata: { team: "z" } }));
  await step("application.getAfter", () => svix.application.get(ids.a1Uid));
  // Svix's PUT creates the application when its uid is not known yet (201)
  ids.a3Uid = `ct-a3-${sfx}`;
  await step("application.updateCreates", () => api.appPut(svix, ids.a3Uid, { name: "Contract A3" }));
  await step("application.pages", () => allPages((o) => svix.application.list(o), 2));
  await step("application.delete", () => svix.application.delete(ids.a2));
  await step("application.getDeleted", () => svix.application.get(ids.a2));
}

async function endpoints() {
  const app = ids.mainApp;
  const types = api.typesField;
  const main = await step("endpoint.create", () =>
    svix.endpoint.create(app, {
      url: cfg.okUrl + "/main", uid: `ct-main-${sfx}`, description: "main endpoint",
      metadata: { role: "main" }, [types]: [ids.etA, ids.etB],
    }));
  ids.epMain = main?.id;
  const fail = await step("endpoint.createFail", () =>
    svix.endpoint.create(app, { url: cfg.failUrl + "/fail", description: "fails",
                               [types]: [ids.etC] }));
  ids.epFail = fail?.id;
  const tmp = await step("endpoint.createTmp", () =>
    svix.endpoint.create(app, { url: cfg.okUrl + "/tmp", uid: `ct-tmp-${sfx}`, disabled: true,
                               description: "tmp", channels: ["ch-a"], metadata: { k: "1" } }));
  ids.epTmp = tmp?.id;
  const gone = await step("endpoint.createGone", () =>
    svix.endpoint.create(app, { url: cfg.okUrl + "/gone", disabled: true }));
  ids.epGone = gone?.id;
  await step("endpoint.get", () => svix.endpoint.get(app, ids.epMain));
  await step("endpoint.getByUid", () => svix.endpoint.get(app, `ct-main-${sfx}`));
  await step("endpoint.update", () =>
    api.epPut(svix, app, ids.epTmp, { url: cfg.okUrl + "/tmp2", description: "tmp v2",
                                       disabled: true, uid: `ct-tmp-${sfx}`, metadata: { k: "2" } }));
  await step("endpoint.patch", () => svix.endpoint.patch(app, ids.epTmp, { description: "tmp v3" }));
  await step("endpoint.getAfter", () => svix.endpoint.get(app, ids.epTmp));
  await step("endpoint.updateCreates", () =>
    api.epPut(svix, app, `ct-put-${sfx}`, { url: cfg.okUrl + "/put", disabled: true }));
  await step("endpoint.pages", () => allPages((o) => svix.endpoint.list(app, o), 1));
  await step("endpoint.delete", () => svix.endpoint.delete(app, ids.epGone));
  await step("endpoint.getDeleted", () => svix.endpoint.get(app, ids.epGone));

  // headers; what the last calls leave is what deliveries carry
  const ep = ids.epMain;
  await step("endpoint.setHeaders", () =>
    api.setHeaders(svix, app, ep, { headers: { "X-Contract": "one", "X-Drop": "x" } }));
  await step("endpoint.getHeaders1", () => svix.endpoint.getHeaders(app, ep));
  await step("endpoint.patchHeaders", () =>
    svix.endpoint.patchHeaders(app, ep, { headers: { "X-Extra": "two" } }));
  await step("endpoint.getHeaders2", () => svix.endpoint.getHeaders(app, ep));
  await step("endpoint.patchHeadersDelete", () =>
    svix.endpoint.patchHeaders(app, ep, { headers: {}, deleteHeaders: ["X-Drop"] }));
  await step("endpoint.getHeaders3", () => svix.endpoint.getHeaders(app, ep));
  await step("endpoint.setHeadersAlias", () =>
    api.setHeadersAlias(svix, app, ep, { headers: { "X-Contract": "one", "X-Extra": "two" } }));
  await step("endpoint.getHeaders4", () => svix.endpoint.getHeaders(app, ep));
  await step("endpoint.patchHeadersAlias", () =>
    api.patchHeadersAlias(svix, app, ep, { headers: { "X-Alias": "three" } }));
  await step("endpoint.getHeaders5", () => svix.endpoint.getHeaders(app, ep));
  await step("endpoint.getSecret", () => svix.endpoint.getSecret(app, ep));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const succeeded = (list) => list.data.some((a) => a.status === 0);

async function deliveries() {
  const app = ids.mainApp;
  const ep = ids.epMain;

  // ---- messages: m1 signed with the first secret; m2 after a rotation to a given key
  const m1 = await step("message.create", () =>
    svix.message.create(app, { eventType: ids.etA, eventId: `ct-evt-${out.suffix}`,
                              payload: { hello: "contract", n: 1 } }));
  ids.m1 = m1?.id;
  await poll("messageAttempt.listByMsg", () => svix.messageAttempt.listByMsg(app, ids.m1), succeeded);
  ids.k1 = newKey();
  await step("endpoint.rotateSecretKey", () => svix.endpoint.rotateSecret(app, ep, { key: ids.k1 }));
  await step("endpoint.getSecretRotated", () => svix.endpoint.getSecret(app, ep));
  const m2 = await step("message.createB", () =>
    svix.message.create(app, { eventType: ids.etB, payload: { hello: "rotated", n: 2 } },
                        { withContent: true }));
  ids.m2 = m2?.id;
  await poll("messageAttempt.listByMsgB", () => svix.messageAttempt.listByMsg(app, ids.m2),
             succeeded);
  await step("endpoint.rotateSecret", () => svix.endpoint.rotateSecret(app, ep));
  await step("endpoint.getSecretRandom", () => svix.endpoint.getSecret(app, ep));
  const m3 = await step("message.createC", () =>
    svix.message.create(app, { eventType: ids.etC, payload: { hello: "fails", n: 3 } }));
  ids.m3 = m3?.id;

  await step("message.get", () => svix.message.get(app, ids.m1, { withContent: true }));
  await step("message.getDefault", () => svix.message.get(app, ids.m1));
  await step("message.getLean", () => svix.message.get(app, ids.m1, { withContent: false }));
  await step("message.pages", () =>
    allPages((o) => svix.message.list(app, { ...o, withContent: true }), 1));
  await step("message.listByType", () =>
    svix.message.list(app, { eventTypes: [ids.etB], withContent: true }));

  // ---- attempts of m1
  await step("messageAttempt.listByMsgSuccess", () =>
    svix.messageAttempt.listByMsg(app, ids.m1, { status: 0 }));
  await step("messageAttempt.listByMsgFail", () =>
    svix.messageAttempt.listByMsg(app, ids.m1, { status: 2 }));
  await step("messageAttempt.listByMsgOtherEndpoint", () =>
    svix.messageAttempt.listByMsg(app, ids.m1, { endpointId: ids.epFail }));
  await step("messageAttempt.listByEndpoint", () =>
    allPages((o) => svix.messageAttempt.listByEndpoint(app, ep, o), 1));
  const att = (await step("messageAttempt.firstOfM1", () =>
    svix.messageAttempt.listByMsg(app, ids.m1)))?.data?.[0];
  ids.att1 = att?.id;
  await step("messageAttempt.get", () => svix.messageAttempt.get(app, ids.m1, ids.att1));
  await step("messageAttempt.listAttemptedDestinations", () =>
    svix.messageAttempt.listAttemptedDestinations(app, ids.m1));
  await step("messageAttempt.listAttemptedMessages", () =>
    allPages((o) => svix.messageAttempt.listAttemptedMessages(app, ep, { ...o, withContent: true }),
             1));
  await step("endpoint.getStats", () => svix.endpoint.getStats(app, ep));

  // ---- resend m1 (a manual attempt), then expunge the first attempt's response and m1's payload
  await step("messageAttempt.resend", () => svix.messageAttempt.resend(app, ids.m1, ep));
  await poll("messageAttempt.listByMsgResent", () => svix.messageAttempt.listByMsg(app, ids.m1),
             (l) => l.data.filter((a) => a.status === 0).length >= 2);
  await step("messageAttempt.expungeContent", () =>
    svix.messageAttempt.expungeContent(app, ids.m1, ids.att1));
  await step("messageAttempt.getExpunged", () => svix.messageAttempt.get(app, ids.m1, ids.att1));
  await step("message.expungeContent", () => svix.message.expungeContent(app, ids.m1));
  await step("message.getExpunged", () => svix.message.get(app, ids.m1, { withContent: true }));

  // ---- send-example, to this endpoint only
  const ex = await step("endpoint.sendExample", () =>
    svix.endpoint.sendExample(app, ep, { eventType: cfg.exampleType }));
  ids.mExample = ex?.id;
  await poll("messageAttempt.listByMsgExample", () =>
    svix.messageAttempt.listByMsg(app, ids.mExample), succeeded);
  await step("endpoint.sendExampleNoExample", () =>
    svix.endpoint.sendExample(app, ep, { eventType: ids.etB }));

  // ---- recover: m3 exhausts its retries on the failing receiver, the endpoint moves to the
  // good one, and recover sends the failed message again
  await poll("messageAttempt.listAttemptedDestinationsFail", () =>
    svix.messageAttempt.listAttemptedDestinations(app, ids.m3),
    (l) => l.data.some((d) => d.id === ids.epFail && d.status === 2), 20000);
  await step("messageAttempt.listByMsgFailed", () => svix.messageAttempt.listByMsg(app, ids.m3));
  await step("endpoint.getStatsFail", () => svix.endpoint.getStats(app, ids.epFail));
  await step("endpoint.patchUrl", () =>
    svix.endpoint.patch(app, ids.epFail, { url: cfg.okUrl + "/recovered" }));
  await step("endpoint.recover", () =>
    svix.endpoint.recover(app, ids.epFail, { since: new Date(ids.t0) }));
  await poll("messageAttempt.listByMsgRecovered", () => svix.messageAttempt.listByMsg(app, ids.m3),
             succeeded);

  // ---- idempotency keys: the same key twice is one message (Svix's contract header)
  const key = `ct-idem-${out.suffix}`;
  const body = { eventType: ids.etB, payload: { hello: "once", n: 4 } };
  await step("message.createIdem1", () => svix.message.create(app, body, { idempotencyKey: key }));
  await step("message.createIdem2", () => svix.message.create(app, body, { idempotencyKey: key }));

  await portal();
  await sleep(300); // lets the last deliveries land before the receivers are read
}

async function portal() {
  const app = ids.mainApp;
  const p1 = await step("authentication.appPortalAccess", () =>
    svix.authentication.appPortalAccess(app, { sessionId: "ct-s1" }));
  const c1 = p1 && clientFor(p1.token);
  await step("portal.appGet", () => c1.application.get(app));
  await step("portal.endpointList", () => c1.endpoint.list(app));
  await step("portal.otherApp", () => c1.application.get(ids.a1));
  ids.portalUid = `ct-portal-${out.suffix}`;
  const p2 = await step("authentication.appPortalAccessCreates", () =>
    svix.authentication.appPortalAccess(ids.portalUid, {
      application: { name: "Contract portal", uid: ids.portalUid }, sessionId: "ct-s2" }));
  const c2 = p2 && clientFor(p2.token);
  await step("portal2.appGet", () => c2.application.get(ids.portalUid));
  await step("authentication.logout", () => c2.authentication.logout());
  await step("portal2.afterLogout", () => c2.application.get(ids.portalUid));
  await step("portal.beforeExpireAll", () => c1.application.get(app));
  await step("authentication.expireAll", () => svix.authentication.expireAll(app, {}));
  await step("portal.afterExpireAll", () => c1.application.get(app));
}

const ctx = { svix, step, poll, api, ids, cfg, out, clientFor, newKey, V1, allPages };

await section("setup", async () => {
  await step("health.get", () => svix.health.get());
  ids.mainUid = `ct-main-${sfx}`;
  const main = await step("application.createMain", () =>
    svix.application.create({ name: "Contract main", uid: ids.mainUid }));
  ids.mainApp = main?.id;
});
await section("eventTypes", eventTypes);
await section("applications", applications);
await section("endpoints", endpoints);
await section("delivery", deliveries);
await section("unsupported", () => unsupportedFields(ctx));
await section("filters", () => listFilters(ctx));

out.methods = listMethods(svix);
out.otherResources = otherResources(svix);
out.notCovered = notCoveredFor(out.methods);
rec.setPhase("unserved");
await section("unserved", () =>
  probeUnserved(svix, out.methods, { appId: ids.mainApp ?? "app_missing",
                                      endpointId: ids.epMain ?? "ep_missing",
                                      eventType: ids.etA }, out));
out.calls = { served: [...rec.calls.served].sort(), unserved: [...rec.calls.unserved].sort() };
console.log(JSON.stringify(out));
