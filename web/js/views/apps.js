// Applications (admin tokens only): the list, creating one, and opening one.
import { html, useState } from '../html.js';
import { api, listAll } from '../api.js';
import { appPath, navigate } from '../router.js';
import { ErrorBanner, Field, Loading, useLoad, when } from '../ui.js';

function CreateApp({ onCreated }) {
  const [error, setError] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { name: form.elements.name.value };
    if (form.elements.uid.value) body.uid = form.elements.uid.value;
    try {
      const app = await api.post('/app', body);
      form.reset();
      setError(null);
      onCreated(app);
    } catch (e) {
      setError(e);
    }
  };
  return html`<form class="card" onSubmit=${submit} aria-labelledby="new-app">
    <h3 id="new-app">New application</h3>
    <div class="row">
      <${Field} label="Name" name="name" error=${error}>
        ${(id, d) => html`<input id=${id} name="name" required aria-describedby=${d} />`}
      <//>
      <${Field} label="UID (optional)" name="uid" error=${error} hint="Your own id for it, e.g. a customer id.">
        ${(id, d) => html`<input id=${id} name="uid" aria-describedby=${d} />`}
      <//>
    </div>
    <${ErrorBanner} error=${error} fields=${['name', 'uid']} />
    <button type="submit">Create application</button>
  </form>`;
}

export function Apps() {
  const state = useLoad(() => listAll('/app'), []);
  return html`<section aria-labelledby="apps-title">
    <h2 id="apps-title">Applications</h2>
    <${Loading} state=${state}>${(apps) => (apps.length === 0
      ? html`<p class="muted">No applications yet.</p>`
      : html`<div class="table-wrap"><table class="stack">
        <thead><tr><th scope="col">Name</th><th scope="col">UID</th><th scope="col">ID</th><th scope="col">Created</th></tr></thead>
        <tbody>${apps.map((a) => html`<tr key=${a.id}>
          <td data-label="Name"><a href=${appPath(a.id)}>${a.name}</a></td>
          <td data-label="UID">${a.uid || '—'}</td><td data-label="ID"><code>${a.id}</code></td>
          <td data-label="Created">${when(a.createdAt)}</td>
        </tr>`)}</tbody></table></div>`)}<//>
    <${CreateApp} onCreated=${(app) => navigate(appPath(app.id))} />
  </section>`;
}
