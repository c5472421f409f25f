// Journeys of an application (docs/journeys.md): the list; one journey's nodes with how many
// runs wait at and exited from each, the contacts waiting at a node, one contact's path, pause
// and resume, and its definition, whose validation errors show on the node they name.
import { html, useState } from '../html.js';
import { api, listAll } from '../api.js';
import { appPath, navigate } from '../router.js';
import { Loading, useLoad, when } from '../ui.js';

const EXAMPLE = {
  name: 'abandoned cart',
  nodes: [
    { id: 'start', type: 'trigger', activity: 'added_to_cart', next: 'wait' },
    { id: 'wait', type: 'waitFor', activity: 'purchase', within: '30m', matched: 'end', timedOut: 'end' },
    { id: 'end', type: 'exit' },
  ],
};

// The node a validation error names ('... | node "wait": within: ...'), or null.
export function nodeOfError(message) {
  const m = /node "([^"]+)"/.exec(message || '');
  return m ? m[1] : null;
}

function DefinitionEditor({ initial, onSave, saveLabel }) {
  const [error, setError] = useState(null);
  const [draft, setDraft] = useState(initial.nodes || []);
  const submit = async (event) => {
    event.preventDefault();
    let definition;
    try {
      definition = JSON.parse(event.target.elements.definition.value);
    } catch (e) {
      setError(new Error(`definition: not JSON (${e.message})`));
      return;
    }
    setDraft(Array.isArray(definition.nodes) ? definition.nodes.filter((n) => n && n.id) : []);
    try {
      await onSave(definition);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  return html`<form class="card" onSubmit=${submit} aria-label="Definition">
    <label for="definition"><strong>Definition (JSON)</strong></label>
    <textarea id="definition" name="definition" rows="14" spellcheck="false"
      aria-describedby=${error ? 'definition-error' : undefined}
      defaultValue=${JSON.stringify(initial, null, 2)}></textarea>
    ${error ? html`<p id="definition-error" class="banner bad" role="alert">${error.message}</p>` : null}
    <button type="submit">${saveLabel}</button>
    ${error && nodeOfError(error.message) ? html`<${NodeCards} nodes=${draft} errorNode=${nodeOfError(error.message)} error=${error} />` : null}
  </form>`;
}

function summary(node) {
  const parts = [];
  if (node.activity) parts.push(`activity ${node.activity}`);
  if (node.within) parts.push(`within ${node.within}`);
  if (node.duration) parts.push(`for ${node.duration}`);
  if (node.endpointId) parts.push(`to ${node.endpointId}`);
  if (node.eventType) parts.push(`as ${node.eventType}`);
  for (const exit of ['next', 'matched', 'timedOut', 'then', 'else']) if (node[exit]) parts.push(`${exit} → ${node[exit]}`);
  return parts.join(' · ');
}

// The nodes as cards: waiting and exited counts when `stats` is given; the error on the node it
// names.
function NodeCards({ nodes, stats, errorNode, error, onWaiting }) {
  return html`<ol class="nodes">${nodes.map((n) => html`<li key=${n.id} class=${`node card${errorNode === n.id ? ' has-error' : ''}`}>
    <strong>${n.id}</strong> <span class="badge muted">${n.type}</span>
    <div class="muted">${summary(n)}</div>
    ${stats ? html`<div>
      ${stats.waiting[n.id] ? html`<button type="button" class="link" onClick=${() => onWaiting(n.id)}>${stats.waiting[n.id]} waiting</button>` : html`<span>0 waiting</span>`}
      ${stats.exited[n.id] ? html` · ${stats.exited[n.id]} ended here` : null}
      ${stats.webhooks[n.id] ? html` · webhooks ${stats.webhooks[n.id].sent} sent, ${stats.webhooks[n.id].failed} failed, ${stats.webhooks[n.id].pending} pending` : null}
    </div>` : null}
    ${errorNode === n.id ? html`<small class="error" role="alert">${error.message}</small>` : null}
  </li>`)}</ol>`;
}

function Waiting({ app, journey, node }) {
  const state = useLoad(() => api.get(`/app/${app}/journey/${journey}/waiting?node=${encodeURIComponent(node)}&limit=50`), [node]);
  return html`<div class="card" aria-label=${`Waiting at ${node}`}>
    <h3>Waiting at ${node}</h3>
    <${Loading} state=${state}>${(page) => html`<ul class="plain">${page.data.map((r) => html`<li key=${r.id}>
      <code>${r.contactKey}</code> <span class="muted">until ${when(r.wakeAt)}${r.held ? ', held (journey paused)' : ''}</span></li>`)}</ul>`}<//>
  </div>`;
}

function ContactPath({ app, journey }) {
  const [runs, setRuns] = useState(null);
  const [error, setError] = useState(null);
  const look = async (event) => {
    event.preventDefault();
    try {
      const key = event.target.elements.contact.value.trim();
      setRuns((await api.get(`/app/${app}/journey/${journey}/contact/${encodeURIComponent(key)}`)).data);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  return html`<form class="card" onSubmit=${look} aria-labelledby="path-title">
    <h3 id="path-title">A contact's path</h3>
    <div class="row"><label>Contact key <input name="contact" required /></label><button type="submit" class="secondary">Show</button></div>
    ${error ? html`<p class="banner bad" role="alert">${error.message}</p>` : null}
    ${runs ? (runs.length === 0 ? html`<p class="muted">No runs.</p>` : runs.map((r) => html`<div key=${r.id} class="run">
      <p><strong>${r.status}</strong> at <code>${r.node}</code> (version ${r.version})</p>
      <ol class="path">${r.path.map((step) => html`<li><code>${step.node}</code> <span class="muted">${when(step.at)}</span></li>`)}</ol>
    </div>`)) : null}
  </form>`;
}

export function Journeys({ app }) {
  const state = useLoad(() => listAll(`/app/${app}/journey`), [app]);
  const create = async (definition) => {
    const journey = await api.post(`/app/${app}/journey`, { definition });
    navigate(appPath(app, `/journey/${journey.id}`));
  };
  return html`<section aria-labelledby="jr-title">
    <h2 id="jr-title">Journeys</h2>
    <${Loading} state=${state}>${(list) => (list.length === 0 ? html`<p class="muted">No journeys yet.</p>` : html`<div class="table-wrap"><table class="stack">
      <thead><tr><th scope="col">Journey</th><th scope="col">Status</th><th scope="col">Version</th><th scope="col">Updated</th></tr></thead>
      <tbody>${list.map((j) => html`<tr key=${j.id}>
        <td data-label="Journey"><a href=${appPath(app, `/journey/${j.id}`)}>${j.name}</a></td>
        <td data-label="Status"><span class=${`badge ${j.status === 'active' ? 'ok' : 'muted'}`}>${j.status}</span></td>
        <td data-label="Version">${j.version}</td><td data-label="Updated">${when(j.updatedAt)}</td>
      </tr>`)}</tbody></table></div>`)}<//>
    <h3>New journey</h3>
    <${DefinitionEditor} initial=${EXAMPLE} onSave=${create} saveLabel="Create journey" />
  </section>`;
}

export function JourneyPage({ app, id }) {
  const [version, setVersion] = useState(0);
  const [waitingAt, setWaitingAt] = useState(null);
  const state = useLoad(async () => {
    const [journey, stats] = await Promise.all([api.get(`/app/${app}/journey/${id}`), api.get(`/app/${app}/journey/${id}/stats`)]);
    return { journey, stats: stats.versions.find((v) => v.version === journey.version) };
  }, [app, id, version]);
  const refresh = () => setVersion((v) => v + 1);
  return html`<${Loading} state=${state}>${({ journey, stats }) => html`<section aria-labelledby="journey-title">
    <p><a href=${appPath(app, '/journeys')}>← Journeys</a></p>
    <div class="heading-row">
      <h2 id="journey-title">${journey.name}</h2>
      <span class=${`badge ${journey.status === 'active' ? 'ok' : 'muted'}`}>${journey.status}</span>
    </div>
    <div class="actions">
      <button type="button" class="secondary" onClick=${() => api
        .post(`/app/${app}/journey/${id}/${journey.status === 'active' ? 'pause' : 'resume'}`, {})
        .finally(refresh)}>${journey.status === 'active' ? 'Pause' : 'Resume'}</button>
      <span class="muted">version ${journey.version}; ${stats ? stats.entered : 0} entered</span>
    </div>
    <${NodeCards} nodes=${journey.definition.nodes} stats=${stats || { waiting: {}, exited: {}, webhooks: {} }} onWaiting=${setWaitingAt} />
    ${waitingAt ? html`<${Waiting} key=${waitingAt} app=${app} journey=${id} node=${waitingAt} />` : null}
    <${ContactPath} app=${app} journey=${id} />
    <h3>Edit</h3>
    <${DefinitionEditor} key=${journey.version} initial=${journey.definition}
      onSave=${async (definition) => { await api.put(`/app/${app}/journey/${id}`, { definition }); refresh(); }} saveLabel="Save as a new version" />
  </section>`}<//>`;
}
