// Signs one request with the npm `standardwebhooks` package (the sender's side of the spec).
// Usage: node sign.mjs FILE   where FILE holds {"secret", "msgId", "timestamp", "body_b64"}
// (timestamp in unix seconds). Prints {"webhook-id", "webhook-timestamp", "webhook-signature"}.
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

const file = process.argv[2];
if (!file) {
  console.error("usage: node sign.mjs FILE");
  process.exit(2);
}
const { secret, msgId, timestamp, body_b64: bodyB64 } = JSON.parse(readFileSync(file, "utf8"));
const body = Buffer.from(bodyB64, "base64");
const signature = new Webhook(secret).sign(msgId, new Date(timestamp * 1000), body);
console.log(JSON.stringify({
  "webhook-id": msgId,
  "webhook-timestamp": String(timestamp),
  "webhook-signature": signature,
}));
