// Inbound sources of an application: the URL (with its client id) to give the sender, the
// verification settings, recent events and rejections, and the per-customer summary
// (docs/inbound.md).
import { html, useState } from '../html.js';
import { api, listAll } from '../api.js';
import { appPath, navigate } from '../router.js';
import { CopyButton, ErrorBanner, Field, Loading, useLoad, when } from '../ui.js';

function NewSource({ app }) {
  const [error, setError] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    const f = event.target.elements;
    const body = { name: f.name.value, kind: f.kind.value };
    if (f.verification.value !== 'none') {
      body.verification = f.verification.value === 'standard_webhooks'
        ? { type: 'standard_webhooks', secret: f.secret.value }
        : { type: 'api_key', header: 'X-Api-Key', key: f.secret.value };
    }
    try {
      const source = await api.post(`/app/${app}/source`, body);
      navigate(appPath(app, `/source/${source.id}`));
    } catch (e) {
      setError(e);
    }
  };
  return html`<form class="card" onSubmit=${submit} aria-labelledby="new-src">
    <h3 id="new-src">New source</h3>
    <div class="row">
      <${Field} label="Name" name="name" error=${error}>${(id, d) => html`<input id=${id} name="name" required aria-describedby=${d} />`}<//>
      <${Field} label="Format" name="kind" error=${error}>${(id, d) => html`<select id=${id} name="kind" aria-describedby=${d}>
        <option value="skalin">Skalin connector (eventId, customerId, ts, event)</option>
        <option value="generic">Any JSON or form body</option></select>`}<//>
    </div>
    <div class="row">
      <${Field} label="Verification" name="verification" error=${error}>${(id, d) => html`<select id=${id} name="verification" aria-describedby=${d}>
        <option value="none">none (the client id only)</option>
        <option value="standard_webhooks">Standard Webhooks signature</option>
        <option value="api_key">API key in X-Api-Key</option></select>`}<//>
      <${Field} label="Secret or key" name="verification.secret" error=${error} hint="whsec_… for signatures.">
        ${(id, d) => html`<input id=${id} name="secret" type="password" autocomplete="off" aria-describedby=${d} />`}<//>
    </div>
    <${ErrorBanner} error=${error} fields=${['name', 'kind', 'verification']} />
    <button type="submit">Create source</button>
  </form>`;
}

export function Sources({ app }) {
  const state = useLoad(() => listAll(`/app/${app}/source`), [app]);
  return html`<section aria-labelledby="src-title">
    <h2 id="src-title">Inbound sources</h2>
    <p class="muted">Third parties POST their events to a source's URL; hookd validates, de-duplicates and stores them.</p>
    <${Loading} state=${state}>${(list) => (list.length === 0 ? html`<p class="muted">No sources yet.</p>` : html`<div class="table-wrap"><table class="stack">
      <thead><tr><th scope="col">Source</th><th scope="col">Format</th><th scope="col">Verification</th><th scope="col">URL</th></tr></thead>
      <tbody>${list.map((s) => html`<tr key=${s.id}>
        <td data-label="Source"><a href=${appPath(app, `/source/${s.id}`)}>${s.name}</a></td>
        <td data-label="Format">${s.kind}</td><td data-label="Verification">${s.verification.type}</td>
        <td data-label="URL"><code class="wrap">${s.url}</code></td>
      </tr>`)}</tbody></table></div>`)}<//>
    <${NewSource} app=${app} />
  </section>`;
}

function Recent({ title, path, columns }) {
  const state = useLoad(() => api.get(path), [path]);
  return html`<div class="card" aria-label=${title}>
    <h3>${title}</h3>
    <${Loading} state=${state}>${(page) => (page.data.length === 0 ? html`<p class="muted">None yet.</p>` : html`<div class="table-wrap"><table class="stack">
      <thead><tr>${columns.map(([label]) => html`<th scope="col">${label}</th>`)}</tr></thead>
      <tbody>${page.data.map((row, i) => html`<tr key=${row.id || row.customerId || i}>
        ${columns.map(([label, cell]) => html`<td data-label=${label}>${cell(row)}</td>`)}</tr>`)}</tbody>
    </table></div>`)}<//>
  </div>`;
}

export function SourcePage({ app, id }) {
  const state = useLoad(() => api.get(`/app/${app}/source/${id}`), [app, id]);
  const base = `/app/${app}/source/${id}`;
  return html`<${Loading} state=${state}>${(s) => {
    const url = `${location.origin}${s.url}`;
    return html`<section aria-labelledby="source-title">
      <p><a href=${appPath(app, '/sources')}>← Inbound sources</a></p>
      <h2 id="source-title">${s.name}</h2>
      <div class="card">
        <p><strong>URL to give the sender</strong> <code class="wrap">${url}</code> <${CopyButton} text=${url} label="Copy URL" /></p>
        ${s.clientId ? html`<p><strong>Client id</strong> <code>${s.clientId}</code> <${CopyButton} text=${s.clientId} label="Copy client id" /></p>` : null}
        <h4>Verification</h4><pre>${JSON.stringify(s.verification, null, 2)}</pre>
        ${s.forward ? html`<p>Forwarded as <code>${s.forward.eventType}</code> messages of <code>${s.forward.appId}</code>.</p>` : null}
      </div>
      <${Recent} title="Recent events" path=${`${base}/event?limit=20`} columns=${[
        ['Received', (e) => when(e.receivedAt)], ['Event', (e) => html`<code>${e.name || '—'}</code>`],
        ['Customer', (e) => e.customerId || '—'], ['Event id', (e) => html`<code class="wrap">${e.eventId || e.id}</code>`]]} />
      <${Recent} title="Rejections" path=${`${base}/rejection?limit=20`} columns=${[
        ['Received', (r) => when(r.receivedAt)], ['Status', (r) => r.status], ['Reason', (r) => r.reason]]} />
      <${Recent} title="Customers" path=${`${base}/customer?limit=50`} columns=${[
        ['Customer', (c) => c.customerId], ['Events', (c) => c.eventCount],
        ['Average score', (c) => (c.averageScore === null ? '—' : c.averageScore)], ['Last event', (c) => when(c.lastEventAt)]]} />
    </section>`;
  }}<//>`;
}
