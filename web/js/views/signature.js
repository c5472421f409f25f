// The signature debugger: paste a request as the receiver got it (headers and raw body) and,
// optionally, a secret; hookd says whether the signature verifies with this webhook's secrets
// and, when it does not, why (POST .../verify-signature).
import { html, useState } from '../html.js';
import { api, ApiError } from '../api.js';
import { Field } from '../ui.js';

// {name: value} as "Name: value" lines, as a receiver logs them.
export function headerLines(headers) {
  return Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n');
}

// "Name: value" lines, or a JSON object, into {name: value}.
export function parseHeaders(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return JSON.parse(trimmed);
  const out = {};
  for (const line of trimmed.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return out;
}

export function SignatureDebugger({ app, endpoint, prefill }) {
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const check = async (event) => {
    event.preventDefault();
    const f = event.target.elements;
    try {
      const body = { headers: parseHeaders(f.received.value), body: f.rawBody.value };
      if (f.secret.value.trim()) body.secret = f.secret.value.trim();
      setResult(await api.post(`/app/${app}/endpoint/${endpoint.id}/verify-signature`, body));
      setError(null);
    } catch (e) {
      // Not an API error: the headers were not JSON after all.
      setError(e instanceof ApiError ? e : Object.assign(new Error(`headers: not JSON (${e.message})`), { field: 'headers' }));
      setResult(null);
    }
  };
  return html`<form class="card" aria-labelledby="sig-title" onSubmit=${check}>
    <h3 id="sig-title">Signature debugger</h3>
    <p class="muted">Paste a request as your receiver got it. Nothing is stored or sent.</p>
    <${Field} label="Received headers" name="headers" error=${error} hint="One per line (webhook-id: msg_…), or a JSON object.">
      ${(id, d) => html`<textarea id=${id} name="received" rows="4" spellcheck="false" aria-describedby=${d}
        defaultValue=${prefill ? headerLines(prefill.headers) : ''}></textarea>`}
    <//>
    <${Field} label="Received body" name="body" error=${error} hint="Exactly as it arrived, before any parsing.">
      ${(id, d) => html`<textarea id=${id} name="rawBody" rows="4" spellcheck="false" aria-describedby=${d}
        defaultValue=${prefill ? prefill.body : ''}></textarea>`}
    <//>
    <${Field} label="Secret (optional)" name="secret" error=${error} hint="Empty: this webhook's current secret and any still in their grace period.">
      ${(id, d) => html`<input id=${id} name="secret" type="password" autocomplete="off" aria-describedby=${d} />`}
    <//>
    <button type="submit">Check signature</button>
    ${result ? html`<div class="signature-result" role="status">
      <p class=${`banner ${result.verified && result.timestampFresh ? 'ok' : 'bad'}`}>${result.verdict}</p>
      ${result.findings.length ? html`<ul>${result.findings.map((f) => html`<li>${f}</li>`)}</ul>` : null}
    </div>` : null}
  </form>`;
}
