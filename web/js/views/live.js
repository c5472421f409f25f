// The live tail: attempts appear as hookd makes them (Server-Sent Events from
// GET .../attempt/live), newest first, without polling. The browser's EventSource sends the
// session cookie and reconnects by itself after a network error.
import { html, useEffect, useState } from '../html.js';
import { StatusBadge, when } from '../ui.js';

const KEEP = 200;

export function LiveTail({ app, endpoint }) {
  const [attempts, setAttempts] = useState([]);
  const [state, setState] = useState('connecting');
  const [missed, setMissed] = useState(0);
  useEffect(() => {
    const query = endpoint ? `?endpoint_id=${encodeURIComponent(endpoint)}` : '';
    const source = new EventSource(`/api/v1/app/${encodeURIComponent(app)}/attempt/live${query}`);
    source.onopen = () => setState('live');
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    source.addEventListener('attempt', (e) => {
      const attempt = JSON.parse(e.data);
      setAttempts((list) => [attempt, ...list].slice(0, KEEP));
    });
    source.addEventListener('dropped', (e) => setMissed((n) => n + JSON.parse(e.data).count));
    return () => source.close();
  }, [app, endpoint]);
  return html`<div class="card" aria-labelledby="live-title">
    <div class="heading-row">
      <h3 id="live-title">Live</h3>
      <span class=${`badge ${state === 'live' ? 'ok' : 'muted'}`} role="status">${state}</span>
    </div>
    ${missed ? html`<p class="banner bad">${missed} attempts came faster than this page could show them.</p>` : null}
    ${attempts.length === 0
      ? html`<p class="muted">Attempts appear here as they are made.</p>`
      : html`<div class="table-wrap"><table class="stack live">
        <thead><tr><th scope="col">At</th><th scope="col">Event</th><th scope="col">Status</th>
          <th scope="col">Code</th><th scope="col">Latency</th><th scope="col">Next retry</th></tr></thead>
        <tbody>${attempts.map((a) => html`<tr key=${a.id}>
          <td data-label="At">${when(a.timestamp)}</td>
          <td data-label="Event"><code>${a.eventType}</code><br /><small class="muted">${a.msgId}</small></td>
          <td data-label="Status"><${StatusBadge} status=${a.statusText} /></td>
          <td data-label="Code">${a.responseStatusCode || a.errorClass}</td>
          <td data-label="Latency">${a.responseDurationMs} ms</td>
          <td data-label="Next retry">${a.nextAttempt ? when(a.nextAttempt) : '—'}</td>
        </tr>`)}</tbody></table></div>`}
  </div>`;
}
