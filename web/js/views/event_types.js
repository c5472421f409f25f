// The event catalogue: every event type with its description, schema and example, and the
// ready-made catalogues (sets of event types, e.g. Netcore's channels) loaded in one click.
// Event types belong to every application: an application's token reads them, changing them
// needs an admin token.
import { html, useState } from '../html.js';
import { api, listAll } from '../api.js';
import { Loading, useLoad } from '../ui.js';

function Catalogues({ onLoaded, canWrite }) {
  const state = useLoad(() => api.get('/event-type/catalogue'), []);
  const [note, setNote] = useState(null);
  const load = async (name) => {
    try {
      const out = await api.post(`/event-type/catalogue/${encodeURIComponent(name)}`, {});
      setNote({ ok: true, text: `${name}: ${out.created.length} created, ${out.existing.length} already there.` });
      onLoaded();
    } catch (e) {
      setNote({ ok: false, text: e.message });
    }
  };
  return html`<div class="card" aria-labelledby="cat-title">
    <h3 id="cat-title">Ready catalogues</h3>
    <${Loading} state=${state}>${(page) => html`<ul class="plain">${page.data.map((c) => html`<li key=${c.name}>
      <strong>${c.name}</strong> <span class="muted">${c.eventTypes.length} event types</span>
      ${canWrite ? html` <button type="button" class="secondary" onClick=${() => load(c.name)}>Load ${c.name}</button>` : null}
    </li>`)}</ul>`}<//>
    ${note ? html`<p class=${`banner ${note.ok ? 'ok' : 'bad'}`} role="status">${note.text}</p>` : null}
  </div>`;
}

export function EventTypes({ session }) {
  const [version, setVersion] = useState(0);
  const state = useLoad(() => listAll('/event-type'), [version]);
  const canWrite = session.kind === 'admin' && !session.readOnly;
  return html`<section aria-labelledby="et-title">
    <h2 id="et-title">Event catalogue</h2>
    <${Catalogues} canWrite=${canWrite} onLoaded=${() => setVersion((v) => v + 1)} />
    <${Loading} state=${state}>${(types) => (types.length === 0
      ? html`<p class="muted">No event types yet.</p>`
      : html`<div class="table-wrap"><table class="stack">
        <thead><tr><th scope="col">Event type</th><th scope="col">Description</th><th scope="col">Example and schema</th></tr></thead>
        <tbody>${types.map((et) => html`<tr key=${et.name}>
          <td data-label="Event type"><code>${et.name}</code>${et.deprecated ? html` <span class="badge muted">deprecated</span>` : null}</td>
          <td data-label="Description">${et.description}</td>
          <td data-label="Example">
            ${et.example ? html`<details><summary>Example</summary><pre>${JSON.stringify(et.example, null, 2)}</pre></details>` : html`<span class="muted">none</span>`}
            ${et.schemas ? html`<details><summary>Schema</summary><pre>${JSON.stringify(et.schemas, null, 2)}</pre></details>` : null}
          </td>
        </tr>`)}</tbody></table></div>`)}<//>
  </section>`;
}
