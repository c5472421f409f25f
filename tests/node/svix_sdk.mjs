// Drives hookd with the official npm `svix` SDK, the way a Svix user would.
// Usage: node svix_sdk.mjs SERVER_URL TOKEN ENDPOINT_URL
// Creates an application, an event type, an endpoint and a message, waits until the message has
// a successful attempt, and prints everything it got back as one JSON object on stdout.
import { Svix } from "svix";

const [serverUrl, token, endpointUrl] = process.argv.slice(2);
if (!serverUrl || !token || !endpointUrl) {
  console.error("usage: node svix_sdk.mjs SERVER_URL TOKEN ENDPOINT_URL");
  process.exit(2);
}

const svix = new Svix(token, { serverUrl, requestTimeout: 10000 });
const suffix = Math.random().toString(36).slice(2, 8);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const out = {};
  out.app = await svix.application.create({ name: "SDK app", uid: `sdk-app-${suffix}` });
  out.appByUid = await svix.application.get(`sdk-app-${suffix}`);
  out.appGetOrCreate = await svix.application.getOrCreate({
    name: "SDK app again",
    uid: `sdk-app-${suffix}`,
  });
  out.eventType = await svix.eventType.create({
    name: `sdk.event.${suffix}`,
    description: "sent by the svix SDK",
  });
  out.endpoint = await svix.endpoint.create(out.app.id, {
    url: endpointUrl,
    description: "SDK endpoint",
    eventTypes: [out.eventType.name],
  });
  out.endpoints = await svix.endpoint.list(out.app.id);
  out.secret = await svix.endpoint.getSecret(out.app.id, out.endpoint.id);
  out.message = await svix.message.create(out.app.id, {
    eventType: out.eventType.name,
    eventId: `sdk-evt-${suffix}`,
    payload: { hello: "from svix sdk", n: 42 },
  });
  // SDK v2 asks for no payload back unless told (`with_content=false`), as Svix answers.
  out.messageGet = await svix.message.get(out.app.id, out.message.id, { withContent: true });
  out.messageGetLean = await svix.message.get(out.app.id, out.message.id);
  out.messagesLean = await svix.message.list(out.app.id);

  const deadline = Date.now() + 20000;
  for (;;) {
    out.attempts = await svix.messageAttempt.listByMsg(out.app.id, out.message.id);
    if (out.attempts.data.some((a) => a.status === 0)) break;
    if (Date.now() > deadline) throw new Error("no successful attempt within 20 s");
    await sleep(200);
  }
  out.attemptsByEndpoint = await svix.messageAttempt.listByEndpoint(out.app.id, out.endpoint.id);
  return out;
}

main().then(
  (out) => {
    console.log(JSON.stringify(out));
  },
  (err) => {
    const detail = err?.body !== undefined ? JSON.stringify(err.body) : "";
    console.error(`svix SDK call failed: ${err?.name}: ${err?.message} ${err?.code ?? ""} ${detail}`);
    process.exit(1);
  },
);
