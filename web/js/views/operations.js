// Operations (admin tokens): queue depths and throughput from /metrics (sampled every 5 s while
// the page is open), end-to-end delivery latency percentiles, each endpoint's response time
// percentiles over its recent attempts, and the audit log.
import { html, useEffect, useState } from '../html.js';
import { api, listAll } from '../api.js';
import { Loading, useLoad, when } from '../ui.js';

const SAMPLE_MS = 5000;
const KEEP = 60;

// Prometheus text into {name: total over its labels}, and histograms' buckets {name: [[le, n]]}.
export function parseMetrics(text) {
  const values = {};
  const buckets = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    const le = m[2] && /le="([^"]+)"/.exec(m[2]);
    if (m[1].endsWith('_bucket') && le) {
      (buckets[m[1]] = buckets[m[1]] || []).push([le[1] === '+Inf' ? Infinity : Number(le[1]), value]);
    } else {
      values[m[1]] = (values[m[1]] || 0) + value;
    }
  }
  return { values, buckets };
}

// The q-quantile of a cumulative histogram: the upper bound of the bucket it falls in.
export function histogramQuantile(bucketList, q) {
  if (!bucketList || bucketList.length === 0) return null;
  const sorted = [...bucketList].sort((a, b) => a[0] - b[0]);
  const total = sorted[sorted.length - 1][1];
  if (total === 0) return null;
  const found = sorted.find(([, n]) => n >= q * total);
  return found ? found[0] : null;
}

export function percentile(numbers, q) {
  if (numbers.length === 0) return null;
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function useMetricSamples() {
  const [samples, setSamples] = useState([]);
  useEffect(() => {
    let stopped = false;
    const sample = async () => {
      try {
        const text = await (await fetch('/metrics', { credentials: 'same-origin' })).text();
        if (!stopped) setSamples((list) => [...list, { at: Date.now(), ...parseMetrics(text) }].slice(-KEEP));
      } catch (e) {
        // The next sample tries again.
      }
    };
    sample();
    const timer = setInterval(sample, SAMPLE_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return samples;
}

// Per-second rates of a counter between consecutive samples.
function rates(samples, name) {
  const out = [];
  for (let i = 1; i < samples.length; i += 1) {
    const dt = (samples[i].at - samples[i - 1].at) / 1000;
    out.push(Math.max(0, (samples[i].values[name] || 0) - (samples[i - 1].values[name] || 0)) / dt);
  }
  return out;
}

function RateChart({ series, label }) {
  const w = 300;
  const h = 60;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const points = (values) => values.map((v, i) => `${(i / Math.max(1, KEEP - 2)) * w},${h - (v / max) * h}`).join(' ');
  return html`<svg class="chart" viewBox=${`0 0 ${w} ${h}`} width="100%" height=${h} role="img" aria-label=${label}>
    ${series.map((s) => html`<polyline points=${points(s.values)} class=${s.cls} fill="none" stroke-width="2" />`)}
  </svg>`;
}

function Gauges({ samples }) {
  const last = samples[samples.length - 1];
  if (!last) return html`<p class="muted">Reading /metrics…</p>`;
  const v = last.values;
  const succeeded = rates(samples, 'hookd_deliveries_succeeded_total');
  const failed = rates(samples, 'hookd_attempts_failed_total');
  const latency = last.buckets.hookd_delivery_latency_seconds_bucket;
  const ms = (s) => (s === null ? '—' : s === Infinity ? '> last bucket' : `≤ ${Math.round(s * 1000)} ms`);
  const gauges = [
    ['Deliveries queued in memory', v.hookd_delivery_queue_depth],
    ['Requests in flight', v.hookd_deliveries_in_flight],
    ['Store write queue', v.hookd_store_write_queue_depth],
    ['Journey activities pending', v.hookd_journey_activities_pending],
    ['Messages accepted', v.hookd_messages_accepted_total],
    ['Deliveries succeeded', v.hookd_deliveries_succeeded_total],
    ['Deliveries failed (schedule used up)', v.hookd_deliveries_failed_total],
    ['Open connections', v.hookd_connections_open],
  ];
  return html`<div class="card" aria-labelledby="gauges-title">
    <h3 id="gauges-title">This node</h3>
    <dl class="gauges">${gauges.map(([k, n]) => html`<dt>${k}</dt><dd>${n === undefined ? '—' : n}</dd>`)}</dl>
    <h4>Deliveries and failed attempts per second</h4>
    ${samples.length < 2 ? html`<p class="muted">The chart fills in as samples arrive.</p>` : html`<${RateChart}
      label="deliveries and failures per second" series=${[
      { values: succeeded, cls: 'line-ok' }, { values: failed, cls: 'line-bad' }]} />`}
    <p class="muted">Now: ${Math.round(succeeded.at(-1) || 0)} deliveries/s, ${Math.round(failed.at(-1) || 0)} failed attempts/s
      (sampled every ${SAMPLE_MS / 1000} s since this page opened).</p>
    <h4>From message accepted to delivered</h4>
    <p>p50 ${ms(histogramQuantile(latency, 0.5))}, p99 ${ms(histogramQuantile(latency, 0.99))}</p>
  </div>`;
}

async function endpointLatencies(app) {
  const endpoints = await listAll(`/app/${app}/endpoint`);
  return Promise.all(endpoints.map(async (ep) => {
    const page = await api.get(`/app/${app}/attempt/endpoint/${ep.id}?limit=250`);
    const durations = page.data.map((a) => a.responseDurationMs);
    const failed = page.data.filter((a) => a.statusText !== 'success').length;
    return { ep, n: durations.length, failed, p50: percentile(durations, 0.5), p90: percentile(durations, 0.9), p99: percentile(durations, 0.99) };
  }));
}

function EndpointLatency() {
  const apps = useLoad(() => listAll('/app'), []);
  const [app, setApp] = useState('');
  const rows = useLoad(() => (app ? endpointLatencies(app) : Promise.resolve([])), [app]);
  const ms = (n) => (n === null ? '—' : `${n} ms`);
  return html`<div class="card" aria-labelledby="lat-title">
    <h3 id="lat-title">Response times per endpoint</h3>
    <label>Application <select value=${app} onChange=${(e) => setApp(e.target.value)}>
      <option value="">choose…</option>
      ${(apps.data || []).map((a) => html`<option value=${a.id}>${a.name}</option>`)}
    </select></label>
    ${app ? html`<${Loading} state=${rows}>${(list) => html`<div class="table-wrap"><table class="stack">
      <thead><tr><th scope="col">Endpoint</th><th scope="col">Attempts</th><th scope="col">Failed</th>
        <th scope="col">p50</th><th scope="col">p90</th><th scope="col">p99</th></tr></thead>
      <tbody>${list.map((r) => html`<tr key=${r.ep.id}>
        <td data-label="Endpoint">${r.ep.label || r.ep.url}</td><td data-label="Attempts">${r.n}</td>
        <td data-label="Failed">${r.failed}</td><td data-label="p50">${ms(r.p50)}</td>
        <td data-label="p90">${ms(r.p90)}</td><td data-label="p99">${ms(r.p99)}</td>
      </tr>`)}</tbody></table></div>
      <p class="muted">Over each endpoint's last 250 attempts.</p>`}<//>` : null}
  </div>`;
}

function AuditLog() {
  const state = useLoad(() => api.get('/audit?limit=50'), []);
  return html`<div class="card" aria-labelledby="audit-title">
    <h3 id="audit-title">Audit log</h3>
    <${Loading} state=${state}>${(page) => (page.data.length === 0 ? html`<p class="muted">No changes yet.</p>` : html`<div class="table-wrap"><table class="stack">
      <thead><tr><th scope="col">At</th><th scope="col">Who</th><th scope="col">Change</th><th scope="col">Object</th></tr></thead>
      <tbody>${page.data.map((e) => html`<tr key=${e.id}>
        <td data-label="At">${when(e.at)}</td>
        <td data-label="Who">${e.tokenKind} <code>${e.tokenId}</code></td>
        <td data-label="Change"><code>${e.method} ${e.route}</code>
          ${Object.keys(e.changes || {}).length ? html`<details><summary>fields</summary><pre>${JSON.stringify(e.changes, null, 2)}</pre></details>` : null}</td>
        <td data-label="Object"><code class="wrap">${e.objectId || '—'}</code></td>
      </tr>`)}</tbody></table></div>`)}<//>
  </div>`;
}

export function Operations() {
  const samples = useMetricSamples();
  return html`<section aria-labelledby="ops-title">
    <h2 id="ops-title">Operations</h2>
    <${Gauges} samples=${samples} />
    <${EndpointLatency} />
    <${AuditLog} />
  </section>`;
}
