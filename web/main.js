// The dashboard's entry point: signs in (a pasted token, or the token in an app portal link's
// fragment), then shows the screen the path names. An admin token sees every application and
// can switch between them; an application's token sees its own application only.
import { html, render, useEffect, useState } from './js/html.js';
import { currentSession, listAll, signIn, signOut } from './js/api.js';
import { appPath, match, navigate, startRouting, usePath } from './js/router.js';
import { SignIn } from './js/views/signin.js';
import { Apps } from './js/views/apps.js';
import { Endpoints } from './js/views/endpoints.js';
import { EndpointPage, NewEndpoint } from './js/views/endpoint.js';
import { DeliveryLog } from './js/views/log.js';
import { EventTypes } from './js/views/event_types.js';
import { Operations } from './js/views/operations.js';
import { SourcePage, Sources } from './js/views/sources.js';
import { JourneyPage, Journeys } from './js/views/journeys.js';
import { MessagePage } from './js/views/message.js';

// An app portal link is /ui/#token=...&app=...: the fragment never reaches a server. It is
// read once, removed from the address bar and history, and traded for a session cookie.
async function signInFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (!token) return null;
  history.replaceState(null, '', location.pathname + location.search);
  const session = await signIn(token);
  const app = fragment.get('app') || session.appId;
  if (app) navigate(appPath(app), { replace: true });
  return session;
}

function AppSwitcher({ session, current }) {
  const [apps, setApps] = useState([]);
  useEffect(() => {
    if (session.kind === 'admin') listAll('/app').then(setApps, () => setApps([]));
  }, [session, current]);
  if (session.kind !== 'admin') return html`<span class="muted">Application <code>${session.appId}</code></span>`;
  return html`<label class="switcher">Application
    <select value=${current || ''} onChange=${(e) => navigate(e.target.value ? appPath(e.target.value) : '/ui/apps')}>
      <option value="">All applications</option>
      ${apps.map((a) => html`<option value=${a.id}>${a.name}</option>`)}
    </select></label>`;
}

const routes = [
  ['/ui/apps', () => html`<${Apps} />`],
  ['/ui/event-types', (p, session) => html`<${EventTypes} session=${session} />`],
  ['/ui/operations', () => html`<${Operations} />`],
  ['/ui/app/:app', (p) => html`<${Endpoints} app=${p.app} />`],
  ['/ui/app/:app/endpoint/new', (p) => html`<${NewEndpoint} app=${p.app} />`],
  ['/ui/app/:app/endpoint/:id', (p) => html`<${EndpointPage} app=${p.app} id=${p.id} />`],
  ['/ui/app/:app/endpoint/:id/log', (p) => html`<${DeliveryLog} app=${p.app} id=${p.id} />`],
  ['/ui/app/:app/msg/:id', (p) => html`<${MessagePage} app=${p.app} id=${p.id} />`],
  ['/ui/app/:app/sources', (p) => html`<${Sources} app=${p.app} />`],
  ['/ui/app/:app/journeys', (p) => html`<${Journeys} app=${p.app} />`],
  ['/ui/app/:app/journey/:id', (p) => html`<${JourneyPage} app=${p.app} id=${p.id} />`],
  ['/ui/app/:app/source/:id', (p) => html`<${SourcePage} app=${p.app} id=${p.id} />`],
];

function Screen({ session, path }) {
  const home = session.kind === 'admin' ? '/ui/apps' : appPath(session.appId);
  useEffect(() => {
    if (path === '/ui/' || path === '/ui') navigate(home, { replace: true });
  }, [path, home]);
  for (const [pattern, view] of routes) {
    const params = match(pattern, path);
    if (params) return view(params, session);
  }
  return html`<p>No such page. <a href=${home}>Home</a></p>`;
}

function Dashboard() {
  const path = usePath();
  const [session, setSession] = useState(undefined);
  const [notice, setNotice] = useState(null);
  useEffect(() => {
    signInFromFragment()
      .then((s) => s || currentSession())
      .then(setSession, (e) => {
        setNotice(e.message);
        setSession(null);
      });
    // A portal link opened in a tab that already shows the dashboard changes only the fragment.
    const onHash = () => signInFromFragment().then((s) => s && setSession(s), (e) => setNotice(e.message));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  if (session === undefined) return html`<p class="muted">Loading…</p>`;
  if (session === null) return html`<${SignIn} notice=${notice} onSignedIn=${setSession} />`;
  const inApp = /^\/ui\/app\/([^/]+)/.exec(path);
  const app = inApp ? decodeURIComponent(inApp[1]) : undefined;
  const out = async () => {
    await signOut();
    setSession(null);
    navigate('/ui/', { replace: true });
  };
  return html`<div class="layout">
    <nav class="topbar" aria-label="Main">
      <a class="brand" href=${session.kind === 'admin' ? '/ui/apps' : appPath(session.appId)}>hookd</a>
      <${AppSwitcher} session=${session} current=${app} />
      ${app ? html`<a href=${appPath(app)}>Webhooks</a> <a href=${appPath(app, '/sources')}>Inbound sources</a>
        <a href=${appPath(app, '/journeys')}>Journeys</a>` : null}
      <a href="/ui/event-types">Event catalogue</a>
      ${session.kind === 'admin' ? html`<a href="/ui/operations">Operations</a>` : null}
      <span class="spacer"></span>
      <span class="muted">${session.kind} token${session.readOnly ? ', read only' : ''}</span>
      <button type="button" class="secondary" onClick=${out}>Sign out</button>
    </nav>
    <main id="content">${html`<${Screen} session=${session} path=${path} />`}</main>
  </div>`;
}

// GET /health needs no token: the footer says whether hookd is healthy, signed in or not.
async function health() {
  const res = await fetch('/health');
  return res.status === 204 ? 'healthy' : 'degraded';
}

function Footer() {
  const [state, setState] = useState('…');
  useEffect(() => {
    health().then(setState, () => setState('unreachable'));
  }, []);
  return html`<footer class="muted">hookd is <span class=${state === 'healthy' ? 'ok' : 'bad'}>${state}</span>.
    API: <code>/api/v1/</code></footer>`;
}

startRouting();
render(html`<${Dashboard} /><${Footer} />`, document.getElementById('app'));
