// One message: its payload, its delivery to each endpoint (status, attempts, next retry) with a
// resend per endpoint, and every attempt made for it.
import { html, useState } from '../html.js';
import { api, listAll } from '../api.js';
import { appPath } from '../router.js';
import { Loading, StatusBadge, useLoad, when } from '../ui.js';

async function loadMessage(app, id) {
  const [message, deliveries, attempts] = await Promise.all([
    api.get(`/app/${app}/msg/${id}`),
    api.get(`/app/${app}/msg/${id}/endpoint`),
    listAll(`/app/${app}/attempt/msg/${id}`, 250),
  ]);
  return { message, deliveries: deliveries.data, attempts };
}

export function MessagePage({ app, id }) {
  const [version, setVersion] = useState(0);
  const [note, setNote] = useState(null);
  const state = useLoad(() => loadMessage(app, id), [app, id, version]);
  const resend = async (endpoint) => {
    try {
      await api.post(`/app/${app}/msg/${id}/endpoint/${endpoint}/resend`, {});
      setNote({ ok: true, text: `Queued to be sent again to ${endpoint}.` });
      setTimeout(() => setVersion((v) => v + 1), 500);
    } catch (e) {
      setNote({ ok: false, text: e.message });
    }
  };
  return html`<${Loading} state=${state}>${({ message, deliveries, attempts }) => html`<section aria-labelledby="msg-title">
    <h2 id="msg-title">Message <code>${message.id}</code></h2>
    <p><code>${message.eventType}</code> · ${when(message.timestamp)}${message.eventId ? html` · event id <code>${message.eventId}</code>` : null}</p>
    <pre>${JSON.stringify(message.payload, null, 2)}</pre>
    <h3>Deliveries</h3>
    ${note ? html`<p class=${`banner ${note.ok ? 'ok' : 'bad'}`} role="status">${note.text}</p>` : null}
    <div class="table-wrap"><table class="stack" aria-label="Deliveries">
      <thead><tr><th scope="col">Endpoint</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Next retry</th><th scope="col"></th></tr></thead>
      <tbody>${deliveries.map((d) => html`<tr key=${d.id}>
        <td data-label="Endpoint"><a href=${appPath(app, `/endpoint/${d.id}/log`)}>${d.label || d.url}</a></td>
        <td data-label="Status"><${StatusBadge} status=${d.statusText} /></td>
        <td data-label="Attempts">${d.attempts}</td><td data-label="Next retry">${d.nextAttempt ? when(d.nextAttempt) : '—'}</td>
        <td data-label=""><button type="button" class="secondary" onClick=${() => resend(d.id)}
          aria-label=${`Resend to ${d.label || d.url}`}>Resend</button></td>
      </tr>`)}</tbody></table></div>
    <h3>Attempts</h3>
    <div class="table-wrap"><table class="stack" aria-label="Attempts">
      <thead><tr><th scope="col">At</th><th scope="col">Endpoint</th><th scope="col">Status</th><th scope="col">Code</th><th scope="col">Latency</th><th scope="col">Answer</th></tr></thead>
      <tbody>${attempts.map((a) => html`<tr key=${a.id}>
        <td data-label="At">${when(a.timestamp)}</td><td data-label="Endpoint"><code class="wrap">${a.endpointId}</code></td>
        <td data-label="Status"><${StatusBadge} status=${a.statusText} /></td><td data-label="Code">${a.responseStatusCode || a.errorClass}</td>
        <td data-label="Latency">${a.responseDurationMs} ms</td><td data-label="Answer"><code class="wrap">${a.response.slice(0, 120)}</code></td>
      </tr>`)}</tbody></table></div>
  </section>`}<//>`;
}
