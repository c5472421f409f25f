// Drives hookd's endpoint stats, endpoint messages, send-example, content expunging, health and
// app portal tokens with the official npm `svix` SDK.
// Usage: node svix_resources.mjs CONFIG.json
//   CONFIG: {serverUrl, token (admin), appId, endpointId (its receiver answers 200 "ok"),
//            eventType (with an example), otherAppId}
// Prints one JSON object on stdout: for each step, {ok: true, value} with what the SDK returned
// (null for calls without a body), or {ok: false, error: {code, body, message}} when hookd
// refused the request; the pytest side (tests/test_svix_routes.py) judges the results.
import { readFileSync } from "node:fs";
import { Svix } from "svix";

import { stepper } from "./svix_contract_lib.mjs";

const cfgPath = process.argv[2];
if (!cfgPath) {
  console.error("usage: node svix_resources.mjs CONFIG.json");
  process.exit(2);
}
const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
const clientFor = (token) => new Svix(token, { serverUrl: cfg.serverUrl, requestTimeout: 10000 });
const svix = clientFor(cfg.token);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const suffix = Math.random().toString(36).slice(2, 8);
const out = {};

// Runs one SDK call; records its value or hookd's refusal under `name` (svix_contract_lib.mjs).
const { step } = stepper(out);

async function main() {
  const { appId, endpointId, eventType } = cfg;
  await step("health", () => svix.health.get());

  const msg = await step("sendExample", () =>
    svix.endpoint.sendExample(appId, endpointId, { eventType }),
  );
  if (!msg) return;
  const deadline = Date.now() + 15000;
  let attempts;
  for (;;) {
    attempts = await step("attempts", () => svix.messageAttempt.listByMsg(appId, msg.id));
    if (!attempts || attempts.data.some((a) => a.status === 0)) break;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  const attempt = attempts?.data.find((a) => a.status === 0);

  await step("stats", () => svix.endpoint.getStats(appId, endpointId));
  const t = msg.timestamp.getTime();
  await step("statsWindow", () =>
    svix.endpoint.getStats(appId, endpointId, { since: new Date(t), until: new Date(t + 1) }),
  );
  await step("statsBefore", () =>
    svix.endpoint.getStats(appId, endpointId, { until: new Date(t) }),
  );
  await step("statsFuture", () =>
    svix.endpoint.getStats(appId, endpointId, {
      since: new Date(Date.now() + 3600_000),
      until: new Date(Date.now() + 7200_000),
    }),
  );
  await step("statsBackwards", () =>
    svix.endpoint.getStats(appId, endpointId, { since: new Date(t), until: new Date(t - 1000) }),
  );

  await step("attempted", () => svix.messageAttempt.listAttemptedMessages(appId, endpointId));
  await step("attemptedWithContent", () =>
    svix.messageAttempt.listAttemptedMessages(appId, endpointId, { withContent: true }),
  );
  await step("attemptedSuccess", () =>
    svix.messageAttempt.listAttemptedMessages(appId, endpointId, { status: 0 }),
  );
  await step("attemptedFail", () =>
    svix.messageAttempt.listAttemptedMessages(appId, endpointId, { status: 2 }),
  );

  if (attempt) {
    await step("attemptBefore", () => svix.messageAttempt.get(appId, msg.id, attempt.id));
    await step("expungeAttempt", () =>
      svix.messageAttempt.expungeContent(appId, msg.id, attempt.id),
    );
    await step("attemptAfter", () => svix.messageAttempt.get(appId, msg.id, attempt.id));
  }
  await step("expungeMessage", () => svix.message.expungeContent(appId, msg.id));
  await step("messageAfter", () => svix.message.get(appId, msg.id, { withContent: true }));

  // App portal access: the application is made from `application` on the way.
  const uid = `sdk-portal-${suffix}`;
  out.portalUid = uid;
  const portal = await step("portal", () =>
    svix.authentication.appPortalAccess(uid, {
      application: { name: "SDK portal app", uid },
      sessionId: "sdk-s1",
    }),
  );
  if (!portal) return;
  const portalClient = clientFor(portal.token);
  await step("portalAppGet", () => portalClient.application.get(uid));
  await step("portalOwnStats", async () => {
    const ep = await svix.endpoint.create(uid, { url: cfg.serverUrl + "/unused", disabled: true });
    return portalClient.endpoint.getStats(uid, ep.id);
  });
  await step("portalOtherApp", () => portalClient.endpoint.getStats(appId, endpointId));

  // logout with the portal token itself
  const portal2 = await step("portal2", () =>
    svix.authentication.appPortalAccess(uid, { sessionId: "sdk-s2" }),
  );
  if (!portal2) return;
  const portal2Client = clientFor(portal2.token);
  await step("logout", () => portal2Client.authentication.logout());
  await step("afterLogout", () => portal2Client.application.get(uid));

  // expire-all with the admin token ends the first portal token
  await step("beforeExpireAll", () => portalClient.application.get(uid));
  await step("expireAll", () => svix.authentication.expireAll(uid, {}));
  await step("afterExpireAll", () => portalClient.application.get(uid));
}

main().then(
  () => {
    console.log(JSON.stringify(out));
  },
  (err) => {
    console.error(`svix_resources.mjs failed: ${err?.name}: ${err?.message}`);
    console.log(JSON.stringify(out));
    process.exit(1);
  },
);
