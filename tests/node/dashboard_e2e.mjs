// The dashboard end to end in a real browser (Debian's chromium through playwright-core),
// against a real hookd and a real receiver on loopback (this script's own HTTP server):
// sign in; load a ready event catalogue; create a webhook with a custom header and form format; Test and see 200; activate;
// publish an event through the API and see it arrive in the live tail and the delivery log; resend it; recover a window
// of failed deliveries; deactivate; an application token sees its own application only; an app
// portal link signs in. Throughout, the token must appear in no URL the browser requested and
// in no storage of the page. Screenshots of every screen at two widths go to SCREENSHOTS.
//
// Usage: HOOKD_URL=http://127.0.0.1:PORT HOOKD_TOKEN=... SCREENSHOTS=dir node dashboard_e2e.mjs
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const base = process.env.HOOKD_URL;
const adminToken = process.env.HOOKD_TOKEN;
const shots = process.env.SCREENSHOTS;
const secrets = [adminToken];
const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 390, height: 844 };

// ---- the receiver --------------------------------------------------------------------------
const received = [];
let receiverStatus = 200;
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    received.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
    res.writeHead(receiverStatus, { 'Content-Type': 'text/plain' });
    res.end(receiverStatus === 200 ? 'thanks' : 'receiver down');
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

// ---- the API, for what a product does outside the dashboard --------------------------------
async function callApi(method, p, body, token = adminToken) {
  const res = await fetch(base + p, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function until(what, predicate, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- the browser ----------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
const context = await browser.newContext({ viewport: WIDE, acceptDownloads: true });
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
const requested = [];
context.on('request', (r) => requested.push(r.url()));
const page = await context.newPage();
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));

async function shoot(name) {
  if (!shots) return;
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}-wide.png`), fullPage: true });
  await page.setViewportSize(NARROW);
  await page.screenshot({ path: path.join(shots, `${name}-narrow.png`), fullPage: true });
  await page.setViewportSize(WIDE);
}

// The token is in no URL the browser asked for, in no storage, and not readable as a cookie.
async function assertNoTokenExposed() {
  for (const url of requested) {
    for (const s of secrets) assert.ok(!url.includes(s), `a requested URL holds a token: ${url}`);
  }
  const storage = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]));
  for (const s of secrets) assert.ok(!storage.includes(s), 'a token is in the page storage');
  assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is readable by scripts');
}

let step = 0;
async function run(name, fn) {
  step += 1;
  const started = Date.now();
  try {
    await fn();
  } catch (e) {
    if (shots) await page.screenshot({ path: path.join(shots, `failed-step-${step}.png`), fullPage: true }).catch(() => {});
    throw new Error(`step ${step} (${name}): ${e.message}`, { cause: e });
  }
  console.log(`ok ${step} ${name} (${Date.now() - started} ms)`);
}

const eventType = `cart.abandoned${Date.now() % 100000}`;
let appId;
let endpointId;

try {
  await run('sign in with the admin token', async () => {
    await callApi('POST', '/api/v1/event-type', {
      name: eventType, description: 'A cart was left', example: { cart: 'c_1', total: 42 },
    });
    await page.goto(`${base}/ui/`);
    await page.getByLabel('API token').waitFor();
    await shoot('sign-in');
    // With the keyboard alone: Tab reaches the field, its focus is visible, Enter submits.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => ({
      name: document.activeElement.getAttribute('name'),
      outline: getComputedStyle(document.activeElement).outlineStyle,
      label: document.activeElement.labels && document.activeElement.labels[0].textContent,
    }));
    assert.deepEqual(focused, { name: 'token', outline: 'solid', label: 'API token' });
    await page.keyboard.type('hksk_wrong');
    await page.keyboard.press('Enter');
    await page.getByText('token: invalid token').waitFor();
    await page.getByLabel('API token').fill(adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Applications' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/ui/apps');
  });

  await run('the event catalogue lists event types and loads a ready catalogue', async () => {
    await page.getByRole('link', { name: 'Event catalogue' }).click();
    await page.getByRole('heading', { name: 'Event catalogue' }).waitFor();
    await page.locator('tr', { hasText: eventType }).waitFor();
    await page.getByRole('button', { name: 'Load netcore-channels' }).click();
    await page.getByText(/netcore-channels: \d+ created, 0 already there\./).waitFor();
    const loaded = await callApi('GET', '/api/v1/event-type?limit=250');
    assert.ok(loaded.data.length > 2, 'the catalogue created event types');
    for (const et of loaded.data) await page.locator('tr', { hasText: et.name }).first().waitFor();
    await shoot('event-catalogue');
    await page.getByRole('link', { name: 'hookd' }).click();
    await page.getByRole('heading', { name: 'Applications' }).waitFor();
  });

  await run('create an application', async () => {
    await page.getByLabel('Name').fill('Acme shop');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    appId = decodeURIComponent(new URL(page.url()).pathname.split('/')[3]);
    assert.match(appId, /^app_/);
    await page.goto(`${base}/ui/apps`);
    await page.getByRole('link', { name: 'Acme shop' }).waitFor();
    await shoot('applications');
  });

  await run('create a webhook with a custom header and form format; errors show by the field', async () => {
    await page.goto(`${base}/ui/app/${appId}/endpoint/new`);
    await page.getByLabel('URL').fill('ftp://nowhere');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const urlError = page.locator('.field.has-error', { has: page.getByLabel('URL') }).locator('.error');
    await urlError.waitFor();
    assert.match(await urlError.textContent(), /^url:/);
    await page.getByLabel('URL').fill(receiverUrl);
    await page.getByLabel('Label').fill('Cart webhook');
    await page.getByLabel(eventType).check();
    await page.getByText('Example').first().click();
    await page.getByRole('button', { name: 'Add header' }).click();
    await page.getByLabel('Header 1 name').fill('X-Team');
    await page.getByLabel('Header 1 value').fill('growth');
    await page.getByLabel('Format').selectOption('form');
    await page.getByLabel('Extra body fields (JSON object)').fill('{"source": "dashboard"}');
    await page.getByLabel('Require a successful test').check();
    await page.getByLabel('Create it inactive').check();
    await page.getByLabel('Messages to receive').selectOption('Batch or campaign');
    assert.equal(await page.getByLabel('Payload filter (JSON)').inputValue(), '{"send_type":{"$in":["batch","campaign"]}}');
    await page.getByLabel('Messages to receive').selectOption('All types of communications');
    assert.equal(await page.getByLabel('Payload filter (JSON)').inputValue(), '');
    await shoot('new-webhook');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByRole('heading', { name: 'Cart webhook' }).waitFor();
    endpointId = new URL(page.url()).pathname.split('/')[5];
    const ep = await callApi('GET', `/api/v1/app/${appId}/endpoint/${endpointId}`);
    assert.equal(ep.format, 'form');
    assert.deepEqual(ep.headers, { 'X-Team': 'growth' });
    assert.deepEqual(ep.eventTypes, [eventType]);
    assert.equal(ep.disabled, true);
    assert.equal(ep.requireTest, true);
    assert.deepEqual(ep.extraFields, { source: 'dashboard' });
    assert.equal(ep.batch, null);
  });

  await run('activating before a test is refused; Test shows the receiver\'s 200; then activate', async () => {
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByText(/test_required|test/i, { exact: false }).first().waitFor();
    const refusal = await page.locator('.actions .banner.bad').textContent();
    assert.match(refusal, /test/);
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.locator('.test-result').waitFor();
    assert.match(await page.locator('.test-result .badge').textContent(), /^200$/);
    assert.match(await page.locator('.test-result pre.response').textContent(), /thanks/);
    const test = received.at(-1);
    assert.equal(test.headers['x-team'], 'growth');
    assert.match(test.headers['content-type'], /application\/x-www-form-urlencoded/);
    // The request as sent, and the receiver's headers.
    const shown = await page.locator('.test-result').textContent();
    assert.ok(shown.includes(`webhook-signature: ${test.headers['webhook-signature']}`), 'the signature sent is shown');
    assert.ok(shown.includes('X-Team: growth') && shown.includes('Content-Type: text/plain'), shown);
    assert.equal(await page.locator('.test-result pre.request-body').textContent(), test.body);
    // Copy as curl, run it: the receiver gets the same request again.
    await page.getByRole('button', { name: 'Copy as curl' }).click();
    const command = await page.evaluate(() => navigator.clipboard.readText());
    const before = received.length;
    // Asynchronously: the receiver answering it runs in this same process.
    await promisify(execFile)('bash', ['-c', `${command} -sS -o /dev/null --max-time 10`]);
    const replayed = received[before];
    assert.equal(replayed.body, test.body);
    for (const h of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-team', 'content-type']) {
      assert.equal(replayed.headers[h], test.headers[h], h);
    }
    // Check its signature: the debugger gets the request and verifies it.
    await page.getByRole('button', { name: 'Check its signature' }).click();
    const debuggerForm = page.locator('form', { has: page.getByRole('heading', { name: 'Signature debugger' }) });
    assert.equal(await debuggerForm.getByLabel('Received body').inputValue(), test.body);
    await debuggerForm.getByRole('button', { name: 'Check signature' }).click();
    await debuggerForm.getByText('The signature verifies with the current secret.').waitFor();
    await shoot('webhook-tested');
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('button', { name: 'Deactivate' }).waitFor();
    assert.equal((await callApi('GET', `/api/v1/app/${appId}/endpoint/${endpointId}`)).disabled, false);
  });

  let msgId;
  const liveCard = () => page.locator('.card', { has: page.getByRole('heading', { name: 'Live' }) });
  await run('an event published through the API appears in the live tail, then in the log', async () => {
    await page.getByRole('link', { name: 'Delivery log' }).click();
    await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
    await liveCard().getByRole('status').getByText('live', { exact: true }).waitFor();
    const before = received.length;
    msgId = (await callApi('POST', `/api/v1/app/${appId}/msg`, {
      eventType, payload: { cart: 'c_77', total: 19.5 },
    })).id;
    await until('the delivery', () => received.length > before);
    const delivery = received.at(-1);
    assert.equal(delivery.headers['x-team'], 'growth');
    assert.equal(delivery.headers['webhook-id'], msgId);
    assert.match(delivery.body, /c_77/);
    assert.match(decodeURIComponent(delivery.body), /"source":"dashboard"/); // the extra field, in the form's data
    const liveRow = liveCard().locator('tr', { hasText: msgId });
    await liveRow.waitFor(); // pushed by the server: no reload, no Refresh
    assert.match(await liveRow.textContent(), /success/);
    assert.match(await liveRow.textContent(), new RegExp(eventType));
    await until('the attempt in the log', async () => {
      if (await page.locator('.history').getByText(msgId).count()) return true;
      await page.getByRole('button', { name: 'Refresh' }).click();
      return false;
    });
    await page.locator('.history tr', { hasText: msgId }).getByRole('button').click();
    const detail = page.locator('.detail');
    await detail.getByText('c_77').waitFor();
    assert.match(await detail.textContent(), /200/);
    assert.match(await detail.locator('pre.response').textContent(), /thanks/);
    await shoot('delivery-log');
  });

  await run('the signature debugger on the delivery the receiver got', async () => {
    const delivery = received.find((r) => r.headers['webhook-id'] === msgId);
    const headerLines = Object.entries(delivery.headers).map(([k, v]) => `${k}: ${v}`).join('\n');
    await page.goto(`${base}/ui/app/${appId}/endpoint/${endpointId}`);
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Signature debugger' }) });
    await form.getByLabel('Received headers').fill(headerLines);
    await form.getByLabel('Received body').fill(delivery.body);
    await form.getByRole('button', { name: 'Check signature' }).click();
    await form.getByText('The signature verifies with the current secret.').waitFor();
    await shoot('signature-debugger');
    await form.getByLabel('Received body').fill(`${delivery.body}\n`);
    await form.getByRole('button', { name: 'Check signature' }).click();
    await form.getByText('the body was changed after signing').waitFor();
    assert.match(await form.locator('.signature-result').textContent(), /whitespace or a newline was added at its end/);
    await form.getByLabel('Received body').fill(delivery.body);
    await form.getByLabel('Secret (optional)').fill('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    await form.getByRole('button', { name: 'Check signature' }).click();
    await form.getByText('The signature does not verify.').waitFor();
    await page.getByRole('link', { name: 'Delivery log' }).click();
    await page.locator('.history').getByText(msgId).waitFor();
    await page.locator('.history tr', { hasText: msgId }).getByRole('button').click();
    await page.locator('.detail').getByText('c_77').waitFor();
  });

  await run('rotate the secret: a delivery signed with the old one still verifies, as the previous secret', async () => {
    const delivery = received.find((r) => r.headers['webhook-id'] === msgId);
    await page.goto(`${base}/ui/app/${appId}/endpoint/${endpointId}`);
    await page.getByRole('button', { name: 'Reveal' }).click();
    const oldSecret = await page.locator('.secret code').textContent();
    secrets.push(oldSecret);
    await page.getByLabel('Old secret keeps signing for (hours)').fill('2');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText('Rotated: the old secret keeps signing for 2 h.').waitFor();
    await until('the new secret shown', async () => (await page.locator('.secret code').textContent()) !== oldSecret);
    secrets.push(await page.locator('.secret code').textContent());
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Signature debugger' }) });
    await form.getByLabel('Received headers').fill(Object.entries(delivery.headers).map(([k, v]) => `${k}: ${v}`).join('\n'));
    await form.getByLabel('Received body').fill(delivery.body);
    await form.getByRole('button', { name: 'Check signature' }).click();
    await form.getByText(/The signature verifies with the previous \(signs until .*\) secret\./).waitFor();
    await page.getByRole('link', { name: 'Delivery log' }).click();
    await page.locator('.history').getByText(msgId).waitFor();
    await page.locator('.history tr', { hasText: msgId }).getByRole('button').click();
    await page.locator('.detail').getByText('c_77').waitFor();
  });

  await run('resend the message', async () => {
    const before = received.length;
    await page.locator('.detail').getByRole('button', { name: 'Resend' }).click();
    await page.getByText('Queued to be sent again.').waitFor();
    await until('the resent delivery', () => received.length > before);
    assert.equal(received.at(-1).headers['webhook-id'], msgId);
    // The message's own page: its delivery to the webhook, and both attempts.
    await page.locator('.detail').getByRole('link', { name: msgId }).click();
    await page.getByRole('heading', { name: `Message ${msgId}` }).waitFor();
    await page.getByText('"c_77"').waitFor();
    await until('both attempts listed', async () => {
      if ((await page.locator('[aria-label="Attempts"] tbody tr').count()) === 2) return true;
      await page.reload();
      return false;
    });
    assert.match(await page.locator('[aria-label="Deliveries"] tbody tr').textContent(), /Cart webhook.*success/s);
    await shoot('message');
    await page.goBack();
    await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
  });

  await run('recover a window of failed deliveries', async () => {
    await liveCard().getByRole('status').getByText('live', { exact: true }).waitFor(); // subscribed
    receiverStatus = 500;
    const failedMsg = (await callApi('POST', `/api/v1/app/${appId}/msg`, { eventType, payload: { cart: 'c_fail' } })).id;
    // The test defaults retry three times 200 ms apart: then the delivery has failed.
    await until('the delivery to fail', async () => {
      const page1 = await callApi('GET', `/api/v1/app/${appId}/endpoint/${endpointId}/msg?status=2`);
      return page1.data.some((d) => d.id === failedMsg || d.msgId === failedMsg);
    });
    receiverStatus = 200;
    // The live tail showed each failed attempt as it happened, with the retry it scheduled.
    await until('four failed attempts in the live tail', async () => (await liveCard().locator('tr', { hasText: failedMsg }).count()) === 4);
    const failedRows = await liveCard().locator('tr', { hasText: failedMsg }).allTextContents();
    assert.ok(failedRows.every((t) => /fail/.test(t) && /500/.test(t)), failedRows.join('\n'));
    assert.equal(failedRows.filter((t) => /—$/.test(t.trim())).length, 1, 'only the last attempt has no next retry');
    const since = new Date(Date.now() - 10 * 60 * 1000);
    const local = new Date(since.getTime() - since.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    await page.getByLabel('Failed since').fill(local);
    await page.getByRole('button', { name: 'Count' }).click();
    await page.getByText('1 failed delivery will be sent again.').waitFor();
    await shoot('recover');
    const before = received.filter((r) => r.body.includes('c_fail') && r.headers['webhook-id'] === failedMsg).length;
    await page.getByRole('button', { name: 'Recover 1' }).click();
    await page.getByText('1 failed deliveries queued to be sent again.').waitFor();
    await until('the recovered delivery', () => received.filter((r) => r.headers['webhook-id'] === failedMsg).length > before);
  });

  await run('the webhooks list shows the state, events, success chart and last delivery', async () => {
    await page.goto(`${base}/ui/app/${appId}`);
    const row = page.locator('tr', { hasText: 'Cart webhook' });
    await row.waitFor();
    assert.match(await row.textContent(), /active/);
    assert.match(await row.textContent(), new RegExp(eventType));
    assert.match(await row.locator('svg').getAttribute('aria-label'), /% of \d+ in 24 h/);
    await shoot('webhooks');
    // The system's dark theme gives a dark page with light text.
    await page.emulateMedia({ colorScheme: 'dark' });
    const colours = await page.evaluate(() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]);
    assert.deepEqual(colours, ['rgb(13, 17, 23)', 'rgb(230, 237, 243)']);
    await shoot('webhooks-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await run('an Ed25519 webhook offers its public key for download', async () => {
    const ed = await callApi('POST', `/api/v1/app/${appId}/endpoint`, { url: receiverUrl, label: 'Signed with Ed25519', signing: { type: 'ed25519' } });
    await page.goto(`${base}/ui/app/${appId}/endpoint/${ed.id}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PEM' }).click()]);
    const pem = fs.readFileSync(await download.path(), 'utf8');
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(download.suggestedFilename(), `${ed.id}.pem`);
    assert.equal(await page.getByLabel('Signature', { exact: true }).inputValue(), 'ed25519');
    await callApi('DELETE', `/api/v1/app/${appId}/endpoint/${ed.id}`);
    await page.goto(`${base}/ui/app/${appId}`);
  });

  await run('an inbound source: its URL and client id, events, rejections and customers', async () => {
    await page.goto(`${base}/ui/app/${appId}`);
    await page.getByRole('link', { name: 'Inbound sources' }).click();
    await page.getByRole('heading', { name: 'Inbound sources' }).waitFor();
    await page.getByLabel('Name').fill('Skalin');
    await page.getByRole('button', { name: 'Create source' }).click();
    await page.getByRole('heading', { name: 'Skalin' }).waitFor();
    const url = await page.locator('.card code').first().textContent();
    assert.match(url, /\/webhook\/[^?]+\?client_id=/);
    const post = (body) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const ok = await post({ eventId: 'evt0000000000001', customerId: 'acme.com', ts: '2026-12-01T10:00:00', event: { name: 'login', score: 4 } });
    assert.ok(ok.ok, await ok.text());
    const invalid = await post({ eventId: 'short', customerId: 'acme.com', event: { name: 'login' } });
    assert.equal(invalid.status, 422); // refused, and not a rejection: those are refusals of who sent it
    const stranger = await fetch(url.replace(/client_id=[^&]+/, 'client_id=not-ours'), {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ eventId: 'evt0000000000002', customerId: 'acme.com', event: { name: 'login' } }),
    });
    assert.ok(stranger.status === 401 || stranger.status === 403, String(stranger.status));
    await page.reload();
    await page.locator('[aria-label="Recent events"] tr', { hasText: 'login' }).waitFor();
    await until('the rejection listed', async () => {
      if (await page.locator('[aria-label="Rejections"] tr', { hasText: String(stranger.status) }).count()) return true;
      await page.reload();
      return false;
    });
    const customer = page.locator('[aria-label="Customers"] tr', { hasText: 'acme.com' });
    await customer.waitFor();
    assert.match(await customer.textContent(), /acme\.com\s*1\s*4/);
    await shoot('inbound-source');
  });

  await run('a journey: an invalid definition shows its error on the node; counts, waiting contacts, a path, pause', async () => {
    await page.goto(`${base}/ui/app/${appId}/journeys`);
    await page.getByRole('heading', { name: 'Journeys' }).waitFor();
    const broken = {
      name: 'cart left',
      nodes: [
        { id: 'start', type: 'trigger', activity: 'added_to_cart', next: 'wait' },
        { id: 'wait', type: 'waitFor', activity: 'purchase', within: 'soon', matched: 'end', timedOut: 'end' },
        { id: 'end', type: 'exit' },
      ],
    };
    await page.getByLabel('Definition (JSON)').fill(JSON.stringify(broken, null, 2));
    await page.getByRole('button', { name: 'Create journey' }).click();
    const bad = page.locator('li.node.has-error');
    await bad.waitFor();
    assert.match(await bad.textContent(), /^wait/);
    assert.match(await bad.locator('.error').textContent(), /within/);
    broken.nodes[1].within = '1h';
    await page.getByLabel('Definition (JSON)').fill(JSON.stringify(broken, null, 2));
    await page.getByRole('button', { name: 'Create journey' }).click();
    await page.getByRole('heading', { name: 'cart left' }).waitFor();
    const journeyId = new URL(page.url()).pathname.split('/')[5];
    await callApi('POST', `/api/v1/app/${appId}/activity`, { name: 'added_to_cart', contact: 'ann@example.com' });
    await until('the contact waiting', async () => {
      const stats = await callApi('GET', `/api/v1/app/${appId}/journey/${journeyId}/stats`);
      return stats.versions.some((v) => v.waiting.wait === 1); // no version is listed before a run enters
    });
    await page.reload();
    await page.getByRole('button', { name: '1 waiting' }).click();
    await page.locator('[aria-label="Waiting at wait"]').getByText('ann@example.com').waitFor();
    await page.getByLabel('Contact key').fill('ann@example.com');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('ol.path').getByText('start').waitFor();
    await shoot('journey');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    assert.equal((await callApi('GET', `/api/v1/app/${appId}/journey/${journeyId}`)).status, 'paused');
  });

  await run('deactivate', async () => {
    await page.goto(`${base}/ui/app/${appId}`);
    await page.getByRole('link', { name: 'Cart webhook' }).click();
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('button', { name: 'Activate' }).waitFor();
    assert.equal((await callApi('GET', `/api/v1/app/${appId}/endpoint/${endpointId}`)).disabled, true);
  });

  await run('operations: this node\'s queues and rates, response times per endpoint, the audit log', async () => {
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('heading', { name: 'Operations' }).waitFor();
    const accepted = page.locator('dl.gauges dt', { hasText: 'Messages accepted' }).locator('xpath=following-sibling::dd[1]');
    await until('the metrics read', async () => Number(await accepted.textContent()) >= 2);
    await page.getByLabel('Application').nth(1).selectOption({ label: 'Acme shop' });
    const latency = page.locator('.card', { has: page.getByRole('heading', { name: 'Response times per endpoint' }) });
    const row = latency.locator('tr', { hasText: 'Cart webhook' });
    await row.waitFor();
    assert.match(await row.textContent(), /\d+ ms/);
    const audit = page.locator('.card', { has: page.getByRole('heading', { name: 'Audit log' }) });
    await audit.locator('tr', { hasText: 'POST /api/v1/app/{app_id}/endpoint' }).first().waitFor();
    assert.match(await audit.textContent(), /secret\/rotate/);
    await shoot('operations');
  });

  await run('an application token sees its own application only', async () => {
    const other = await callApi('POST', '/api/v1/app', { name: 'Other shop' });
    const appToken = (await callApi('POST', '/api/v1/auth/token', { name: 'acme ui', appId })).token;
    secrets.push(appToken);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').fill(appToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/ui/app/${appId}`);
    assert.equal(await page.getByLabel('Application').count(), 0, 'an application token has no switcher');
    await page.goto(`${base}/ui/app/${other.id}`);
    await page.locator('.banner.bad').waitFor();
    assert.match(await page.locator('.banner.bad').textContent(), /may use application/);
    assert.equal(await page.getByText('Other shop').count(), 0);
  });

  await run('an app portal link signs in and leaves no token in the address', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    const access = await callApi('POST', `/api/v1/auth/app-portal-access/${appId}`, {});
    secrets.push(access.token);
    const link = new URL(access.url);
    await page.goto(`${base}${link.pathname}${link.hash}`);
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    assert.equal(new URL(page.url()).hash, '');
    assert.equal(new URL(page.url()).pathname, `/ui/app/${appId}`);
  });

  await run('no token in any requested URL, storage or script-readable cookie', assertNoTokenExposed);
  assert.deepEqual(consoleErrors.filter((e) => !/Failed to load resource/.test(e)), [], 'console errors');
  console.log(`all ${step} steps passed; ${requested.length} requests checked`);
} finally {
  await browser.close();
  receiver.close();
}
