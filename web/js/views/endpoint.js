// One webhook: its state, Test (send the sample and show what the receiver answered), Activate
// and Deactivate, its signing secret, the signature debugger, and its settings.
import { html, useState } from '../html.js';
import { api } from '../api.js';
import { appPath, navigate } from '../router.js';
import { CopyButton, Loading, StateBadge, useLoad, when } from '../ui.js';
import { EndpointForm } from './endpoint_form.js';
import { headerLines, SignatureDebugger } from './signature.js';

// A request as a curl command line that sends it again, byte for byte (a masked basic auth
// password has to be filled in).
export function asCurl(request) {
  const quote = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;
  const headers = Object.entries(request.headers).map(([k, v]) => ` \\\n  -H ${quote(`${k}: ${v}`)}`).join('');
  return `curl -X ${request.method} ${quote(request.url)}${headers} \\\n  --data-binary ${quote(request.body)}`;
}

function Headers({ headers }) {
  return html`<pre class="headers">${headerLines(headers)}</pre>`;
}

function TestPanel({ app, endpoint, onTested, onDebug }) {
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await api.post(`/app/${app}/endpoint/${endpoint.id}/test`, {}));
      onTested();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="card" aria-labelledby="test-title">
    <h3 id="test-title">Test</h3>
    <p class="muted">Sends a sample event, signed like a delivery, and shows what the receiver answered.
      ${endpoint.lastTest ? ` Last test: ${endpoint.lastTest.status || 'no answer'} at ${when(endpoint.lastTest.at)}.` : ''}</p>
    <button type="button" onClick=${run} disabled=${busy}>${busy ? 'Sending…' : 'Send test'}</button>
    ${error ? html`<p class="banner bad" role="alert">${error.message}</p>` : null}
    ${result ? html`<div class="test-result" role="status">
      <p><span class=${`badge ${result.success ? 'ok' : 'bad'}`}>${result.statusCode || result.errorClass}</span>
        ${' '}in ${result.durationMs} ms${result.success ? '' : `, ${result.errorClass}`}</p>
      <h4>Receiver's answer</h4>
      <${Headers} headers=${result.responseHeaders} />
      <pre class="response">${result.response || '(empty body)'}</pre>
      <h4>Request sent</h4>
      <p class="muted">${result.request.method} ${result.request.url}</p>
      <${Headers} headers=${result.request.headers} />
      <pre class="request-body">${result.request.body}</pre>
      <div class="actions">
        <${CopyButton} text=${asCurl(result.request)} label="Copy as curl" />
        <button type="button" class="secondary" onClick=${() => onDebug(result.request)}>Check its signature</button>
      </div>
    </div>` : null}
  </div>`;
}

function Activation({ app, endpoint, onChanged }) {
  const [error, setError] = useState(null);
  const set = async (disabled) => {
    try {
      onChanged(await api.patch(`/app/${app}/endpoint/${endpoint.id}`, { disabled }));
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  return html`<div class="actions">
    ${endpoint.disabled
      ? html`<button type="button" onClick=${() => set(false)}>Activate</button>`
      : html`<button type="button" class="secondary" onClick=${() => set(true)}>Deactivate</button>`}
    <a class="button secondary" href=${appPath(app, `/endpoint/${endpoint.id}/log`)}>Delivery log</a>
    ${error ? html`<p class="banner bad" role="alert">${error.message}</p>` : null}
  </div>`;
}

// Ed25519 and RSA endpoints: the public key receivers verify with, to download.
function PublicKey({ app, endpoint }) {
  const type = endpoint.signing.type;
  const url = (format) => `/api/v1/app/${encodeURIComponent(app)}/endpoint/${endpoint.id}/public-key?format=${format}`;
  const formats = type === 'rsa' ? [['pem', 'PEM'], ['xml', 'XML (.NET)']] : [['pem', 'PEM'], ['whpk', 'whpk_']];
  return html`<div class="secret">
    <strong>Public key</strong> <span class="muted">(signed with ${type})</span>
    ${formats.map(([format, label]) => html` <a class="button secondary" href=${url(format)}
      download=${`${endpoint.id}.${format === 'whpk' ? 'txt' : format}`}>Download ${label}</a>`)}
  </div>`;
}

// HMAC endpoints: reveal the secret, and rotate it; the old one keeps signing beside the new
// one for the grace period, so receivers can switch without losing a delivery.
function Secret({ app, endpoint, onRotated }) {
  const [secret, setSecret] = useState(null);
  const [note, setNote] = useState(null);
  const path = `/app/${app}/endpoint/${endpoint.id}/secret`;
  const reveal = async () => setSecret((await api.get(path)).key);
  const rotate = async (event) => {
    event.preventDefault();
    const hours = Number(event.target.elements.grace.value);
    try {
      await api.post(`${path}/rotate`, { gracePeriodSeconds: Math.round(hours * 3600) });
      setNote({ ok: true, text: `Rotated: the old secret keeps signing for ${hours} h.` });
      setSecret(secret ? (await api.get(path)).key : null);
      onRotated();
    } catch (e) {
      setNote({ ok: false, text: e.message });
    }
  };
  if (endpoint.signing && endpoint.signing.type && endpoint.signing.type !== 'hmac') {
    return html`<${PublicKey} app=${app} endpoint=${endpoint} />`;
  }
  return html`<div class="secret">
    <strong>Signing secret</strong>
    ${secret
      ? html` <code class="wrap">${secret}</code> <${CopyButton} text=${secret} />
        <button type="button" class="secondary" onClick=${() => setSecret(null)}>Hide</button>`
      : html` <button type="button" class="secondary" onClick=${reveal}>Reveal</button>`}
    <form class="row" onSubmit=${rotate} aria-label="Rotate the secret">
      <label>Old secret keeps signing for (hours) <input name="grace" type="number" min="0" max="720" step="1" defaultValue="24" /></label>
      <button type="submit" class="secondary">Rotate secret</button>
    </form>
    ${note ? html`<p class=${`banner ${note.ok ? 'ok' : 'bad'}`} role="status">${note.text}</p>` : null}
  </div>`;
}

export function EndpointPage({ app, id }) {
  const [version, setVersion] = useState(0);
  const [sample, setSample] = useState(null);
  const state = useLoad(() => api.get(`/app/${app}/endpoint/${id}`), [app, id, version]);
  const refresh = () => setVersion((v) => v + 1);
  return html`<${Loading} state=${state}>${(ep) => html`<section aria-labelledby="ep-title">
    <p><a href=${appPath(app)}>← Webhooks</a></p>
    <div class="heading-row">
      <h2 id="ep-title">${ep.label || ep.description || ep.id}</h2>
      <${StateBadge} endpoint=${ep} />
    </div>
    <p class="muted url">${ep.url}</p>
    <${Activation} app=${app} endpoint=${ep} onChanged=${refresh} />
    <${TestPanel} app=${app} endpoint=${ep} onTested=${refresh} onDebug=${setSample} />
    <div class="card"><${Secret} app=${app} endpoint=${ep} onRotated=${refresh} /></div>
    <${SignatureDebugger} key=${sample ? sample.headers['webhook-id'] : 'empty'} app=${app} endpoint=${ep} prefill=${sample} />
    <h3>Settings</h3>
    <${EndpointForm} key=${ep.id} app=${app} endpoint=${ep} onSaved=${refresh} />
  </section>`}<//>`;
}

export function NewEndpoint({ app }) {
  return html`<section aria-labelledby="new-ep">
    <p><a href=${appPath(app)}>← Webhooks</a></p>
    <h2 id="new-ep">Add webhook</h2>
    <${EndpointForm} app=${app} onSaved=${(ep) => navigate(appPath(app, `/endpoint/${ep.id}`))} />
  </section>`;
}
