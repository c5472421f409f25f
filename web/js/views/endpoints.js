// Webhooks (endpoints) of an application: label, URL, state, subscribed events, the success
// rate over the last 24 hours as a small chart, and the last delivery.
import { html } from '../html.js';
import { api, listAll } from '../api.js';
import { appPath } from '../router.js';
import { Loading, StateBadge, StatusBadge, useLoad, when } from '../ui.js';

const HOUR = 3600 * 1000;
const BUCKETS = 6; // of four hours each

// Delivered and failed attempts per four hours over the last day, oldest first.
async function successBuckets(app, ep) {
  const now = Date.now();
  const reads = [];
  for (let i = BUCKETS; i > 0; i -= 1) {
    const since = new Date(now - i * 4 * HOUR).toISOString();
    const until = new Date(now - (i - 1) * 4 * HOUR).toISOString();
    reads.push(api.get(`/app/${app}/endpoint/${ep}/stats?since=${since}&until=${until}`));
  }
  return Promise.all(reads);
}

// Bars of the success rate per bucket (empty buckets are a dot), and the day's rate as text.
function SuccessChart({ buckets }) {
  const ok = buckets.reduce((n, b) => n + b.success, 0);
  const failed = buckets.reduce((n, b) => n + b.fail, 0);
  const total = ok + failed;
  const label = total === 0 ? 'no deliveries in 24 h' : `${Math.round((100 * ok) / total)}% of ${total} in 24 h`;
  return html`<span class="spark">
    <svg width="60" height="20" viewBox="0 0 60 20" role="img" aria-label=${label}>
      ${buckets.map((b, i) => {
        const n = b.success + b.fail;
        if (n === 0) return html`<rect x=${i * 10 + 3} y="18" width="4" height="2" class="spark-none" />`;
        const h = Math.max(2, Math.round((20 * b.success) / n));
        return html`<g><rect x=${i * 10 + 2} y="0" width="6" height="20" class="spark-fail" />
          <rect x=${i * 10 + 2} y=${20 - h} width="6" height=${h} class="spark-ok" /></g>`;
      })}
    </svg>
    <small>${label}</small>
  </span>`;
}

async function loadEndpoints(app) {
  const endpoints = await listAll(`/app/${app}/endpoint`);
  return Promise.all(endpoints.map(async (ep) => {
    const [buckets, last] = await Promise.all([
      successBuckets(app, ep.id),
      api.get(`/app/${app}/attempt/endpoint/${ep.id}?limit=1`),
    ]);
    return { ep, buckets, last: last.data[0] || null };
  }));
}

export function Endpoints({ app }) {
  const state = useLoad(() => loadEndpoints(app), [app]);
  return html`<section aria-labelledby="eps-title">
    <div class="heading-row">
      <h2 id="eps-title">Webhooks</h2>
      <a class="button" href=${appPath(app, '/endpoint/new')}>Add webhook</a>
    </div>
    <${Loading} state=${state}>${(rows) => (rows.length === 0
      ? html`<p class="muted">No webhooks yet: add one to start receiving events.</p>`
      : html`<div class="table-wrap"><table class="stack">
        <thead><tr><th scope="col">Webhook</th><th scope="col">State</th><th scope="col">Events</th>
          <th scope="col">Success, 24 h</th><th scope="col">Last delivery</th></tr></thead>
        <tbody>${rows.map(({ ep, buckets, last }) => html`<tr key=${ep.id}>
          <td data-label="Webhook"><a href=${appPath(app, `/endpoint/${ep.id}`)}>${ep.label || ep.description || ep.id}</a>
            <br /><small class="muted url">${ep.url}</small></td>
          <td data-label="State"><${StateBadge} endpoint=${ep} /></td>
          <td data-label="Events">${ep.eventTypes ? ep.eventTypes.join(', ') : html`<span class="muted">all</span>`}</td>
          <td data-label="Success, 24 h"><${SuccessChart} buckets=${buckets} /></td>
          <td data-label="Last delivery">${last ? html`<${StatusBadge} status=${last.statusText} /> ${when(last.timestamp)}` : '—'}</td>
        </tr>`)}</tbody></table></div>`)}<//>
  </section>`;
}
