// The machinery of svix_contract.mjs: loading one version of the npm `svix` SDK, listing the
// methods its resources really have, recording which ones a run calls, running steps, the
// methods hookd does not serve (each with its reason and one call that must get a clear error),
// the fields hookd does not support (each must be a 422 naming it) and the list options that
// narrow a list (each must be honored or refused with a 422).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

// The resources the contract suite covers.
export const RESOURCES = [
  "application",
  "authentication",
  "endpoint",
  "eventType",
  "health",
  "message",
  "messageAttempt",
];

// `svix` (v2, ESM) or `svix1` (the npm alias of svix@1.x, CommonJS).
export async function loadSdk(moduleName) {
  const mod = await import(moduleName);
  const Svix = mod.Svix ?? mod.default?.Svix;
  if (typeof Svix !== "function") throw new Error(`${moduleName} exports no Svix class`);
  const version = require(`${moduleName}/package.json`).version;
  return { Svix, version, major: Number(version.split(".")[0]) };
}

const isResource = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// Every method of a resource object: the functions along its prototype chain, and, for a getter
// that hands out a sub-resource (endpoint.transformation, message.poller), that one's methods
// as "<resource>.<getter>.<method>".
function methodsOf(obj, prefix, out) {
  const seen = new Set();
  for (let p = obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name === "constructor" || seen.has(name)) continue;
      seen.add(name);
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (typeof d.value === "function") {
        out.push(`${prefix}.${name}`);
      } else if (d.get) {
        const v = obj[name];
        if (typeof v === "function") out.push(`${prefix}.${name}`);
        else if (isResource(v)) methodsOf(v, `${prefix}.${name}`, out);
      }
    }
  }
  return out;
}

export function listMethods(svix) {
  const out = [];
  for (const r of RESOURCES) methodsOf(svix[r], r, out);
  return out.sort();
}

// The other resources of the client, for information only.
export function otherResources(svix) {
  const names = new Set();
  for (let p = svix; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) names.add(n);
  }
  return [...names].filter((n) => !RESOURCES.includes(n) && n !== "constructor" &&
                                  n !== "requestCtx" && isResource(svix[n])).sort();
}

// Records every call of a resource method made through the returned client under the current
// phase ("served" or "unserved"). Methods run on the real object, so a method that calls another
// one inside the SDK (a deprecated alias) records only itself.
export function tracker() {
  const calls = { served: new Set(), unserved: new Set() };
  let phase = "served";
  const wrap = (name, res) =>
    new Proxy(res, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (typeof prop !== "string" || prop === "requestCtx") return v;
        if (typeof v === "function") {
          return (...args) => {
            calls[phase].add(`${name}.${prop}`);
            return v.apply(target, args);
          };
        }
        return isResource(v) ? wrap(`${name}.${prop}`, v) : v;
      },
    });
  return {
    calls,
    setPhase: (p) => { phase = p; },
    track: (svix) =>
      new Proxy(svix, {
        get(target, prop) {
          const v = Reflect.get(target, prop, target);
          return RESOURCES.includes(prop) ? wrap(prop, v) : v;
        },
      }),
  };
}

// A record of steps: {ok: true, value} with what the SDK returned (through JSON, so Dates come
// out as strings and an unparsable date as null), or {ok: false, error: {code, body, message}}.
export function stepper(out) {
  async function step(name, fn) {
    try {
      const value = await fn();
      out[name] = { ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
      return value;
    } catch (err) {
      out[name] = {
        ok: false,
        error: { code: err?.code ?? null, body: err?.body ?? null,
                 message: `${err?.name}: ${err?.message}`.slice(0, 500) },
      };
      return undefined;
    }
  }
  // Repeats `fn` (one step) until `done(value)` or the time is up; the last answer is recorded.
  async function poll(name, fn, done, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await step(name, fn);
      if ((v !== undefined && done(v)) || Date.now() > deadline) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { step, poll };
}

// One call's answer, recorded as a step is.
async function answer(call) {
  const r = {};
  await stepper(r).step("r", call);
  return r.r;
}

// Walks every page of a list call with the SDK's `limit` and `iterator` options.
export async function allPages(call, limit) {
  const pages = [];
  let iterator;
  for (let i = 0; i < 50; i++) {
    const page = await call({ limit, ...(iterator ? { iterator } : {}) });
    pages.push({ size: page.data.length, done: page.done, iterator: page.iterator ?? null });
    const items = page.data;
    pages[pages.length - 1].items = items;
    if (page.done) break;
    iterator = page.iterator;
  }
  return { pages: pages.map(({ size, done, iterator }) => ({ size, done, iterator })),
           items: pages.flatMap((p) => p.items) };
}

// Methods of these resources that hookd does not serve: why, the Svix route the SDK calls, and
// one call of it (ids: {appId, endpointId, msgId, eventType}). Each is called once; hookd must
// answer with a clear error (404 not_found, or 405 method_not_allowed where the path looks like
// a served one), never a crash or a success. Entries a version does not have are skipped.
const since = new Date(Date.now() - 3600_000);
export const NOT_COVERED = {
  "authentication.dashboardAccess": {
    reason: "deprecated in 1.x (use appPortalAccess); hookd has no dashboard-access route",
    route: "POST /api/v1/auth/dashboard-access/{app_id}",
    call: (s, i) => s.authentication.dashboardAccess(i.appId),
  },
  "authentication.streamPortalAccess": {
    reason: "Svix Stream is not part of hookd",
    route: "POST /api/v1/auth/stream-portal-access/{stream_id}",
    call: (s) => s.authentication.streamPortalAccess("strm_contract", {}),
  },
  "authentication.streamLogout": {
    reason: "Svix Stream is not part of hookd",
    route: "POST /api/v1/auth/stream-logout",
    call: (s) => s.authentication.streamLogout(),
  },
  "authentication.streamExpireAll": {
    reason: "Svix Stream is not part of hookd",
    route: "POST /api/v1/auth/stream/{stream_id}/expire-all",
    call: (s) => s.authentication.streamExpireAll("strm_contract", {}),
  },
  "authentication.rotateStreamPollerToken": {
    reason: "Svix Stream is not part of hookd",
    route: "POST /api/v1/auth/stream/{stream_id}/sink/{sink_id}/poller/token/rotate",
    call: (s) => s.authentication.rotateStreamPollerToken("strm_contract", "sink_contract", {}),
  },
  "authentication.getStreamPollerToken": {
    reason: "Svix Stream is not part of hookd",
    route: "GET /api/v1/auth/stream/{stream_id}/sink/{sink_id}/poller/token",
    call: (s) => s.authentication.getStreamPollerToken("strm_contract", "sink_contract"),
  },
  "endpoint.replayMissing": {
    reason: "no replay-missing route (hookd replays failed deliveries with recover)",
    route: "POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/replay-missing",
    call: (s, i) => s.endpoint.replayMissing(i.appId, i.endpointId, { since }),
  },
  "endpoint.bulkReplay": {
    reason: "no bulk-replay route (hookd has POST /api/v1/app/{app_id}/retry instead)",
    route: "POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/bulk-replay",
    call: (s, i) => s.endpoint.bulkReplay(i.appId, i.endpointId, { since }),
  },
  "endpoint.transformationPartialUpdate": {
    reason: "transformations are not part of hookd",
    route: "PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}/transformation",
    call: (s, i) => s.endpoint.transformationPartialUpdate(i.appId, i.endpointId, {}),
  },
  "endpoint.transformationGet": {
    reason: "transformations are not part of hookd",
    route: "GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/transformation",
    call: (s, i) => s.endpoint.transformationGet(i.appId, i.endpointId),
  },
  "endpoint.patchTransformation": {
    reason: "transformations are not part of hookd",
    route: "PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}/transformation",
    call: (s, i) => s.endpoint.patchTransformation(i.appId, i.endpointId, {}),
  },
  "endpoint.transformation.get": {
    reason: "transformations are not part of hookd",
    route: "GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/transformation",
    call: (s, i) => s.endpoint.transformation.get(i.appId, i.endpointId),
  },
  "endpoint.transformation.patch": {
    reason: "transformations are not part of hookd",
    route: "PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}/transformation",
    call: (s, i) => s.endpoint.transformation.patch(i.appId, i.endpointId, {}),
  },
  "eventType.importOpenapi": {
    reason: "hookd does not import OpenAPI documents (it has ready catalogues instead)",
    route: "POST /api/v1/event-type/import/openapi",
    call: (s) => s.eventType.importOpenapi({}),
  },
  "message.precheck": {
    reason: "no precheck route",
    route: "POST /api/v1/app/{app_id}/msg/precheck/active",
    call: (s, i) => s.message.precheck(i.appId, { eventType: i.eventType }),
  },
  "message.bulkExpungeContent": {
    reason: "no bulk expunge route (expunge one message at a time)",
    route: "POST /api/v1/app/{app_id}/msg/bulk-expunge",
    call: (s, i) => s.message.bulkExpungeContent(i.appId, {}),
  },
  "message.expungeAllContents": {
    reason: "no expunge-all route (an Enterprise background task in Svix)",
    route: "POST /api/v1/app/{app_id}/msg/expunge-all-contents",
    call: (s, i) => s.message.expungeAllContents(i.appId),
  },
  "message.poller.poll": {
    reason: "polling endpoints are not part of hookd",
    route: "GET /api/v1/app/{app_id}/poller/{sink_id}",
    call: (s, i) => s.message.poller.poll(i.appId, "sink_contract"),
  },
  "message.poller.consumerPoll": {
    reason: "polling endpoints are not part of hookd",
    route: "GET /api/v1/app/{app_id}/poller/{sink_id}/consumer/{consumer_id}",
    call: (s, i) => s.message.poller.consumerPoll(i.appId, "sink_contract", "c1"),
  },
  "message.poller.consumerSeek": {
    reason: "polling endpoints are not part of hookd",
    route: "POST /api/v1/app/{app_id}/poller/{sink_id}/consumer/{consumer_id}/seek",
    call: (s, i) => s.message.poller.consumerSeek(i.appId, "sink_contract", "c1", { after: since }),
  },
};

// Calls each NOT_COVERED method this SDK has, once, recording its answer under "unserved".
export async function probeUnserved(svix, methods, ids, out) {
  out.unserved = {};
  for (const [name, entry] of Object.entries(NOT_COVERED)) {
    if (!methods.includes(name)) continue;
    out.unserved[name] = await answer(() => entry.call(svix, ids));
  }
}

export const notCoveredFor = (methods) =>
  Object.fromEntries(Object.entries(NOT_COVERED).filter(([n]) => methods.includes(n))
    .map(([n, e]) => [n, { reason: e.reason, route: e.route }]));

// Fields the SDK can send that hookd does not support: each must be a 422 naming the field.
export async function unsupportedFields({ svix, api, ids, cfg, out, newKey, V1 }) {
  const app = ids.mainApp;
  const sfx = out.suffix;
  const checks = {
    "application.create.throttleRate": () =>
      svix.application.create({ name: "throttled", throttleRate: 10 }),
    "application.patch.throttleRate": () => svix.application.patch(ids.a1, { throttleRate: 5 }),
    "application.update.throttleRate": () =>
      api.appPut(svix, ids.a1, { name: "Contract A1 v2", throttleRate: 5 }),
    "application.getOrCreate.throttleRate": () =>
      svix.application.getOrCreate({ name: "throttled", uid: ids.a1Uid, throttleRate: 10 }),
    "eventType.create.groupName": () =>
      svix.eventType.create({ name: `ct.${sfx}.grp`, description: "g", groupName: "group" }),
    "eventType.create.featureFlags": () =>
      svix.eventType.create({ name: `ct.${sfx}.ff`, description: "f", featureFlags: ["beta"] }),
    "eventType.patch.groupName": () => svix.eventType.patch(ids.etB, { groupName: "group" }),
    "message.create.tags": () =>
      svix.message.create(app, { eventType: ids.etA, payload: { n: 1 }, tags: ["t1"] }),
    "message.create.payloadRetentionPeriod": () =>
      svix.message.create(app, { eventType: ids.etA, payload: { n: 1 }, payloadRetentionPeriod: 5 }),
    "message.create.payloadRetentionHours": () =>
      svix.message.create(app, { eventType: ids.etA, payload: { n: 1 }, payloadRetentionHours: 5 }),
    "message.create.deliverAt": () =>
      svix.message.create(app, { eventType: ids.etA, payload: { n: 1 },
                                 deliverAt: new Date(Date.now() + 600_000) }),
    "message.create.transformationsParams": () =>
      svix.message.create(app, { eventType: ids.etA, payload: { n: 1 },
                                 transformationsParams: { rawPayload: "{}" } }),
    "message.create.application": () =>
      svix.message.create(`ct-none-${sfx}`, { eventType: ids.etA, payload: { n: 1 },
                                              application: { name: "made by message" } }),
    "endpoint.sendExample.exampleIndex": () =>
      svix.endpoint.sendExample(app, ids.epMain, { eventType: cfg.exampleType, exampleIndex: 1 }),
    "authentication.appPortalAccess.featureFlags": () =>
      svix.authentication.appPortalAccess(app, { featureFlags: ["beta"] }),
    "authentication.appPortalAccess.capabilities": () =>
      svix.authentication.appPortalAccess(app, { capabilities: ["ViewBase"] }),
  };
  if (V1) {
    Object.assign(checks, {
      "application.create.rateLimit": () => svix.application.create({ name: "rl", rateLimit: 10 }),
      "endpoint.create.version": () =>
        svix.endpoint.create(app, { url: cfg.okUrl + "/v", version: 2, disabled: true }),
      "endpoint.patch.secret": () => svix.endpoint.patch(app, ids.epTmp, { secret: newKey() }),
    });
  }
  out.unsupported = {};
  for (const [name, call] of Object.entries(checks)) out.unsupported[name] = await answer(call);
}

// List options of the SDK that narrow a list: each must be honored (the answer is what the
// filter leaves: nothing, here) or refused with a 422 naming it, never ignored.
export async function listFilters({ svix, ids, out }) {
  const app = ids.mainApp;
  const ep = ids.epMain;
  const old = new Date(Date.parse(ids.t0) - 3600_000);
  const future = new Date(Date.now() + 3600_000);
  const none = `ct-none`;
  const narrowing = {
    channel: { channel: none },
    tag: { tag: none },
    before: { before: old },
    after: { after: future },
    event_types: { eventTypes: [`${ids.etC}.none`] },
  };
  const calls = {};
  for (const [param, o] of Object.entries(narrowing)) {
    calls[`message.list.${param}`] = () => svix.message.list(app, o);
    calls[`messageAttempt.listByMsg.${param}`] = () => svix.messageAttempt.listByMsg(app, ids.m2, o);
    calls[`messageAttempt.listByEndpoint.${param}`] = () =>
      svix.messageAttempt.listByEndpoint(app, ep, o);
    calls[`messageAttempt.listAttemptedMessages.${param}`] = () =>
      svix.messageAttempt.listAttemptedMessages(app, ep, o);
  }
  calls["messageAttempt.listByMsg.status_code_class"] = () =>
    svix.messageAttempt.listByMsg(app, ids.m2, { statusCodeClass: 500 });
  calls["messageAttempt.listByEndpoint.status_code_class"] = () =>
    svix.messageAttempt.listByEndpoint(app, ep, { statusCodeClass: 500 });
  calls["application.list.exclude_apps_with_no_endpoints"] = async () => {
    const l = await svix.application.list({ excludeAppsWithNoEndpoints: true, limit: 250 });
    return { ...l, data: l.data.filter((a) => a.id === ids.a1) }; // a1 has no endpoint
  };
  // order: the first item of a descending list is the newest (applications, endpoints) or the
  // last by name (event types); an `order` ignored gives the oldest or first
  calls["application.list.order"] = () => svix.application.list({ order: "descending", limit: 1 });
  calls["endpoint.list.order"] = () => svix.endpoint.list(app, { order: "descending", limit: 1 });
  calls["eventType.list.order"] = () => svix.eventType.list({ order: "descending", limit: 1 });
  out.filters = {};
  for (const [name, call] of Object.entries(calls)) out.filters[name] = await answer(call);
}
