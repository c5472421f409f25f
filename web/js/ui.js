// Small shared pieces of the screens: form fields that show the API error naming them, status
// badges, times, and a loader hook for API reads.
import { html, useEffect, useState, useCallback } from './html.js';

let fieldIds = 0;

// A labelled input. `error` is an ApiError; it shows here when its field is `name`.
export function Field({ label, name, error, hint, children }) {
  const [id] = useState(() => `f${(fieldIds += 1)}`);
  const mine = error && error.field && (error.field === name || error.field.startsWith(`${name}.`));
  const input = children(id, mine ? `${id}-error` : hint ? `${id}-hint` : undefined);
  return html`<div class=${`field${mine ? ' has-error' : ''}`}>
    <label for=${id}>${label}</label>
    ${input}
    ${hint && !mine ? html`<small id=${`${id}-hint`} class="muted">${hint}</small>` : null}
    ${mine ? html`<small id=${`${id}-error`} class="error" role="alert">${error.message}</small>` : null}
  </div>`;
}

// An error no field claims, shown at the top of a form or a screen.
export function ErrorBanner({ error, fields = [] }) {
  if (!error) return null;
  if (error.field && fields.some((f) => error.field === f || error.field.startsWith(`${f}.`))) return null;
  return html`<p class="banner bad" role="alert">${error.message}</p>`;
}

export function StateBadge({ endpoint }) {
  if (!endpoint.disabled) return html`<span class="badge ok">active</span>`;
  if (endpoint.disabledReason) {
    return html`<span class="badge bad" title=${endpoint.disabledReason}>disabled</span>
      <small class="muted">${endpoint.disabledReason}${endpoint.disabledAt ? `, since ${when(endpoint.disabledAt)}` : ''}</small>`;
  }
  return html`<span class="badge muted">inactive</span>`;
}

export function StatusBadge({ status }) {
  const cls = status === 'success' ? 'ok' : status === 'fail' ? 'bad' : 'muted';
  return html`<span class=${`badge ${cls}`}>${status}</span>`;
}

export function when(rfc3339) {
  if (!rfc3339) return '—';
  const d = new Date(rfc3339);
  return Number.isNaN(d.getTime()) ? rfc3339 : d.toLocaleString();
}

// Reads `load()` on mount and whenever `deps` change: {data, error, loading, reload}.
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const reload = useCallback(() => {
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => setState({ data, error: null, loading: false }),
      (error) => setState({ data: null, error, loading: false }),
    );
  }, deps);
  useEffect(reload, [reload]);
  return { ...state, reload };
}

export function Loading({ state, children }) {
  if (state.error) return html`<p class="banner bad" role="alert">${state.error.message}</p>`;
  if (state.loading && !state.data) return html`<p class="muted">Loading…</p>`;
  return children(state.data);
}

// Copies `text`. The Clipboard API exists only in secure contexts (https, or localhost); a
// dashboard reached over plain http elsewhere falls back to a selected text area.
function copyText(text) {
  if (navigator.clipboard) return navigator.clipboard.writeText(text);
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  return copied ? Promise.resolve() : Promise.reject(new Error('copy refused'));
}

// A copy-to-clipboard button for `text`.
export function CopyButton({ text, label = 'Copy' }) {
  const [done, setDone] = useState(false);
  const copy = () => copyText(text).then(() => {
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  }, () => setDone(false));
  return html`<button type="button" class="secondary" onClick=${copy}>${done ? 'Copied' : label}</button>`;
}
