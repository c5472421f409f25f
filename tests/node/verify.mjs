// Verifies one delivery with the npm `standardwebhooks` package.
// Usage: node verify.mjs FILE   where FILE holds {"secret", "headers", "body_b64"}.
// Exits 0 when the signature verifies, 1 with a message on stderr when it does not.
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

const file = process.argv[2];
if (!file) {
  console.error("usage: node verify.mjs FILE");
  process.exit(2);
}
const { secret, headers, body_b64: bodyB64 } = JSON.parse(readFileSync(file, "utf8"));
const body = Buffer.from(bodyB64, "base64");
try {
  const payload = new Webhook(secret).verify(body, headers);
  console.log(JSON.stringify({ ok: true, payload }));
} catch (err) {
  console.error(`verification failed: ${err?.name}: ${err?.message}`);
  process.exit(1);
}
