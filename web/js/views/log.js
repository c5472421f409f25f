// The delivery log of one webhook: the live tail, and every attempt with its status, response code, latency and
// error class; filters by status, event type and time; an attempt's detail with the receiver's
// answer and the message that was sent; resend one message; recover the failed deliveries of a
// window, saying first how many will be sent again.
import { html, useState } from '../html.js';
import { api, listAll } from '../api.js';
import { appPath } from '../router.js';
import { Loading, StatusBadge, useLoad, when } from '../ui.js';
import { LiveTail } from './live.js';

const STATUS = { '': 'any status', 0: 'success', 1: 'pending', 2: 'fail', 3: 'sending' };

function query(filters) {
  const q = new URLSearchParams({ limit: '50' });
  if (filters.status !== '') q.set('status', filters.status);
  if (filters.eventType) q.set('event_types', filters.eventType);
  if (filters.after) q.set('after', new Date(filters.after).toISOString());
  if (filters.before) q.set('before', new Date(filters.before).toISOString());
  return q.toString();
}

function Filters({ filters, setFilters }) {
  const set = (key) => (e) => setFilters({ ...filters, [key]: e.target.value });
  return html`<form class="row filters" aria-label="Filter the log" onSubmit=${(e) => e.preventDefault()}>
    <label>Status <select value=${filters.status} onChange=${set('status')}>
      ${Object.entries(STATUS).map(([v, text]) => html`<option value=${v}>${text}</option>`)}
    </select></label>
    <label>Event type <input value=${filters.eventType} onChange=${set('eventType')} placeholder="any" /></label>
    <label>After <input type="datetime-local" value=${filters.after} onChange=${set('after')} /></label>
    <label>Before <input type="datetime-local" value=${filters.before} onChange=${set('before')} /></label>
  </form>`;
}

function AttemptDetail({ app, endpoint, attempt, onResent }) {
  const message = useLoad(() => api.get(`/app/${app}/msg/${attempt.msgId}`), [attempt.msgId]);
  const [note, setNote] = useState(null);
  const resend = async () => {
    try {
      await api.post(`/app/${app}/msg/${attempt.msgId}/endpoint/${endpoint}/resend`, {});
      setNote({ ok: true, text: 'Queued to be sent again.' });
      onResent();
    } catch (e) {
      setNote({ ok: false, text: e.message });
    }
  };
  return html`<div class="card detail" aria-label=${`Attempt ${attempt.id}`}>
    <h3>Attempt <code>${attempt.id}</code></h3>
    <dl>
      <dt>Status</dt><dd><${StatusBadge} status=${attempt.statusText} /> ${attempt.responseStatusCode || 'no response'}</dd>
      <dt>Latency</dt><dd>${attempt.responseDurationMs} ms</dd>
      <dt>Error class</dt><dd>${attempt.errorClass}</dd>
      <dt>Sent to</dt><dd class="url">${attempt.url}</dd>
      <dt>At</dt><dd>${when(attempt.timestamp)}</dd>
      <dt>Message</dt><dd><a href=${appPath(app, `/msg/${attempt.msgId}`)}><code>${attempt.msgId}</code></a></dd>
    </dl>
    <h4>Receiver's answer</h4>
    <pre class="response">${attempt.response || '(empty body)'}</pre>
    <h4>Message</h4>
    <${Loading} state=${message}>${(m) => html`<p><code>${m.eventType}</code></p>
      <pre>${JSON.stringify(m.payload, null, 2)}</pre>`}<//>
    <button type="button" onClick=${resend}>Resend</button>
    ${note ? html`<p class=${`banner ${note.ok ? 'ok' : 'bad'}`} role="status">${note.text}</p>` : null}
  </div>`;
}

function Recover({ app, endpoint, onRecovered }) {
  const [since, setSince] = useState('');
  const [preview, setPreview] = useState(null);
  const [note, setNote] = useState(null);
  const span = () => ({ since: new Date(since).toISOString() });
  const count = async (event) => {
    event.preventDefault();
    setNote(null);
    try {
      const failed = await listAll(`/app/${app}/endpoint/${endpoint}/msg?status=2&after=${span().since}`);
      setPreview(failed.length);
    } catch (e) {
      setNote({ ok: false, text: e.message });
    }
  };
  const run = async () => {
    try {
      const out = await api.post(`/app/${app}/endpoint/${endpoint}/recover`, span());
      setNote({ ok: true, text: `${out.count} failed deliveries queued to be sent again.` });
      setPreview(null);
      onRecovered();
    } catch (e) {
      setNote({ ok: false, text: e.message });
    }
  };
  return html`<form class="card" aria-labelledby="recover-title" onSubmit=${count}>
    <h3 id="recover-title">Recover failed deliveries</h3>
    <div class="row">
      <label>Failed since <input type="datetime-local" required value=${since}
        onChange=${(e) => { setSince(e.target.value); setPreview(null); }} /></label>
      <button type="submit" class="secondary">Count</button>
    </div>
    ${preview !== null ? html`<p role="status">${preview} failed ${preview === 1 ? 'delivery' : 'deliveries'} will be sent again.</p>
      <button type="button" onClick=${run} disabled=${preview === 0}>Recover ${preview}</button>` : null}
    ${note ? html`<p class=${`banner ${note.ok ? 'ok' : 'bad'}`} role="status">${note.text}</p>` : null}
  </form>`;
}

export function DeliveryLog({ app, id }) {
  const [filters, setFilters] = useState({ status: '', eventType: '', after: '', before: '' });
  const [version, setVersion] = useState(0);
  const [open, setOpen] = useState(null);
  const attempts = useLoad(() => api.get(`/app/${app}/attempt/endpoint/${id}?${query(filters)}`),
    [app, id, version, JSON.stringify(filters)]);
  const refresh = () => setVersion((v) => v + 1);
  return html`<section aria-labelledby="log-title">
    <p><a href=${appPath(app, `/endpoint/${id}`)}>← Webhook</a></p>
    <div class="heading-row"><h2 id="log-title">Delivery log</h2>
      <button type="button" class="secondary" onClick=${refresh}>Refresh</button></div>
    <${LiveTail} app=${app} endpoint=${id} />
    <div class="history" aria-labelledby="history-title">
    <h3 id="history-title">History</h3>
    <${Filters} filters=${filters} setFilters=${setFilters} />
    <${Loading} state=${attempts}>${(page) => (page.data.length === 0
      ? html`<p class="muted">No attempts match.</p>`
      : html`<div class="table-wrap"><table class="stack">
        <thead><tr><th scope="col">At</th><th scope="col">Status</th><th scope="col">Code</th>
          <th scope="col">Latency</th><th scope="col">Error</th><th scope="col">Message</th></tr></thead>
        <tbody>${page.data.map((a) => html`<tr key=${a.id} class=${open && open.id === a.id ? 'selected' : ''}>
          <td data-label="At"><button type="button" class="link" onClick=${() => setOpen(a)}>${when(a.timestamp)}</button></td>
          <td data-label="Status"><${StatusBadge} status=${a.statusText} /></td>
          <td data-label="Code">${a.responseStatusCode || '—'}</td>
          <td data-label="Latency">${a.responseDurationMs} ms</td><td data-label="Error">${a.errorClass}</td>
          <td data-label="Message"><code class="wrap">${a.msgId}</code></td>
        </tr>`)}</tbody></table></div>`)}<//>
    </div>
    ${open ? html`<${AttemptDetail} key=${open.id} app=${app} endpoint=${id} attempt=${open} onResent=${refresh} />` : null}
    <${Recover} app=${app} endpoint=${id} onRecovered=${refresh} />
  </section>`;
}
