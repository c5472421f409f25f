// Verify a hookd (Standard Webhooks) signature in Node.js, with node:crypto only.
// Usage: node verify.mjs SECRET WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE BODY_FILE
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

export function verify(secret, msgId, timestamp, signatures, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signed = Buffer.concat([Buffer.from(`${msgId}.${timestamp}.`), body]);
  const expected = createHmac("sha256", key).update(signed).digest();
  return signatures.split(" ").some((entry) => {
    const [version, value] = entry.split(",");
    if (version !== "v1" || !value) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }); // also check that the timestamp is recent (e.g. within 5 minutes)
}

const [secret, msgId, timestamp, signatures, bodyFile] = process.argv.slice(2);
process.exit(verify(secret, msgId, timestamp, signatures, readFileSync(bodyFile)) ? 0 : 1);
