// Creating and editing a webhook: every setting of EndpointIn that people set by hand, with the
// API's error shown beside the field it names.
import { html, useState } from '../html.js';
import { api, listAll } from '../api.js';
import { ErrorBanner, Field, useLoad } from '../ui.js';

const FIELDS = ['url', 'label', 'description', 'eventTypes', 'filterTypes', 'channels', 'format',
  'headers', 'basicAuth', 'successPolicy', 'retrySchedule', 'rateLimit', 'throttleRate',
  'requireTest', 'disabled', 'alertEmails', 'alertFrequency', 'filter', 'signing', 'batch',
  'extraFields', 'fieldSelection'];

// Message filters as Dialog Insight offers them, as payload filters (docs/endpoint-options.md).
const PRESETS = [
  ['Keep the filter below as it is', undefined],
  ['All types of communications', null],
  ['Specific types: email and SMS only', { channel: { $in: ['email', 'sms'] } }],
  ['Unitary sending (confirmation, web service, test)', { send_type: 'unitary' }],
  ['Batch or campaign', { send_type: { $in: ['batch', 'campaign'] } }],
];

function presetChosen(event) {
  const [, filter] = PRESETS[event.target.selectedIndex];
  if (filter === undefined) return;
  event.target.form.elements.filter.value = filter === null ? '' : JSON.stringify(filter);
}

const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);

// Event types grouped by the part of their name before the first dot ("email.opened": email).
function groups(eventTypes) {
  const out = new Map();
  for (const et of eventTypes) {
    const group = et.name.includes('.') ? et.name.split('.')[0] : 'other';
    if (!out.has(group)) out.set(group, []);
    out.get(group).push(et);
  }
  return [...out.entries()].sort(([a], [b]) => a.localeCompare(b));
}

function EventChoices({ eventTypes, chosen, setChosen, error }) {
  const toggle = (name) => setChosen(chosen.includes(name) ? chosen.filter((n) => n !== name) : [...chosen, name]);
  const mine = error && (error.field === 'eventTypes' || error.field === 'filterTypes');
  return html`<fieldset class=${`field${mine ? ' has-error' : ''}`}>
    <legend>Events</legend>
    <small class="muted">None chosen: every event.</small>
    ${eventTypes.length === 0 ? html`<p class="muted">No event types yet.</p>` : null}
    ${groups(eventTypes).map(([group, types]) => html`<div class="event-group" key=${group}>
      <strong>${group}</strong>
      ${types.map((et) => html`<div class="event-choice" key=${et.name}>
        <label><input type="checkbox" checked=${chosen.includes(et.name)} onChange=${() => toggle(et.name)} />
          ${' '}<code>${et.name}</code> <span class="muted">${et.description}</span></label>
        ${et.example ? html`<details><summary>Example</summary><pre>${JSON.stringify(et.example, null, 2)}</pre></details>` : null}
      </div>`)}
    </div>`)}
    ${mine ? html`<small class="error" role="alert">${error.message}</small>` : null}
  </fieldset>`;
}

function HeaderRows({ rows, setRows, error }) {
  const set = (i, key, value) => setRows(rows.map((r, j) => (j === i ? { ...r, [key]: value } : r)));
  const mine = error && error.field === 'headers';
  return html`<fieldset class=${`field${mine ? ' has-error' : ''}`}>
    <legend>Custom headers</legend>
    ${rows.map((r, i) => html`<div class="row header-row" key=${i}>
      <input aria-label=${`Header ${i + 1} name`} placeholder="X-Api-Key" value=${r.name}
        onInput=${(e) => set(i, 'name', e.target.value)} />
      <input aria-label=${`Header ${i + 1} value`} placeholder="value" value=${r.value}
        onInput=${(e) => set(i, 'value', e.target.value)} />
      <button type="button" class="secondary" aria-label=${`Remove header ${i + 1}`}
        onClick=${() => setRows(rows.filter((_, j) => j !== i))}>Remove</button>
    </div>`)}
    <button type="button" class="secondary" onClick=${() => setRows([...rows, { name: '', value: '' }])}>Add header</button>
    ${mine ? html`<small class="error" role="alert">${error.message}</small>` : null}
  </fieldset>`;
}

// The JSON of a text field; an error naming the field when it is not JSON.
function jsonField(name, text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    const err = new Error(`${name}: not JSON (${e.message})`);
    err.field = name;
    throw err;
  }
}

function initialHeaders(endpoint) {
  return Object.entries((endpoint && endpoint.headers) || {}).map(([name, value]) => ({ name, value }));
}

// The EndpointIn body of the form's values. On an edit, headers that were removed are sent as
// null, which deletes them.
// The custom headers of the rows; on an edit, headers that were removed are sent as null, which
// deletes them.
function headersOf(headerRows, endpoint) {
  const headers = {};
  for (const r of headerRows) if (r.name.trim()) headers[r.name.trim()] = r.value;
  for (const name of Object.keys((endpoint && endpoint.headers) || {})) if (!(name in headers)) headers[name] = null;
  return headers;
}

// What the body of each request looks like: filter, transforms, batching.
function payloadOptions(f, endpoint) {
  const out = {
    fieldSelection: f.fieldSelection.value.trim() ? list(f.fieldSelection.value) : null,
    extraFields: f.extraFields.value.trim() ? jsonField('extraFields', f.extraFields.value) : null,
  };
  if (f.filter.value.trim()) out.filter = jsonField('filter', f.filter.value);
  else if (endpoint && endpoint.filter) out.filter = null;
  if (f.batchMax.value) {
    out.batch = { maxEvents: Number(f.batchMax.value), maxWaitMs: Number(f.batchWait.value || 0) };
    if (f.batchKey.value.trim()) out.batch.envelopeKey = f.batchKey.value.trim();
  } else if (!endpoint || endpoint.batch) {
    out.batch = null;
  }
  return out;
}

// The signing scheme, sent only when it is new or changed (changing it makes new keys).
function signingOf(f, endpoint) {
  const signing = { type: f.signingType.value };
  if (signing.type === 'rsa' && f.signingHeader.value.trim()) signing.header = f.signingHeader.value.trim();
  const before = (endpoint && endpoint.signing) || {};
  if (endpoint && signing.type === (before.type || 'hmac') && (!signing.header || signing.header === before.header)) {
    return {};
  }
  return { signing };
}

// The EndpointIn body of the form's values.
function body(form, chosen, headerRows, endpoint) {
  const f = form.elements;
  const out = {
    url: f.url.value.trim(),
    label: f.label.value,
    description: f.description.value,
    eventTypes: chosen.length ? chosen : null,
    channels: f.channels.value.trim() ? list(f.channels.value) : null,
    format: f.format.value,
    successPolicy: f.successPolicy.value,
    requireTest: f.requireTest.checked,
    alertEmails: list(f.alertEmails.value),
    alertFrequency: f.alertFrequency.value,
    retrySchedule: f.retrySchedule.value.trim() ? list(f.retrySchedule.value) : null,
    rateLimit: f.rateLimit.value ? Number(f.rateLimit.value) : null,
    headers: headersOf(headerRows, endpoint),
    ...payloadOptions(f, endpoint),
    ...signingOf(f, endpoint),
  };
  if (f.basicUser.value) out.basicAuth = { username: f.basicUser.value, password: f.basicPassword.value };
  if (!endpoint) out.disabled = f.inactive.checked;
  return out;
}

export function EndpointForm({ app, endpoint, onSaved }) {
  const types = useLoad(() => listAll('/event-type'), []);
  const [chosen, setChosen] = useState((endpoint && endpoint.eventTypes) || []);
  const [headerRows, setHeaderRows] = useState(() => initialHeaders(endpoint));
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const e = endpoint || {};
  const submit = async (event) => {
    event.preventDefault();
    setSaved(false);
    try {
      const fields = body(event.target, chosen, headerRows, endpoint);
      const result = endpoint
        ? await api.patch(`/app/${app}/endpoint/${endpoint.id}`, fields)
        : await api.post(`/app/${app}/endpoint`, fields);
      setError(null);
      setSaved(true);
      setHeaderRows(initialHeaders(result));
      onSaved(result);
    } catch (err) {
      setError(err);
    }
  };
  // Uncontrolled inputs (defaultValue): a re-render, when an event is ticked, keeps what was typed.
  const input = (name, props = {}) => (id, d) => html`<input id=${id} name=${name} aria-describedby=${d} ...${props} />`;
  return html`<form class="card" onSubmit=${submit} aria-label=${endpoint ? 'Edit webhook' : 'New webhook'} novalidate>
    <${Field} label="URL" name="url" error=${error}>${input('url', { type: 'url', required: true, defaultValue: e.url || '', placeholder: 'https://example.com/webhook' })}<//>
    <div class="row">
      <${Field} label="Label" name="label" error=${error}>${input('label', { defaultValue: e.label || '' })}<//>
      <${Field} label="Description" name="description" error=${error}>${input('description', { defaultValue: e.description || '' })}<//>
    </div>
    <${EventChoices} eventTypes=${types.data || []} chosen=${chosen} setChosen=${setChosen} error=${error} />
    <div class="row">
      <${Field} label="Channels" name="channels" error=${error} hint="Comma-separated; empty: every channel.">${input('channels', { defaultValue: (e.channels || []).join(', ') })}<//>
      <${Field} label="Format" name="format" error=${error}>${(id, d) => html`<select id=${id} name="format" aria-describedby=${d}>
        <option value="json" selected=${e.format !== 'form'}>JSON body</option>
        <option value="form" selected=${e.format === 'form'}>Form fields (application/x-www-form-urlencoded)</option>
      </select>`}<//>
    </div>
    <${HeaderRows} rows=${headerRows} setRows=${setHeaderRows} error=${error} />
    <fieldset class="field"><legend>Basic authentication</legend><div class="row">
      <${Field} label="Username" name="basicAuth" error=${error}>${input('basicUser', { autocomplete: 'off', defaultValue: (e.basicAuth && e.basicAuth.username) || '' })}<//>
      <${Field} label="Password" name="basicAuth.password" error=${error}>${input('basicPassword', { type: 'password', autocomplete: 'new-password' })}<//>
    </div></fieldset>
    <div class="row">
      <${Field} label="Success means" name="successPolicy" error=${error}>${(id, d) => html`<select id=${id} name="successPolicy" aria-describedby=${d}>
        <option value="2xx" selected=${e.successPolicy !== '200'}>any 2xx status</option>
        <option value="200" selected=${e.successPolicy === '200'}>exactly 200</option>
      </select>`}<//>
      <${Field} label="Retry schedule" name="retrySchedule" error=${error} hint="e.g. 5s, 5m, 30m, 2h; empty: the default.">${input('retrySchedule', { defaultValue: (e.retrySchedule || []).join(', ') })}<//>
      <${Field} label="Rate limit (per second)" name="rateLimit" error=${error}>${input('rateLimit', { type: 'number', min: 1, defaultValue: e.rateLimit || '' })}<//>
    </div>
    <div class="row">
      <${Field} label="Signature" name="signing" error=${error}>${(id, d) => html`<select id=${id} name="signingType" aria-describedby=${d}>
        ${[['hmac', 'HMAC-SHA256 (Standard Webhooks v1)'], ['ed25519', 'Ed25519 (Standard Webhooks v1a)'], ['rsa', 'RSA-SHA256 of the body, in a header']]
          .map(([v, text]) => html`<option value=${v} selected=${((e.signing && e.signing.type) || 'hmac') === v}>${text}</option>`)}
      </select>`}<//>
      <${Field} label="RSA signature header" name="signing.header" error=${error} hint="Only for RSA, e.g. X-DI-Signature.">${input('signingHeader', { defaultValue: (e.signing && e.signing.header) || '' })}<//>
    </div>
    <${Field} label="Messages to receive" name="preset" error=${null}
      hint="Dialog Insight-style message filters; the choice fills in the payload filter below.">
      ${(id, d) => html`<select id=${id} aria-describedby=${d} onChange=${presetChosen}>
        ${PRESETS.map(([label]) => html`<option>${label}</option>`)}
      </select>`}
    <//>
    <${Field} label="Payload filter (JSON)" name="filter" error=${error} hint='e.g. {"data.country": "CA"}; see docs/filters.md.'>
      ${(id, d) => html`<textarea id=${id} name="filter" rows="3" aria-describedby=${d}
        defaultValue=${e.filter ? JSON.stringify(e.filter) : ''}></textarea>`}
    <//>
    <fieldset class="field"><legend>Batching</legend><div class="row">
      <${Field} label="Events per request (empty: one)" name="batch.maxEvents" error=${error}>${input('batchMax', { type: 'number', min: 1, max: 1000, defaultValue: (e.batch && e.batch.maxEvents) || '' })}<//>
      <${Field} label="Wait at most (ms)" name="batch.maxWaitMs" error=${error}>${input('batchWait', { type: 'number', min: 0, defaultValue: e.batch ? e.batch.maxWaitMs : '' })}<//>
      <${Field} label="Envelope key" name="batch.envelopeKey" error=${error} hint="Netcore-style {key: [events]}; empty: the application's.">${input('batchKey', { defaultValue: (e.batch && e.batch.envelopeKey) || '' })}<//>
    </div></fieldset>
    <div class="row">
      <${Field} label="Extra body fields (JSON object)" name="extraFields" error=${error} hint='Merged into every payload, e.g. {"source": "hookd"}.'>${input('extraFields', { defaultValue: e.extraFields ? JSON.stringify(e.extraFields) : '' })}<//>
      <${Field} label="Send only these fields" name="fieldSelection" error=${error} hint="Comma-separated dotted paths; empty: every field.">${input('fieldSelection', { defaultValue: (e.fieldSelection || []).join(', ') })}<//>
    </div>
    <${Field} label="Alert emails" name="alertEmails" error=${error} hint="Comma-separated; told when the webhook keeps failing.">${input('alertEmails', { defaultValue: (e.alertEmails || []).join(', ') })}<//>
    <${Field} label="Alert at most" name="alertFrequency" error=${error}>${(id, d) => html`<select id=${id} name="alertFrequency" aria-describedby=${d}>
      ${[['immediate', 'at once'], ['hourly', 'hourly'], ['daily', 'daily']].map(([v, text]) => html`<option value=${v} selected=${(e.alertFrequency || 'immediate') === v}>${text}</option>`)}
    </select>`}<//>
    <div class="checks">
      <label><input type="checkbox" name="requireTest" defaultChecked=${!!e.requireTest} /> Require a successful test before it can be activated</label>
      ${endpoint ? null : html`<label><input type="checkbox" name="inactive" /> Create it inactive</label>`}
    </div>
    <${ErrorBanner} error=${error} fields=${FIELDS} />
    ${saved ? html`<p class="banner ok" role="status">Saved.</p>` : null}
    <button type="submit">${endpoint ? 'Save' : 'Create webhook'}</button>
  </form>`;
}
