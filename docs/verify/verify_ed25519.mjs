// Verify a hookd Ed25519 signature (Standard Webhooks "v1a") in Node.js, node:crypto only.
// Usage: node verify_ed25519.mjs WHPK_PUBLIC_KEY WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE BODY_FILE
import { createPublicKey, verify as cryptoVerify } from "node:crypto";
import { readFileSync } from "node:fs";

export function verify(publicKey, msgId, timestamp, signatures, body) {
  const raw = Buffer.from(publicKey.replace(/^whpk_/, ""), "base64");
  // An Ed25519 SubjectPublicKeyInfo is this fixed prefix followed by the 32 raw bytes.
  const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]);
  const key = createPublicKey({ key: spki, format: "der", type: "spki" });
  const signed = Buffer.concat([Buffer.from(`${msgId}.${timestamp}.`), body]);
  return signatures.split(" ").some((entry) => {
    const [version, value] = entry.split(",");
    return version === "v1a" && !!value && cryptoVerify(null, signed, key, Buffer.from(value, "base64"));
  }); // also check that the timestamp is recent (e.g. within 5 minutes)
}

const [publicKey, msgId, timestamp, signatures, bodyFile] = process.argv.slice(2);
process.exit(verify(publicKey, msgId, timestamp, signatures, readFileSync(bodyFile)) ? 0 : 1);
